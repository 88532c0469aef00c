/**
 * Video files in and out of `stereodepth predict` through the `ffmpeg` command (when it is on the PATH): a video is
 * decoded into numbered PNG frames in a temporary folder, and the colour-mapped depth frames are encoded into an H.264
 * MP4. Frames in a folder need no ffmpeg.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';

export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set(['.mp4', '.mkv', '.avi', '.mov', '.webm', '.m4v']);

export function isVideoFile(path: string): boolean {
  return VIDEO_EXTENSIONS.has(extname(path).toLowerCase());
}

/** Whether `name` (ffmpeg, ffprobe) runs. */
export function hasTool(name: string): boolean {
  return spawnSync(name, ['-version'], { stdio: 'ignore' }).status === 0;
}

function run(tool: string, args: string[], what: string): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.error) throw new Error(`${what}: cannot run ${tool} (${r.error.message}); install it (apt-get install ffmpeg) or give a folder of frames`);
  if (r.status !== 0) throw new Error(`${what}: ${tool} failed (exit ${r.status}): ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

/** Frames per second of a video's first video stream (ffprobe), e.g. 30000/1001 -> 29.97. */
export function videoFrameRate(video: string): number {
  const out = run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate', '-of', 'csv=p=0', video], video).trim();
  const [num, den] = out.split('/').map(Number);
  const fps = den ? num! / den : num!;
  if (!(fps > 0 && Number.isFinite(fps))) throw new Error(`${video}: ffprobe gave no frame rate (got '${out}')`);
  return fps;
}

export interface DecodedVideo {
  /** The frames in order (PNG files in a temporary folder). */
  frames: string[];
  fps: number;
  /** Removes the temporary folder. */
  cleanup(): void;
}

/** Decodes every frame of `video` into numbered PNGs (000001.png, ...) in a fresh temporary folder. */
export function decodeVideo(video: string): DecodedVideo {
  const fps = videoFrameRate(video);
  const dir = mkdtempSync(join(tmpdir(), 'stereodepth-frames-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    run('ffmpeg', ['-v', 'error', '-nostdin', '-i', video, '-vsync', '0', join(dir, '%06d.png')], video);
    const frames = readdirSync(dir).filter((f) => f.endsWith('.png')).sort().map((f) => join(dir, f));
    if (frames.length === 0) throw new Error(`${video}: ffmpeg decoded no frames`);
    return { frames, fps, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/**
 * Encodes the images `frames` (in order, same size) as an H.264 MP4 at `fps` (yuv420p, sizes padded to even, so common
 * players open it). The frames are linked as a numbered sequence in a temporary folder; the video is written to a
 * temporary name beside `out` and renamed, like every output.
 */
export function encodeVideo(frames: string[], fps: number, out: string): void {
  if (frames.length === 0) throw new Error(`${out}: no frames to encode`);
  const seq = mkdtempSync(join(tmpdir(), 'stereodepth-video-'));
  mkdirSync(dirname(out), { recursive: true });
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp.mp4`);
  try {
    frames.forEach((f, i) => symlinkSync(resolve(f), join(seq, `${String(i).padStart(6, '0')}${extname(f)}`)));
    run('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-framerate', String(fps), '-i', join(seq, `%06d${extname(frames[0]!)}`),
      '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', tmp], out);
    renameSync(tmp, out);
  } finally {
    rmSync(seq, { recursive: true, force: true });
    rmSync(tmp, { force: true });
  }
}

/** The timing summary of a keyframe run, as `sequence.json` stores it and predict prints it. */
export interface SequenceTiming {
  frames: number;
  keyframes: number;
  /** Mean time in the network per keyframe, per in-between frame and per frame (ms). */
  msPerKeyframe: number;
  msPerBetween: number | null;
  msPerFrame: number;
}

export function sequenceTiming(stats: { frames: number; keyframes: number; keyframeMs: number; betweenMs: number }): SequenceTiming {
  const between = stats.frames - stats.keyframes;
  return {
    frames: stats.frames,
    keyframes: stats.keyframes,
    msPerKeyframe: stats.keyframes > 0 ? stats.keyframeMs / stats.keyframes : 0,
    msPerBetween: between > 0 ? stats.betweenMs / between : null,
    msPerFrame: stats.frames > 0 ? (stats.keyframeMs + stats.betweenMs) / stats.frames : 0,
  };
}
