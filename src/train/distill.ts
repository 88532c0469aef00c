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
import { depthFromDisparity } from '../models/output_convention.js';
import { netOutputOfObjective, distDepthObjective, distDepthPreview, hintObjective, teacherMapToDepth } from '../losses/distill_objective.js';
import { HintAdapters } from '../losses/hint.js';
import type { LossResult } from '../losses/monodepth2.js';
import type { ObjectiveSettings } from '../losses/objective.js';
import type { DepthNet, DepthOutput } from '../models/types.js';
import { Rng } from '../util/random.js';
import { netFromCheckpoint, objectiveFromConfig } from './setup.js';

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

/** Channels of a net's decoder features per scale (one small forward pass). */
function featureChannels(net: DepthNet): number[] {
  const out = net.apply(tf.zeros([1, 64, 64, 3]) as tf.Tensor4D, { training: false });
  const channels = out.features.map((f) => f.shape[3]);
  tf.dispose([...out.disparities, ...out.features]);
  return channels;
}

/** The training set with the teacher maps of `config.distill` attached (teacher.source maps); unchanged otherwise. */
export function withTeacherMaps(config: RunConfig, dataset: Dataset): Dataset {
  const t = config.distill?.teacher;
  return t?.source === 'maps' ? new TeacherMapsDataset(dataset, { dir: t.path, kind: t.map_kind, pngDivisor: t.png_divisor }) : dataset;
}

export class Distillation {
  private constructor(
    readonly config: NonNullable<RunConfig['distill']>,
    private readonly objective: ObjectiveSettings,
    private readonly teacher: { net: DepthNet; objective: ObjectiveSettings } | null,
    readonly adapters: HintAdapters | null,
  ) {}

  /** Loads the teacher and builds the adapters of `config.distill` for `student`; null when the run has no distillation. */
  static async create(config: RunConfig, student: DepthNet, log: (l: string) => void = () => undefined): Promise<Distillation | null> {
    const d = config.distill;
    if (!d) return null;
    if (d.teacher.source === 'maps' && config.data.augment.flip.mode === 'swap' && config.data.augment.flip.probability > 0) {
      throw new Error('distill.teacher.source maps needs data.augment.flip.mode negate_baseline: a swap flip makes the right view the target, which has no teacher map');
    }
    let teacher: { net: DepthNet; objective: ObjectiveSettings } | null = null;
    if (d.teacher.source === 'checkpoint') {
      const loaded = await netFromCheckpoint(d.teacher.path).catch((err: Error) => {
        throw new Error(`distill.teacher.path: ${err.message}`);
      });
      teacher = { net: loaded.net, objective: objectiveFromConfig(loaded.config.loss) };
      log(`distill ${d.kind}: teacher ${loaded.config.model.name} from ${loaded.dir} (step ${loaded.step}), frozen`);
    } else {
      log(`distill ${d.kind}: teacher maps (${d.teacher.map_kind}) from ${d.teacher.path}`);
    }
    let adapters: HintAdapters | null = null;
    if (d.kind === 'hint') {
      const s = featureChannels(student);
      const t = featureChannels(teacher!.net);
      if (s.length !== t.length) throw new Error(`distill hint: the student has ${s.length} decoder feature scales, the teacher ${t.length}`);
      adapters = new HintAdapters(s, t, new Rng(`${config.seed}:hint_adapters`));
      log(`distill hint: 1x1 adapters ${s.map((c, r) => `${c}->${t[r]}`).join(', ')}, weights ${d.weights.join(', ')}`);
    }
    return new Distillation(d, objectiveFromConfig(config.loss), teacher, adapters);
  }

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
    const depth = depthFromDisparity(out.disparities[0]!, netOutputOfObjective(this.teacher.objective));
    tf.dispose(out.disparities);
    return { depth };
  }

  /** Self-supervised loss + the distillation term for one micro-batch; `slice` cuts a batch tensor to it. */
  loss(selfSupervised: LossResult, student: DepthOutput, signal: TeacherSignal, slice: (t: tf.Tensor4D) => tf.Tensor4D): LossResult {
    if (this.config.kind === 'distdepth') {
      return distDepthObjective(selfSupervised, slice(signal.depth!), student.disparities[0]!, this.objective, distDepthOptions(this.config));
    }
    return hintObjective(selfSupervised, this.adapters!, student.features, signal.features!.map(slice), this.config.weights);
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
