import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import {
  depthToWidthFractionDisparity, dispToDepth, invertMat4, KITTI_NORMALISED_K, rotationFromAxisAngle, scaleIntrinsics, stereoTransform,
  transformationFromParameters, widthFractionDisparityToDepth,
} from '../../src/geometry/camera.js';
import { bilinearInterpolationMatrix, resizeBilinearTorch } from '../../src/geometry/resize.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('camera maths', () => {
  it('dispToDepth maps sigmoid 0/1 to max/min depth; width-fraction disparity <-> depth round trip', () => {
    const { depth } = dispToDepth(tf.tensor1d([0, 1]), 0.1, 100);
    const d = depth.dataSync();
    expect(d[0]).toBeCloseTo(100, 3);
    expect(d[1]).toBeCloseTo(0.1, 6);
    const disp = tf.tensor1d([0.01, 0.1, 0.3]);
    const z = widthFractionDisparityToDepth(disp, 721, 0.54, 1242);
    expect(z.dataSync()[1]).toBeCloseTo((721 * 0.54) / (0.1 * 1242), 4);
    const back = depthToWidthFractionDisparity(z, 721, 0.54, 1242).dataSync();
    [0.01, 0.1, 0.3].forEach((v, i) => expect(back[i]).toBeCloseTo(v, 6));
  });

  it('K scaling, inverse, stereo_T signs', () => {
    const K = scaleIntrinsics(KITTI_NORMALISED_K, 640, 192);
    expect(K[0][0]).toBeCloseTo(371.2, 6);
    expect(K[1][2]).toBeCloseTo(96, 6);
    const inv = invertMat4(K);
    const prod = K.map((row) => inv[0].map((_, j) => row.reduce((a, v, k) => a + v * inv[k][j], 0)));
    prod.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 12)));
    expect(stereoTransform('l')[0][3]).toBeCloseTo(-0.1);
    expect(stereoTransform('r')[0][3]).toBeCloseTo(0.1);
    expect(stereoTransform('l', true)[0][3]).toBeCloseTo(0.1);
  });

  it('axis-angle rotation (90 deg about z) and transformationFromParameters(invert) is the inverse', () => {
    const R = rotationFromAxisAngle(tf.tensor2d([[0, 0, Math.PI / 2]])).arraySync()[0];
    expect(R[0][0]).toBeCloseTo(0, 5);
    expect(R[0][1]).toBeCloseTo(-1, 5);
    expect(R[1][0]).toBeCloseTo(1, 5);
    const aa = tf.tensor2d([[0.1, -0.2, 0.3]]);
    const t = tf.tensor2d([[0.5, 0.1, -0.2]]);
    const M = transformationFromParameters(aa, t);
    const Minv = transformationFromParameters(aa, t, true);
    const I = (tf.matMul(M, Minv) as tf.Tensor3D).arraySync()[0];
    I.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 5)));
    expect(M.arraySync()[0][0][3]).toBeCloseTo(0.5, 6); // M = T(t) @ R: translation column is t
  });

  it('torch bilinear (align_corners=False) interpolation matrix: rows sum to 1, 2x upsampling taps 0.75/0.25, edge clamp', () => {
    const m = bilinearInterpolationMatrix(4, 8);
    for (let o = 0; o < 8; o++) expect(m.slice(o * 4, o * 4 + 4).reduce((a, b) => a + b)).toBeCloseTo(1, 6);
    expect(Array.from(m.slice(0, 4))).toEqual([1, 0, 0, 0]); // src = max(0, -0.25) = 0
    expect(Array.from(m.slice(4, 8))).toEqual([0.75, 0.25, 0, 0]); // src = 0.25
    const x = tf.tensor4d([0, 1, 2, 3], [1, 1, 4, 1]);
    expect(Array.from(resizeBilinearTorch(x, 1, 8).dataSync())).toEqual([0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]);
  });
});
