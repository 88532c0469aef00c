import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { createModel } from '../../src/models/registry.js';
import type { DepthNet } from '../../src/models/types.js';
import { traceGraph } from '../../src/export/trace.js';
import { optimiseGraph, lowerCustomKernels, foldConstants, dropIdentities, foldAffineIntoConv, fuseActivations } from '../../src/export/passes.js';
import { runGraph } from '../../src/export/run_graph.js';
import { countGraph } from '../../src/export/flops.js';
import { depthForward, depthNetGraph } from '../../src/export/depth_graph.js';
import type { Graph } from '../../src/export/graph.js';
import { perturbBatchNorm } from '../helpers/export_fixtures.js';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('kernel-graph trace of a depth net', { timeout: 600_000 }, () => {
  let net: DepthNet;
  const shape = [1, 64, 64, 3];
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
    net = createModel('monodepth2_resnet18');
    perturbBatchNorm(net);
  });
  afterAll(() => net.dispose());

  const forward = (x: tf.Tensor) => tf.tidy(() => net.apply(x as tf.Tensor4D, { training: false }).disparities[0]!);

  it('records the forward as a graph that recomputes the model exactly, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const g = traceGraph(forward, shape, { variables: net.allVariables() });
    expect(tf.memory().numTensors).toBe(before);
    // variables are named constants; the project's reflect pad is a recorded kernel (not its nested work)
    expect(g.consts.has('encoder/conv1/kernel')).toBe(true);
    expect(g.nodes.filter((n) => n.op === 'StereodepthReflectPad')).toHaveLength(11);
    expect(g.nodes.filter((n) => n.op === 'Conv2D')).toHaveLength(20 + 11);
    const x = tf.randomUniform(shape, 0, 1, 'float32', 3);
    const ref = forward(x);
    const [out] = runGraph(g, x);
    expect(maxAbsDiff(ref, out!)).toBe(0);
    tf.dispose([x, ref, out!]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('each pass keeps the numbers (float32 rounding of the fold only) and the result has only standard ops', () => {
    const raw = traceGraph(forward, shape, { variables: net.allVariables() });
    const x = tf.randomUniform(shape, 0, 1, 'float32', 4);
    const ref = forward(x);
    let g: Graph = raw;
    for (const pass of [lowerCustomKernels, foldConstants, dropIdentities, foldAffineIntoConv, fuseActivations]) {
      g = pass(g);
      const [out] = runGraph(g, x);
      expect(maxAbsDiff(ref, out!), pass.name).toBeLessThan(1e-5);
      out!.dispose();
    }
    const ops = new Set(g.nodes.map((n) => n.op));
    expect([...ops].sort()).toEqual(['Add', 'Concat', 'FusedConv2D', 'MaxPool', 'MirrorPad', 'RealDiv', 'Relu', 'Reshape', 'Sub']);
    // BN folded: no Rsqrt/Multiply left; every conv has a bias, the decoder's ELUs and the head's sigmoid are fused
    const acts = g.nodes.filter((n) => n.op === 'FusedConv2D').map((n) => n.attrs.activation);
    expect(acts.filter((a) => a === 'elu')).toHaveLength(10);
    expect(acts.filter((a) => a === 'sigmoid')).toHaveLength(1);
    tf.dispose([x, ref]);
  });

  it('stops with a clear error on training-mode batch norm', () => {
    const g = traceGraph((x) => net.apply(x as tf.Tensor4D, { training: true }).disparities[0]!, shape, { variables: net.allVariables() });
    expect(() => optimiseGraph(g)).toThrow(/training-mode batch norm/);
  });

  it('counts ResNet18 + monodepth2 parameters and MACs as the network defines them', () => {
    const g = depthNetGraph(net, { net: { height: 64, width: 64 } });
    const cost = countGraph(g);
    // folded: trainable count minus BN gammas/betas, plus one folded bias per encoder conv, minus the heads of
    // scales 1-3 (the export keeps the full-resolution output only)
    const sum = (re: RegExp, f: (v: tf.Variable) => number) => Object.entries(net.trainableVariables()).filter(([k]) => re.test(k)).reduce((a, [, v]) => a + f(v), 0);
    const bnValues = sum(/gamma|beta/, (v) => v.size);
    const encoderConvOut = sum(/^encoder\/.*kernel$/, (v) => v.shape[3]!);
    const unusedHeads = sum(/dispconv_[123]/, (v) => v.size);
    expect(cost.parameters).toBe(net.parameterCount() - bnValues + encoderConvOut - unusedHeads);
    // MACs by hand for the stem: 32x48 outputs x 64 channels x 7x7x3
    const stem = g.nodes.find((n) => n.inputs.filter === 'encoder/conv1/folded_kernel')!;
    expect(stem).toBeDefined();
    const macs = countGraph({ ...g, nodes: [stem] }).macs;
    expect(macs).toBe(32 * 32 * 64 * 7 * 7 * 3);
    // compute scales with the pixel count (4x the pixels -> 4x the MACs: all convs, no global ops)
    const big = countGraph(depthNetGraph(net, { net: { height: 128, width: 128 } }));
    expect(big.macs).toBe(4 * cost.macs);
    expect(big.parameters).toBe(cost.parameters);
  });

  it('traces the resize wrap-ups and the depth head inside the same graph', () => {
    const conv = { convention: 'sigmoid' as const, trainedWith: 'stereo' as const, minDepth: 0.1, maxDepth: 100, scaleFactor: 5.4, inputHeight: 64, inputWidth: 64 };
    const opts = { net: { height: 64, width: 64 }, io: { height: 96, width: 80 }, output: 'depth' as const, convention: conv };
    const g = depthNetGraph(net, opts);
    expect(g.input.shape).toEqual([1, 96, 80, 3]);
    expect(g.nodes.filter((n) => n.op === 'ResizeBilinear')).toHaveLength(2);
    expect(g.outputNames).toEqual(['depth']);
    const x = tf.randomUniform([1, 96, 80, 3], 0, 1, 'float32', 6);
    const ref = depthForward(net, opts)(x);
    const [out] = runGraph(g, x);
    expect(out!.shape).toEqual([1, 96, 80, 1]);
    expect(maxAbsDiff(ref, out!) / (100 * 5.4)).toBeLessThan(1e-6);
    tf.dispose([x, ref, out!]);
  });
});
