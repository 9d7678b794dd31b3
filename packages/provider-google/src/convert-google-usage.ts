// The Gemini usage wire format is read in core, once for every adapter that sees it.
export {
  type GeminiUsageWire as GoogleUsageWire,
  usageFromGemini as convertGoogleUsage,
  usageFromGeminiEmbedding as convertGoogleEmbeddingUsage,
} from '@genops/core/adapter';
