/**
 * The typed run configuration: every knob of a training/eval run, its default and its validation, in one place
 * (monodepth2's options.py role). YAML keys are snake_case like the references' flags. Unknown keys are errors.
 * The `data:` and `distill:` sections live in data_schema.ts and distill_schema.ts.
 */
import { z } from 'zod';
import { DECODERS, ENCODERS } from '../models/components.js';
import { PRESET_NAMES } from '../models/presets.js';

import { SUPERVISED_LOSSES } from '../losses/supervised_objective.js';
import { augmentSchema, dataSchema, datasetSchema } from './data_schema.js';
import { distillSchema } from './distill_schema.js';
import { positiveInt } from './schema_numbers.js';

/** A component's own options as the config may give them: every key optional and without its default, so a value
 *  the config leaves out keeps the preset's (the builder applies the defaults). */
function optionalOptions(schema: z.ZodObject, name: string) {
  const shape = Object.fromEntries(Object.entries(schema.shape).map(([k, v]) => [k, (v instanceof z.ZodDefault ? v.unwrap() : v).optional()]));
  return z.object(shape).strict().extend({ name: z.literal(name) });
}
const componentSchema = (list: readonly { name: string; optionsSchema: z.ZodObject }[]) =>
  z.discriminatedUnion('name', list.map((d) => optionalOptions(d.optionsSchema, d.name)) as unknown as [z.ZodObject, ...z.ZodObject[]]);

export const modelSchema = z
  .object({
    /** A preset (encoder + decoder combination): monodepth2_resnet18/50, monodepth_resnet50, fastdepth, mai2021. */
    name: z.enum(PRESET_NAMES).default('monodepth2_resnet18'),
    /** {name, ...options} of a registered encoder (resnet, mobilenet_v1/v2/v3): replaces the preset's, or with the
     *  preset's name changes only the options given. null = the preset's. */
    encoder: componentSchema(ENCODERS).nullable().default(null),
    /** {name, ...options} of a registered decoder (monodepth2, nnconv5, resize_dw); as `encoder`. */
    decoder: componentSchema(DECODERS).nullable().default(null),
    /** [H, W] the net runs at inside (input resized, outputs back): null = the preset's (mai2021: 128x160), false = none. */
    internal_size: z.union([z.tuple([positiveInt, positiveInt]), z.literal(false)]).nullable().default(null),
    use_batch_norm: z.boolean().default(true),
    /** Initial bias of the disparity heads; sigmoid(b) is the starting disparity (null = torch default init). */
    disp_bias_init: z.number().nullable().default(null),
    /** Decoder channels per stage (monodepth2: [16, 32, 64, 128, 256]); smaller is faster. */
    num_ch_dec: z.array(positiveInt).length(5).nullable().default(null),
    seed: z.union([z.number(), z.string()]).nullable().default(null),
  })
  .strict();

