// The gateway server: fastify routes in the OpenAI and Anthropic wire formats; each request is
// authenticated by its virtual key, governed as one unit by @genops/core (policy, budgets, approvals,
// audit, telemetry) and forwarded to the upstream provider through an undici Pool per upstream origin.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GenOps, type GenOpsHandle, type GenOpsOptions, loadPolicyFile, withAttribution } from '@genops/core';
import {
  type DispatchHandler,
  type DispatchOptions,
  type Endpoint,
  governWire,
  type WireBody,
  type WireRequest,
  type WireRewrite,
} from '@genops/core/internal';
import type { Context } from '@opentelemetry/api';
import Fastify, { type FastifyInstance } from 'fastify';
import { type BodyReceiver, gatewayServerFactory, pathOf, readBody, runsNoHooks } from './direct-routes';
import { dispatchWithFallback } from './fallback';
import { fixedSettings, type LiveSettings, watchGatewaySettings } from './live-settings';
import { serveModels } from './models';
import {
  type GatewayOptions,
  type GatewayPlugin,
  hashKey,
  type ProviderName,
  type ResolvedSettings,
  resolveSettings,
  type Upstream,
  type VirtualKey,
} from './options';
import { UpstreamPools } from './pools';
import { gatewayRefusal, isGovernanceError, type Refusal, refusalOf, sendRefusal } from './refusal';
import { ClientClosedError, ReplyFirst, ReplyHandler } from './reply-handler';
import { ROUTES, type Route } from './routes';
import { askStreamUsage } from './stream-usage';
import { parentContextOf } from './trace-context';

declare module 'fastify' {
  interface FastifyInstance {
    /** The GenOps instance governing the gateway's requests (for plugins such as the console). */
    genops: GenOpsHandle;
  }
}

/** A gateway: `url` once listening; `close()` drains and settles. */
export interface Gateway {
  /** `http://127.0.0.1:PORT` (or `https://`), once listening; '' before. */
  readonly url: string;
  /** The fastify instance (routes, plugins, `inject()` for tests). */
  readonly app: FastifyInstance;
  /** The GenOps instance governing the requests. */
  readonly genops: GenOpsHandle;
  /** Requests being served (governed units not yet settled). */
  readonly inFlight: number;
  /** Starts listening on the configured host and port; resolves to the URL. */
  listen(): Promise<string>;
  /**
   * Graceful stop: stop accepting, let in-flight requests finish (up to the drain timeout), then abort
   * what is still open (settled from what was read, else at its reservation), close the server, and
   * shut down the GenOps instance when the gateway started it (closing its store).
   */
  close(): Promise<void>;
}

/** Headers of a client request that are never forwarded: the client's credentials and hop-by-hop headers. */
const NOT_FORWARDED = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // curl sends `Expect: 100-continue` with large bodies; Node answers it, and undici refuses the header.
  'expect',
  'content-length',
  'authorization',
  'x-api-key',
  'api-key',
  'cookie',
  'traceparent',
  'tracestate',
  'accept-encoding',
  'openai-organization',
  'openai-project',
]);

/**
 * One gateway request as governance reads it: what it is, where it goes, its body read whole. A class,
 * so that asking a chat stream for its usage is a method rather than a closure per request.
 */
class GatewayWire implements WireRequest {
  readonly endpoint: Endpoint;
  readonly server: Upstream['server'];
  readonly body: WireBody;
  readonly propagate = true;
  readonly ownHeaders = true;
  /** Chat Completions: a stream that does not say whether it wants usage is asked for it. */
  private readonly asksUsage: boolean;

  constructor(
    route: Route,
    readonly provider: ProviderName,
    upstream: Upstream,
    body: Buffer,
    readonly options: DispatchOptions,
    readonly parent: Context,
    readonly maxBodyBytes: number,
    private readonly reply: ReplyHandler,
  ) {
    this.endpoint = route.endpoint as Endpoint;
    this.server = upstream.server;
    this.body = { buffer: body, bytes: body.byteLength, complete: true, replay: body };
    this.asksUsage = route.url === '/v1/chat/completions';
  }

