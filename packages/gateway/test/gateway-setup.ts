// What the gateway tests share: the fake providers, in-memory telemetry, and a gateway between them.
import type { GenOpsOptions } from '@genops/core';
import { createTestTelemetry, startFakeAnthropic, startFakeOpenAI } from '@genops/testing';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type Gateway, type GatewayOptions, startGateway } from '../src/index';

export const TEAM_A_KEY = 'gk-team-a-0123456789abcdef';
export const TEAM_B_KEY = 'gk-team-b-fedcba9876543210';

export interface GatewaySetup {
  readonly openai: Awaited<ReturnType<typeof startFakeOpenAI>>;
  readonly anthropic: Awaited<ReturnType<typeof startFakeAnthropic>>;
  readonly telemetry: ReturnType<typeof createTestTelemetry>;
  /** The gateway of the running test (closed after it). */
  readonly gateway: Gateway;
  /** Starts a gateway in front of the fakes, with virtual keys for team a and team b. */
  start(genops?: GenOpsOptions, options?: Partial<GatewayOptions>): Promise<Gateway>;
}

/** Registers the fakes (per file) and the gateway (per test). */
export function useGateway(): GatewaySetup {
  let openai: GatewaySetup['openai'];
  let anthropic: GatewaySetup['anthropic'];
  const telemetry = createTestTelemetry();
  let gateway: Gateway | undefined;
  beforeAll(async () => {
    openai = await startFakeOpenAI();
    anthropic = await startFakeAnthropic();
  });
  afterAll(async () => {
    await Promise.all([openai.close(), anthropic.close(), telemetry.shutdown()]);
  });
  beforeEach(() => {
    openai.reset();
    anthropic.reset();
    telemetry.resetSpans();
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });
  return {
    get openai() {
      return openai;
    },
    get anthropic() {
      return anthropic;
    },
    telemetry,
    get gateway() {
      if (!gateway) throw new Error('no gateway started in this test');
      return gateway;
    },
    async start(genops = {}, options = {}) {
      gateway = await startGateway({
        upstreams: {
          openai: { baseUrl: openai.url, apiKey: 'sk-upstream-openai' },
          anthropic: { baseUrl: anthropic.url, apiKey: 'sk-upstream-anthropic' },
        },
        virtualKeys: [
          {
            name: 'team-a',
            key: TEAM_A_KEY,
            attribution: { team: 'a', project: 'p', customer: 'c', environment: 'dev' },
          },
          { name: 'team-b', key: TEAM_B_KEY, attribution: { team: 'b', project: 'q', environment: 'prod' } },
        ],
        genops: {
          tracerProvider: telemetry.tracerProvider,
          meterProvider: telemetry.meterProvider,
          autoInstrument: false,
          egress: 'off',
          ...genops,
        },
        env: {},
        ...options,
      });
      return gateway;
    },
  };
}

/** USD on a span as integer nano-dollars. */
export const nanos = (usd: unknown): number => Math.round((usd as number) * 1e9);
