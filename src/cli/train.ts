import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';

import { initBackend } from '../backend/index.js';
import { withOptions } from './options.js';
import { applySet, loadConfig, validateConfig, type LoadedConfig } from '../config/load.js';
import { runRecipe } from '../run/recipe.js';
import { runDirOf } from '../train/trainer.js';
import { writeFileAtomic } from '../util/atomic.js';

interface TrainArgs {
  config?: string;
  set?: string[];
  resume: boolean;
  'run-dir'?: string;
  checkpoint?: string;
  models?: string;
  backend?: string;
  threads?: number;
  'stop-after'?: number;
}

/** `stereodepth train`: config-driven training, fine-tuning (--checkpoint) and exact resume (--resume). */
export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train a depth network from a YAML recipe (configs/); resumable, TensorBoard logs in the run directory',
  builder: (y) =>
    withOptions(y, {
      config: { describe: 'YAML recipe, e.g. configs/synthetic/quickstart.yaml (not needed with --resume --run-dir)' },
      set: {},
      checkpoint: { describe: 'initialise from this checkpoint (or run directory) with a fresh schedule: fine-tuning' },
      backend: { default: undefined, describe: 'compute backend (default: the config key backend)' },
      threads: {},
    })
      .option('resume', { type: 'boolean', default: false, describe: "continue the run directory's latest checkpoint exactly (same batches, same losses)" })
      .option('run-dir', { type: 'string', describe: 'run directory (default runs/<name>)' })
      .option('models', { type: 'string', default: 'encoder,depth', describe: 'with --checkpoint: which parts to load (encoder, depth)' })
      .option('stop-after', { type: 'number', describe: 'stop (with a checkpoint) after this many steps of this invocation' }),
  handler: async (argv) => {
    const sets = [...(argv.set ?? [])];
    if (argv.checkpoint) {
      const models = argv.models!.split(',').map((m) => m.trim());
      sets.push(`init={checkpoint: ${JSON.stringify(argv.checkpoint)}, models: [${models.join(', ')}]}`);
    }
    if (argv.backend) sets.push(`backend=${argv.backend}`);
    if (argv.threads) sets.push(`threads=${argv.threads}`);
    let loaded: LoadedConfig;
    if (argv.config) {
      loaded = loadConfig(argv.config, sets);
    } else if (argv.resume && argv['run-dir']) {
      // The run directory's own resolved config.
      const path = join(argv['run-dir'], 'run.json');
      if (!existsSync(path)) throw new Error(`--resume without --config: ${path} not found (pass --config too)`);
      const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      let merged = raw;
      for (const s of sets) merged = applySet(merged, s);
      loaded = { config: validateConfig(merged, new Map(), path), raw: merged, origins: new Map() };
    } else {
      throw new Error('train: pass --config <recipe.yaml> (or --resume --run-dir <dir>)');
    }
    const runDir = argv['run-dir'] ?? loaded.config.run_dir ?? runDirOf(loaded.config);
    await writeFileAtomic(join(runDir, 'run.json'), JSON.stringify(loaded.raw, null, 1));
    const info = await initBackend(loaded.config.backend, loaded.config.threads ? { threads: loaded.config.threads } : {});
    process.stderr.write(`backend ${info.active}${info.threads ? ` (${info.threads} threads)` : ''}\n`);

    const interrupt = { requested: false };
    const onSigint = (): void => {
      if (interrupt.requested) process.exit(130);
      interrupt.requested = true;
      process.stderr.write('\ninterrupt: saving a checkpoint after this step (Ctrl-C again to quit without saving)\n');
    };
    process.on('SIGINT', onSigint);
    try {
      await runRecipe(loaded, { runDir, resume: argv.resume, interrupt, ...(argv['stop-after'] !== undefined ? { stopAfter: argv['stop-after'] } : {}) });
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
