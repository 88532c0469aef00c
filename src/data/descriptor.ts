/**
 * What a dataset adapter declares about itself, so the registry, the config schema and the build layer need no list
 * of their own: its config name, the zod schema of its `options:` map, whether it reads a split file, and how to build
 * it from a config entry. Adding a dataset = one adapter file exporting a descriptor + one line in registry.ts.
 */
import type { z } from 'zod';

import type { Dataset } from './types.js';

/** A split: a list file, or inline lines (programmatic use, tests) with a pseudo file name. */
export type SplitSource = { file: string } | { lines: string[]; name?: string };

/** One dataset entry as the adapter gets it: its root, its split (when it takes one) and its parsed options. */
export interface DatasetEntry<O> {
  path: string;
  split?: SplitSource;
  options: O;
}

export interface DatasetDescriptor<O = unknown> {
  /** The config's `dataset:` value. */
  name: string;
  /** The entry's `options:` map (strict: an option the adapter does not take is an error). */
  optionsSchema: z.ZodType<O>;
  /** Whether an entry must name a split file (`split:`). */
  needsSplit: boolean;
  /** Options that skip reading ground truth, for prediction-only passes (`stereodepth test`); absent = none to skip. */
  withoutGroundTruth?: Partial<O>;
  create(entry: DatasetEntry<O>): Dataset | Promise<Dataset>;
}

/** Declares an adapter's descriptor with its options type inferred from the schema. */
export function defineDataset<S extends z.ZodType>(d: DatasetDescriptor<z.output<S>> & { optionsSchema: S }): DatasetDescriptor {
  return d as unknown as DatasetDescriptor;
}

/** The split of an entry that must have one (the schema and createDataset check `needsSplit` before create runs). */
export function requireSplit(entry: DatasetEntry<unknown>, dataset: string): SplitSource {
  if (!entry.split) throw new Error(`dataset ${dataset} needs a split file (split:)`);
  return entry.split;
}
