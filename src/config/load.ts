/**
 * YAML recipes -> a validated RunConfig: `extends:` inheritance (paths relative to the including file, arrays replaced,
 * maps merged), `--set a.b=value` overrides (value parsed as YAML), and errors naming the key, the file and the line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, stringify, type Node } from 'yaml';
import type { z } from 'zod';

import { runConfigSchema, type RunConfig } from './schema.js';

type Plain = Record<string, unknown>;

/** Where each key path (dotted) was last set: file and 1-based line, or the --set flag. */
export type ConfigOrigins = Map<string, string>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: RunConfig;
  /** The merged raw document before defaults (what the user wrote, after extends and --set). */
  raw: Plain;
  origins: ConfigOrigins;
}

function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys that say what a map is: a map that changes one of them is another thing, not an edit of the inherited one. */
const DISCRIMINATORS = ['kind', 'dataset', 'source'] as const;

/**
 * Deep merge: maps merge key by key, everything else (arrays included) is replaced by `over`. A map whose `kind`,
 * `dataset` or `source` differs from the inherited one (a schedule switched from piecewise to cosine, a stage that
 * trains on KITTI instead of Cityscapes) replaces it whole: the old one's keys (its options, its synthetic world)
 * would not apply.
 */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const old = out[k];
    const sameThing = isPlainObject(old) && isPlainObject(v) && DISCRIMINATORS.every((d) => v[d] === undefined || v[d] === old[d]);
    out[k] = isPlainObject(v) && isPlainObject(old) && sameThing ? deepMerge(old, v) : v;
  }
  return out;
}

/** Records file:line of every key path of a YAML map node (list items by index: stages.0.overrides.loss.kind). */
function collectOrigins(node: Node | null | undefined, prefix: string, file: string, lc: LineCounter, origins: ConfigOrigins): void {
  if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const path = prefix ? `${prefix}.${i}` : String(i);
      const offset = (item as Node | null)?.range?.[0];
      if (offset !== undefined) origins.set(path, `${file}:${lc.linePos(offset).line}`);
      collectOrigins(item as Node, path, file, lc, origins);
    });
    return;
  }
  if (!isMap(node)) return;
  for (const pair of node.items) {
    const keyNode = pair.key as Node & { value?: unknown };
    const key = String(keyNode?.value ?? keyNode);
    const path = prefix ? `${prefix}.${key}` : key;
    const offset = keyNode?.range?.[0];
    if (offset !== undefined) origins.set(path, `${file}:${lc.linePos(offset).line}`);
    collectOrigins(pair.value as Node, path, file, lc, origins);
  }
}

function readYamlFile(path: string, origins: ConfigOrigins, chain: string[]): Plain {
  const abs = resolve(path);
  if (chain.includes(abs)) throw new ConfigError(`${path}: circular extends (${[...chain, abs].join(' -> ')})`);
  if (!existsSync(abs)) {
    const from = chain.length ? ` (extended from ${chain[chain.length - 1]})` : '';
    throw new ConfigError(`config file not found: ${path}${from}`);
  }
  const text = readFileSync(abs, 'utf8');
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new ConfigError(`${path}${line ? `:${line}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const value = doc.toJS() ?? {};
  if (!isPlainObject(value)) throw new ConfigError(`${path}: expected a YAML mapping at the top level`);
  const { extends: ext, ...rest } = value;
  let merged: Plain = {};
  if (ext !== undefined) {
    const parents = Array.isArray(ext) ? ext : [ext];
    for (const p of parents) {
      if (typeof p !== 'string') throw new ConfigError(`${path}: 'extends' must be a path or a list of paths, got ${JSON.stringify(p)}`);
      merged = deepMerge(merged, readYamlFile(resolve(dirname(abs), p), origins, [...chain, abs]));
    }
  }
  collectOrigins(doc.contents as Node, '', path, lc, origins);
  return deepMerge(merged, rest);
}

/** Applies one `a.b.c=value` override; the value is parsed as YAML (numbers, booleans, null, [lists], {maps}). */
export function applySet(raw: Plain, assignment: string, origins?: ConfigOrigins): Plain {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--set ${assignment}: expected key.path=value`);
  const path = assignment.slice(0, eq).trim();
  const text = assignment.slice(eq + 1);
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(`--set ${path}: value '${text}' is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const value = doc.toJS();
  const keys = path.split('.');
  if (keys.some((k) => k === '')) throw new ConfigError(`--set ${assignment}: empty key in '${path}'`);
  let patch: unknown = value;
  for (let i = keys.length - 1; i >= 0; i--) patch = { [keys[i]!]: patch };
  origins?.set(path, `--set ${assignment}`);
  return deepMerge(raw, patch as Plain);
}

function lookupOrigin(origins: ConfigOrigins, path: string): string | undefined {
  for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const o = origins.get(p);
    if (o) return o;
  }
  return undefined;
}

/** Turns zod issues into one message per problem, each naming the key path and where it was written. */
export function formatIssues(issues: z.core.$ZodIssue[], origins: ConfigOrigins, source: string): string {
  const lines = issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((k) => {
          const full = path ? `${path}.${k}` : k;
          return `unknown key '${full}' (${lookupOrigin(origins, full) ?? source})`;
        })
        .join('\n  ');
    }
    const where = lookupOrigin(origins, path) ?? source;
    return `key '${path || '(root)'}' (${where}): ${issue.message}`;
  });
  return lines.join('\n  ');
}

/** Validates a raw (merged) config object; defaults are filled in. */
export function validateConfig(raw: Plain, origins: ConfigOrigins = new Map(), source = 'config'): RunConfig {
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid configuration:\n  ${formatIssues(parsed.error.issues, origins, source)}`);
  return parsed.data;
}

/** Reads a recipe (following extends), applies --set overrides in order, validates it and every stage it has. */
export function loadConfig(path: string, sets: string[] = []): LoadedConfig {
  const origins: ConfigOrigins = new Map();
  let raw = readYamlFile(path, origins, []);
  for (const s of sets) raw = applySet(raw, s, origins);
  const loaded = { config: validateConfig(raw, origins, path), raw, origins };
  loaded.config.stages.forEach((_, k) => resolveStage(loaded, k));
  return loaded;
}

/** Origins as seen from inside stage `index`: its overrides' own keys point at the override lines. */
function stageOrigins(origins: ConfigOrigins, index: number): ConfigOrigins {
  const prefix = `stages.${index}.overrides.`;
  const out = new Map(origins);
  for (const [key, where] of origins) if (key.startsWith(prefix)) out.set(key.slice(prefix.length), where);
  return out;
}

/** The config of stage `index`: the base (without `stages`) with the stage's overrides merged in, validated. */
export function resolveStage(loaded: LoadedConfig, index: number): RunConfig {
  const stage = loaded.config.stages[index];
  if (!stage) throw new ConfigError(`stage ${index} does not exist (the config has ${loaded.config.stages.length})`);
  const { stages: _stages, ...base } = loaded.raw;
  const merged = deepMerge(base, stage.overrides as Plain);
  try {
    return validateConfig({ ...merged, name: stage.name }, stageOrigins(loaded.origins, index), `stage '${stage.name}'`);
  } catch (err) {
    throw err instanceof ConfigError ? new ConfigError(`stage '${stage.name}': ${err.message}`) : err;
  }
}

/** YAML text of a resolved config (saved as config.resolved.yaml in every run directory). */
export function configToYaml(config: RunConfig): string {
  return stringify(config, { lineWidth: 0 });
}
