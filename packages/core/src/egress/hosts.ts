// Which hosts are model providers: the known provider hosts and the hosts the user configures (a LiteLLM
// proxy, an Ollama server). Matching is a Map lookup plus prefix/suffix checks: linear in the host's
// length, no regular expression over untrusted text.

/** A provider host as the egress table holds it. */
export interface EgressHost {
  /** `gen_ai.provider.name` and the price table's provider key, e.g. `openai`; `undefined`: from the wire format. */
  provider: string | undefined;
}

/** A host the user adds: `'localhost:11434'`, `'*.internal.example'`, or with the provider it serves. */
export type EgressHostOption = string | { host: string; provider?: string };

/**
 * The known provider hosts. A `*` stands for one or more characters of a host name (one `*` per
 * pattern), so `*-aiplatform.googleapis.com` is every Vertex AI region.
 */
export const KNOWN_PROVIDER_HOSTS: Readonly<Record<string, string>> = {
  'api.openai.com': 'openai',
  'api.anthropic.com': 'anthropic',
  'generativelanguage.googleapis.com': 'gcp.gemini',
  'aiplatform.googleapis.com': 'gcp.vertex_ai',
  '*-aiplatform.googleapis.com': 'gcp.vertex_ai',
  'bedrock-runtime.*.amazonaws.com': 'aws.bedrock',
  'bedrock-runtime-fips.*.amazonaws.com': 'aws.bedrock',
  '*.openai.azure.com': 'azure.ai.openai',
  '*.services.ai.azure.com': 'azure.ai.openai',
  '*.cognitiveservices.azure.com': 'azure.ai.openai',
  'api.mistral.ai': 'mistral_ai',
  'api.cohere.com': 'cohere',
  'api.cohere.ai': 'cohere',
  'api.groq.com': 'groq',
  'api.together.xyz': 'together',
  'api.together.ai': 'together',
  'api.fireworks.ai': 'fireworks',
  'openrouter.ai': 'openrouter',
  'api.deepseek.com': 'deepseek',
  'api.x.ai': 'x_ai',
  'api.perplexity.ai': 'perplexity',
  'api.cerebras.ai': 'cerebras',
  'router.huggingface.co': 'huggingface',
  'api-inference.huggingface.co': 'huggingface',
  'api.replicate.com': 'replicate',
  'api.moonshot.ai': 'moonshot',
  'dashscope-intl.aliyuncs.com': 'alibaba',
  'api.ai21.com': 'ai21',
  'api.voyageai.com': 'voyage',
};

interface Pattern {
  prefix: string;
  suffix: string;
  /** `undefined`: any port. */
  port: string | undefined;
  entry: EgressHost;
}

/** Host name (lower case, no port) or `host:port` → entry; and the `*` patterns. */
export class HostTable {
  private readonly exact = new Map<string, EgressHost>();
  private readonly patterns: Pattern[] = [];

  constructor(user: readonly EgressHostOption[] = [], known: Readonly<Record<string, string>> = KNOWN_PROVIDER_HOSTS) {
    for (const [host, provider] of Object.entries(known)) this.add(host, { provider });
    // User hosts come last: they override a known host (a self-hosted gateway on a known name).
    for (const option of user) {
      const { host, provider } = typeof option === 'string' ? { host: option, provider: undefined } : option;
      this.add(normalizeHostOption(host), { provider });
    }
  }

  private add(spec: string, entry: EgressHost): void {
    const star = spec.indexOf('*');
    if (star < 0) {
      this.exact.set(spec, entry);
      return;
    }
    const colon = spec.lastIndexOf(':');
    const port = colon > star ? spec.slice(colon + 1) : undefined;
    const name = port === undefined ? spec : spec.slice(0, colon);
    this.patterns.unshift({ prefix: name.slice(0, star), suffix: name.slice(star + 1), port, entry });
  }

  /** The entry of `hostname` (any case) on `port`, or `undefined` when it is not a provider host. */
  match(hostname: string, port: string): EgressHost | undefined {
    const host = hostname.toLowerCase();
    const found = this.exact.get(`${host}:${port}`) ?? this.exact.get(host);
    if (found) return found;
    for (const pattern of this.patterns) {
      if (pattern.port !== undefined && pattern.port !== port) continue;
      // `*` stands for at least one character.
      if (
        host.length > pattern.prefix.length + pattern.suffix.length &&
        host.startsWith(pattern.prefix) &&
        host.endsWith(pattern.suffix)
      )
        return pattern.entry;
    }
    return undefined;
  }
}

/**
 * A configured host as the table keys it: lower case, without scheme, path or a default port; a base
 * URL (`http://localhost:11434/v1`) is accepted as well as `localhost:11434`.
 */
export function normalizeHostOption(option: string): string {
  let text = option.trim().toLowerCase();
  const scheme = text.indexOf('://');
  let defaultPort: string | undefined;
  if (scheme >= 0) {
    defaultPort = text.startsWith('https') ? '443' : text.startsWith('http') ? '80' : undefined;
    text = text.slice(scheme + 3);
  }
  const slash = text.indexOf('/');
  if (slash >= 0) text = text.slice(0, slash);
  const colon = text.lastIndexOf(':');
  if (colon >= 0 && defaultPort !== undefined && text.slice(colon + 1) === defaultPort) text = text.slice(0, colon);
  return text;
}

/** Origin (`https://api.openai.com`, a URL) → host name and port, the port defaulted from the scheme. */
export function hostAndPort(origin: string | URL): { hostname: string; port: string; protocol: string } | undefined {
  let url: URL;
  try {
    url = typeof origin === 'string' ? new URL(origin) : origin;
  } catch {
    return undefined;
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '');
  // URL keeps the brackets of an IPv6 literal; the table keys do not.
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { hostname, port, protocol: url.protocol };
}
