/**
 * BILINEAR_SAMPLE and its gradient (bilinear_sample.ts) on the tensorflow backend. Each sampled point is a 1x1
 * CropAndResize crop: TensorFlow samples a one-pixel crop of the box [y1, x1, y2, x2] at ((y1 + y2) / 2 * (H-1),
 * (x1 + x2) / 2 * (W-1)), interpolating its four taps bilinearly, so the box of the point (x, y) is
 * [y/(H-1), x/(W-1), y/(H-1), x/(W-1)]. CropAndResizeGradBoxes returns dy times the interpolant's slopes, summed over the
 * channels, per box coordinate: half of d/dy * (H-1) in each of y1 and y2 (likewise x), so dy_point = (g_y1 + g_y2) / (H-1).
 * CropAndResizeGradImage is the scatter onto the image. The boxes are packed as [4, ...] planes and transposed: TensorFlow
 * packs along the last axis ~8x slower. Measured at 96x320, batch 16 (4 scales x batch 4), one 2-D warp forward and
 * backward: ~40 ms of kernels against ~100 ms for the composed sampler (under load).
 */
import * as tf from '@tensorflow/tfjs-core';

import { BILINEAR_SAMPLE, BILINEAR_SAMPLE_GRAD } from './bilinear_sample.js';
import { keptPerKey, type KernelArgs, type KeyedData, type NativeBackend, type OpAttr } from './native_backend.js';

/** The image index of every sampled point (CropAndResize's box_ind), written once per (N, points per image). */
const boxIndexCache: KeyedData = new WeakMap();

function boxIndices(b: NativeBackend, n: number, perImage: number): tf.TensorInfo {
  return keptPerKey(boxIndexCache, b, `${n}x${perImage}`, () => {
    const ids = new Int32Array(n * perImage);
    for (let i = 0; i < n; i++) ids.fill(i, i * perImage, (i + 1) * perImage);
    return [{ dataId: b.write(ids, [n * perImage], 'int32'), shape: [n * perImage], dtype: 'int32' as const }];
  })[0]!;
}

function checkInputs(image: tf.TensorInfo, x: tf.TensorInfo, y: tf.TensorInfo, kernel: string): void {
  const [n, h, w] = image.shape;
  const ok = image.dtype === 'float32' && image.shape.length === 4 && h! >= 2 && w! >= 2 && x.dtype === 'float32'
    && x.shape.length === 3 && x.shape[0] === n && tf.util.arraysEqual(x.shape, y.shape) && y.dtype === 'float32';
  if (!ok) throw new Error(`${kernel} (tensorflow): expected float32 image [N,H,W,C] (H, W >= 2) and x, y [N,Ho,Wo], got [${image.shape}], [${x.shape}], [${y.shape}]`);
}

/** TensorFlow ops on the backend directly, each result owned by the caller. */
function ops(b: NativeBackend) {
  const { binding } = b;
  const T: OpAttr = { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT };
  const method: OpAttr = { name: 'method', type: binding.TF_ATTR_STRING, value: 'bilinear' };
  const withInt32 = (op: 'Reshape' | 'Transpose', attr: string, x: tf.TensorInfo, values: number[]): tf.Tensor => {
    const arg = tf.tensor1d(values, 'int32');
    const out = b.executeSingleOutput(op, [T, { name: attr, type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 }], [x, arg]);
    arg.dispose();
    return out;
  };
  return {
    T, method,
    reshape: (x: tf.TensorInfo, shape: number[]) => withInt32('Reshape', 'Tshape', x, shape),
    transpose: (x: tf.TensorInfo, perm: number[]) => withInt32('Transpose', 'Tperm', x, perm),
    scale: (x: tf.TensorInfo, factor: number): tf.Tensor => {
      const s = tf.scalar(factor);
      const out = b.executeSingleOutput('Mul', [T], [x, s]);
      s.dispose();
      return out;
    },
  };
}

