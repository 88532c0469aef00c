import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync, existsSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/backend/index.js';
import { createDepthNet } from '../../src/models/registry.js';
import type { DepthNet } from '../../src/models/types.js';
import type { RgbImage } from '../../src/data/types.js';
import { predictDisparity, predictSplit, rgbToNetInput, type SplitImage } from '../../src/infer/predict.js';
import { writePredictionsNpy } from '../../src/infer/write.js';
import { predictImageFiles, type ImagePredictionIndex } from '../../src/infer/images.js';
import { postProcessDisparity } from '../../src/eval/postprocess.js';
import { resizeBilinearCv2 } from '../../src/eval/resize.js';
import { readPredictionSidecar } from '../../src/eval/convert.js';
import { scaleSigmoidDisparity } from '../../src/models/output_convention.js';
import { encodeGtFile } from '../../src/eval/gt.js';
import { runEvaluation } from '../../src/eval/run.js';
import { readNpy } from '../../src/io/npy.js';
import { readPng16, readRgb, writeRgb } from '../../src/io/image.js';
import { Rng } from '../../src/util/random.js';
import { testBackends } from '../helpers/backends.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const H = 64;
const W = 64;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-infer-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomRgb(height: number, width: number, seed: number): RgbImage {
  const rng = new Rng(seed);
  return { data: new Uint8Array(height * width * 3).map(() => Math.floor(rng.uniform(0, 256))), width, height, channels: 3 };
}

/**
 * monodepth2-style (1 channel, sigmoid) or monodepth v1-style (2 channels: left, right; 0.3 x sigmoid) ResNet18 nets,
 * one per backend and kind: drawing 14 M initial weights takes seconds.
 */
const nets = new Map<string, DepthNet>();
function tinyNet(channels: 1 | 2): DepthNet {
  const key = `${tf.getBackend()}/${channels}`;
  let net = nets.get(key);
  if (!net) {
    net = createDepthNet({
      encoder: { numLayers: 18, seed: 3 },
      decoder: channels === 2 ? { numOutputChannels: 2, outputScale: 0.3, seed: 4 } : { seed: 4 },
    });
    nets.set(key, net);
  }
  return net;
}
afterAll(() => nets.forEach((net) => net.dispose()));

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number): number => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
  return worst;
};

