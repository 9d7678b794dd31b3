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

/** What gets a request's body: `received(body)` once read whole, or `refused(refusal)` for one over the limit. */
export interface BodyReceiver {
  received(body: Buffer): void;
  refused(refusal: Refusal): void;
}

/** Where a request being read keeps its reading (for the listeners shared by every request). */
const READING = Symbol('genops.gateway.reading');

interface Reading {
  receiver: BodyReceiver;
  limit: number;
  chunks: Buffer[];
  received: number;
}

type ReadingMessage = IncomingMessage & { [READING]?: Reading | undefined };

/**
 * Reads a request's body whole, as fastify's body parser does (same limit, same error), and hands it to
 * `receiver`. A request that breaks off (the client went away) calls neither method. (node:http ends a
 * body only once its declared length arrived: fastify's length check, for bodies a preParsing hook
 * decoded, has nothing to check here.) The listeners are shared by every request (they find the reading
 * on the request): no closure per request.
 */
export function readBody(incoming: IncomingMessage, limit: number, receiver: BodyReceiver): void {
  const declared = Number(incoming.headers['content-length']);
  if (declared > limit) {
    receiver.refused(TOO_LARGE);
    return;
  }
  (incoming as ReadingMessage)[READING] = { receiver, limit, chunks: [], received: 0 };
  incoming.on('data', onBodyData);
  incoming.on('end', onBodyEnd);
  incoming.on('error', stopReading);
}

function onBodyData(this: ReadingMessage, chunk: Buffer): void {
  const reading = this[READING];
  if (!reading) return;
  reading.received += chunk.byteLength;
  if (reading.received > reading.limit) {
    stopReading.call(this);
    reading.receiver.refused(TOO_LARGE);
    return;
  }
  reading.chunks.push(chunk);
}

function onBodyEnd(this: ReadingMessage): void {
  const reading = this[READING];
  stopReading.call(this);
  // A copy, as fastify's parser makes: the body outlives the socket's read.
  if (reading) reading.receiver.received(Buffer.concat(reading.chunks, reading.received));
}

function stopReading(this: ReadingMessage): void {
  this[READING] = undefined;
  this.off('data', onBodyData);
  this.off('end', onBodyEnd);
  this.off('error', stopReading);
}
