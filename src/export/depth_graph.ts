/**
 * The exported computation of a depth network, traced as one graph: optional bilinear resize in (io size -> network
 * size), the eval-mode network, the left disparity at full resolution, optional bilinear resize out (network size ->
 * io size), and the output head (the net's own disparity, or metric depth through models/output_convention.ts: rig and scale factor).
 * Every exporter, FLOP count and calibration starts from `depthNetGraph`.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { DepthNet } from '../models/types.js';
import { leftDisparity, metricDepth, type OutputConvention } from '../models/output_convention.js';
import type { Graph } from './graph.js';
import { traceGraph } from './trace.js';
import { optimiseGraph, type OptimiseOptions } from './passes.js';

export type ExportOutput = 'disparity' | 'depth';

export interface Size { height: number; width: number }

export interface DepthGraphOptions {
  /** Network input size (multiples of 32). */
  net: Size;
  /** Model input/output size with the resize inside the model (default: the network size, no resize). */
  io?: Size;
  /** 'disparity' (the net's convention, channel 0) or 'depth' (metres / the convention's units). Default 'disparity'. */
  output?: ExportOutput;
  /** Needed for output 'depth' (its rig and scale factor give metres). */
  convention?: OutputConvention;
  batch?: number;
  optimise?: OptimiseOptions;
}

/** `HxW` -> Size, with a clear error. */
export function parseSize(text: string, what: string): Size {
  const m = /^(\d+)x(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`${what}: expected HEIGHTxWIDTH such as 192x640, got '${text}'`);
  return { height: Number(m[1]), width: Number(m[2]) };
}

/** The function the graph is traced from (also the reference the exported models are compared with). */
export function depthForward(net: DepthNet, opts: DepthGraphOptions): (x: tf.Tensor) => tf.Tensor {
  const io = opts.io ?? opts.net;
  const resize = io.height !== opts.net.height || io.width !== opts.net.width;
  if ((opts.output ?? 'disparity') === 'depth' && !opts.convention) throw new Error('depthForward: output depth needs the output convention');
  return (x: tf.Tensor) => tf.tidy(() => {
    const input = resize ? tf.image.resizeBilinear(x as tf.Tensor4D, [opts.net.height, opts.net.width], false, true) : x;
    let d: tf.Tensor = leftDisparity(net.apply(input as tf.Tensor4D, { training: false }).disparities[0]!);
    if (resize) d = tf.image.resizeBilinear(d as tf.Tensor4D, [io.height, io.width], false, true);
    return (opts.output ?? 'disparity') === 'depth' ? metricDepth(d as tf.Tensor4D, opts.convention!) : d;
  });
}

/** Traced and optimised (BN folded, activations fused) graph of the depth net with its wrap-ups. */
export function depthNetGraph(net: DepthNet, opts: DepthGraphOptions): Graph {
  for (const s of [opts.net, opts.io ?? opts.net]) {
    if (!(Number.isInteger(s.height) && Number.isInteger(s.width) && s.height > 0 && s.width > 0)) throw new Error(`export: bad size ${s.height}x${s.width}`);
  }
  if (!net.internalSize && (opts.net.height % 32 || opts.net.width % 32)) throw new Error(`export: network size ${opts.net.height}x${opts.net.width} must be multiples of 32 (--size)`);
  const io = opts.io ?? opts.net;
  const raw = traceGraph(depthForward(net, opts), [opts.batch ?? 1, io.height, io.width, 3], {
    variables: net.allVariables(), inputName: 'image', outputNames: [opts.output ?? 'disparity'],
  });
  return optimiseGraph(raw, opts.optimise);
}
