import { registerAdapter } from '@genops/core/adapter';
import { googleGenAIAdapter } from './google-adapter';

export { convertGoogleEmbeddingUsage, convertGoogleUsage } from './convert-google-usage';
export { describeGoogleRequest } from './describe-google-request';
export { googleGenAIAdapter } from './google-adapter';
export { instrumentGoogleGenAI } from './instrument-google';
export { VERSION } from './version';

// Loading this package registers it, so `GenOps.init()` governs `@google/genai` with no code change.
registerAdapter(googleGenAIAdapter);
