// Never silent: what GenOps governs, checked at init (which SDK installs the app can reach, which of them
// an adapter patched) and on first use (a model request that leaves the process outside any governed unit,
// seen on Node's diagnostics channels). `status().coverage` lists it; anything ungoverned prints one
// warning to stderr, with the fix. `genops doctor` runs the same install check from the command line.
import { type Channel, channel } from 'node:diagnostics_channel';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { diag } from '@opentelemetry/api';
import type { GenOpsAdapter } from './adapter-contract';
import { appSearchPaths } from './adapters';
import { knownUngovernedMethod, patchedCopies } from './coverage-copies';
import { type EgressStatus, egressHandles } from './egress/egress';
import type { EgressMode } from './egress/options';
import { activeGovernedCall } from './pipeline/call';

/** One install of a provider SDK the app can reach, and whether GenOps governs it. */
export interface CoverageSdk {
  /** The SDK package, e.g. `openai`. */
  sdk: string;
  /** The GenOps adapter for it, e.g. `@genops/provider-openai` (`undefined`: GenOps has none yet). */
  adapter: string | undefined;
  /** The install's package directory. */
  root: string;
  version: string | undefined;
  /** `governed`: an adapter patched this install; `ungoverned`: calls through it are not governed by an adapter. */
  status: 'governed' | 'ungoverned';
  /** Why it is ungoverned. */
  reason?: string;
  /** How to govern it. */
  fix?: string;
}

/** Model requests that left the process outside any governed unit, per client and endpoint. */
export interface CoverageRequest {
  /** The SDK that sent it (from its user agent), if recognised. */
  sdk: string | undefined;
  /** `POST https://api.openai.com/v1/chat/completions` (no query string). */
  endpoint: string;
  count: number;
  /** `egress`: the egress layer governed or refused it; `none`: it ran ungoverned. */
  handledBy: 'egress' | 'none';
  /**
   * The SDK method that sent it when that method is one its adapter does not govern yet (e.g.
   * `openai images.generate`): the adapter patched the copy and warned about the method itself.
   */
  method?: string;
}

/** What GenOps governs in this process: `GenOps.current.status()).coverage`. */
export interface Coverage {
  /** Nothing found ungoverned: every SDK install reached is patched and no model request ran outside a unit. */
  governed: boolean;
  /** The egress mode (`installed: false` until this build of core has egress governance). */
  egress: { mode: EgressMode; installed: boolean };
  /** Every install of a known provider SDK the app can reach (from its entry point and working directory). */
  sdks: CoverageSdk[];
  /** Model requests seen outside any governed unit since `GenOps.init()`. */
  ungovernedRequests: CoverageRequest[];
}

interface KnownSdk {
  sdk: string;
  adapter: string | undefined;
  /** The explicit form of the adapter, for a client the patch cannot reach. */
  explicit: string | undefined;
  /** Start of the user agent the SDK sends. */
  userAgent: string | undefined;
}

/** Provider SDKs GenOps knows, with their adapter (if any). */
export const KNOWN_SDKS: readonly KnownSdk[] = [
  { sdk: 'openai', adapter: '@genops/provider-openai', explicit: 'instrumentOpenAI(client)', userAgent: 'OpenAI/JS' },
  {
    sdk: '@anthropic-ai/sdk',
    adapter: '@genops/provider-anthropic',
    explicit: 'instrumentAnthropic(client)',
    userAgent: 'Anthropic/JS',
  },
  {
    sdk: '@google/genai',
    adapter: '@genops/provider-google',
    explicit: 'instrumentGoogleGenAI(client)',
    userAgent: 'google-genai-sdk',
  },
  {
    sdk: '@aws-sdk/client-bedrock-runtime',
    adapter: '@genops/provider-bedrock',
    explicit: 'instrumentBedrock(client)',
    userAgent: undefined,
  },
  { sdk: '@mistralai/mistralai', adapter: undefined, explicit: undefined, userAgent: 'speakeasy-sdk/typescript' },
  { sdk: 'cohere-ai', adapter: undefined, explicit: undefined, userAgent: undefined },
  { sdk: 'groq-sdk', adapter: undefined, explicit: undefined, userAgent: 'Groq/JS' },
  { sdk: 'ollama', adapter: undefined, explicit: undefined, userAgent: undefined },
];

