/**
 * Builds the GT cache of a KITTI split once (`stereodepth export-gt`), as monodepth2's `export_gt_depth.py`:
 * eigen from the velodyne scans (camera 2, velodyne-x depth), eigen_benchmark from the improved GT PNGs (/256).
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseMonodepth2Split, improvedGtPath, readScaledPng16, encodeGtFile } from './gt.js';
import { generateDepthMap } from '../data/velodyne_depth.js';
import type { PlaneMap } from './resize.js';

export const EXPORT_GT_SPLITS = ['eigen', 'eigen_benchmark'] as const;
export type ExportGtSplit = (typeof EXPORT_GT_SPLITS)[number];

/** GT maps of every line of the split file, in order. `onImage` reports progress. */
export async function exportGtMaps(
  split: ExportGtSplit,
  dataPath: string,
  splitFile: string,
  onImage: (index: number, total: number) => void = () => {},
): Promise<PlaneMap[]> {
  if (!existsSync(splitFile)) throw new Error(`${splitFile}: split file not found`);
  if (!existsSync(dataPath)) throw new Error(`${dataPath}: data path not found`);
  const lines = parseMonodepth2Split(readFileSync(splitFile, 'utf8'), splitFile);
  const maps: PlaneMap[] = [];
  for (const [i, line] of lines.entries()) {
    if (split === 'eigen') {
      const date = line.folder.split('/')[0]!;
      const velo = join(dataPath, line.folder, 'velodyne_points', 'data', `${String(line.frame).padStart(10, '0')}.bin`);
      try {
        maps.push(await generateDepthMap(join(dataPath, date), velo, 2, true));
      } catch (err) {
        throw new Error(`${splitFile}:${i + 1}: ${(err as Error).message}`);
      }
    } else {
      try {
        maps.push(await readScaledPng16(improvedGtPath(dataPath, line), 256));
      } catch (err) {
        throw new Error(`${splitFile}:${i + 1}: ${(err as Error).message}`);
      }
    }
    onImage(i, lines.length);
  }
  return maps;
}

export { encodeGtFile };
