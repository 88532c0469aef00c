import type { CommandModule } from 'yargs';

import { required, startBackend, withOptions } from './options.js';
import { loadConfig } from '../config/load.js';
import { writeTeacherMaps } from '../infer/teacher_cache.js';
import { datasetFromConfig, netFromCheckpoint } from '../run/build.js';
import { ProgressBar } from '../util/progress.js';

interface TeacherCacheArgs {
  checkpoint: string;
  config: string;
  set?: string[];
  split: 'train' | 'val' | 'test';
  out: string;
  'batch-size': number;
  backend: string;
}

/** `stereodepth teacher-cache`: a frozen teacher's depth for every sample of a split, as maps for `distill.teacher.source: maps`. */
export const teacherCacheCommand: CommandModule<object, TeacherCacheArgs> = {
  command: 'teacher-cache',
  describe: "Write a teacher checkpoint's depth maps for a dataset split (DistDepth distillation from precomputed maps)",
  builder: (y) =>
    withOptions(y.option('split', { choices: ['train', 'val', 'test'] as const, default: 'train' as const, describe: 'which data.<split> entry of --config' }), {
      checkpoint: { ...required, describe: 'teacher checkpoint directory or run directory' },
      config: { ...required, describe: 'the recipe whose dataset gets the maps (e.g. the student recipe)' },
      set: {},
      out: { ...required, describe: 'maps directory (then distill.teacher: {source: maps, path: <out>, map_kind: depth})' },
      'batch-size': {},
      backend: {},
    }) as never,
  handler: async (argv) => {
    await startBackend(argv);
    const { config } = loadConfig(argv.config, argv.set ?? []);
    const entry = config.data[argv.split];
    if (!entry) throw new Error(`${argv.config}: data.${argv.split} is not set`);
    const dataset = await datasetFromConfig(entry, `data.${argv.split}`);
    const teacher = await netFromCheckpoint(argv.checkpoint);
    try {
      const bar = new ProgressBar({ label: 'teacher-cache', total: dataset.length, unit: 'img' });
      let shown = 0;
      const manifest = await writeTeacherMaps(teacher.net, teacher.output, dataset, {
        out: argv.out,
        height: teacher.output.inputHeight,
        width: teacher.output.inputWidth,
        batchSize: argv['batch-size'],
        source: `${teacher.dir} (step ${teacher.step})`,
        onProgress: (done) => {
          bar.tick(done - shown);
          shown = done;
        },
      });
      bar.finish();
      process.stdout.write(
        `teacher-cache: ${manifest.count} depth maps (${manifest.height}x${manifest.width}) from ${manifest.source} -> ${argv.out}\n` +
          `  train with: --set 'distill={kind: distdepth, teacher: {source: maps, path: ${JSON.stringify(argv.out)}, map_kind: depth}}'\n`,
      );
    } finally {
      teacher.net.dispose();
    }
  },
};
