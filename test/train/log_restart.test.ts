/** Logs that survive a crash: torn metrics.jsonl line dropped with a notice, orphaned steps dropped, TensorBoard restart marker. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { readScalarLog, RunLogger } from '../../src/train/logging.js';
import { repairScalarLog } from '../../src/train/log_repair.js';
import { readEventFile, tensorBoardScalars } from '../helpers/tfevents.js';

const root = mkdtempSync(join(tmpdir(), 'sd-logs-'));
const rec = (split: string, step: number) => JSON.stringify({ split, step, time: step, values: { loss: 1 / step } }) + '\n';

describe('metrics.jsonl after a crash', () => {
  it('a torn last line is dropped with a notice, records after the resumed step too; the log reads cleanly', () => {
    const run = join(root, 'torn');
    mkdirSync(run);
    writeFileSync(join(run, 'metrics.jsonl'), [1, 2, 3, 4, 5].map((s) => rec('train', s)).join('') + rec('val', 4) + '{"split":"train","step":6,"ti');
    const notes: string[] = [];
    new RunLogger(run, { resumed: true, startStep: 4, notice: (l) => notes.push(l) }).close();
    expect(notes.join('\n')).toMatch(/dropped a torn last line of .*metrics\.jsonl \(29 bytes.*"step":6.*; dropped 1 record\(s\) logged after step 4/);
    expect(readScalarLog(run).map((r) => `${r.split}@${r.step}`)).toEqual(['train@1', 'train@2', 'train@3', 'train@4', 'val@4']);
  });
  it('damage in the middle of the file is not a crash artefact: an error naming file and line', () => {
    const run = join(root, 'middle');
    mkdirSync(run);
    writeFileSync(join(run, 'metrics.jsonl'), rec('train', 1) + 'garbage\n' + rec('train', 2));
    expect(() => repairScalarLog(run, 2)).toThrow(/metrics\.jsonl:2: not a JSON record \(damaged in the middle/);
  });
  it('the end-of-run test at the checkpoint step runs again after a restart, so its earlier record goes', () => {
    const run = join(root, 'test_split');
    mkdirSync(run);
    writeFileSync(join(run, 'metrics.jsonl'), rec('train', 8) + rec('val', 8) + rec('test', 8));
    expect(repairScalarLog(run, 8)).toEqual({ orphans: 1 });
    expect(readFileSync(join(run, 'metrics.jsonl'), 'utf8')).toBe(rec('train', 8) + rec('val', 8));
  });
});

describe('TensorBoard after a crash and a resume', () => {
  it('one clean curve: the resumed writer marks a SessionLog START at the resumed step and TensorBoard purges the orphans', () => {
    const run = join(root, 'tb');
    const first = new RunLogger(run, { resumed: false, startStep: 0 });
    for (let s = 1; s <= 6; s++) first.scalars('train', { loss: 10 - s }, s);
    first.flush(); // killed after step 6; the checkpoint is from step 4
    const second = new RunLogger(run, { resumed: true, startStep: 4 });
    for (let s = 5; s <= 8; s++) second.scalars('train', { loss: 100 - s }, s);
    second.close();
    const files = readdirSync(join(run, 'train')).sort();
    expect(files).toHaveLength(2);
    const marker = readEventFile(join(run, 'train', files[1]!)).find((e) => e.sessionStatus !== undefined)!;
    expect([marker.sessionStatus, marker.step]).toEqual([1, 5]);
    const loss = tensorBoardScalars(join(run, 'train')).get('loss')!;
    expect(loss.map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(loss.slice(4).map(([, v]) => v)).toEqual([95, 94, 93, 92]);
    expect(readScalarLog(run).map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
