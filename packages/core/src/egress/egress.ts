// Installs egress governance for the process: the interceptor in front of undici's global dispatcher
// (Node's `fetch`; pass-through.ts: a request egress leaves alone goes straight to the dispatcher that
// was there), and a diagnostics_channel listener for `node:http` / `node:https` requests. Uninstalling
// restores the dispatcher that was there before, if nobody replaced ours since.
import { diag } from '@opentelemetry/api';
import { watchDispatcherBypass, wrapFetchDispatcher } from './dispatcher-bypass';
import { EgressState } from './egress-state';
import { subscribeHttpEgress } from './http-egress';
import { egressInterceptor } from './interceptor';
import { type EgressMode, type EgressOptions, resolveEgress } from './options';
import { egressDispatcher, isComposable } from './pass-through';
import { installGovernedWebSocket } from './websocket-egress';

/** Where undici (Node's bundled copy and the npm package alike) keeps the global dispatcher. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

interface DispatcherLike {
  dispatch(...args: unknown[]): unknown;
  compose?(...interceptors: unknown[]): unknown;
}

/** What egress governance covers in this process (`GenOps.status().coverage` lists it). */
export interface EgressStatus {
  mode: EgressMode;
  /**
   * `fetch` (undici's global dispatcher): `intercepted` (the interceptor is in place), `replaced` (the
   * app set another global dispatcher after GenOps.init(): its requests are not seen), `unsupported`
   * (the global dispatcher has no `compose`), `off`.
   */
  fetch: 'intercepted' | 'replaced' | 'unsupported' | 'off';
  /**
   * `node:http` / `node:https`: `governed` (held until policy and the reservation decide), `deny`
   * (refused before a byte of the request is sent), `reported` (warn mode) or `off`.
   */
  http: 'governed' | 'deny' | 'reported' | 'off';
  /**
   * Requests through another undici dispatcher: `fetch(url, { dispatcher })` gets the interceptor too
   * (`intercepted`, when the global fetch is GenOps' wrapper); others (an Agent, Pool or Client used
   * directly) are refused under `deny` and reported otherwise. `off` when egress is off.
   */
  otherDispatchers: 'intercepted' | 'replaced' | 'off';
  /** Hosts configured besides the known provider hosts. */
  userHosts: number;
}

interface Installed {
  state: EgressState;
  previous: DispatcherLike | undefined;
  composed: DispatcherLike | undefined;
  fetch: EgressStatus['fetch'];
  unsubscribeHttp: (() => void) | undefined;
  unwatchBypass: () => void;
  fetchWrapper: { restore: () => void; fetch: unknown };
  userHosts: number;
  /** Puts the global WebSocket back (govern mode governs realtime sessions through it). */
  restoreWebSocket?: () => void;
}

let installed: Installed | undefined;

/** Installs egress governance per the option and `GENOPS_EGRESS`; replaces an earlier installation. */
export function installEgress(option?: EgressOptions, env: NodeJS.ProcessEnv = process.env): EgressStatus {
  const resolved = resolveEgress(option, env);
  uninstallEgress();
  if (resolved.mode === 'off') return egressStatus();
  const state = new EgressState(resolved);
  const slots = globalThis as unknown as Record<symbol, DispatcherLike | undefined>;
  // Node loads its bundled undici, which sets the global dispatcher, on first use of a fetch class.
  void globalThis.Headers;
  const previous = slots[GLOBAL_DISPATCHER];
  let composed: DispatcherLike | undefined;
  let fetch: EgressStatus['fetch'] = 'unsupported';
  const interceptor = egressInterceptor(state);
  if (isComposable(previous)) {
    composed = egressDispatcher(previous, state, interceptor);
    slots[GLOBAL_DISPATCHER] = composed;
    fetch = 'intercepted';
  } else {
    const message =
      'genops: egress: the global fetch dispatcher has no compose() (undici older than 6), so fetch requests to ' +
      'model providers are not governed by egress. Use undici 7 or later, or a GenOps adapter.';
    diag.warn(message);
    process.stderr.write(`${message}\n`);
  }
  installed = {
    state,
    previous,
    composed,
    fetch,
    unsubscribeHttp: subscribeHttpEgress(state),
    unwatchBypass: watchDispatcherBypass(state),
    fetchWrapper: {
      restore: wrapFetchDispatcher((dispatcher) => egressDispatcher(dispatcher, state, interceptor)),
      fetch: globalThis.fetch,
    },
    userHosts: resolved.hosts.length,
    restoreWebSocket: installGovernedWebSocket(state),
  };
  return egressStatus();
}

/** Removes egress governance; the global dispatcher from before is restored when ours is still in place. */
export function uninstallEgress(): void {
  const current = installed;
  if (!current) return;
  installed = undefined;
  const slots = globalThis as unknown as Record<symbol, DispatcherLike | undefined>;
  if (current.composed && slots[GLOBAL_DISPATCHER] === current.composed) slots[GLOBAL_DISPATCHER] = current.previous;
  current.unsubscribeHttp?.();
  current.unwatchBypass();
  current.fetchWrapper.restore();
  current.restoreWebSocket?.();
}

/**
 * True when egress governance takes this request (a billable request to a provider host, outside a
 * governed unit): coverage leaves such requests to egress instead of reporting them as ungoverned.
 */
export function egressHandles(origin: string, method: string, path: string): boolean {
  return installed?.state.target(origin, method, path) !== undefined;
}

/** The egress mode and what is installed. */
export function egressStatus(): EgressStatus {
  if (!installed) return { mode: 'off', fetch: 'off', http: 'off', otherDispatchers: 'off', userHosts: 0 };
  const slots = globalThis as unknown as Record<symbol, DispatcherLike | undefined>;
  const fetch =
    installed.fetch === 'intercepted' && slots[GLOBAL_DISPATCHER] !== installed.composed ? 'replaced' : installed.fetch;
  return {
    mode: installed.state.mode,
    fetch,
    http: installed.state.mode === 'deny' ? 'deny' : installed.state.mode === 'govern' ? 'governed' : 'reported',
    otherDispatchers: globalThis.fetch === installed.fetchWrapper.fetch ? 'intercepted' : 'replaced',
    userHosts: installed.userHosts,
  };
}
