/**
 * Named encoder + decoder combinations (the config's `model.name`). Each states the input size of its reference so
 * `info` and `bench` can default to it.
 */
import type { ComponentSpec } from './types.js';

export interface ModelPreset {
  readonly name: string;
  readonly describe: string;
  readonly encoder: ComponentSpec & { name: string };
  readonly decoder: ComponentSpec & { name: string };
  /** Resolution the network runs at inside apply (input resized to it and outputs back); null = the input's. */
  readonly internalSize: [number, number] | null;
  /** [H, W] input of the reference this preset reproduces. */
  readonly referenceSize: [number, number];
}

export const PRESETS: readonly ModelPreset[] = [
  {
    name: 'monodepth2_resnet18', describe: 'monodepth2: ResNet18 + DepthDecoder',
    encoder: { name: 'resnet', numLayers: 18 }, decoder: { name: 'monodepth2' }, internalSize: null, referenceSize: [192, 640],
  },
  {
    name: 'monodepth2_resnet50', describe: 'monodepth2 with ResNet50',
    encoder: { name: 'resnet', numLayers: 50 }, decoder: { name: 'monodepth2' }, internalSize: null, referenceSize: [192, 640],
  },
  {
    name: 'monodepth_resnet50', describe: 'monodepth (v1) ResNet50: two disparity channels, 0.3 x sigmoid',
    encoder: { name: 'resnet', numLayers: 50 }, decoder: { name: 'monodepth2', numOutputChannels: 2, outputScale: 0.3 },
    internalSize: null, referenceSize: [256, 512],
  },
  {
    name: 'fastdepth', describe: 'FastDepth: MobileNet v1 + NNConv5 (depthwise, additive skips), 224x224',
    encoder: { name: 'mobilenet_v1' }, decoder: { name: 'nnconv5' }, internalSize: null, referenceSize: [224, 224],
  },
  {
    name: 'mai2021', describe: 'MAI 2021: MobileNetV3-Large + resize/depthwise decoder at 128x160 inside, 480x640 in and out',
    encoder: { name: 'mobilenet_v3', variant: 'large' }, decoder: { name: 'resize_dw' }, internalSize: [128, 160], referenceSize: [480, 640],
  },
];

export type ModelName = 'monodepth2_resnet18' | 'monodepth2_resnet50' | 'monodepth_resnet50' | 'fastdepth' | 'mai2021';

export const PRESET_NAMES = PRESETS.map((p) => p.name) as [string, ...string[]];

export function findPreset(name: string): ModelPreset {
  const p = PRESETS.find((x) => x.name === name);
  if (!p) throw new Error(`createModel: unknown model "${name}"; expected one of ${PRESET_NAMES.join(', ')}`);
  return p;
}
