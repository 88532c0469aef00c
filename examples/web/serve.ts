/**
 * `npm run web -- --model <export folder> [--port 8080]`: serves the web app on http://127.0.0.1:<port>/ with the model
 * folder written by `stereodepth export`. Stop with Ctrl-C.
 */
import { parseArgs } from 'node:util';

import { serveWebApp } from './tools/server.js';

const { values } = parseArgs({ options: { model: { type: 'string' }, port: { type: 'string', default: '8080' } } });
if (values.model === undefined) {
  process.stderr.write('usage: npm run web -- --model <folder written by stereodepth export> [--port 8080]\n');
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`serve-web: --port must be an integer 0..65535, got '${values.port}'\n`);
  process.exit(2);
}
try {
  const server = await serveWebApp({ modelDir: values.model, port });
  process.stdout.write(`stereodepth web app: ${server.url} (model ${values.model}); Ctrl-C stops it\n`);
  process.on('SIGINT', () => void server.close().then(() => process.exit(0)));
} catch (err) {
  process.stderr.write(`serve-web: ${(err as Error).message}\n`);
  process.exit(1);
}