  /** The unit's settlement is recorded: the reply handler may count the request done. */
  onSettled(): void {
    this.reply.settledUnit();
  }

  rewrite(json: Record<string, unknown>, bytes: Buffer): WireRewrite | undefined {
    if (!this.asksUsage) return undefined;
    const rewritten = askStreamUsage(json, bytes);
    if (rewritten) {
      this.reply.hideUsageChunk = true;
      // The usage chunk is filtered from the text: the upstream must not compress it.
      (this.options.headers as Record<string, string | string[]>)['accept-encoding'] = 'identity';
    }
    return rewritten;
  }
}

/** A governed POST taken before fastify, once its body is read: served, or refused in its route's format. */
class DirectRequest implements BodyReceiver {
  constructor(
    private readonly serve: (
      route: Route,
      incoming: IncomingMessage,
      response: ServerResponse,
      body: Buffer,
    ) => Promise<void> | undefined,
    private readonly route: Route,
    private readonly incoming: IncomingMessage,
    private readonly response: ServerResponse,
  ) {}

  received(body: Buffer): void {
    try {
      this.serve(this.route, this.incoming, this.response, body)?.catch(() => internalError(this.response, this.route));
    } catch {
      internalError(this.response, this.route);
    }
  }

  refused(refusal: Refusal): void {
    sendRefusal(this.response, this.route.errors, refusal);
  }
}

/** The body of a request that sent none. */
const EMPTY_BODY = Buffer.alloc(0);

/** Response encodings the usage reader decodes (others would hide the usage). */
const READABLE_ENCODINGS = new Set(['gzip', 'deflate', 'br', 'identity']);

function isHandle(value: GatewayOptions['genops']): value is GenOpsHandle {
  return typeof value === 'object' && value !== null && 'governor' in value && 'shutdown' in value;
}

/** Builds the gateway (routes, plugins, GenOps) without listening. */
export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const given = options.genops;
  const genopsOptions = isHandle(given) ? undefined : (given ?? {});
  const policyFile = typeof genopsOptions?.policy === 'string' ? genopsOptions.policy : undefined;
  const fileSection = policyFile ? (await loadPolicyFile(policyFile)).gateway : undefined;
  const settings = resolveSettings(options, fileSection);
  const ownsGenOps = !isHandle(given);
  // The gateway calls providers itself: no SDK in this process needs patching unless the caller asks.
  const genops = isHandle(given) ? given : GenOps.init({ autoInstrument: false, ...(genopsOptions as GenOpsOptions) });
  let live: LiveSettings | undefined;
  try {
    // The policy file's gateway: section is applied again whenever the file changes, as its policy is.
    live =
      policyFile && genopsOptions?.watchPolicy !== false
        ? watchGatewaySettings(policyFile, options, genopsOptions?.onPolicyError)
        : fixedSettings(settings);
    return await build(options, live, genops, ownsGenOps);
  } catch (error) {
    live?.close();
    if (ownsGenOps) await genops.shutdown();
    throw error;
  }
}

/** Builds the gateway and starts listening. */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const gateway = await createGateway(options);
  try {
    await gateway.listen();
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return gateway;
}

