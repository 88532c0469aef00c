/**
 * Distillation in the trainer, end to end on a tiny synthetic room world (64x96, batch 2, 2 steps per run, wasm):
 * DistDepth from stored teacher maps and from a frozen checkpoint, `teacher-cache` maps, and hint KD whose adapters are
 * saved apart from the student (model.sdt holds none) and restored on resume.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { loadConfig } from '../../src/config/load.js';
import type { RunConfig } from '../../src/config/schema.js';
import { SimsinDataset } from '../../src/data/simsin.js';
import { generateWorld } from '../../src/data/synthetic/writer.js';
import { readTeacherMap, teacherMapKey } from '../../src/data/teacher_maps.js';
import { writeTeacherMapFiles, writeTeacherMaps } from '../../src/infer/teacher_cache.js';
import { loadTensors } from '../../src/models/tensor_file.js';
import { hintWeightsAt } from '../../src/train/distill.js';
import { readScalarLog } from '../../src/train/logging.js';
import { netFromCheckpoint } from '../../src/run/build.js';
import { runTraining } from '../../src/run/training.js';
import { readEventFile } from '../helpers/tfevents.js';

const root = mkdtempSync(join(tmpdir(), 'sd-distill-'));
const world = join(root, 'world');
const split = (s: string): string => join(world, 'splits/synthetic', `${s}_files.txt`);
const quiet = (): void => undefined;
const devNull = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

function roomsConfig(runDir: string, sets: string[] = []): RunConfig {
  return loadConfig('configs/synthetic/experiments/rooms_base.yaml', [
    `data.train.path=${world}`,
    `data.train.split=${split('train')}`,
    'data.train.synthesize=null',
    `data.val.path=${world}`,
    `data.val.split=${split('val')}`,
    'data.test=null',
    'data.batch_size=2',
    'data.prefetch=1',
    'model.num_ch_dec=[4, 8, 16, 32, 64]',
    `run_dir=${runDir}`,
    'train.steps=2',
    'train.log_every=1',
    'train.image_every=2',
    'train.val_every=0',
    'train.checkpoint_every=2',
    'eval.max_samples=2',
    ...sets,
  ]).config;
}

/** Σ_r w_r · hint/r of a logged step: what the hint term totals at weights w. */
const weightedHint = (parts: Record<string, number>, w: number[]): number => w.reduce((sum, wr, r) => sum + wr * parts[`loss_parts/hint/${r}`]!, 0);
const lastParts = (runDir: string): Record<string, number> => readScalarLog(runDir).filter((r) => r.split === 'train').at(-1)!.values;

