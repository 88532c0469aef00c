/**
 * `export --calibration-report`: for every exported precision, the metric change against float32 on a validation split
 * (abs_rel etc. through the model's own runtime), the file size and the speed (median ms after warm-up), written as
 * calibration_report.json, calibration_report.md (a table) and calibration_report.html.
 */
import { join } from 'node:path';

import type { EvalConfig } from '../config/schema.js';
import type { OutputConvention } from '../models/output_convention.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { ValSample } from '../train/validate.js';
import { benchInput, folderMiB, percentile } from './bench_infer.js';
import type { Size } from './depth_graph.js';
import { evaluateLoaded } from './evaluate_exported.js';
import type { ExportedModel } from './metadata.js';
import { loadInRuntime, type RuntimeName } from './runtimes.js';

export interface CalibrationRow {
  format: string;
  precision: string;
  runtime: RuntimeName;
  /** The eval protocol's metrics (KITTI-style absRel..a3, fastdepth rmseMetres/delta1.., mai siRmse..). */
  metrics: Record<string, number>;
  /** `metrics[primary]` minus the same format's float32 row. */
  change: number;
  fileMiB: number;
  medianMs: number;
}

export interface CalibrationReport {
  split: string;
  images: number;
  calibrationImages: number;
  floatLayers: string[];
  /** The metric the change is stated in: abs_rel for the KITTI-style protocols, si-RMSE for mai, RMSE for fastdepth. */
  primary: string;
  rows: CalibrationRow[];
  note: string;
}

const RUNTIME_FOR: Record<string, RuntimeName> = { tfjs: 'tfjs-wasm', onnx: 'ort-node' };

export async function calibrationReport(models: readonly ExportedModel[], samples: readonly ValSample[], conv: OutputConvention, ev: EvalConfig, io: Size,
  info: Omit<CalibrationReport, 'rows' | 'images' | 'note' | 'primary'>, log?: (l: string) => void): Promise<CalibrationReport> {
  const rows: CalibrationRow[] = [];
  let primary = 'absRel';
  const shape = [1, io.height, io.width, 3];
  const input = benchInput(shape);
  for (const m of models) {
    const runtime = RUNTIME_FOR[m.format]!;
    const dir = join(m.entry, '..');
    const loaded = await loadInRuntime(dir, runtime);
    try {
      const { metrics } = await evaluateLoaded(loaded, samples, conv, ev, io);
      for (let i = 0; i < 2; i++) await loaded.predict(input, shape);
      const times: number[] = [];
      for (let i = 0; i < 7; i++) { const t0 = performance.now(); await loaded.predict(input, shape); times.push(performance.now() - t0); }
      primary = primaryMetric(metrics);
      const base = rows.find((r) => r.format === m.format && r.precision === 'float32');
      rows.push({ format: m.format, precision: m.precision, runtime, metrics, change: base ? metrics[primary]! - base.metrics[primary]! : 0,
        fileMiB: folderMiB(dir), medianMs: percentile(times.sort((a, b) => a - b), 0.5) });
      log?.(`${m.format} ${m.precision}: ${primary} ${metrics[primary]!.toFixed(4)}`);
    } finally {
      await loaded.dispose();
    }
  }
  return { ...info, images: samples.length, primary, rows, note: 'speed measured on a shared, loaded 2-core machine (other jobs running); compare rows of one report only' };
}

/** abs_rel where the protocol has it (KITTI-style), else si-RMSE (mai), else the first metric (fastdepth: RMSE). */
function primaryMetric(metrics: Record<string, number>): string {
  return ['absRel', 'siRmse'].find((k) => k in metrics) ?? Object.keys(metrics)[0]!;
}

/** Header and cells of the report: the primary metric, its change, the protocol's other metrics, size and speed. */
function tableRows(r: CalibrationReport): string[][] {
  const others = Object.keys(r.rows[0]?.metrics ?? {}).filter((k) => k !== r.primary);
  const head = ['format', 'precision', 'runtime', r.primary, 'change vs float32', ...others, 'MiB', 'median ms'];
  const body = r.rows.map((x) => [x.format, x.precision, x.runtime, x.metrics[r.primary]!.toFixed(4),
    `${x.change >= 0 ? '+' : ''}${x.change.toFixed(4)}`, ...others.map((k) => x.metrics[k]!.toFixed(4)), x.fileMiB.toFixed(2), x.medianMs.toFixed(1)]);
  return [head, ...body];
}

export function calibrationTable(r: CalibrationReport): string {
  const [head, ...body] = tableRows(r);
  return [head!, head!.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

const escapeHtml = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

export async function writeCalibrationReport(dir: string, r: CalibrationReport): Promise<string[]> {
  const intro = `Split ${r.split}, ${r.images} images with GT; int8 calibrated on ${r.calibrationImages} images; kept float: ${r.floatLayers.join(', ') || 'none'}. ${r.note}.`;
  const md = `# Calibration report\n\n${intro}\n\n${calibrationTable(r)}\n`;
  const [head, ...body] = tableRows(r);
  const cells = (row: string[], tag: string) => `<tr>${row.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  const html = `<!doctype html><meta charset="utf-8"><title>stereodepth calibration report</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;border-bottom:1px solid #ccc;text-align:right}</style>
<h1>Calibration report</h1><p>${escapeHtml(intro)}</p>
<table>${cells(head!, 'th')}
${body.map((row) => cells(row, 'td')).join('\n')}</table>\n`;
  const files = ['calibration_report.json', 'calibration_report.md', 'calibration_report.html'].map((f) => join(dir, f));
  await writeFileAtomic(files[0]!, JSON.stringify(r, null, 2) + '\n');
  await writeFileAtomic(files[1]!, md);
  await writeFileAtomic(files[2]!, html);
  return files;
}