async function build(
  options: GatewayOptions,
  live: LiveSettings,
  genops: GenOpsHandle,
  ownsGenOps: boolean,
): Promise<Gateway> {
  // What the server is built with (listen address, body limit): fixed for its life.
  const started = live.current;
  /** The governed routes taken before fastify (set once ready, when no fastify hook would run for them). */
  let direct: ReadonlyMap<string, Route> | undefined;
  const takeDirect = (incoming: IncomingMessage, response: ServerResponse): boolean => {
    if (direct === undefined || incoming.method !== 'POST') return false;
    const route = direct.get(pathOf(incoming.url ?? ''));
    if (route === undefined) return false;
    readBody(incoming, started.maxBodyBytes, new DirectRequest(serve, route, incoming, response));
    return true;
  };
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: started.maxBodyBytes,
    serverFactory: gatewayServerFactory(options.https, takeDirect),
  }) as unknown as FastifyInstance;
  app.decorate('genops', genops);
  // Bodies stay bytes: governance parses the JSON once, and the same bytes go upstream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  // One connection pool per upstream origin, reused by every request.
  const pools = new UpstreamPools();
  const send = pools.dispatch;
  /** Requests being served; `close()` waits for the set to empty. */
  const inFlight = new Set<ReplyHandler>();
  let drained: (() => void) | undefined;
  const finished = (handler: ReplyHandler) => {
    if (inFlight.delete(handler) && inFlight.size === 0) drained?.();
  };
  let closing = false;
  let url = '';

  for (const route of ROUTES)
    app.route({
      method: route.method,
      url: route.url,
      handler: (request, reply) => {
        reply.hijack();
        return serve(route, request.raw, reply.raw, Buffer.isBuffer(request.body) ? request.body : EMPTY_BODY);
      },
    });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (closing) return reply.code(503).send({ status: 'closing' });
    const problem = await storeProblem(genops);
    if (problem) return reply.code(503).send({ status: 'unavailable', store: problem });
    return { status: 'ready', policyVersion: genops.policyVersion };
  });
  app.setErrorHandler((error: { statusCode?: unknown; code?: unknown; message?: unknown }, request, reply) => {
    // A body over the limit, a malformed request: in the route's error format.
    const route = ROUTES.find((candidate) => candidate.url === request.routeOptions.url);
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    const code = typeof error.code === 'string' ? error.code : 'gateway_error';
    const refusal = gatewayRefusal(status, code, status < 500 ? String(error.message) : 'internal gateway error');
    reply.hijack();
    sendRefusal(reply.raw, route?.errors ?? 'openai', refusal);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] as string;
    reply.hijack();
    sendRefusal(
      reply.raw,
      path.startsWith('/v1/messages') ? 'anthropic' : 'openai',
      gatewayRefusal(404, 'route_not_found', `the GenOps gateway has no route ${request.method} ${path.slice(0, 200)}`),
    );
  });
  for (const plugin of options.plugins ?? []) registerPlugin(app, plugin);
  await app.ready();
  // No plugin hook to run: the governed routes skip fastify's request steps (./direct-routes.ts).
  if (runsNoHooks(app))
    direct = new Map(ROUTES.filter((route) => route.method === 'POST').map((route) => [route.url, route]));

  /**
   * One request to a route (its body read whole): refused, forwarded as is, or governed and forwarded.
   * A promise only while something waits (the model list, a store that answers later, an approval).
   */
  function serve(
    route: Route,
    incoming: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
  ): Promise<void> | undefined {
    if (closing)
      return refuse(response, route, gatewayRefusal(503, 'gateway_closing', 'the gateway is shutting down; retry'));
    // Read once: a reload while this request is served does not change its key or upstream.
    const settings = live.current;
    const requestHeaders = incoming.headers;
    const key = authenticate(settings, requestHeaders);
    if (!key)
      return refuse(
        response,
        route,
        gatewayRefusal(
          401,
          'invalid_virtual_key',
          'missing or unknown GenOps virtual key: send it as `Authorization: Bearer <key>` or `x-api-key: <key>`',
        ),
      );
    const provider = route.method === 'GET' && 'anthropic-version' in requestHeaders ? 'anthropic' : route.provider;
    const upstream = settings.upstreams[provider];
    if (!upstream || !key.providers.has(provider))
      return refuse(
        response,
        route,
        gatewayRefusal(
          upstream ? 403 : 404,
          'upstream_not_available',
          upstream
            ? `virtual key "${key.name}" may not use the ${provider} upstream`
            : `the gateway has no ${provider} upstream configured (gateway.upstreams.${provider})`,
        ),
      );
    const query = incoming.url?.indexOf('?') ?? -1;
    const search = query >= 0 ? (incoming.url as string).slice(query) : '';
    const headers = upstreamHeaders(requestHeaders, upstream);
    // A read that bills nothing (the model list): not a governed unit.
    if (!route.endpoint) return serveModels(pools.pool(upstream.origin), upstream, headers, search, response);
    const handler = new ReplyHandler(response, route.errors, finished);
    inFlight.add(handler);
    const dispatchOptions: DispatchOptions = {
      origin: upstream.origin,
      path: `${upstream.basePath}${route.upstreamPath}${search}`,
      method: route.method,
      headers,
    };
    // The upstream request of a closed client is never sent (its unit fails unbilled).
    const dispatch = (sent: DispatchOptions, governed: DispatchHandler): boolean => {
      if (handler.clientGone) throw new ClientClosedError();
      const sentHeaders = sent.headers as Record<string, string | string[]>;
      handler.traceparent = sentHeaders.traceparent as string | undefined;
      // The client's response ends, then the unit settles.
      const wrapped = new ReplyFirst(governed, handler);
      if (upstream.fallbacks.length === 0) return send(sent, wrapped);
      // The same request to each fallback in turn: its origin, path and key instead of the first's.
      const attempts = [
        sent,
        ...upstream.fallbacks.map((fallback) => ({
          ...sent,
          origin: fallback.origin,
          path: `${fallback.basePath}${route.upstreamPath}${search}`,
          headers: withUpstreamHeaders(sentHeaders, upstream, fallback),
        })),
      ];
      return dispatchWithFallback(send, attempts, wrapped, () => !handler.clientGone);
    };
    const wire = new GatewayWire(
      route,
      provider,
      upstream,
      body,
      dispatchOptions,
      parentContextOf(requestHeaders.traceparent),
      settings.maxBodyBytes,
      handler,
    );
    // With the memory store and no approval wait, the request has left when governWire returns.
    let governed: ReturnType<typeof governWire>;
    try {
      governed = withAttribution(key.attribution, () => governWire(genops.governor, wire, handler, dispatch));
    } catch (error) {
      notGoverned(response, route, handler, error);
      return undefined;
    }
    return governed instanceof Promise
      ? governed.then(
          () => undefined,
          (error: unknown) => notGoverned(response, route, handler, error),
        )
      : undefined;
  }

  /** A request governance denied (answered in the route's format), or that could not be sent. */
  function notGoverned(response: ServerResponse, route: Route, handler: ReplyHandler, error: unknown): void {
    if (isGovernanceError(error)) sendRefusal(response, route.errors, refusalOf(error));
    else if (!(error instanceof ClientClosedError))
      sendRefusal(
        response,
        route.errors,
        gatewayRefusal(500, 'gateway_error', `the gateway could not govern the request (${nameOf(error)})`),
      );
    finished(handler);
  }

  return {
    get url() {
      return url;
    },
    app,
    genops,
    get inFlight() {
      return inFlight.size;
    },
    async listen() {
      await app.listen({ host: started.host, port: started.port });
      const address = app.server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `${options.https ? 'https' : 'http'}://${host}:${address.port}`;
      return url;
    },
    async close() {
      if (closing) return;
      closing = true;
      live.close();
      // Stop accepting; idle keep-alive connections go now, busy ones when their response ends.
      const serverClosed = app.server.listening
        ? new Promise<void>((resolve) => app.server.close(() => resolve()))
        : Promise.resolve();
      app.server.closeIdleConnections?.();
      const pending = () =>
        inFlight.size === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              drained = resolve;
            });
      if (!(await within(pending(), live.current.drainTimeoutMs))) {
        // Past the drain timeout: abort upstream; each unit settles from what was read, else at its reservation.
        for (const handler of inFlight) handler.abort(new Error('the gateway is shutting down'));
        await within(pending(), 5_000);
      }
      app.server.closeAllConnections?.();
      await serverClosed;
      await app.close();
      await pools.close();
      // Anything still open (held for approval, say) settles at its reservation; the store closes.
      if (ownsGenOps) await genops.shutdown();
    },
  };
}

