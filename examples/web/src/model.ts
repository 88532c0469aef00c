/** What the page needs of a depth model, whatever runtime runs it (tfjs with the stereodepth/web entry, tfjs graph model, ONNX). */
import type * as tf from '@tensorflow/tfjs-core';

export interface PageDepthModel {
  /** Shown in the page footer: format, runtime, input size, output convention. */
  readonly description: string;
  readonly inputHeight: number;
  readonly inputWidth: number;
  /** 'm' when the model's rig gives metres, 'relative' otherwise. */
  readonly units: 'm' | 'relative';
  /** `image` [1, inputHeight, inputWidth, 3] in [0, 1] -> depth, inputHeight x inputWidth row-major (0 = no depth). */
  depth(image: tf.Tensor4D): Promise<Float32Array>;
  dispose(): void;
}

/** One way to load a model file found in the served model folder. */
export interface ModelLoader {
  readonly id: string;
  readonly label: string;
  /** Whether this loader reads `file` (a path relative to /model/; `json` is its parsed content when it is JSON). */
  accepts(file: string, json: unknown): boolean;
  load(url: string): Promise<PageDepthModel>;
}
