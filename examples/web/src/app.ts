/**
 * The stereodepth web app: pick an image, a video file or the webcam; the colour-mapped depth is drawn live with the
 * metric depth under the pointer and the frame rate. Models come from the folder the server serves at /model/
 * (written by `stereodepth export`); every model file found there is offered, one runtime each; `?model=<loader>:<file>`
 * picks the one loaded first.
 * `window.stereodepthApp` exposes the last depth map for the end-to-end test.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { colourDepth } from './colour.js';
import { FrameRate, depthUnderPointer, pictureSize, pictureToNetInput, type PictureSource } from './frames.js';
import { LOADERS } from './loaders.js';
import type { ModelLoader, PageDepthModel } from './model.js';

interface LastDepth { depth: Float32Array; height: number; width: number; units: string; frame: number }

interface AppHandle {
  /** Resolves when the model is loaded (or rejects with the reason shown on the page). */
  ready: Promise<void>;
  /** Frames predicted so far. */
  frames: number;
  last?: LastDepth;
  model?: string;
  backend?: string;
  /** Loads another model option (its value in the Model menu) and resolves when ready. */
  selectModel(value: string): Promise<void>;
}

declare global {
  interface Window { stereodepthApp: AppHandle }
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
};
const statusEl = $('status');
const runtimeSelect = $<HTMLSelectElement>('runtime');
const backendSelect = $<HTMLSelectElement>('backend');
const inputView = $<HTMLCanvasElement>('input-view');
const depthView = $<HTMLCanvasElement>('depth-view');
const readout = $('readout');
const fpsEl = $('fps');
const legend = $('legend');
const video = $<HTMLVideoElement>('video');

function status(text: string, error = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', error);
}

let model: PageDepthModel | undefined;
let source: PictureSource | undefined;
let running = false;
let busy = false;
const rate = new FrameRate();

