/**
 * Checkpoints: one directory per save holding everything a run needs to continue exactly.
 *
 *   <run>/checkpoints/step_000500/
 *     model.sdt       every model variable (BN running statistics included), names like encoder/layer1/0/conv1/kernel
 *     optimizer.sdt   Adam moments (m/<name>, v/<name>)
 *     adapters.sdt    training-only variables that are not part of the model (hint-KD adapters), when there are any
 *     state.json      step, Adam step, loader position, stage, best metric so far, the resolved config
 *   <run>/checkpoints/latest        name of the newest complete checkpoint
 *   <run>/checkpoints/best/         a copy of the checkpoint with the best validation metric
 *
 * A checkpoint directory is written under a temporary name and renamed when complete, so a crash never leaves a
 * half-written checkpoint that `--resume` could pick up; `latest` is written atomically after the rename.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';

import { loadTensors, saveTensors } from '../models/tensor_file.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { LoaderState } from '../data/loader.js';
import type { RunConfig } from '../config/schema.js';
import type { OutputConvention, Rig } from '../models/output_convention.js';

export const MODEL_FILE = 'model.sdt';
export const OPTIMIZER_FILE = 'optimizer.sdt';
/** Training-only variables kept apart from the model (hint-KD adapters): model.sdt stays the deployable network. */
export const ADAPTERS_FILE = 'adapters.sdt';
export const STATE_FILE = 'state.json';

export interface CheckpointState {
  format: 'stereodepth-checkpoint/1';
  /** Optimisation steps completed. */
  step: number;
  /** Adam's own step count (bias correction). */
  optimizerStep: number;
  loader: LoaderState;
  /** Best validation value so far and the step it was reached. */
  best: { metric: string; value: number; step: number } | null;
  /** Last validation metrics, if any. */
  metrics?: Record<string, number>;
  config: RunConfig;
  /** The training rig (first training sample): |baseline| in metres and focal / image width, for predict's metric depth. */
  rig?: Rig;
  /** What the net outputs (with the rig and input size); absent in checkpoints written before it was stored. */
  output?: OutputConvention;
  savedAt: string;
}

export interface LoadedCheckpoint {
  dir: string;
  state: CheckpointState;
  model: Record<string, tf.Tensor>;
  optimizer: Record<string, tf.Tensor> | null;
  /** adapters.sdt, when the run had training-only variables. */
  adapters: Record<string, tf.Tensor> | null;
  dispose(): void;
}

export function checkpointsDir(runDir: string): string {
  return join(runDir, 'checkpoints');
}

export function stepDirName(step: number): string {
  return `step_${String(step).padStart(6, '0')}`;
}

/** Writes a complete checkpoint directory atomically (temp dir + rename). */
export async function writeCheckpointDir(
  dir: string,
  model: Record<string, tf.Tensor>,
  optimizer: Record<string, tf.Tensor> | null,
  state: CheckpointState,
  adapters: Record<string, tf.Tensor> | null = null,
): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await saveTensors(join(tmp, MODEL_FILE), model);
  if (optimizer) await saveTensors(join(tmp, OPTIMIZER_FILE), optimizer);
  if (adapters && Object.keys(adapters).length > 0) await saveTensors(join(tmp, ADAPTERS_FILE), adapters);
  await writeFile(join(tmp, STATE_FILE), JSON.stringify(state, null, 1));
  if (existsSync(dir)) {
    const old = `${dir}.old-${process.pid}`;
    await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(tmp, dir);
  }
}

/** Saves step checkpoint, points `latest` at it, prunes all but the newest `keepLast` step checkpoints. */
export async function saveCheckpoint(
  runDir: string,
  model: Record<string, tf.Tensor>,
  optimizer: Record<string, tf.Tensor> | null,
  state: CheckpointState,
  keepLast: number,
  adapters: Record<string, tf.Tensor> | null = null,
): Promise<string> {
  const root = checkpointsDir(runDir);
  const name = stepDirName(state.step);
  const dir = join(root, name);
  await writeCheckpointDir(dir, model, optimizer, state, adapters);
  await writeFileAtomic(join(root, 'latest'), name + '\n');
  const steps = listStepCheckpoints(runDir);
  for (const old of steps.slice(0, Math.max(0, steps.length - keepLast))) await rm(join(root, old), { recursive: true, force: true });
  return dir;
}

/** Copies a saved checkpoint to `<run>/checkpoints/best` (atomically). */
export async function markBest(runDir: string, checkpointDir: string): Promise<void> {
  const best = join(checkpointsDir(runDir), 'best');
  const tmp = `${best}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await cp(checkpointDir, tmp, { recursive: true });
  if (existsSync(best)) await rm(best, { recursive: true, force: true });
  await rename(tmp, best);
}

/** Complete step checkpoints of a run, oldest first. */
export function listStepCheckpoints(runDir: string): string[] {
  const root = checkpointsDir(runDir);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => /^step_\d+$/.test(n) && existsSync(join(root, n, STATE_FILE)))
    .sort();
}

/**
 * Resolves what a user points at: a checkpoint directory, a run directory (its latest checkpoint), or
 * `<run>/checkpoints` (same). Errors say what was looked for.
 */
export function resolveCheckpointDir(path: string): string {
  if (!existsSync(path)) throw new Error(`checkpoint not found: ${path}`);
  if (!statSync(path).isDirectory()) throw new Error(`checkpoint ${path}: expected a directory (a checkpoint, or a run directory)`);
  if (existsSync(join(path, STATE_FILE))) return path;
  const root = basename(path) === 'checkpoints' ? path : join(path, 'checkpoints');
  const latest = join(root, 'latest');
  if (existsSync(latest)) {
    const name = readFileSync(latest, 'utf8').trim();
    const dir = join(root, name);
    if (existsSync(join(dir, STATE_FILE))) return dir;
  }
  const runDir = basename(path) === 'checkpoints' ? join(path, '..') : path;
  const steps = listStepCheckpoints(runDir);
  if (steps.length > 0) return join(root, steps[steps.length - 1]!);
  throw new Error(`no checkpoint in ${path}: expected ${STATE_FILE} there, or ${join(root, 'latest')}, or ${join(root, 'step_*')}`);
}

/** Reads a checkpoint; `optimizer: false` skips the training-only state (optimizer.sdt and adapters.sdt). */
export async function loadCheckpoint(path: string, opts: { optimizer?: boolean } = {}): Promise<LoadedCheckpoint> {
  const dir = resolveCheckpointDir(path);
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as CheckpointState;
  } catch (err) {
    throw new Error(`${join(dir, STATE_FILE)}: unreadable checkpoint state (${(err as Error).message})`);
  }
  if (state.format !== 'stereodepth-checkpoint/1') throw new Error(`${join(dir, STATE_FILE)}: unknown checkpoint format '${String(state.format)}'`);
  const model = await loadTensors(join(dir, MODEL_FILE));
  const wantOptimizer = opts.optimizer ?? true;
  const optimizer = wantOptimizer && existsSync(join(dir, OPTIMIZER_FILE)) ? await loadTensors(join(dir, OPTIMIZER_FILE)) : null;
  const adapters = wantOptimizer && existsSync(join(dir, ADAPTERS_FILE)) ? await loadTensors(join(dir, ADAPTERS_FILE)) : null;
  return {
    dir,
    state,
    model,
    optimizer,
    adapters,
    dispose() {
      for (const t of Object.values(model)) t.dispose();
      for (const t of Object.values(optimizer ?? {})) t.dispose();
      for (const t of Object.values(adapters ?? {})) t.dispose();
    },
  };
}
