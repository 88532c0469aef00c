/** Crash safety of checkpoints without training: commit order, best/ recovery, temp cleanup, checksummed .sdt files. */
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, writeFileSync, writeSync, closeSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it, vi } from 'vitest';

import { loadCheckpoint, saveCheckpoint, type CheckpointState } from '../../src/train/checkpoint.js';
import { recoverRunDir } from '../../src/train/run_recovery.js';
import { loadTensors, saveTensors } from '../../src/models/tensor_file.js';

/** Makes the hard link / copy of the best checkpoint fail while set (a full disk in the middle of the best copy). */
const failBestCopy = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const enospc = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
  return {
    ...real,
    link: (a: string, b: string) => (failBestCopy.on ? enospc() : real.link(a, b)),
    copyFile: (a: string, b: string) => (failBestCopy.on ? enospc() : real.copyFile(a, b)),
  };
});

/** A pid no process can have (above Linux's pid_max), for leftovers of a "dead" process. */
const DEAD_PID = 2147483646;
const root = mkdtempSync(join(tmpdir(), 'sd-ckpt-safety-'));

function state(step: number, bestStep: number | null): CheckpointState {
  return {
    format: 'stereodepth-checkpoint/1', step, optimizerStep: step, loader: { epoch: 0, position: step } as never,
    best: bestStep === null ? null : { metric: 'absRel', value: 1 / bestStep, step: bestStep }, config: { data: {}, model: {}, loss: {}, optim: {}, train: {} } as never, savedAt: '',
  };
}
const weights = (v: number) => ({ 'encoder/w': tf.fill([64, 64], v), 'depth/b': tf.fill([8], v) });
const bestStepOf = (run: string) => (JSON.parse(readFileSync(join(run, 'checkpoints/best/state.json'), 'utf8')) as CheckpointState).step;
const latestOf = (run: string) => readFileSync(join(run, 'checkpoints/latest'), 'utf8').trim();

describe('best checkpoint commit order and recovery', () => {
  it('a new best is in best/ before latest names the state that calls it best', async () => {
    const run = join(root, 'order');
    await saveCheckpoint(run, weights(1), null, state(4, 4), 3, null, { best: true });
    expect(bestStepOf(run)).toBe(4);
    expect(latestOf(run)).toBe('step_000004');
    // the best copy fails (full disk, kill): latest must still name step 4, whose best/ is intact
    failBestCopy.on = true;
    try {
      await expect(saveCheckpoint(run, weights(2), null, state(8, 8), 3, null, { best: true })).rejects.toThrow(/best\.tmp-\d+.*ENOSPC/);
    } finally {
      failBestCopy.on = false;
    }
    expect(latestOf(run)).toBe('step_000004');
    expect(bestStepOf(run)).toBe(4);
  });

  it('recovery puts back the best/ the committed state names, from the copy moved aside or the step checkpoint', async () => {
    const run = join(root, 'recover');
    await saveCheckpoint(run, weights(1), null, state(4, 4), 3, null, { best: true });
    const ck = join(run, 'checkpoints');
    // killed between "old best moved aside" and "new best renamed in": no best/, old copy and a complete new copy aside
    renameSync(join(ck, 'best'), join(ck, `best.old-${DEAD_PID}`));
    await saveCheckpoint(run, weights(2), null, state(8, 4), 3, null);
    mkdirSync(join(ck, `best.tmp-${DEAD_PID - 1}`));
    writeFileSync(join(ck, `best.tmp-${DEAD_PID - 1}`, 'state.json'), JSON.stringify(state(8, 8)));
    const r = await recoverRunDir(run);
    expect(r.best).toMatch(/recovered best\/ \(step 4\)/);
    expect(bestStepOf(run)).toBe(4);
    expect(existsSync(join(ck, `best.tmp-${DEAD_PID - 1}`))).toBe(false);
    // best/ lost entirely: re-created from step_000004
    const { rmSync } = await import('node:fs');
    rmSync(join(ck, 'best'), { recursive: true });
    expect((await recoverRunDir(run)).best).toMatch(/re-created best\/ from .*step_000004/);
    expect(bestStepOf(run)).toBe(4);
    const back = await loadCheckpoint(join(ck, 'best'));
    expect(back.model['encoder/w']!.dataSync()[0]).toBe(1);
    back.dispose();
  });

  it('removes only the project temp names of dead processes, and says how much it freed', async () => {
    const run = join(root, 'temps');
    await saveCheckpoint(run, weights(1), null, state(4, null), 3, null);
    const ck = join(run, 'checkpoints');
    mkdirSync(join(ck, `step_000008.tmp-${DEAD_PID}`));
    writeFileSync(join(ck, `step_000008.tmp-${DEAD_PID}`, 'model.sdt'), new Uint8Array(4096));
    mkdirSync(join(run, 'images'));
    writeFileSync(join(run, 'images', `.val_0.png.${DEAD_PID}.1733350000000.tmp`), 'x');
    writeFileSync(join(ck, `.latest.${DEAD_PID}.1733350000000.tmp`), 'x');
    writeFileSync(join(run, 'notes.tmp'), 'mine');
    writeFileSync(join(ck, `step_000009.tmp-${process.pid}-user`), 'not ours');
    mkdirSync(join(ck, `best.tmp-${process.ppid}`)); // a live process (the test runner's parent): left alone
    const r = await recoverRunDir(run);
    expect(r.removed.map((p) => p.slice(run.length + 1)).sort()).toEqual(
      [`checkpoints/.latest.${DEAD_PID}.1733350000000.tmp`, `checkpoints/step_000008.tmp-${DEAD_PID}`, `images/.val_0.png.${DEAD_PID}.1733350000000.tmp`].sort(),
    );
    expect(r.bytes).toBeGreaterThanOrEqual(4096);
    expect(existsSync(join(run, 'notes.tmp'))).toBe(true);
    expect(existsSync(join(ck, `best.tmp-${process.ppid}`))).toBe(true);
  });
});

describe('.sdt checksums', () => {
  it('64 KiB of 0xFF written into model.sdt is an error naming the file, the tensor and the newest intact checkpoint', async () => {
    const run = join(root, 'sdt');
    await saveCheckpoint(run, { 'encoder/big': tf.fill([200, 200], 0.5) }, null, state(4, null), 3, null);
    await saveCheckpoint(run, { 'encoder/big': tf.fill([200, 200], 0.25) }, null, state(8, null), 3, null);
    const file = join(run, 'checkpoints/step_000008/model.sdt');
    const fd = openSync(file, 'r+');
    writeSync(fd, new Uint8Array(65536).fill(0xff), 0, 65536, 1024);
    closeSync(fd);
    await expect(loadCheckpoint(run)).rejects.toThrow(
      new RegExp(`step_000008/model\\.sdt: tensor "encoder/big" fails its checksum.*newest intact checkpoint of this run is .*step_000004`),
    );
  });
  it('a file cut inside its header, or inside a tensor, names the file (no raw JSON parse error)', async () => {
    const file = join(root, 'cut.sdt');
    await saveTensors(file, { 'a/w': tf.fill([10, 10], 1), 'b/w': tf.fill([10], 2) });
    const size = statSync(file).size;
    truncateSync(file, size - 8);
    await expect(loadTensors(file)).rejects.toThrow(/cut\.sdt: tensor "b\/w" runs past the end of the file \(truncated/);
    truncateSync(file, 40);
    await expect(loadTensors(file)).rejects.toThrow(/cut\.sdt: truncated in its header/);
  });
});