describe('distillation in the trainer (tiny rooms, wasm)', { timeout: 600_000 }, () => {
  const teacherRun = join(root, 'teacher');
  beforeAll(async () => {
    await initBackend('wasm');
    await generateWorld({ world: 'simsin', out: world, count: 24, height: 64, width: 96, seed: '0', framesPerScene: 8, progress: false });
    await runTraining(roomsConfig(teacherRun, ['model.num_ch_dec=[8, 16, 32, 64, 128]', 'train.steps=1', 'train.image_every=0']), { log: quiet, progressStream: devNull });
  }, 600_000);

  it('DistDepth from stored inverse-depth maps: logs the statistical and spatial parts and the teacher/student edge images', async () => {
    // Inverse-depth "expert" maps from the true depth, as a DPT/MiDaS cache would hold them.
    const maps = join(root, 'maps_inverse');
    const ds = new SimsinDataset({ dataPath: world, split: { file: split('train') }, loadDepth: true });
    const items = [];
    for (let i = 0; i < ds.length; i++) {
      const s = await ds.get(i);
      items.push({ id: s.id, map: s.gtDepth!.data.map((z) => (z > 0 ? 100 / z : 0)) });
    }
    await writeTeacherMapFiles(maps, items, 64, 96);
    expect(existsSync(join(maps, `${teacherMapKey(items[0]!.id)}.npy`))).toBe(true);

    const run = join(root, 'distdepth_maps');
    const r = await runTraining(roomsConfig(run, [`distill={kind: distdepth, teacher: {source: maps, path: ${maps}, map_kind: inverse_depth}, spatial: {variant: two_sided}}`]), { log: quiet, progressStream: devNull });
    expect(r.steps).toBe(2);
    const parts = lastParts(run);
    for (const k of ['loss_parts/distill/statistical', 'loss_parts/distill/spatial', 'loss_parts/distill/total', 'loss_parts/self_supervised']) expect(parts[k]).toBeGreaterThan(0);
    expect(parts.loss).toBeCloseTo(parts['loss_parts/self_supervised']! + parts['loss_parts/distill/total']!, 5);
    const tags = new Set(readdirSync(join(run, 'train')).flatMap((f) => readEventFile(join(run, 'train', f))).flatMap((e) => e.values.map((v) => v.tag)));
    for (const t of ['distill/teacher', 'distill/teacher_aligned', 'distill/student', 'distill/teacher_edges', 'distill/student_edges']) expect(tags).toContain(t);
  }, 600_000);

  it('teacher-cache writes readable depth maps from a checkpoint; a checkpoint teacher also runs in the loop', async () => {
    const teacher = await netFromCheckpoint(teacherRun);
    const maps = join(root, 'maps_cached');
    const ds = new SimsinDataset({ dataPath: world, split: { file: split('train') } });
    const manifest = await writeTeacherMaps(teacher.net, teacher.output, ds, { out: maps, height: 64, width: 96, batchSize: 4, source: teacher.dir });
    teacher.net.dispose();
    expect(manifest.count).toBe(ds.length);
    const first = await readTeacherMap((await ds.get(0)).id, { dir: maps, kind: 'depth' });
    expect([first.height, first.width]).toEqual([64, 96]);
    expect(Math.min(...first.data)).toBeGreaterThan(0);

    const run = join(root, 'distdepth_in_loop');
    await runTraining(roomsConfig(run, [`distill={kind: distdepth, teacher: {source: checkpoint, path: ${teacherRun}}}`, 'train.image_every=0']), { log: quiet, progressStream: devNull });
    expect(lastParts(run)['loss_parts/distill/statistical']).toBeGreaterThan(0);
  }, 600_000);

  it('hint KD: adapters train with the student, are saved in adapters.sdt, never in model.sdt, and resume exactly', async () => {
    const sets = [`distill={kind: hint, teacher: {source: checkpoint, path: ${teacherRun}}, weights: [1, 0.5, 0.5, 0.5]}`, 'train.checkpoint_every=1', 'train.image_every=0'];
    const run = join(root, 'hint');
    await runTraining(roomsConfig(run, sets), { log: quiet, progressStream: devNull });
    const parts = lastParts(run);
    for (const r of [0, 1, 2, 3]) expect(parts[`loss_parts/hint/${r}`]).toBeGreaterThan(0);
    expect(parts['loss_parts/hint/total']).toBeCloseTo(weightedHint(parts, [1, 0.5, 0.5, 0.5]), 4);
    const ckpt = join(run, 'checkpoints', 'step_000002');
    const model = await loadTensors(join(ckpt, 'model.sdt'));
    const adapters = await loadTensors(join(ckpt, 'adapters.sdt'));
    expect(Object.keys(model).some((k) => k.includes('hint'))).toBe(false);
    expect(Object.keys(model).every((k) => k.startsWith('encoder/') || k.startsWith('depth/'))).toBe(true);
    expect(Object.keys(adapters).sort()).toEqual([0, 1, 2, 3].flatMap((r) => [`hint_adapter/${r}/bias`, `hint_adapter/${r}/kernel`]).sort());
    // The student loads on its own (strict: no missing or extra variable).
    const student = await netFromCheckpoint(run);
    student.net.dispose();

    const resumed = join(root, 'hint_resumed');
    await runTraining(roomsConfig(resumed, sets), { log: quiet, progressStream: devNull, stopAfter: 1 });
    await runTraining(roomsConfig(resumed, sets), { log: quiet, progressStream: devNull, resume: true });
    const loss = (dir: string) => readScalarLog(dir).filter((r) => r.split === 'train' && r.step === 2).at(-1)!.values.loss;
    expect(loss(resumed)).toBe(loss(run));
  }, 600_000);

  it('hint KD with schedule cosine: the weights decay on the run\'s steps (x1 at step 1, x0.5 at step 2 of 2), also after a resume', async () => {
    const sets = [`distill={kind: hint, teacher: {source: checkpoint, path: ${teacherRun}}, weights: [1, 0.5, 0.5, 0.5], schedule: cosine}`, 'train.checkpoint_every=1', 'train.image_every=0'];
    const run = join(root, 'hint_cosine');
    await runTraining(roomsConfig(run, sets), { log: quiet, progressStream: devNull, stopAfter: 1 });
    await runTraining(roomsConfig(run, sets), { log: quiet, progressStream: devNull, resume: true });
    const train = readScalarLog(run).filter((r) => r.split === 'train');
    const at = (step: number) => train.filter((r) => r.step === step).at(-1)!.values;
    expect(at(1)['loss_parts/hint/total']).toBeCloseTo(weightedHint(at(1), [1, 0.5, 0.5, 0.5]), 4);
    expect(at(2)['loss_parts/hint/total']).toBeCloseTo(weightedHint(at(2), [0.5, 0.25, 0.25, 0.25]), 4);
    expect(at(2)['loss_parts/hint/total']).toBeGreaterThan(0);
  }, 600_000);
});

describe('hintWeightsAt', () => {
  it('constant keeps the weights; cosine scales them by the cosine learning-rate factor, 1 -> 0 over the run', () => {
    const w = [0.01, 0.02, 0.03, 0.04];
    expect(hintWeightsAt(w, 'constant', 77, 100)).toEqual(w);
    expect(hintWeightsAt(w, 'cosine', 0, 100)).toEqual(w);
    hintWeightsAt(w, 'cosine', 50, 100).forEach((x, r) => expect(x).toBeCloseTo(w[r]! / 2, 12));
    hintWeightsAt(w, 'cosine', 25, 100).forEach((x, r) => expect(x).toBeCloseTo((w[r]! * (1 + Math.SQRT1_2)) / 2, 12));
    hintWeightsAt(w, 'cosine', 100, 100).forEach((x) => expect(x).toBeCloseTo(0, 12));
  });
});
