/**
 * The indoor and phone splits: NYUv2 (DistDepth protocol with median scaling, or fast-depth's metrics at the network
 * resolution) and MAI 2021 (depth in millimetres, uint16-quantised like the challenge submissions).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseNpy } from '../io/npy.js';
import { readGtFile, readPng16 } from './gt.js';
import { fastDepthMetrics, maiMetrics } from './metrics.js';
import { evaluateDepthImage, predictionToDepth } from './protocols.js';
import type { PlaneMap } from './resize.js';
import { checkCount, decideMedianScaling, type EvalContext } from './run_context.js';

/** NYUv2: DistDepth (align-corners resize, 0.01 < gt <= 10, median scaling for mono) or fast-depth (mm, same size). */
export async function evaluateNyu(ctx: EvalContext): Promise<void> {
  const { opts, protocol, preds, scaleFactor, convention } = ctx;
  if (protocol !== 'distdepth' && protocol !== 'fastdepth') throw new Error(`split nyu: --protocol must be distdepth or fastdepth, got ${protocol}`);
  let gts: PlaneMap[];
  if (opts.gtPath) gts = readGtFile(opts.gtPath);
  else if (opts.dataPath && opts.splitFile) gts = readDistDepthNyuGt(opts.dataPath, opts.splitFile);
  else throw new Error('split nyu needs --gt <N x H x W depth in metres (.npy) or GT .npz>, or --data-path with --split-file NYUv2.txt (DistDepth layout)');
  checkCount(preds, gts.length, opts.predPath, opts.gtPath ?? opts.splitFile!);
  if (protocol === 'distdepth') {
    const { medianScaling, note } = decideMedianScaling(protocol, ctx.trainedWith ?? 'mono', opts.medianScaling, opts.forceMedianScaling ?? false);
    ctx.notes.push(note);
    Object.assign(ctx.settings, { medianScaling, gtMask: '0.01 < gt <= 10', minDepth: 1e-3, maxDepth: 10, resize: 'bilinear align_corners=True' });
    for (let i = 0; i < preds.length; i++) {
      const gt = gts[i]!;
      const depth = predictionToDepth(preds[i]!, gt.height, gt.width, { convention, ...ctx.depthCtx }, 'alignCorners');
      const r = evaluateDepthImage(gt, depth, { protocol: 'monodepth2', crop: 'none', gtMask: { kind: 'range', min: 0.01, max: 10, maxInclusive: true }, minDepth: 1e-3, maxDepth: 10, scaleFactor, medianScaling }, `${opts.predPath} image ${i}`);
      ctx.perImage.push({ ...r.metrics, validPixels: r.validCount, ...(r.ratio !== undefined ? { ratio: r.ratio } : {}) });
    }
    return;
  }
  Object.assign(ctx.settings, { mask: '(gt > 0) OR (pred > 0)', units: 'mm' });
  for (let i = 0; i < preds.length; i++) {
    const gt = gts[i]!;
    const p = preds[i]!;
    if (p.height !== gt.height || p.width !== gt.width) {
      throw new Error(`${opts.predPath}: image ${i} is ${p.height}x${p.width} but GT is ${gt.height}x${gt.width}; fast-depth compares at the network resolution (224x224)`);
    }
    const depth = predictionToDepth(p, gt.height, gt.width, { convention, ...ctx.depthCtx });
    if (scaleFactor !== 1) for (let k = 0; k < depth.data.length; k++) depth.data[k] = depth.data[k]! * scaleFactor;
    ctx.perImage.push({ ...fastDepthMetrics(gt.data, depth.data) });
  }
}

/** MAI 2021: GT depth PNGs in millimetres; predictions to mm (x scale x 1000), quantised to uint16 by default. */
export async function evaluateMai(ctx: EvalContext): Promise<void> {
  const { opts, preds, scaleFactor } = ctx;
  let gtsMm: PlaneMap[];
  if (opts.gtPath) gtsMm = readGtFile(opts.gtPath);
  else if (opts.dataPath) {
    const dir = existsSync(join(opts.dataPath, 'depth')) ? join(opts.dataPath, 'depth') : opts.dataPath;
    const files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.png')).sort();
    gtsMm = [];
    for (const f of files) {
      const png = await readPng16(join(dir, f));
      gtsMm.push({ data: Float64Array.from(png.data), height: png.height, width: png.width });
    }
  } else throw new Error('split mai needs --data-path <folder with depth/*.png in mm> or --gt <N x H x W mm .npy>');
  checkCount(preds, gtsMm.length, opts.predPath, opts.gtPath ?? opts.dataPath!);
  const quantize = opts.maiQuantize ?? true;
  Object.assign(ctx.settings, { units: 'mm', quantizeUint16: quantize });
  for (let i = 0; i < preds.length; i++) {
    const gt = gtsMm[i]!;
    const depth = predictionToDepth(preds[i]!, gt.height, gt.width, { convention: ctx.convention, ...ctx.depthCtx });
    const mm = new Float64Array(depth.data.length);
    for (let k = 0; k < mm.length; k++) {
      const v = depth.data[k]! * scaleFactor * 1000;
      mm[k] = quantize ? Math.trunc(Math.min(Math.max(v, 1), 65535)) : v;
    }
    ctx.perImage.push({ ...maiMetrics(gt.data, mm) });
  }
}

/**
 * DistDepth's NYUv2 GT: one line per image of NYUv2.txt (no extension), depth file = line with 'img' -> 'depth'
 * + '.npy' (metres); 480x640 maps are centre-cropped to 448x608 as DistDepth crops its inputs (ANCHORS §5.4).
 */
export function readDistDepthNyuGt(dataPath: string, splitFile: string): PlaneMap[] {
  if (!existsSync(splitFile)) throw new Error(`${splitFile}: split file not found`);
  const lines = readFileSync(splitFile, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.map((line, i) => {
    const path = join(dataPath, line.replace('img', 'depth') + '.npy');
    if (!existsSync(path)) throw new Error(`${splitFile}:${i + 1}: GT depth ${path} not found`);
    const arr = parseNpy(new Uint8Array(readFileSync(path)), path);
    const shape = arr.shape.filter((d) => d !== 1);
    if (shape.length !== 2) throw new Error(`${path}: expected a 2-D depth map, got shape (${arr.shape.join(', ')})`);
    const [h, w] = shape as [number, number];
    const src = arr.data;
    if (h === 480 && w === 640) {
      const out = new Float32Array(448 * 608);
      for (let y = 0; y < 448; y++) for (let x = 0; x < 608; x++) out[y * 608 + x] = src[(y + 16) * 640 + x + 16]!;
      return { data: out, height: 448, width: 608 };
    }
    return { data: Float32Array.from(src), height: h, width: w };
  });
}
