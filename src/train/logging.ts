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
import { fsyncFile, withPath, writeFileAtomic } from '../util/atomic.js';
import { encodePng } from '../io/image.js';
import { colourMapDisparity } from '../util/colormap.js';
import { SummaryWriter } from './tensorboard.js';
import { describeRepair, repairScalarLog } from './log_repair.js';
import { renderReport, type ReportSummary } from './report.js';
import { readImageRows, writeImageRows } from './report_images.js';
import type { ValidationResult } from './validate.js';
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

  private readonly startStep: number;

  /**
   * `startStep`: the step training continues from (0 for a new run, the checkpoint's step on resume). What an
   * earlier process logged after it is dropped from metrics.jsonl (with a torn last line) and purged in TensorBoard
   * by a SessionLog START at the first step this process logs; `notice` receives what was dropped.
   */
  constructor(
    readonly runDir: string,
    opts: { resumed: boolean; startStep?: number; notice?: (line: string) => void },
  ) {
    mkdirSync(runDir, { recursive: true });
    this.scalarPath = join(runDir, 'metrics.jsonl');
    this.imagesDir = join(runDir, 'images');
    this.startStep = opts.startStep ?? 0;
    const note = describeRepair(this.scalarPath, repairScalarLog(runDir, this.startStep), this.startStep);
    if (note) (opts.notice ?? (() => undefined))(note);
  }

  private writer(split: string): SummaryWriter {
    let w = this.writers.get(split);
    if (!w) {
      w = new SummaryWriter(join(this.runDir, split));
      // the restart marker: points an earlier process logged from here on are orphans (see survivesRestart)
      w.sessionStart(split === 'test' ? this.startStep : this.startStep + 1);
      this.writers.set(split, w);
    }
    return w;
  }

  scalars(split: string, values: Record<string, number>, step: number): void {
    const finite = Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
    this.writer(split).scalars(finite, step);
    try {
      appendFileSync(this.scalarPath, JSON.stringify({ split, step, time: Date.now() / 1000, values: finite }) + '\n');
    } catch (err) {
      throw withPath(err, this.scalarPath, 'appending to');
    }
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

  /**
   * Validation / test previews: TensorBoard disparity images, and the report's rows of input, predicted depth, GT
   * and error under <run>/images (the report shows the latest).
   */
  disparityImages(split: string, preview: ValidationResult['preview'], step: number): void {
    this.pendingImages.push(writeImageRows(this.runDir, split, preview).then(() => undefined));
    mkdirSync(this.imagesDir, { recursive: true });
    preview.forEach((p, i) => {
      const coloured = tf.tidy(() => colourMapDisparity(tf.tensor2d(p.disparity, [p.height, p.width])));
      const job = (async () => {
        const png = await encodePng(coloured);
        coloured.dispose();
        this.writer(split).image(`disparity/${i}`, png, p.width, p.height, step);
      })();
      this.pendingImages.push(job);
    });
  }

  /** Event files and metrics.jsonl written out and fsynced. */
  flush(): void {
    for (const w of this.writers.values()) w.flush();
    if (existsSync(this.scalarPath)) fsyncFile(this.scalarPath);
  }

  async writeReport(config: RunConfig, summary: ReportSummary): Promise<string> {
    await Promise.all(this.pendingImages.splice(0));
    const val = readImageRows(this.runDir, 'val');
    const test = readImageRows(this.runDir, 'test');
    const range = test.range ?? val.range;
    const html = renderReport(config, readScalarLog(this.runDir), { ...summary, ...(range ? { depthRange: range } : {}) }, { val: val.rows, test: test.rows });
    const path = join(this.runDir, 'report.html');
    await writeFileAtomic(path, html);
    return path;
  }

  close(): void {
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
  }
}
