// Gateway settings: `startGateway()` options, over the policy file's `gateway:` section, over the
// environment. Validated with zod; a problem is a ConfigError naming the field (secrets never shown).
import { hash } from 'node:crypto';
import type { Attribution, GenOpsHandle, GenOpsOptions } from '@genops/core';
import { ConfigError } from '@genops/core';
import { describeIssue, expectedFor, joinPath } from '@genops/core/internal';
import type { FastifyPluginAsync, FastifyPluginCallback } from 'fastify';
import { z } from 'zod';

/** The upstream providers the gateway forwards to. */
export type ProviderName = 'openai' | 'anthropic';
export const PROVIDERS: readonly ProviderName[] = ['openai', 'anthropic'];

/** Where a provider's requests go, and the key the gateway sends (clients never see it). */
export interface UpstreamOptions {
  /**
   * The base URL as the provider's own SDK takes it (`baseURL`): `https://api.openai.com/v1` for
   * OpenAI (with the version), `https://api.anthropic.com` for Anthropic (without: its SDK adds `/v1`).
   * These are the defaults.
   */
  baseUrl?: string;
  /** The provider key. Default: from `apiKeyEnv`, else `OPENAI_API_KEY` / `ANTHROPIC_API_KEY`. */
  apiKey?: string;
  /** The environment variable holding the provider key (keeps it out of the policy file). */
  apiKeyEnv?: string;
  /** Extra headers sent upstream with every request (e.g. `OpenAI-Organization`). */
  headers?: Record<string, string>;
}

/** A key the gateway hands to a client, mapped to who the calls are for. */
export interface VirtualKeyOptions {
  /** The key's name: on spans and audit records as the `virtualKey` attribution, never the key itself. */
  name: string;
  /** The key as clients send it. Prefer `keyHash` or `keyEnv` in files. */
  key?: string;
  /** `sha256:<64 hex digits>`: the SHA-256 of the key (`printf %s "$KEY" | sha256sum`, or `hashKey(key)`). */
  keyHash?: string;
  /** The environment variable holding the key. */
  keyEnv?: string;
  /** Attribution of every call made with the key (team, project, customer, environment, agent, ...). */
  attribution?: Attribution;
  /** The upstreams the key may use. Default: every configured upstream. */
  providers?: ProviderName[];
}

/** A fastify plugin mounted on the gateway's server (e.g. `@genops/console`'s `consolePlugin`). */
export type GatewayPlugin =
  | FastifyPluginAsync<any>
  | FastifyPluginCallback<any>
  | {
      plugin: FastifyPluginAsync<any> | FastifyPluginCallback<any>;
      options?: Record<string, unknown>;
      /** Where it is mounted, e.g. `/console`. */
      prefix?: string;
    };

export interface GatewayOptions {
  /** Interface to listen on. Default `GENOPS_GATEWAY_HOST`, else the file's `gateway.host`, else `127.0.0.1`. */
  host?: string;
  /** Port. Default `GENOPS_GATEWAY_PORT`, else the file's `gateway.port`, else `defaultPort`. */
  port?: number;
  /** The port when neither `port`, `GENOPS_GATEWAY_PORT` nor the file sets one. Default 0 (a free port); the CLI's is 4000. */
  defaultPort?: number;
  /**
   * Per provider, an upstream, or an ordered list of them: the first is used, and the next one when
   * it cannot be reached or answers a 5xx before any byte reached the client (one governed unit).
   */
  upstreams?: Partial<Record<ProviderName, UpstreamOptions | UpstreamOptions[]>>;
  virtualKeys?: VirtualKeyOptions[];
  /**
   * `GenOps.init()` options (policy or policy file, store, telemetry, approver, ...), or a running
   * GenOps instance (the gateway then leaves its shutdown to you). When `policy` is a file path, its
   * `gateway:` section supplies what these options leave unset.
   */
  genops?: GenOpsOptions | GenOpsHandle;
  /** fastify plugins mounted on the same server. The fastify instance carries `genops` (the GenOps instance). */
  plugins?: GatewayPlugin[];
  /** How long `close()` waits for in-flight requests before settling them at their reservation. Default 30000. */
  drainTimeoutMs?: number;
  /** The largest request body accepted, in bytes. Default 16 MiB. */
  maxBodyBytes?: number;
  /** TLS: fastify's (node:https) server options, at least `key` and `cert`. Default: plain HTTP. */
  https?: { key: string | Buffer; cert: string | Buffer; [option: string]: unknown };
  /** The environment read for keys and the listen address. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_BASE_URLS: Record<ProviderName, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
};
const KEY_ENV: Record<ProviderName, string> = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' };
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');
const upstreamSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  apiKey: z.string().min(1).optional(),
  apiKeyEnv: envName.optional(),
  headers: z.record(z.string().min(1), z.string()).optional(),
});
/** One upstream, or an ordered list: the next one is tried when one cannot serve the request. */
const upstreamsSchema = z.union([upstreamSchema, z.array(upstreamSchema).min(1).max(8)]);
const virtualKeySchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9_.:@-]+$/, 'use letters, digits and _ . : @ - only'),
    key: z.string().min(1).optional(),
    keyHash: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, 'expected "sha256:" and 64 lower-case hex digits')
      .optional(),
    keyEnv: envName.optional(),
    attribution: z.record(z.string().min(1), z.string()).optional(),
    providers: z
      .array(z.enum(['openai', 'anthropic']))
      .min(1)
      .optional(),
  })
  .superRefine((value, context) => {
    const set = [value.key, value.keyHash, value.keyEnv].filter((field) => field !== undefined).length;
    if (set !== 1)
      context.addIssue({
        code: 'custom',
        message: set === 0 ? 'a virtual key needs its key' : 'set only one of key, keyHash, keyEnv',
        params: { expected: 'exactly one of key, keyHash (sha256:...) or keyEnv' },
      });
  });