// Not on cpu: the pure-JS backend needs ~1.3 s per 64x64 ResNet18 pass (64x64 is the smallest size the decoder's
// reflect padding accepts), and src/infer has no backend-specific code.
describe.each(testBackends().filter((b) => b !== 'cpu'))('predictDisparity on %s', (backend) => {
  let net: DepthNet;
  beforeAll(async () => {
    await initBackend(backend);
    net = tinyNet(2);
  });

  it('returns channel 0 (left) of the full-resolution disparity, [B, H, W, 1], without leaking', () => {
    const x = tf.randomUniform([2, H, W, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const d = predictDisparity(net, x, { postProcess: false });
    expect(d.shape).toEqual([2, H, W, 1]);
    const both = tf.tidy(() => net.apply(x, { training: false }).disparities[0]!.arraySync() as number[][][][]);
    const values = d.dataSync();
    const left = both.flat(2).map((c) => c[0]!);
    const right = both.flat(2).map((c) => c[1]!);
    close(values, left, 0);
    expect(Math.max(...right.map((r, i) => Math.abs(r - left[i]!)))).toBeGreaterThan(1e-4); // channel 1 really differs
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('post-processing equals postProcessDisparity on the passes over the image and its flip, without leaking', () => {
    const x = tf.randomUniform([2, H, W, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const pp = predictDisparity(net, x, { postProcess: true });
    expect(pp.shape).toEqual([2, H, W, 1]);
    expect(tf.memory().numTensors).toBe(before + 1);
    // by hand: two separate passes, channel 0, then eval/postprocess on each image
    const plain = tf.tidy(() => tf.slice(net.apply(x, { training: false }).disparities[0]!, [0, 0, 0, 0], [-1, -1, -1, 1]).dataSync());
    const flipped = tf.tidy(() => tf.slice(net.apply(tf.reverse(x, 2), { training: false }).disparities[0]!, [0, 0, 0, 0], [-1, -1, -1, 1]).dataSync());
    const got = pp.dataSync();
    for (let i = 0; i < 2; i++) {
      const plane = (v: Float32Array | Int32Array | Uint8Array) => ({ data: Float32Array.from(v.subarray(i * H * W, (i + 1) * H * W)), height: H, width: W });
      const want = postProcessDisparity(plane(plain), plane(flipped)).data;
      close(got.subarray(i * H * W, (i + 1) * H * W), want, 1e-6);
      // and it is not the raw prediction: the centre columns average two different passes
      const centre = (H / 2) * W + W / 2;
      expect(Math.abs(got[i * H * W + centre]! - plain[i * H * W + centre]!)).toBeGreaterThan(1e-6);
    }
    pp.dispose();
    x.dispose();
  });

  it('rejects a non-RGB batch naming the shape', () => {
    const x = tf.zeros([1, H, W, 1]) as tf.Tensor4D;
    expect(() => predictDisparity(net, x, { postProcess: false })).toThrow(/expected an image batch \[B, H, W, 3\].*\[1, 64, 64, 1\]/);
    x.dispose();
  });
});

describe('predictSplit and the prediction files eval reads', () => {
  let net: DepthNet;
  beforeAll(async () => {
    await initBackend('wasm');
    net = tinyNet(1);
  });

  it('rgbToNetInput: bytes / 255 at the same size, cv2-like half-pixel bilinear otherwise', () => {
    const rgb = randomRgb(40, 90, 5);
    const same = rgbToNetInput(rgb, 40, 90);
    close(same.dataSync(), Array.from(rgb.data, (v) => v / 255), 1e-7);
    const resized = rgbToNetInput(rgb, H, W);
    expect(resized.shape).toEqual([1, H, W, 3]);
    const got = resized.dataSync();
    for (let c = 0; c < 3; c++) {
      const plane = { data: Float32Array.from({ length: 40 * 90 }, (_, i) => rgb.data[i * 3 + c]! / 255), height: 40, width: 90 };
      const want = resizeBilinearCv2(plane, H, W).data;
      close(Array.from({ length: H * W }, (_, i) => got[i * 3 + c]!), want, 1e-5);
    }
    tf.dispose([same, resized]);
    expect(() => rgbToNetInput({ ...rgb, data: rgb.data.subarray(1) }, H, W, 'img7')).toThrow(/expected 90x40x3 RGB bytes.*img7/);
  });

  it('batches images of mixed sizes in order (array and stream give the same), with pp, progress and no leaks', async () => {
    const images: SplitImage[] = [randomRgb(40, 60, 1), randomRgb(64, 64, 2), randomRgb(80, 50, 3)].map((rgb, i) => ({ id: `img${i}`, rgb }));
    const before = tf.memory().numTensors;
    const progress: Array<[number, number | undefined]> = [];
    const r = await predictSplit(net, images, { height: H, width: W, batchSize: 2, postProcess: true, onProgress: (d, t) => progress.push([d, t]) });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress).toEqual([[2, 3], [3, 3]]);
    expect([r.n, r.height, r.width, r.ids]).toEqual([3, H, W, ['img0', 'img1', 'img2']]);
    expect(r.disparities.length).toBe(3 * H * W);
    for (const [i, item] of images.entries()) {
      const x = rgbToNetInput(item.rgb, H, W);
      const d = predictDisparity(net, x, { postProcess: false });
      const p = predictDisparity(net, x, { postProcess: true });
      close(r.disparities.subarray(i * H * W, (i + 1) * H * W), d.dataSync(), 1e-5);
      close(r.pp!.subarray(i * H * W, (i + 1) * H * W), p.dataSync(), 1e-5);
      tf.dispose([x, d, p]);
    }
    async function* stream() { for (const item of images) yield item; }
    const s = await predictSplit(net, stream(), { height: H, width: W, batchSize: 2, postProcess: false });
    expect(s.pp).toBeUndefined();
    close(s.disparities, r.disparities, 1e-6);
    await expect(predictSplit(net, [], { height: H, width: W, batchSize: 2, postProcess: false })).rejects.toThrow(/no images/);
  });

  it('writePredictionsNpy -> runEvaluation reads the convention and depth range from the sidecar', async () => {
    const n = 2, h = 4, w = 6;
    const rng = new Rng(11);
    const disparities = new Float32Array(n * h * w).map(() => rng.uniform(0.05, 0.95));
    const pp = disparities.map((v) => v * 0.5);
    // GT = exactly the depth the sidecar's convention gives (minDepth 0.5 / maxDepth 50, not eval's 0.1 / 100 defaults)
    const gtOf = (vals: Float32Array) => [0, 1].map((i) => ({
      data: Float32Array.from(vals.subarray(i * h * w, (i + 1) * h * w), (v) => 1 / scaleSigmoidDisparity(v, 0.5, 50)),
      height: h, width: w,
    }));
    const out = join(dir, 'split');
    const paths = await writePredictionsNpy(out, { disparities, pp, n, height: h, width: w }, { convention: 'sigmoid', trainedWith: 'stereo', minDepth: 0.5, maxDepth: 50 });
    expect(paths).toEqual({ disparities: join(out, 'disparities.npy'), pp: join(out, 'disparities_pp.npy') });
    const npy = await readNpy(paths.disparities);
    expect(npy.shape).toEqual([2, 4, 6]);
    close(npy.data, disparities, 0);
    const side = readPredictionSidecar(paths.pp!);
    expect(side).toMatchObject({ convention: 'sigmoid', postProcessed: true, count: 2, height: 4, width: 6 });
    const gtPath = join(dir, 'gt_split.npz');
    writeFileSync(gtPath, encodeGtFile(gtOf(disparities)));
    const base = { split: 'eigen_benchmark' as const, gtPath, repoRoot, splitFile: join(repoRoot, 'filenames/monodepth2/eigen_benchmark/test_files.txt') };
    const r = await runEvaluation({ ...base, predPath: paths.disparities, sidecar: readPredictionSidecar(paths.disparities)! });
    expect(r.settings).toMatchObject({ convention: 'sigmoid', trainedWith: 'stereo', medianScaling: false });
    expect(r.metrics.absRel).toBeLessThan(1e-6);
    expect(r.metrics.a1).toBe(1);
    // the post-processed file is its own prediction (half the disparity): not the same depth
    const rpp = await runEvaluation({ ...base, predPath: paths.pp!, sidecar: readPredictionSidecar(paths.pp!)! });
    expect(rpp.metrics.absRel).toBeGreaterThan(0.1);
    // an invalid sidecar is refused before anything is written
    const bad = join(dir, 'bad');
    await expect(writePredictionsNpy(bad, { disparities, n, height: h, width: w }, { convention: 'bogus' as 'sigmoid' })).rejects.toThrow(/bad\/disparities\.json: refusing.*convention/);
    expect(existsSync(join(bad, 'disparities.npy'))).toBe(false);
    await expect(writePredictionsNpy(bad, { disparities, n: 3, height: h, width: w }, { convention: 'sigmoid' })).rejects.toThrow(/48 values do not make 3 x 4 x 6/);
  });
});

describe('predictImageFiles', () => {
  let net1: DepthNet;
  let net2: DepthNet;
  const inputs: string[] = [];
  beforeAll(async () => {
    await initBackend('wasm');
    net1 = tinyNet(1);
    net2 = tinyNet(2);
    mkdirSync(join(dir, 'in'), { recursive: true });
    for (const [name, h, w] of [['wide', 30, 50], ['tall', 70, 40]] as const) {
      const p = join(dir, 'in', `${name}.png`);
      await writeRgb(p, randomRgb(h, w, h));
      inputs.push(p);
    }
  });

  it('sigmoid net trained with stereo: metric depth at each image size, colour PNG, 16-bit PNG = depth x 256, npy', async () => {
    const out = join(dir, 'out_sigmoid');
    const before = tf.memory().numTensors;
    const index = await predictImageFiles(net1, inputs, { height: H, width: W, outDir: out, convention: 'sigmoid', trainedWith: 'stereo', minDepth: 0.1, maxDepth: 100, postProcess: true });
    expect(tf.memory().numTensors).toBe(before);
    expect(JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(index)));
    expect(index.images.map((r) => [r.name, r.height, r.width, r.depthKind])).toEqual([['wide', 30, 50, 'metric'], ['tall', 70, 40, 'metric']]);
    for (const [i, rec] of index.images.entries()) {
      const depth = await readNpy(join(out, rec.depthNpy));
      expect(depth.shape).toEqual([rec.height, rec.width]);
      expect(depth.data).toBeInstanceOf(Float32Array);
      // by hand: predict at 64x64 with pp, cv2 resize to the image size, depth = 1 / disp_to_depth(sigmoid)
      const x = rgbToNetInput(await readRgb(inputs[i]!), H, W);
      const d = predictDisparity(net1, x, { postProcess: true });
      const resized = resizeBilinearCv2({ data: d.dataSync() as Float32Array, height: H, width: W }, rec.height, rec.width).data;
      tf.dispose([x, d]);
      close(depth.data, Array.from(resized, (v) => 1 / scaleSigmoidDisparity(v, 0.1, 100)), 1e-4);
      const png = await readPng16(join(out, rec.depthPng));
      expect([png.height, png.width]).toEqual([rec.height, rec.width]);
      close(Array.from(png.data, (v) => v / 256), depth.data, 1 / 256);
      const colour = await readRgb(join(out, rec.disparityPng));
      expect([colour.height, colour.width]).toEqual([rec.height, rec.width]);
      expect(new Set(colour.data).size).toBeGreaterThan(10);
      expect(rec.validPixels).toBe(rec.height * rec.width);
    }
  });

  it('width-fraction net: relative depth without a camera, metric f b / (v W) with one (ratio f b / W per image)', async () => {
    const rel = await predictImageFiles(net2, inputs, { height: H, width: W, outDir: join(dir, 'out_rel'), convention: 'widthFraction', camera: null, postProcess: false });
    const camera = { focal: 120, baseline: 0.25 };
    const met = await predictImageFiles(net2, inputs, { height: H, width: W, outDir: join(dir, 'out_met'), convention: 'widthFraction', camera, postProcess: false });
    expect(rel.images.map((r) => r.depthKind)).toEqual(['relative', 'relative']);
    expect(rel.notes.join(' ')).toMatch(/RELATIVE/);
    expect(met.images.map((r) => r.depthKind)).toEqual(['metric', 'metric']);
    expect(JSON.parse(readFileSync(join(dir, 'out_met', 'predictions.json'), 'utf8')).camera).toEqual(camera);
    for (const [i, rec] of met.images.entries()) {
      const m = (await readNpy(join(dir, 'out_met', rec.depthNpy))).data;
      const r = (await readNpy(join(dir, 'out_rel', rel.images[i]!.depthNpy))).data;
      close(Array.from(m, (v, k) => v / r[k]!), new Array(m.length).fill((camera.focal * camera.baseline) / rec.width), 1e-5);
    }
  });

  it('errors name the file at fault', async () => {
    const broken = join(dir, 'in', 'broken.png');
    writeFileSync(broken, Buffer.from('not an image at all'));
    const opts = { height: H, width: W, outDir: join(dir, 'out_err'), convention: 'sigmoid' as const, postProcess: false };
    await expect(predictImageFiles(net1, [inputs[0]!, broken], opts)).rejects.toThrow(/broken\.png/);
    await expect(predictImageFiles(net1, [join(dir, 'in', 'absent.jpg')], opts)).rejects.toThrow(/missing image.*absent\.jpg/);
    mkdirSync(join(dir, 'in2'), { recursive: true });
    const twin = join(dir, 'in2', 'wide.jpg');
    await expect(predictImageFiles(net1, [inputs[0]!, twin], opts)).rejects.toThrow(/same outputs 'wide_\*'.*in\/wide\.png and .*in2\/wide\.jpg/);
    const idx: ImagePredictionIndex = await predictImageFiles(net1, [inputs[0]!], { ...opts, camera: { focal: 1, baseline: 1 } });
    expect(idx.notes.join(' ')).toMatch(/camera ignored/);
    expect(idx.images[0]!.depthKind).toBe('relative');
  });
});
