import { registerAdapter } from '@genops/core/adapter';
import { bedrockAdapter } from './bedrock-adapter';

export { bedrockAdapter } from './bedrock-adapter';
export { convertBedrockUsage, convertInvocationMetrics, convertInvokeBodyUsage } from './convert-bedrock-usage';
export { describeBedrockRequest } from './describe-bedrock-request';
export { instrumentBedrock } from './instrument-bedrock';
export { VERSION } from './version';

// Loading this package registers it, so `GenOps.init()` governs the Bedrock Runtime SDK with no code change.
registerAdapter(bedrockAdapter);
