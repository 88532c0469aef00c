/**
 * Depth networks (tfjs-models style): createDepthNet(config) builds any registered encoder + decoder,
 * createModel(name, options) starts from a named preset (src/models/presets.ts). Variables live under `encoder/` and
 * `depth/` whatever the components, so checkpoints, export and distillation see one layout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from './layers.js';
import { resizeBilinear } from './mobile_layers.js';
import { createDecoder, createEncoder } from './components.js';
import { findPreset } from './presets.js';
import { countParams } from './pose.js';
import type { ComponentSpec, DepthNet, DepthNetConfig, DepthOutput } from './types.js';

export { PRESETS, PRESET_NAMES, findPreset, type ModelName, type ModelPreset } from './presets.js';
export { ENCODERS, DECODERS, createEncoder, createDecoder } from './components.js';

/** Encoder (default ResNet18) + decoder (default monodepth2 DepthDecoder). Variables `encoder/...` and `depth/...`. */
export function createDepthNet(config: DepthNetConfig = {}, name = 'resnet_depth'): DepthNet {
  const store = new ParamStore();
  const internalSize = config.internalSize ?? null;
  if (internalSize && !internalSize.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`createDepthNet: internalSize must be two positive integers [H, W], got [${internalSize.join(', ')}]`);
  }
  try {
    const encoder = createEncoder(store, 'encoder', (config.encoder ?? {}) as ComponentSpec);
    const decoder = createDecoder(store, 'depth', encoder.numChEnc, (config.decoder ?? {}) as ComponentSpec);
    const run = (x: tf.Tensor4D, training: boolean): DepthOutput => {
      const feats = encoder.apply(x, training);
      try { return decoder.apply(feats, training); } finally { for (const f of feats) f.dispose(); }
    };
    return {
      name, encoder, decoder, internalSize,
      apply(x: tf.Tensor4D, opts: { training: boolean }): DepthOutput {
        if (!internalSize || (x.shape[1] === internalSize[0] && x.shape[2] === internalSize[1])) return run(x, opts.training);
        return resizedRun(x, internalSize, (xi) => run(xi, opts.training));
      },
      trainableVariables: () => Object.fromEntries(store.trainable),
      allVariables: () => ({ ...Object.fromEntries(store.trainable), ...Object.fromEntries(store.nonTrainable) }),
      parameterCount: () => countParams(store),
      summary(): string {
        const enc = [...store.trainable].filter(([k]) => k.startsWith('encoder/')).reduce((a, [, v]) => a + v.size, 0);
        const total = countParams(store);
        return `${name}: ${encoder.name} encoder ${(enc / 1e6).toFixed(2)} M, ${decoder.name} decoder ${((total - enc) / 1e6).toFixed(2)} M, ` +
          `total ${(total / 1e6).toFixed(2)} M trainable parameters`;
      },
      dispose: () => store.dispose(),
    };
  } catch (err) {
    store.dispose();
    throw err;
  }
}

/**
 * Runs the net at internal size (bilinear, half-pixel centres) and brings every disparity map back to the input size
 * over 2^s. Disparities are fractions (sigmoid or width-fraction), so resizing keeps their meaning; features stay at
 * the internal resolution (hint distillation resizes them anyway).
 */
function resizedRun(x: tf.Tensor4D, size: [number, number], run: (xi: tf.Tensor4D) => DepthOutput): DepthOutput {
  const xi = resizeBilinear(x, size);
  let out: DepthOutput;
  try { out = run(xi); } finally { xi.dispose(); }
  const [h, w] = [x.shape[1], x.shape[2]];
  const disparities = out.disparities.map((d, s) => {
    const target: [number, number] = [Math.max(1, Math.floor(h / 2 ** s)), Math.max(1, Math.floor(w / 2 ** s))];
    const r = resizeBilinear(d, target);
    d.dispose();
    return r;
  });
  return { disparities, features: out.features };
}

/** A named preset (see PRESETS); options override it: a component without a name (or with the preset's) merges its
 *  options into the preset's, one with another name replaces it. */
export function createModel(name: string, options: DepthNetConfig = {}): DepthNet {
  const preset = findPreset(name);
  const merge = (base: ComponentSpec & { name: string }, over: ComponentSpec | undefined): ComponentSpec =>
    over && over.name !== undefined && over.name !== base.name ? over : { ...base, ...over, name: base.name };
  return createDepthNet({
    encoder: merge(preset.encoder, options.encoder as ComponentSpec | undefined),
    decoder: merge(preset.decoder, options.decoder as ComponentSpec | undefined),
    internalSize: options.internalSize !== undefined ? options.internalSize : preset.internalSize,
  }, name);
}
