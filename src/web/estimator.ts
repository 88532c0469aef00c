/**
 * A depth estimator for browsers (tfjs-models style): `createEstimator(source)` loads a model exported by
 * `stereodepth export` from a URL or any tfjs IOHandler, rebuilds the network with the project's own model code and
 * estimates depth (metres, through the output convention and rig stored with the model) or the raw disparity for an
 * image, resized to the trained input size and back. tfjs-core only: register a backend (webgl, wasm, cpu) first.
 */
import * as tf from '@tensorflow/tfjs-core';

import { depthNetFromWeights, exportedModelMeta, type ExportedModelJson } from '../models/exported_model.js';
import { leftDisparity, metricDepth, type OutputConvention } from '../models/output_convention.js';
import type { DepthNet } from '../models/types.js';

/** Where the model comes from: the URL of its model.json (weights beside it), or a tfjs IOHandler (tf.io.fromMemory ...). */
export type ModelSource = string | tf.io.IOHandler;

/** ImageData or anything shaped like it: RGBA (4 bytes per pixel) or RGB (3) bytes, row-major. */
export interface ImageDataLike {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** An image: [H, W, 3] or [1, H, W, 3] (float32 in [0, 1], or int32 in [0, 255]), or ImageData-like bytes. */
export type ImageInput = tf.Tensor3D | tf.Tensor4D | ImageDataLike;

export interface EstimationConfig {
  /**
   * 'metres' (default): depth through the stored rig and training scale (a mono-trained net's depth is relative);
   * 'disparity': channel 0 of the network output in its own convention (output.convention), resized to the image.
   */
  output?: 'metres' | 'disparity';
}

export interface EstimatorConfig {
  /** fetch used for URL sources (default: the global fetch). */
  fetchFunc?: typeof fetch;
}

export interface DepthEstimator {
  /** What the network outputs, its training rig and input size. */
  readonly convention: OutputConvention;
  /** The rebuilt network (e.g. to count parameters). */
  readonly net: DepthNet;
  /** Depth (or disparity) [H, W] at the image's own size; the caller disposes it. */
  estimateDepth(image: ImageInput, config?: EstimationConfig): Promise<tf.Tensor2D>;
  /** Releases the network's weights. */
  dispose(): void;
}

type Artifacts = Partial<ExportedModelJson> & { weightSpecs?: tf.io.WeightsManifestEntry[]; weightData?: tf.io.WeightData; userDefinedMetadata?: unknown };

/** model.json and its weight files from a URL (both the current and the earlier `stereodepth-depthnet/1` exports). */
async function artifactsFromUrl(url: string, fetchFunc: typeof fetch): Promise<Artifacts> {
  const get = async (u: string): Promise<Response> => {
    const res = await fetchFunc(u);
    if (!res.ok) throw new Error(`${u}: HTTP ${res.status} ${res.statusText}`);
    return res;
  };
  const json = (await (await get(url)).json()) as ExportedModelJson;
  const group = json.weightsManifest?.[0];
  if (!group) throw new Error(`${url}: no weightsManifest (expected the model.json that \`stereodepth export\` writes)`);
  const base = url.slice(0, url.lastIndexOf('/') + 1);
  const buffers = await Promise.all(group.paths.map(async (p) => (await get(base + p)).arrayBuffer()));
  return { ...json, weightSpecs: group.weights, weightData: buffers.length === 1 ? buffers[0]! : tf.io.concatenateArrayBuffers(buffers) };
}

/** An image as a [1, H, W, 3] float32 batch in [0, 1]. */
function toBatch(image: ImageInput): tf.Tensor4D {
  return tf.tidy(() => {
    if (image instanceof tf.Tensor) {
      const x = image.rank === 3 ? tf.expandDims(image, 0) : image;
      if (x.rank !== 4 || x.shape[0] !== 1 || x.shape[3] !== 3) throw new Error(`estimateDepth: expected an image [H, W, 3] or [1, H, W, 3], got [${image.shape.join(', ')}]`);
      return (image.dtype === 'int32' ? tf.div(x, 255) : tf.cast(x, 'float32')) as tf.Tensor4D;
    }
    const { data, width, height } = image;
    const channels = data.length / (width * height);
    if (channels !== 3 && channels !== 4) throw new Error(`estimateDepth: ${data.length} bytes for ${width}x${height}: expected RGB or RGBA`);
    const pixels = tf.tensor4d(Float32Array.from(data), [1, height, width, channels]);
    const rgb = channels === 4 ? tf.slice(pixels, [0, 0, 0, 0], [-1, -1, -1, 3]) : pixels;
    return tf.div(rgb, 255) as tf.Tensor4D;
  });
}

/** Loads an exported model and returns an estimator for it. */
export async function createEstimator(source: ModelSource, config: EstimatorConfig = {}): Promise<DepthEstimator> {
  const where = typeof source === 'string' ? source : 'IOHandler';
  let artifacts: Artifacts;
  if (typeof source === 'string') {
    const fetchFunc = config.fetchFunc ?? globalThis.fetch;
    if (!fetchFunc) throw new Error(`${source}: no fetch available; pass an IOHandler or config.fetchFunc`);
    artifacts = await artifactsFromUrl(source, fetchFunc);
  } else {
    if (!source.load) throw new Error('createEstimator: the IOHandler has no load()');
    artifacts = (await source.load()) as Artifacts;
  }
  const meta = exportedModelMeta(artifacts, where);
  if (!artifacts.weightSpecs || artifacts.weightData === undefined) throw new Error(`${where}: the model has no weights (weightSpecs / weightData)`);
  const data = Array.isArray(artifacts.weightData) ? tf.io.concatenateArrayBuffers(artifacts.weightData) : artifacts.weightData;
  const net = depthNetFromWeights(meta, artifacts.weightSpecs, data, where);
  const convention = meta.output;
  return {
    convention,
    net,
    async estimateDepth(image: ImageInput, opts: EstimationConfig = {}): Promise<tf.Tensor2D> {
      const x = toBatch(image);
      try {
        return tf.tidy(() => {
          const [, h, w] = x.shape;
          const { inputHeight, inputWidth } = convention;
          const input = h === inputHeight && w === inputWidth ? x : tf.image.resizeBilinear(x, [inputHeight, inputWidth], false, true);
          const small = leftDisparity(net.apply(input, { training: false }).disparities[0]!);
          const full = h === inputHeight && w === inputWidth ? small : tf.image.resizeBilinear(small, [h, w], false, true);
          const out = opts.output === 'disparity' ? full : metricDepth(full, convention);
          return tf.reshape(out, [h, w]) as tf.Tensor2D;
        });
      } finally {
        x.dispose();
      }
    },
    dispose: () => net.dispose(),
  };
}