async function setBackend(name: string): Promise<void> {
  if (name === 'wasm') setWasmPaths('/wasm/');
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend '${name}' did not initialise`);
  await tf.ready();
  window.stereodepthApp.backend = tf.getBackend();
}

/** Every model file in the served folder that a loader reads, as menu options "<loader id>:<file>". */
async function discoverModels(): Promise<Array<{ value: string; label: string }>> {
  const index = (await (await fetch('/model-index.json')).json()) as { files: string[] };
  const options: Array<{ value: string; label: string }> = [];
  for (const file of index.files) {
    const json: unknown = file.endsWith('.json') ? await (await fetch(`/model/${file}`)).json() : undefined;
    for (const loader of LOADERS) if (loader.accepts(file, json)) options.push({ value: `${loader.id}:${file}`, label: `${loader.label} — ${file}` });
  }
  return options;
}

function loaderOf(value: string): { loader: ModelLoader; file: string } {
  const at = value.indexOf(':');
  const loader = LOADERS.find((l) => l.id === value.slice(0, at));
  if (!loader) throw new Error(`unknown model option ${value}`);
  return { loader, file: value.slice(at + 1) };
}

async function loadModel(value: string): Promise<void> {
  const { loader, file } = loaderOf(value);
  status(`loading ${file} (${loader.label})…`);
  model?.dispose();
  model = undefined;
  model = await loader.load(`/model/${file}`);
  window.stereodepthApp.model = value;
  $('model-info').textContent = `${model.description} · tfjs backend ${tf.getBackend()}`;
  // drawn at a display resolution; wide pictures (KITTI-like) stack, the others sit side by side
  inputView.width = depthView.width = 1200;
  inputView.height = depthView.height = Math.round((inputView.width * model.inputHeight) / model.inputWidth);
  document.querySelector('main')!.classList.toggle('stacked', model.inputWidth > 2 * model.inputHeight);
  status(`ready: ${model.inputWidth}x${model.inputHeight} net — pick an image, a video or the webcam`);
  if (source) void predictFrame();
}

/** One frame: source -> net input -> depth -> input and colour-mapped depth drawn; skipped while one is in flight. */
async function predictFrame(): Promise<void> {
  if (!model || !source || busy) return;
  busy = true;
  try {
    const { inputHeight: h, inputWidth: w } = model;
    const started = performance.now();
    const size = pictureSize(source);
    if (size.width === 0 || size.height === 0) return;
    const x = pictureToNetInput(source, h, w);
    // drawn now, while a video still shows the frame being predicted
    inputView.getContext('2d')!.drawImage(source, 0, 0, inputView.width, inputView.height);
    let depth: Float32Array;
    try { depth = await model.depth(x); } finally { x.dispose(); }
    const range = colourDepth(depth, h, w, depthView);
    const app = window.stereodepthApp;
    app.frames += 1;
    app.last = { depth, height: h, width: w, units: model.units, frame: app.frames };
    legend.textContent = `(magma on 1/depth; near ${range.near.toFixed(2)} ${model.units}, far ${range.far.toFixed(2)} ${model.units})`;
    // a live source: the loop's rate over the last frames; a still image: the rate its one frame's time allows
    const now = performance.now();
    const fps = running ? rate.tick(now) : 1000 / (now - started);
    fpsEl.textContent = `${fps.toFixed(1)} frames/s`;
    if (pointer) showReadout(pointer.event, pointer.element);
  } catch (err) {
    status(`prediction failed: ${(err as Error).message}`, true);
    running = false;
  } finally {
    busy = false;
  }
}

function loop(): void {
  if (!running) return;
  const v = source instanceof HTMLVideoElement ? source : undefined;
  if (v && v.readyState >= 2) void predictFrame();
  requestAnimationFrame(loop);
}

function stopStreams(): void {
  running = false;
  video.pause();
  const stream = video.srcObject as MediaStream | null;
  stream?.getTracks().forEach((t) => t.stop());
  video.srcObject = null;
  if (video.src) URL.revokeObjectURL(video.src);
  video.removeAttribute('src');
}

async function showImage(file: File): Promise<void> {
  stopStreams();
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  source = bitmap;
  status(`image ${file.name} ${bitmap.width}x${bitmap.height}`);
  await predictFrame();
}

async function showVideo(start: () => Promise<void>, label: string): Promise<void> {
  stopStreams();
  await start();
  await video.play();
  source = video;
  running = true;
  status(`${label} ${video.videoWidth}x${video.videoHeight}`);
  requestAnimationFrame(loop);
}

/** The last pointer position over a view, so the readout follows a live video under a still pointer. */
let pointer: { event: MouseEvent; element: HTMLElement } | undefined;

function showReadout(event: MouseEvent, element: HTMLElement): void {
  const last = window.stereodepthApp.last;
  if (!last) return;
  const hit = depthUnderPointer(last.depth, last.height, last.width, event, element);
  if (!hit) return;
  readout.textContent = hit.value > 0
    ? `${hit.value.toFixed(2)} ${last.units === 'm' ? 'm' : '(relative depth)'} at net pixel (${hit.x}, ${hit.y})`
    : `no depth at net pixel (${hit.x}, ${hit.y})`;
}

async function start(): Promise<void> {
  await setBackend(backendSelect.value);
  const options = await discoverModels();
  if (options.length === 0) throw new Error('no model in the served folder: run `stereodepth export` and serve its output with --model');
  for (const o of options) runtimeSelect.add(new Option(o.label, o.value));
  // ?model=<loader id>:<file> (e.g. graph:tfjs/model.json) picks the option to start with; else the first one found
  const wanted = new URLSearchParams(location.search).get('model');
  if (wanted !== null && !options.some((o) => o.value === wanted)) {
    throw new Error(`?model=${wanted} is not among the served models: ${options.map((o) => o.value).join(', ')}`);
  }
  runtimeSelect.value = wanted ?? options[0]!.value;
  await loadModel(runtimeSelect.value);
}

window.stereodepthApp = {
  ready: Promise.resolve(),
  frames: 0,
  selectModel: async (value) => {
    runtimeSelect.value = value;
    await loadModel(value);
  },
};
window.stereodepthApp.ready = start();
window.stereodepthApp.ready.catch((err: Error) => status(`cannot start: ${err.message}`, true));

runtimeSelect.addEventListener('change', () => void loadModel(runtimeSelect.value).catch((e: Error) => status(e.message, true)));
backendSelect.addEventListener('change', () => void setBackend(backendSelect.value)
  .then(() => loadModel(runtimeSelect.value)).catch((e: Error) => status(e.message, true)));
/** The picked file; the input is cleared so that picking the same file again reloads it. */
function takeFile(e: Event): File | undefined {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  return file;
}
$<HTMLInputElement>('image-file').addEventListener('change', (e) => {
  const file = takeFile(e);
  if (file) void showImage(file).catch((err: Error) => status(`cannot read ${file.name}: ${err.message}`, true));
});
$<HTMLInputElement>('video-file').addEventListener('change', (e) => {
  const file = takeFile(e);
  if (file) {
    void showVideo(async () => { video.src = URL.createObjectURL(file); }, `video ${file.name}`)
      .catch((err: Error) => status(`cannot play ${file.name}: ${err.message}`, true));
  }
});
$('webcam').addEventListener('click', () => {
  void showVideo(async () => { video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true }); }, 'webcam')
    .catch((err: Error) => status(`webcam unavailable: ${err.message}`, true));
});
for (const el of [depthView, inputView]) {
  el.addEventListener('mousemove', (e) => {
    pointer = { event: e, element: el };
    showReadout(e, el);
  });
  el.addEventListener('mouseleave', () => { pointer = undefined; });
}
