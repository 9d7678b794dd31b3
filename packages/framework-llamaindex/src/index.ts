import { registerAdapter } from '@genops/core/adapter';
import { llamaIndexAdapter } from './llamaindex-adapter';

export {
  convertAnthropicUsage,
  convertGeminiUsage,
  convertOpenAIChatUsage,
  convertOpenAIResponsesUsage,
  StreamUsageReader,
  usageFromRaw,
} from './convert-llamaindex-usage';
export { governLLM, governSettingsLLM, isGovernedLLM } from './govern-llm';
export { llamaIndexAdapter } from './llamaindex-adapter';
export { providerOfLLM } from './llamaindex-provider';
export { traceLlamaIndexSteps } from './llamaindex-steps';
export type { GovernLLMOptions } from './types';
export { VERSION } from './version';

// Loading this package registers it, so `GenOps.init()` traces LlamaIndex query and retrieval steps.
registerAdapter(llamaIndexAdapter);
