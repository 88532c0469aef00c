/**
 * metrics.jsonl after a crash: the last line may be torn (the process died inside an append), and records logged
 * after the last checkpoint are orphans the resumed run logs again. Both are dropped before the run continues, so the
 * log holds one record per (split, step) and a later `readScalarLog` never meets a broken line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { writeFileAtomicSync } from '../util/atomic.js';

export interface ScalarLogRepair {
  /** The torn last line, when there was one (for the notice). */
  torn?: string;
  /** Records dropped because a restart at `startStep` logs them again. */
  orphans: number;
}

/**
 * Whether a record survives a (re)start at `startStep`: everything before it, and at `startStep` what the
 * checkpoint covers (training and validation); the end-of-run test at `startStep` runs again after a restart.
 */
export function survivesRestart(record: { split: string; step: number }, startStep: number): boolean {
  return record.step < startStep || (record.step === startStep && record.split !== 'test');
}

/** Rewrites <run>/metrics.jsonl (atomically) without a torn last line and without records a restart at `startStep` repeats. */
export function repairScalarLog(runDir: string, startStep: number): ScalarLogRepair {
  const path = join(runDir, 'metrics.jsonl');
  const out: ScalarLogRepair = { orphans: 0 };
  if (!existsSync(path)) return out;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const kept: string[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let record: { split: string; step: number };
    try {
      record = JSON.parse(line) as { split: string; step: number };
    } catch {
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (!isLast) throw new Error(`${path}:${i + 1}: not a JSON record (damaged in the middle of the file, not by a crash during an append); repair or remove that line`);
      out.torn = line;
      return;
    }
    if (survivesRestart(record, startStep)) kept.push(line);
    else out.orphans++;
  });
  if (out.torn !== undefined || out.orphans > 0) writeFileAtomicSync(path, kept.map((l) => l + '\n').join(''));
  return out;
}

/** The notice for the log, or null when nothing was dropped. */
export function describeRepair(path: string, r: ScalarLogRepair, startStep: number): string | null {
  const parts: string[] = [];
  if (r.torn !== undefined) parts.push(`dropped a torn last line of ${path} (${r.torn.length} bytes, cut by the crash: '${r.torn.slice(0, 60)}${r.torn.length > 60 ? '...' : ''}')`);
  if (r.orphans > 0) parts.push(`dropped ${r.orphans} record(s) logged after step ${startStep} by the earlier process (they are logged again from the checkpoint)`);
  return parts.length > 0 ? parts.join('; ') : null;
}
