/** Loads the monodepth2 golden tensors (raw little-endian float32 + JSON sidecar) from the repository's test/fixtures/golden. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import { goldenDir as GOLDEN_DIR } from '../helpers/fixtures.js';

export function readGolden(name: string): { shape: number[]; data: Float32Array } {
  const meta = JSON.parse(fs.readFileSync(path.join(GOLDEN_DIR, `${name}.json`), 'utf8')) as { shape: number[] };
  const buf = fs.readFileSync(path.join(GOLDEN_DIR, `${name}.f32`));
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { shape: meta.shape, data };
}

/** NCHW golden tensor -> NHWC tf tensor. */
export function goldenNHWC(name: string): tf.Tensor4D {
  const g = readGolden(name);
  return tf.tidy(() => tf.transpose(tf.tensor4d(g.data, g.shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D);
}

export function goldenRaw(name: string): tf.Tensor {
  const g = readGolden(name);
  return tf.tensor(g.data, g.shape);
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

export const BACKENDS = ['cpu', 'wasm'] as const;
