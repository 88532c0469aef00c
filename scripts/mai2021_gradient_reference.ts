/**
 * Investigation tool for the mai2021 whole-net gradient check (test/models/gradients.test.ts): runs the same
 * computation as the test (mai2021 at internal size 64x64 on a [2, 48, 80, 3] input, the 4-scale loss) on the cpu and
 * wasm backends and writes the initial weights, the input, the targets and both backends' float32 gradients to
 * <out>.bin (float32) + <out>.json (index). scripts/mai2021_gradient_reference.py rebuilds the net in torch float64
 * from that dump and measures each backend's error against float64 (needs PyTorch; not part of the test suite).
 *
 *   npx tsx scripts/mai2021_gradient_reference.ts [--seed 2] [--target random|constant] [--eval] [--out /tmp/mai_grads]
 *   /usr/bin/python3 scripts/mai2021_gradient_reference.py /tmp/mai_grads [--per-variable] [--flip <unit>]
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { createModel } from '../src/models/registry.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const seed = Number(arg('seed', '2'));
const randomTarget = arg('target', 'random') === 'random';
const training = !process.argv.includes('--eval');
const out = arg('out', '/tmp/mai_grads');
const [inH, inW, internal] = [48, 80, [64, 64] as [number, number]];

const index: { name: string; shape: number[]; offset: number; size: number }[] = [];
const chunks: Float32Array[] = [];
let offset = 0;
function put(name: string, t: tf.Tensor): void {
  const data = Float32Array.from(t.dataSync() as Float32Array);
  index.push({ name, shape: t.shape, offset, size: data.length });
  chunks.push(data);
  offset += data.length;
}

const losses: Record<string, number> = {};
for (const backend of ['cpu', 'wasm'] as const) {
  await initBackend(backend);
  const model = createModel('mai2021', { internalSize: internal });
  const x = tf.randomUniform([2, inH, inW, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
  const vars = model.trainableVariables();
  const names = Object.keys(vars);
  if (backend === 'cpu') {
    put('input', x);
    for (const n of names) put(`w:${n}`, vars[n]!);
  }
  const { value, grads } = tf.variableGrads(() => {
    const o = model.apply(x, { training });
    tf.dispose(o.features);
    const perScale = o.disparities.map((d, s) => {
      const target = randomTarget ? tf.randomUniform(d.shape, 0, 1, 'float32', 100 + s) : tf.fill(d.shape, 0.3);
      if (backend === 'cpu') put(`target_${s}`, target);
      return tf.mul(tf.mean(tf.square(tf.sub(d, target))), 1 / (s + 1));
    });
    return tf.addN(perScale) as tf.Scalar;
  }, names.map((n) => vars[n]!));
  losses[backend] = value.dataSync()[0]!;
  for (const n of names) put(`g_${backend}:${n}`, grads[vars[n]!.name]!);
  tf.dispose([value, x, ...Object.values(grads)]);
  model.dispose();
}
const all = new Float32Array(offset);
let o = 0;
for (const c of chunks) { all.set(c, o); o += c.length; }
writeFileSync(`${out}.bin`, Buffer.from(all.buffer));
writeFileSync(`${out}.json`, JSON.stringify({ inputSize: [inH, inW], internalSize: internal, seed, randomTarget, training, losses, index }));
console.log(`wrote ${out}.bin/.json (losses: cpu ${losses.cpu}, wasm ${losses.wasm})`);
process.exit(0); // the wasm backend's worker threads would keep node alive
