/**
 * The `data:` section of a run config: the train/val/test dataset entries (derived from the dataset adapters'
 * descriptors), input size, batching, and the augmentation settings.
 */
import { z } from 'zod';

import type { DatasetDescriptor } from '../data/descriptor.js';
import { DATASETS } from '../data/registry.js';
import { positiveInt, probability } from './schema_numbers.js';

/** A crop window's side as a fraction of the source image (same aspect), drawn uniformly in [min_scale, max_scale]. */
function cropScales(minDefault: number) {
  return { min_scale: z.number().gt(0).max(1).default(minDefault), max_scale: z.number().gt(0).max(1).default(1) };
}
const scalesOrdered = (w: { min_scale: number; max_scale: number }): boolean => w.min_scale <= w.max_scale;
const SCALES_UNORDERED = { message: 'must be <= max_scale', path: ['min_scale'] };

export const augmentSchema = z
  .object({
    flip: z
      .object({
        probability: probability.default(0.5),
        /** swap = monodepth (left'=flip(right), right'=flip(left)); negate_baseline = monodepth2 (flip in place, baseline sign flips). */
        mode: z.enum(['swap', 'negate_baseline']).default('negate_baseline'),
      })
      .strict()
      .prefault({}),
    colour: z
      .object({
        probability: probability.default(0.5),
        /** v1 = monodepth gamma/brightness/colour on the loss images; v2 = monodepth2 ColorJitter on the network input only. */
        mode: z.enum(['v1', 'v2']).default('v2'),
      })
      .strict()
      .prefault({}),
    crop: z
      .object({ probability: probability.default(0), ...cropScales(0.75) })
      .strict()
      .refine(scalesOrdered, SCALES_UNORDERED)
      .prefault({}),
    /**
     * Supervised RGB-D augmentation (replaces flip/crop/colour when not none): fastdepth = fast-depth's train transform
     * (scale s in [1, 1.5] with depth / s, rotation +-5 deg, centre crop 228x304 of the 250-row frame, flip, ColorJitter 0.4;
     * validation and test use its val transform); mai_crop = the MAI depth-compensating random crop (depth / magnification).
     */
    rgbd: z
      .object({
        mode: z.enum(['none', 'fastdepth', 'mai_crop']).default('none'),
        fastdepth: z
          .object({
            scale: z
              .tuple([z.number().positive(), z.number().positive()])
              .refine(([lo, hi]) => lo <= hi, 'must be [lo, hi] with lo <= hi')
              .default([1, 1.5]),
            rotation_degrees: z.number().min(0).max(45).default(5),
            flip_probability: probability.default(0.5),
            jitter: z.number().min(0).max(1).default(0.4),
          })
          .strict()
          .prefault({}),
        mai_crop: z
          .object({ probability: probability.default(1), ...cropScales(0.5), flip_probability: probability.default(0.5) })
          .strict()
          .refine(scalesOrdered, SCALES_UNORDERED)
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/**
 * The schema of one dataset entry, derived from the adapters' descriptors: `dataset:` is one of their names, `options:`
 * is checked against that adapter's own options schema, and `split:` is required when the adapter reads one.
 */
export function datasetSchemaFor(registry: readonly DatasetDescriptor[]) {
  const names = registry.map((d) => d.name);
  if (names.length === 0) throw new Error('datasetSchemaFor: no dataset descriptors');
  return z
    .object({
      dataset: z.enum(names as [string, ...string[]]),
      /** Dataset root (KITTI raw: the folder holding the date folders). Relative paths are relative to the working directory. */
      path: z.string().min(1),
      /** Split file (one sample per line, in the dataset's split format). */
      split: z.string().min(1).optional(),
      /** Adapter options (the adapter's own option names, e.g. kitti_raw: { gt: velodyne, imageExt: png }; cityscapes: { cropBottomFraction: 0.2 }). */
      options: z.record(z.string(), z.unknown()).default({}),
      /** Use at most this many samples of the split (in split order; null = all). */
      max_samples: positiveInt.nullable().default(null),
      /** Allow split lines whose paths leave `path` (absolute, or `..` above it); off: such a line is an error. */
      allow_outside_root: z.boolean().default(false),
      /**
       * Render the synthetic world into `path` first when it is not there yet (the same as `stereodepth synth`;
       * resumable, identical output for the same parameters).
       */
      synthesize: z
        .object({
          world: z.enum(['kitti', 'cityscapes', 'simsin', 'nyu', 'mai']),
          count: positiveInt,
          height: positiveInt.optional(),
          width: positiveInt.optional(),
          seed: z.union([z.string(), z.number()]).default('0'),
          frames_per_scene: positiveInt.default(8),
        })
        .strict()
        .nullable()
        .default(null),
    })
    .strict()
    .superRefine((d, ctx) => {
      const descriptor = registry.find((x) => x.name === d.dataset)!;
      if (descriptor.needsSplit && d.split === undefined) ctx.addIssue({ code: 'custom', path: ['split'], message: `dataset ${d.dataset} needs a split file` });
      const parsed = descriptor.optionsSchema.safeParse(d.options);
      if (parsed.success) return;
      const shape = (descriptor.optionsSchema as unknown as { shape?: Record<string, unknown> }).shape;
      const known = shape ? Object.keys(shape) : [];
      for (const issue of parsed.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) {
            ctx.addIssue({ code: 'custom', path: ['options', ...issue.path, key], message: `unknown option for dataset ${d.dataset}; it takes ${known.length ? known.join(', ') : 'no options'}` });
          }
        } else {
          ctx.addIssue({ code: 'custom', path: ['options', ...issue.path], message: `dataset ${d.dataset}: ${issue.message}` });
        }
      }
    });
}

/** One dataset entry of a config (from the registered adapters). */
export const datasetSchema = datasetSchemaFor(DATASETS);

export const dataSchema = z
  .object({
    train: datasetSchema,
    /** Validation set with ground-truth depth (metrics during training); null = no validation. */
    val: datasetSchema.nullable().default(null),
    /** Held-out test set evaluated once at the end with the eval protocol (all samples): <run>/test_metrics.json. */
    test: datasetSchema.nullable().default(null),
    /** Network input size: multiples of 32 (the encoder halves it five times and the decoder doubles it back). */
    height: positiveInt.multipleOf(32, 'must be a multiple of 32 (the encoder downsamples 5 times)').default(192),
    width: positiveInt.multipleOf(32, 'must be a multiple of 32 (the encoder downsamples 5 times)').default(640),
    batch_size: positiveInt.default(12),
    drop_last: z.boolean().default(true),
    shuffle: z.boolean().default(true),
    /** Batches decoded ahead of the training step. */
    prefetch: positiveInt.default(2),
    /** error = stop at the first unreadable sample (naming it); skip = drop it, count it, report at the end. */
    on_bad_sample: z.enum(['error', 'skip']).default('error'),
    augment: augmentSchema.prefault({}),
  })
  .strict();
