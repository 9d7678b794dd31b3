// The governed routes are taken from node:http before fastify when no fastify hook would run for them
// (./src/direct-routes.ts), and through fastify when a plugin added one. Either way a request gets the
// same answers: forwarded and governed, or refused in the route's error format.
import Anthropic from '@anthropic-ai/sdk';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { runsNoHooks } from '../src/direct-routes';
import type { Gateway, GatewayPlugin } from '../src/index';
import { TEAM_A_KEY, useGateway } from './gateway-setup';

const setup = useGateway();

/** A plugin that shares the root instance (as `fastify-plugin` makes it): its hook runs for every route. */
function rootHookPlugin(seen: string[]): GatewayPlugin {
  const plugin = async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      seen.push(`${request.method} ${request.url}`);
    });
  };
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return plugin;
}

/** An encapsulated plugin (its own routes under a prefix, as the console is mounted): its hook is its own. */
function encapsulatedHookPlugin(seen: string[]): GatewayPlugin {
  return {
    prefix: '/own',
    plugin: async (app: FastifyInstance) => {
      app.addHook('onRequest', async (request) => {
        seen.push(`${request.method} ${request.url}`);
      });
      app.get('/ping', async () => ({ pong: true }));
    },
  };
}

const OVERSIZED = 'x'.repeat(4096);

/** One chat call through the gateway with the OpenAI SDK: the answer's text. */
async function chat(gateway: Gateway): Promise<string | null | undefined> {
  const openai = new OpenAI({ apiKey: TEAM_A_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const completion = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
  });
  return completion.choices[0]?.message.content;
}

describe('gateway: governed routes with and without fastify hooks', () => {
  it('no hook of a plugin: the governed routes skip fastify; a plugin keeps its own routes and hooks', async () => {
    const seen: string[] = [];
    const gateway = await setup.start({}, { plugins: [encapsulatedHookPlugin(seen)] });
    expect(runsNoHooks(gateway.app)).toBe(true);
    expect(await chat(gateway)).toBeTruthy();
    const ping = await fetch(`${gateway.url}/own/ping`);
    expect(await ping.json()).toEqual({ pong: true });
    // The plugin's hook saw its own route only.
    expect(seen).toEqual(['GET /own/ping']);
    expect(setup.telemetry.spans()).toHaveLength(1);
  });

  it('a plugin hook on the root instance runs for the governed routes (they go through fastify)', async () => {
    const seen: string[] = [];
    const gateway = await setup.start({}, { plugins: [rootHookPlugin(seen)] });
    expect(runsNoHooks(gateway.app)).toBe(false);
    expect(await chat(gateway)).toBeTruthy();
    expect(seen).toEqual(['POST /v1/chat/completions']);
    expect(setup.telemetry.spans()).toHaveLength(1);
  });

  for (const hooked of [false, true])
    it(`a body over maxBodyBytes is refused 413 in the route's error format, nothing sent upstream (${hooked ? 'through fastify' : 'direct'})`, async () => {
      const gateway = await setup.start({}, { maxBodyBytes: 2048, plugins: hooked ? [rootHookPlugin([])] : [] });
      expect(runsNoHooks(gateway.app)).toBe(!hooked);
      const openai = new OpenAI({ apiKey: TEAM_A_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
      const refused = await openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: OVERSIZED }] })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OpenAI.APIError);
      expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
      expect((refused as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({
        type: 'invalid_request_error',
        code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      });
      const anthropic = new Anthropic({ apiKey: TEAM_A_KEY, baseURL: gateway.url, maxRetries: 0 });
      const refusedMessage = await anthropic.messages
        .create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: OVERSIZED }] })
        .catch((error: unknown) => error);
      expect(refusedMessage).toBeInstanceOf(Anthropic.APIError);
      expect((refusedMessage as InstanceType<typeof Anthropic.APIError>).status).toBe(413);
      expect((refusedMessage as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
        type: 'error',
        error: { type: 'request_too_large' },
      });
      expect(setup.openai.requests).toHaveLength(0);
      expect(setup.anthropic.requests).toHaveLength(0);
      // The gateway still serves the next request, under the limit.
      expect(await chat(gateway)).toBeTruthy();
      expect(setup.openai.requests).toHaveLength(1);
    });
});
