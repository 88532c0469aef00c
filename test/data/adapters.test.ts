import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataset } from '../../src/data/registry.js';
import { parseSplitText, SPLIT_FORMATS } from '../../src/data/splits.js';
import { KittiRawDataset } from '../../src/data/kitti_raw.js';
import { projectVelodyneToDepth, roundHalfEven, generateDepthMap, generateDepthMapObject } from '../../src/data/velodyne_depth.js';
import { readObjectVeloCalib } from '../../src/io/kitti_calib.js';
import { readVelodyne } from '../../src/io/velodyne.js';
import { writePng16 } from '../../src/io/image.js';
import { haveShared, sharedData } from '../io/shared.js';

const kittiRaw = join(sharedData, 'kitti_raw');
const tmp = mkdtempSync(join(tmpdir(), 'sd-adapters-'));

describe('split files', () => {
  it('a malformed line is reported as file:line: expected <format>, got <text>', () => {
    expect(() => parseSplitText('a b l\n\nx 1 q\n', 'train.txt', SPLIT_FORMATS.folderFrameSide)).toThrow(
      "train.txt:1: expected '<folder> <frame index> <l|r>', got 'a b l'",
    );
    expect(() => parseSplitText('d 1 l\n\nx 1 q\n', 'train.txt', SPLIT_FORMATS.folderFrameSide)).toThrow("train.txt:3:");
    expect(parseSplitText('d 1 l\n\nx 2 r\n', 't', SPLIT_FORMATS.folderFrameSide).map((l) => l.line)).toEqual([1, 3]);
  });
  it('unknown dataset names are refused with the list of known names', async () => {
    await expect(createDataset('kitty', { path: '.', options: {} })).rejects.toThrow(/unknown dataset 'kitty': expected one of kitti_raw, .*va, nyu_h5/);
  });
});

describe('velodyne -> depth (monodepth2 generate_depth_map conventions)', () => {
  // identity geometry: P = [f 0 c 0; 0 f c 0; 0 0 1 0], R_rect = I, velo->cam maps (x fwd, y left, z up) to (−y, −z, x)
  const calib = { pRect: [10, 0, 5, 0, 0, 10, 5, 0, 0, 0, 1, 0], rRect: [1, 0, 0, 0, 1, 0, 0, 0, 1], veloToCam: [0, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0] };
  it('numpy rounding is half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, 2, 3]);
  });
  it('pixel = round(u) - 1, min depth on duplicates, x < 0 dropped, out of bounds dropped', () => {
    const pts = new Float32Array([
      2, 0, 0, 1, // u = v = 5 -> pixel (4, 4), depth 2
      4, 0, 0, 1, // same pixel, farther: min keeps 2
      10, -1.5, 0, 1, // u = 6.5 -> round half even 6 -> pixel x 5, depth 10
      5, -0.25, 0, 1, // u = 5.5 -> round half even 6 -> pixel x 5, depth 5 (min of the duplicates)
      -2, 0, 0, 1, // behind: dropped even though it would project in bounds
      1, 1, 0, 1, // u = -5 -> out of bounds
    ]);
    const d = projectVelodyneToDepth(pts, calib, 8, 8);
    expect(d.data[4 * 8 + 4]).toBe(2);
    expect(d.data[4 * 8 + 5]).toBe(5);
    let n = 0;
    for (const v of d.data) if (v > 0) n++;
    expect(n).toBe(2);
  });
  it("monodepth2's sub2ind quirk: pixel (r, W-1) and (r+1, 0) form one duplicate group, min written at the first point's pixel", () => {
    // W = 8: u = 10 * (-y) / x + 5, v = 10 * (-z) / x + 5. Pixel (row 3, col 7) needs u = 8, v = 4; (row 4, col 0) needs u = 1, v = 5
    const pts = new Float32Array([
      5, -1.5, 0.5, 1, // u 8, v 4 -> (3, 7), depth 5
      4, -1.2, 0.4, 1, // u 8, v 4 -> (3, 7), depth 4 (last write there)
      2, 0.8, 0, 1, // u 1, v 5 -> (4, 0), depth 2
    ]);
    const d = projectVelodyneToDepth(pts, calib, 8, 8);
    expect(d.data[3 * 8 + 7]).toBe(2); // group min lands on the first point's pixel
    expect(d.data[4 * 8 + 0]).toBe(2);
  });
  it.skipIf(!haveShared)('the real kitti_object scan projects identically with object calib and raw 2011_09_26 calib', async () => {
    const velo = join(sharedData, 'kitti_object/training/velodyne/000001.bin');
    const fromObject = await generateDepthMapObject(join(sharedData, 'kitti_object/training/calib/000001.txt'), velo, 1242, 375);
    const fromRaw = await generateDepthMap(join(kittiRaw, '2011_09_26'), velo, 2);
    expect([fromRaw.width, fromRaw.height]).toEqual([1242, 375]);
    expect(fromRaw.data).toEqual(fromObject.data);
    // independent check of the rules on the real scan: each filled pixel holds the minimum forward x of the
    // points (x >= 0) that project there under round-half-even − 1
    const calib = await readObjectVeloCalib(join(sharedData, 'kitti_object/training/calib/000001.txt'));
    const scan = await readVelodyne(velo);
    const P = (() => { const m = (a: number[], b: number[], r: number, k: number, c: number) => Array.from({ length: r * c }, (_, i) => { let s = 0; for (let t = 0; t < k; t++) s += a[Math.floor(i / c) * k + t]! * b[t * c + (i % c)]!; return s; });
      return m(m(calib.pRect, [...calib.rRect.slice(0, 3), 0, ...calib.rRect.slice(3, 6), 0, ...calib.rRect.slice(6), 0, 0, 0, 0, 1], 3, 4, 4), [...calib.veloToCam, 0, 0, 0, 1], 3, 4, 4); })();
    const best = new Map<number, number>();
    let behind = 0;
    for (let i = 0; i < scan.count; i++) {
      const [x, y, z] = [scan.points[4 * i]!, scan.points[4 * i + 1]!, scan.points[4 * i + 2]!];
      if (x < 0) { behind++; continue; }
      const w = P[8]! * x + P[9]! * y + P[10]! * z + P[11]!;
      const u = roundHalfEven((P[0]! * x + P[1]! * y + P[2]! * z + P[3]!) / w) - 1;
      const v = roundHalfEven((P[4]! * x + P[5]! * y + P[6]! * z + P[7]!) / w) - 1;
      if (u < 0 || v < 0 || u >= 1242 || v >= 375) continue;
      const k = v * 1242 + u;
      best.set(k, Math.min(best.get(k) ?? Infinity, x));
    }
    expect(behind).toBeGreaterThan(1000); // the scan is 360°: the x >= 0 rule really drops points
    let filled = 0;
    for (let k = 0; k < fromRaw.data.length; k++) if (fromRaw.data[k]! > 0) filled++;
    expect(filled).toBe(best.size);
    expect(filled).toBeGreaterThan(15000);
    // monodepth2's sub2ind merges (r, W-1) with (r+1, 0): only those edge columns may differ from a plain per-pixel minimum
    for (const [k, x] of best) if (k % 1242 !== 0 && k % 1242 !== 1241) expect(fromRaw.data[k]).toBe(Math.fround(x));
  });
});

