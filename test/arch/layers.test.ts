import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

import { repoRoot } from '../io/shared.js';

/**
 * The layer order of COMMON.md / DESIGN.md, low -> high (config sits between data, whose descriptors its schema is
 * built from, and the layers that load configs). A file may import its own folder or a lower layer; folders on the same
 * level may depend one way only. src/web may import only tfjs-core-level code.
 */
const LEVEL: Record<string, number> = {
  util: 0, backend: 0,
  io: 1, geometry: 1,
  models: 2, losses: 2,
  data: 3,
  config: 4,
  eval: 5,
  train: 6, infer: 6, export: 6,
  run: 7,
  cli: 8,
  web: 7,
  'index.ts': 9,
};
const WEB_MAY_IMPORT = new Set(['web', 'models', 'geometry', 'util', 'backend']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative import / export-from specifiers of a TypeScript source (type-only imports count: they tie folders too). */
function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** The top folder of a path under src/ ('index.ts' for the root file). */
function layerOf(srcRelative: string): string {
  return srcRelative.split('/')[0]!;
}

interface Edge { from: string; to: string; file: string; spec: string }

function importEdges(): Edge[] {
  const src = resolve(repoRoot, 'src');
  const edges: Edge[] = [];
  for (const file of sourceFiles(src)) {
    const rel = relative(src, file);
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = relative(src, resolve(dirname(file), spec));
      edges.push({ from: layerOf(rel), to: layerOf(target), file: rel, spec });
    }
  }
  return edges;
}

describe('layering of src/', () => {
  it('the import scanner sees imports, type imports, re-exports and dynamic imports', () => {
    const text = "import * as tf from '@tensorflow/tfjs-core';\nimport type { A } from '../a/x.js';\nexport { b } from './b.js';\nconst m = await import('../c/y.js');\nimport './side.js';\n";
    expect(importSpecifiers(text).sort()).toEqual(['../a/x.js', '../c/y.js', './b.js', './side.js', '@tensorflow/tfjs-core']);
    // and the rule catches an upward import (a util file importing train/)
    expect(LEVEL[layerOf('train/x.ts')]! > LEVEL[layerOf('util/y.ts')]!).toBe(true);
  });

  it('every folder is placed in the layer order', () => {
    const folders = readdirSync(resolve(repoRoot, 'src'));
    expect(folders.filter((f) => LEVEL[f] === undefined)).toEqual([]);
  });

  it('no file imports a higher layer', () => {
    const upward = importEdges()
      .filter((e) => e.from !== e.to && LEVEL[e.to]! > LEVEL[e.from]!)
      .map((e) => `${e.file} imports ${e.spec} (${e.from} -> ${e.to})`);
    expect(upward).toEqual([]);
  });

  it('no two folders import each other', () => {
    const pairs = new Set(importEdges().filter((e) => e.from !== e.to).map((e) => `${e.from}->${e.to}`));
    const ties = [...pairs].filter((p) => pairs.has(p.split('->').reverse().join('->')));
    expect(ties).toEqual([]);
  });

  it('the browser entry reaches only tfjs-core-level folders', () => {
    const web = importEdges().filter((e) => e.from === 'web' && !WEB_MAY_IMPORT.has(e.to)).map((e) => `${e.file} imports ${e.spec}`);
    expect(web).toEqual([]);
  });
});
