/**
 * Inference core: a depth net's left disparity for a batch (optionally flip post-processed as monodepth does),
 * and whole splits of decoded images resized to the net's input size, batched, gathered into one N x H x W array.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DepthNet } from '../models/types.js';
import { DatasetError, type RgbImage } from '../data/types.js';
import { postProcessDisparity } from '../eval/postprocess.js';
import { leftDisparity } from '../models/output_convention.js';

export interface PredictOptions {
  /** Flip post-processing (monodepth `post_process_disparity`, monodepth2 `--post_process`). */
  postProcess: boolean;
}

/** The raw left disparity and, when asked, its flip post-processed twin; both [B, H, W, 1]. */
export interface DisparityPair {
  disparity: tf.Tensor4D;
  postProcessed?: tf.Tensor4D;
}

function checkNetInput(image: tf.Tensor4D): void {
  if (image.rank !== 4 || image.shape[3] !== 3) {
    throw new Error(`predictDisparity: expected an image batch [B, H, W, 3] in [0, 1], got shape [${image.shape.join(', ')}]`);
  }
}

/**
 * Runs the net once (in eval mode) and returns channel 0 of the full-resolution disparity — the left view's: monodepth
 * v1 nets output [left, right] on 2 channels, monodepth2 nets 1. With `postProcess` the batch is run together with its
 * horizontal flip (one pass of 2B images; BN uses running statistics, so the batch does not change the result) and
 * eval/postprocess.ts blends the two with its edge ramps.
 */
export function predictDisparityPair(net: DepthNet, image: tf.Tensor4D, postProcess: boolean): DisparityPair {
  checkNetInput(image);
  const both = tf.tidy(() => {
    const x = postProcess ? tf.concat([image, tf.reverse(image, 2)], 0) : image;
    return leftDisparity(net.apply(x, { training: false }).disparities[0]!);
  });
  if (!postProcess) return { disparity: both };
  const [b, h, w] = image.shape;
  try {
    const values = both.dataSync() as Float32Array;
    const pp = new Float32Array(b * h * w);
    for (let i = 0; i < b; i++) {
      const plane = (k: number) => ({ data: values.subarray(k * h * w, (k + 1) * h * w), height: h, width: w });
      pp.set(postProcessDisparity(plane(i), plane(b + i)).data, i * h * w);
    }
    return { disparity: tf.slice(both, [0, 0, 0, 0], [b, -1, -1, -1]) as tf.Tensor4D, postProcessed: tf.tensor4d(pp, [b, h, w, 1]) };
  } finally {
    both.dispose();
  }
}

/**
 * Left disparity [B, H, W, 1] of `image` ([B, H, W, 3] in [0, 1] at the net's input size), in the net's own convention
 * (raw sigmoid for monodepth2 nets, width fraction for monodepth v1); flip post-processed when asked.
 */
export function predictDisparity(net: DepthNet, image: tf.Tensor4D, opts: PredictOptions): tf.Tensor4D {
  const { disparity, postProcessed } = predictDisparityPair(net, image, opts.postProcess);
  if (!postProcessed) return disparity;
  disparity.dispose();
  return postProcessed;
}

/**
 * A decoded 8-bit RGB image as a [1, height, width, 3] net input in [0, 1]: tfjs bilinear resize with half-pixel
 * centres (cv2 INTER_LINEAR / torch align_corners=False sampling, no antialiasing) when the size differs.
 */
export function rgbToNetInput(rgb: RgbImage, height: number, width: number, where = 'image'): tf.Tensor4D {
  if (rgb.channels !== 3 || rgb.data.length !== rgb.width * rgb.height * 3) {
    throw new DatasetError(`expected ${rgb.width}x${rgb.height}x3 RGB bytes, got ${rgb.data.length} bytes with ${rgb.channels} channels`, where);
  }
  return tf.tidy(() => {
    const x = tf.div(tf.tensor4d(Float32Array.from(rgb.data), [1, rgb.height, rgb.width, 3]), 255) as tf.Tensor4D;
    if (rgb.height === height && rgb.width === width) return x;
    return tf.image.resizeBilinear(x, [height, width], false, true);
  });
}

export interface SplitImage {
  /** Names the image in errors (split line, file name). */
  id: string;
  rgb: RgbImage;
}

export interface PredictSplitOptions {
  /** The net's input size. */
  height: number;
  width: number;
  batchSize: number;
  postProcess: boolean;
  /** Called after each batch with the images done so far (and the total when `images` is an array). */
  onProgress?: (done: number, total: number | undefined) => void;
}

/** Predictions of a split in input order: N x height x width float32, row-major. */
export interface SplitPredictions {
  disparities: Float32Array;
  /** Flip post-processed disparities, when asked. */
  pp?: Float32Array;
  n: number;
  height: number;
  width: number;
  ids: string[];
}

/** Predicts every image of a split (an array or an async stream, e.g. a dataset read lazily) at the net's size. */
export async function predictSplit(
  net: DepthNet,
  images: Iterable<SplitImage> | AsyncIterable<SplitImage>,
  opts: PredictSplitOptions,
): Promise<SplitPredictions> {
  const { height, width, postProcess } = opts;
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`predictSplit: batchSize must be a positive integer, got ${opts.batchSize}`);
  const total = Array.isArray(images) ? images.length : undefined;
  const plane = height * width;
  // Known count (an array): fill one preallocated array per output; a stream: keep the batches and join them at the end.
  const disp = new PlaneCollector(total, plane);
  const pp = new PlaneCollector(total, plane);
  const ids: string[] = [];
  let pending: tf.Tensor4D[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const batch = tf.concat(pending, 0);
    tf.dispose(pending);
    pending = [];
    const { disparity, postProcessed } = predictDisparityPair(net, batch, postProcess);
    batch.dispose();
    try {
      disp.add((await disparity.data()) as Float32Array);
      if (postProcessed) pp.add((await postProcessed.data()) as Float32Array);
    } finally {
      tf.dispose([disparity, postProcessed].filter((t): t is tf.Tensor4D => t !== undefined));
    }
    opts.onProgress?.(ids.length, total);
  };
  try {
    for await (const item of images) {
      pending.push(rgbToNetInput(item.rgb, height, width, item.id));
      ids.push(item.id);
      if (pending.length === opts.batchSize) await flush();
    }
    await flush();
  } finally {
    tf.dispose(pending);
  }
  if (ids.length === 0) throw new Error('predictSplit: no images to predict');
  return { disparities: disp.result(), ...(postProcess ? { pp: pp.result() } : {}), n: ids.length, height, width, ids };
}

/** Row-major planes appended batch by batch into one Float32Array. */
class PlaneCollector {
  private readonly chunks: Float32Array[] = [];
  private readonly fixed?: Float32Array;
  private length = 0;

  constructor(count: number | undefined, plane: number) {
    if (count !== undefined) this.fixed = new Float32Array(count * plane);
  }

  add(values: Float32Array): void {
    if (this.fixed) this.fixed.set(values, this.length);
    else this.chunks.push(values);
    this.length += values.length;
  }

  result(): Float32Array {
    if (this.fixed) return this.fixed;
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Float32Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
