/**
 * The adapter options a config's `options:` map may set, per dataset (the root and split come from the entry's own
 * `path` and `split`). Adapters ignore keys they do not know, so a misspelt option would silently do nothing; the
 * config schema rejects it instead. Kept free of adapter imports so the schema can use it.
 */
export const DATASET_OPTION_KEYS: Record<string, readonly string[]> = {
  kitti_raw: ['lineFormat', 'imageExt', 'gt', 'neighbours', 'metric'],
  kitti_stereo2015: ['gt', 'imageExt'],
  cityscapes: ['officialSplit', 'cropBottomFraction', 'camera', 'loadDisparity', 'metric'],
  simsin: ['metric', 'loadDepth'],
  unisin: ['metric', 'loadDepth'],
  va: ['loadDepth', 'metric'],
  nyu_h5: [],
  nyu_labeled: ['indices'],
  folder_pairs: ['cameraFile'],
  mai: ['focalFraction', 'depthScale'],
};

/** The options of `options` that the dataset's adapter does not take, with what it does take. */
export function unknownDatasetOptions(dataset: string, options: Record<string, unknown>): { unknown: string[]; known: readonly string[] } {
  const known = DATASET_OPTION_KEYS[dataset] ?? [];
  return { unknown: Object.keys(options).filter((k) => !known.includes(k)), known };
}
