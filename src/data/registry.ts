/** Config name -> dataset adapter. An unknown name is an error listing the known ones. */
import type { Dataset } from './types.js';
import { KittiRawDataset, type KittiRawOptions } from './kitti_raw.js';
import { KittiStereo2015Dataset, type KittiStereo2015Options } from './kitti_stereo2015.js';
import { CityscapesDataset, type CityscapesOptions } from './cityscapes.js';
import { SimsinDataset, type SimsinOptions } from './simsin.js';
import { NyuH5Dataset, NyuLabeledMatDataset, type NyuH5Options } from './nyu.js';
import { FolderPairsDataset, type FolderPairsOptions } from './folder_pairs.js';
import { VaDataset, type VaOptions } from './va.js';
import { maiDescriptor, type MaiOptions } from './mai.js';

export interface DatasetOptionsByName {
  kitti_raw: KittiRawOptions;
  kitti_stereo2015: KittiStereo2015Options;
  cityscapes: CityscapesOptions;
  simsin: SimsinOptions;
  unisin: SimsinOptions;
  va: VaOptions;
  nyu_h5: NyuH5Options;
  nyu_labeled: { path: string; indices?: number[] };
  folder_pairs: FolderPairsOptions;
  mai: MaiOptions;
}

export const DATASET_NAMES = ['kitti_raw', 'kitti_stereo2015', 'cityscapes', 'simsin', 'unisin', 'va', 'nyu_h5', 'nyu_labeled', 'folder_pairs', 'mai'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export async function createDataset<N extends DatasetName>(name: N, options: DatasetOptionsByName[N]): Promise<Dataset>;
export async function createDataset(name: string, options: unknown): Promise<Dataset>;
export async function createDataset(name: string, options: unknown): Promise<Dataset> {
  switch (name) {
    case 'kitti_raw': return new KittiRawDataset(options as KittiRawOptions);
    case 'kitti_stereo2015': return new KittiStereo2015Dataset(options as KittiStereo2015Options);
    case 'cityscapes': return new CityscapesDataset(options as CityscapesOptions);
    case 'simsin': return new SimsinDataset({ ...(options as SimsinOptions), variant: 'simsin' });
    case 'unisin': return new SimsinDataset({ ...(options as SimsinOptions), variant: 'unisin' });
    case 'va': return new VaDataset(options as VaOptions);
    case 'nyu_h5': return new NyuH5Dataset(options as NyuH5Options);
    case 'nyu_labeled': { const o = options as { path: string; indices?: number[] }; return NyuLabeledMatDataset.open(o.path, o.indices); }
    case 'folder_pairs': return new FolderPairsDataset(options as FolderPairsOptions);
    case 'mai': { const { dataPath, split, ...rest } = options as MaiOptions; return maiDescriptor.create({ dataPath, ...(split && 'file' in split ? { split } : {}), options: rest }); }
    default: throw new Error(`unknown dataset '${name}': expected one of ${DATASET_NAMES.join(', ')}`);
  }
}
