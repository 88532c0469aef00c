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
    const resume = Boolean(options.resume) && existsSync(join(checkpointsDir(dir), 'latest'));
    const { runDir: _ignored, ...trainOptions } = options;
    const result = await runTraining(cfg, { ...trainOptions, resume });
    done.push({ name: cfg.name, result });
    if (result.interrupted) return { runDir, stages: done, interrupted: true };
    await writeFileAtomic(doneFile, JSON.stringify({ steps: result.steps, metrics: result.metrics ?? null, best: result.best }, null, 1));
  }
  return { runDir, stages: done, interrupted: false };
}
