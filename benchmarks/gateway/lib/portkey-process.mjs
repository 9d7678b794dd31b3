// Portkey's open-source AI gateway (`@portkey-ai/gateway`, its Node server `build/start-server.js`) in a
// process of its own, for the gateway benchmark. Started with fork(): it sends `{ url }` once it listens,
// answers a `stats` message with `{ stats: { cpuMicros, allocatedBytes } }` (since it listened:
// ./process-stats.mjs) and exits when its parent disconnects.
//
// Two things are done before the published server is loaded, and nothing else is changed:
// - Loopback only. Portkey's server takes only `--port=N` and `--headless` and listens on every
//   interface; every `listen(port)` without a host gets 127.0.0.1 here. Port 0 takes a free port.
// - Streams work. With the @hono/node-server its range resolves to today (1.14 and later), every
//   streamed call fails with `TypeError: immutable`: Portkey appends its `x-portkey-*` headers to a
//   response that still holds the upstream fetch response's immutable headers (Portkey-AI/gateway#1389,
//   #1550). Its proposed fix (Portkey-AI/gateway#1551) copies such a response into one with its own
//   headers; this does the same one step earlier, for upstream event streams only: a streamed upstream
//   response is handed to Portkey as `new Response(body, { status, statusText, headers: copy })`.
//   Non-streamed calls go through untouched.
//
// Clients reach the fake upstream through it with the headers `x-portkey-provider: openai` and
// `x-portkey-custom-host: <fake server>/v1` (loopback custom hosts are trusted by default).
import { createRequire } from 'node:module';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { startProcessStats } from './process-stats.mjs';

const listen = net.Server.prototype.listen;
let stats;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  if (typeof args[0] === 'number' && (args[1] === undefined || typeof args[1] === 'function')) {
    if (args[1] === undefined) args[1] = '127.0.0.1';
    else args.splice(1, 0, '127.0.0.1');
    this.once('listening', () => {
      const { address, port } = this.address();
      stats = startProcessStats();
      process.send?.({ url: `http://${address}:${port}/v1` });
    });
  }
  return listen.apply(this, args);
};

const upstreamFetch = globalThis.fetch;
const UpstreamResponse = globalThis.Response;
globalThis.fetch = async function fetchWithStreamHeadersCopied(...args) {
  const response = await upstreamFetch(...args);
  if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) return response;
  return new UpstreamResponse(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: new Headers(response.headers),
  });
};

process.on('message', (message) => {
  if (message !== 'stats') return;
  process.send?.({ stats: stats.read() });
});
process.on('disconnect', () => process.exit(0));

// The published entry point, resolved through this package's devDependency (it has no `exports`).
const require = createRequire(import.meta.url);
const entry = require.resolve('@portkey-ai/gateway/build/start-server.js');
process.argv = [process.argv[0], entry, '--port=0', '--headless'];
await import(pathToFileURL(entry).href);
