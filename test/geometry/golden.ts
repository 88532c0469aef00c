/** Loads ../shared/golden tensors (raw little-endian float32 + JSON sidecar); null when ../shared is absent. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GOLDEN_DIR = path.resolve(repoRoot, '../shared/golden');
export const HAVE_GOLDEN = fs.existsSync(path.join(GOLDEN_DIR, 'README.md'));
if (!HAVE_GOLDEN) console.warn(`skipping golden tests: ${GOLDEN_DIR} is absent (a clone without ../shared)`);

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
