import { join } from 'node:path';
import type { CommandModule } from 'yargs';

import { required, startBackend, withOptions } from './options.js';
import type { DatasetConfig } from '../config/schema.js';
import { findDataset } from '../data/registry.js';
import { predictSplit, type SplitImage } from '../infer/predict.js';
import { writePredictionsNpy } from '../infer/write.js';
import { depthScaleFactor } from '../models/output_convention.js';
import { datasetFromConfig, netFromCheckpoint } from '../run/build.js';
import { ProgressBar } from '../util/progress.js';

interface TestArgs {
  checkpoint: string;
  'split-file'?: string;
  'data-path'?: string;
  dataset?: string;
  out: string;
  'post-process': boolean;
  'batch-size': number;
  backend: string;
}

/** `stereodepth test`: predicted disparities of a split to .npy with the sidecar that tells eval their convention. */
export const testCommand: CommandModule<object, TestArgs> = {
  command: 'test',
  describe: "Predict a split's disparities with a checkpoint into disparities.npy (+ sidecar JSON for `eval`)",
  builder: (y) =>
    withOptions(y.option('dataset', { type: 'string', describe: 'dataset adapter name (default: from the run config)' }), {
      checkpoint: required,
      'split-file': { describe: "split list (default: the run config's data.test, else data.val)" },
      'data-path': { describe: 'dataset root (default: from the run config)' },
      out: required,
      'post-process': { describe: "also write disparities_pp.npy (monodepth's flip averaging with edge ramps)" },
      'batch-size': {},
      backend: {},
    }) as never,
  handler: async (argv) => {
    await startBackend(argv);
    const { net, config, output: conv, dir, step } = await netFromCheckpoint(argv.checkpoint);
    try {
      const base = config.data.test ?? config.data.val ?? config.data.train;
      const entry: DatasetConfig = {
        ...base,
        dataset: (argv.dataset ?? base.dataset) as DatasetConfig['dataset'],
        path: argv['data-path'] ?? base.path,
        ...(argv['split-file'] ? { split: argv['split-file'] } : {}),
        max_samples: null,
        synthesize: null,
      };
      entry.options = { ...entry.options, ...(findDataset(entry.dataset).withoutGroundTruth ?? {}) };
      const dataset = await datasetFromConfig(entry, '--split-file/--data-path');
      let baseline = 0;
      async function* images(): AsyncGenerator<SplitImage> {
        for (let i = 0; i < dataset.length; i++) {
          const s = await dataset.get(i);
          if (i === 0) baseline = s.camera.baseline;
          yield { id: s.id, rgb: s.left };
        }
      }
      const bar = new ProgressBar({ label: 'test', total: dataset.length, unit: 'img' });
      let shown = 0;
      const preds = await predictSplit(net, images(), {
        height: conv.inputHeight,
        width: conv.inputWidth,
        batchSize: argv['batch-size'],
        postProcess: argv['post-process'],
        onProgress: (done) => {
          bar.tick(done - shown);
          shown = done;
        },
      });
      bar.finish();
      const written = await writePredictionsNpy(argv.out, preds, {
        convention: conv.convention,
        trainedWith: conv.trainedWith,
        ...(conv.minDepth !== undefined ? { minDepth: conv.minDepth, maxDepth: conv.maxDepth } : {}),
        ...(conv.convention === 'sigmoid' ? { scaleFactor: depthScaleFactor(conv, baseline) } : {}),
        split: entry.split ?? entry.path,
      });
      process.stdout.write(
        `test: ${preds.n} predictions (${preds.height}x${preds.width}, ${conv.convention}, trained ${conv.trainedWith}) from ${dir} (step ${step}) -> ${written.disparities}` +
          `${written.pp ? ` and ${written.pp}` : ''}\n  evaluate: stereodepth eval --pred ${join(argv.out, 'disparities.npy')} --split <eigen|...> --data-path <root>\n`,
      );
    } finally {
      net.dispose();
    }
  },
};
