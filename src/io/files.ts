import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DatasetError, type SplitLineRef } from './types.js';

/**
 * Throws a DatasetError naming `path` (and the split line) when the file is absent, so every reader reports
 * a missing input the same way instead of a bare ENOENT (and h5wasm, which silently creates nothing, is guarded).
 */
export function requireFile(path: string, what: string, ref?: SplitLineRef): void {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new DatasetError(`missing ${what}: expected a file at ${path}`, path, ref);
  }
}

/** Reads a whole file after {@link requireFile}. */
export async function readRequired(path: string, what: string, ref?: SplitLineRef): Promise<Buffer> {
  requireFile(path, what, ref);
  return readFile(path);
}