/** Answers `refusal` in the route's error format (a request that is not governed). */
function refuse(response: ServerResponse, route: Route, refusal: Refusal): undefined {
  sendRefusal(response, route.errors, refusal);
  return undefined;
}

function internalError(response: ServerResponse, route: Route): void {
  sendRefusal(response, route.errors, gatewayRefusal(500, 'gateway_error', 'internal gateway error'));
}

/** Resolves to whether `promise` settled within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function registerPlugin(app: FastifyInstance, plugin: GatewayPlugin): void {
  if (typeof plugin === 'function') app.register(plugin);
  else app.register(plugin.plugin, { ...plugin.options, ...(plugin.prefix ? { prefix: plugin.prefix } : {}) });
}

/** The virtual key of a request: `Authorization: Bearer <key>` or `x-api-key: <key>`, looked up by hash. */
function authenticate(settings: ResolvedSettings, headers: IncomingHttpHeaders): VirtualKey | undefined {
  const authorization = headers.authorization;
  let presented: string | undefined;
  if (typeof authorization === 'string' && authorization.slice(0, 7).toLowerCase() === 'bearer ')
    presented = authorization.slice(7).trim();
  else if (typeof headers['x-api-key'] === 'string') presented = headers['x-api-key'].trim();
  if (!presented) return undefined;
  return settings.keys.get(hashKey(presented));
}

