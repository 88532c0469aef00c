import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/random.js';
import { renderStereoPair } from '../../src/data/synthetic/render.js';
import { kittiRig, simsinRig } from '../../src/data/synthetic/scene.js';
import { makeRoomScene, makeStreetScene } from '../../src/data/synthetic/worlds.js';
import { scanLidar, VELO_TO_CAM_ROTATION } from '../../src/data/synthetic/lidar.js';
import { kittiCamToCam, VELO_IN_CAM0 } from '../../src/data/synthetic/kitti_calib.js';
import { KITTI_DATE } from '../../src/data/synthetic/layout.js';
import { generateWorld } from '../../src/data/synthetic/writer.js';
import { formatKittiNumber } from '../../src/data/synthetic/formats.js';
import type { RenderedPair } from '../../src/data/synthetic/render.js';
import { KittiRawDataset } from '../../src/data/kitti_raw.js';
import { createDataset } from '../../src/data/registry.js';

const small = kittiRig(160, 48);
const street = (seed: string) => makeStreetScene(new Rng(seed), { cameraHeight: 1.65, driveLength: 8, style: 'kitti' });

/**
 * Reconstructs the left view by sampling the right view at u - d (plain JS linear interpolation along the row)
 * and returns the mean abs error (in [0,1] units) over pixels that are valid and not occluded. A pixel counts
 * as occluded when the right view's GT depth at both neighbours of u - d disagrees with the left depth by > 1 %:
 * the GT itself says the right camera sees another surface there.
 */
function warpError(p: RenderedPair): { mae: number; used: number } {
  const { width: W, height: H } = p.depth;
  let sum = 0;
  let used = 0;
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const i = v * W + u;
      const z = p.depth.data[i]!;
      if (z <= 0) continue;
      const xr = u - p.disparity.data[i]!;
      const x0 = Math.floor(xr);
      if (x0 < 0 || x0 + 1 >= W) continue;
      const za = p.rightDepth!.data[v * W + x0]!;
      const zb = p.rightDepth!.data[v * W + x0 + 1]!;
      if (Math.abs(za - z) > 0.01 * z || Math.abs(zb - z) > 0.01 * z) continue;
      const a = xr - x0;
      for (let c = 0; c < 3; c++) {
        const r = (1 - a) * p.right.data[(v * W + x0) * 3 + c]! + a * p.right.data[(v * W + x0 + 1) * 3 + c]!;
        sum += Math.abs(r - p.left.data[i * 3 + c]!) / 255;
      }
      used++;
    }
  }
  return { mae: sum / (3 * used), used };
}

