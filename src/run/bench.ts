/**
 * `stereodepth bench` for one config: the run built exactly as `train` builds it (src/run/training.ts), with a
 * temporary run directory and without its validation and test sets (the step does not read them), then timed by
 * src/train/bench.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { RunConfig } from '../config/schema.js';
import { benchConfigStep, type ConfigBench, type ConfigBenchOptions } from '../train/bench.js';
import { buildTraining } from './training.js';

export async function benchRecipe(config: RunConfig, name: string, opts: ConfigBenchOptions): Promise<ConfigBench> {
  const runDir = mkdtempSync(join(tmpdir(), 'sd-bench-run-'));
  try {
    const parts = await buildTraining({ ...config, run_dir: runDir, data: { ...config.data, val: null, test: null } }, { log: () => undefined });
    return await benchConfigStep(parts, name, opts);
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}
