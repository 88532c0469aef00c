/**
 * The training loader: seeded shuffling, augmentation, batching and prefetching.
 *
 * Determinism without hidden state: the order of epoch e is a shuffle drawn from Rng(seed, e), and the augmentation
 * draw of the sample at position p of epoch e comes from Rng(seed, e, p). A batch is therefore a pure function of
 * (seed, epoch, batch index), so the loader state is just {epoch, batch}: a resumed run sees the same batches, and
 * prefetching in any order cannot change them. Decoding (sharp, libuv threads) runs ahead of the training step;
 * the tfjs work (resize, augmentation, stacking) runs when the batch is taken.
 */
import * as tf from '@tensorflow/tfjs-core';

import { Rng } from '../util/random.js';
import { augmentSample, disposeAugmentedSample, type AugmentedSample } from './augment.js';
import { drawAugmentation, type AugmentConfig, NO_AUGMENTATION } from './augment_config.js';
import { augmentRgbdSample, drawRgbdAugmentation } from './augment_rgbd.js';
import type { Dataset, StereoSample, TeacherKind } from './types.js';

export interface LoaderOptions {
  batchSize: number;
  height: number;
  width: number;
  seed: number;
  shuffle?: boolean;
  dropLast?: boolean;
  augment?: AugmentConfig;
  /** Batches decoded ahead. Default 2. */
  prefetch?: number;
  /** error: the first bad sample stops the run (its error names the file); skip: drop it, count it. */
  onBadSample?: 'error' | 'skip';
  /** Use only the first N samples of the dataset. */
  maxSamples?: number | null;
}

/** Position of the NEXT batch; saved in checkpoints. */
export interface LoaderState {
  epoch: number;
  batch: number;
}

export interface BadSample {
  index: number;
  id: string;
  message: string;
}

/** A batch of B samples at the training size (NHWC), plus each sample's camera. The caller disposes it. */
export interface Batch {
  epoch: number;
  batch: number;
  ids: string[];
  size: number;
  /** Images the loss sees, [B,H,W,3] in [0,1]. */
  left: tf.Tensor4D;
  right?: tf.Tensor4D;
  /** Network inputs (colour-jittered copies in monodepth2 style). */
  leftInput: tf.Tensor4D;
  rightInput?: tf.Tensor4D;
  /** Temporal neighbours by frame offset. */
  neighbours?: Record<number, { images: tf.Tensor4D; inputs: tf.Tensor4D }>;
  /** Per sample: 3x3 row-major pixel intrinsics at the training size, focal (px), signed baseline (m), flip flag. */
  K: number[][];
  focal: number[];
  baseline: number[];
  flipped: boolean[];
  gtDepth?: tf.Tensor4D;
  teacher?: tf.Tensor4D;
  teacherKind?: TeacherKind;
  dispose(): void;
}

function stackOptional(items: AugmentedSample[], pick: (s: AugmentedSample) => tf.Tensor3D | undefined): tf.Tensor4D | undefined {
  const ts = items.map(pick);
  if (ts.some((t) => t === undefined)) return undefined;
  return tf.stack(ts as tf.Tensor3D[]) as tf.Tensor4D;
}

/** Stacks augmented samples into a batch and disposes the per-sample tensors. */
export function collate(items: AugmentedSample[], epoch: number, batch: number): Batch {
  if (items.length === 0) throw new Error('collate: empty batch');
  const result = tf.tidy(() => {
    const left = tf.stack(items.map((s) => s.left)) as tf.Tensor4D;
    const leftInput = tf.stack(items.map((s) => s.leftInput)) as tf.Tensor4D;
    const right = stackOptional(items, (s) => s.right);
    const rightInput = stackOptional(items, (s) => s.rightInput);
    const gtDepth = stackOptional(items, (s) => s.gtDepth);
    const teacher = stackOptional(items, (s) => s.teacher);
    let neighbours: Batch['neighbours'];
    const offsets = items[0]!.neighbours ? Object.keys(items[0]!.neighbours).map(Number) : [];
    if (offsets.length > 0 && items.every((s) => s.neighbours && offsets.every((o) => s.neighbours![o]))) {
      neighbours = {};
      for (const o of offsets) {
        neighbours[o] = {
          images: tf.stack(items.map((s) => s.neighbours![o]!.image)) as tf.Tensor4D,
          inputs: tf.stack(items.map((s) => s.neighbours![o]!.input)) as tf.Tensor4D,
        };
      }
    }
    return { left, leftInput, right, rightInput, gtDepth, teacher, neighbours };
  });
  for (const s of items) disposeAugmentedSample(s);
  const tensors = (): tf.Tensor[] => {
    const list: (tf.Tensor | undefined)[] = [result.left, result.leftInput, result.right, result.rightInput, result.gtDepth, result.teacher];
    for (const n of Object.values(result.neighbours ?? {})) list.push(n.images, n.inputs);
    return list.filter((t): t is tf.Tensor => t !== undefined);
  };
  return {
    epoch,
    batch,
    ids: items.map((s) => s.id),
    size: items.length,
    ...result,
    K: items.map((s) => s.K),
    focal: items.map((s) => s.focal),
    baseline: items.map((s) => s.baseline),
    flipped: items.map((s) => s.flipped),
    teacherKind: items[0]!.teacherKind,
    dispose: () => tf.dispose(tensors()),
  };
}

