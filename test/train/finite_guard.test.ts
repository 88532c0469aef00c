/** Non-finite numbers never reach the weights or a checkpoint; calibration that would produce them is refused at load. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';

import { Adam } from '../../src/train/optimizer.js';
import { trainStep } from '../../src/train/step.js';
import { saveCheckpoint, type CheckpointState } from '../../src/train/checkpoint.js';
import { readRawStereoRig } from '../../src/io/kitti_calib.js';
import { parseCityscapesCamera } from '../../src/data/cityscapes.js';
import { withBatchContext } from '../../src/train/finite_guard.js';
import { fixtureData } from '../helpers/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'sd-finite-'));
const calib = readFileSync(join(fixtureData, 'kitti_raw/2011_09_26/calib_cam_to_cam.txt'), 'utf8');

describe('numerical guards in the step and at save', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  it('a finite loss with a non-finite gradient is not applied: weights unchanged, error names the variable and, in the trainer, the samples', () => {
    const w = tf.variable(tf.tensor1d([0, 1]), true, 'guard_w');
    const ok = tf.variable(tf.tensor1d([2]), true, 'guard_ok');
    const opt = new Adam({ beta1: 0.9, beta2: 0.999 });
    // sqrt(|w|) at w = 0: the loss is finite, d/dw is inf * sign(0) = NaN
    const lossOf = () => ({ total: tf.add(tf.sum(tf.sqrt(tf.abs(w))), tf.sum(ok)) as tf.Scalar, parts: {} });
    let err: unknown;
    try {
      trainStep({ 'depth/w': w, 'depth/ok': ok }, opt, lossOf, 1, 1e-3);
    } catch (e) {
      err = e;
    }
    expect(String(err)).toMatch(/non-finite gradient \(loss 3\) in 1 variable\(s\): depth\/w; the update was not applied/);
    expect([...w.dataSync()]).toEqual([0, 1]);
    expect([...ok.dataSync()]).toEqual([2]);
    expect(opt.step).toBe(0);
    expect(String(withBatchContext(err, 7, ['drive_a 3 l', 'drive_b 9 r'], '/runs/x/checkpoints'))).toMatch(
      /step 7: non-finite gradient .*batch samples: drive_a 3 l, drive_b 9 r\)\. Nothing was saved from this step; the last good checkpoint is in \/runs\/x\/checkpoints/,
    );
    opt.dispose();
  });
  it('a checkpoint with a NaN weight is refused and latest keeps naming the previous one', async () => {
    const run = join(root, 'nan');
    const state = (step: number): CheckpointState => ({ format: 'stereodepth-checkpoint/1', step, optimizerStep: step, loader: {} as never, best: null, config: {} as never, savedAt: '' });
    await saveCheckpoint(run, { 'encoder/w': tf.tensor1d([1, 2]) }, null, state(1), 3);
    await expect(saveCheckpoint(run, { 'encoder/w': tf.tensor1d([1, NaN]) }, null, state(2), 3)).rejects.toThrow(/refusing to save checkpoint .*step_000002: 1 tensor\(s\) hold NaN or Inf \(encoder\/w\)/);
    expect(readFileSync(join(run, 'checkpoints/latest'), 'utf8').trim()).toBe('step_000001');
    expect(existsSync(join(run, 'checkpoints/step_000002'))).toBe(false);
  });
});

describe('calibration that would make the loss or the weights non-finite is refused at load, naming file and key', () => {
  const write = (name: string, text: string) => {
    const p = join(root, name);
    writeFileSync(p, text);
    return p;
  };
  it('P_rect_03 with fx 0 (infinite baseline)', async () => {
    const p = write('fx0.txt', calib.replace(/^P_rect_03: \S+/m, 'P_rect_03: 0.000000e+00'));
    await expect(readRawStereoRig(p)).rejects.toThrow(/calib key 'P_rect_03' fx \(1st number\) is 0: expected a finite focal length > 0 .*fx0\.txt/);
  });
  it('P_rect_02 with a negative focal, and a rig whose baseline is 0', async () => {
    await expect(readRawStereoRig(write('fneg.txt', calib.replace(/^P_rect_02: \S+/m, 'P_rect_02: -7.215377e+02')))).rejects.toThrow(/'P_rect_02' fx \(1st number\) is -721\.5377/);
    const p3 = /^P_rect_03: (.*)$/m.exec(calib)![1]!.split(' ');
    p3[3] = '4.485728e+01'; // the same tx / -fx as P_rect_02: both cameras at one place
    await expect(readRawStereoRig(write('b0.txt', calib.replace(/^P_rect_03: .*$/m, `P_rect_03: ${p3.join(' ')}`)))).rejects.toThrow(/baseline from 'P_rect_02' \/ 'P_rect_03' \(tx \/ -fx\) is 0: expected a finite distance > 0/);
  });
  it('a non-numeric calib value is named with its line, not called a missing key', async () => {
    const p = write('nan_text.txt', calib.replace(/^P_rect_03: (\S+) (\S+)/m, 'P_rect_03: $1 abc'));
    const line = calib.split('\n').findIndex((l) => l.startsWith('P_rect_03:')) + 1;
    await expect(readRawStereoRig(p)).rejects.toThrow(new RegExp(`calib key 'P_rect_03' at line ${line} is not numeric: 'abc'.*expected 12 finite numbers.*nan_text\\.txt:${line}`));
  });
  it('a Cityscapes camera json with baseline 0 or fx <= 0', () => {
    const cam = (baseline: number, fx: number) => JSON.stringify({ extrinsic: { baseline }, intrinsic: { fx, fy: 2265.3, u0: 1096.98, v0: 513.137 } });
    expect(() => parseCityscapesCamera(cam(0, 2262.52), 'aachen_camera.json')).toThrow(/camera json 'extrinsic\.baseline' is 0: expected a value > 0 .*aachen_camera\.json/);
    expect(() => parseCityscapesCamera(cam(0.209313, -1), 'aachen_camera.json')).toThrow(/'intrinsic\.fx' is -1: expected a value > 0/);
    expect(parseCityscapesCamera(cam(0.209313, 2262.52), 'ok.json').baseline).toBe(0.209313);
  });
});
