import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { niceTicks, renderReport, renderStagesReport, svgCurve } from '../../src/train/report.js';
import { readImageRows, writeImageRows } from '../../src/train/report_images.js';
import type { RunConfig } from '../../src/config/schema.js';

const config = { name: 'r', data: { height: 64, width: 192, batch_size: 2 }, model: { name: 'm' }, loss: { kind: 'monodepth2', mode: 'stereo' }, eval: { protocol: 'monodepth2' } } as unknown as RunConfig;

describe('report.html', () => {
  it('curves have axes, round ticks with values, the step axis and the unit', () => {
    expect(niceTicks(0.1031, 0.1124, 5)).toEqual([0.105, 0.1075, 0.11]);
    expect(niceTicks(0, 100, 5)).toEqual([0, 25, 50, 75, 100]);
    const svg = svgCurve('val/metrics/rmse', [[4, 14.86], [8, 14.82]], 'RMSE (m)');
    expect(svg).toContain('>training step<');
    expect(svg).toContain('>RMSE (m)<');
    for (const tick of ['>14.82<', '>14.84<', '>14.86<', '>4<', '>8<']) expect(svg).toContain(tick);
    expect((svg.match(/<line /g) ?? []).length).toBeGreaterThan(6);
  });
  it('shows the test metrics and, per image, input, predicted depth, GT and error at a readable size', async () => {
    const run = mkdtempSync(join(tmpdir(), 'sd-report-'));
    const [w, h] = [8, 4];
    const gt = { data: Float32Array.from({ length: w * h }, (_, i) => (i % 3 === 0 ? 0 : 5 + i)), width: w, height: h };
    const left = { data: new Uint8Array(w * h * 3).fill(128), width: w, height: h, channels: 3 as const };
    await writeImageRows(run, 'test', [{ id: 'drive 3 l', left, depth: Float32Array.from(gt.data, (g) => g * 1.1 + 1), gt, absRel: 0.123 }]);
    const rows = readImageRows(run, 'test');
    for (const f of ['input', 'pred', 'gt', 'error']) expect(existsSync(join(run, `images/test_0_${f}.png`))).toBe(true);
    const html = renderReport(config, [{ split: 'train', step: 1, values: { loss: 0.2 } }, { split: 'train', step: 2, values: { loss: 0.1 } }], { steps: 2, totalSteps: 2, best: null, testMetrics: { absRel: 0.1234, a1: 0.9 } }, { val: [], test: rows.rows });
    expect(html).toMatch(/test \(monodepth2 protocol\)/);
    expect(html).toContain('<td>0.1234</td>');
    expect(html).toMatch(/drive 3 l · abs rel 0\.123/);
    for (const caption of ['input (left image)', 'predicted depth', 'ground-truth depth', 'abs rel error']) expect(html).toContain(caption);
    expect(html).toMatch(/\.cell img\{width:(2[5-9]\d|[3-9]\d\d)px/);
  });
  it('puts the stages of a multi-stage recipe side by side', () => {
    const html = renderStagesReport('city2eigen', [
      { name: 'cityscapes', dir: '/r/cityscapes', records: [{ split: 'train', step: 1, values: { loss: 1 } }], testMetrics: { absRel: 1.27 } },
      { name: 'kitti', dir: '/r/kitti', records: [{ split: 'train', step: 1, values: { loss: 0.5 } }], testMetrics: { absRel: 0.171 } },
    ]);
    expect(html).toMatch(/<th>cityscapes<\/th><th>kitti<\/th>/);
    expect(html).toContain('<td>1.2700</td><td>0.1710</td>');
    expect((html.match(/class="stage"/g) ?? []).length).toBe(2);
    expect(html).toContain('href="kitti/report.html"');
  });
});
