import type { CommandModule } from 'yargs';
import { resolve, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/atomic.js';
import { runEvaluation, EVAL_SPLITS, EVAL_PROTOCOLS, defaultOutDir, type EvalRunResult, type EvalSplit, type EvalProtocol } from '../eval/run.js';
import { readPredictionSidecar } from '../eval/convert.js';
import { withOptions } from './options.js';
import { PREDICTION_CONVENTIONS, TRAINED_WITH, type PredictionConvention, type TrainedWith } from '../models/output_convention.js';
import type { CropName } from '../eval/crops.js';
import type { D1Comparison } from '../eval/metrics.js';

interface EvalArgs {
  split: EvalSplit;
  pred: string;
  gt?: string;
  'data-path'?: string;
  'split-file'?: string;
  protocol?: EvalProtocol;
  convention?: PredictionConvention;
  'trained-with'?: TrainedWith;
  'min-depth'?: number;
  'max-depth'?: number;
  'median-scaling'?: boolean;
  'force-median-scaling': boolean;
  'scale-factor'?: number;
  crop?: CropName;
  d1: D1Comparison;
  focal?: number;
  baseline?: number;
  'out-dir'?: string;
  csv?: string;
  'mai-quantize': boolean;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Console table of the averaged metrics, references' column order. */
export function formatMetricsTable(result: EvalRunResult): string {
  const names = Object.keys(result.metrics);
  const head = names.map((n) => n.padStart(10)).join(' |');
  const row = names.map((n) => result.metrics[n]!.toFixed(4).padStart(10)).join(' |');
  return `${result.split} (${result.protocol}), ${result.count} images\n${head}\n${row}`;
}

/** Per-image CSV (one row per prediction index). */
export function formatPerImageCsv(result: EvalRunResult): string {
  const keys = [...new Set(result.perImage.flatMap((m) => Object.keys(m)))];
  const lines = [['index', ...keys].join(',')];
  result.perImage.forEach((m, i) => lines.push([String(i), ...keys.map((k) => (m[k] === undefined ? '' : String(m[k])))].join(',')));
  return lines.join('\n') + '\n';
}

export const evalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval',
  describe: "Evaluate saved predictions with the references' protocols (KITTI Eigen/2015/benchmark, NYUv2, MAI 2021)",
  builder: (y) =>
    withOptions(y, {
      'data-path': { describe: 'dataset root (KITTI raw calib / improved GT, KITTI 2015, MAI depth PNGs)' },
      'split-file': { describe: 'split list (default: filenames/monodepth2/<split>/test_files.txt)' },
      focal: { describe: 'focal (px at GT width) for disparity conventions without calibration' },
      baseline: { describe: 'stereo baseline (m) for disparity conventions without calibration' },
    })
      .option('split', { choices: EVAL_SPLITS, demandOption: true, describe: 'evaluation split' })
      .option('pred', { type: 'string', demandOption: true, describe: 'predictions .npy (N x H x W float32); sidecar <pred>.json states its convention' })
      .option('gt', { type: 'string', describe: 'GT file (.npz from export-gt, or N x H x W .npy)' })
      .option('protocol', { choices: EVAL_PROTOCOLS, describe: 'reference protocol (default per split and convention)' })
      .option('convention', { choices: PREDICTION_CONVENTIONS, describe: 'overrides the sidecar: what the prediction values mean' })
      .option('trained-with', { choices: TRAINED_WITH, describe: 'overrides the sidecar: how the model was trained (decides median scaling)' })
      .option('min-depth', { type: 'number', describe: "disp_to_depth min depth for convention 'sigmoid' (default 0.1)" })
      .option('max-depth', { type: 'number', describe: "disp_to_depth max depth for convention 'sigmoid' (default 100)" })
      .option('median-scaling', { type: 'boolean', describe: 'per-image median scaling (mono models only)' })
      .option('force-median-scaling', { type: 'boolean', default: false, describe: 'median-scale even a stereo-trained model' })
      .option('scale-factor', { type: 'number', describe: 'fixed factor on predicted depth (monodepth2 stereo: 5.4)' })
      .option('crop', { choices: ['garg', 'eigen', 'none'] as const, describe: 'KITTI crop (default: garg for monodepth2 eigen, none otherwise)' })
      .option('d1', { choices: ['monodepth', 'devkit'] as const, default: 'monodepth' as D1Comparison, describe: "D1 thresholds: monodepth '>=' or devkit '>'" })
      .option('out-dir', { type: 'string', describe: 'where metrics.json goes (default: beside --pred)' })
      .option('csv', { type: 'string', describe: 'also write per-image metrics to this CSV' })
      .option('mai-quantize', { type: 'boolean', default: true, describe: 'MAI: clip metres x 1000 to [1, 65535] and truncate to uint16 as submissions are' }) as never,
  handler: async (args) => {
    // Report failures as one clear line (file, index, what was expected) instead of yargs' help dump.
    try {
      await run(args);
    } catch (err) {
      process.stderr.write(`stereodepth eval: ${(err as Error).message}\n`);
      if (process.env.STEREODEPTH_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = 1;
    }
  },
};

/** The command's work; errors propagate to the handler, which prints them. */
async function run(args: EvalArgs): Promise<void> {
  const sidecar = readPredictionSidecar(args.pred);
  const result = await runEvaluation({
    split: args.split,
    predPath: args.pred,
    repoRoot,
    forceMedianScaling: args['force-median-scaling'],
    d1: args.d1,
    maiQuantize: args['mai-quantize'],
    ...(sidecar ? { sidecar } : {}),
    ...(args.gt !== undefined ? { gtPath: args.gt } : {}),
    ...(args['data-path'] !== undefined ? { dataPath: args['data-path'] } : {}),
    ...(args['split-file'] !== undefined ? { splitFile: args['split-file'] } : {}),
    ...(args.protocol !== undefined ? { protocol: args.protocol } : {}),
    ...(args.convention !== undefined ? { convention: args.convention } : {}),
    ...(args['trained-with'] !== undefined ? { trainedWith: args['trained-with'] } : {}),
    ...(args['min-depth'] !== undefined ? { minDepth: args['min-depth'] } : {}),
    ...(args['max-depth'] !== undefined ? { maxDepth: args['max-depth'] } : {}),
    ...(args['median-scaling'] !== undefined ? { medianScaling: args['median-scaling'] } : {}),
    ...(args['scale-factor'] !== undefined ? { scaleFactor: args['scale-factor'] } : {}),
    ...(args.crop !== undefined ? { crop: args.crop } : {}),
    ...(args.focal !== undefined ? { focal: args.focal } : {}),
    ...(args.baseline !== undefined ? { baseline: args.baseline } : {}),
  });
  for (const note of result.notes) process.stdout.write(`-> ${note}\n`);
  process.stdout.write(formatMetricsTable(result) + '\n');
  const outDir = args['out-dir'] ?? defaultOutDir(args.pred);
  const metricsPath = join(outDir, 'metrics.json');
  const { perImage: _perImage, ...summary } = result;
  await writeFileAtomic(metricsPath, JSON.stringify({ pred: resolve(args.pred), ...summary }, null, 2) + '\n');
  process.stdout.write(`metrics written to ${metricsPath}\n`);
  if (args.csv) {
    await writeFileAtomic(args.csv, formatPerImageCsv(result));
    process.stdout.write(`per-image metrics written to ${args.csv}\n`);
  }
}
