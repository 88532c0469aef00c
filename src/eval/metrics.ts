/**
 * Depth and disparity metrics of the reference evaluation scripts, on plain arrays (float64 sums).
 *
 * One implementation: `stereodepth eval` and the trainer's validation both call these.
 * Inputs are the already-masked valid pixels (gt and pred of equal length). Element-wise ratios that the
 * references compute in float32 (numpy on float32 arrays) are rounded with Math.fround where a threshold
 * decision depends on them, so that a1/a2/a3 and D1 counts match the scripts pixel for pixel.
 */

/** The seven KITTI depth metrics (monodepth `compute_errors`, monodepth2 `evaluate_depth.compute_errors`). */
export interface DepthMetrics {
  absRel: number;
  sqRel: number;
  rmse: number;
  rmseLog: number;
  a1: number;
  a2: number;
  a3: number;
}

export const DEPTH_METRIC_NAMES = ['absRel', 'sqRel', 'rmse', 'rmseLog', 'a1', 'a2', 'a3'] as const;

function checkPaired(gt: ArrayLike<number>, pred: ArrayLike<number>, what: string): void {
  if (gt.length !== pred.length) {
    throw new Error(`${what}: gt has ${gt.length} values but pred has ${pred.length}; expected equal lengths`);
  }
  if (gt.length === 0) throw new Error(`${what}: no valid pixels (empty mask); expected at least one`);
}

/**
 * abs_rel = mean|g-p|/g, sq_rel = mean (g-p)^2/g, rmse = sqrt(mean (g-p)^2), rmse_log = sqrt(mean (ln g - ln p)^2),
 * a_k = mean(max(g/p, p/g) < 1.25^k) — monodepth `utils/evaluation_utils.compute_errors`, monodepth2
 * `evaluate_depth.compute_errors` (ANCHORS §6.1). Strict `<`: a ratio of exactly 1.25 is NOT within a1.
 * `float32Ratios` (default true) rounds g/p and p/g to float32 like numpy on float32 arrays.
 */
export function computeDepthMetrics(
  gt: ArrayLike<number>,
  pred: ArrayLike<number>,
  options: { float32Ratios?: boolean } = {},
): DepthMetrics {
  checkPaired(gt, pred, 'computeDepthMetrics');
  const f32 = options.float32Ratios ?? true;
  const t1 = 1.25;
  const t2 = 1.25 ** 2;
  const t3 = 1.25 ** 3;
  let absRel = 0;
  let sqRel = 0;
  let sq = 0;
  let sqLog = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  const n = gt.length;
  for (let i = 0; i < n; i++) {
    const g = gt[i]!;
    const p = pred[i]!;
    let gOverP = g / p;
    let pOverG = p / g;
    if (f32) {
      gOverP = Math.fround(gOverP);
      pOverG = Math.fround(pOverG);
    }
    const thresh = Math.max(gOverP, pOverG);
    if (thresh < t1) a1++;
    if (thresh < t2) a2++;
    if (thresh < t3) a3++;
    const diff = g - p;
    absRel += Math.abs(diff) / g;
    sqRel += (diff * diff) / g;
    sq += diff * diff;
    const dl = Math.log(g) - Math.log(p);
    sqLog += dl * dl;
  }
  return {
    absRel: absRel / n,
    sqRel: sqRel / n,
    rmse: Math.sqrt(sq / n),
    rmseLog: Math.sqrt(sqLog / n),
    a1: a1 / n,
    a2: a2 / n,
    a3: a3 / n,
  };
}

/** Arithmetic mean of each named metric over images (the references average per-image metrics). */
export function averageMetrics<K extends string>(perImage: ReadonlyArray<Record<K, number>>): Record<K, number> {
  if (perImage.length === 0) throw new Error('averageMetrics: no images to average');
  const keys = Object.keys(perImage[0]!) as K[];
  const out = {} as Record<K, number>;
  for (const k of keys) {
    let s = 0;
    for (const m of perImage) s += m[k];
    out[k] = s / perImage.length;
  }
  return out;
}

/**
 * numpy's median: sorts and, for an even count, averages the two middle values.
 * `float32` (default false) returns the float32 result numpy gives for a float32 array
 * (the mean of the two middle values computed in float32).
 */
export function median(values: ArrayLike<number>, options: { float32?: boolean } = {}): number {
  const n = values.length;
  if (n === 0) throw new Error('median: empty input; expected at least one value');
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const mid = n >> 1;
  if (n % 2 === 1) return sorted[mid]!;
  const a = sorted[mid - 1]!;
  const b = sorted[mid]!;
  return options.float32 ? Math.fround(Math.fround(a + b) / 2) : (a + b) / 2;
}

/**
 * torch.median: for an even count it returns the LOWER of the two middle values (not their mean) — what
 * monodepth2's training-time depth monitor uses.
 */
export function medianLower(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) throw new Error('medianLower: empty input; expected at least one value');
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return sorted[(n - 1) >> 1]!;
}

/** Which comparison the D1 outlier test uses. */
export type D1Comparison = 'monodepth' | 'devkit';

/**
 * D1-all in percent: a pixel is bad when |d_gt - d_pred| (>= or >) 3 px AND |Δd|/d_gt (>= or >) 0.05.
 * monodepth `evaluate_kitti.py` uses `>=` (default, 'monodepth'); the KITTI 2015 devkit uses `>` ('devkit').
 * Inputs: valid pixels only (gt disparity > 0), disparities in pixels. Differences and the relative error are
 * rounded to float32 as numpy computes them on float32 disparity arrays.
 */