/** Hosts of model providers: a request to one is a model request whatever client sent it. */
const PROVIDER_HOSTS = [
  'api.openai.com',
  'api.anthropic.com',
  'generativelanguage.googleapis.com',
  'aiplatform.googleapis.com',
  'openai.azure.com',
  'api.mistral.ai',
  'api.cohere.com',
  'api.cohere.ai',
  'api.groq.com',
  'api.together.xyz',
  'api.deepseek.com',
  'api.x.ai',
  'openrouter.ai',
];

/** Paths of billable model endpoints (a request from a recognised SDK to any host, e.g. a local gateway). */
const MODEL_PATHS = [
  '/chat/completions',
  '/completions',
  '/responses',
  '/embeddings',
  '/messages',
  '/images/',
  '/audio/',
  '/batches',
  '/fine_tuning/jobs',
  '/videos',
  ':generateContent',
  ':streamGenerateContent',
  ':embedContent',
  '/converse',
  '/invoke',
  '/api/chat',
  '/api/generate',
];

/** An install of `sdk` the app can reach, as Node would resolve it from each search path. */
export interface SdkInstall {
  sdk: string;
  root: string;
  version: string | undefined;
}

/** Every install of a {@link KNOWN_SDKS} package reachable from `searchPaths` (default: the app's). */
export function findSdkInstalls(searchPaths: readonly string[] = appSearchPaths()): SdkInstall[] {
  const installs: SdkInstall[] = [];
  const seen = new Set<string>();
  for (const { sdk } of KNOWN_SDKS) {
    for (const base of searchPaths) {
      for (const nodeModules of nodeModulesChain(base)) {
        const manifest = join(nodeModules, sdk, 'package.json');
        if (!existsSync(manifest)) continue;
        const root = realpathOr(join(nodeModules, sdk));
        if (!seen.has(root)) {
          seen.add(root);
          installs.push({ sdk, root, version: versionOf(manifest) });
        }
        break; // Node stops at the first node_modules that has it.
      }
    }
  }
  return installs;
}

/**
 * The `node_modules` folders Node looks in from `base` up to the root: what a deployed app resolves from
 * (`NODE_PATH`, which package managers set for their scripts, left out).
 */
export function nodeModulesChain(base: string): string[] {
  const chain: string[] = [];
  for (let directory = resolve(base); ; directory = dirname(directory)) {
    if (basename(directory) !== 'node_modules') chain.push(join(directory, 'node_modules'));
    if (dirname(directory) === directory) return chain;
  }
}

/** Whether `name` is installed in a `node_modules` folder `base` resolves from (see {@link nodeModulesChain}). */
export function installedFrom(base: string, name: string): boolean {
  return nodeModulesChain(base).some((nodeModules) => existsSync(join(nodeModules, name, 'package.json')));
}

