"""Float64 reference for the mai2021 whole-net gradient check (investigation tool, needs PyTorch: /usr/bin/python3).

Reads the dump of scripts/mai2021_gradient_reference.ts (initial weights, input, targets, the cpu and wasm float32
gradients), rebuilds MobileNetV3-Large + resize_dw with its in-model bilinear resizes in torch float64 and prints,
per kind of variable, the largest error of cpu and of wasm against float64 and of wasm against cpu (max |diff| / max
|float64 gradient| of the variable; for the batch-norm parameters that are invariant by construction, see
invariantBatchNormParam in test/models/gradients.test.ts, the scale is the larger gradient of their BN).

  /usr/bin/python3 scripts/mai2021_gradient_reference.py /tmp/mai_grads [--per-variable] [--flip <unit>]

--flip depth/stage_3/dw: the same float64 gradients with the ReLU decision of the element of that unit's batch-norm
output nearest to 0 flipped (a backend whose float32 forward lands on the other side of that kink matches this one).
The units' pre-activations nearest to a ReLU kink are listed first.
"""
import json
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
base = sys.argv[1]
flip_unit = sys.argv[sys.argv.index('--flip') + 1] if '--flip' in sys.argv else None
meta = json.load(open(base + '.json'))
blob = np.fromfile(base + '.bin', dtype=np.float32)
arr = {e['name']: blob[e['offset']:e['offset'] + e['size']].reshape(e['shape']) for e in meta['index']}
W = {k[2:]: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in arr.items() if k.startswith('w:')}
nchw = lambda a: torch.tensor(a.astype(np.float64)).permute(0, 3, 1, 2)
near_kink = {}  # unit -> smallest |BN output| before a ReLU

# MobileNetV3-Large bneck table (src/models/mobilenet_v3.ts): kernel, expansion, out, squeeze-excite, activation, stride
LARGE = [[3, 16, 16, 0, 'relu', 1], [3, 64, 24, 0, 'relu', 2], [3, 72, 24, 0, 'relu', 1],
         [5, 72, 40, 1, 'relu', 2], [5, 120, 40, 1, 'relu', 1], [5, 120, 40, 1, 'relu', 1],
         [3, 240, 80, 0, 'hswish', 2], [3, 200, 80, 0, 'hswish', 1], [3, 184, 80, 0, 'hswish', 1],
         [3, 184, 80, 0, 'hswish', 1], [3, 480, 112, 1, 'hswish', 1], [3, 672, 112, 1, 'hswish', 1],
         [5, 672, 160, 1, 'hswish', 2], [5, 960, 160, 1, 'hswish', 1], [5, 960, 160, 1, 'hswish', 1]]
TAPS = [1, 3, 6, 12]


def conv(x, name, stride=1, pad=0, bias=False):
    return F.conv2d(x, W[name + '/kernel'].permute(3, 2, 0, 1), W[name + '/bias'] if bias else None, stride, pad)


def unit(x, name, k, stride, act, depthwise=False):
    pad = (k - 1) // 2
    if depthwise:
        y = F.conv2d(x, W[name + '/conv/kernel'].permute(2, 3, 0, 1), None, stride, pad, groups=x.shape[1])
    else:
        y = conv(x, name + '/conv', stride, pad)
    c = y.shape[1]
    stats = (None, None) if meta['training'] else (torch.zeros(c), torch.ones(c))
    z = F.batch_norm(y, *stats, W[name + '/bn/gamma'], W[name + '/bn/beta'], meta['training'], 0.0, 1e-5)
    if act != 'relu':
        return {'hswish': F.hardswish, 'none': lambda t: t}[act](z)
    near_kink[name] = z.detach().abs().min().item()
    if name != flip_unit:
        return F.relu(z)
    i = z.detach().abs().argmin().item()
    print(f'flipping the ReLU of {name} at (n,c,h,w) {np.unravel_index(i, z.shape)}, BN output {z.reshape(-1)[i].item():.3e}')
    mask = (z.detach() > 0).double().contiguous()
    mask.view(-1)[i] = 1 - mask.view(-1)[i]
    return z * mask


def resize(x, size):
    return x if tuple(x.shape[2:]) == tuple(size) else F.interpolate(x, size=size, mode='bilinear', align_corners=False)


