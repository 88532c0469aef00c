/**
 * Activation ranges for static int8: runs the IR graph (run_graph.ts) on calibration images and records each node
 * output's min and max over all of them (plain min/max calibration; the images come from a split of the dataset).
 */
import * as tf from '@tensorflow/tfjs-core';

import type { Graph } from './graph.js';
import { runGraph } from './run_graph.js';

/** [min, max] per tensor name over the calibration inputs (each [1, H, W, 3] at the graph's input size). */
export function calibrateRanges(g: Graph, inputs: Iterable<tf.Tensor>, onProgress?: (done: number) => void): Map<string, [number, number]> {
  const ranges = new Map<string, [number, number]>();
  const observe = (name: string, t: tf.Tensor) => {
    if (t.dtype !== 'float32') return;
    const [lo, hi] = tf.tidy(() => [tf.min(t).dataSync()[0]!, tf.max(t).dataSync()[0]!]);
    const r = ranges.get(name);
    ranges.set(name, r ? [Math.min(r[0], lo!), Math.max(r[1], hi!)] : [lo!, hi!]);
  };
  let done = 0;
  for (const x of inputs) {
    observe(g.input.name, x);
    tf.dispose(runGraph(g, x, { onTensor: observe }));
    done++;
    onProgress?.(done);
  }
  if (done === 0) throw new Error('calibration: no images (need at least one calibration image)');
  return ranges;
}
