/**
 * An Encoder that is a chain of units (conv blocks) with a tap after the last unit of each stage: the form of every
 * MobileNet. The image is normalised (x - 0.45) / 0.225 first, as the ResNet encoder does, so any encoder can replace
 * any other under the same data pipeline.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './layers.js';
import { runStages } from './encoder_stages.js';
import type { Encoder } from './types.js';

export type Unit = (x: tf.Tensor4D, training: boolean) => tf.Tensor4D;

export class SequentialEncoder implements Encoder {
  readonly numStages: number;

  /** taps[k] = index of the last unit of stage k (so stage k runs units taps[k-1]+1 .. taps[k]). */
  constructor(
    readonly name: string,
    private readonly store: ParamStore,
    private readonly prefix: string,
    private readonly units: Unit[],
    private readonly taps: number[],
    readonly numChEnc: number[],
  ) {
    if (taps.length !== numChEnc.length || taps.some((t, k) => t >= units.length || (k > 0 && t <= taps[k - 1]!))) {
      throw new Error(`${name}: stage taps [${taps.join(', ')}] must increase and stay below ${units.length} units, one per channel count`);
    }
    this.numStages = taps.length;
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D[] {
    return this.applyStages(x, 0, this.numStages, training);
  }

  applyStages(input: tf.Tensor4D, from: number, to: number, training: boolean): tf.Tensor4D[] {
    return runStages(this.name, this.numStages, input, from, to, (k, x) => this.stage(k, x, training));
  }

  private stage(k: number, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    let h = k === 0 ? tf.tidy(() => tf.div(tf.sub(x, 0.45), 0.225) as tf.Tensor4D) : x;
    for (let u = k === 0 ? 0 : this.taps[k - 1]! + 1; u <= this.taps[k]!; u++) {
      const next = tf.tidy(() => this.units[u]!(h, training));
      if (h !== x) h.dispose();
      h = next;
    }
    return h;
  }

  dispose(): void {
    this.store.disposePrefix(`${this.prefix}/`);
  }
}
