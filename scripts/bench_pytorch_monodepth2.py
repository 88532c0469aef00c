#!/usr/bin/env python3
"""PyTorch side of `stereodepth bench`: times monodepth2's own stereo training step on the CPU.

The step is what `stereodepth bench` times for configs/kitti_eigen_md2_stereo.yaml, built from a monodepth2 checkout's
own code (nothing of it is copied here): networks.ResnetEncoder(18) + networks.DepthDecoder (scales 0-3), and layers.py's
SSIM, BackprojectDepth / Project3D + grid_sample (border, align_corners False), disp_to_depth and get_smooth_loss,
combined as trainer.py's compute_losses does for a stereo pair (identity loss with tie-break noise, auto-masking by the
per-pixel minimum, smoothness of the mean-normalised disparity / 2^s), then Adam (lr 1e-4). Batch of random images.

Usage (Debian's python3-torch; a monodepth2 checkout: git clone https://github.com/nianticlabs/monodepth2):
    python3 scripts/bench_pytorch_monodepth2.py /path/to/monodepth2 --height 96 --width 320 --steps 12 --threads 2
Prints the median, p10 and p90 wall ms per step and the process CPU ms per step, as `stereodepth bench` does.
"""
import argparse
import math
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('monodepth2', help='path of a monodepth2 checkout (holds networks/ and layers.py)')
    p.add_argument('--height', type=int, default=96)
    p.add_argument('--width', type=int, default=320)
    p.add_argument('--batch', type=int, default=4)
    p.add_argument('--steps', type=int, default=12, help='timed steps (>= 10)')
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=2, help='torch.set_num_threads (stereodepth bench uses every core)')
    args = p.parse_args()
    if args.steps < 10:
        p.error('--steps must be >= 10')
    return args


def quantile(sorted_values, q):
    """Nearest-rank quantile, as stereodepth bench reports them."""
    n = len(sorted_values)
    return sorted_values[min(n - 1, max(0, math.ceil(q * n) - 1))]


def main():
    args = parse_args()
    sys.path.insert(0, args.monodepth2)
    import torch
    import torch.nn.functional as F
    from networks.resnet_encoder import ResnetEncoder
    from networks.depth_decoder import DepthDecoder
    from layers import SSIM, BackprojectDepth, Project3D, disp_to_depth, get_smooth_loss

    h, w, b = args.height, args.width, args.batch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    encoder = ResnetEncoder(18, False)
    decoder = DepthDecoder(encoder.num_ch_enc, range(4))
    optimizer = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), 1e-4)
    ssim = SSIM()
    backproject = BackprojectDepth(b, h, w)
    project = Project3D(b, h, w)
    # KITTI's normalised intrinsics (monodepth2 kitti_dataset.py) at this size; a stereo pair 0.1 apart along x.
    K = torch.tensor([[0.58, 0, 0.5, 0], [0, 1.92, 0.5, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=torch.float32)
    K[0, :] *= w
    K[1, :] *= h
    K = K.unsqueeze(0).repeat(b, 1, 1)
    inv_K = torch.inverse(K)
    T = torch.eye(4).unsqueeze(0).repeat(b, 1, 1)
    T[:, 0, 3] = -0.1
    noise = torch.rand(b, 3, h, w + 8)
    target = noise[..., 8:].contiguous()
    source = noise[..., :-8].contiguous()
    pyramid = [target] + [F.interpolate(target, (h // 2 ** s, w // 2 ** s), mode='area') for s in range(1, 4)]

    def reprojection_loss(pred, tgt):
        l1 = (tgt - pred).abs().mean(1, True)
        return 0.85 * ssim(pred, tgt).mean(1, True) + 0.15 * l1

    def step():
        outputs = decoder(encoder(target))
        identity = reprojection_loss(source, target)
        total = 0
        for s in range(4):
            disp = outputs[('disp', s)]
            up = F.interpolate(disp, [h, w], mode='bilinear', align_corners=False)
            _, depth = disp_to_depth(up, 0.1, 100)
            pix = project(backproject(depth, inv_K), K, T)
            warped = F.grid_sample(source, pix, padding_mode='border', align_corners=False)
            combined = torch.cat([identity + torch.randn(identity.shape) * 1e-5, reprojection_loss(warped, target)], 1)
            loss = torch.min(combined, 1)[0].mean()
            mean_disp = disp.mean(2, True).mean(3, True)
            total = total + loss + 1e-3 * get_smooth_loss(disp / (mean_disp + 1e-7), pyramid[s]) / 2 ** s
        total = total / 4
        optimizer.zero_grad()
        total.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    wall = []
    cpu0 = time.process_time()
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        wall.append((time.perf_counter() - t0) * 1000)
    cpu = (time.process_time() - cpu0) * 1000 / args.steps
    wall.sort()
    print(f'pytorch {torch.__version__} ({torch.get_num_threads()} threads) | monodepth2 stereo step {h}x{w} batch {b}: '
          f'median {statistics.median(wall):.0f}  p10 {quantile(wall, 0.1):.0f}  p90 {quantile(wall, 0.9):.0f}  '
          f'min {wall[0]:.0f}  max {wall[-1]:.0f}  ({args.steps} steps; cpu {cpu:.0f} ms/step)')


if __name__ == '__main__':
    main()
