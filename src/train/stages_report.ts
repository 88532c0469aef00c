/** `<run>/report.html` of a multi-stage recipe: the stages side by side (test metrics, last validation, curves). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { writeFileAtomic } from '../util/atomic.js';
import { readScalarLog } from './logging.js';
import { renderStagesReport } from './report.js';

/** Writes the combined report from the stage run directories (each with its own report.html); returns its path. */
export async function writeStagesReport(runDir: string, name: string, stages: { name: string; dir: string }[]): Promise<string> {
  const read = (path: string): Record<string, number> | undefined =>
    existsSync(path) ? ((JSON.parse(readFileSync(path, 'utf8')) as { metrics?: Record<string, number> | null }).metrics ?? undefined) : undefined;
  const html = renderStagesReport(
    name,
    stages.map((s) => {
      const testMetrics = read(join(s.dir, 'test_metrics.json'));
      const metrics = read(join(s.dir, 'done.json'));
      return { name: s.name, dir: s.dir, records: readScalarLog(s.dir), ...(testMetrics ? { testMetrics } : {}), ...(metrics ? { metrics } : {}) };
    }),
  );
  const path = join(runDir, 'report.html');
  await writeFileAtomic(path, html);
  return path;
}
