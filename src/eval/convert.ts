/**
 * The sidecar JSON that states, beside each prediction .npy, what its numbers mean (the conventions and their
 * conversion to depth live in models/output_convention.ts).
 */
import { readFileSync, existsSync } from 'node:fs';
import { z } from 'zod';

import { PREDICTION_CONVENTIONS, TRAINED_WITH } from '../models/output_convention.js';

/** Sidecar `<pred>.json` beside `<pred>.npy` (written by `stereodepth test`, read by `stereodepth eval`). */
export const predictionSidecarSchema = z
  .object({
    convention: z.enum(PREDICTION_CONVENTIONS),
    /** How the model was trained: decides whether median scaling is allowed. */
    trainedWith: z.enum(TRAINED_WITH).optional(),
    /** disp_to_depth range for 'sigmoid'/'scaledSigmoid' (monodepth2 defaults 0.1 / 100). */
    minDepth: z.number().positive().optional(),
    maxDepth: z.number().positive().optional(),
    /** Prediction size (N x height x width in the .npy). */
    height: z.number().int().positive().optional(),
    width: z.number().int().positive().optional(),
    count: z.number().int().positive().optional(),
    /** Factor from predicted depth to metres (monodepth2 stereo: 5.4 = 0.54 m / 0.1 training baseline). */
    scaleFactor: z.number().positive().optional(),
    /** Rig for disparity -> depth when the split does not provide it (focal in px at the prediction width). */
    focal: z.number().positive().optional(),
    baseline: z.number().positive().optional(),
    postProcessed: z.boolean().optional(),
    split: z.string().optional(),
  })
  .strict();
export type PredictionSidecar = z.infer<typeof predictionSidecarSchema>;

/** Path of the sidecar of a prediction file: `x.npy` -> `x.json`. */
export function sidecarPathFor(predPath: string): string {
  return predPath.replace(/\.npy$/i, '') + '.json';
}

/** Reads and validates the sidecar of `predPath`; undefined when there is none. */
export function readPredictionSidecar(predPath: string): PredictionSidecar | undefined {
  const path = sidecarPathFor(predPath);
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = predictionSidecarSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${path}: invalid prediction sidecar: ${issues}`);
  }
  return parsed.data;
}
