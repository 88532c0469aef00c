import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const sharedData = resolve(repoRoot, '../shared/data');
export const haveShared = existsSync(sharedData);
if (!haveShared) console.warn(`[skip] ${sharedData} is absent: real-sample tests are skipped`);
