import type { GenAIOperationName } from './semconv';

/**
 * Who a call is for. `team`, `project` and `environment` are required by the GenOps spec; the others
 * are optional dimensions budgets and policies can match on. Extra keys are allowed and can be used
 * in `match` and `per` too.
 */
export interface Attribution {
  team?: string;
  project?: string;
  environment?: string;
  customer?: string;
  feature?: string;
  user?: string;
  session?: string;
  costCenter?: string;
  [key: string]: string | undefined;
}

/**
 * Token usage normalized across providers. Adapters document their provider's quirks where they map
 * to this shape.
 */
export interface Usage {
  /** All input tokens, cached (read and written) included. */
  inputTokens: number;
  /** All output tokens, reasoning included. */
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache (part of `inputTokens`). */
  cacheReadInputTokens?: number;
  /** Input tokens written to the provider's prompt cache (part of `inputTokens`). */
  cacheWriteInputTokens?: number;
  /** Of `cacheWriteInputTokens`, those written with a 1-hour (or longer) TTL. */
  cacheWrite1hInputTokens?: number;
  /** Output tokens spent on reasoning (part of `outputTokens`). */
  reasoningOutputTokens?: number;
  /** The provider's own usage object, unchanged. */
  raw?: unknown;
}

/** What an adapter tells the core about a call before it runs (the `describe` step). */
export interface GovernedRequest {
  /** `gen_ai.provider.name`, e.g. `openai`. */
  provider: string;
  /** `gen_ai.operation.name`. */
  operation: GenAIOperationName;
  /** Requested model id. */
  model: string;
  /** The SDK method, for logs and `genops.operation.name` detail, e.g. `chat.completions.create`. */
  method?: string;
  stream?: boolean;
  /** Output cap the request sets (`max_tokens`, `max_output_tokens`, ...). */
  maxOutputTokens?: number;
  /**
   * Upper bound of the request's input tokens. Adapters use {@link estimateInputTokens} over the
   * request's text, which over-estimates on purpose: the reservation must be a worst case.
   */
  estimatedInputTokens: number;
  /** Extra `gen_ai.request.*` attributes (temperature, top_p, seed, ...). */
  requestAttributes?: Record<string, string | number | boolean | string[] | undefined>;
  serverAddress?: string;
  serverPort?: number;
  /** Region the call goes to, for providers with regions. */
  region?: string;
  /** Tool names the request offers the model. */
  tools?: string[];
  /** For `execute_tool` units: the tool being called (tool rules decide on its name). */
  tool?: { name: string; callId?: string; type?: string };
  /**
   * The request's text parts (messages, prompt, instructions, embedding input), read lazily by content
   * rules. Never recorded unless content capture is on.
   */
  text?: () => string[];
  /**
   * What the core may change before the request is sent: `model` (a budget's downgrade) and `text`
   * (redaction). The adapter applies {@link RequestEdits} from `GovernedCall.edits` to what it sends.
   * A redact rule on a request whose text is not editable denies the call instead (fail closed).
   */
  editable?: { model?: boolean; text?: boolean };
  /** Lazy accessor for prompt content; read only when content capture is on. */
  content?: () => { input?: unknown; system?: unknown };
  /**
   * Billable units beyond tokens the request may use (images of a size and quality, seconds of audio or
   * video, characters), reserved at the model's unit prices on top of the token worst case.
   */
  units?: ReservationUnits;
  /**
   * A provider batch job (OpenAI `batches.create`, Anthropic message batches): one unit for many
   * requests, reserved and settled at the model's batch rates. The output worst case is
   * `cappedOutputTokens` (the sum of the capped requests' caps) plus the model's output limit for each
   * of the `uncappedRequests`; set `maxOutputTokens` (their sum) only when every request is capped.
   */
  batch?: { requests: number; uncappedRequests: number; cappedOutputTokens: number };
  /**
   * Model requests the unit may make (an agent turn that runs several requests on the provider's side):
   * the worst case is this many times one request's (input estimate and output bound each). Default 1.
   */
  modelRequests?: number;
}

/** Non-token units a request may use, as a worst case (see `BillableUsage` for the settled amounts). */
export interface ReservationUnits {
  /** Images of one size/quality each (`count` default 1); an unknown size reserves the dearest. */
  images?: ReadonlyArray<{ count?: number; size?: string; quality?: string }>;
  audioInputSeconds?: number;
  audioOutputSeconds?: number;
  /** Seconds of generated video, and its size (`1280x720`) when the rate depends on it. */
  videoSeconds?: number;
  videoSize?: string;
  /** Input characters (text-to-speech). */
  characters?: number;
  computeSeconds?: number;
  /** Tokens a fine-tuning job trains on (file tokens × epochs). */
  trainingTokens?: number;
}

/** Changes the core asks the adapter to make to a request before it is sent. */
export interface RequestEdits {
  /** Send the call to this model instead (a budget with `action: downgrade`). */
  model?: string;
  /** Rewrite every text part with this function (redaction). */
  text?: (text: string) => string;
}

/** What an adapter reads from a response. */
export interface ResponseInfo {
  id?: string;
  model?: string;
  finishReasons?: string[];
  /** Lazy accessor for completion content; read only when content capture is on. */
  output?: () => unknown;
}

/** Money and token amounts as the core keeps them. */
export type AccountingUnit = 'USD' | 'tokens';
