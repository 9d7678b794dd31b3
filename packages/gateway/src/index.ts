// @genops/gateway: an OpenAI- and Anthropic-compatible HTTP gateway; every request is one governed unit.
export { createGateway, type Gateway, startGateway } from './gateway';
export {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  type GatewayOptions,
  type GatewayPlugin,
  hashKey,
  type ProviderName,
  type UpstreamOptions,
  type VirtualKeyOptions,
} from './options';
export { VERSION } from './version';
