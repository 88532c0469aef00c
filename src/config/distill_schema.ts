/** The `distill:` section of a run config: the teacher source and the DistDepth and hint-KD distillation settings. */
import { z } from 'zod';

/**
 * Where a distillation teacher comes from: `maps` = precomputed maps under `path` (one per sample, written by
 * `stereodepth teacher-cache`); `checkpoint` = a stereodepth checkpoint (or run directory) run frozen in the loop.
 * (TensorFlow.js graph models are not supported: tfjs-core has no loadGraphModel. Export such a model's predictions as maps.)
 */
const teacherSchema = z
  .object({
    source: z.enum(['maps', 'checkpoint']),
    path: z.string().min(1),
    /** maps: what the values are; inverse_depth (DPT/MiDaS) becomes depth = 1 / (d + 1) as DistDepth does. */
    map_kind: z.enum(['depth', 'inverse_depth']).default('depth'),
    /** maps stored as 16-bit PNG: value / png_divisor. */
    png_divisor: z.number().positive().default(1),
  })
  .strict();

/** DistDepth (Wu et al. 2022): self-supervised loss + dist_weight x (statistical + spatial) against a relative-depth expert. */
const distDepthSchema = z
  .object({
    kind: z.literal('distdepth'),
    teacher: teacherSchema,
    dist_weight: z.number().min(0).default(0.05),
    /**
     * Teacher -> student scale and shift (detached): lstsq_rows = DistDepth HEAD, lstsq = one fit per batch, median_ratio =
     * DistDepth <= 2023, moments = mean and std matched per batch: least squares shrinks the student's depth spread by the
     * teacher's correlation each step until it is flat; moments does not (losses/distill.ts, docs/experiments.md).
     */
    alignment: z.enum(['lstsq_rows', 'lstsq', 'median_ratio', 'moments']).default('lstsq_rows'),
    spatial: z
      .object({
        /** one_sided = DistDepth code (only teacher-edge pixels); two_sided = soft Hamming distance of the edge maps. */
        variant: z.enum(['one_sided', 'two_sided']).default('one_sided'),
        quantile: z.number().gt(0).lt(1).default(0.95),
        weight: z.number().min(0).default(0.02),
        huber_delta: z.number().positive().default(0.8),
        /** two_sided only: softsign sharpness. */
        sharpness: z.number().positive().default(10),
        /** Frame cut from the edge maps (pixels). */
        border: z.number().int().min(0).default(5),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Hint-feature KD (FitNets): a frozen teacher checkpoint's decoder features, 1x1 adapters on the student's, per-scale weights. */
const hintSchema = z
  .object({
    kind: z.literal('hint'),
    teacher: teacherSchema.refine((t) => t.source === 'checkpoint', { message: 'hint KD needs teacher.source checkpoint (its decoder features)' }),
    /** Weight of the hint loss at decoder scales 0..3. */
    weights: z.array(z.number().min(0)).length(4).default([1, 1, 1, 1]),
    /** `none`: FitNets' plain per-scale MSE; `teacher`: each scale's MSE over its teacher features' mean square (losses/hint.ts). */
    normalize: z.enum(['none', 'teacher']).default('none'),
    /**
     * `constant`: the weights hold for the whole run (FitNets' single-stage hint loss); `cosine`: every weight decays from its
     * value to 0 over train.steps on the learning rate's cosine, so the hints shape the features early and the task loss
     * alone finishes the run (FitNets' hint stage followed by the task stage, without the hard switch).
     */
    schedule: z.enum(['constant', 'cosine']).default('constant'),
  })
  .strict();

export const distillSchema = z.discriminatedUnion('kind', [distDepthSchema, hintSchema]);
