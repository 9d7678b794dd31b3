import type { APIPromiseClass } from './govern-anthropic-call';

interface ResponseProps {
  response: Response;
}
type Parse = (client: unknown, props: ResponseProps) => unknown;

/**
 * Stand-in for the SDK's `APIPromise`, used only when the SDK's own class cannot be reached (a bundler
 * inlined `@anthropic-ai/sdk`, so there is no module to load it from). Same surface: lazy parsing on `then`,
 * `asResponse()`, `withResponse()`, `_thenUnwrap()` (used by the SDK's `parse()` and stream helpers),
 * and `_request_id` on parsed objects.
 */
export class FallbackAPIPromise<T> extends Promise<T> {
  #client: unknown;
  #responsePromise: Promise<ResponseProps>;
  #parseResponse: Parse;
  #parsed: Promise<T> | undefined;

  constructor(client: unknown, responsePromise: Promise<unknown>, parseResponse: Parse) {
    super((resolve) => resolve(null as T));
    this.#client = client;
    this.#responsePromise = responsePromise as Promise<ResponseProps>;
    this.#parseResponse = parseResponse;
  }

  // Promise methods (then/catch/finally) must build plain promises, not new instances of this class.
  static override get [Symbol.species]() {
    return Promise;
  }

  _thenUnwrap<U>(transform: (data: T, props: ResponseProps) => U): FallbackAPIPromise<U> {
    return new FallbackAPIPromise<U>(this.#client, this.#responsePromise, async (client, props) =>
      withRequestId(transform((await this.#parseResponse(client, props)) as T, props), props.response),
    );
  }

  asResponse(): Promise<Response> {
    return this.#responsePromise.then((props) => props.response);
  }

  async withResponse(): Promise<{ data: T; response: Response; request_id: string | null }> {
    const [data, response] = await Promise.all([this.#parse(), this.asResponse()]);
    return { data, response, request_id: response.headers.get('request-id') };
  }

  #parse(): Promise<T> {
    this.#parsed ??= this.#responsePromise.then((props) => this.#parseResponse(this.#client, props) as T);
    return this.#parsed;
  }

  // biome-ignore lint/suspicious/noThenProperty: it is a Promise subclass; parsing is lazy, like the SDK's.
  override then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#parse().then(onfulfilled, onrejected);
  }

  override catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.#parse().catch(onrejected);
  }

  override finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#parse().finally(onfinally);
  }
}

function withRequestId<U>(value: U, response: Response): U {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.defineProperty(value, '_request_id', {
    value: response.headers.get('request-id'),
    enumerable: false,
  });
}

export const fallbackAPIPromise = FallbackAPIPromise as unknown as APIPromiseClass;
