/**
 * report.html of a run: curves with axes, ticks and units; the test metrics; per validation / test image a row of
 * input, predicted depth, ground truth and error at a size a person can read; for a multi-stage recipe the stages
 * side by side. Plain HTML + inline SVG, no script, so it opens anywhere.
 */
import type { RunConfig } from '../config/schema.js';
import type { CheckpointState } from './checkpoint.js';

export interface ScalarPoint {
  split: string;
  step: number;
  values: Record<string, number>;
}

/** One row of images under <run>/images: file names relative to the run directory. */
export interface ImageRow {
  id: string;
  input: string;
  pred: string;
  gt: string;
  error: string;
  /** Per-image abs rel, when known. */
  absRel?: number;
}

export interface ReportSummary {
  steps: number;
  totalSteps: number;
  best: CheckpointState['best'];
  metrics?: Record<string, number>;
  testMetrics?: Record<string, number>;
  /** Colour ranges used for the image rows (metres), for the legend. */
  depthRange?: [number, number];
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Unit / meaning of each curve shown, for the y axis label. */
const CURVE_UNITS: Record<string, string> = {
  'train/loss': 'training loss (unitless)',
  'train/lr': 'learning rate',
  'train/images_per_sec': 'images / s',
  'train/memory/num_tensors': 'live tensors (count)',
  'train/memory/rss_mib': 'process memory (MiB)',
  'val/metrics/absRel': 'abs rel error (fraction)',
  'val/metrics/rmse': 'RMSE (m)',
  'val/metrics/a1': 'δ < 1.25 (fraction)',
};

/** Round tick positions covering [lo, hi] (1, 2, 5 x 10^k spacing). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  return Number(v.toPrecision(4)).toString();
}

/** One curve as inline SVG: axes with ticks and labels, x = training step, y in the quantity's unit. */
export function svgCurve(title: string, points: [number, number][], yLabel = '', width = 440, height = 230): string {
  if (points.length === 0) return '';
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - Math.abs(y0 || 1) * 0.05, y1 + Math.abs(y1 || 1) * 0.05];
  const left = 62, right = 12, top = 24, bottom = 44;
  const sx = (x: number): number => left + ((x - x0) / (x1 - x0)) * (width - left - right);
  const sy = (y: number): number => height - bottom - ((y - y0) / (y1 - y0)) * (height - top - bottom);
  const line = points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ');
  const xTicks = niceTicks(x0, x1, 6).filter((t) => Number.isInteger(t));
  const yTicks = niceTicks(y0, y1, 5);
  const grid = [
    ...yTicks.map((t) => `<line x1="${left}" x2="${width - right}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#eee"/><text x="${left - 6}" y="${(sy(t) + 4).toFixed(1)}" font-size="11" text-anchor="end">${formatTick(t)}</text>`),
    ...xTicks.map((t) => `<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${height - bottom}" y2="${height - bottom + 5}" stroke="#333"/><text x="${sx(t).toFixed(1)}" y="${height - bottom + 18}" font-size="11" text-anchor="middle">${formatTick(t)}</text>`),
  ].join('');
  return (
    `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}">` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<text x="${left}" y="15" font-size="13" font-weight="bold">${escapeHtml(title)}</text>` +
    grid +
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="#333"/><line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#333"/>` +
    `<polyline fill="none" stroke="#c0392b" stroke-width="1.8" points="${line}"/>` +
    points.map((p) => (points.length <= 30 ? `<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="2.2" fill="#c0392b"/>` : '')).join('') +
    `<text x="${(left + width - right) / 2}" y="${height - 8}" font-size="11" text-anchor="middle">training step</text>` +
    `<text transform="translate(13 ${(top + height - bottom) / 2}) rotate(-90)" font-size="11" text-anchor="middle">${escapeHtml(yLabel)}</text>` +
    `</svg></figure>`
  );
}

const METRIC_ORDER: [string, string][] = [['absRel', 'abs rel'], ['sqRel', 'sq rel'], ['rmse', 'RMSE (m)'], ['rmseLog', 'RMSE log'], ['a1', 'δ < 1.25'], ['a2', 'δ < 1.25²'], ['a3', 'δ < 1.25³']];

/** A metrics table; several columns (e.g. validation / test, or one per stage). */
export function metricsTable(columns: { title: string; metrics?: Record<string, number> }[]): string {
  const head = `<tr><th></th>${columns.map((c) => `<th>${escapeHtml(c.title)}</th>`).join('')}</tr>`;
  const rows = METRIC_ORDER.map(([k, label]) => `<tr><td>${escapeHtml(label)}</td>${columns.map((c) => `<td>${c.metrics?.[k] !== undefined ? c.metrics[k]!.toFixed(4) : '–'}</td>`).join('')}</tr>`).join('');
  return `<table class="metrics">${head}${rows}</table>`;
}

/** Series name -> (step -> value); a resumed run may have logged a step twice: the last record wins. */
export function scalarSeries(records: ScalarPoint[]): Map<string, Map<number, number>> {
  const series = new Map<string, Map<number, number>>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r.values)) {
      const key = `${r.split}/${k}`;
      if (!series.has(key)) series.set(key, new Map());
      series.get(key)!.set(r.step, v);
    }
  }
  return series;
}