describe('synthetic renderer', () => {
  it('is deterministic by seed and differs between seeds', () => {
    const a = renderStereoPair(street('s1'), small);
    const b = renderStereoPair(street('s1'), small);
    const c = renderStereoPair(street('s2'), small);
    expect(Buffer.compare(Buffer.from(a.left.data), Buffer.from(b.left.data))).toBe(0);
    expect(Buffer.compare(Buffer.from(a.depth.data.buffer), Buffer.from(b.depth.data.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(a.left.data), Buffer.from(c.left.data))).not.toBe(0);
  });

  it('has KITTI-like depth ranges, sky marked invalid, disparity = fx * B / z', () => {
    const p = renderStereoPair(street('range'), small);
    let valid = 0;
    let near = Infinity;
    for (let i = 0; i < p.depth.data.length; i++) {
      const z = p.depth.data[i]!;
      if (z === 0) {
        expect(p.disparity.data[i]).toBe(0);
        continue;
      }
      valid++;
      near = Math.min(near, z);
      expect(p.disparity.data[i]).toBeCloseTo((small.fx * small.baseline) / z, 4);
    }
    expect(valid / p.depth.data.length).toBeGreaterThan(0.6);
    expect(near).toBeGreaterThan(1.5);
    // The bottom row sees the road about cameraHeight * fy / (v - cy) ahead.
    const v = small.height - 1;
    const expected = (small.cameraHeight * small.fy) / (v - small.cy);
    expect(p.depth.data[v * small.width + Math.round(small.cx)]).toBeCloseTo(expected, 3);
  });

  it('GT agrees with the stereo geometry: right warped by the true disparity reconstructs left (MAE < 0.02)', () => {
    for (const [scene, rig] of [
      [street('warp'), kittiRig(320, 96)],
      [makeRoomScene(new Rng('room-warp')), simsinRig(96, 96)],
    ] as const) {
      const pair = renderStereoPair(scene, rig);
      const { mae, used } = warpError(pair);
      expect(used).toBeGreaterThan(0.5 * rig.width * rig.height);
      expect(mae).toBeLessThan(0.02);
      // Control: a disparity 2 px off must give a clearly larger error, so the check can fail.
      const wrong = { ...pair, disparity: { ...pair.disparity, data: pair.disparity.data.map((d) => (d > 0 ? d + 2 : 0)) } };
      expect(warpError(wrong).mae).toBeGreaterThan(1.3 * mae);
    }
  });

  it('rooms have textureless wall pixels', () => {
    const p = renderStereoPair(makeRoomScene(new Rng('flat')), simsinRig(64, 64));
    const flat = p.textureless.reduce((s, v) => s + v, 0);
    expect(flat).toBeGreaterThan(0.1 * 64 * 64);
  });

  it('velodyne points project back onto the GT depth (calib-file convention, depth = velodyne x)', () => {
    const rig = kittiRig(320, 96);
    const scene = street('lidar');
    const pair = renderStereoPair(scene, rig);
    const points = scanLidar(scene, [0.06 + VELO_IN_CAM0[0], VELO_IN_CAM0[1], VELO_IN_CAM0[2]]);
    expect(points.length / 4).toBeGreaterThan(50_000);
    // Parse P_rect_02 from the calib text exactly as a reader would.
    const line = kittiCamToCam(rig).split('\n').find((l) => l.startsWith('P_rect_02:'))!;
    const P = line.split(' ').slice(1).map(Number);
    const R = VELO_TO_CAM_ROTATION;
    let compared = 0;
    let close = 0;
    const relErrors: number[] = [];
    for (let k = 0; k < points.length / 4; k++) {
      const [x, y, z] = [points[k * 4]!, points[k * 4 + 1]!, points[k * 4 + 2]!];
      if (x < 0) continue;
      const X = R[0]! * x + R[1]! * y + R[2]! * z + VELO_IN_CAM0[0];
      const Y = R[3]! * x + R[4]! * y + R[5]! * z + VELO_IN_CAM0[1];
      const Z = R[6]! * x + R[7]! * y + R[8]! * z + VELO_IN_CAM0[2];
      const w = P[8]! * X + P[9]! * Y + P[10]! * Z + P[11]!;
      const u = Math.round((P[0]! * X + P[1]! * Y + P[2]! * Z + P[3]!) / w) - 1;
      const v = Math.round((P[4]! * X + P[5]! * Y + P[6]! * Z + P[7]!) / w) - 1;
      if (u < 0 || v < 0 || u >= rig.width || v >= rig.height) continue;
      const gt = pair.depth.data[v * rig.width + u]!;
      if (gt <= 0) continue;
      compared++;
      relErrors.push(Math.abs(x - gt) / gt);
      // x (forward) is monodepth2's depth value; the velodyne sits in the camera plane so x = camera z.
      if (Math.abs(x - gt) < 0.02 * gt + 0.05) close++;
    }
    expect(compared).toBeGreaterThan(1000);
    // Points on depth edges round to a neighbouring pixel and the lidar (8 cm above, 6 cm right of the camera)
    // sees a little the camera cannot; the bulk must agree to rounding accuracy.
    relErrors.sort((a, b) => a - b);
    expect(relErrors[Math.floor(relErrors.length / 2)]!).toBeLessThan(0.005);
    expect(close / compared).toBeGreaterThan(0.85);
  });

  it('formats numbers like the KITTI calib files', () => {
    expect(formatKittiNumber(721.5377)).toBe('7.215377e+02');
    expect(formatKittiNumber(-0.0074)).toBe('-7.400000e-03');
    expect(formatKittiNumber(0)).toBe('0.000000e+00');
  });
});

describe('stereodepth synth layouts', () => {
  const root = mkdtempSync(join(tmpdir(), 'synth-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes a KITTI raw layout the real adapter reads (focal, baseline, improved GT), and resumes', async () => {
    const out = join(root, 'kitti');
    const m = await generateWorld({ world: 'kitti', out, count: 9, height: 24, width: 80, seed: 3, framesPerScene: 3, progress: false });
    expect(m.scenes.map((s) => s.split)).toEqual(['train', 'val', 'test']);
    const drive = `${KITTI_DATE}/${KITTI_DATE}_drive_0001_sync`;
    for (const f of ['image_02/data/0000000002.png', 'image_03/data/0000000002.png', 'velodyne_points/data/0000000002.bin', 'proj_depth/groundtruth/image_02/0000000002.png'])
      expect(existsSync(join(out, drive, f)), f).toBe(true);
    const train = readFileSync(join(out, 'splits/synthetic/train_files.txt'), 'utf8').trim().split('\n');
    expect(train).toEqual([`${drive} 1 l`, `${drive} 1 r`]);
    const test = readFileSync(join(out, 'splits/synthetic/test_files.txt'), 'utf8').trim().split('\n');
    expect(test.every((l) => l.includes('drive_0003'))).toBe(true);

    const ds = new KittiRawDataset({ dataPath: out, split: { lines: test }, imageExt: 'png', gt: 'improved' } as ConstructorParameters<typeof KittiRawDataset>[0]);
    const sample = await ds.get(0);
    expect(sample.camera.focal).toBeCloseTo((721.5377 * 80) / 1242, 3);
    expect(sample.camera.baseline).toBeCloseTo(0.54, 4);
    expect(sample.left.width).toBe(80);
    expect(sample.gtDepth!.data.some((v) => v > 0)).toBe(true);

    const again = await generateWorld({ world: 'kitti', out, count: 9, height: 24, width: 80, seed: 3, framesPerScene: 3, progress: false });
    expect(again.framesSkipped).toBe(9);
    expect(again.framesWritten).toBe(0);
    await expect(generateWorld({ world: 'kitti', out, count: 9, height: 24, width: 80, seed: 4, framesPerScene: 3, progress: false })).rejects.toThrow(/seed/);

    // Two worker threads (above, the default) and one thread write identical bytes.
    const single = join(root, 'kitti1');
    await generateWorld({ world: 'kitti', out: single, count: 9, height: 24, width: 80, seed: 3, framesPerScene: 3, progress: false, jobs: 1 });
    for (const f of [`${KITTI_DATE}/${KITTI_DATE}_drive_0003_sync/image_03/data/0000000002.png`, `${KITTI_DATE}/${KITTI_DATE}_drive_0002_sync/velodyne_points/data/0000000001.bin`])
      expect(Buffer.compare(readFileSync(join(out, f)), readFileSync(join(single, f))), f).toBe(0);
  });

  it('writes Cityscapes, SimSIN and NYU layouts', async () => {
    await generateWorld({ world: 'cityscapes', out: join(root, 'cs'), count: 3, height: 16, width: 32, framesPerScene: 1, progress: false, jobs: 1 });
    const cam = JSON.parse(readFileSync(join(root, 'cs/camera/train/arden/arden_000000_000000_camera.json'), 'utf8'));
    expect(cam.extrinsic.baseline).toBeCloseTo(0.209313, 6);
    expect(cam.intrinsic.fx).toBeCloseTo((2262.52 * 32) / 2048, 6);
    expect(existsSync(join(root, 'cs/disparity/test/jarrow/jarrow_000000_000000_disparity.png'))).toBe(true);
    const cs = await createDataset('cityscapes', { path: join(root, 'cs'), options: { officialSplit: 'test', cropBottomFraction: 0, loadDisparity: true } });
    const csSample = await cs.get(0);
    expect(csSample.camera.baseline).toBeCloseTo(0.209313, 6);
    expect(csSample.gtDisparity!.data.some((d) => d > 0)).toBe(true);
    // the world's split list names official-tree paths: the camera json is found beside them
    const listed = await createDataset('cityscapes', { path: join(root, 'cs'), split: { file: join(root, 'cs/splits/synthetic/train_files.txt') }, options: { cropBottomFraction: 0.2 } });
    const listedSample = await listed.get(0);
    expect(listedSample.camera.baseline).toBeCloseTo(0.209313, 6);
    expect(listedSample.left.height).toBe(Math.round(16 * 0.8));

    await generateWorld({ world: 'simsin', out: join(root, 'ss'), count: 3, height: 16, width: 16, framesPerScene: 3, progress: false, jobs: 1 });
    expect(readFileSync(join(root, 'ss/splits/synthetic/train_files.txt'), 'utf8')).toBe('replica/scene_0000/001_0 1 l\n');
    const npy = readFileSync(join(root, 'ss/replica/scene_0000/001_0_depth.npy'));
    expect(npy.subarray(1, 6).toString()).toBe('NUMPY');
    expect(npy.length % 4).toBe(0);

    await generateWorld({ world: 'nyu', out: join(root, 'nyu'), count: 3, height: 12, width: 16, framesPerScene: 1, progress: false, jobs: 1 });
    expect(existsSync(join(root, 'nyu/nyudepthv2/train/scene_0000/00001.h5'))).toBe(true);
    expect(existsSync(join(root, 'nyu/nyudepthv2/val/official/02001.h5'))).toBe(true);
    const nyu = await createDataset('nyu_h5', { path: join(root, 'nyu'), split: { file: join(root, 'nyu/splits/synthetic/test_files.txt') }, options: {} });
    const nyuSample = await nyu.get(0);
    expect(nyuSample.left.width).toBe(16);
    expect(nyuSample.gtDepth!.data.every((d) => d >= 0) && nyuSample.gtDepth!.data.some((d) => d > 0.3)).toBe(true);
  });
});
