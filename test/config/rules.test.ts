import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';

const BASE = 'data:\n  train: { dataset: kitti_raw, path: data/x, split: s.txt }\n  batch_size: 4\n';

/** Loads `text` (extending BASE) and returns the error message, or '' when it loads. */
function loadError(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sd-rules-'));
  writeFileSync(join(dir, 'base.yaml'), BASE);
  writeFileSync(join(dir, 'c.yaml'), `extends: base.yaml\n${text}`);
  try {
    loadConfig(join(dir, 'c.yaml'));
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('cross-field config rules, checked when the config loads, at the offending key', () => {
  it('temporal modes: monodepth2 loss, no crop, no swap flip (it drops the neighbours)', () => {
    expect(loadError('loss:\n  mode: mono\n  kind: monodepth\ndata:\n  augment:\n    flip: { mode: swap }\n')).toMatch(/key 'loss\.kind' \(.*c\.yaml:4\): loss\.mode mono needs loss\.kind monodepth2[\s\S]*key 'data\.augment\.flip\.mode' \(.*c\.yaml:7\): .*neighbours/);
    expect(loadError('loss:\n  mode: mono_stereo\ndata:\n  augment:\n    crop: { probability: 0.5 }\n')).toMatch(/key 'data\.augment\.crop\.probability' \(.*c\.yaml:6\): must be 0 with loss\.mode mono_stereo/);
    expect(loadError('loss:\n  mode: mono_stereo\n')).toBe('');
  });

  it('monodepth v1 needs a swap flip; DistDepth maps need negate_baseline; micro-batches divide the batch', () => {
    expect(loadError('loss:\n  kind: monodepth\n')).toMatch(/key 'data\.augment\.flip\.mode' \(.*\): loss\.kind monodepth needs .*swap/);
    expect(loadError('loss:\n  kind: monodepth\ndata:\n  augment:\n    flip: { mode: swap }\n')).toBe('');
    expect(loadError('data:\n  augment:\n    flip: { mode: swap }\ndistill:\n  kind: distdepth\n  teacher: { source: maps, path: m }\n')).toMatch(/key 'data\.augment\.flip\.mode' \(.*c\.yaml:4\): distill\.teacher\.source maps needs negate_baseline/);
    expect(loadError('optim:\n  micro_batches: 3\n')).toMatch(/key 'optim\.micro_batches' \(.*c\.yaml:3\): must divide data\.batch_size \(4\)/);
  });

  it('crop windows and the fast-depth scale range are ordered', () => {
    expect(loadError('data:\n  augment:\n    crop: { min_scale: 0.9, max_scale: 0.8 }\n')).toMatch(/key 'data\.augment\.crop\.min_scale' \(.*c\.yaml:4\): must be <= max_scale/);
    expect(loadError('data:\n  augment:\n    rgbd:\n      mai_crop: { min_scale: 0.7, max_scale: 0.6 }\n')).toMatch(/key 'data\.augment\.rgbd\.mai_crop\.min_scale' \(.*c\.yaml:5\): must be <= max_scale/);
    expect(loadError('data:\n  augment:\n    rgbd:\n      fastdepth: { scale: [1.5, 1] }\n')).toMatch(/key 'data\.augment\.rgbd\.fastdepth\.scale' \(.*c\.yaml:5\): must be \[lo, hi\] with lo <= hi/);
    expect(loadError('data:\n  augment:\n    crop: { min_scale: 0.8, max_scale: 0.8 }\n')).toBe('');
  });

  it('hint KD needs a checkpoint teacher; the input size is a multiple of 32', () => {
    expect(loadError('distill:\n  kind: hint\n  teacher: { source: maps, path: m }\n')).toMatch(/key 'distill\.teacher' \(.*c\.yaml:4\): hint KD needs teacher\.source checkpoint/);
    expect(loadError('data:\n  height: 100\n')).toMatch(/key 'data\.height' \(.*c\.yaml:3\): must be a multiple of 32/);
  });

  it("a stage's overrides are validated at load time, naming the override's line; stages cannot rename or nest", () => {
    const stages = 'stages:\n  - name: a\n  - name: b\n    overrides:\n      loss: { mode: mono }\n      data: { augment: { crop: { probability: 0.3 } } }\n';
    expect(loadError(stages)).toMatch(/^stage 'b': invalid configuration:\s+key 'data\.augment\.crop\.probability' \(.*c\.yaml:7\): must be 0/);
    expect(loadError('stages:\n  - name: a\n    overrides: { run_dir: x }\n  - name: a\n')).toMatch(/key 'stages\.0\.overrides\.run_dir' \(.*c\.yaml:4\): a stage cannot override run_dir[\s\S]*stage name 'a' is used twice/);
  });
});
