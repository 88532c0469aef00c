/**
 * The run's distillation (config key `distill`), set up once: the teacher (precomputed maps attached to the training set,
 * or a frozen checkpoint run on each batch), the hint adapters (trainable, saved apart from the student), and the hand-off
 * of teacher outputs to the objective functions of src/losses/distill_objective.ts. Orchestration only.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { RunConfig } from '../config/schema.js';
import type { Batch } from '../data/loader.js';
import { TeacherMapsDataset } from '../data/teacher_maps.js';
import type { Dataset } from '../data/types.js';
import type { AlignmentMethod, DistDepthLossOptions } from '../losses/distill.js';
import { depthFromDisparity, type NetOutput } from '../models/output_convention.js';
import { netOutputOfObjective, distDepthObjective, distDepthPreview, hintObjective, teacherMapToDepth } from '../losses/distill_objective.js';
import type { HintAdapters } from '../losses/hint.js';
import type { LossResult } from '../losses/monodepth2.js';
import type { ObjectiveSettings } from '../losses/objective.js';
import type { DepthNet, DepthOutput } from '../models/types.js';
import { learningRateAt } from './schedule.js';

/** Teacher outputs for one batch, computed outside the gradient tape. */
export interface TeacherSignal {
  /** DistDepth: teacher depth [B,H,W,1] (relative; aligned to the student in the loss). */
  depth?: tf.Tensor4D;
  /** Hint KD: the teacher's decoder features per scale. */
  features?: tf.Tensor4D[];
}

export function disposeSignal(s: TeacherSignal): void {
  tf.dispose([...(s.depth ? [s.depth] : []), ...(s.features ?? [])]);
}

/**
 * The hint weights for 0-based step `step` of `totalSteps`: as configured (`constant`), or times the cosine factor
 * (1 + cos(pi step / totalSteps)) / 2 of the learning-rate schedule (`cosine`: 1 at the first step, 0 at the end).
 */
export function hintWeightsAt(weights: number[], schedule: 'constant' | 'cosine', step: number, totalSteps: number): number[] {
  if (schedule === 'constant') return weights;
  const factor = learningRateAt(step, totalSteps, 1, { kind: 'cosine', minLr: 0 });
  return weights.map((w) => w * factor);
}

const ALIGNMENT: Record<string, AlignmentMethod> = { lstsq_rows: 'lstsqRows', lstsq: 'lstsq', median_ratio: 'medianRatio', moments: 'moments' };

/** The config's DistDepth loss options in the loss functions' terms. */
export function distDepthOptions(d: Extract<NonNullable<RunConfig['distill']>, { kind: 'distdepth' }>): DistDepthLossOptions {
  const s = d.spatial;
  return {
    alignment: ALIGNMENT[d.alignment]!,
    distWeight: d.dist_weight,
    spatial: { variant: s.variant === 'one_sided' ? 'oneSided' : 'twoSided', quantile: s.quantile, weight: s.weight, huberDelta: s.huber_delta, sharpness: s.sharpness, border: s.border },
  };
}

/** The training set with the teacher maps of `config.distill` attached (teacher.source maps); unchanged otherwise. */
export function withTeacherMaps(config: RunConfig, dataset: Dataset): Dataset {
  const t = config.distill?.teacher;
  return t?.source === 'maps' ? new TeacherMapsDataset(dataset, { dir: t.path, kind: t.map_kind, pngDivisor: t.png_divisor }) : dataset;
}

/** A frozen teacher network and what it outputs. */
export interface TeacherNet {
  net: DepthNet;
  output: NetOutput;
}

/** The run's distillation, built by the build layer (src/run): a teacher (or maps in the batches) and the hint adapters. */
export class Distillation {
  constructor(
    readonly config: NonNullable<RunConfig['distill']>,
    private readonly objective: ObjectiveSettings,
    private readonly teacher: TeacherNet | null,
    readonly adapters: HintAdapters | null,
  ) {}

  /** Trainable variables of the distillation itself (hint adapters): optimised with the student, saved apart from it. */
  variables(): Record<string, tf.Variable> {
    return this.adapters?.variables() ?? {};
  }

  /** Teacher outputs for a batch; the teacher net sees the student's own (augmented) input. */
  signal(batch: Batch): TeacherSignal {
    if (!this.teacher) {
      if (!batch.teacher) throw new Error(`batch ${batch.ids.join(', ')} has no teacher maps (distill.teacher.source maps)`);
      return { depth: teacherMapToDepth(batch.teacher, batch.teacherKind ?? this.config.teacher.map_kind) };
    }
    const out = this.teacher.net.apply(batch.leftInput, { training: false });
    if (this.config.kind === 'hint') {
      tf.dispose(out.disparities);
      return { features: out.features };
    }
    tf.dispose(out.features);
    const depth = depthFromDisparity(out.disparities[0]!, this.teacher.output);
    tf.dispose(out.disparities);
    return { depth };
  }

  /**
   * Self-supervised loss + the distillation term for one micro-batch of 0-based step `step` of the run's `totalSteps` (what a
   * hint weight schedule decays over); `slice` cuts a batch tensor to the micro-batch.
   */
  loss(selfSupervised: LossResult, student: DepthOutput, signal: TeacherSignal, slice: (t: tf.Tensor4D) => tf.Tensor4D, step: number, totalSteps: number): LossResult {
    if (this.config.kind === 'distdepth') {
      return distDepthObjective(selfSupervised, slice(signal.depth!), student.disparities[0]!, this.objective, distDepthOptions(this.config));
    }
    const weights = hintWeightsAt(this.config.weights, this.config.schedule, step, totalSteps);
    return hintObjective(selfSupervised, this.adapters!, student.features, signal.features!.map(slice), weights, this.config.normalize);
  }

  /** TensorBoard maps of the first sample (DistDepth: teacher, aligned teacher, student, both edge maps), [H,W,1] each. */
  previews(net: DepthNet, batch: Batch): Record<string, tf.Tensor3D> {
    if (this.config.kind !== 'distdepth') return {};
    const signal = this.signal(batch);
    const student = tf.tidy(() => depthFromDisparity(net.apply(batch.leftInput, { training: false }).disparities[0]!, netOutputOfObjective(this.objective)));
    try {
      return distDepthPreview(signal.depth!, student, distDepthOptions(this.config));
    } finally {
      disposeSignal(signal);
      student.dispose();
    }
  }

  dispose(): void {
    this.teacher?.net.dispose();
    this.adapters?.dispose();
  }
}
