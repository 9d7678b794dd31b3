import { registerAdapter } from '@genops/core/adapter';
import { openAIAdapter } from './openai-adapter';

export { convertChatUsage, convertResponsesUsage } from './convert-openai-usage';
export { describeOpenAIRequest, providerFromBaseURL } from './describe-openai-request';
export { instrumentOpenAI } from './instrument-openai';
export { openAIAdapter } from './openai-adapter';
export { governRealtime } from './openai-realtime';
export type { InstrumentOpenAIOptions, OpenAIMethod, OpenAIPatchedMethod } from './types';
export { VERSION } from './version';

// Loading this package registers it, so `GenOps.init()` governs the OpenAI SDK with no code change.
registerAdapter(openAIAdapter);
