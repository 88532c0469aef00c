/**
 * What a run leaves for people to look at: TensorBoard event files (<run>/train, <run>/val), every scalar also in
 * <run>/metrics.jsonl (so curves survive without TensorBoard), sample disparity PNGs, and report.html at the end
 * (curves as inline SVG, the latest validation disparities).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import type { RunConfig } from '../config/schema.js';
import type { Batch } from '../data/loader.js';
import type { DepthNet } from '../models/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { encodePng } from '../io/image.js';
import { colourMapDisparity } from '../util/colormap.js';
import { SummaryWriter } from './tensorboard.js';
import type { CheckpointState } from './checkpoint.js';
import { stereoPreview, type ObjectiveSettings } from '../losses/objective.js';
import { leftDisparity } from '../models/output_convention.js';

export interface ScalarRecord {
  split: string;
  step: number;
  time: number;
  values: Record<string, number>;
}

/** Reads <run>/metrics.jsonl; a resumed run may have logged a step twice: the last record of a step wins. */
export function readScalarLog(runDir: string): ScalarRecord[] {
  const path = join(runDir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  const out: ScalarRecord[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        out.push(JSON.parse(line) as ScalarRecord);
      } catch {
        throw new Error(`${path}:${i + 1}: not a JSON record`);
      }
    });
  return out;
}

export class RunLogger {
  private readonly writers = new Map<string, SummaryWriter>();
  private readonly scalarPath: string;
  private readonly imagesDir: string;
  private readonly pendingImages: Promise<void>[] = [];

  constructor(
    readonly runDir: string,
    _opts: { resumed: boolean },
  ) {
    mkdirSync(runDir, { recursive: true });
    this.scalarPath = join(runDir, 'metrics.jsonl');
    this.imagesDir = join(runDir, 'images');
  }

  private writer(split: string): SummaryWriter {
    let w = this.writers.get(split);
    if (!w) {
      w = new SummaryWriter(join(this.runDir, split));
      this.writers.set(split, w);
    }
    return w;
  }

  scalars(split: string, values: Record<string, number>, step: number): void {
    const finite = Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
    this.writer(split).scalars(finite, step);
    appendFileSync(this.scalarPath, JSON.stringify({ split, step, time: Date.now() / 1000, values: finite }) + '\n');
  }

  /**
   * First sample of a training batch (one extra forward pass): the input, the colour-mapped disparity, the other view
   * warped by it and the auto-mask, as the loss sees them.
   */
  async trainImages(net: DepthNet, batch: Batch, step: number, objective: ObjectiveSettings): Promise<void> {
    const first = (t: tf.Tensor4D): tf.Tensor4D => tf.slice(t, [0, 0, 0, 0], [1, -1, -1, -1]);
    const images = tf.tidy(() => {
      const out = net.apply(first(batch.leftInput), { training: false });
      const disp = tf.squeeze(leftDisparity(out.disparities[0]!), [0, 3]) as tf.Tensor2D;
      const shown: Record<string, tf.Tensor3D> = {
        'input/0': tf.squeeze(first(batch.left), [0]) as tf.Tensor3D,
        'disparity/0': colourMapDisparity(disp),
      };
      if (batch.right && batch.baseline[0]! !== 0 && (objective.kind === 'monodepth2' || batch.baseline[0]! > 0)) {
        const p = stereoPreview({ left: first(batch.left), right: first(batch.right), K: batch.K.slice(0, 1), focal: batch.focal.slice(0, 1), baseline: batch.baseline.slice(0, 1), disparities: out.disparities.map(first) }, objective);
        shown['warped/0'] = tf.squeeze(p.warped, [0]) as tf.Tensor3D;
        if (p.automask) shown['automask/0'] = tf.squeeze(p.automask, [0]) as tf.Tensor3D;
      }
      return shown;
    });
    const w = this.writer('train');
    for (const [tag, img] of Object.entries(images)) await w.imageFromTensor(tag, img, step);
    tf.dispose(Object.values(images));
  }

  /** Single-channel maps [H,W,1] colour-mapped (magma, min to 95th percentile), as TensorBoard images `<group>/<name>`; disposes them. */
  async mapImages(split: string, group: string, maps: Record<string, tf.Tensor3D>, step: number): Promise<void> {
    const w = this.writer(split);
    for (const [name, map] of Object.entries(maps)) {
      const coloured = colourMapDisparity(map);
      await w.imageFromTensor(`${group}/${name}`, coloured, step);
      tf.dispose([coloured, map]);
    }
  }

  /** Validation previews: TensorBoard images and PNGs under <run>/images (the report shows the latest). */
  disparityImages(split: string, preview: { id: string; disparity: Float32Array; height: number; width: number }[], step: number): void {
    mkdirSync(this.imagesDir, { recursive: true });
    preview.forEach((p, i) => {
      const coloured = tf.tidy(() => colourMapDisparity(tf.tensor2d(p.disparity, [p.height, p.width])));
      const job = (async () => {
        const png = await encodePng(coloured);
        coloured.dispose();
        this.writer(split).image(`disparity/${i}`, png, p.width, p.height, step);
        await writeFileAtomic(join(this.imagesDir, `${split}_${i}.png`), png);
      })();
      this.pendingImages.push(job);
    });
  }

