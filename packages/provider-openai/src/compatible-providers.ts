/**
 * OpenAI-compatible providers: services that speak the OpenAI wire protocol and are called through the
 * `openai` SDK with a `baseURL`. `gen_ai.provider.name` (and so the price file a call is priced from)
 * follows the service that really runs the model, not the protocol.
 *
 * Names are the OpenTelemetry GenAI well-known values where one exists (`deepseek`, `perplexity`,
 * `x_ai`, `groq`, `azure.ai.openai`), otherwise a lowercase name.
 *
 * @see https://opentelemetry.io/docs/specs/semconv/registry/attributes/gen-ai/#gen-ai-provider-name
 */

/** How a host is recognised and which provider it reports. */
export interface CompatibleHost {
  /** The host, or a parent domain when `subdomains` is set. */
  host: string;
  /** Also match every subdomain of `host` (e.g. Azure resource names). */
  subdomains?: boolean;
  /** Only when the base URL's path starts with this (Groq serves its OpenAI endpoint under `/openai`). */
  pathPrefix?: string;
  /** `gen_ai.provider.name`. */
  provider: string;
  /**
   * A router whose model ids name the vendor (`anthropic/claude-sonnet-4`): the call reports that
   * vendor as provider when it is one of {@link ROUTED_VENDORS}, and `provider` otherwise.
   */
  routesByModelPrefix?: boolean;
}

/**
 * Known OpenAI-compatible endpoints. Anything else is reported as `openai`, the wire protocol in use
 * (a LiteLLM proxy or a self-hosted server has no host we could know).
 */
export const COMPATIBLE_HOSTS: readonly CompatibleHost[] = [
  { host: 'api.openai.com', provider: 'openai' },
  { host: 'openai.azure.com', subdomains: true, provider: 'azure.ai.openai' },
  { host: 'cognitiveservices.azure.com', subdomains: true, provider: 'azure.ai.openai' },
  // https://openrouter.ai/docs/quickstart: `https://openrouter.ai/api/v1`, model ids `<vendor>/<model>`.
  { host: 'openrouter.ai', provider: 'openrouter', routesByModelPrefix: true },
  // https://docs.together.ai/docs/openai-api-compatibility: `https://api.together.xyz/v1`.
  { host: 'api.together.xyz', provider: 'together' },
  { host: 'api.together.ai', provider: 'together' },
  // https://docs.fireworks.ai/tools-sdks/openai-compatibility: `https://api.fireworks.ai/inference/v1`.
  { host: 'api.fireworks.ai', provider: 'fireworks' },
  // https://docs.perplexity.ai/guides/chat-completions-guide: `https://api.perplexity.ai`.
  { host: 'api.perplexity.ai', provider: 'perplexity' },
  // Anyscale Endpoints: `https://api.endpoints.anyscale.com/v1`.
  { host: 'api.endpoints.anyscale.com', provider: 'anyscale' },
  { host: 'anyscale.com', subdomains: true, provider: 'anyscale' },
  // https://api-docs.deepseek.com: `https://api.deepseek.com` (also `/v1`).
  { host: 'api.deepseek.com', provider: 'deepseek' },
  // https://docs.x.ai/docs/api-reference: `https://api.x.ai/v1`.
  { host: 'api.x.ai', provider: 'x_ai' },
  // https://console.groq.com/docs/openai: `https://api.groq.com/openai/v1`.
  { host: 'api.groq.com', pathPrefix: '/openai', provider: 'groq' },
  // Helicone's gateways proxy OpenAI by default; the upstream is the provider, not the gateway.
  { host: 'oai.helicone.ai', provider: 'openai' },
  { host: 'gateway.helicone.ai', provider: 'openai' },
];

/**
 * Vendor prefixes of router model ids (OpenRouter's `<vendor>/<model>`) that map onto a provider GenOps
 * has prices for; the price table strips the prefix when it looks the model up.
 */
export const ROUTED_VENDORS: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'gcp.gemini',
  deepseek: 'deepseek',
  'x-ai': 'x_ai',
  mistralai: 'mistral_ai',
  cohere: 'cohere',
};

/** What the base URL says about where a call goes. */
export interface CompatibleEndpoint {
  provider: string;
  /** The endpoint is a router whose model ids name the vendor. */
  routesByModelPrefix?: boolean;
}

/** The provider a host (and base URL path) belongs to; `openai` when the host is not a known one. */
export function compatibleEndpointOf(hostname: string, pathname = '/'): CompatibleEndpoint {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  for (const known of COMPATIBLE_HOSTS) {
    const hostMatches = host === known.host || (known.subdomains === true && host.endsWith(`.${known.host}`));
    if (!hostMatches) continue;
    if (known.pathPrefix && !pathStartsWith(pathname, known.pathPrefix)) continue;
    return known.routesByModelPrefix
      ? { provider: known.provider, routesByModelPrefix: true }
      : { provider: known.provider };
  }
  return { provider: 'openai' };
}

/** The provider of a routed model id (`anthropic/claude-sonnet-4` → `anthropic`), or `undefined`. */
export function routedVendorOf(model: string): string | undefined {
  const slash = model.indexOf('/');
  if (slash <= 0) return undefined;
  const vendor = model.slice(0, slash).toLowerCase();
  return Object.hasOwn(ROUTED_VENDORS, vendor) ? ROUTED_VENDORS[vendor] : undefined;
}

function pathStartsWith(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(`${prefix}/`);
}