export function curvesHtml(records: ScalarPoint[], prefix = ''): string {
  const series = scalarSeries(records);
  return Object.keys(CURVE_UNITS)
    .filter((k) => series.has(k))
    .map((k) => svgCurve(`${prefix}${k}`, [...series.get(k)!.entries()].sort((a, b) => a[0] - b[0]), CURVE_UNITS[k]))
    .join('\n');
}

function imageRowsHtml(title: string, rows: ImageRow[], base = ''): string {
  if (rows.length === 0) return '';
  const cell = (src: string, caption: string): string => `<figure class="cell"><img src="${escapeHtml(base + src)}" alt="${escapeHtml(caption)}"><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
  return (
    `<h2>${escapeHtml(title)}</h2>` +
    rows
      .map(
        (r) =>
          `<div class="row"><p class="rowtitle">${escapeHtml(r.id)}${r.absRel !== undefined ? ` · abs rel ${r.absRel.toFixed(3)}` : ''}</p>` +
          cell(r.input, 'input (left image)') +
          cell(r.pred, 'predicted depth') +
          cell(r.gt, 'ground-truth depth') +
          cell(r.error, 'abs rel error |pred − gt| / gt') +
          `</div>`,
      )
      .join('')
  );
}

const STYLE =
  'body{font-family:sans-serif;margin:1.5em;max-width:1800px;color:#222}figure{display:inline-block;margin:6px;vertical-align:top}' +
  'table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccc;padding:3px 10px;text-align:right}th{background:#f4f4f4}td:first-child{text-align:left}' +
  '.row{margin:10px 0;padding:6px;border-top:1px solid #ddd;display:flex;flex-wrap:wrap}.rowtitle{margin:2px 6px;font-weight:bold;flex-basis:100%}.cell img{width:280px;image-rendering:pixelated;border:1px solid #999}' +
  '.cell figcaption{font-size:13px;text-align:center}.legend{font-size:13px;color:#444}.stages{display:flex;gap:24px;align-items:flex-start}.stage{flex:1}';

function legend(range?: [number, number]): string {
  return `<p class="legend">Colours: magma, dark = far, bright = near${range ? ` (inverse depth, ${range[0].toFixed(1)}–${range[1].toFixed(1)} m from the GT)` : ''}; error map dark = 0, bright = 0.5 or more; black = no GT. Ground truth is sparse (LiDAR) where the dataset's is.</p>`;
}

export function renderReport(config: RunConfig, records: ScalarPoint[], summary: ReportSummary, rows: { val: ImageRow[]; test: ImageRow[] }): string {
  const best = summary.best ? `best ${escapeHtml(summary.best.metric)} ${summary.best.value.toFixed(4)} at step ${summary.best.step}` : 'no best checkpoint (no validation)';
  const curves = curvesHtml(records);
  return `<!doctype html><html><head><meta charset="utf-8"><title>stereodepth run ${escapeHtml(config.name)}</title><style>${STYLE}</style></head><body>
<h1>${escapeHtml(config.name)}</h1>
<p>${summary.steps} / ${summary.totalSteps} steps · ${config.data.height}x${config.data.width} batch ${config.data.batch_size} · model ${escapeHtml(config.model.name)} · loss ${escapeHtml(config.loss.kind)} ${escapeHtml(config.loss.mode)} · ${best}</p>
<h2>Metrics</h2>${metricsTable([{ title: 'last validation', ...(summary.metrics ? { metrics: summary.metrics } : {}) }, { title: `test (${escapeHtml(config.eval.protocol)} protocol)`, ...(summary.testMetrics ? { metrics: summary.testMetrics } : {}) }])}
<h2>Curves</h2>${curves || '<p>no scalars logged</p>'}
${legend(summary.depthRange)}
${imageRowsHtml('Test images', rows.test)}
${imageRowsHtml('Validation images (latest validation)', rows.val)}
<h2>Config</h2><pre>${escapeHtml(JSON.stringify(config, null, 1))}</pre>
</body></html>
`;
}

/** The stages of a multi-stage recipe side by side: test metrics per stage, then each stage's curves in its column. */
export function renderStagesReport(name: string, stages: { name: string; dir: string; records: ScalarPoint[]; testMetrics?: Record<string, number>; metrics?: Record<string, number> }[]): string {
  const columns = stages.map((s) => `<div class="stage"><h3><a href="${escapeHtml(s.name)}/report.html">${escapeHtml(s.name)}</a></h3>${curvesHtml(s.records)}</div>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>stereodepth recipe ${escapeHtml(name)}</title><style>${STYLE}</style></head><body>
<h1>${escapeHtml(name)}: ${stages.length} stages</h1>
<h2>Test metrics per stage</h2>${metricsTable(stages.map((s) => ({ title: s.name, ...(s.testMetrics ? { metrics: s.testMetrics } : {}) })))}
<h2>Last validation per stage</h2>${metricsTable(stages.map((s) => ({ title: s.name, ...(s.metrics ? { metrics: s.metrics } : {}) })))}
<h2>Curves, stage by stage</h2><div class="stages">${columns}</div>
</body></html>
`;
}
