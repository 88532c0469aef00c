import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync, spawnSync } from 'node:child_process';
import { encodeNpy, parseNpy, encodeNpz, parseNpz } from '../../src/io/npy.js';
import { encodeGtFile, readGtFile, readScaledPng16 } from '../../src/eval/gt.js';
import { runEvaluation } from '../../src/eval/run.js';
import { evaluateDepthImage, evaluateKittiStereoImage } from '../../src/eval/protocols.js';
import { generateDepthMap, roundHalfEven } from '../../src/data/velodyne_depth.js';
import { readRawStereoRig } from '../../src/io/kitti_calib.js';
import { fixtureData } from '../helpers/fixtures.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-eval-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const writeNpy = (name: string, shape: number[], values: ArrayLike<number>) => {
  const path = join(dir, name);
  writeFileSync(path, encodeNpy({ shape, data: Float32Array.from(values) }));
  return path;
};

describe('npy / npz / GT cache', () => {
  it('round-trips arrays and GT maps of mixed sizes', () => {
    const a = { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) };
    const back = parseNpy(encodeNpy(a), 'mem');
    expect(back.shape).toEqual([2, 3]);
    expect([...back.data]).toEqual([1, 2, 3, 4, 5, 6.5]);
    const npz = parseNpz(encodeNpz({ data: a }, { compress: true }), 'mem.npz');
    expect([...npz.get('data')!.data]).toEqual([1, 2, 3, 4, 5, 6.5]);
    const maps = [
      { data: new Float32Array([1, 2]), height: 1, width: 2 },
      { data: new Float32Array([3, 4, 5, 6, 7, 8]), height: 2, width: 3 },
    ];
    const path = join(dir, 'gt_mixed.npz');
    writeFileSync(path, encodeGtFile(maps));
    const read = readGtFile(path);
    expect(read.map((m) => [m.height, m.width])).toEqual([[1, 2], [2, 3]]);
    expect([...read[1]!.data]).toEqual([3, 4, 5, 6, 7, 8]);
    const same = join(dir, 'gt_same.npz');
    writeFileSync(same, encodeGtFile([maps[0]!, maps[0]!]));
    expect(readGtFile(same).length).toBe(2);
  });

  it('rounds half to even like numpy.round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, 3]);
  });
});

