export { expectGenOpsCompliant } from './expect-compliant';
export { startFakeOpenAI } from './fake-openai-server';
export { createTestTelemetry, type TestTelemetry, type TestTelemetryOptions } from './telemetry';
export type { FakeOpenAIServer, FakeReply, FakeUsage, RecordedRequest, StartFakeOpenAIOptions } from './types';
