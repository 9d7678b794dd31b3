import type { Attribution } from '@genops/core/adapter';

/**
 * Gateways in front of OpenAI-compatible providers: what GenOps sends them and reads back.
 *
 * - Helicone (`oai.helicone.ai`, `gateway.helicone.ai`) groups requests by custom properties sent as
 *   `Helicone-Property-<Name>` request headers: the call's attribution is forwarded that way.
 * - A LiteLLM proxy reports what a call cost in the `x-litellm-response-cost` response header (USD);
 *   when present it is the call's actual cost, instead of the price table.
 *
 * @see https://docs.helicone.ai/features/advanced-usage/custom-properties
 * @see https://docs.litellm.ai/docs/proxy/cost_tracking
 */

const HELICONE_HOSTS = new Set(['oai.helicone.ai', 'gateway.helicone.ai']);

/** Whether a base URL points at a Helicone gateway. */
export function isHeliconeBaseURL(baseURL: string | undefined): boolean {
  if (!baseURL) return false;
  // A client's base URL never changes and apps use few: parse each once, not once per call.
  let helicone = heliconeByBaseURL.get(baseURL);
  if (helicone === undefined) {
    try {
      helicone = HELICONE_HOSTS.has(new URL(baseURL).hostname.toLowerCase().replace(/\.$/, ''));
    } catch {
      helicone = false;
    }
    if (heliconeByBaseURL.size < 100) heliconeByBaseURL.set(baseURL, helicone);
  }
  return helicone;
}

const heliconeByBaseURL = new Map<string, boolean>();

/**
 * `Helicone-Property-<Name>` headers for an attribution: `team` → `Helicone-Property-Team`,
 * `costCenter` → `Helicone-Property-Cost-Center`. Values that cannot travel in a header (control
 * characters, non-Latin-1) are percent-encoded; empty values are left out.
 */
export function heliconePropertyHeaders(attribution: Readonly<Attribution>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(attribution)) {
    if (typeof value !== 'string' || value === '') continue;
    const name = headerNameOf(key);
    if (!name) continue;
    headers[`Helicone-Property-${name}`] = headerValueOf(value);
  }
  return headers;
}

/** The cost a LiteLLM proxy reported for a response, USD, or `undefined` when it sent none. */
export function liteLLMReportedCostUsd(
  headers: Headers | Readonly<Record<string, unknown>> | undefined,
): number | undefined {
  if (!headers) return undefined;
  const raw =
    typeof (headers as Headers).get === 'function'
      ? (headers as Headers).get('x-litellm-response-cost')
      : (Object.entries(headers).find(([name]) => name.toLowerCase() === 'x-litellm-response-cost')?.[1] ?? null);
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const cost = Number(raw);
  return Number.isFinite(cost) && cost >= 0 ? cost : undefined;
}

/**
 * The SDK's per-request `options` with `headers` added underneath the caller's own: a header the caller
 * set (any case) is left as the caller set it. Options in a form this cannot merge safely are returned
 * unchanged.
 */
export function withRequestHeaders<T extends object>(
  options: T | undefined,
  headers: Readonly<Record<string, string>>,
): T | Record<string, unknown> | undefined {
  if (Object.keys(headers).length === 0) return options;
  const given = (options as { headers?: unknown } | undefined)?.headers;
  if (given === undefined || given === null) return { ...options, headers: { ...headers } };
  if (typeof given !== 'object') return options;
  let rows: [string, unknown][];
  if (given instanceof Headers) rows = [...given.entries()];
  else if (Array.isArray(given)) rows = given as [string, unknown][];
  // Other iterables, and the SDK's own branded header objects (symbol keys): leave them alone.
  else if (Symbol.iterator in given || Object.getOwnPropertySymbols(given).length > 0) return options;
  else rows = Object.entries(given);
  const taken = new Set(rows.map(([name]) => String(name).toLowerCase()));
  const added = Object.entries(headers).filter(([name]) => !taken.has(name.toLowerCase()));
  if (added.length === 0) return options;
  return {
    ...options,
    headers:
      Array.isArray(given) || given instanceof Headers
        ? [...added, ...rows]
        : { ...Object.fromEntries(added), ...given },
  };
}

/** `costCenter` / `cost_center` / `cost-center` → `Cost-Center`; `undefined` when nothing usable is left. */
function headerNameOf(key: string): string | undefined {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0);
  if (words.length === 0) return undefined;
  return words.map((word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase()).join('-');
}

function headerValueOf(value: string): string {
  // Visible ASCII and spaces go as they are; anything else (CR/LF, tabs, non-ASCII) is percent-encoded.
  return /^[\x20-\x7e]*$/.test(value) ? value.trim() : encodeURIComponent(value);
}
