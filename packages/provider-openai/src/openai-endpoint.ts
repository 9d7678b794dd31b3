import type { CallOutcome, GovernedCall, GovernedRequest, RequestEdits, StreamObserver } from '@genops/core/adapter';

/**
 * A billable OpenAI SDK method beyond the token APIs (images, audio, batches, videos), governed by the
 * same pipeline as `create`: the adapter describes the request (with its non-token units) and reads the
 * result. One file per endpoint group (`openai-images.ts`, `openai-audio.ts`, ...) exports its specs.
 */
export interface OpenAIEndpoint {
  /** `images.generate`: the SDK path, recorded as the unit's method. */
  method: string;
  /** The method's name on its resource class. */
  key: string;
  /** Where the resource sits on a client (`['images']`). */
  path: readonly string[];
  /** The resource class on the SDK module. */
  resource: (OpenAI: any) => any;
  /** The governed request; `base` holds provider and server from the client's base URL. */
  describe(body: any, base: EndpointBase, client: any): GovernedRequest | Promise<GovernedRequest>;
  /** A copy of the body with governance edits applied (redacted text); omit when nothing is editable. */
  edit?(body: any, edits: RequestEdits): any;
  /** Usage and response info of a parsed (non-streamed) result. */
  outcome(result: any, body: any): CallOutcome;
  /** Reads streamed events (endpoints that stream). */
  streamObserver?(body: any): StreamObserver<any>;
  /** Keeps the unit open when the result starts work billed later (see `StainlessCallPlan.defer`). */
  defer?(result: any, call: GovernedCall): boolean;
  /**
   * The method takes a resource id before its body (`videos.remix(videoID, body, options)`): `describe`
   * gets it as `body[RESOURCE_ID]`, and the SDK method is called with it again.
   */
  leadingId?: true;
}

/** Where `describe` finds the leading id of a `leadingId` method (not sent: the SDK gets the caller's body). */
export const RESOURCE_ID = Symbol('genops.openai.resourceId');

/** What every described request starts from: provider and `server.*` of the client. */
export interface EndpointBase {
  provider: string;
  serverAddress?: string;
  serverPort?: number;
}

/** A stream observer for endpoints whose events carry nothing GenOps reads. */
export const NO_STREAM: StreamObserver<unknown> = { onChunk() {}, outcome: () => ({}) };

/** The first finite, non-negative number among `values`. */
export function countOf(...values: unknown[]): number | undefined {
  for (const value of values) if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  return undefined;
}