/**
 * The client's headers without its credentials and hop-by-hop headers, with the upstream's key: a new
 * object with lower-case names (node:http's), which governance may add to.
 */
function upstreamHeaders(headers: IncomingHttpHeaders, upstream: Upstream): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !NOT_FORWARDED.has(name) && !name.startsWith('x-genops-')) out[name] = value;
  }
  const encodings = readableEncodings(headers['accept-encoding']);
  if (encodings) out['accept-encoding'] = encodings;
  for (const name in upstream.headers) out[name] = upstream.headers[name] as string;
  return out;
}

/** `headers` as sent to `from`, with `to`'s key and configured headers instead of `from`'s. */
function withUpstreamHeaders(
  headers: Record<string, string | string[]>,
  from: Upstream,
  to: Upstream,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) if (!Object.hasOwn(from.headers, name)) out[name] = headers[name] as string | string[];
  for (const name in to.headers) out[name] = to.headers[name] as string;
  return out;
}

/** `Accept-Encoding` values seen, and what is kept of them: clients send the same few. */
const encodingsSeen = new Map<string, string | undefined>();
const ENCODINGS_REMEMBERED = 64;

/** The client's accepted encodings the usage reader can decode (`undefined`: identity). */
function readableEncodings(header: string | undefined): string | undefined {
  if (!header || header.length > 256) return undefined;
  if (encodingsSeen.has(header)) return encodingsSeen.get(header);
  const kept = header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => READABLE_ENCODINGS.has((part.split(';')[0] as string).trim().toLowerCase()));
  const value = kept.length > 0 ? kept.join(', ') : undefined;
  if (encodingsSeen.size < ENCODINGS_REMEMBERED) encodingsSeen.set(header, value);
  return value;
}

/** A store problem for `/readyz` (its error's name, never a URL), or `undefined` when it answers. */
async function storeProblem(genops: GenOpsHandle): Promise<string | undefined> {
  try {
    const answered = await within(genops.governor.store.openReservations(), 2_000);
    return answered ? undefined : 'timeout';
  } catch (error) {
    return nameOf(error);
  }
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

export type { ProviderName };