/** The points' boxes [P,4]: [y/(H-1), x/(W-1)] twice (normalised by multiplying with the reciprocals). */
function pointBoxes(b: NativeBackend, o: ReturnType<typeof ops>, x: tf.TensorInfo, y: tf.TensorInfo, h: number, w: number): tf.Tensor {
  const ny = o.scale(y, 1 / (h - 1));
  const nx = o.scale(x, 1 / (w - 1));
  const planes = b.executeSingleOutput('Pack', [o.T, { name: 'N', type: b.binding.TF_ATTR_INT, value: 4 }, { name: 'axis', type: b.binding.TF_ATTR_INT, value: 0 }], [ny, nx, ny, nx]);
  const perPoint = o.transpose(planes, [1, 2, 3, 0]);
  const boxes = o.reshape(perPoint, [-1, 4]);
  tf.dispose([ny, nx, planes, perPoint]);
  return boxes;
}

/** What both kernels start from: checked shapes, the TensorFlow ops, the points' boxes (owned) and box indices (cached). */
function pointSetup(b: NativeBackend, image: tf.TensorInfo, x: tf.TensorInfo, y: tf.TensorInfo, kernel: string) {
  checkInputs(image, x, y, kernel);
  const [n, h, w, c] = image.shape as [number, number, number, number];
  const [, ho, wo] = x.shape as [number, number, number];
  const o = ops(b);
  return { o, n, h, w, c, ho, wo, boxes: pointBoxes(b, o, x, y, h, w), ids: boxIndices(b, n, ho * wo) };
}

function bilinearSampleNative({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { image, x, y } = inputs as Record<'image' | 'x' | 'y', tf.TensorInfo>;
  const b = backend as NativeBackend;
  const { o, n, c, ho, wo, boxes, ids } = pointSetup(b, image, x, y, BILINEAR_SAMPLE);
  const cropSize = tf.tensor1d([1, 1], 'int32');
  const crops = b.executeSingleOutput('CropAndResize', [o.T, o.method, { name: 'extrapolation_value', type: b.binding.TF_ATTR_FLOAT, value: 0 }],
    [image, boxes, ids, cropSize]);
  const out = o.reshape(crops, [n, ho, wo, c]);
  tf.dispose([boxes, cropSize, crops]);
  return out;
}

function bilinearSampleGradNative({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { dy, image, x, y } = inputs as Record<'dy' | 'image' | 'x' | 'y', tf.TensorInfo>;
  const b = backend as NativeBackend;
  const { o, n, h, w, c, ho, wo, boxes, ids } = pointSetup(b, image, x, y, BILINEAR_SAMPLE_GRAD);
  const grads = o.reshape(dy, [-1, 1, 1, c]);
  const perBox = b.executeSingleOutput('CropAndResizeGradBoxes', [o.T, o.method], [grads, image, boxes, ids]);
  const perPoint = o.reshape(perBox, [n, ho, wo, 4]);
  const planes = o.transpose(perPoint, [3, 0, 1, 2]);
  const [gy1, gx1, gy2, gx2] = b.executeMultipleOutputs('Unpack', [o.T, { name: 'num', type: b.binding.TF_ATTR_INT, value: 4 }, { name: 'axis', type: b.binding.TF_ATTR_INT, value: 0 }], [planes], 4);
  const sumY = b.executeSingleOutput('AddV2', [o.T], [gy1!, gy2!]);
  const sumX = b.executeSingleOutput('AddV2', [o.T], [gx1!, gx2!]);
  const dx = o.scale(sumX, 1 / (w - 1));
  const dyCoord = o.scale(sumY, 1 / (h - 1));
  let dImage: tf.Tensor;
  if ((attrs as unknown as { imageGradient: boolean }).imageGradient) {
    const size = tf.tensor1d([n, h, w, c], 'int32');
    dImage = b.executeSingleOutput('CropAndResizeGradImage', [o.T, o.method], [grads, boxes, ids, size]);
    size.dispose();
  } else {
    dImage = tf.zeros([n, h, w, c]);
  }
  tf.dispose([boxes, grads, perBox, perPoint, planes, gy1!, gx1!, gy2!, gx2!, sumY, sumX]);
  return [dImage, dx, dyCoord];
}

export const BILINEAR_KERNELS: [string, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]][] = [
  [BILINEAR_SAMPLE, bilinearSampleNative],
  [BILINEAR_SAMPLE_GRAD, bilinearSampleGradNative],
];
