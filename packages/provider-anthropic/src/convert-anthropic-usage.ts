// The Anthropic usage wire format is read in core, once for every adapter that sees it.
export {
  type AnthropicUsageWire,
  mergeAnthropicUsage,
  usageFromAnthropic as convertAnthropicUsage,
} from '@genops/core/adapter';
