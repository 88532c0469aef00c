/**
 * A recipe end to end, from the library or the CLI: its stages planned (stage k > 0 starts from stage k-1's final
 * weights, fresh schedule), each trained in its own directory under the run directory, finished stages skipped on resume.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { loadConfig, resolveStage, type LoadedConfig } from '../config/load.js';
import type { RunConfig } from '../config/schema.js';
import { checkpointsDir } from '../train/checkpoint.js';
import { runDirOf, type TrainOptions, type TrainResult } from '../train/trainer.js';
import { writeFileAtomic } from '../util/atomic.js';
import { runTraining } from './training.js';
import { LOCK_FILE } from '../train/run_lock.js';
import { writeStagesReport } from '../train/stages_report.js';

/** The stages of a run: the config itself, or each of its `stages` (stage k > 0 starts from stage k-1's weights). */
export function planStages(loaded: LoadedConfig, runDir: string): RunConfig[] {
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
function resumableOrSay(dir: string, stageIndex: number, name: string, log: (l: string) => void): boolean {
  if (existsSync(join(checkpointsDir(dir), 'latest'))) return true;
  const trace = ['metrics.jsonl', 'train', 'checkpoints', 'config.resolved.yaml', LOCK_FILE].some((f) => existsSync(join(dir, f)));
  if (!trace && stageIndex === 0) {
    throw new Error(`--resume: nothing to resume in ${dir}: no checkpoint (${join(checkpointsDir(dir), 'latest')}) and no earlier run there; check --run-dir / the recipe name, or drop --resume to start a new run`);
  }
  log(
    trace
      ? `--resume: ${dir} has no checkpoint yet (the earlier run stopped before its first checkpoint): starting ${name} from step 0`
      : `--resume: stage ${name} has not started yet (no checkpoint in ${dir}): starting it from step 0`,
  );
  return false;
}

export interface RecipeOptions extends Omit<TrainOptions, 'resume'> {
  /** Continue: finished stages are skipped, the current one resumes from its latest checkpoint. */
  resume?: boolean;
  /** Run directory (default: the config's run_dir, else runs/<name>). */
  runDir?: string;
}

export interface RecipeResult {
  runDir: string;
  /** One result per stage trained by this call (finished stages skipped on resume are absent). */
  stages: { name: string; result: TrainResult }[];
  interrupted: boolean;
}

/**
 * Trains every stage of a recipe (a YAML path, or a config already loaded with --set overrides) in order; each finished
 * stage leaves `<stage dir>/done.json`.
 */
export async function runRecipe(recipe: string | LoadedConfig, options: RecipeOptions = {}): Promise<RecipeResult> {
  const loaded = typeof recipe === 'string' ? loadConfig(recipe) : recipe;
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const runDir = options.runDir ?? loaded.config.run_dir ?? runDirOf(loaded.config);
  const stages = planStages(loaded, runDir);
  const done: RecipeResult['stages'] = [];
  for (const [k, cfg] of stages.entries()) {
    const dir = cfg.run_dir!;
    const doneFile = join(dir, 'done.json');
    if (existsSync(doneFile) && options.resume) {
      log(`stage ${cfg.name}: already complete (${doneFile})`);
      continue;
    }
    if (stages.length > 1) log(`stage ${k + 1}/${stages.length}: ${cfg.name}`);
    const resume = Boolean(options.resume) && resumableOrSay(dir, k, cfg.name, log);
    const { runDir: _ignored, ...trainOptions } = options;
    const result = await runTraining(cfg, { ...trainOptions, resume });
    done.push({ name: cfg.name, result });
    if (result.interrupted) return { runDir, stages: done, interrupted: true };
    await writeFileAtomic(doneFile, JSON.stringify({ steps: result.steps, metrics: result.metrics ?? null, best: result.best }, null, 1));
  }
  if (stages.length > 1) log(`stages side by side: ${await writeStagesReport(runDir, loaded.config.name, stages.map((c) => ({ name: c.name, dir: c.run_dir! })))}`);
  return { runDir, stages: done, interrupted: false };
}
