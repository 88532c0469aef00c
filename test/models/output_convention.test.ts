import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import {
  depthFromDisparity,
  depthScaleFactor,
  hasMetricScale,
  leftDisparity,
  metricDepth,
  outputConventionOf,
  parseOutputConvention,
  predictionValueToDepth,
  type OutputConventionInputs,
} from '../../src/models/output_convention.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const BASE: OutputConventionInputs = { lossKind: 'monodepth2', mode: 'stereo', minDepth: 0.1, maxDepth: 100, trainingBaseline: 0.1, inputHeight: 64, inputWidth: 192, rig: { baseline: 0.54, focalOverWidth: 0.58 } };

describe('output convention', () => {
  it('monodepth2 stereo: metres per unit = |baseline| / training baseline (5.4 on KITTI), at any rig baseline asked', () => {
    const c = outputConventionOf(BASE);
    expect(c.convention).toBe('sigmoid');
    expect(depthScaleFactor(c)).toBe(0.54 / 0.1);
    expect(depthScaleFactor(c, -0.22)).toBe(0.22 / 0.1);
    expect(hasMetricScale(c)).toBe(true);
    // JSON round trip keeps it (checkpoints and model.json store it)
    expect(parseOutputConvention(JSON.parse(JSON.stringify(c)), 'x')).toEqual(c);
  });

  it('metric training, mono, eval.scale_factor and monodepth v1 each have their factor', () => {
    expect(depthScaleFactor(outputConventionOf({ ...BASE, trainingBaseline: null }))).toBe(1);
    const mono = outputConventionOf({ ...BASE, mode: 'mono' });
    expect([depthScaleFactor(mono), hasMetricScale(mono, 0.5), mono.trainedWith]).toEqual([1, false, 'mono']);
    expect(depthScaleFactor(outputConventionOf({ ...BASE, scaleFactor: 31 }), 0.54)).toBe(31);
    const v1 = outputConventionOf({ ...BASE, lossKind: 'monodepth', scaleFactor: 31 });
    expect([v1.convention, depthScaleFactor(v1)]).toEqual(['widthFraction', 1]);
    // a sigmoid net with a training baseline and no known baseline has no metric scale
    expect(hasMetricScale(outputConventionOf({ ...BASE, rig: undefined }))).toBe(false);
    expect(hasMetricScale(outputConventionOf({ ...BASE, rig: undefined }), 0.54)).toBe(true);
  });

  it('metricDepth on tensors agrees with the per-value conversion eval and predict use', () => {
    const values = [0.01, 0.2, 0.5, 0.9];
    const x = tf.tensor4d(values, [1, 2, 2, 1]);
    const sig = outputConventionOf(BASE);
    const width = 100;
    const d = metricDepth(x, sig).dataSync();
    values.forEach((v, i) => expect(d[i]).toBeCloseTo(predictionValueToDepth(v, { convention: 'sigmoid', targetWidth: width, predictionWidth: width, minDepth: 0.1, maxDepth: 100 }) * 5.4, 3));
    const v1 = outputConventionOf({ ...BASE, lossKind: 'monodepth' });
    const dv = metricDepth(x, v1).dataSync();
    const fb = 0.58 * width * 0.54;
    values.forEach((v, i) => expect(dv[i]).toBeCloseTo(predictionValueToDepth(v, { convention: 'widthFraction', targetWidth: width, predictionWidth: width, focalTimesBaseline: fb }), 3));
    // zero disparity is invalid (0), not infinity
    expect(Array.from(metricDepth(tf.zeros([1, 1, 1, 1]) as tf.Tensor4D, v1).dataSync())).toEqual([0]);
    x.dispose();
  });

  it('leftDisparity takes channel 0; depthFromDisparity is disp_to_depth for sigmoid nets and 1/d for width fractions', () => {
    const two = tf.tensor4d([0.5, 0.1, 0.25, 0.2], [1, 1, 2, 2]);
    expect(Array.from(leftDisparity(two).dataSync())).toEqual([0.5, 0.25]);
    expect(Array.from(depthFromDisparity(two, { convention: 'widthFraction' }).dataSync())).toEqual([2, 4]);
    const s = depthFromDisparity(tf.tensor4d([0, 1], [1, 1, 2, 1]), { convention: 'sigmoid', minDepth: 0.1, maxDepth: 100 }).dataSync();
    expect(s[0]).toBeCloseTo(100, 3);
    expect(s[1]).toBeCloseTo(0.1, 6);
    const before = tf.memory().numTensors;
    tf.dispose([metricDepth(two, outputConventionOf(BASE)), depthFromDisparity(two, { convention: 'widthFraction' })]);
    expect(tf.memory().numTensors).toBe(before);
    two.dispose();
  });

  it('a malformed convention is an error naming the file and the field', () => {
    expect(() => parseOutputConvention({ convention: 'depth', trainedWith: 'stereo', inputHeight: 64, inputWidth: 64 }, 'm.json')).toThrow(/m\.json: output\.convention/);
    expect(() => parseOutputConvention({ convention: 'sigmoid', trainedWith: 'stereo', inputHeight: 60, inputWidth: 64 }, 'm.json')).toThrow(/inputHeight 60.*multiple of 32/);
  });
});
