/**
 * `export --calibration-report`: for every exported precision, the metric change against float32 on a validation split
 * (abs_rel etc. through the model's own runtime), the file size and the speed (median ms after warm-up), written as
 * calibration_report.json, calibration_report.md (a table) and calibration_report.html.
 */
import { join } from 'node:path';

import type { EvalConfig } from '../config/schema.js';
import type { OutputConvention } from '../models/output_convention.js';
import type { DepthMetrics } from '../eval/metrics.js';
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
  metrics: DepthMetrics;
  absRelChange: number;
  fileMiB: number;
  medianMs: number;
}

export interface CalibrationReport {
  split: string;
  images: number;
  calibrationImages: number;
  floatLayers: string[];
  rows: CalibrationRow[];
  note: string;
}

const RUNTIME_FOR: Record<string, RuntimeName> = { tfjs: 'tfjs-wasm', onnx: 'ort-node' };

export async function calibrationReport(models: readonly ExportedModel[], samples: readonly ValSample[], conv: OutputConvention, ev: EvalConfig, io: Size,
  info: Omit<CalibrationReport, 'rows' | 'images' | 'note'>, log?: (l: string) => void): Promise<CalibrationReport> {
  const rows: CalibrationRow[] = [];
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
      const base = rows.find((r) => r.format === m.format && r.precision === 'float32');
      rows.push({ format: m.format, precision: m.precision, runtime, metrics, absRelChange: base ? metrics.absRel - base.metrics.absRel : 0,
        fileMiB: folderMiB(dir), medianMs: percentile(times.sort((a, b) => a - b), 0.5) });
      log?.(`${m.format} ${m.precision}: abs_rel ${metrics.absRel.toFixed(4)}`);
    } finally {
      await loaded.dispose();
    }
  }
  return { ...info, images: samples.length, rows, note: 'speed measured on a shared, loaded 2-core machine (other jobs running); compare rows of one report only' };
}

export function calibrationTable(r: CalibrationReport): string {
  const head = '| format | precision | runtime | abs_rel | change vs float32 | sq_rel | rmse | a1 | MiB | median ms |';
  const lines = [head, '|---|---|---|---|---|---|---|---|---|---|'];
  for (const x of r.rows) {
    lines.push(`| ${x.format} | ${x.precision} | ${x.runtime} | ${x.metrics.absRel.toFixed(4)} | ${x.absRelChange >= 0 ? '+' : ''}${x.absRelChange.toFixed(4)} | ${x.metrics.sqRel.toFixed(4)} | ${x.metrics.rmse.toFixed(3)} | ${x.metrics.a1.toFixed(3)} | ${x.fileMiB.toFixed(2)} | ${x.medianMs.toFixed(1)} |`);
  }
  return lines.join('\n');
}

const escapeHtml = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

export async function writeCalibrationReport(dir: string, r: CalibrationReport): Promise<string[]> {
  const intro = `Split ${r.split}, ${r.images} images with GT; int8 calibrated on ${r.calibrationImages} images; kept float: ${r.floatLayers.join(', ') || 'none'}. ${r.note}.`;
  const md = `# Calibration report\n\n${intro}\n\n${calibrationTable(r)}\n`;
  const rows = r.rows.map((x) => `<tr><td>${x.format}</td><td>${x.precision}</td><td>${x.runtime}</td><td>${x.metrics.absRel.toFixed(4)}</td><td>${x.absRelChange.toFixed(4)}</td><td>${x.metrics.rmse.toFixed(3)}</td><td>${x.metrics.a1.toFixed(3)}</td><td>${x.fileMiB.toFixed(2)}</td><td>${x.medianMs.toFixed(1)}</td></tr>`).join('\n');
  const html = `<!doctype html><meta charset="utf-8"><title>stereodepth calibration report</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;border-bottom:1px solid #ccc;text-align:right}</style>
<h1>Calibration report</h1><p>${escapeHtml(intro)}</p>
<table><tr><th>format</th><th>precision</th><th>runtime</th><th>abs_rel</th><th>change</th><th>rmse</th><th>a1</th><th>MiB</th><th>median ms</th></tr>
${rows}</table>\n`;
  const files = ['calibration_report.json', 'calibration_report.md', 'calibration_report.html'].map((f) => join(dir, f));
  await writeFileAtomic(files[0]!, JSON.stringify(r, null, 2) + '\n');
  await writeFileAtomic(files[1]!, md);
  await writeFileAtomic(files[2]!, html);
  return files;
}
