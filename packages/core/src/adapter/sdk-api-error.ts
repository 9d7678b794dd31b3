import { GovernanceError } from '../errors/governance-error';

/** A Stainless SDK's `APIError` class (`OpenAI.APIError`, `Anthropic.APIError`), of one module graph. */
interface APIErrorClass {
  prototype: object;
  generate?(status: number, error: unknown, message: string | undefined, headers: Headers): unknown;
}

// SDK class prototype of a status (per SDK copy), and the GenOps-on-SDK prototype per pair of prototypes.
const statusPrototypes = new WeakMap<APIErrorClass, Map<number, object>>();
const derivedPrototypes = new WeakMap<object, WeakMap<object, object>>();

/**
 * A governance denial as the SDK's own error, for the SDK's helper loops that stop only on the SDK's
 * `APIError` with a final status (`@anthropic-ai/sdk`'s `SessionToolRunner`, `EnvironmentWorker` and
 * `WorkPoller` check `e instanceof APIError` and a 4xx other than 408/409/429): a copy of `error` whose
 * prototype chain is the class the SDK itself makes for that status (`APIError.generate`, as when
 * GenOps egress answers the denial with a 402/403/429 response: `PermissionDeniedError` for a 403,
 * `RateLimitError` for a 429). It stays the GenOps error: the same message, name, stack and fields
 * (`status`, `reasonCode`, `spanContext`, budget fields...), `constructor` is the GenOps class and
 * `instanceof BudgetExceededError` holds (the `Symbol.for` marker). Its `headers` also answer
 * `headers.get(name)`, as the SDK's `Headers` do. Anything else, or a client without a static `APIError`
 * (not a Stainless client), is returned as it is.
 */
export function asSdkApiError(error: unknown, client: unknown): unknown {
  if (!GovernanceError.isInstance(error)) return error;
  const APIError = (client as { constructor?: { APIError?: unknown } } | null | undefined)?.constructor?.APIError;
  if (typeof APIError !== 'function' || error instanceof (APIError as new () => object)) return error;
  const sdkPrototype = statusPrototypeOf(APIError as unknown as APIErrorClass, error.status);
  const converted = Object.create(
    derivedPrototype(sdkPrototype, Object.getPrototypeOf(error)),
    Object.getOwnPropertyDescriptors(error),
  ) as GovernanceError;
  // V8's `stack` is an accessor that reads the original object's internal slot: copy its text instead.
  Object.defineProperty(converted, 'stack', { value: error.stack, writable: true, configurable: true });
  Object.defineProperty(converted, 'headers', {
    value: headersWithGet(error.headers),
    enumerable: true,
    writable: false,
    configurable: true,
  });
  return converted;
}

/** The prototype of the error the SDK makes for `status` (its `generate` picks the class), else `APIError`'s. */
function statusPrototypeOf(APIError: APIErrorClass, status: number): object {
  let byStatus = statusPrototypes.get(APIError);
  if (!byStatus) statusPrototypes.set(APIError, (byStatus = new Map()));
  let prototype = byStatus.get(status);
  if (!prototype) {
    prototype = APIError.prototype;
    try {
      const sample = APIError.generate?.(status, undefined, undefined, new Headers());
      // `generate` of another SDK version may make a connection error: only an APIError subclass will do.
      if (sample instanceof (APIError as unknown as new () => object)) prototype = Object.getPrototypeOf(sample);
    } catch {
      // An SDK whose `generate` differs: plain `APIError`, which every helper loop checks.
    }
    byStatus.set(status, prototype!);
  }
  return prototype!;
}

/**
 * `sdkPrototype` extended by the GenOps error class's own prototype members (none today but the
 * `constructor`, so `error.constructor` is still `BudgetExceededError` and `error.type` names it).
 */
function derivedPrototype(sdkPrototype: object, genopsPrototype: object): object {
  let byGenOps = derivedPrototypes.get(sdkPrototype);
  if (!byGenOps) derivedPrototypes.set(sdkPrototype, (byGenOps = new WeakMap()));
  let derived = byGenOps.get(genopsPrototype);
  if (!derived) {
    const chain: object[] = [];
    for (let p: object | null = genopsPrototype; p && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
      chain.unshift(p);
    }
    // Base class first, so a subclass's member wins.
    const members: PropertyDescriptorMap = {};
    for (const p of chain) Object.assign(members, Object.getOwnPropertyDescriptors(p));
    derived = Object.create(sdkPrototype, members) as object;
    byGenOps.set(genopsPrototype, derived);
  }
  return derived;
}

/** The same frozen record, plus a non-enumerable `get(name)` (case-insensitive, `null` when absent). */
function headersWithGet(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const copy: Record<string, string> = { ...headers };
  Object.defineProperty(copy, 'get', {
    value: (name: string): string | null => {
      const key = String(name).toLowerCase();
      return Object.hasOwn(headers, key) ? headers[key]! : null;
    },
  });
  return Object.freeze(copy);
}
