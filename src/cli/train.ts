import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';

import { BACKEND_NAMES, initBackend } from '../backend/index.js';
import { applySet, loadConfig, resolveStage, validateConfig, type LoadedConfig } from '../config/load.js';
import type { RunConfig } from '../config/schema.js';
import { checkpointsDir } from '../train/checkpoint.js';
import { runDirOf, train, type TrainResult } from '../train/trainer.js';
import { writeFileAtomic } from '../util/atomic.js';
import { writeStagesReport } from '../train/stages_report.js';

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

/** The stages of a run: the config itself, or each of its `stages` (stage k > 0 starts from stage k-1's weights). */
function planStages(loaded: LoadedConfig, runDir: string): RunConfig[] {
  if (loaded.config.stages.length === 0) return [{ ...loaded.config, run_dir: runDir }];
  return loaded.config.stages.map((stage, k) => {
    const cfg = resolveStage(loaded, k);
    const stageDir = join(runDir, stage.name);
    const previous = k > 0 ? join(runDir, loaded.config.stages[k - 1]!.name) : null;
    return { ...cfg, run_dir: stageDir, init: cfg.init ?? (previous ? { checkpoint: previous, models: ['encoder', 'depth'] } : null) };
  });
}

/**
 * --resume on a stage without a checkpoint: says so and starts it from step 0 when an earlier process left a trace
 * there (it died before its first checkpoint) or an earlier stage just finished; a directory with no run at all is an
 * error (a wrong --run-dir or recipe name would otherwise start a new run silently).
 */
function resumableOrSay(dir: string, stageIndex: number, name: string): boolean {
  if (existsSync(join(checkpointsDir(dir), 'latest'))) return true;
  const trace = ['metrics.jsonl', 'train', 'checkpoints', 'config.resolved.yaml', 'train.lock'].some((f) => existsSync(join(dir, f)));
  if (!trace && stageIndex === 0) {
    throw new Error(`--resume: nothing to resume in ${dir}: no checkpoint (${join(checkpointsDir(dir), 'latest')}) and no earlier run there; check --run-dir / the recipe name, or drop --resume to start a new run`);
  }
  process.stderr.write(
    trace
      ? `--resume: ${dir} has no checkpoint yet (the earlier run stopped before its first checkpoint): starting ${name} from step 0\n`
      : `--resume: stage ${name} has not started yet (no checkpoint in ${dir}): starting it from step 0\n`,
  );
  return false;
}

/** `stereodepth train`: config-driven training, fine-tuning (--checkpoint) and exact resume (--resume). */
export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train a depth network from a YAML recipe (configs/); resumable, TensorBoard logs in the run directory',
  builder: (y) =>
    y
      .option('config', { type: 'string', describe: 'YAML recipe, e.g. configs/synthetic/quickstart.yaml (not needed with --resume --run-dir)' })
      .option('set', { type: 'string', array: true, describe: 'override a key: --set optim.lr=2e-4 --set data.batch_size=8 (values are YAML)' })
      .option('resume', { type: 'boolean', default: false, describe: "continue the run directory's latest checkpoint exactly (same batches, same losses)" })
      .option('run-dir', { type: 'string', describe: 'run directory (default runs/<name>)' })
      .option('checkpoint', { type: 'string', describe: 'initialise from this checkpoint (or run directory) with a fresh schedule: fine-tuning' })
      .option('models', { type: 'string', default: 'encoder,depth', describe: 'with --checkpoint: which parts to load (encoder, depth)' })
      .option('backend', { choices: BACKEND_NAMES, describe: 'compute backend (default: the config key backend)' })
      .option('threads', { type: 'number', describe: 'wasm threads' })
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
      const stages = planStages(loaded, runDir);
      const results: TrainResult[] = [];
      for (const [k, cfg] of stages.entries()) {
        const dir = cfg.run_dir!;
        const done = join(dir, 'done.json');
        if (existsSync(done) && argv.resume) {
          process.stderr.write(`stage ${cfg.name}: already complete (${done})\n`);
          continue;
        }
        if (stages.length > 1) process.stderr.write(`stage ${k + 1}/${stages.length}: ${cfg.name}\n`);
        const resume = argv.resume && resumableOrSay(dir, k, cfg.name);
        const r = await train(cfg, { resume, interrupt, ...(argv['stop-after'] !== undefined ? { stopAfter: argv['stop-after'] } : {}) });
        results.push(r);
        if (r.interrupted) return;
        await writeFileAtomic(done, JSON.stringify({ steps: r.steps, metrics: r.metrics ?? null, best: r.best }, null, 1));
      }
      if (stages.length > 1) {
        const path = await writeStagesReport(runDir, loaded.config.name, stages.map((c) => ({ name: c.name, dir: c.run_dir! })));
        process.stderr.write(`stages side by side: ${path}\n`);
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
