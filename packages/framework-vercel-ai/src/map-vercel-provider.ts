/**
 * `gen_ai.provider.name` values for the AI SDK's provider ids, matched on the id's leading dotted
 * segments (`openai.chat` → `openai`, `google.vertex.chat` → `gcp.vertex_ai`). The longest prefix wins.
 *
 * @see https://github.com/open-telemetry/semantic-conventions/blob/v1.41.1/docs/gen-ai/gen-ai-spans.md
 */
const PROVIDERS: Readonly<Record<string, string>> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  'azure-openai': 'azure.ai.openai',
  anthropic: 'anthropic',
  google: 'gcp.gemini',
  'google.generative-ai': 'gcp.gemini',
  'google.vertex': 'gcp.vertex_ai',
  vertex: 'gcp.vertex_ai',
  'amazon-bedrock': 'aws.bedrock',
  bedrock: 'aws.bedrock',
  groq: 'groq',
  mistral: 'mistral_ai',
  deepseek: 'deepseek',
  xai: 'x_ai',
  cohere: 'cohere',
  perplexity: 'perplexity',
  'ibm-watsonx': 'ibm.watsonx.ai',
};

/**
 * Maps an AI SDK model's `provider` (`openai.chat`, `openai.responses`, `anthropic.messages`,
 * `google.generative-ai`, `amazon-bedrock`, ...) to `gen_ai.provider.name`. An id with no mapping
 * gives the part before its first dot, lowercased (`togetherai.chat` → `togetherai`).
 */
export function mapVercelProvider(provider: string): string {
  const id = provider.toLowerCase();
  const segments = id.split('.');
  for (let length = segments.length; length > 0; length--) {
    const mapped = PROVIDERS[segments.slice(0, length).join('.')];
    if (mapped) return mapped;
  }
  return segments[0] || 'unknown';
}
