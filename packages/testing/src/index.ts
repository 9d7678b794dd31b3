export {
  type DebianPackageOptions,
  findExecutable,
  findOrInstallDebianPackage,
  isExecutable,
} from './debian-package';
export { expectGenOpsCompliant } from './expect-compliant';
export { FAKE_AGENT_BASH_COMMAND, FAKE_WORK_MAX_MS, FAKE_WORK_TTL_SECONDS } from './fake-anthropic-agents';
export {
  FAKE_ANTHROPIC_EXAMPLE_BATCH_ID,
  type FakeAnthropicReply,
  type FakeAnthropicRequest,
  type FakeAnthropicServer,
  type FakeAnthropicUsage,
  type StartFakeAnthropicOptions,
  startFakeAnthropic,
} from './fake-anthropic-server';
export {
  type FakeBedrockFamily,
  type FakeBedrockReply,
  type FakeBedrockRequest,
  type FakeBedrockServer,
  type FakeBedrockUsage,
  startFakeBedrock,
} from './fake-bedrock-server';
export { type FakeEntraServer, type FakeEntraTokenRequest, startFakeEntra } from './fake-entra-server';
export {
  type FakeGeminiLiveServer,
  type FakeGeminiLiveUsage,
  geminiLiveUsageWire,
  startFakeGeminiLive,
} from './fake-gemini-live';
export { FAKE_LYRIA_BYTES_PER_SECOND, type FakeLyriaServer, startFakeLyria } from './fake-gemini-live-music';
export {
  type FakeGeminiReply,
  type FakeGeminiRequest,
  type FakeGeminiServer,
  type FakeGeminiUsage,
  type StartFakeGeminiOptions,
  startFakeGemini,
} from './fake-google-server';
export { startFakeOpenAI } from './fake-openai-server';
export {
  type FakeRealtimeServer,
  type FakeRealtimeUsage,
  realtimeUsageWire,
  type StartFakeRealtimeOptions,
  startFakeRealtime,
} from './fake-realtime-server';
export { collectGarbageUntil, promotedAfter } from './garbage';
export { type OpenCallThenKillOptions, openCallThenKill } from './killed-process';
export {
  type FakeOpenAIBehindMtls,
  type MtlsProxy,
  type MtlsProxyRequest,
  startFakeOpenAIBehindMtls,
  startMtlsProxy,
} from './mtls-proxy';
export { createTestTelemetry, type TestTelemetry, type TestTelemetryOptions } from './telemetry';
export { createTestCertificates, type TestCertificates } from './test-certificates';
export type { FakeOpenAIServer, FakeReply, FakeUsage, RecordedRequest, StartFakeOpenAIOptions } from './types';
