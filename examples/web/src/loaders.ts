/** The model loaders the page offers, one per format/runtime; the Model menu lists every served file one of them reads. */
import * as tf from '@tensorflow/tfjs-core';

import { hasMetricScale } from '../../../src/models/output_convention.js';
import { loadDepthModel } from '../../../src/web/index.js';
import type { ModelLoader, PageDepthModel } from './model.js';

/** `stereodepth-depthnet/1` (model.json + weights.bin) through the stereodepth/web entry: the primary path. */
const depthnet: ModelLoader = {
  id: 'depthnet',
  label: 'stereodepth/web (tfjs)',
  accepts: (file, json) => file.endsWith('model.json') && (json as { format?: string } | undefined)?.format === 'stereodepth-depthnet/1',
  async load(url: string): Promise<PageDepthModel> {
    const model = await loadDepthModel(url);
    const { output } = model;
    return {
      description: `stereodepth-depthnet/1 via stereodepth/web: ${model.net.name}, ${output.inputWidth}x${output.inputHeight} input, ${output.convention} output, trained ${output.trainedWith}`,
      inputHeight: output.inputHeight,
      inputWidth: output.inputWidth,
      units: hasMetricScale(output) ? 'm' : 'relative',
      async depth(image: tf.Tensor4D): Promise<Float32Array> {
        const depth = model.estimateDepth(image, { output: 'metres' });
        try { return (await depth.data()) as Float32Array; } finally { depth.dispose(); }
      },
      dispose: () => model.dispose(),
    };
  },
};

export const LOADERS: ModelLoader[] = [depthnet];
