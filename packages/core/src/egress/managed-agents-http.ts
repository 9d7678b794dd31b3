// Anthropic Managed Agents through `node:http` / `node:https` egress (http-egress.ts): the requests egress
// makes itself beside an app's request (a read of the session or agent a turn runs, the interrupt of a
// turn whose top-up was refused), as managed-agents-wire.ts makes them through undici for `fetch`.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SideAnswer, sideHeaders, sidePath } from './managed-agents-wire';

/** What a side request copies from the app's request: a `node:http` ClientRequest has all of it. */
export interface AppRequest {
  readonly path: string;
  readonly agent?: unknown;
  getHeaders(): Record<string, number | string | string[] | undefined>;
}

/** Whether `outgoing` is a `node:http` ClientRequest a side request can copy (not an http2 stream). */
export function isAppRequest(outgoing: unknown): outgoing is AppRequest {
  const candidate = outgoing as Partial<AppRequest> | null;
  return typeof candidate?.getHeaders === 'function' && typeof candidate.path === 'string';
}

/**
 * One request to the Managed Agents API beside the app's `request` to `origin` (it bills nothing): the same
 * module, agent (its TLS options), base path, query and headers (the credentials). Resolves with the JSON
 * answer (`undefined` when it is not JSON or over `maxBodyBytes`); rejects on an HTTP error.
 */
export function httpSideRequest(
  request: AppRequest,
  origin: string,
  method: 'GET' | 'POST',
  resource: string,
  maxBodyBytes: number,
  json?: unknown,
): Promise<unknown> {
  const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json), 'utf8');
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(request.getHeaders()))
    if (value !== undefined) pairs.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
  const url = new URL(origin);
  const options: RequestOptions = {
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port,
    method,
    path: sidePath(request.path, resource),
    headers: sideHeaders(pairs, body),
    ...(request.agent ? { agent: request.agent as RequestOptions['agent'] } : {}),
  };
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const side = send(options, (response: IncomingMessage) => {
      const answer = new SideAnswer(`${method} ${resource}`, maxBodyBytes);
      response.on('data', (chunk: Buffer) => answer.data(chunk));
      response.on('error', reject);
      response.on('end', () => {
        try {
          resolve(answer.end(response.statusCode ?? 0));
        } catch (error) {
          reject(error);
        }
      });
    });
    side.on('error', reject);
    side.end(body);
  });
}
