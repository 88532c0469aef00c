/**
 * The options several commands share, defined once: a command names the ones it takes (with per-command tweaks such
 * as `demandOption` or its own description) and gets the same type, default and help text everywhere.
 */
import type { Argv, Options } from 'yargs';

import { BACKEND_NAMES, initBackend, type BackendInfo, type BackendName } from '../backend/index.js';

export const COMMON_OPTIONS = {
  checkpoint: { type: 'string', describe: 'checkpoint directory or run directory (its latest checkpoint; <run>/checkpoints/best for the best)' },
  out: { type: 'string', describe: 'output folder' },
  backend: { choices: BACKEND_NAMES, default: 'auto', describe: 'compute backend (auto: tensorflow-gpu > tensorflow > wasm > cpu)' },
  threads: { type: 'number', describe: 'wasm threads (default: available cores, max 8)' },
  config: { type: 'string', describe: 'YAML recipe, e.g. configs/synthetic/quickstart.yaml' },
  set: { type: 'string', array: true, describe: 'override a config key: --set optim.lr=2e-4 --set data.batch_size=8 (values are YAML)' },
  'batch-size': { type: 'number', default: 4, describe: 'images per forward pass' },
  'post-process': { type: 'boolean', default: false, describe: "flip-average the prediction (monodepth's post-processing with edge ramps)" },
  'data-path': { type: 'string', describe: 'dataset root' },
  'split-file': { type: 'string', describe: 'split list' },
  focal: { type: 'number', describe: 'focal length in pixels' },
  baseline: { type: 'number', describe: 'stereo baseline in metres' },
  json: { type: 'boolean', default: false, describe: 'print the result as JSON' },
} satisfies Record<string, Options>;

export type CommonOptionName = keyof typeof COMMON_OPTIONS;

/** Marks an option required. */
export const required: Options = { demandOption: true };

/** Adds the named shared options to a command's builder; each value tweaks that option for this command ({} = as is). */
export function withOptions<T>(y: Argv<T>, options: Partial<Record<CommonOptionName, Options>>): Argv<T> {
  let out = y;
  for (const [name, tweak] of Object.entries(options) as [CommonOptionName, Options][]) out = out.option(name, { ...COMMON_OPTIONS[name], ...tweak }) as Argv<T>;
  return out;
}

/** Starts the compute backend named by --backend (and --threads, when the command has it). */
export async function startBackend(argv: { backend?: string; threads?: number }): Promise<BackendInfo> {
  return initBackend((argv.backend ?? 'auto') as BackendName, argv.threads ? { threads: argv.threads } : {});
}
