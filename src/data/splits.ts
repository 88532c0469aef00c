/** Split-list parsing: one sample per non-empty line; a malformed line is reported as `file:line: expected '<format>', got '<text>'`. */
import { readFileSync, existsSync } from 'node:fs';
import { isAbsolute, posix } from 'node:path';
import { DatasetError, type SplitLineRef } from './types.js';

export interface SplitLine extends SplitLineRef {
  fields: string[];
}

/** A split-line format: its printable shape and a check on the whitespace-separated fields. */
export interface SplitFormat {
  description: string;
  check: (fields: string[]) => boolean;
  /** Which fields are paths relative to the data root (checked not to leave it). */
  pathFields: number[];
}

export const SPLIT_FORMATS = {
  /** monodepth v1: `<left path> <right path>`. */
  pair: { description: '<left image path> <right image path>', check: (f: string[]) => f.length === 2, pathFields: [0, 1] },
  /** monodepth2 / DistDepth: `<folder> <frame> <l|r>`. */
  folderFrameSide: {
    description: '<folder> <frame index> <l|r>',
    check: (f: string[]) => f.length === 3 && /^-?\d+$/.test(f[1]!) && (f[2] === 'l' || f[2] === 'r'),
    pathFields: [0],
  },
  /** one path per line (fast-depth .h5 lists, DistDepth NYUv2). */
  single: { description: '<path>', check: (f: string[]) => f.length === 1, pathFields: [0] },
} satisfies Record<string, SplitFormat>;

export function splitLineError(file: string, line: number, format: SplitFormat, text: string): DatasetError {
  return new DatasetError(`${file}:${line}: expected '${format.description}', got '${text}'`, file, { file, line, text });
}

/** Parses split-list text; blank lines are skipped (their numbers still count). */
export function parseSplitText(text: string, file: string, format: SplitFormat): SplitLine[] {
  const out: SplitLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const t = raw.trim();
    if (!t) return;
    const fields = t.split(/\s+/);
    if (!format.check(fields)) throw splitLineError(file, i + 1, format, t);
    out.push({ file, line: i + 1, text: t, fields });
  });
  return out;
}

/** A split file, or inline `lines`; `allowOutsideRoot` (config key `allow_outside_root`) permits paths leaving the data root. */
export type SplitSource = ({ file: string } | { lines: string[]; name?: string }) & { allowOutsideRoot?: boolean };

/**
 * Reads a split file, or wraps inline `lines` (for programmatic use) with a pseudo file name. A path field that
 * leaves the data root (absolute, or `..` above it) is an error unless the source allows it: a training reads only
 * what its data root holds.
 */
export function readSplit(source: SplitSource, format: SplitFormat): SplitLine[] {
  const lines =
    'file' in source
      ? (() => {
          if (!existsSync(source.file)) throw new DatasetError(`missing split file: expected a list at ${source.file}`, source.file);
          return parseSplitText(readFileSync(source.file, 'utf8'), source.file, format);
        })()
      : parseSplitText(source.lines.join('\n'), source.name ?? '<inline split>', format);
  if (!source.allowOutsideRoot) for (const l of lines) for (const i of format.pathFields) checkInsideRoot(l, l.fields[i]!);
  return lines;
}

function checkInsideRoot(line: SplitLine, path: string): void {
  const normal = posix.normalize(path.replace(/\\/g, '/'));
  if (isAbsolute(path) || /^[A-Za-z]:/.test(path) || normal === '..' || normal.startsWith('../')) {
    throw new DatasetError(
      `${line.file}:${line.line}: path '${path}' leaves the data root (${isAbsolute(path) ? 'absolute' : "'..' above it"}); split paths are relative to the dataset's path. ` +
        `Move the data under the root, or set allow_outside_root: true on that dataset entry to read it anyway`,
      line.file,
      line,
    );
  }
}