describe.skipIf(!haveShared)('KITTI raw on the real sample', () => {
  it('monodepth2 lines: focal 721.5377 and baseline ~0.54 m from the real calib, neighbours, npz GT', async () => {
    const ds = await createDataset('kitti_raw', {
      path: kittiRaw,
      split: { lines: ['2011_09_26/2011_09_26_drive_0023_sync 1 l', '2011_09_26/2011_09_26_drive_0023_sync 2 r'] },
      options: { imageExt: 'png', gt: 'projected_npz', neighbours: [-1, 1] },
    });
    const s = await ds.get(0);
    expect(s.camera.focal).toBe(721.5377);
    expect(s.camera.baseline).toBeGreaterThan(0.53);
    expect(s.camera.baseline).toBeLessThan(0.55);
    expect([s.left.width, s.left.height, s.right!.width]).toEqual([1242, 375, 1242]);
    expect(Object.keys(s.neighbours!).sort()).toEqual(['-1', '1']);
    expect([s.gtDepth!.width, s.gtDepth!.height]).toEqual([1242, 375]);
    const r = await ds.get(1);
    expect(r.camera.baseline).toBeCloseTo(-s.camera.baseline, 10); // side r: partner image_02 sits at -baseline
    expect(r.left.data).not.toEqual(s.left.data);
  });
  it('monodepth v1 pair lines resolve to the same sample', async () => {
    const ds = new KittiRawDataset({
      dataPath: kittiRaw,
      split: { lines: ['2011_09_26/2011_09_26_drive_0023_sync/image_02/data/0000000001.png 2011_09_26/2011_09_26_drive_0023_sync/image_03/data/0000000001.png'] },
    });
    const s = await ds.get(0);
    expect(s.id).toBe('2011_09_26/2011_09_26_drive_0023_sync 1 l');
    expect(s.camera.focal).toBe(721.5377);
  });
  it('a missing image and a missing velodyne scan name the file and the split line', async () => {
    const ds = new KittiRawDataset({ dataPath: kittiRaw, split: { lines: ['2011_09_26/2011_09_26_drive_0023_sync 7 l', '2011_09_26/2011_09_26_drive_0023_sync 1 l'], name: 'my_split.txt' }, imageExt: 'png', gt: 'velodyne' });
    await expect(ds.get(0)).rejects.toThrow(/missing image: .*0000000007\.png.*split my_split\.txt:1/);
    await expect(ds.get(1)).rejects.toThrow(/missing velodyne scan: .*velodyne_points\/data\/0000000001\.bin.*split my_split\.txt:2/);
  });
});

