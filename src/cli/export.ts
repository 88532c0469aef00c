import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { CommandModule } from 'yargs';

import { required, startBackend, withOptions } from './options.js';
import { exportDepthNet } from '../infer/export.js';
import { netFromCheckpoint } from '../run/build.js';
import { calibrationInputs, evaluationSamples, type SplitName } from '../run/split_inputs.js';
import { parseSize, type ExportOutput } from '../export/depth_graph.js';
import { exportModels, type ExportJob } from '../export/export_models.js';
import { calibrationReport, calibrationTable, writeCalibrationReport } from '../export/calibration_report.js';
import { countGraph } from '../export/flops.js';
import type { Precision } from '../export/metadata.js';

interface ExportArgs {
  checkpoint: string;
  out: string;
  backend: string;
  threads?: number;
  format: string;
  size?: string;
  'io-size'?: string;
  output: ExportOutput;
  quantize: Precision[];
  'float-layers'?: string[];
  'calibration-images': number;
  'calibration-split': SplitName;
  'calibration-report': boolean;
  'eval-split': SplitName;
}

const FORMATS = { tfjs: ['tfjs'], onnx: ['onnx'], all: ['tfjs', 'onnx'] } as const;

/**
 * `stereodepth export`: the checkpoint's depth network alone (no pose net, no distillation adapters). Formats: a TF.js
 * graph model and/or an ONNX model (BN folded, optional in-model resize, depth or disparity output, metadata with the
 * convention and rig; reduced precisions with --quantize), or the project's own `stereodepth-depthnet/1` folder.
 */
export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: "Export a checkpoint's depth network: --format tfjs|onnx|all (standard runtimes) or depthnet (stereodepth's own model.json + weights.bin)",
  builder: (y) =>
    withOptions(y, { checkpoint: required, out: required, backend: {}, threads: {} })
      .option('format', { choices: ['depthnet', 'tfjs', 'onnx', 'all'], default: 'depthnet', describe: 'tfjs: graph model for tf.loadGraphModel; onnx: model.onnx for onnxruntime; all: both; depthnet: the stereodepth-depthnet/1 folder' })
      .option('size', { type: 'string', describe: "network input size HxW, multiples of 32 (default: the size it was trained at)" })
      .option('io-size', { type: 'string', describe: 'model input/output size HxW with a bilinear resize in and out inside the model (e.g. 480x640 around a 128x160 network)' })
      .option('output', { choices: ['depth', 'disparity'], default: 'depth', describe: "depth: metres through the checkpoint's rig and convention; disparity: the net's own output channel 0" })
      .option('quantize', { type: 'string', array: true, choices: ['float16', 'uint8', 'int8'], default: [], describe: 'also write reduced precisions: float16/uint8 (tfjs weights), int8 (ONNX static QDQ, calibrated)' })
      .option('float-layers', { type: 'string', array: true, describe: 'layers kept float32 when quantizing (variable prefixes such as depth/dispconv_0; default: the output head)' })
      .option('calibration-images', { type: 'number', default: 100, describe: 'int8: images of --calibration-split for activation ranges' })
      .option('calibration-split', { choices: ['train', 'val', 'test'], default: 'train', describe: "split of the checkpoint's run config the calibration images come from" })
      .option('calibration-report', { type: 'boolean', default: false, describe: 'per precision: metric change on --eval-split, size and speed -> calibration_report.{json,md,html}' })
      .option('eval-split', { choices: ['val', 'test'], default: 'val', describe: 'split with GT for --calibration-report' }) as never,
  handler: async (argv) => {
    await startBackend(argv);
    const { net, config, dir, output } = await netFromCheckpoint(argv.checkpoint);
    const log = (l: string) => process.stdout.write(`export: ${l}\n`);
    const calibration: tf.Tensor[] = [];
    try {
      if (argv.format === 'depthnet') {
        const r = await exportDepthNet(net, argv.out, { model: config.model, lossKind: config.loss.kind, output });
        log(`${dir} -> ${r.modelJson} + ${r.weights} (${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${net.parameterCount().toLocaleString('en')} trainable parameters)`);
        return;
      }
      const netSize = argv.size ? parseSize(argv.size, '--size') : { height: output.inputHeight, width: output.inputWidth };
      const io = argv['io-size'] ? parseSize(argv['io-size'], '--io-size') : netSize;
      const wantsInt8 = argv.quantize.includes('int8') || argv['calibration-report'];
      if (wantsInt8) calibration.push(...await calibrationInputs(config, argv['calibration-split'], argv['calibration-images'], io, log));
      const job: ExportJob = {
        net, modelName: config.model.name, outDir: argv.out, checkpoint: dir, log,
        formats: FORMATS[argv.format as keyof typeof FORMATS], quantize: argv.quantize,
        graph: { net: netSize, io, output: argv.output, convention: output },
        calibration,
        ...(argv['float-layers'] ? { floatLayers: argv['float-layers'] } : {}),
      };
      const run = await exportModels(job);
      const cost = countGraph(run.graph);
      log(`${config.model.name} ${io.height}x${io.width} (net ${netSize.height}x${netSize.width}): ${(cost.parameters / 1e6).toFixed(2)} M parameters, ${(cost.flops / 1e6).toFixed(0)} MFLOPs (${(cost.macs / 1e6).toFixed(0)} M MACs)`);
      if (argv['calibration-report']) {
        // the report evaluates disparity outputs with the eval protocol: its own exports of every precision
        const reportDir = join(argv.out, 'calibration');
        const all: Precision[] = argv.format === 'tfjs' ? ['float16', 'uint8'] : argv.format === 'onnx' ? ['int8'] : ['float16', 'uint8', 'int8'];
        const disp = await exportModels({ ...job, outDir: reportDir, quantize: all, graph: { ...job.graph, output: 'disparity' } });
        const samples = await evaluationSamples(config, argv['eval-split'], config.eval.max_samples, log);
        const report = await calibrationReport(disp.models, samples, output, config.eval, io,
          { split: argv['eval-split'], calibrationImages: calibration.length, floatLayers: disp.floatLayers }, log);
        const files = await writeCalibrationReport(argv.out, report);
        process.stdout.write(`${calibrationTable(report)}\n`);
        log(`calibration report: ${files.join(', ')}`);
      }
    } finally {
      tf.dispose(calibration);
      net.dispose();
    }
  },
};