  flush(): void {
    for (const w of this.writers.values()) w.flush();
  }

  async writeReport(config: RunConfig, summary: { steps: number; totalSteps: number; best: CheckpointState['best']; metrics?: Record<string, number> }): Promise<string> {
    await Promise.all(this.pendingImages.splice(0));
    const html = renderReport(config, readScalarLog(this.runDir), summary, existsSync(this.imagesDir) ? ['val_0.png', 'val_1.png'].filter((f) => existsSync(join(this.imagesDir, f))) : []);
    const path = join(this.runDir, 'report.html');
    await writeFileAtomic(path, html);
    return path;
  }

  close(): void {
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** One curve as an inline SVG polyline with min/max labels. */
export function svgCurve(title: string, points: [number, number][], width = 420, height = 180): string {
  if (points.length === 0) return '';
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const pad = 34;
  const sx = (x: number): number => pad + ((x - x0) / Math.max(1e-12, x1 - x0)) * (width - 2 * pad);
  const sy = (y: number): number => height - pad + 10 - ((y - y0) / Math.max(1e-12, y1 - y0)) * (height - 2 * pad);
  const line = points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ');
  const fmt = (v: number): string => (Math.abs(v) >= 1e3 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(2) : v.toFixed(3));
  return (
    `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="100%" height="100%" fill="#fff" stroke="#ccc"/>` +
    `<polyline fill="none" stroke="#c0392b" stroke-width="1.5" points="${line}"/>` +
    (points.length === 1 ? `<circle cx="${sx(points[0]![0])}" cy="${sy(points[0]![1])}" r="3" fill="#c0392b"/>` : '') +
    `<text x="4" y="14" font-size="11">${escapeHtml(fmt(y1))}</text><text x="4" y="${height - 24}" font-size="11">${escapeHtml(fmt(y0))}</text>` +
    `<text x="${pad}" y="${height - 4}" font-size="11">step ${x0}</text><text x="${width - pad - 60}" y="${height - 4}" font-size="11">step ${x1}</text>` +
    `</svg><figcaption>${escapeHtml(title)}</figcaption></figure>`
  );
}

export function renderReport(
  config: RunConfig,
  records: ScalarRecord[],
  summary: { steps: number; totalSteps: number; best: CheckpointState['best']; metrics?: Record<string, number> },
  images: string[],
): string {
  const series = new Map<string, Map<number, number>>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r.values)) {
      const key = `${r.split}/${k}`;
      if (!series.has(key)) series.set(key, new Map());
      series.get(key)!.set(r.step, v);
    }
  }
  const wanted = [...series.keys()].filter((k) => /^(train\/(loss|lr|images_per_sec|memory\/num_tensors|memory\/rss_mib)|val\/metrics\/(absRel|rmse|a1))$/.test(k));
  const curves = wanted.map((k) => svgCurve(k, [...series.get(k)!.entries()].sort((a, b) => a[0] - b[0]))).join('\n');
  const metricsRows = summary.metrics
    ? Object.entries(summary.metrics)
        .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v.toFixed(4)}</td></tr>`)
        .join('')
    : '<tr><td colspan="2">no validation set</td></tr>';
  const best = summary.best ? `best ${escapeHtml(summary.best.metric)} ${summary.best.value.toFixed(4)} at step ${summary.best.step}` : 'no best checkpoint (no validation)';
  return `<!doctype html><html><head><meta charset="utf-8"><title>stereodepth run ${escapeHtml(config.name)}</title>
<style>body{font-family:sans-serif;margin:1.5em;max-width:1400px}figure{display:inline-block;margin:6px}table{border-collapse:collapse}td{border:1px solid #ddd;padding:2px 8px}img{max-width:640px;margin:4px;border:1px solid #ccc}</style></head><body>
<h1>${escapeHtml(config.name)}</h1>
<p>${summary.steps} / ${summary.totalSteps} steps · ${config.data.height}x${config.data.width} batch ${config.data.batch_size} · model ${escapeHtml(config.model.name)} · loss ${escapeHtml(config.loss.kind)} ${escapeHtml(config.loss.mode)} · ${best}</p>
<h2>Last validation</h2><table>${metricsRows}</table>
<h2>Curves</h2>${curves || '<p>no scalars logged</p>'}
<h2>Validation disparities</h2>${images.map((f) => `<img src="images/${f}" alt="${f}">`).join('') || '<p>none</p>'}
<h2>Config</h2><pre>${escapeHtml(JSON.stringify(config, null, 1))}</pre>
</body></html>
`;
}
