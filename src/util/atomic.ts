import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/** Temp path beside `path` (same directory, so the final rename is atomic on one filesystem). */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}

/** Name pattern of the temp files above: `.<name>.<pid>.<ms>.tmp` (what crash-leftover cleanup may remove). */
export const ATOMIC_TEMP_NAME = /^\..+\.\d+\.\d+\.tmp$/;

/**
 * Makes a directory entry durable (a new or renamed file in it survives a power cut). Best effort: some
 * platforms cannot open a directory for fsync; the files themselves are fsynced before.
 */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows and some network filesystems refuse fsync on a directory
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** fsyncs an existing file's contents. */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Adds the path to file-system errors that lack it (ENOSPC, EDQUOT, EROFS name no file by themselves). */
export function withPath(err: unknown, path: string, what = 'writing'): Error {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.message === 'string' && !e.message.includes(path)) {
    const hint = e.code === 'ENOSPC' ? ' (the disk is full: free space or choose another run directory)' : e.code === 'EDQUOT' ? ' (disk quota exceeded)' : '';
    const out = new Error(`${what} ${path}: ${e.message}${hint}`) as NodeJS.ErrnoException;
    if (e.code !== undefined) out.code = e.code;
    return out;
  }
  return e instanceof Error ? e : new Error(String(err));
}

/**
 * Writes `data` to `path` atomically and durably: a reader sees the old file or the whole new one, never a part,
 * and after the call returns a crash or power cut keeps the new file (contents fsynced before the rename, the
 * directory after it).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw withPath(err, path);
  }
  fsyncDirectory(dirname(path));
}

/** Synchronous twin of {@link writeFileAtomic}, for exit handlers (Ctrl-C) that cannot await. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data);
    fsyncFile(tmp);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw withPath(err, path);
  }
  fsyncDirectory(dirname(path));
}
