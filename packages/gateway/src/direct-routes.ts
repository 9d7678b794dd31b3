// The gateway's HTTP server, and the short way in for its governed routes. fastify serves every route,
// but a governed POST (`/v1/chat/completions`, `/v1/responses`, `/v1/embeddings`, `/v1/messages`) goes
// from node:http straight to the gateway's handler when nothing registered on fastify would run for it
// (no lifecycle hook of a plugin): fastify's routing, request and reply objects, hook runners and body
// parser are skipped on the hot path, and the body is read here under the same limit and with the same
// errors as fastify's parser. With a hook on the root instance, every request goes through fastify, as
// the hook expects.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { gatewayRefusal, type Refusal } from './refusal';

/** fastify's own handler of a request: routing, hooks, parsing, the route's handler. */
type FastifyHandler = (incoming: IncomingMessage, response: ServerResponse) => void;

/** Takes a request before fastify does: true when it did (then fastify never sees it). */
export type DirectHandler = (incoming: IncomingMessage, response: ServerResponse) => boolean;

/**
 * A fastify `serverFactory`: the node:http (or node:https) server fastify would make, with fastify's
 * timeouts, whose requests `direct()` may take before fastify's handler.
 */
export function gatewayServerFactory(
  httpsOptions: https.ServerOptions | undefined,
  direct: DirectHandler,
): (handler: FastifyHandler, options: FastifyServerOptions) => http.Server {
  return (handler, options) => {
    const listener = (incoming: IncomingMessage, response: ServerResponse) => {
      if (!direct(incoming, response)) handler(incoming, response);
    };
    const server = httpsOptions ? https.createServer(httpsOptions, listener) : http.createServer(listener);
    // What fastify sets on the server it makes (its defaults: keep-alive 72 s, no request timeout).
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
    server.setTimeout(options.connectionTimeout ?? 0);
    if (typeof options.maxRequestsPerSocket === 'number' && options.maxRequestsPerSocket > 0)
      server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  };
}

/** fastify's request lifecycle hooks: any of them on the root instance would run for the gateway's routes. */
const LIFECYCLE_HOOKS = [
  'onRequest',
  'preParsing',
  'preValidation',
  'preHandler',
  'preSerialization',
  'onSend',
  'onResponse',
  'onError',
  'onTimeout',
  'onRequestAbort',
] as const;

/**
 * Whether a request to a route of the root instance would run no hook (after `ready()`): the only
 * case the gateway may skip fastify. fastify keeps the root's hooks under its `fastify.hooks` symbol;
 * when it cannot be read (another fastify version), the answer is false and fastify serves everything.
 */
export function runsNoHooks(app: FastifyInstance): boolean {
  const symbol = Object.getOwnPropertySymbols(app).find((candidate) => candidate.description === 'fastify.hooks');
  const hooks = symbol ? (app as unknown as Record<symbol, Record<string, unknown> | undefined>)[symbol] : undefined;
  if (!hooks) return false;
  return LIFECYCLE_HOOKS.every((name) => Array.isArray(hooks[name]) && hooks[name].length === 0);
}

/** The path of a request URL (without its query string). */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** fastify's answer to a body over its limit, as the gateway's error handler words it. */
const TOO_LARGE = gatewayRefusal(413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'Request body is too large');

/**
 * Reads a request's body whole, as fastify's body parser does (same limit, same error): `done(body)`,
 * or `refused(refusal)` for a body over `limit` bytes. A request that breaks off (the client went
 * away) calls neither. (node:http ends a body only once its declared length arrived: fastify's
 * length check, for bodies a preParsing hook decoded, has nothing to check here.)
 */
export function readBody(
  incoming: IncomingMessage,
  limit: number,
  done: (body: Buffer) => void,
  refused: (refusal: Refusal) => void,
): void {
  const declared = Number(incoming.headers['content-length']);
  if (declared > limit) {
    refused(TOO_LARGE);
    return;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.byteLength;
    if (received > limit) {
      stop();
      refused(TOO_LARGE);
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () => {
    stop();
    // A copy, as fastify's parser makes: the body outlives the socket's read.
    done(Buffer.concat(chunks, received));
  };
  const stop = () => {
    incoming.off('data', onData);
    incoming.off('end', onEnd);
    incoming.off('error', stop);
  };
  incoming.on('data', onData);
  incoming.on('end', onEnd);
  incoming.on('error', stop);
}
