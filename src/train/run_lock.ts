/**
 * One training per run directory: `<run>/train.lock` holds the owner's pid, host and start time, created with
 * O_EXCL so two starts cannot both win. A lock whose process is gone (same host, pid not alive) is stale: it is
 * reported and taken over. A lock from another host cannot be checked and is refused with how to clear it.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { describeRecovery, recoverRunDir } from './run_recovery.js';

export const LOCK_FILE = 'train.lock';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface RunLock {
  path: string;
  /** Set when a stale lock of a dead process was taken over (for the log). */
  staleNote?: string;
  release(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return Number.isInteger(o.pid) && typeof o.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(`cannot create the run lock ${path}: ${(err as Error).message}`);
  }
  try {
    writeSync(fd, JSON.stringify(owner) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Takes the run directory's lock or throws naming the owner; the lock is released by release() or process exit. */
export function acquireRunLock(runDir: string): RunLock {
  const path = join(runDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  let staleNote: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(path, me)) {
      const onExit = (): void => release();
      const release = (): void => {
        process.off('exit', onExit);
        const owner = readOwner(path);
        if (owner && owner.pid === me.pid && owner.host === me.host) rmSync(path, { force: true });
      };
      process.on('exit', onExit);
      return { path, release, ...(staleNote ? { staleNote } : {}) };
    }
    const owner = readOwner(path);
    if (owner === null) {
      // written by a process killed between create and write (empty or torn): nobody can own it
      staleNote = `removed an unreadable lock ${path} (its writer died before finishing it)`;
      rmSync(path, { force: true });
      continue;
    }
    if (owner.host !== me.host) {
      throw new Error(
        `run directory ${runDir} is locked by pid ${owner.pid} on host ${owner.host} (since ${owner.startedAt}); ` +
          `one training per run directory. If that training is no longer running, delete ${path}`,
      );
    }
    if (processAlive(owner.pid)) {
      throw new Error(
        `run directory ${runDir} is in use by another training (pid ${owner.pid} on ${owner.host}, since ${owner.startedAt}; lock ${path}): ` +
          `one training per run directory. Wait for it, stop it, or choose another --run-dir`,
      );
    }
    staleNote = `taking over a stale lock ${path}: pid ${owner.pid} on ${owner.host} (since ${owner.startedAt}) is no longer running`;
    // remove it only if it is still that stale lock (another start may have replaced it meanwhile)
    if (readOwner(path)?.startedAt === owner.startedAt) rmSync(path, { force: true });
  }
  throw new Error(`cannot take the run lock ${path}: it keeps reappearing (another training starting at the same time?)`);
}

/**
 * Runs `fn` holding the run directory's lock, after removing the crash leftovers of earlier processes (which only
 * the lock holder may do); the lock is released when `fn` settles.
 */
export async function withRunLock<T>(runDir: string, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  mkdirSync(runDir, { recursive: true });
  const lock = acquireRunLock(runDir);
  try {
    if (lock.staleNote) log(lock.staleNote);
    const recovered = describeRecovery(await recoverRunDir(runDir));
    if (recovered) log(recovered);
    return await fn();
  } finally {
    lock.release();
  }
}
