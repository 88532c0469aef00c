import type { CommandModule } from 'yargs';

import { BACKEND_NAMES, initBackend } from '../backend/index.js';
import { exportDepthNet } from '../infer/export.js';
import { netFromCheckpoint } from '../train/setup.js';

interface ExportArgs {
  checkpoint: string;
  out: string;
  backend: string;
}

/** `stereodepth export`: a trained depth net as model.json + weights.bin for tfjs apps (browser, device). */
export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'Export a checkpoint\'s depth network for deployment: model.json (config, output convention, tfjs weights manifest) + weights.bin',
  builder: (y) =>
    y
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'checkpoint directory or run directory (its latest checkpoint; use <run>/checkpoints/best for the best)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .option('backend', { choices: BACKEND_NAMES, default: 'auto' }) as never,
  handler: async (argv) => {
    await initBackend(argv.backend as never);
    const { net, config, dir, output } = await netFromCheckpoint(argv.checkpoint);
    try {
      const r = await exportDepthNet(net, argv.out, { model: config.model, lossKind: config.loss.kind, output });
      process.stdout.write(`export: ${dir} -> ${r.modelJson} + ${r.weights} (${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${net.parameterCount().toLocaleString('en')} trainable parameters)\n`);
    } finally {
      net.dispose();
    }
  },
};
