/** Paths of the repository's own test fixtures (test/fixtures): parity vectors and real KITTI samples, present in every clone. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const fixturesDir = resolve(repoRoot, 'test/fixtures');
/** Real KITTI samples (kitti_raw, kitti_object, kitti_stereo2015_devkit); see test/fixtures/README.md for source and licence. */
export const fixtureData = resolve(fixturesDir, 'data');
/** monodepth2 / monodepth reference tensors. */
export const goldenDir = resolve(fixturesDir, 'golden');