export const lossSchema = z
  .object({
    /**
     * monodepth (v1): width-fraction disparities for both views + LR consistency; monodepth2: scaled-sigmoid depth, min-reprojection;
     * supervised: scaled-sigmoid depth (min_depth..max_depth, metres) against the dataset's GT depth (`supervised` picks the loss).
     */
    kind: z.enum(['monodepth', 'monodepth2', 'supervised']).default('monodepth2'),
    /** stereo: the other view only; mono: temporal neighbours (PoseNet); mono_stereo: both (monodepth2 MS). */
    mode: z.enum(['stereo', 'mono', 'mono_stereo']).default('stereo'),
    /** Temporal neighbours used by mono modes (monodepth2 frame_ids without 0). */
    neighbours: z.array(z.number().int().refine((v) => v !== 0, 'neighbour offset 0 is the target frame')).default([-1, 1]),
    /** disp_to_depth range (monodepth2 min_depth / max_depth), in training units. */
    min_depth: z.number().positive().default(0.1),
    max_depth: z.number().positive().default(100),
    /**
     * Baseline the stereo warp uses (monodepth2 uses 0.1, so depth is in units of 0.1 * baseline: x5.4 on KITTI).
     * null = each sample's metric baseline, so the network predicts metres directly.
     */
    training_baseline: z.number().positive().nullable().default(0.1),
    smoothness_weight: z.number().min(0).default(1e-3),
    /** kind supervised: the loss against GT depth (FastDepth trains with l1; berhu = Laina et al.; silog = Eigen et al.). */
    supervised: z.enum(SUPERVISED_LOSSES).default('l1'),
    /** berHu threshold c = berhu_threshold * max|error| over the batch's valid pixels (Laina et al. 0.2). */
    berhu_threshold: z.number().gt(0).max(1).default(0.2),
    /** silog variance weight λ (Eigen et al. train with 0.5; 1 = fully scale-invariant, the MAI si-RMSE squared). */
    silog_lambda: z.number().min(0).max(1).default(0.5),
    /** Scales the loss is computed at (monodepth2 [0,1,2,3]). */
    scales: z.array(z.number().int().min(0).max(3)).min(1).default([0, 1, 2, 3]),
    monodepth2: z
      .object({
        align_corners: z.boolean().default(false),
        automask: z.boolean().default(true),
        avg_reprojection: z.boolean().default(false),
        no_ssim: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    monodepth: z
      .object({
        alpha: z.number().min(0).max(1).default(0.85),
        lr_weight: z.number().min(0).default(1),
        sampler_mode: z.enum(['border', 'edge']).default('border'),
        ssim_padding: z.enum(['valid', 'reflect']).default('valid'),
        smoothness_terms: z.enum(['xy', 'x']).default('xy'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const scheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant') }).strict(),
  /** monodepth v1: factors applied from each boundary (fractions of the total steps). */
  z.object({ kind: z.literal('piecewise'), boundaries: z.array(z.number().gt(0).lt(1)).default([0.6, 0.8]), factors: z.array(z.number().positive()).default([1, 0.5, 0.25]) }).strict(),
  /** monodepth2 StepLR: x gamma every step_size_epochs epochs. */
  z.object({ kind: z.literal('step'), step_size_epochs: z.number().positive().default(15), gamma: z.number().positive().default(0.1) }).strict(),
  z.object({ kind: z.literal('cosine'), min_lr: z.number().min(0).default(0) }).strict(),
]);

const optimSchema = z
  .object({
    lr: z.number().positive().default(1e-4),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    schedule: scheduleSchema.default({ kind: 'step', step_size_epochs: 15, gamma: 0.1 }),
    warmup_steps: z.number().int().min(0).default(0),
    /** Clip the global gradient norm to this value (null = off). */
    grad_clip: z.number().positive().nullable().default(null),
    /** Split each batch into this many slices and accumulate gradients (wasm heap limit at 192x640). */
    micro_batches: positiveInt.default(1),
  })
  .strict();

const trainSchema = z
  .object({
    /** Length of the run: epochs, or steps when set (steps wins). */
    epochs: positiveInt.default(20),
    steps: positiveInt.nullable().default(null),
    log_every: positiveInt.default(10),
    /** TensorBoard images every N steps (0 = never). */
    image_every: z.number().int().min(0).default(250),
    /** Validation every N steps (0 = only at the end). */
    val_every: z.number().int().min(0).default(500),
    checkpoint_every: positiveInt.default(500),
    keep_last: positiveInt.default(3),
    /** Metric deciding the best checkpoint (lower is better, except a1..a3). */
    best_metric: z
      .enum(['absRel', 'sqRel', 'rmse', 'rmseLog', 'a1', 'a2', 'a3', 'rmseMetres', 'delta1', 'delta2', 'delta3', 'siRmse', 'rel', 'log10'])
      .default('absRel'),
  })
  .strict();

const evalSchema = z
  .object({
    /**
     * monodepth clamps before masking; monodepth2 masks, scales, median-scales (mono only), then clamps; fastdepth = NYU
     * at the network size after fast-depth's val transform (rmse in m, delta1..3, OR-mask); mai = si-RMSE, RMSE, LOG10, REL
     * on depth in mm at the GT size (crop, min/max depth and median scaling do not apply to the last two).
     */
    protocol: z.enum(['monodepth', 'monodepth2', 'fastdepth', 'mai']).default('monodepth2'),
    crop: z.enum(['garg', 'eigen', 'none']).default('eigen'),
    min_depth: z.number().positive().default(1e-3),
    max_depth: z.number().positive().default(80),
    /** Per-image median scaling: only for mono-trained models. */
    median_scaling: z.boolean().default(false),
    /** Predicted depth x this = metres (null = derived: metric baseline / training baseline). */
    scale_factor: z.number().positive().nullable().default(null),
    /** Validation images used during training (null = the whole val split). */
    max_samples: positiveInt.nullable().default(64),
  })
  .strict();

const initSchema = z
  .object({
    /** Checkpoint directory (or a run directory: its latest checkpoint) whose weights start this run with a fresh schedule. */
    checkpoint: z.string().min(1),
    /** Which parts to take: encoder and/or depth (decoder). */
    models: z.array(z.enum(['encoder', 'depth'])).min(1).default(['encoder', 'depth']),
  })
  .strict();
const runFields = {
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').default('run'),
  /** Run directory (default runs/<name>). */
  run_dir: z.string().nullable().default(null),
  seed: z.number().int().default(0),
  backend: z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  threads: positiveInt.nullable().default(null),
  data: dataSchema,
  model: modelSchema.prefault({}),
  loss: lossSchema.prefault({}),
  optim: optimSchema.prefault({}),
  train: trainSchema.prefault({}),
  eval: evalSchema.prefault({}),
  init: initSchema.nullable().default(null),
  /** Distillation from a teacher (null = none). */
  distill: distillSchema.nullable().default(null),
};

/** Keys a stage may not override: each stage's name and directory come from the stage itself, and stages do not nest. */
const STAGE_FIXED_KEYS = ['name', 'run_dir', 'stages'] as const;

/** A stage overrides parts of the base config; stage k > 0 starts from stage k-1's final weights (fresh schedule). */
const stageSchema = z
  .object({ name: z.string().regex(/^[A-Za-z0-9_.-]+$/), overrides: z.record(z.string(), z.unknown()).default({}) })
  .strict()
  .superRefine((s, ctx) => {
    for (const key of STAGE_FIXED_KEYS) {
      if (key in s.overrides) ctx.addIssue({ code: 'custom', path: ['overrides', key], message: `a stage cannot override ${key} (it comes from the stage: <run dir>/<stage name>)` });
    }
  });

type RunFields = z.infer<z.ZodObject<typeof runFields>>;
type Issue = { path: (string | number)[]; message: string };

/**
 * Rules across sections, checked when the config loads (each issue names the key at fault, so the loader can give its
 * file:line): what the temporal modes, monodepth v1, DistDepth maps and micro-batches need from the rest of the config.
 */
/** The metrics each evaluation protocol reports (train.best_metric must be one of its protocol's). */
export const PROTOCOL_METRICS: Record<string, readonly string[]> = {
  monodepth: ['absRel', 'sqRel', 'rmse', 'rmseLog', 'a1', 'a2', 'a3'],
  monodepth2: ['absRel', 'sqRel', 'rmse', 'rmseLog', 'a1', 'a2', 'a3'],
  fastdepth: ['rmseMm', 'rmseMetres', 'maeMm', 'absRel', 'lg10', 'delta1', 'delta2', 'delta3', 'irmse', 'imae'],
  mai: ['siRmse', 'rmse', 'log10', 'rel'],
};

function crossFieldIssues(c: RunFields): Issue[] {
  const issues: Issue[] = [];
  const flip = c.data.augment.flip;
  const swapFlip = flip.probability > 0 && flip.mode === 'swap';
  if (c.loss.mode !== 'stereo') {
    const mode = `loss.mode ${c.loss.mode}`;
    if (c.loss.kind !== 'monodepth2') issues.push({ path: ['loss', 'kind'], message: `${mode} needs loss.kind monodepth2 (monodepth2's temporal loss)` });
    if (c.data.augment.crop.probability > 0) issues.push({ path: ['data', 'augment', 'crop', 'probability'], message: `must be 0 with ${mode}: the temporal warp uses one intrinsic matrix per batch` });
    if (swapFlip) issues.push({ path: ['data', 'augment', 'flip', 'mode'], message: `${mode} needs temporal neighbours, which a swap flip drops: use negate_baseline` });
  }
  if (c.loss.kind === 'monodepth' && flip.probability > 0 && flip.mode !== 'swap') {
    issues.push({ path: ['data', 'augment', 'flip', 'mode'], message: 'loss.kind monodepth needs the source view to the right of the target (baseline > 0): use swap' });
  }
  if (c.distill?.teacher.source === 'maps' && swapFlip) {
    issues.push({ path: ['data', 'augment', 'flip', 'mode'], message: 'distill.teacher.source maps needs negate_baseline: a swap flip makes the right view the target, which has no teacher map' });
  }
  const protocolMetrics = PROTOCOL_METRICS[c.eval.protocol]!;
  if ((c.data.val || c.data.test) && !protocolMetrics.includes(c.train.best_metric)) {
    issues.push({ path: ['train', 'best_metric'], message: `${c.train.best_metric} is not a metric of eval.protocol ${c.eval.protocol}: expected one of ${protocolMetrics.join(', ')}` });
  }
  if (c.data.batch_size % c.optim.micro_batches !== 0) {
    issues.push({ path: ['optim', 'micro_batches'], message: `must divide data.batch_size (${c.data.batch_size}) into equal slices` });
  }
  return issues;
}

export const runConfigSchema = z
  .object({ ...runFields, stages: z.array(stageSchema).default([]) })
  .strict()
  .superRefine((c, ctx) => {
    const names = c.stages.map((s) => s.name);
    names.forEach((n, k) => {
      if (names.indexOf(n) !== k) ctx.addIssue({ code: 'custom', path: ['stages', k, 'name'], message: `stage name '${n}' is used twice (each stage trains in <run dir>/<name>)` });
    });
    for (const issue of crossFieldIssues(c)) ctx.addIssue({ code: 'custom', ...issue });
  });

export type RunConfig = z.infer<typeof runConfigSchema>;
export type DatasetConfig = z.infer<typeof datasetSchema>;
export type AugmentSettings = z.infer<typeof augmentSchema>;
export type LossConfig = z.infer<typeof lossSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;
export type EvalConfig = z.infer<typeof evalSchema>;