export function d1All(
  gtDisp: ArrayLike<number>,
  predDisp: ArrayLike<number>,
  comparison: D1Comparison = 'monodepth',
  options: { float32?: boolean } = {},
): number {
  checkPaired(gtDisp, predDisp, 'd1All');
  const f32 = options.float32 ?? true;
  let bad = 0;
  for (let i = 0; i < gtDisp.length; i++) {
    const g = gtDisp[i]!;
    let diff = Math.abs(g - predDisp[i]!);
    if (f32) diff = Math.fround(diff);
    let rel = diff / g;
    if (f32) rel = Math.fround(rel);
    const isBad = comparison === 'devkit' ? diff > 3 && rel > 0.05 : diff >= 3 && rel >= 0.05;
    if (isBad) bad++;
  }
  return (100 * bad) / gtDisp.length;
}

/** fast-depth NYUv2 metrics (depth in metres in, as fast-depth's `Result` reports). */
export interface FastDepthMetrics {
  /** millimetres, as fast-depth computes it */
  rmseMm: number;
  /** the README's unit */
  rmseMetres: number;
  maeMm: number;
  absRel: number;
  lg10: number;
  delta1: number;
  delta2: number;
  delta3: number;
  irmse: number;
  imae: number;
}

/**
 * fast-depth `metrics.py Result.evaluate` (ANCHORS §3.5): valid = (gt > 0) OR (pred > 0) — the OR is the
 * reference's quirk, kept on purpose; depths x1000 (millimetres) before every error, so rmse/mae are in mm
 * (rmseMetres = rmseMm / 1000, the README's unit); lg10 = mean|log10 p - log10 g|; delta_k = mean(max(p/g, g/p) < 1.25^k);
 * irmse/imae on inverse millimetres (1/p_mm - 1/g_mm). Takes the full maps (the mask is applied here).
 * Pixels where one of gt/pred is 0 give inf/NaN terms exactly as the reference would; callers usually pass
 * predictions that are positive everywhere, which makes the mask gt > 0 in practice.
 */
export function fastDepthMetrics(gtMetres: ArrayLike<number>, predMetres: ArrayLike<number>): FastDepthMetrics {
  checkPaired(gtMetres, predMetres, 'fastDepthMetrics');
  let n = 0;
  let se = 0;
  let ae = 0;
  let rel = 0;
  let lg = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let ise = 0;
  let iae = 0;
  for (let i = 0; i < gtMetres.length; i++) {
    const gm = gtMetres[i]!;
    const pm = predMetres[i]!;
    if (!(gm > 0 || pm > 0)) continue;
    n++;
    const g = gm * 1000;
    const p = pm * 1000;
    const diff = Math.abs(p - g);
    se += diff * diff;
    ae += diff;
    rel += diff / g;
    lg += Math.abs(Math.log10(p) - Math.log10(g));
    const r = Math.max(p / g, g / p);
    if (r < 1.25) d1++;
    if (r < 1.25 ** 2) d2++;
    if (r < 1.25 ** 3) d3++;
    const ig = 1 / g;
    const ip = 1 / p;
    ise += (ip - ig) ** 2;
    iae += Math.abs(ip - ig);
  }
  if (n === 0) throw new Error('fastDepthMetrics: no valid pixels ((gt > 0) OR (pred > 0) is empty)');
  return {
    rmseMm: Math.sqrt(se / n),
    rmseMetres: Math.sqrt(se / n) / 1000,
    maeMm: ae / n,
    absRel: rel / n,
    lg10: lg / n,
    delta1: d1 / n,
    delta2: d2 / n,
    delta3: d3 / n,
    irmse: Math.sqrt(ise / n),
    imae: iae / n,
  };
}

/** MAI 2021 challenge metrics (aiff22/MAI-2021-Workshop `losses_python.py`, ANCHORS §3.6). */
export interface MaiMetrics {
  siRmse: number;
  rmse: number;
  log10: number;
  rel: number;
}

/**
 * Inputs: full depth maps in MILLIMETRES (uint16 PNG values). Values < 1 are set to 1 (both maps), mask = gt > 1,
 * n = mask count. RMSE = sqrt(sum(((g-p) m / 1000)^2) / n) in metres; si-RMSE = sqrt(mean(e^2) - mean(e)^2),
 * e = (ln p - ln g) m (natural log, Eigen et al.); LOG10 = mean |log10 p - log10 g| m; REL = mean |p-g| m / g.
 */
export function maiMetrics(gtMm: ArrayLike<number>, predMm: ArrayLike<number>): MaiMetrics {
  checkPaired(gtMm, predMm, 'maiMetrics');
  let n = 0;
  let se = 0;
  let sumE = 0;
  let sumE2 = 0;
  let lg = 0;
  let rel = 0;
  for (let i = 0; i < gtMm.length; i++) {
    const g = Math.max(gtMm[i]!, 1);
    const p = Math.max(predMm[i]!, 1);
    if (!(g > 1)) continue;
    n++;
    const d = (g - p) / 1000;
    se += d * d;
    const e = Math.log(p) - Math.log(g);
    sumE += e;
    sumE2 += e * e;
    lg += Math.abs(Math.log10(p) - Math.log10(g));
    rel += Math.abs(p - g) / g;
  }
  if (n === 0) throw new Error('maiMetrics: no valid pixels (gt > 1 mm is empty)');
  return {
    siRmse: Math.sqrt(sumE2 / n - (sumE * sumE) / (n * n)),
    rmse: Math.sqrt(se / n),
    log10: lg / n,
    rel: rel / n,
  };
}
