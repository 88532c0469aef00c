/**
 * What a training start does about an earlier process that died mid-write (kill -9, power cut, full disk): it
 * finishes or undoes an interrupted `best/` replacement, and removes the temp files and folders the project's own
 * writers leave behind. Only the project's own temp names are touched, only inside the run directory, and only
 * once this process holds the run lock (so no live trainer can own them).
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { ATOMIC_TEMP_NAME, fsyncDirectory } from '../util/atomic.js';
import { bestDir, checkpointsDir, markBest, STATE_FILE, type CheckpointState } from './checkpoint.js';

/** Temp / moved-aside checkpoint folders: `step_000004.tmp-<pid>`, `best.old-<pid>` ... */
const CHECKPOINT_TEMP_NAME = /^(step_\d+|best)\.(tmp|old)-(\d+)$/;

export interface RecoveryReport {
  /** Paths removed (temp files and folders of earlier processes). */
  removed: string[];
  /** Bytes those held. */
  bytes: number;
  /** What was done about best/, when anything was. */
  best?: string;
}

function readState(dir: string): CheckpointState | null {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as CheckpointState;
  } catch {
    return null;
  }
}

/** The state `latest` names (the last committed checkpoint), if any. */
export function committedState(runDir: string): CheckpointState | null {
  const latest = join(checkpointsDir(runDir), 'latest');
  if (!existsSync(latest)) return null;
  return readState(join(checkpointsDir(runDir), readFileSync(latest, 'utf8').trim()));
}

function sizeOf(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isDirectory()) return st.size;
    return readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0);
  } catch {
    return 0;
  }
}

/**
 * Puts back the `best/` the committed state names when a replacement was cut short: the candidates are `best/`,
 * the moved-aside old copy, a complete new copy, and the step checkpoint itself.
 */
async function recoverBest(runDir: string, state: CheckpointState | null): Promise<string | undefined> {
  const root = checkpointsDir(runDir);
  const best = bestDir(runDir);
  const wanted = state?.best?.step;
  if (wanted === undefined) return undefined;
  if (readState(best)?.step === wanted) return undefined;
  const aside = readdirSync(root).filter((n) => /^best\.(old|tmp)-\d+$/.test(n)).map((n) => join(root, n));
  const match = aside.find((d) => readState(d)?.step === wanted);
  if (match) {
    await rm(best, { recursive: true, force: true });
    await rename(match, best);
    fsyncDirectory(root);
    return `recovered best/ (step ${wanted}) from ${match}, left by an interrupted best-checkpoint replacement`;
  }
  const stepDir = join(root, `step_${String(wanted).padStart(6, '0')}`);
  if (readState(stepDir)?.step === wanted) {
    await markBest(runDir, stepDir);
    return `re-created best/ from ${stepDir} (the state names step ${wanted} as best and best/ did not hold it)`;
  }
  return `warning: the committed state names step ${wanted} as best but no copy of that checkpoint survives; best/ is written again at the next improvement`;
}

function isLiveOtherProcess(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the project's temp names in `dir` (not recursive); `pattern` group `pid` is checked for liveness. */
function removeTemps(dir: string, pattern: RegExp, pidOf: (name: string) => number | undefined, report: RecoveryReport): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (!pattern.test(name)) continue;
    const pid = pidOf(name);
    if (pid !== undefined && isLiveOtherProcess(pid)) continue;
    const path = join(dir, name);
    report.bytes += sizeOf(path);
    rmSync(path, { recursive: true, force: true });
    report.removed.push(path);
  }
}

/** Recovers `best/` and removes crash leftovers of earlier processes in a run directory (call with the run lock held). */
export async function recoverRunDir(runDir: string): Promise<RecoveryReport> {
  const report: RecoveryReport = { removed: [], bytes: 0 };
  const root = checkpointsDir(runDir);
  if (existsSync(root)) {
    const best = await recoverBest(runDir, committedState(runDir));
    if (best) report.best = best;
    removeTemps(root, CHECKPOINT_TEMP_NAME, (n) => Number(CHECKPOINT_TEMP_NAME.exec(n)![3]), report);
  }
  const atomicPid = (n: string): number | undefined => Number(/\.(\d+)\.\d+\.tmp$/.exec(n)?.[1]);
  for (const dir of [runDir, root, join(runDir, 'images'), ...(existsSync(root) ? readdirSync(root).map((n) => join(root, n)) : [])]) {
    if (existsSync(dir) && statSync(dir).isDirectory()) removeTemps(dir, ATOMIC_TEMP_NAME, atomicPid, report);
  }
  return report;
}

/** One line for the log, or null when there was nothing to do. */
export function describeRecovery(r: RecoveryReport): string | null {
  const parts: string[] = [];
  if (r.best) parts.push(r.best);
  if (r.removed.length > 0) parts.push(`removed ${r.removed.length} temp file(s)/folder(s) left by an earlier process (${(r.bytes / 2 ** 20).toFixed(1)} MiB): ${r.removed.slice(0, 4).join(', ')}${r.removed.length > 4 ? ', ...' : ''}`);
  return parts.length > 0 ? parts.join('; ') : null;
}
