/** The model loaders the page offers, one per format/runtime; the Model menu lists every served file one of them reads. */
import type * as tf from '@tensorflow/tfjs-core';

import { EXPORT_FORMAT, createEstimator, hasMetricScale } from '../../../src/web/index.js';
import { GRAPH_LOADERS } from './graph_loaders.js';
import type { ModelLoader, PageDepthModel } from './model.js';

/** `stereodepth export`'s model.json + weights.bin through the stereodepth/web entry: the primary path. */
const depthnet: ModelLoader = {
  id: 'depthnet',
  label: 'stereodepth/web (tfjs)',
  accepts: (file, json) => file.endsWith('model.json') && (json as { format?: string } | undefined)?.format === EXPORT_FORMAT,
  async load(url: string): Promise<PageDepthModel> {
    const estimator = await createEstimator(url);
    const c = estimator.convention;
    return {
      description: `${EXPORT_FORMAT} via stereodepth/web: ${estimator.net.name}, ${c.inputWidth}x${c.inputHeight} input, ${c.convention} output, trained ${c.trainedWith}`,
      inputHeight: c.inputHeight,
      inputWidth: c.inputWidth,
      units: hasMetricScale(c) ? 'm' : 'relative',
      async depth(image: tf.Tensor4D): Promise<Float32Array> {
        const depth = await estimator.estimateDepth(image, { output: 'metres' });
        try { return (await depth.data()) as Float32Array; } finally { depth.dispose(); }
      },
      dispose: () => estimator.dispose(),
    };
  },
};

export const LOADERS: ModelLoader[] = [depthnet, ...GRAPH_LOADERS];
