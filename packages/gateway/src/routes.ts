// The routes the gateway serves, and what each one is on the wire.
import { type Endpoint, endpointFor } from '@genops/core/internal';
import type { ProviderName } from './options';
import type { ErrorWire } from './refusal';

export interface Route {
  method: 'GET' | 'POST';
  url: string;
  /** The path after the upstream's base path (`url` without `/v1`). */
  upstreamPath: string;
  provider: ProviderName;
  /** The error format of refusals. */
  errors: ErrorWire;
  /** What the request is, for governance (`undefined`: a read that bills nothing, forwarded as is). */
  endpoint: Endpoint | undefined;
}

function route(method: Route['method'], url: string, provider: ProviderName): Route {
  return {
    method,
    url,
    upstreamPath: url.slice(3),
    provider,
    errors: provider === 'anthropic' ? 'anthropic' : 'openai',
    endpoint: endpointFor(method, url),
  };
}

export const ROUTES: readonly Route[] = [
  route('POST', '/v1/chat/completions', 'openai'),
  route('POST', '/v1/responses', 'openai'),
  route('POST', '/v1/embeddings', 'openai'),
  route('GET', '/v1/models', 'openai'),
  route('POST', '/v1/messages', 'anthropic'),
];