/** GenOps adapter packages (`@genops/*` with `"genops": { "adapter": true }`) installed where `base` resolves from. */
export function findAdapterPackages(base: string): string[] {
  const names = new Set<string>();
  for (const nodeModules of nodeModulesChain(base)) {
    const scope = join(nodeModules, '@genops');
    if (!existsSync(scope)) continue;
    for (const entry of readdirSync(scope)) {
      try {
        const manifest = JSON.parse(readFileSync(join(scope, entry, 'package.json'), 'utf8')) as {
          name?: string;
          genops?: { adapter?: boolean };
        };
        if (manifest.genops?.adapter && manifest.name) names.add(manifest.name);
      } catch {
        // Not a package.
      }
    }
  }
  return [...names];
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function versionOf(manifest: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Which installs are governed: one is governed when an enabled adapter patched a build of it. `registered`
 * are the adapter packages loaded in the process, `enabled` those turned on.
 */
export function checkInstalls(
  installs: readonly SdkInstall[],
  adapters: { registered: readonly string[]; enabled: readonly string[]; autoInstrument: boolean },
): CoverageSdk[] {
  const patchedRoots = new Set<string>();
  for (const [adapter, copies] of patchedCopies())
    if (adapters.enabled.includes(adapter)) for (const copy of copies) patchedRoots.add(realpathOr(copy.root));
  return installs.map((install) => {
    const known = KNOWN_SDKS.find((entry) => entry.sdk === install.sdk);
    const adapter = known?.adapter;
    const base = { sdk: install.sdk, adapter, root: install.root, version: install.version };
    if (patchedRoots.has(install.root)) return { ...base, status: 'governed' as const };
    return { ...base, status: 'ungoverned' as const, ...whyUngoverned(install.sdk, known, adapters) };
  });
}

function whyUngoverned(
  sdk: string,
  known: KnownSdk | undefined,
  adapters: { registered: readonly string[]; enabled: readonly string[]; autoInstrument: boolean },
): { reason: string; fix: string } {
  const adapter = known?.adapter;
  if (!adapter)
    return {
      reason: `GenOps has no adapter for ${sdk}`,
      fix: "govern its requests with egress: 'govern' (or refuse them with egress: 'deny')",
    };
  if (!adapters.registered.includes(adapter))
    return { reason: `${adapter} is not installed`, fix: `npm install ${adapter}` };
  if (!adapters.enabled.includes(adapter))
    return {
      reason: adapters.autoInstrument
        ? `${adapter} could not patch ${sdk}`
        : `autoInstrument is off and ${adapter} is not in the adapters option`,
      fix: `list ${adapter}'s adapter in GenOps.init({ adapters }) or use ${known?.explicit ?? 'its explicit form'}`,
    };
  return {
    reason: `a second install of ${sdk} that ${adapter} did not patch (it patches the one the app's entry point and working directory resolve)`,
    fix: `keep one install of ${sdk} (npm dedupe), or wrap the client with ${known?.explicit ?? "the adapter's explicit form"}`,
  };
}

/** What coverage reports of egress governance: its mode, and whether it is in place (egress/egress.ts). */
export function egressCoverage(status: Pick<EgressStatus, 'mode' | 'fetch' | 'http'>): {
  mode: EgressMode;
  installed: boolean;
} {
  return { mode: status.mode, installed: status.fetch === 'intercepted' || status.http !== 'off' };
}

/** Writes one warning to stderr (not only the OpenTelemetry diag logger, which is often not set up). */
export function printCoverageWarning(message: string): void {
  diag.warn(message);
  try {
    process.stderr.write(`genops: warning: ${message}\n`);
  } catch {
    // stderr closed: the diag logger has it.
  }
}

/**
 * Watches model requests leaving the process (built-in `fetch` through undici's `undici:request:create`
 * channel, `node:http(s)` through `http.client.request.start`). One outside any governed unit is recorded,
 * and the first per SDK prints a warning. It only observes: handling such requests is the egress layer's.
 */
export class CoverageMonitor {
  private readonly requests = new Map<string, CoverageRequest>();
  private readonly warned = new Set<string>();
  private readonly channels: Array<[Channel, (message: unknown) => void]> = [];

  constructor(private readonly egress: { mode: EgressMode; installed: boolean }) {
    this.listen('undici:request:create', (message) => this.onUndici(message));
    this.listen('http.client.request.start', (message) => this.onHttp(message));
  }

  /** Model requests seen outside a governed unit. */
  get ungovernedRequests(): CoverageRequest[] {
    return [...this.requests.values()].map((request) => ({ ...request }));
  }

  /** SDKs that sent a model request outside any governed unit (so their adapter does not govern the app's copy). */
  get ungovernedSdks(): Set<string> {
    const sdks = new Set<string>();
    for (const request of this.requests.values())
      if (request.sdk && request.handledBy === 'none' && request.method === undefined) sdks.add(request.sdk);
    return sdks;
  }

  stop(): void {
    for (const [target, listener] of this.channels) target.unsubscribe(listener);
    this.channels.length = 0;
  }

  private listen(name: string, listener: (message: unknown) => void): void {
    const target = channel(name);
    target.subscribe(listener);
    this.channels.push([target, listener]);
  }

  private onUndici(message: unknown): void {
    try {
      const request = (
        message as { request?: { origin?: unknown; path?: unknown; method?: unknown; headers?: unknown } }
      ).request;
      // A governed call's own request (every adapter call) costs this check and one context lookup.
      if (!request || typeof request.path !== 'string' || !outsideUnit(request.method)) return;
      this.observe('POST', String(request.origin ?? ''), request.path, (name) => headerOf(request.headers, name));
    } catch (error) {
      diag.debug('genops: coverage could not read a fetch request', error);
    }
  }

  private onHttp(message: unknown): void {
    try {
      const request = (message as { request?: Record<string, any> }).request;
      if (!request || typeof request.path !== 'string' || !outsideUnit(request.method)) return;
      // The Host header has the port; `request.host` is the name alone.
      const host = request.getHeader?.('host');
      const origin = `${request.protocol ?? 'http:'}//${typeof host === 'string' ? host : (request.host ?? '')}`;
      this.observe('POST', origin, request.path, (name) => {
        const value = request.getHeader?.(name);
        return typeof value === 'string' ? value : undefined;
      });
    } catch (error) {
      diag.debug('genops: coverage could not read an http request', error);
    }
  }

  /** A POST outside any governed unit (the callers checked {@link outsideUnit}). */
  private observe(method: string, origin: string, rawPath: string, header: (name: string) => string | undefined): void {
    const queryAt = rawPath.indexOf('?');
    const path = queryAt === -1 ? rawPath : rawPath.slice(0, queryAt);
    const host = hostOf(origin);
    const sdk = sdkOf(header, path);
    const providerHost = PROVIDER_HOSTS.some((known) => host === known || host.endsWith(`.${known}`));
    const modelPath = MODEL_PATHS.some((known) => path.includes(known));
    if (!(providerHost || (sdk && modelPath))) return;
    const endpoint = `${method} ${origin}${path}`;
    // Egress takes only billable requests to provider hosts (and hosts the app configured).
    const handled = this.egress.installed && egressHandles(origin, method, rawPath);
    const handledBy = handled && (this.egress.mode === 'govern' || this.egress.mode === 'deny') ? 'egress' : 'none';
    const sdkMethod = knownUngovernedMethod();
    const key = `${sdk?.sdk ?? ''} ${endpoint} ${sdkMethod ?? ''}`;
    const seen = this.requests.get(key);
    if (seen) seen.count++;
    else
      this.requests.set(key, {
        sdk: sdk?.sdk,
        endpoint,
        count: 1,
        handledBy,
        ...(sdkMethod ? { method: sdkMethod } : {}),
      });
    // A method its adapter does not govern yet: the adapter has warned about it (GENOPS_UNGOVERNED).
    if (sdkMethod) return;
    // Governed or refused by egress; in egress `warn` mode, egress prints its own warning.
    if (handledBy === 'egress' || (handled && this.egress.mode === 'warn')) return;
    const warnKey = sdk?.sdk ?? host;
    if (this.warned.has(warnKey)) return;
    this.warned.add(warnKey);
    printCoverageWarning(ungovernedRequestMessage(sdk, endpoint));
  }
}

/** A model request is a POST; one made inside a governed unit is that unit's own (one context lookup). */
function outsideUnit(method: unknown): boolean {
  return method === 'POST' && activeGovernedCall() === undefined;
}

function ungovernedRequestMessage(sdk: KnownSdk | undefined, endpoint: string): string {
  const what = sdk ? `a ${sdk.sdk} request (${endpoint})` : `a model request (${endpoint})`;
  const copy = sdk?.adapter
    ? ` The app's copy of ${sdk.sdk} is not patched by ${sdk.adapter} (bundled into the app, a second install, or loaded where GenOps could not reach it).` +
      ` Fix: keep ${sdk.sdk} external to the bundle (esbuild --external:${sdk.sdk}, Vite ssr.external, Next.js serverExternalPackages), or wrap the client with ${sdk.explicit}.`
    : " Fix: use a client GenOps has an adapter for, or govern such requests with egress: 'govern'.";
  return `${what} ran outside GenOps: no policy check, no budget reservation, no span.${copy} GenOps.current.status() lists coverage; \`genops doctor\` checks a project.`;
}

function hostOf(origin: string): string {
  const start = origin.indexOf('//');
  let host = start === -1 ? origin : origin.slice(start + 2);
  const slash = host.indexOf('/');
  if (slash !== -1) host = host.slice(0, slash);
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && !host.endsWith(']')) host = host.slice(0, colon);
  return host.toLowerCase();
}

/**
 * The SDK that sent a request, from its user agent (`OpenAI/JS 7.57.0`). Stainless SDKs (openai,
 * anthropic) name the agent after the client class, which a minifier renames (`Hn/JS 7.57.0` in a
 * Next.js build): their `x-stainless-lang` header and the endpoint path tell them apart then.
 */
function sdkOf(header: (name: string) => string | undefined, path: string): KnownSdk | undefined {
  const agent = header('user-agent');
  const byAgent = agent && KNOWN_SDKS.find((known) => known.userAgent && agent.startsWith(known.userAgent));
  if (byAgent) return byAgent;
  if (header('x-stainless-lang') === undefined) return undefined;
  const sdk = path.endsWith('/messages') || path.includes('/messages/') ? '@anthropic-ai/sdk' : 'openai';
  return KNOWN_SDKS.find((known) => known.sdk === sdk);
}

/** A header of an undici request (`name` lower-cased): headers as `name: value\r\n` text or a flat `[name, value, ...]` array. */
function headerOf(headers: unknown, name: string): string | undefined {
  if (typeof headers === 'string') {
    for (const line of headers.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon !== -1 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
    }
    return undefined;
  }
  if (Array.isArray(headers)) {
    for (let index = 0; index + 1 < headers.length; index += 2) {
      if (String(headers[index]).toLowerCase() === name) return String(headers[index + 1]);
    }
  }
  return undefined;
}

/** The coverage report of a running instance. */
export function coverageReport(
  monitor: CoverageMonitor,
  adapters: { registered: readonly string[]; enabled: readonly string[]; autoInstrument: boolean },
  egress: { mode: EgressMode; installed: boolean },
  searchPaths: readonly string[] = appSearchPaths(),
): Coverage {
  const sdks = checkInstalls(findSdkInstalls(searchPaths), adapters);
  const ungovernedRequests = monitor.ungovernedRequests;
  return {
    governed:
      sdks.every((sdk) => sdk.status === 'governed') &&
      ungovernedRequests.every((request) => request.handledBy === 'egress'),
    egress,
    sdks,
    ungovernedRequests,
  };
}

/** The adapters that govern the app's copy: enabled, patched something, and no request of their SDK escaped. */
export function governingAdapters(enabled: readonly GenOpsAdapter[], monitor: CoverageMonitor): string[] {
  const escaped = monitor.ungovernedSdks;
  return enabled.filter((adapter) => !escaped.has(adapter.instruments)).map((adapter) => adapter.name);
}

/** The init-time warning: ungoverned SDK installs, in one message (nothing when all are governed). */
export function installWarning(sdks: readonly CoverageSdk[]): string | undefined {
  const ungoverned = sdks.filter((sdk) => sdk.status === 'ungoverned');
  if (ungoverned.length === 0) return undefined;
  const lines = ungoverned.map(
    (sdk) => `${sdk.sdk}${sdk.version ? `@${sdk.version}` : ''} (${sdk.root}): ${sdk.reason}. Fix: ${sdk.fix}.`,
  );
  return `${ungoverned.length === 1 ? 'an SDK install is' : `${ungoverned.length} SDK installs are`} not governed by GenOps: ${lines.join(' ')}`;
}
