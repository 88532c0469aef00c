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
 * Commit order, so that a crash (kill -9, power cut) at any instant leaves a consistent run: the step directory is
 * written under a temporary name, fsynced and renamed; then, when it is a new best, `best/` is replaced by a copy
 * of it (also complete before its rename); only then is `latest` switched to it. So the state `latest` names never
 * refers to a best copy that is not on disk, and {@link ../train/run_recovery} finishes or undoes an interrupted
 * best replacement on the next start.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, link, mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';

import { loadTensors, saveTensors, TensorFileError, verifyTensorFile } from '../models/tensor_file.js';
import { fsyncDirectory, withPath, writeFileAtomic } from '../util/atomic.js';
import { assertFiniteForSave } from './finite_guard.js';
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

/** Writes a complete checkpoint directory atomically (temp dir, every file fsynced, then rename). */
export async function writeCheckpointDir(
  dir: string,
  model: Record<string, tf.Tensor>,
  optimizer: Record<string, tf.Tensor> | null,
  state: CheckpointState,
  adapters: Record<string, tf.Tensor> | null = null,
): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await saveTensors(join(tmp, MODEL_FILE), model);
    await faultInjectionDelay();
    if (optimizer) await saveTensors(join(tmp, OPTIMIZER_FILE), optimizer);
    if (adapters && Object.keys(adapters).length > 0) await saveTensors(join(tmp, ADAPTERS_FILE), adapters);
    // state.json last: a directory holding it is complete
    await writeFileAtomic(join(tmp, STATE_FILE), JSON.stringify(state, null, 1));
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw withPath(err, tmp, 'writing checkpoint');
  }
  await replaceDir(tmp, dir);
}

/** Renames a complete `tmp` directory to `dir`, moving an existing `dir` aside first (there is no atomic swap). */
async function replaceDir(tmp: string, dir: string): Promise<void> {
  const parent = join(dir, '..');
  if (existsSync(dir)) {
    const old = `${dir}.old-${process.pid}`;
    await rm(old, { recursive: true, force: true });
    await rename(dir, old);
    await rename(tmp, dir);
    fsyncDirectory(parent);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(tmp, dir);
    fsyncDirectory(parent);
  }
}

/**
 * Saves the step checkpoint; with `best`, makes it `best/` as well; then points `latest` at it and prunes all but
 * the newest `keepLast` step checkpoints. See the commit order in the header.
 */
export async function saveCheckpoint(
  runDir: string,
  model: Record<string, tf.Tensor>,
  optimizer: Record<string, tf.Tensor> | null,
  state: CheckpointState,
  keepLast: number,
  adapters: Record<string, tf.Tensor> | null = null,
  opts: { best?: boolean } = {},
): Promise<string> {
  const root = checkpointsDir(runDir);
  const name = stepDirName(state.step);
  const dir = join(root, name);
  assertFiniteForSave({ ...model, ...(optimizer ?? {}), ...(adapters ?? {}) }, `checkpoint ${dir}`);
  await writeCheckpointDir(dir, model, optimizer, state, adapters);
  if (opts.best) await markBest(runDir, dir);
  await writeFileAtomic(join(root, 'latest'), name + '\n');
  const steps = listStepCheckpoints(runDir);
  for (const old of steps.slice(0, Math.max(0, steps.length - keepLast))) await rm(join(root, old), { recursive: true, force: true });
  return dir;
}

export function bestDir(runDir: string): string {
  return join(checkpointsDir(runDir), 'best');
}

/**
 * Makes `<run>/checkpoints/best` a copy of a saved checkpoint: hard links where the file system allows (checkpoint
 * files are never modified in place, and a 140 MB copy per improvement is avoided), a byte copy otherwise. The new
 * copy is complete (state.json last, directory fsynced) before the old best is moved aside.
 */
