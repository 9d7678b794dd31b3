import type { wrapLanguageModel } from 'ai';

/** A language model as the AI SDK 7 runs it (`LanguageModelV4`), e.g. `openai('gpt-4o-mini')`. */
export type VercelLanguageModel = ReturnType<typeof wrapLanguageModel>;

/** Options of {@link genopsMiddleware} and {@link governedModel}. */
export interface GenOpsMiddlewareOptions {
  /**
   * `gen_ai.provider.name` of the calls. Default: mapped from the model's AI SDK provider id
   * (`openai.chat` → `openai`, `anthropic.messages` → `anthropic`, `google.generative-ai` → `gcp.gemini`,
   * `amazon-bedrock` → `aws.bedrock`, ...; an unknown id gives the part before its first dot).
   */
  provider?: string;
  /**
   * Returns the model to send a call to when a budget with `action: downgrade` moves it to a cheaper
   * model id, e.g. `(id) => openai(id)`. Without it, a downgrade cannot be applied (the AI SDK's model
   * object fixes the model id it sends), so such a budget denies the call instead.
   */
  modelFor?: (modelId: string) => VercelLanguageModel | undefined;
  /**
   * Check the tool calls the model asks for against the policy's tool rules (and content rules on
   * their arguments) before the AI SDK executes them. A denied tool call fails the generation with the
   * `PolicyViolationError` and is recorded as a blocked `execute_tool` unit; the tool never runs.
   * Default `true`.
   */
  checkToolCalls?: boolean;
  /** `gen_ai.provider.name` of tool-call units. Default `vercel.ai` (the same as {@link GovernToolsOptions}). */
  toolProvider?: string;
}

/** Options of {@link governTools}. */
export interface GovernToolsOptions {
  /** `gen_ai.provider.name` of the tool-call units. Default `vercel.ai`. */
  provider?: string;
}
