/**
 * Registers tfjs-core's gradient functions. tfjs-core's Node bundle (its package "main") registers none; they
 * live only in its unbundled ESM files (dist/register_all_gradients.js), whose imports are extensionless and
 * directory-style ('./base', './gradients'), which Node's ESM loader refuses (ERR_UNSUPPORTED_DIR_IMPORT).
 * Outside vitest (whose resolver accepts them) a resolve hook appends '.js' / '/index.js' on those errors.
 * The registries are global (shared through tfjs's global namespace), so gradients registered by the ESM copy
 * are seen by the engine of the package "main".
 */
import { register } from 'node:module';

import * as tf from '@tensorflow/tfjs-core';

const RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    const inTfjs = (context.parentURL ?? '').includes('/@tensorflow/');
    if (!relative || !inTfjs) throw err;
    if (!err || (err.code !== 'ERR_UNSUPPORTED_DIR_IMPORT' && err.code !== 'ERR_MODULE_NOT_FOUND')) throw err;
    if (specifier.endsWith('.js')) throw err;
    // './gradients' is both dist/gradients.js and a directory: the file wins, as in a bundler.
    try {
      return await next(specifier + '.js', context);
    } catch {
      return next(specifier + '/index.js', context);
    }
  }
}`;

let registered: Promise<void> | undefined;

/** Registers all tfjs-core gradients once per process (idempotent). */
export function ensureGradientsRegistered(): Promise<void> {
  registered ??= (async () => {
    if (!process.env.VITEST) register('data:text/javascript,' + encodeURIComponent(RESOLVE_HOOK));
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  })();
  return registered;
}

/**
 * Mean's gradient without tfjs-core's full-size ones tensor: core computes (dy * ones(x.shape)) / n, which fills and
 * uploads an array of x's size on every call (on tensorflow the largest JS cost of the step: 14 ms of filling plus the
 * copy at 96x320). dy / n broadcast to x's shape gives the same numbers (dy * 1 is exact), bit for bit on every backend.
 */
export const meanGradient: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape);
    const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const n = axes.reduce((a, i) => a * x.shape[i]!, 1);
    return { x: () => tf.broadcastTo(tf.div(tf.reshape(dy as tf.Tensor, expanded), n), x.shape) };
  },
};

/**
 * The project's replacements of tfjs-core gradients; registered after a backend has loaded, because loading tfjs-node
 * registers its bundle's copies of core's gradients again (the registry is global; the last registration wins).
 */
export function registerGradientOverrides(): void {
  tf.registerGradient(meanGradient);
}
