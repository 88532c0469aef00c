/**
 * A one-line progress bar for long work: count, rate, ETA and free-form fields (loss, images/s).
 * Redraws in place on a TTY; elsewhere (CI, logs) prints a plain line at most every `logEveryMs`.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  stream?: NodeJS.WriteStream;
  logEveryMs?: number;
  /** Work already done before this bar started (a resumed run): counted in the position, not in the rate. */
  initial?: number;
}

export class ProgressBar {
  private readonly start = Date.now();
  private lastDraw = 0;
  private done = 0;
  private readonly stream: NodeJS.WriteStream;

  private readonly initial: number;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.initial = opts.initial ?? 0;
    this.done = this.initial;
  }

  /** Advances by `n` and redraws with the given fields (e.g. { loss: '0.123' }). */
  tick(n = 1, fields: Record<string, string | number> = {}): void {
    this.done += n;
    const now = Date.now();
    const interval = this.stream.isTTY ? 100 : (this.opts.logEveryMs ?? 10_000);
    if (now - this.lastDraw >= interval || this.done >= this.opts.total) {
      this.lastDraw = now;
      this.draw(fields);
    }
  }

  /** Ends the bar (newline on a TTY). */
  finish(fields: Record<string, string | number> = {}): void {
    this.draw(fields);
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private draw(fields: Record<string, string | number>): void {
    const { total, label, unit = 'it' } = this.opts;
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = elapsed > 0 ? (this.done - this.initial) / elapsed : 0;
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`)
      .join(' | ');
    const line =
      `${label} [${bar}] ${this.done}/${total} ${formatNumber(rate)} ${unit}/s ` +
      `elapsed ${formatDuration(elapsed)} eta ${formatDuration(eta)}${extra ? ' | ' + extra : ''}`;
    if (this.stream.isTTY) this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(line + '\n');
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}
