/**
 * The image rows of report.html: for a validation / test sample its input, the predicted depth, the ground truth and
 * the abs rel error, as PNGs under <run>/images plus `<split>_rows.json` naming them (so a resumed run's report
 * still finds the rows an earlier process wrote). Depth is shown as inverse depth (magma), one range per row taken
 * from the GT, so prediction and GT are comparable; sparse GT and its error are dilated by one pixel to be visible.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { FloatMap, RgbImage } from '../data/types.js';
import { writeRgb } from '../io/image.js';
import { writeFileAtomic } from '../util/atomic.js';
import { MAGMA_LUT, COLOUR_MAP_SIZE } from '../util/colormap.js';
import type { ImageRow } from './report.js';

export interface PreviewSample {
  id: string;
  left: RgbImage;
  /** Predicted depth in metres at GT size (after the protocol's scale factor / median ratio). */
  depth: Float32Array;
  gt: FloatMap;
  absRel?: number;
}

/** Colours `values` in [0, 1] with magma; NaN = black. */
function colour(values: Float32Array, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    const k = Math.min(COLOUR_MAP_SIZE - 1, Math.max(0, Math.round(v * (COLOUR_MAP_SIZE - 1)))) * 3;
    data[i * 3] = Math.round(MAGMA_LUT[k]! * 255);
    data[i * 3 + 1] = Math.round(MAGMA_LUT[k + 1]! * 255);
    data[i * 3 + 2] = Math.round(MAGMA_LUT[k + 2]! * 255);
  }
  return { data, width, height, channels: 3 };
}

/** Fills NaN pixels from a valid 8-neighbour (sparse LiDAR points become visible 3x3 blobs). */
function dilate(values: Float32Array, width: number, height: number): Float32Array {
  const out = Float32Array.from(values);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!Number.isNaN(values[y * width + x]!)) continue;
      for (let d = 0; d < 9; d++) {
        const yy = y + Math.floor(d / 3) - 1, xx = x + (d % 3) - 1;
        if (yy < 0 || xx < 0 || yy >= height || xx >= width) continue;
        const v = values[yy * width + xx]!;
        if (!Number.isNaN(v)) {
          out[y * width + x] = v;
          break;
        }
      }
    }
  }
  return out;
}

/** Writes the four PNGs of each sample and `<split>_rows.json`; returns the rows and the GT depth range shown. */
export async function writeImageRows(runDir: string, split: string, samples: PreviewSample[]): Promise<{ rows: ImageRow[]; range?: [number, number] }> {
  const rows: ImageRow[] = [];
  let range: [number, number] | undefined;
  for (const [i, s] of samples.entries()) {
    const { width, height } = s.gt;
    let lo = Infinity, hi = 0;
    for (const g of s.gt.data) if (g > 0 && Number.isFinite(g)) { lo = Math.min(lo, g); hi = Math.max(hi, g); }
    if (!(hi > 0)) continue;
    range = [Math.min(range?.[0] ?? lo, lo), Math.max(range?.[1] ?? hi, hi)];
    const inv = (d: number): number => (d > 0 && Number.isFinite(d) ? (1 / d - 1 / hi) / (1 / lo - 1 / hi) : NaN);
    const pred = s.depth.map(inv);
    const gt = new Float32Array(width * height);
    const err = new Float32Array(width * height);
    let sparse = 0;
    for (let k = 0; k < gt.length; k++) {
      const g = s.gt.data[k]!;
      const valid = g > 0 && Number.isFinite(g);
      if (!valid) sparse++;
      gt[k] = valid ? inv(g) : NaN;
      err[k] = valid ? Math.min(1, Math.abs(s.depth[k]! - g) / g / 0.5) : NaN;
    }
    const show = sparse > gt.length / 2 ? (m: Float32Array) => dilate(m, width, height) : (m: Float32Array) => m;
    const name = (kind: string): string => `images/${split}_${i}_${kind}.png`;
    await writeRgb(join(runDir, name('input')), s.left);
    await writeRgb(join(runDir, name('pred')), colour(pred, width, height));
    await writeRgb(join(runDir, name('gt')), colour(show(gt), width, height));
    await writeRgb(join(runDir, name('error')), colour(show(err), width, height));
    rows.push({ id: s.id, input: name('input'), pred: name('pred'), gt: name('gt'), error: name('error'), ...(s.absRel !== undefined ? { absRel: s.absRel } : {}) });
  }
  await writeFileAtomic(join(runDir, 'images', `${split}_rows.json`), JSON.stringify({ rows, range: range ?? null }, null, 1));
  return { rows, ...(range ? { range } : {}) };
}

/** The rows a run wrote for `split` (empty when none). */
export function readImageRows(runDir: string, split: string): { rows: ImageRow[]; range?: [number, number] } {
  const path = join(runDir, 'images', `${split}_rows.json`);
  if (!existsSync(path)) return { rows: [] };
  const j = JSON.parse(readFileSync(path, 'utf8')) as { rows: ImageRow[]; range: [number, number] | null };
  return { rows: j.rows, ...(j.range ? { range: j.range } : {}) };
}
