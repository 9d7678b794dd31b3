/** Options of {@link governLLM}. */
export interface GovernLLMOptions {
  /**
   * `gen_ai.provider.name` of the calls. Default: from the LLM's class (`OpenAI` → `openai`,
   * `Anthropic` → `anthropic`, `Gemini` → `gcp.gemini`, `Ollama` → `ollama`, `MockLLM` →
   * `llamaindex.mock`, ...; an unknown class → its name in lower case). Prices and `provider` rules
   * match on it.
   */
  provider?: string;
  /**
   * OpenAI Chat Completions LLMs (`@llamaindex/openai` `OpenAI` and its subclasses) only report a
   * stream's usage when asked with `stream_options: { include_usage: true }`. By default GenOps asks
   * when the call does not say, and keeps the extra usage-only chunk from the caller, so streams are
   * priced exactly. `false` leaves the request alone: such streams then settle from their reservation,
   * flagged incomplete.
   */
  includeStreamUsage?: boolean;
}
