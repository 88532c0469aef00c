import type { CommandModule } from 'yargs';
import { shutdownBackend, type BackendInfo, type BackendName } from '../backend/index.js';
import { parseSize } from '../export/depth_graph.js';
import { formatModelCost, modelCost, type ModelCost } from '../export/model_cost.js';
import { createModel, findPreset, PRESET_NAMES } from '../models/registry.js';
import { startBackend, withOptions } from './options.js';

interface InfoArgs {
  backend: BackendName;
  threads?: number;
  json: boolean;
  model?: string;
  size?: string;
}

/** Parameters and compute of a preset at a size (default: the size of the reference it reproduces). */
export function presetCost(name: string, size?: string): ModelCost {
  const preset = findPreset(name);
  const s = size ? parseSize(size, '--size') : { height: preset.referenceSize[0], width: preset.referenceSize[1] };
  const net = createModel(name);
  try {
    return modelCost(net, s);
  } finally {
    net.dispose();
  }
}

/** Human-readable report of a backend choice: what runs, what was skipped and why, threads, versions. */
export function formatBackendInfo(info: BackendInfo): string {
  const lines = [
    `backend:   ${info.chosen} (tfjs '${info.active}', requested '${info.requested}')`,
    `threads:   ${info.threads}`,
  ];
  for (const s of info.skipped) lines.push(`skipped:   ${s.name}: ${s.reason}`);
  for (const [name, version] of Object.entries(info.versions)) lines.push(`version:   ${name} ${version}`);
  return lines.join('\n');
}

export const infoCommand: CommandModule<object, InfoArgs> = {
  command: 'info',
  describe: 'Show the compute backend that would be used, the ones skipped and why, threads and versions; with --model, a network\'s parameters and FLOPs',
  builder: (y) =>
    withOptions(y, { backend: { describe: 'backend to initialise' }, threads: {}, json: { describe: 'print the BackendInfo (or the model cost) as JSON' } })
      .option('model', { type: 'string', choices: PRESET_NAMES, describe: 'count parameters, MACs and FLOPs of this model preset' })
      .option('size', { type: 'string', describe: 'input HxW for --model (default: its reference size, e.g. fastdepth 224x224)' }) as never,
  handler: async (args) => {
    try {
      const info = await startBackend(args);
      if (args.model) {
        const cost = presetCost(args.model, args.size);
        process.stdout.write((args.json ? JSON.stringify(cost, null, 2) : formatModelCost(cost)) + '\n');
        return;
      }
      process.stdout.write((args.json ? JSON.stringify(info, null, 2) : formatBackendInfo(info)) + '\n');
    } catch (err) {
      process.stderr.write(`stereodepth info: ${(err as Error).message}\n`);
      process.exitCode = 1;
    } finally {
      shutdownBackend();
    }
  },
};