describe('runEvaluation on crafted files', () => {
  const gtMaps = () => [
    { data: new Float32Array([10, 20, 0, 40]), height: 2, width: 2 },
    { data: new Float32Array([5, 5, 5, 5]), height: 2, width: 2 },
  ];

  it('evaluates eigen_benchmark (mask gt > 0, no crop) with the stereo x5.4 factor and matches per-image evaluation', async () => {
    const gt = join(dir, 'gt_bench.npz');
    writeFileSync(gt, encodeGtFile(gtMaps()));
    // scaled disparities: depth = 1/d * 5.4
    const pred = writeNpy('pred_bench.npy', [2, 2, 2], [0.5, 0.25, 1, 0.1, 1, 1, 1, 1]);
    const r = await runEvaluation({ split: 'eigen_benchmark', predPath: pred, gtPath: gt, convention: 'scaledSigmoid', trainedWith: 'stereo', scaleFactor: 5.4, repoRoot, splitFile: join(repoRoot, 'filenames/monodepth2/eigen_benchmark/test_files.txt') });
    const opts = { protocol: 'monodepth2' as const, crop: 'none' as const, gtMask: { kind: 'positive' as const }, minDepth: 1e-3, maxDepth: 80, scaleFactor: 5.4, medianScaling: false };
    const d0 = evaluateDepthImage(gtMaps()[0]!, { data: new Float32Array([2, 4, 1, 10]), height: 2, width: 2 }, opts).metrics;
    const d1 = evaluateDepthImage(gtMaps()[1]!, { data: new Float32Array([1, 1, 1, 1]), height: 2, width: 2 }, opts).metrics;
    expect(r.metrics.absRel).toBeCloseTo((d0.absRel + d1.absRel) / 2, 12);
    expect(r.metrics.a1).toBeCloseTo((d0.a1 + d1.a1) / 2, 12);
    expect(r.perImage[0]!.validPixels).toBe(3);
    expect(r.settings.medianScaling).toBe(false);
  });

  it('refuses median scaling for a stereo sidecar and fails on NaN, wrong count and wrong shape naming the problem', async () => {
    const gt = join(dir, 'gt_bench2.npz');
    writeFileSync(gt, encodeGtFile(gtMaps()));
    const good = writeNpy('good.npy', [2, 2, 2], new Array(8).fill(0.5));
    const base = { split: 'eigen_benchmark' as const, gtPath: gt, repoRoot, convention: 'scaledSigmoid' as const };
    await expect(runEvaluation({ ...base, predPath: good, trainedWith: 'stereo', medianScaling: true })).rejects.toThrow(/refusing median scaling/);
    const nan = writeNpy('nan.npy', [2, 2, 2], [0.5, 0.5, 0.5, 0.5, 0.5, NaN, 0.5, 0.5]);
    await expect(runEvaluation({ ...base, predPath: nan })).rejects.toThrow(/nan\.npy: image 1 has NaN at row 0, col 1/);
    const three = writeNpy('three.npy', [3, 2, 2], new Array(12).fill(0.5));
    await expect(runEvaluation({ ...base, predPath: three })).rejects.toThrow(/holds 3 predictions but .* has 2 images/);
    const flat = writeNpy('flat.npy', [8], new Array(8).fill(0.5));
    await expect(runEvaluation({ ...base, predPath: flat })).rejects.toThrow(/must be N x H x W.*shape \(8\)/);
    await expect(runEvaluation({ split: 'eigen_benchmark', gtPath: gt, repoRoot, predPath: good })).rejects.toThrow(/convention unknown/);
  });

  it('the CLI writes metrics.json and the per-image CSV', () => {
    const gt = join(dir, 'gt_cli.npz');
    writeFileSync(gt, encodeGtFile(gtMaps()));
    const pred = writeNpy('cli_pred.npy', [2, 2, 2], [0.1, 0.05, 1, 0.025, 0.2, 0.2, 0.2, 0.2]);
    writeFileSync(join(dir, 'cli_pred.json'), JSON.stringify({ convention: 'scaledSigmoid', trainedWith: 'mono' }));
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'eval', '--split', 'eigen_benchmark', '--pred', pred, '--gt', gt, '--csv', join(dir, 'per_image.csv')], { cwd: repoRoot, encoding: 'utf8' });
    expect(out).toMatch(/median scaling on \(mono-trained model\)/);
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    // depths are exact multiples of the GT after median scaling -> image 2 perfect, image 1 too (10,20,40 vs 10,20,40)
    expect(metrics.metrics.absRel).toBeCloseTo(0, 6);
    expect(metrics.metrics.a1).toBe(1);
    expect(readFileSync(join(dir, 'per_image.csv'), 'utf8').split('\n')[0]).toMatch(/^index,absRel,sqRel/);
    // a malformed prediction file: exit code 1 and one line naming the file and image
    const bad = writeNpy('cli_bad.npy', [2, 2, 2], [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, NaN]);
    const res = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'eval', '--split', 'eigen_benchmark', '--pred', bad, '--gt', gt, '--convention', 'scaledSigmoid'], { cwd: repoRoot, encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/stereodepth eval: .*cli_bad\.npy: image 1 has NaN at row 1, col 1/);
  }, 60_000);
});

describe('real KITTI samples (test/fixtures/data)', () => {
  it('velodyne GT of the real scan matches the monodepth2 generate_depth_map reference (count, sum, first/last point)', async () => {
    const d = await generateDepthMap(join(fixtureData, 'kitti_raw/2011_09_26'), join(fixtureData, 'kitti_object/training/velodyne/000001.bin'));
    expect([d.height, d.width]).toEqual([375, 1242]);
    let nz = 0;
    let sum = 0;
    for (const v of d.data) if (v > 0) { nz++; sum += v; }
    // reference values from numpy running generate_depth_map's steps on the same scan and calib
    expect(nz).toBe(18646);
    expect(sum).toBeCloseTo(313171.0139937401, 6);
    expect(d.data[121 * 1242 + 1233]).toBe(Math.fround(11.012999534606934));
    expect(d.data[374 * 1242 + 1187]).toBe(Math.fround(5.539999961853027));
  });

  it('reads focal and baseline from the raw calibration', async () => {
    const { focal, baseline } = await readRawStereoRig(join(fixtureData, 'kitti_raw/2011_09_26/calib_cam_to_cam.txt'));
    expect(focal).toBeCloseTo(721.5377, 4);
    expect(baseline).toBeGreaterThan(0.53);
    expect(baseline).toBeLessThan(0.55);
  });

  it('scores the KITTI 2015 devkit estimate: D1 with >= is at least D1 with >', async () => {
    const gt = await readScaledPng16(join(fixtureData, 'kitti_stereo2015_devkit/disp_gt.png'), 256);
    const est = await readScaledPng16(join(fixtureData, 'kitti_stereo2015_devkit/disp_est.png'), 256);
    const mono = evaluateKittiStereoImage(gt, est, 'disparityPx', 'monodepth');
    const devkit = evaluateKittiStereoImage(gt, est, 'disparityPx', 'devkit');
    expect(mono.validCount).toBe(Math.round(0.2390252281266774 * 375 * 1242));
    expect(mono.d1All).toBeGreaterThanOrEqual(devkit.d1All);
    expect(mono.d1All).toBeGreaterThan(0);
    expect(mono.d1All).toBeLessThan(100);
  });
});

