/**
 * The dataset adapters, as a list of descriptors: the config schema (config/schema.ts) derives its `dataset:` names and
 * per-dataset option checks from this list, and the build layer creates datasets through it. A new dataset is one
 * adapter file exporting a descriptor (data/descriptor.ts) plus one line here.
 */
import type { DatasetDescriptor, DatasetEntry } from './descriptor.js';
import type { Dataset } from './types.js';
import { kittiRawDescriptor } from './kitti_raw.js';
import { kittiStereo2015Descriptor } from './kitti_stereo2015.js';
import { cityscapesDescriptor } from './cityscapes.js';
import { simsinDescriptor, unisinDescriptor } from './simsin.js';
import { vaDescriptor } from './va.js';
import { nyuH5Descriptor, nyuLabeledDescriptor } from './nyu.js';
import { folderPairsDescriptor } from './folder_pairs.js';

export const DATASETS: readonly DatasetDescriptor[] = [
  kittiRawDescriptor,
  kittiStereo2015Descriptor,
  cityscapesDescriptor,
  simsinDescriptor,
  unisinDescriptor,
  vaDescriptor,
  nyuH5Descriptor,
  nyuLabeledDescriptor,
  folderPairsDescriptor,
];

export const DATASET_NAMES: readonly string[] = DATASETS.map((d) => d.name);

/** The descriptor of `name` in `registry`; an unknown name is an error listing the known ones. */
export function findDataset(name: string, registry: readonly DatasetDescriptor[] = DATASETS): DatasetDescriptor {
  const d = registry.find((x) => x.name === name);
  if (!d) throw new Error(`unknown dataset '${name}': expected one of ${registry.map((x) => x.name).join(', ')}`);
  return d;
}

/**
 * Builds the adapter of one entry: options checked against the adapter's schema, the split required when it reads one.
 * `key` names the entry in errors (e.g. data.train).
 */
export async function createDataset(name: string, entry: DatasetEntry<unknown>, key = name, registry: readonly DatasetDescriptor[] = DATASETS): Promise<Dataset> {
  const d = findDataset(name, registry);
  if (d.needsSplit && !entry.split) throw new Error(`${key}.split: dataset ${name} needs a split file`);
  const parsed = d.optionsSchema.safeParse(entry.options ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${[`${key}.options`, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
    throw new Error(`dataset ${name}: invalid options: ${issues}`);
  }
  return d.create({ ...entry, options: parsed.data });
}
