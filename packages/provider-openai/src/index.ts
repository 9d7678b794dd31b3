import { registerAdapter } from '@genops/core';
import { openAIAdapter } from './openai-adapter';

export { convertChatUsage, convertResponsesUsage } from './convert-openai-usage';
export { describeOpenAIRequest, type OpenAIMethod, providerFromBaseURL } from './describe-openai-request';
export { type InstrumentOpenAIOptions, instrumentOpenAI } from './instrument-openai';
export { openAIAdapter } from './openai-adapter';
export { VERSION } from './version';

// Loading this package registers it, so `GenOps.init()` governs the OpenAI SDK with no code change.
registerAdapter(openAIAdapter);