interface Pending {
  epoch: number;
  batch: number;
  samples: Promise<{ position: number; index: number; sample?: StereoSample; error?: unknown }[]>;
}

export class Loader {
  readonly batchSize: number;
  readonly numSamples: number;
  readonly badSamples: BadSample[] = [];
  private readonly opts: Required<Omit<LoaderOptions, 'maxSamples'>>;
  private position: LoaderState = { epoch: 0, batch: 0 };
  private queue: Pending[] = [];
  private orders = new Map<number, number[]>();
  private readonly badIndices = new Set<number>();

  constructor(
    readonly dataset: Dataset,
    options: LoaderOptions,
  ) {
    this.opts = {
      shuffle: true,
      dropLast: true,
      augment: NO_AUGMENTATION,
      prefetch: 2,
      onBadSample: 'error',
      ...options,
    };
    this.batchSize = options.batchSize;
    this.numSamples = Math.min(dataset.length, options.maxSamples ?? Infinity);
    if (this.numSamples === 0) throw new Error(`dataset ${dataset.name} has no samples`);
    if (this.batchesPerEpoch === 0) {
      throw new Error(`dataset ${dataset.name} has ${this.numSamples} samples, fewer than one batch of ${this.batchSize} with drop_last; lower data.batch_size or set data.drop_last: false`);
    }
  }

  /** Batches per epoch (drop_last drops the final short batch). */
  get batchesPerEpoch(): number {
    return this.opts.dropLast ? Math.floor(this.numSamples / this.batchSize) : Math.ceil(this.numSamples / this.batchSize);
  }

  state(): LoaderState {
    return { ...this.position };
  }

  /** Continues from a saved position (drops any prefetched batches). */
  restore(state: LoaderState): void {
    if (!Number.isInteger(state.epoch) || !Number.isInteger(state.batch) || state.epoch < 0 || state.batch < 0) {
      throw new Error(`invalid loader state ${JSON.stringify(state)}: expected non-negative integers epoch and batch`);
    }
    this.queue = [];
    this.position = { ...state };
    this.normalise(this.position);
  }

  /** The sample order of an epoch (a seeded shuffle, or identity). */
  order(epoch: number): number[] {
    let o = this.orders.get(epoch);
    if (!o) {
      o = Array.from({ length: this.numSamples }, (_, i) => i);
      if (this.opts.shuffle) new Rng(`${this.opts.seed}:order:${epoch}`).shuffle(o);
      this.orders.set(epoch, o);
      for (const k of this.orders.keys()) if (k < epoch - 1) this.orders.delete(k);
    }
    return o;
  }

  private normalise(p: LoaderState): void {
    while (p.batch >= this.batchesPerEpoch) {
      p.batch -= this.batchesPerEpoch;
      p.epoch += 1;
    }
  }

  private schedule(p: LoaderState): Pending {
    const order = this.order(p.epoch);
    const start = p.batch * this.batchSize;
    const positions = Array.from({ length: Math.min(this.batchSize, this.numSamples - start) }, (_, k) => start + k);
    const samples = Promise.all(
      positions.map(async (position) => {
        const index = order[position]!;
        try {
          return { position, index, sample: await this.dataset.get(index) };
        } catch (error) {
          return { position, index, error };
        }
      }),
    );
    samples.catch(() => undefined);
    return { epoch: p.epoch, batch: p.batch, samples };
  }

  private fill(): void {
    const next = this.queue.length > 0 ? { epoch: this.queue[this.queue.length - 1]!.epoch, batch: this.queue[this.queue.length - 1]!.batch + 1 } : { ...this.position };
    this.normalise(next);
    while (this.queue.length < this.opts.prefetch) {
      this.queue.push(this.schedule(next));
      next.batch += 1;
      this.normalise(next);
    }
  }

  /** The next batch (epochs roll over). Samples that fail are fatal or skipped per `onBadSample`. */
  async next(): Promise<Batch> {
    for (;;) {
      this.fill();
      const pending = this.queue.shift()!;
      const results = await pending.samples;
      this.position = { epoch: pending.epoch, batch: pending.batch + 1 };
      this.normalise(this.position);
      this.fill();
      const good: AugmentedSample[] = [];
      try {
        for (const r of results) {
          if (r.error !== undefined || !r.sample) {
            const message = r.error instanceof Error ? r.error.message : String(r.error);
            if (this.opts.onBadSample === 'error') throw r.error instanceof Error ? r.error : new Error(message);
            if (!this.badIndices.has(r.index)) {
              this.badIndices.add(r.index);
              this.badSamples.push({ index: r.index, id: this.dataset.ref(r.index).text, message });
            }
            continue;
          }
          const rng = new Rng(`${this.opts.seed}:augment:${pending.epoch}:${r.position}`);
          const source = { width: r.sample.left.width, height: r.sample.left.height };
          const out = { height: this.opts.height, width: this.opts.width };
          const rgbd = this.opts.augment.rgbd;
          if (rgbd && rgbd.mode !== 'none') good.push(augmentRgbdSample(r.sample, drawRgbdAugmentation(rng, rgbd, source), out));
          else good.push(augmentSample(r.sample, drawAugmentation(rng, this.opts.augment, source), this.opts.augment, out));
        }
      } catch (err) {
        for (const s of good) disposeAugmentedSample(s);
        throw err;
      }
      if (good.length > 0) return collate(good, pending.epoch, pending.batch);
    }
  }

  /** Drops prefetched work. */
  close(): void {
    this.queue = [];
  }
}