export async function markBest(runDir: string, checkpointDir: string): Promise<void> {
  const best = bestDir(runDir);
  const tmp = `${best}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const files = readdirSync(checkpointDir).filter((f) => f !== STATE_FILE);
  for (const f of [...files, STATE_FILE]) {
    try {
      await link(join(checkpointDir, f), join(tmp, f));
    } catch {
      await copyFile(join(checkpointDir, f), join(tmp, f)).catch((err: unknown) => {
        throw withPath(err, join(tmp, f), 'copying the best checkpoint to');
      });
    }
  }
  await faultInjectionDelay();
  fsyncDirectory(tmp);
  await replaceDir(tmp, best);
}

/**
 * Fault injection for the reliability tests: STEREODEPTH_FAULT_DELAY_MS holds every checkpoint and best copy half
 * written for that long, so a test can kill -9 the process inside a write every time instead of racing a fast disk.
 * Unset (the default) it costs nothing.
 */
async function faultInjectionDelay(): Promise<void> {
  const ms = Number(process.env.STEREODEPTH_FAULT_DELAY_MS ?? 0);
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
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
  checkStateShape(state, join(dir, STATE_FILE));
  const wantOptimizer = opts.optimizer ?? true;
  const loaded: tf.Tensor[] = [];
  const load = async (file: string): Promise<Record<string, tf.Tensor>> => {
    try {
      const t = await loadTensors(join(dir, file));
      loaded.push(...Object.values(t));
      return t;
    } catch (err) {
      for (const t of loaded) t.dispose();
      if (err instanceof TensorFileError) throw new Error(`${err.message}. ${await intactHint(dir)}`);
      throw err;
    }
  };
  const model = await load(MODEL_FILE);
  const optimizer = wantOptimizer && existsSync(join(dir, OPTIMIZER_FILE)) ? await load(OPTIMIZER_FILE) : null;
  const adapters = wantOptimizer && existsSync(join(dir, ADAPTERS_FILE)) ? await load(ADAPTERS_FILE) : null;
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

/** The fields resume and predict read, checked up front: a damaged state.json is named with its key, not a TypeError later. */
function checkStateShape(state: CheckpointState, path: string): void {
  const bad = (key: string, got: unknown, expected: string): Error =>
    new Error(`${path}: '${key}' is ${got === undefined ? 'missing' : JSON.stringify(got)}: expected ${expected} (a damaged or hand-edited checkpoint state; use another checkpoint of the run)`);
  for (const key of ['step', 'optimizerStep'] as const) {
    if (!Number.isSafeInteger(state[key]) || state[key] < 0) throw bad(key, state[key], 'a whole number >= 0');
  }
  if (typeof state.loader !== 'object' || state.loader === null) throw bad('loader', state.loader, 'the data loader position (an object)');
  const config = state.config as unknown as Record<string, unknown> | undefined;
  if (typeof config !== 'object' || config === null) throw bad('config', config, 'the resolved run config the checkpoint was trained with');
  for (const section of ['data', 'model', 'loss', 'optim', 'train']) {
    if (typeof config[section] !== 'object' || config[section] === null) throw bad(`config.${section}`, config[section], `the run config's ${section} section`);
  }
}

/** Whether every tensor file of a checkpoint directory passes its checksums. */
export async function isIntactCheckpoint(dir: string): Promise<boolean> {
  if (!existsSync(join(dir, STATE_FILE)) || !existsSync(join(dir, MODEL_FILE))) return false;
  try {
    for (const f of [MODEL_FILE, OPTIMIZER_FILE, ADAPTERS_FILE]) if (existsSync(join(dir, f))) await verifyTensorFile(join(dir, f));
    JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Names the newest other checkpoint of the same run whose files all pass their checksums (for damage messages). */
async function intactHint(damaged: string): Promise<string> {
  const root = join(damaged, '..');
  if (basename(root) !== 'checkpoints') return 'No other checkpoint to fall back on beside it';
  const runDir = join(root, '..');
  const candidates = [...listStepCheckpoints(runDir).reverse().map((n) => join(root, n)), bestDir(runDir)].filter((d) => d !== damaged);
  for (const c of candidates) {
    if (await isIntactCheckpoint(c)) {
      return `The newest intact checkpoint of this run is ${c}: use it (e.g. --checkpoint ${c}), or move ${damaged} away and write its name into ${join(root, 'latest')} to resume from it`;
    }
  }
  return `No intact checkpoint is left in ${root}`;
}
