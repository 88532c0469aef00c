/**
 * Loads an exported TF.js graph model folder in Node the way a user does: tf.loadGraphModel from
 * @tensorflow/tfjs-converter, with the folder's model.json and shards handed over in memory (tfjs-core has no file://
 * loader without tfjs-node). Nothing of stereodepth runs inside the model.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';

export async function loadTfjsGraphModel(dir: string): Promise<GraphModel> {
  const path = join(dir, 'model.json');
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw new Error(`${path}: cannot read a TF.js model.json (${(err as Error).message})`);
  }
  if ((json.format as string | undefined) !== 'graph-model') throw new Error(`${path}: format '${String(json.format)}', expected 'graph-model'`);
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const buffers = await Promise.all(manifest.flatMap((group) => group.paths.map((p) => readFile(join(dir, p)))));
    const data = Buffer.concat(buffers);
    return [specs, data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)];
  });
  return loadGraphModel(tf.io.fromMemory(artifacts));
}
