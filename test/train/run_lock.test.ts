import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { acquireRunLock, LOCK_FILE, withRunLock } from '../../src/train/run_lock.js';

const root = mkdtempSync(join(tmpdir(), 'sd-lock-'));
const DEAD_PID = 2147483646;

describe('one training per run directory', () => {
  it('a second lock on a locked directory is refused naming the owner pid and host; release frees it', () => {
    const dir = join(root, 'a');
    mkdirSync(dir);
    const lock = acquireRunLock(dir);
    const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; host: string };
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => acquireRunLock(dir)).toThrow(new RegExp(`run directory .*a is in use by another training \\(pid ${process.pid} on ${hostname()}.*choose another --run-dir`));
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    acquireRunLock(dir).release();
  });
  it('a live process of this host holds the lock; a dead one leaves a stale lock that is reported and taken over', () => {
    const dir = join(root, 'b');
    mkdirSync(dir);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }));
    expect(() => acquireRunLock(dir)).toThrow(new RegExp(`in use by another training \\(pid ${process.ppid}`));
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: DEAD_PID, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }));
    const lock = acquireRunLock(dir);
    expect(lock.staleNote).toMatch(new RegExp(`stale lock .*pid ${DEAD_PID} on ${hostname()} \\(since 2026-01-01T00:00:00Z\\) is no longer running`));
    lock.release();
    // a torn lock (writer killed between create and write) is not an owner
    writeFileSync(join(dir, LOCK_FILE), '{"pid": 12');
    const again = acquireRunLock(dir);
    expect(again.staleNote).toMatch(/unreadable lock/);
    again.release();
  });
  it('a lock from another host cannot be checked: refused with how to clear it', () => {
    const dir = join(root, 'c');
    mkdirSync(dir);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 4242, host: 'other-machine', startedAt: '2026-01-01T00:00:00Z' }));
    expect(() => acquireRunLock(dir)).toThrow(/locked by pid 4242 on host other-machine .*delete .*train\.lock/);
  });
  it('two trainings started together into one directory: exactly one runs', async () => {
    const dir = join(root, 'd');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = withRunLock(dir, () => undefined, () => gate.then(() => 'first'));
    await expect(withRunLock(dir, () => undefined, async () => 'second')).rejects.toThrow(/in use by another training/);
    release();
    expect(await first).toBe('first');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
