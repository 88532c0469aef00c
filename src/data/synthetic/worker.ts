/**
 * Worker thread of `stereodepth synth`: renders and writes the frames it is given (each a pure function of
 * seed, scene and frame, so splitting the work between threads changes nothing in the output).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { renderJob, type SynthJob } from './render_job.js';

const job = workerData as SynthJob;
await renderJob(job, () => parentPort!.postMessage({ done: 1 }));
parentPort!.postMessage({ finished: true });
