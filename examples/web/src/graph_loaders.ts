/**
 * Loaders for the standard formats `stereodepth export --format tfjs|onnx` writes: the TF.js graph model through
 * @tensorflow/tfjs-converter's loadGraphModel. No stereodepth network code runs; the model's metadata
 * (`userDefinedMetadata.stereodepth`) gives the input size and what the output means.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';

import { hasMetricScale, metricDepth } from '../../../src/web/index.js';
import type { ExportMetadata } from '../../../src/export/metadata.js';
import type { ModelLoader, PageDepthModel } from './model.js';

/** The export metadata of a graph model.json, or undefined when it is not one `stereodepth export` wrote. */
function graphModelMeta(json: unknown): ExportMetadata | undefined {
  const j = json as { format?: string; userDefinedMetadata?: { stereodepth?: ExportMetadata } } | undefined;
  return j?.format === 'graph-model' ? j.userDefinedMetadata?.stereodepth : undefined;
}

/** A page model around a runner of the exported graph: [1, H, W, 3] -> the output tensor ([1, H, W, 1]). */
function pageModel(meta: ExportMetadata, runtime: string, run: (image: tf.Tensor4D) => Promise<tf.Tensor4D>): PageDepthModel {
  const c = meta.convention;
  return {
    description: `${meta.model} ${meta.precision} (${meta.version}) via ${runtime}, ${meta.ioSize.width}x${meta.ioSize.height} input, ${meta.output.kind} output, ${c.convention} trained ${c.trainedWith}`,
    inputHeight: meta.ioSize.height,
    inputWidth: meta.ioSize.width,
    units: hasMetricScale(c) ? 'm' : 'relative',
    async depth(image: tf.Tensor4D): Promise<Float32Array> {
      const y = await run(image);
      // a disparity export is turned into depth with the convention it carries, as the depthnet path does
      const depth = meta.output.kind === 'depth' ? y : tf.tidy(() => metricDepth(y, c));
      try { return (await depth.data()) as Float32Array; } finally { tf.dispose([y, depth]); }
    },
    dispose: () => undefined,
  };
}

/** model.json in the tfjs-converter graph-model format, run by tf.loadGraphModel on the page's tfjs backend. */
const graphModel: ModelLoader = {
  id: 'graph',
  label: 'TF.js graph model (loadGraphModel)',
  accepts: (file, json) => file.endsWith('model.json') && graphModelMeta(json) !== undefined,
  async load(url: string): Promise<PageDepthModel> {
    const json: unknown = await (await fetch(url)).json();
    const meta = graphModelMeta(json);
    if (!meta) throw new Error(`${url}: not a graph model written by stereodepth export (no userDefinedMetadata.stereodepth)`);
    // the shards are fetched one after the other and handed over in memory: through tfjs's http loader (all shards
    // requested at once) loading stalled in headless Chromium after the first six of twelve shards
    const base = new URL(url, location.href);
    const artifacts = await tf.io.getModelArtifactsForJSON(json as tf.io.ModelJSON, async (manifest) => {
      const specs = manifest.flatMap((group) => group.weights);
      const parts: ArrayBuffer[] = [];
      for (const path of manifest.flatMap((group) => group.paths)) parts.push(await (await fetch(new URL(path, base))).arrayBuffer());
      return [specs, tf.io.concatenateArrayBuffers(parts)];
    });
    const model = await loadGraphModel(tf.io.fromMemory(artifacts));
    const page = pageModel(meta, 'tfjs-converter loadGraphModel', async (image) => model.execute(image) as tf.Tensor4D);
    return { ...page, dispose: () => model.dispose() };
  },
};

export const GRAPH_LOADERS: ModelLoader[] = [graphModel];