describe.skipIf(!haveShared)('other adapters on real samples', () => {
  it('Cityscapes flattened list: baseline and fx from the camera json, bottom 1/5 crop', async () => {
    const root = join(tmp, 'cs');
    for (const city of ['aachen_000001_000019']) {
      mkdirSync(join(root, 'aachen'), { recursive: true });
      mkdirSync(join(root, 'camera'), { recursive: true });
      copyFileSync(join(sharedData, `cityscapes/leftImg8bit/${city}_leftImg8bit.png`), join(root, 'aachen', `${city}_leftImg8bit.png`));
      copyFileSync(join(sharedData, `cityscapes/rightImg8bit/${city}_rightImg8bit.png`), join(root, 'aachen', `${city}_rightImg8bit.png`));
      copyFileSync(join(sharedData, `cityscapes/camera/${city}_camera.json`), join(root, 'camera', `${city}_camera.json`));
      mkdirSync(join(root, 'disparity'), { recursive: true });
      copyFileSync(join(sharedData, `cityscapes/disparity/${city}_disparity.png`), join(root, 'disparity', `${city}_disparity.png`));
    }
    const ds = await createDataset('cityscapes', {
      path: root, options: { cropBottomFraction: 0.2, loadDisparity: true },
      split: { lines: ['aachen/aachen_000001_000019_leftImg8bit.png aachen/aachen_000001_000019_rightImg8bit.png'] },
    });
    const s = await ds.get(0);
    expect(s.camera.baseline).toBe(0.209313);
    expect(s.camera.focal).toBe(2262.52);
    expect(s.camera.K[5]).toBe(513.137);
    expect([s.left.width, s.left.height, s.right!.height]).toEqual([2048, 820, 820]);
    // SGM disparity d = (p - 1) / 256: the raw maximum is 28414 in the full frame, so nothing can exceed 28413 / 256
    expect([s.gtDisparity!.width, s.gtDisparity!.height]).toEqual([2048, 820]);
    let hi = 0, lo = Infinity;
    for (const v of s.gtDisparity!.data) if (v > 0) { hi = Math.max(hi, v); lo = Math.min(lo, v); }
    expect(hi).toBeLessThanOrEqual(28413 / 256);
    expect(hi).toBeGreaterThan(10);
    expect((lo * 256) % 1).toBe(0);
  });
  it('Cityscapes official tree leftImg8bit/<split>/<city>/ with camera/<split>/<city>/ json', async () => {
    const root = join(tmp, 'cs_official');
    const stem = 'cologne_000088_000019';
    for (const [src, dst] of [
      [`leftImg8bit/${stem}_leftImg8bit.png`, `leftImg8bit/val/cologne/${stem}_leftImg8bit.png`],
      [`rightImg8bit/${stem}_rightImg8bit.png`, `rightImg8bit/val/cologne/${stem}_rightImg8bit.png`],
      [`camera/${stem}_camera.json`, `camera/val/cologne/${stem}_camera.json`],
    ] as const) {
      mkdirSync(join(root, dst, '..'), { recursive: true });
      copyFileSync(join(sharedData, 'cityscapes', src), join(root, dst));
    }
    const ds = await createDataset('cityscapes', { path: root, options: { officialSplit: 'val' } });
    expect(ds.length).toBe(1);
    expect(ds.ref(0).text).toBe(`leftImg8bit/val/cologne/${stem}_leftImg8bit.png`);
    const s = await ds.get(0);
    expect([s.camera.baseline, s.camera.focal, s.left.height]).toEqual([0.209313, 2262.52, 1024]);
  });
  it('KITTI 2015: focal from the width table, disp_noc GT exact /256', async () => {
    const root = join(tmp, 'k15');
    for (const d of ['image_2', 'image_3', 'disp_noc_0']) mkdirSync(join(root, 'training', d), { recursive: true });
    copyFileSync(join(sharedData, 'kitti_stereo2015_devkit/image.png'), join(root, 'training/image_2/000000_10.png'));
    copyFileSync(join(sharedData, 'kitti_stereo2015_devkit/image.png'), join(root, 'training/image_3/000000_10.png'));
    copyFileSync(join(sharedData, 'kitti_stereo2015_devkit/disp_gt.png'), join(root, 'training/disp_noc_0/000000_10.png'));
    const ds = await createDataset('kitti_stereo2015', { path: root, options: { imageExt: 'png' }, split: { lines: ['training/image_2/000000_10.jpg training/image_3/000000_10.jpg'] } });
    const s = await ds.get(0);
    expect(s.camera.focal).toBe(721.5377);
    expect(s.camera.baseline).toBe(0.54);
    let hi = 0;
    for (const v of s.gtDisparity!.data) hi = Math.max(hi, v);
    expect(hi).toBe(29679 / 256); // 115.93 px, the devkit's stated maximum
  });
  it('SimSIN layout: partner view, normalised K scaled to 512x512', async () => {
    const root = join(tmp, 'simsin');
    mkdirSync(join(root, 'replica/room_0'), { recursive: true });
    copyFileSync(join(sharedData, 'simsin_demo/01.png'), join(root, 'replica/room_0/005_0.png'));
    copyFileSync(join(sharedData, 'simsin_demo/02.png'), join(root, 'replica/room_0/005_1.png'));
    const ds = await createDataset('simsin', { path: root, options: {}, split: { lines: ['replica/room_0/000_0 5 l'] } });
    const s = await ds.get(0);
    expect(s.camera.K).toEqual([256, 0, 256, 0, 256, 256, 0, 0, 1]);
    expect(s.left.data).not.toEqual(s.right!.data);
  });
  it('VA layout: camera_0/1 frames and the .pfm GT of the target camera', async () => {
    const root = join(tmp, 'va');
    mkdirSync(join(root, 'camera_0'), { recursive: true });
    mkdirSync(join(root, 'camera_1'), { recursive: true });
    copyFileSync(join(sharedData, 'simsin_demo/01.png'), join(root, 'camera_0/00000012.png'));
    copyFileSync(join(sharedData, 'simsin_demo/02.png'), join(root, 'camera_1/00000012.png'));
    const { writePfm } = await import('../../src/io/pfm.js');
    await writePfm(join(root, 'gt_depth_rectify/cam1_frame0012.depth.pfm'), { data: new Float32Array(4).fill(2.5), width: 2, height: 2 });
    const ds = await createDataset('va', { path: root, options: { loadDepth: true }, split: { lines: ['VA 12 r'] } });
    const s = await ds.get(0);
    expect(s.camera.baseline).toBe(-0.1312);
    expect([...s.gtDepth!.data]).toEqual([2.5, 2.5, 2.5, 2.5]);
    // the rig's baseline is an option (metres; default SimSIN's)
    const wide = await createDataset('va', { path: root, options: { baseline: 0.2 }, split: { lines: ['VA 12 r'] } });
    expect((await wide.get(0)).camera.baseline).toBe(-0.2);
  });
  it('folder pairs with a YAML camera; a missing key is named', async () => {
    const root = join(tmp, 'rig');
    mkdirSync(join(root, 'left'), { recursive: true });
    mkdirSync(join(root, 'right'), { recursive: true });
    copyFileSync(join(sharedData, 'nyu_v2/images/bookstore_0001d_00001.jpg'), join(root, 'left/a.jpg'));
    copyFileSync(join(sharedData, 'nyu_v2/images/bookstore_0001d_00001.jpg'), join(root, 'right/a.jpg'));
    writeFileSync(join(root, 'camera.yaml'), 'fx: 320\nfy: 320\ncx: 160\ncy: 120\nwidth: 320\nheight: 240\nbaseline: 0.12\n');
    const s = await (await createDataset('folder_pairs', { path: root, options: {} })).get(0);
    expect(s.camera.K).toEqual([160, 0, 80, 0, 160, 60, 0, 0, 1]);
    expect(s.camera.baseline).toBe(0.12);
    writeFileSync(join(root, 'camera.yaml'), 'fx: 320\n');
    await expect(createDataset('folder_pairs', { path: root, options: {} })).rejects.toThrow(/missing number 'fy'.*camera\.yaml/);
  });
  it('KITTI improved GT PNG decodes uint16/256 metres', async () => {
    const root = join(tmp, 'kraw');
    const drive = '2011_09_26/2011_09_26_drive_0023_sync';
    for (const c of ['02', '03']) {
      mkdirSync(join(root, drive, `image_${c}/data`), { recursive: true });
      copyFileSync(join(kittiRaw, drive, `image_${c}/data/0000000000.png`), join(root, drive, `image_${c}/data/0000000000.png`));
    }
    copyFileSync(join(kittiRaw, '2011_09_26/calib_cam_to_cam.txt'), join(root, '2011_09_26/calib_cam_to_cam.txt'));
    await writePng16(join(root, drive, 'proj_depth/groundtruth/image_02/0000000000.png'), { data: new Uint16Array(1242 * 375).fill(2560), width: 1242, height: 375 });
    const ds = new KittiRawDataset({ dataPath: root, split: { lines: [`${drive} 0 l`] }, imageExt: 'png', gt: 'improved' });
    expect((await ds.get(0)).gtDepth!.data[777]).toBe(10);
  });
});