def encoder(x):
    h = unit((x - 0.45) / 0.225, 'encoder/features/0', 3, 2, 'hswish')
    feats, in_c = [], 16
    for i, (k, e, out, se, act, s) in enumerate(LARGE):
        p = f'encoder/features/{i + 1}'
        y = unit(h, p + '/expand', 1, 1, act) if e != in_c else h
        y = unit(y, p + '/dw', k, s, act, True)
        if se:
            pooled = y.mean((2, 3), keepdim=True)
            y = y * F.hardsigmoid(conv(F.relu(conv(pooled, p + '/se/fc1', bias=True)), p + '/se/fc2', bias=True))
        y = unit(y, p + '/project', 1, 1, 'none')
        h = y + h if s == 1 and in_c == out else y
        in_c = out
        if i + 1 in TAPS:
            feats.append(h)
    return feats + [unit(h, f'encoder/features/{len(LARGE) + 1}', 1, 1, 'hswish')]


def decoder(feats):
    maps, x = {}, feats[4]
    for i in range(4, -1, -1):
        p = f'depth/stage_{i}'
        skip = feats[i - 1] if i > 0 else None
        size = tuple(skip.shape[2:]) if skip is not None else (2 * x.shape[2], 2 * x.shape[3])
        y = resize(unit(x, p + '/reduce', 1, 1, 'relu'), size)
        y = torch.cat([y, skip], 1) if skip is not None else y
        x = unit(unit(y, p + '/dw', W[p + '/dw/conv/kernel'].shape[0], 1, 'relu', True), p + '/fuse', 1, 1, 'relu')
        maps[i] = x
    return [torch.sigmoid(conv(maps[s], f'depth/dispconv_{s}', bias=True)) for s in range(4)]


x = nchw(arr['input'])
disps = decoder(encoder(resize(x, tuple(meta['internalSize']))))
loss = 0
for s, d in enumerate(disps):
    d = resize(d, (x.shape[2] // 2 ** s, x.shape[3] // 2 ** s))
    loss = loss + ((d - nchw(arr[f'target_{s}'])) ** 2).mean() / (s + 1)
names = list(W)
g64 = {n: g.numpy() for n, g in zip(names, torch.autograd.grad(loss, [W[n] for n in names]))}
print(f"loss float64 {loss.item():.9f}, float32 {meta['losses']}")
print('pre-activations nearest a ReLU kink:', ', '.join(f'{u} {v:.1e}' for u, v in sorted(near_kink.items(), key=lambda kv: kv[1])[:4]))


def invariant(n):
    return bool(re.search(r'/features/(7|8|9|10|13|14|15)/project/bn/beta$', n)
                or re.search(r'/features/[2-6]/expand/bn/gamma$', n) or re.search(r'/stage_\d/reduce/bn/gamma$', n))


def kind(n):
    if invariant(n): return 'invariant BN parameter (scale: its BN)'
    if n.startswith('depth/dispconv'): return 'head conv kernel/bias'
    if '/se/' in n: return 'squeeze-excite fc kernel/bias'
    if n.endswith('bn/gamma'): return 'bn gamma'
    if n.endswith('bn/beta'): return 'bn beta'
    return 'depthwise kernel' if '/dw/conv' in n else 'dense conv kernel'


rows = {}
for n in names:
    bn = n.rsplit('/', 1)[0]
    scale = max(np.abs(g64[bn + '/gamma']).max(), np.abs(g64[bn + '/beta']).max()) if invariant(n) else np.abs(g64[n]).max()
    cpu, wasm = arr['g_cpu:' + n], arr['g_wasm:' + n]
    err = [np.abs(cpu - g64[n]).max() / scale, np.abs(wasm - g64[n]).max() / scale, np.abs(wasm - cpu).max() / scale]
    if '--per-variable' in sys.argv:
        print(f'{n:45s} max|g64| {np.abs(g64[n]).max():9.2e}  cpu {err[0]:8.1e}  wasm {err[1]:8.1e}  wasm-cpu {err[2]:8.1e}')
    r = rows.setdefault(kind(n), [0, 0, 0, 0])
    r[:3] = [max(a, b) for a, b in zip(r[:3], err)]
    r[3] += 1
print(f"{'kind':40s} {'#':>3s} {'cpu-f64':>9s} {'wasm-f64':>9s} {'wasm-cpu':>9s}")
for k, r in sorted(rows.items()):
    print(f'{k:40s} {r[3]:3d} {r[0]:9.2e} {r[1]:9.2e} {r[2]:9.2e}')
