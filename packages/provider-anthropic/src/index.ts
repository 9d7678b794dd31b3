import { registerAdapter } from '@genops/core/adapter';
import { anthropicAdapter } from './anthropic-adapter';

export { anthropicAdapter } from './anthropic-adapter';
export { convertAnthropicUsage } from './convert-anthropic-usage';
export { describeAnthropicRequest } from './describe-anthropic-request';
export { instrumentAnthropic } from './instrument-anthropic';
export type { AnthropicMethod, AnthropicModule } from './types';
export { VERSION } from './version';

// Loading this package registers it, so `GenOps.init()` governs the Anthropic SDK with no code change.
registerAdapter(anthropicAdapter);
