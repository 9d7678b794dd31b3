// A bare HTTP hop for the gateway benchmark: forwarding with no governance at all, in one of several
// forms, so the benchmark can show what the hop itself costs and which form is cheapest:
//
// - server `fastify-direct` (the GenOps gateway's own hop): a fastify server whose node:http server
//   (fastify's `serverFactory`) takes `POST /v1/chat/completions` before fastify, reading the body from
//   the raw request, as the gateway does for its governed routes when no plugin hook would run for them;
// - server `fastify`: a fastify route, the body kept as bytes by a content-type parser, the reply
//   hijacked (the gateway's hop when a plugin adds a hook on the root instance);
// - server `fastify-early`: the same fastify server, but the route answers from its `onRequest` hook
//   (reply hijacked, body read from the raw request): none of fastify's later request steps run;
// - server `node`: `http.createServer` and nothing else (a floor for any framework);
// - server `tcp`: no HTTP at all: each client connection is piped byte for byte to a connection of its
//   own to the upstream (the floor of any proxy: two extra socket reads and writes per call).
//
// For the HTTP servers, the upstream side is one of:
// - client `pool`: one undici `Pool` for the upstream's origin with `dispatch` (the GenOps gateway's:
//   a Pool per upstream origin), a handler writing the upstream's response to the client's as its
//   bytes arrive, with backpressure;
// - client `agent`: one undici `Agent` (a Pool per origin behind a per-request lookup), the same handler;
// - client `request`: undici's `request()` API on the same Pool, the body piped to the client (the
//   common way to write a proxy; a stream and a promise per call).
//
// Started with fork() and one JSON argument `{ upstream, server, client, writeThenEnd, countPromises }`. It sends
// `{ url }` once it listens, answers a `stats` message with `{ stats: { cpuMicros, allocatedBytes } }`
// (since it listened: ./process-stats.mjs; `promises` too when `countPromises`) and exits when its
// parent disconnects.
import { createServer } from 'node:http';
import net from 'node:net';
import { pipeline } from 'node:stream';
import Fastify from 'fastify';
import { Agent, Pool } from 'undici';
import { startProcessStats, startPromiseCount } from './process-stats.mjs';

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

/**
 * Relays the upstream's response to the client's as it arrives (the GenOps gateway's ReplyHandler, less
 * settlement): a body of declared length ends with its last chunk (`end(chunk)`), unless `writeThenEnd`
 * (every chunk written, then `end()`: the gateway's relay before it did so).
 */
class Relay {
  constructor(response) {
    this.response = response;
    this.remaining = -1;
  }
  onRequestStart() {}
  onResponseStart(_controller, statusCode, headers) {
    if (statusCode < 200) return;
    const length = Number(headers['content-length'] ?? Number.NaN);
    if (!writeThenEnd && Number.isSafeInteger(length) && length >= 0) this.remaining = length;
    this.response.writeHead(statusCode, forwarded(headers));
  }
  onResponseData(controller, chunk) {
    if (this.remaining >= 0) {
      this.remaining -= chunk.byteLength;
      if (this.remaining <= 0) {
        this.response.end(chunk);
        return;
      }
    }
    if (!this.response.write(chunk)) {
      controller.pause();
      this.response.once('drain', () => controller.resume());
    }
  }
  onResponseEnd() {
    if (!this.response.writableEnded) this.response.end();
  }
  onResponseError(_controller, error) {
    if (this.response.headersSent) this.response.destroy(error);
    else this.response.writeHead(502).end();
  }
}

function forwarded(headers) {
  const out = {};
  for (const name in headers) if (!NOT_FORWARDED.has(name)) out[name] = headers[name];
  return out;
}

/** The whole body of a raw request, as one Buffer. */
function readBody(incoming, done) {
  const chunks = [];
  incoming.on('data', (chunk) => chunks.push(chunk));
  incoming.on('end', () => done(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
}

const {
  upstream,
  server = 'fastify-direct',
  client = 'pool',
  writeThenEnd = false,
  countPromises,
} = JSON.parse(process.argv[2]);
const upstreamUrl = new URL(upstream);
const { origin, pathname } = upstreamUrl;
const path = `${pathname.replace(/\/$/, '')}/chat/completions`;
const SETTINGS = { keepAliveTimeout: 30_000, connections: 256 };
const dispatcher = client === 'agent' ? new Agent(SETTINGS) : new Pool(origin, SETTINGS);

/** Sends the client's request upstream and relays the answer to `response`. */
function forward(incomingHeaders, body, response) {
  const headers = forwarded(incomingHeaders);
  if (client === 'request') {
    dispatcher.request({ origin, path, method: 'POST', headers, body }).then(
      (answer) => {
        response.writeHead(answer.statusCode, forwarded(answer.headers));
        pipeline(answer.body, response, () => {});
      },
      () => response.writeHead(502).end(),
    );
    return;
  }
  dispatcher.dispatch({ origin, path, method: 'POST', headers, body }, new Relay(response));
}

let close;
let port;
if (server === 'tcp') {
  const sockets = new Set();
  const relay = net.createServer((socket) => {
    const toUpstream = net.connect(Number(upstreamUrl.port), upstreamUrl.hostname);
    socket.setNoDelay(true);
    toUpstream.setNoDelay(true);
    for (const end of [socket, toUpstream]) {
      sockets.add(end);
      end.once('close', () => sockets.delete(end));
    }
    socket.pipe(toUpstream);
    toUpstream.pipe(socket);
    socket.once('error', () => toUpstream.destroy());
    toUpstream.once('error', () => socket.destroy());
    socket.once('close', () => toUpstream.destroy());
    toUpstream.once('close', () => socket.destroy());
  });
  await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));
  port = relay.address().port;
  close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => relay.close(resolve));
  };
} else if (server === 'node') {
  const http = createServer((incoming, response) => {
    if (incoming.method !== 'POST' || !incoming.url.startsWith('/v1/chat/completions')) {
      response.writeHead(404).end();
      return;
    }
    readBody(incoming, (body) => forward(incoming.headers, body, response));
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = http.address().port;
  close = async () => {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  };
} else {
  const app = Fastify({
    logger: false,
    ...(server === 'fastify-direct'
      ? {
          serverFactory: (handler) =>
            createServer((incoming, response) => {
              if (incoming.method === 'POST' && incoming.url === '/v1/chat/completions')
                readBody(incoming, (body) => forward(incoming.headers, body, response));
              else handler(incoming, response);
            }),
        }
      : {}),
  });
  if (server === 'fastify-early')
    app.post('/v1/chat/completions', {
      onRequest: (request, reply) => {
        reply.hijack();
        readBody(request.raw, (body) => forward(request.headers, body, reply.raw));
      },
      handler: () => {},
    });
  else {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.post('/v1/chat/completions', (incoming, reply) => {
      reply.hijack();
      forward(incoming.headers, incoming.body, reply.raw);
    });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = app.server.address().port;
  close = () => app.close();
}

const promiseHook = countPromises ? await startPromiseCount() : undefined;
const stats = startProcessStats();
process.on('message', (message) => {
  if (message === 'stats')
    process.send?.({ stats: { ...stats.read(), ...(promiseHook ? { promises: promiseHook.count() } : {}) } });
});
process.on('disconnect', async () => {
  await close();
  await dispatcher.close();
  process.exit(0);
});
process.send?.({ url: `http://127.0.0.1:${port}/v1` });
