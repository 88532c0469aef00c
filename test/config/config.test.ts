import { mkdtempSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { applySet, ConfigError, deepMerge, loadConfig, resolveStage } from '../../src/config/load.js';

function files(entries: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sd-config-'));
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(dir, name), text);
  return dir;
}

const BASE = `data:\n  train: { dataset: kitti_raw, path: data/x, split: s.txt }\n  batch_size: 4\nloss:\n  kind: monodepth2\n  scales: [0, 1, 2, 3]\n`;

describe('config loading', () => {
  it('fills defaults, merges extends (maps merged, arrays replaced) and applies --set in order', () => {
    const dir = files({ 'base.yaml': BASE, 'child.yaml': `extends: base.yaml\nname: child\nloss:\n  scales: [0]\n` });
    const { config } = loadConfig(join(dir, 'child.yaml'), ['optim.lr=2e-4', 'data.augment.crop.probability=0.5', 'optim.lr=3e-4']);
    expect(config.name).toBe('child');
    expect(config.data.batch_size).toBe(4);
    expect(config.data.height).toBe(192);
    expect(config.loss.kind).toBe('monodepth2');
    expect(config.loss.scales).toEqual([0]);
    expect(config.optim.lr).toBe(3e-4);
    expect(config.data.augment.crop.probability).toBe(0.5);
    expect(config.data.augment.crop.min_scale).toBe(0.75);
  });

  it('names the key, the file and the line of an unknown key and of a wrong type', () => {
    const dir = files({ 'base.yaml': BASE, 'bad.yaml': `extends: base.yaml\nloss:\n  kindd: monodepth\n  smoothness_weight: high\n` });
    let message = '';
    try {
      loadConfig(join(dir, 'bad.yaml'));
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toMatch(/unknown key 'loss\.kindd' \(.*bad\.yaml:3\)/);
    expect(message).toMatch(/key 'loss\.smoothness_weight' \(.*bad\.yaml:4\): .*number/);
  });

  it('rejects an adapter option the dataset does not take, naming the key, the file and the line', () => {
    const dir = files({ 'base.yaml': BASE, 'typo.yaml': `extends: base.yaml\ndata:\n  train:\n    options:\n      gt: none\n      imageExtt: png\n` });
    expect(() => loadConfig(join(dir, 'typo.yaml'))).toThrow(/data\.train\.options\.imageExtt' \(.*typo\.yaml:6\): unknown option for dataset kitti_raw; it takes lineFormat, imageExt, gt, neighbours/);
    // the dataset's real options pass
    expect(loadConfig(join(dir, 'base.yaml'), ['data.train.options={gt: none, imageExt: png}']).config.data.train.options).toEqual({ gt: 'none', imageExt: 'png' });
  });

  it('names the --set flag that introduced a bad value', () => {
    const dir = files({ 'base.yaml': BASE });
    expect(() => loadConfig(join(dir, 'base.yaml'), ['data.batch_size=-3'])).toThrow(/data\.batch_size.*--set data\.batch_size=-3/);
    expect(() => loadConfig(join(dir, 'base.yaml'), ['nokey'])).toThrow(/expected key\.path=value/);
  });

  it('reports missing files, circular extends and YAML syntax errors with their location', () => {
    const dir = files({ 'a.yaml': 'extends: b.yaml\n', 'b.yaml': 'extends: a.yaml\n', 'syntax.yaml': 'data:\n  train: [unclosed\n' });
    expect(() => loadConfig(join(dir, 'a.yaml'))).toThrow(/circular extends/);
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/config file not found: .*missing\.yaml/);
    expect(() => loadConfig(join(dir, 'syntax.yaml'))).toThrow(/syntax\.yaml:\d+: invalid YAML/);
  });

  it('parses --set values as YAML and deep-merges', () => {
    expect(applySet({ a: { b: 1, c: 2 } }, 'a.b=[1, 2]')).toEqual({ a: { b: [1, 2], c: 2 } });
    expect(applySet({}, 'x.y=null')).toEqual({ x: { y: null } });
    expect(applySet({}, 'x=true')).toEqual({ x: true });
    expect(deepMerge({ a: [1, 2], m: { k: 1 } }, { a: [3], m: { j: 2 } })).toEqual({ a: [3], m: { k: 1, j: 2 } });
    // another kind replaces the inherited map whole
    expect(deepMerge({ s: { kind: 'piecewise', factors: [1] } }, { s: { kind: 'cosine', min_lr: 0 } })).toEqual({ s: { kind: 'cosine', min_lr: 0 } });
    expect(deepMerge({ s: { kind: 'step', gamma: 0.5 } }, { s: { gamma: 0.1 } })).toEqual({ s: { kind: 'step', gamma: 0.1 } });
    // so does another dataset (a stage that trains on KITTI after Cityscapes keeps none of Cityscapes' options or world)
    const city = { dataset: 'cityscapes', path: 'c', options: { cropBottomFraction: 0.2 }, synthesize: { world: 'cityscapes' } };
    const kitti = { dataset: 'kitti_raw', path: 'k', options: { gt: 'none' } };
    expect(deepMerge({ train: city }, { train: kitti })).toEqual({ train: kitti });
    expect(deepMerge({ train: city }, { train: { path: 'c2' } })).toEqual({ train: { ...city, path: 'c2' } });
    expect(deepMerge({ t: { source: 'maps', path: 'm', map_kind: 'depth' } }, { t: { source: 'checkpoint', path: 'r' } })).toEqual({ t: { source: 'checkpoint', path: 'r' } });
  });

  it('resolves stages as the base with the stage overrides', () => {
    const dir = files({
      'staged.yaml': `${BASE}stages:\n  - name: pretrain\n    overrides: { optim: { lr: 1.0e-4 } }\n  - name: finetune\n    overrides: { optim: { lr: 5.0e-5 }, data: { batch_size: 2 } }\n`,
    });
    const loaded = loadConfig(join(dir, 'staged.yaml'));
    const s0 = resolveStage(loaded, 0);
    const s1 = resolveStage(loaded, 1);
    expect(s0.name).toBe('pretrain');
    expect(s0.optim.lr).toBe(1e-4);
    expect(s1.optim.lr).toBe(5e-5);
    expect(s1.data.batch_size).toBe(2);
    expect(s1.stages).toEqual([]);
  });

  it('distill: null by default, DistDepth defaults of DistDepth HEAD, hint KD refuses a teacher without features', () => {
    const dir = files({ 'base.yaml': BASE });
    expect(loadConfig(join(dir, 'base.yaml')).config.distill).toBeNull();
    const d = loadConfig(join(dir, 'base.yaml'), ['distill={kind: distdepth, teacher: {source: maps, path: m, map_kind: inverse_depth}}']).config.distill!;
    expect(d.kind === 'distdepth' && [d.dist_weight, d.alignment, d.spatial.variant, d.spatial.quantile, d.spatial.weight]).toEqual([0.05, 'lstsq_rows', 'one_sided', 0.95, 0.02]);
    expect(() => loadConfig(join(dir, 'base.yaml'), ['distill={kind: hint, teacher: {source: maps, path: m}}'])).toThrow(/hint KD needs teacher.source checkpoint/);
    expect(() => loadConfig(join(dir, 'base.yaml'), ['distill={kind: distdepth, teacher: {source: model_json, path: m}}'])).toThrow(/distill\.teacher\.source/);
  });

  it('every shipped recipe in configs/ validates', () => {
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : n.endsWith('.yaml') ? [join(d, n)] : []));
    const recipes = walk('configs');
    expect(recipes.length).toBeGreaterThan(1);
    for (const r of recipes) {
      const loaded = loadConfig(r);
      loaded.config.stages.forEach((_, k) => resolveStage(loaded, k));
    }
  });
});
