/**
 * Debian's Chromium, headless, driven by playwright-core. Never downloads a browser: it uses /usr/bin/chromium (or
 * $CHROMIUM), installs the `chromium` package with apt when it is missing and we are root, and otherwise says why not
 * so a test can skip with that message.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

function which(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The Chromium binary, installing Debian's package when possible; `{ reason }` when there is none. */
export function findChromium(): { path: string } | { reason: string } {
  const named = process.env.CHROMIUM;
  if (named) return existsSync(named) ? { path: named } : { reason: `$CHROMIUM=${named} does not exist` };
  const found = which('chromium') ?? which('chromium-browser');
  if (found) return { path: found };
  if (process.getuid?.() !== 0) return { reason: 'chromium is not installed and we are not root to `apt-get install -y chromium`' };
  if (!which('apt-get')) return { reason: 'chromium is not installed and there is no apt-get to install it' };
  try {
    execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (err) {
    return { reason: `chromium is not installed and 'apt-get install -y chromium' failed: ${(err as Error).message.split('\n')[0]}` };
  }
  const installed = which('chromium');
  return installed ? { path: installed } : { reason: "'apt-get install -y chromium' ran but no chromium is on the PATH" };
}

/** Launches headless Chromium with a fresh profile (playwright creates and removes a temporary user-data-dir). */
export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}
