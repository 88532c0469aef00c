import type { CommandModule } from 'yargs';

import { required, startBackend, withOptions } from './options.js';
import { exportDepthNet } from '../infer/export.js';
import { netFromCheckpoint } from '../run/build.js';

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
    withOptions(y, { checkpoint: required, out: required, backend: {} }) as never,
  handler: async (argv) => {
    await startBackend(argv);
    const { net, config, dir, output } = await netFromCheckpoint(argv.checkpoint);
    try {
      const r = await exportDepthNet(net, argv.out, { model: config.model, lossKind: config.loss.kind, output });
      process.stdout.write(`export: ${dir} -> ${r.modelJson} + ${r.weights} (${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${net.parameterCount().toLocaleString('en')} trainable parameters)\n`);
    } finally {
      net.dispose();
    }
  },
};