describe("monodepth2's gt_depths.npz (pickled object array)", () => {
  for (const file of ['gt_object_array.npz', 'gt_object_array_stored.npz', 'gt_object_array_protocol3.npz']) {
    it(`reads ${file}`, () => {
      const maps = readGtFile(join(repoRoot, 'test/eval/fixtures', file));
      expect(maps.map((m) => [m.height, m.width])).toEqual([[2, 3], [3, 2]]);
      expect([...maps[0]!.data]).toEqual([0, 1.5, 3, 4.5, 6, 7.5]);
      expect([...maps[1]!.data]).toEqual([7, 8, 9, 10, 11, 12.25]);
    });
  }
});

describe('NYU and MAI splits', () => {
  it('nyu distdepth: align-corners resize, 0.01 < gt <= 10, median scaling, clamp 10', async () => {
    const gt = writeNpy('nyu_gt.npy', [1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 12]);
    // 2x2 depth prediction, align-corners resize to 3x3 gives the exact bilinear midpoints
    const pred = writeNpy('nyu_pred.npy', [1, 2, 2], [2, 6, 14, 18]);
    const r = await runEvaluation({ split: 'nyu', predPath: pred, gtPath: gt, convention: 'depth', trainedWith: 'mono', repoRoot });
    // resized: [2,4,6, 8,10,12, 14,16,18]; mask drops gt 12; median(gt)=4.5, median(pred)=9 -> ratio 0.5
    expect(r.perImage[0]!.ratio).toBeCloseTo(0.5, 7);
    expect(r.metrics.absRel).toBeCloseTo(0, 6);
    expect(r.perImage[0]!.validPixels).toBe(8);
  });

  it('nyu fastdepth: no median scaling, OR mask, same size required', async () => {
    const gt = writeNpy('fd_gt.npy', [1, 1, 3], [0, 2, 4]);
    const pred = writeNpy('fd_pred.npy', [1, 1, 3], [0, 2, 2]);
    const r = await runEvaluation({ split: 'nyu', protocol: 'fastdepth', predPath: pred, gtPath: gt, convention: 'depth', repoRoot });
    expect(r.metrics.maeMm).toBeCloseTo(1000, 6);
    const small = writeNpy('fd_small.npy', [1, 1, 2], [1, 1]);
    await expect(runEvaluation({ split: 'nyu', protocol: 'fastdepth', predPath: small, gtPath: gt, convention: 'depth', repoRoot })).rejects.toThrow(/image 0 is 1x2 but GT is 1x3/);
  });

  it('mai: metres -> uint16 millimetres, then the challenge metrics', async () => {
    const gt = writeNpy('mai_gt.npy', [1, 1, 3], [1000, 2000, 0]);
    const pred = writeNpy('mai_pred.npy', [1, 1, 3], [1.0004, 1.0, 0.005]);
    const r = await runEvaluation({ split: 'mai', predPath: pred, gtPath: gt, convention: 'depth', repoRoot });
    // 1.0004 m -> 1000 mm after truncation
    expect(r.metrics.siRmse).toBeCloseTo(Math.log(2) / 2, 9);
    expect(r.metrics.rmse).toBeCloseTo(Math.sqrt(0.5), 9);
  });
});

describe('DistDepth NYUv2 layout', () => {
  it('reads depth_val/*.npy named by NYUv2.txt and centre-crops 480x640 to 448x608', async () => {
    const { readDistDepthNyuGt } = await import('../../src/eval/run.js');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'NYUv2/depth_val'), { recursive: true });
    const full = new Float32Array(480 * 640).map((_, i) => (i % 640) + 1000 * Math.floor(i / 640));
    writeFileSync(join(dir, 'NYUv2/depth_val/00001.npy'), encodeNpy({ shape: [480, 640], data: full }));
    writeFileSync(join(dir, 'NYUv2.txt'), 'NYUv2/img_val/00001\n');
    const [m] = readDistDepthNyuGt(dir, join(dir, 'NYUv2.txt'));
    expect([m!.height, m!.width]).toEqual([448, 608]);
    expect(m!.data[0]).toBe(16 + 16 * 1000);
    expect(m!.data[448 * 608 - 1]).toBe(623 + 463 * 1000);
  });
});
