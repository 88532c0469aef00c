/**
 * Writes split predictions where `stereodepth eval` reads them: `disparities.npy` (N x H x W float32) and, when
 * post-processed, `disparities_pp.npy`, each with its sidecar `<name>.json` (eval/convert.ts schema) stating the
 * convention, so `stereodepth eval --pred <dir>/disparities.npy` needs no --convention.
 */
import { join } from 'node:path';
import { writeNpy } from '../io/npy.js';
import { writeFileAtomic } from '../util/atomic.js';
import { predictionSidecarSchema, sidecarPathFor, type PredictionSidecar } from '../eval/convert.js';

export interface PredictionArrays {
  disparities: Float32Array;
  pp?: Float32Array;
  n: number;
  height: number;
  width: number;
}

/** What the caller knows about the predictions; size, count and postProcessed are filled in from the arrays. */
export type PredictionSidecarInput = Omit<PredictionSidecar, 'count' | 'height' | 'width' | 'postProcessed'>;

export interface WrittenPredictions {
  disparities: string;
  pp?: string;
}

/** Validates a sidecar against the schema eval reads, naming the file and the keys at fault. */
function validSidecar(sidecar: PredictionSidecar, path: string): PredictionSidecar {
  const parsed = predictionSidecarSchema.safeParse(sidecar);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${path}: refusing to write an invalid prediction sidecar: ${issues}`);
  }
  return parsed.data;
}

/** Writes the .npy files and their sidecars atomically (each .npy before its sidecar); returns the .npy paths. */
export async function writePredictionsNpy(dir: string, preds: PredictionArrays, sidecar: PredictionSidecarInput): Promise<WrittenPredictions> {
  const { n, height, width } = preds;
  const expected = n * height * width;
  const outputs: Array<[string, Float32Array, boolean]> = [['disparities', preds.disparities, false]];
  if (preds.pp) outputs.push(['disparities_pp', preds.pp, true]);
  const written: Record<string, string> = {};
  // validate everything before writing anything, so a bad sidecar leaves no half-written folder
  const plans = outputs.map(([name, data, postProcessed]) => {
    const path = join(dir, `${name}.npy`);
    if (data.length !== expected) throw new Error(`${path}: ${data.length} values do not make ${n} x ${height} x ${width} = ${expected}`);
    return { name, path, data, side: validSidecar({ ...sidecar, count: n, height, width, postProcessed }, sidecarPathFor(path)) };
  });
  for (const { name, path, data, side } of plans) {
    await writeNpy(path, { data, shape: [n, height, width] });
    await writeFileAtomic(sidecarPathFor(path), JSON.stringify(side, null, 2) + '\n');
    written[name] = path;
  }
  return { disparities: written.disparities!, ...(written.disparities_pp ? { pp: written.disparities_pp } : {}) };
}
