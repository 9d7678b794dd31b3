// `gen_ai.provider.name` of a LlamaIndex.TS LLM, from its class. LlamaIndex's provider packages name
// their classes after the provider (`@llamaindex/openai` `OpenAI`, `@llamaindex/anthropic` `Anthropic`,
// ...), and OpenAI-compatible ones extend `OpenAI` (`Groq`, `DeepSeekLLM`, ...): the prototype chain is
// walked from the LLM's own class up, so the most specific known class wins.

const PROVIDERS: Readonly<Record<string, string>> = {
  OpenAI: 'openai',
  OpenAIResponses: 'openai',
  AzureOpenAI: 'azure.ai.openai',
  Anthropic: 'anthropic',
  Gemini: 'gcp.gemini',
  GeminiVertexSession: 'gcp.vertex_ai',
  VertexAI: 'gcp.vertex_ai',
  Ollama: 'ollama',
  Groq: 'groq',
  DeepSeekLLM: 'deepseek',
  MistralAI: 'mistral_ai',
  Bedrock: 'aws.bedrock',
  Perplexity: 'perplexity',
  XAILLM: 'x_ai',
  TogetherLLM: 'together',
  FireworksLLM: 'fireworks',
  MockLLM: 'llamaindex.mock',
};

/** Classes whose chat requests use the OpenAI Chat Completions wire format (and its `stream_options`). */
const OPENAI_CHAT_CLASS = 'OpenAI';

/** The class names of `value`, its own class first. */
export function classChain(value: object): string[] {
  const names: string[] = [];
  let prototype: unknown = Object.getPrototypeOf(value);
  while (prototype && prototype !== Object.prototype && names.length < 16) {
    const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name !== '') names.push(name);
    prototype = Object.getPrototypeOf(prototype);
  }
  return names;
}

/**
 * `gen_ai.provider.name` for an LLM: the first known class in its chain, else its own class name in
 * lower case (a provider GenOps does not know by name), else `llamaindex`.
 */
export function providerOfLLM(llm: object): string {
  const chain = classChain(llm);
  for (const name of chain) {
    const provider = PROVIDERS[name];
    if (provider) return provider;
  }
  return chain[0]?.toLowerCase() ?? 'llamaindex';
}

/** Whether the LLM is `@llamaindex/openai`'s `OpenAI` (Chat Completions) or a subclass of it. */
export function isOpenAIChatLLM(llm: object): boolean {
  return classChain(llm).includes(OPENAI_CHAT_CLASS);
}
