import type { CommandModule } from 'yargs';
import { resolve, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/atomic.js';
import { required, withOptions } from './options.js';
import { ProgressBar } from '../util/progress.js';
import { exportGtMaps, encodeGtFile, EXPORT_GT_SPLITS, type ExportGtSplit } from '../eval/export_gt.js';

interface ExportGtArgs {
  split: ExportGtSplit;
  'data-path': string;
  'split-file'?: string;
  out: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const exportGtCommand: CommandModule<object, ExportGtArgs> = {
  command: 'export-gt',
  describe: 'Cache the GT depth of a KITTI split in one .npz (velodyne for eigen, improved GT for eigen_benchmark)',
  builder: (y) =>
    withOptions(y.option('split', { choices: EXPORT_GT_SPLITS, demandOption: true }), {
      'data-path': { ...required, describe: 'KITTI raw root (<date>/<drive>/velodyne_points, calib files)' },
      'split-file': { describe: 'split list (default: filenames/monodepth2/<split>/test_files.txt)' },
      out: { ...required, describe: 'output .npz (key "data")' },
    }) as never,
  handler: async (args) => {
    // Report failures as one clear line (file, index, what was expected) instead of yargs' help dump.
    try {
      await run(args);
    } catch (err) {
      process.stderr.write(`stereodepth export-gt: ${(err as Error).message}\n`);
      if (process.env.STEREODEPTH_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = 1;
    }
  },
};

/** The command's work; errors propagate to the handler, which prints them. */
async function run(args: ExportGtArgs): Promise<void> {
  const splitFile = args['split-file'] ?? join(repoRoot, 'filenames', 'monodepth2', args.split, 'test_files.txt');
  let bar: ProgressBar | undefined;
  const maps = await exportGtMaps(args.split, args['data-path'], splitFile, (_i, n) => {
    bar ??= new ProgressBar({ label: `export-gt ${args.split}`, total: n, unit: 'img' });
    bar.tick();
  });
  bar?.finish();
  await writeFileAtomic(args.out, encodeGtFile(maps));
  process.stdout.write(`wrote ${maps.length} GT maps to ${args.out}\n`);
}