const port = z.number().int().min(0).max(65_535);
const settingsSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: port.optional(),
  defaultPort: port.optional(),
  upstreams: z.strictObject({ openai: upstreamsSchema.optional(), anthropic: upstreamsSchema.optional() }).optional(),
  virtualKeys: z.array(virtualKeySchema).optional(),
  drainTimeoutMs: z.number().int().min(0).max(3_600_000).optional(),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .max(1024 * 1024 * 1024)
    .optional(),
});
type Settings = z.output<typeof settingsSchema>;
type UpstreamSettings = z.output<typeof upstreamSchema>;

/** Fields whose value may be a secret: a problem never shows their value. */
const SECRET_FIELDS = new Set(['key', 'apiKey', 'headers']);

/** `value` with every secret field's value replaced by `(hidden)` (a copy; depth-bounded). */
function redacted(value: unknown, field: PropertyKey | undefined, depth = 0): unknown {
  if (typeof field === 'string' && SECRET_FIELDS.has(field)) return value === undefined ? undefined : '(hidden)';
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '(nested)';
  if (Array.isArray(value)) return value.map((item, index) => redacted(item, index, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = redacted(item, key, depth + 1);
  return copy;
}

function validate(value: unknown, where: string): Settings {
  const parsed = settingsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  const field = joinPath(issue.path);
  const path = field ? `${where}.${field}` : where;
  const received = redacted(valueAt(value, issue.path), issue.path[issue.path.length - 1]);
  throw new ConfigError({
    path,
    message: describeIssue(issue, received),
    ...(expectedFor(issue) ? { expected: expectedFor(issue) as string } : {}),
    received,
  });
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** A resolved upstream. */
export interface Upstream {
  provider: ProviderName;
  /** `https://api.openai.com` */
  origin: string;
  /** The base path the route's suffix is appended to, without a trailing slash (`/v1`). */
  basePath: string;
  serverAddress: string;
  serverPort: number;
  /** `serverAddress` and `serverPort`, as governance takes them (one object for every request). */
  server: { readonly serverAddress: string; readonly serverPort: number };
  /** Headers the gateway adds to every upstream request: the provider key and configured extras. */
  headers: Record<string, string>;
  /** The upstreams tried, in order, when this one cannot be reached or answers a 5xx. */
  fallbacks: readonly Upstream[];
}

/** A resolved virtual key: looked up by the SHA-256 of what the client sent. */
export interface VirtualKey {
  name: string;
  attribution: Readonly<Attribution>;
  providers: ReadonlySet<ProviderName>;
}

export interface ResolvedSettings {
  host: string;
  port: number;
  upstreams: Partial<Record<ProviderName, Upstream>>;
  /** By `sha256` hex digest of the key. */
  keys: ReadonlyMap<string, VirtualKey>;
  drainTimeoutMs: number;
  maxBodyBytes: number;
}

/**
 * A key's attribution as `withAttribution()` would merge it (values as strings, `virtualKey` its name),
 * frozen: made once per key, used as it is by every request with the key.
 */
function keyAttribution(entry: VirtualKeyOptions): Readonly<Attribution> {
  const attribution: Attribution = {};
  for (const [name, value] of Object.entries(entry.attribution ?? {}))
    if (value !== undefined) attribution[name] = String(value);
  attribution.virtualKey = entry.name;
  return Object.freeze(attribution);
}

/** SHA-256 hex digest of a key, the form `keyHash` takes after `sha256:`. */
export function hashKey(key: string): string {
  // The one-shot form: no Hash object per request (every request's key is hashed to be looked up).
  return hash('sha256', key, 'hex');
}

/**
 * The settings: explicit options over the policy file's `gateway:` section (`fileSection`) over the
 * environment's defaults.
 */
export function resolveSettings(
  options: GatewayOptions,
  fileSection: unknown,
  env: NodeJS.ProcessEnv = options.env ?? process.env,
): ResolvedSettings {
  const file = fileSection === undefined ? {} : validate(fileSection, 'gateway');
  const { genops: _genops, plugins: _plugins, https: _https, env: _env, ...serializable } = options;
  const given = validate(serializable, 'startGateway(options)');
  const envHost = env.GENOPS_GATEWAY_HOST?.trim() || undefined;
  const envPort = env.GENOPS_GATEWAY_PORT?.trim() || undefined;
  let portFromEnv: number | undefined;
  if (envPort !== undefined) {
    const parsed = Number(envPort);
    if (!/^\d{1,5}$/.test(envPort) || parsed > 65_535)
      throw new ConfigError({
        path: 'GENOPS_GATEWAY_PORT',
        message: `"${envPort}" is not a port`,
        expected: 'a number from 0 to 65535',
        received: envPort,
      });
    portFromEnv = parsed;
  }
  const upstreams: Partial<Record<ProviderName, Upstream>> = {};
  for (const provider of PROVIDERS) {
    const fromOptions = given.upstreams?.[provider];
    const fromFile = file.upstreams?.[provider];
    // A list is taken whole (from the options, else the file); single upstreams merge field by field.
    const list: UpstreamSettings[] = Array.isArray(fromOptions)
      ? fromOptions
      : Array.isArray(fromFile)
        ? fromOptions === undefined
          ? fromFile
          : [{ ...fromFile[0], ...fromOptions }, ...fromFile.slice(1)]
        : [{ ...fromFile, ...fromOptions }];
    const configured = fromOptions !== undefined || fromFile !== undefined;
    const resolved: Upstream[] = [];
    for (const [index, merged] of list.entries()) {
      const keyFromEnv = env[merged.apiKeyEnv ?? KEY_ENV[provider]]?.trim() || undefined;
      // An upstream exists when configured, or when its key is in the environment.
      if (!configured && keyFromEnv === undefined) break;
      const where = list.length > 1 ? `gateway.upstreams.${provider}[${index}]` : `gateway.upstreams.${provider}`;
      if (merged.apiKeyEnv && keyFromEnv === undefined && merged.apiKey === undefined)
        throw new ConfigError({
          path: `${where}.apiKeyEnv`,
          message: `the environment variable ${merged.apiKeyEnv} is not set`,
          expected: `${merged.apiKeyEnv} set to the ${provider} key`,
        });
      resolved.push(
        upstreamOf(provider, merged.baseUrl ?? DEFAULT_BASE_URLS[provider], {
          apiKey: merged.apiKey ?? keyFromEnv,
          headers: merged.headers,
        }),
      );
    }
    const [first, ...fallbacks] = resolved;
    if (first) upstreams[provider] = { ...first, fallbacks };
  }
  const keys = new Map<string, VirtualKey>();
  const list = given.virtualKeys ?? file.virtualKeys ?? [];
  const where = given.virtualKeys ? 'startGateway(options).virtualKeys' : 'gateway.virtualKeys';
  for (const [index, entry] of list.entries()) {
    const path = `${where}[${index}]`;
    let digest: string;
    if (entry.keyHash) digest = entry.keyHash.slice('sha256:'.length);
    else if (entry.key) digest = hashKey(entry.key);
    else {
      const value = env[entry.keyEnv as string];
      if (!value)
        throw new ConfigError({
          path: `${path}.keyEnv`,
          message: `the environment variable ${entry.keyEnv} is not set`,
          expected: `${entry.keyEnv} set to the virtual key`,
        });
      digest = hashKey(value);
    }
    if (keys.has(digest))
      throw new ConfigError({
        path,
        message: `virtual key "${entry.name}" has the same key as "${keys.get(digest)?.name}"`,
        expected: 'a distinct key per virtual key',
      });
    keys.set(digest, {
      name: entry.name,
      attribution: keyAttribution(entry),
      providers: new Set(entry.providers ?? PROVIDERS),
    });
  }
  return {
    host: given.host ?? envHost ?? file.host ?? '127.0.0.1',
    port: given.port ?? portFromEnv ?? file.port ?? given.defaultPort ?? 0,
    upstreams,
    keys,
    drainTimeoutMs: given.drainTimeoutMs ?? file.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
    maxBodyBytes: given.maxBodyBytes ?? file.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
}

function upstreamOf(
  provider: ProviderName,
  baseUrl: string,
  secrets: { apiKey: string | undefined; headers: Record<string, string> | undefined },
): Upstream {
  const url = new URL(baseUrl);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(secrets.headers ?? {})) headers[name.toLowerCase()] = value;
  if (secrets.apiKey !== undefined) {
    if (provider === 'anthropic') headers['x-api-key'] = secrets.apiKey;
    else headers.authorization = `Bearer ${secrets.apiKey}`;
  }
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  // The route's path after `/v1` is appended to this: OpenAI base URLs carry the version, Anthropic's do not.
  const basePath = provider === 'anthropic' ? `${path}/v1` : path;
  const serverAddress = url.hostname;
  const serverPort = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return {
    provider,
    origin: url.origin,
    basePath,
    serverAddress,
    serverPort,
    server: Object.freeze({ serverAddress, serverPort }),
    headers,
    fallbacks: [],
  };
}
