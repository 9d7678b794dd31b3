// A bare HTTP hop for the gateway benchmark: the GenOps gateway's own hop (fastify for the client's
// side, the route's reply hijacked; one undici Agent for the upstream's, its response relayed by a
// dispatch handler that writes to the client's response as the bytes arrive, with backpressure) with
// no governance at all, forwarding the chat completions route. Its figures are the floor under the
// GenOps gateway's: what the hop alone costs, so the rest is what governance adds.
//
// Started with fork() and one JSON argument `{ upstream }`. It sends `{ url }` once it listens, answers
// a `stats` message with `{ stats: { cpuMicros, allocatedBytes } }` (since it listened: ./process-stats.mjs)
// and exits when its parent disconnects.
import Fastify from 'fastify';
import { Agent } from 'undici';
import { startProcessStats } from './process-stats.mjs';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the length, which undici and node:http set themselves. */
const NOT_FORWARDED = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

/** Relays the upstream's response to the client's as it arrives (the GenOps gateway's ReplyHandler, less settlement). */
class Relay {
  constructor(response) {
    this.response = response;
  }
  onRequestStart() {}
  onResponseStart(_controller, statusCode, headers) {
    if (statusCode < 200) return;
    const out = {};
    for (const name in headers) if (!NOT_FORWARDED.has(name)) out[name] = headers[name];
    this.response.writeHead(statusCode, out);
  }
  onResponseData(controller, chunk) {
    if (!this.response.write(chunk)) {
      controller.pause();
      this.response.once('drain', () => controller.resume());
    }
  }
  onResponseEnd() {
    this.response.end();
  }
  onResponseError(_controller, error) {
    if (this.response.headersSent) this.response.destroy(error);
    else this.response.writeHead(502).end();
  }
}

const { upstream } = JSON.parse(process.argv[2]);
const { origin, pathname } = new URL(upstream);
const path = `${pathname.replace(/\/$/, '')}/chat/completions`;
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post('/v1/chat/completions', (incoming, reply) => {
  reply.hijack();
  const headers = {};
  for (const name in incoming.headers) if (!NOT_FORWARDED.has(name)) headers[name] = incoming.headers[name];
  agent.dispatch({ origin, path, method: 'POST', headers, body: incoming.body }, new Relay(reply.raw));
});
await app.listen({ host: '127.0.0.1', port: 0 });

const stats = startProcessStats();
process.on('message', (message) => {
  if (message === 'stats') process.send?.({ stats: stats.read() });
});
process.on('disconnect', async () => {
  await app.close();
  await agent.close();
  process.exit(0);
});
process.send?.({ url: `http://127.0.0.1:${app.server.address().port}/v1` });
