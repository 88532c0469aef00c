/** Registry of depth networks (tfjs-models style): createDepthNet(config) / createModel(name, options). */
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from './layers.js';
import { ResnetEncoder } from './resnet.js';
import { DepthDecoder } from './decoder.js';
import { countParams } from './pose.js';
import type { DepthNet, DepthNetConfig, DepthOutput } from './types.js';

/** Encoder (ResNet18 default) + monodepth2 DepthDecoder. Variables `encoder/...` and `depth/...`. */
export function createDepthNet(config: DepthNetConfig = {}, name = 'resnet_depth'): DepthNet {
  const store = new ParamStore();
  const encoder = new ResnetEncoder(store, 'encoder', config.encoder);
  const decoder = new DepthDecoder(store, 'depth', encoder.numChEnc, config.decoder);
  return {
    name,
    apply(x: tf.Tensor4D, opts: { training: boolean }): DepthOutput {
      const feats = encoder.apply(x, opts.training);
      try { return decoder.apply(feats); } finally { for (const f of feats) f.dispose(); }
    },
    trainableVariables: () => Object.fromEntries(store.trainable),
    allVariables: () => ({ ...Object.fromEntries(store.trainable), ...Object.fromEntries(store.nonTrainable) }),
    parameterCount: () => countParams(store),
    summary(): string {
      const enc = [...store.trainable].filter(([k]) => k.startsWith('encoder/')).reduce((a, [, v]) => a + v.size, 0);
      const total = countParams(store);
      return `${name}: encoder ${(enc / 1e6).toFixed(2)} M, decoder ${((total - enc) / 1e6).toFixed(2)} M, total ${(total / 1e6).toFixed(2)} M trainable parameters`;
    },
    dispose: () => store.dispose(),
  };
}

export type ModelName = 'monodepth2_resnet18' | 'monodepth2_resnet50' | 'monodepth_resnet50';

export function createModel(name: string, options: DepthNetConfig = {}): DepthNet {
  switch (name) {
    case 'monodepth2_resnet18':
      return createDepthNet({ ...options, encoder: { numLayers: 18, ...options.encoder } }, name);
    case 'monodepth2_resnet50':
      return createDepthNet({ ...options, encoder: { numLayers: 50, ...options.encoder } }, name);
    case 'monodepth_resnet50':
      return createDepthNet({ encoder: { numLayers: 50, ...options.encoder }, decoder: { numOutputChannels: 2, outputScale: 0.3, ...options.decoder } }, name);
    default:
      throw new Error(`createModel: unknown model "${name}"; expected one of monodepth2_resnet18, monodepth2_resnet50, monodepth_resnet50`);
  }
}
