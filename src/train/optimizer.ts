/**
 * Adam with explicit, serialisable state (torch.optim.Adam semantics: eps added to sqrt(v_hat), bias correction,
 * optional decoupled weight decay off by default). Written out rather than taken from tf.train.adam because the
 * trainer needs (a) a learning rate that a schedule changes every step, (b) the moments saved and restored bit for
 * bit for exact resume, and (c) gradients that may be accumulated over micro-batches before one update.
 */
import * as tf from '@tensorflow/tfjs-core';

import { adamUpdate } from '../backend/adam_kernel.js';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  /** torch default 1e-8 (tfjs's own Adam uses 1e-7). */
  epsilon?: number;
}

let instances = 0;

export class Adam {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Number of updates applied so far (bias correction uses it). */
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  /** tf variable names are global: each optimiser's moments get their own prefix (two runs in one process). */
  private readonly prefix = `adam${instances++}`;

  constructor(opts: AdamOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
  }

  /** Applies one update to `variables` with `grads` (same names) at learning rate `lr`. Does not dispose grads. */
  apply(variables: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const biasCorrection1 = 1 - b1 ** this.step;
    const biasCorrection2 = 1 - b2 ** this.step;
    const stepSize = lr / biasCorrection1;
    const sqrtBc2 = Math.sqrt(biasCorrection2);
    for (const [name, g] of Object.entries(grads)) {
      const variable = variables[name];
      if (!variable) throw new Error(`Adam: gradient for unknown variable '${name}'`);
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = tf.variable(tf.zerosLike(variable), false, `${this.prefix}/m/${name}`);
        v = tf.variable(tf.zerosLike(variable), false, `${this.prefix}/v/${name}`);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      const [newParam, newM, newV] = adamUpdate(variable, m, v, g, { beta1: b1, beta2: b2, epsilon: this.epsilon, stepSize, sqrtBiasCorrection2: sqrtBc2 });
      variable.assign(newParam);
      m.assign(newM);
      v.assign(newV);
      tf.dispose([newParam, newM, newV]);
    }
  }

  /** Moments and step, named for saving with the weights I/O (names prefixed `m/` and `v/`). */
  stateTensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, t] of this.m) out[`m/${name}`] = t;
    for (const [name, t] of this.v) out[`v/${name}`] = t;
    return out;
  }

  /** Restores moments saved by {@link stateTensors} and the step count. Copies the tensors. */
  loadState(tensors: Record<string, tf.Tensor>, step: number): void {
    this.dispose();
    for (const [key, t] of Object.entries(tensors)) {
      const slash = key.indexOf('/');
      const kind = key.slice(0, slash);
      const name = key.slice(slash + 1);
      if (kind !== 'm' && kind !== 'v') throw new Error(`Adam state: unexpected entry '${key}' (expected m/<name> or v/<name>)`);
      (kind === 'm' ? this.m : this.v).set(name, tf.variable(tf.clone(t), false, `${this.prefix}/${kind}/${name}`));
    }
    this.step = step;
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Scales gradients so that their global L2 norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_).
 * Returns the new gradients (caller disposes the old ones) and the norm before clipping.
 */
export function clipByGlobalNorm(
  grads: Record<string, tf.Tensor>,
  maxNorm: number,
): { grads: Record<string, tf.Tensor>; norm: number } {
  const norm = tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    return tf.sqrt(tf.addN(squares));
  });
  const normValue = norm.dataSync()[0]!;
  norm.dispose();
  const scale = normValue > maxNorm ? maxNorm / (normValue + 1e-6) : 1;
  const out: Record<string, tf.Tensor> = {};
  for (const [name, g] of Object.entries(grads)) out[name] = scale === 1 ? tf.clone(g) : tf.tidy(() => tf.mul(g, scale));
  return { grads: out, norm: normValue };
}
