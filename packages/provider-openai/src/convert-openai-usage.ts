// The OpenAI usage wire format is read in core, once for every adapter that sees it.
export {
  usageFromOpenAIChat as convertChatUsage,
  usageFromOpenAIResponses as convertResponsesUsage,
} from '@genops/core/adapter';
