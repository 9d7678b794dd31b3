import { type FakeOpenAIServer, startFakeOpenAI } from '@genops/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  heliconePropertyHeaders,
  isHeliconeBaseURL,
  liteLLMReportedCostUsd,
  withRequestHeaders,
} from './compatible-gateways';
import { describeOpenAIRequest } from './describe-openai-request';

describe('provider override', () => {
  it('wins over the base URL, and the base URL decides without it', () => {
    const body = { model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', messages: [] };
    const url = 'https://llm.internal.example.com/v1';
    expect(describeOpenAIRequest('chat.completions.create', body, url, 'together').provider).toBe('together');
    expect(describeOpenAIRequest('chat.completions.create', body, url).provider).toBe('openai');
    expect(describeOpenAIRequest('chat.completions.create', body, 'https://api.x.ai/v1', '').provider).toBe('x_ai');
  });
});

describe('Helicone', () => {
  it.each([
    ['https://oai.helicone.ai/v1', true],
    ['https://gateway.helicone.ai/v1', true],
    ['https://OAI.Helicone.ai./v1', true],
    ['https://helicone.ai/v1', false],
    ['https://oai.helicone.ai.example.com/v1', false],
    ['not a url', false],
    [undefined, false],
  ])('%s is a Helicone gateway: %s', (baseURL, expected) => {
    expect(isHeliconeBaseURL(baseURL)).toBe(expected);
  });

  it('turns attribution into Helicone-Property headers', () => {
    expect(
      heliconePropertyHeaders({
        team: 'platform',
        project: 'support-bot',
        environment: 'prod',
        costCenter: 'CC-42',
        cost_center_2: 'x',
        customer: '',
        user: undefined,
        feature: 'line1\r\nInjected: yes',
        session: 'café',
        '---': 'dropped',
      }),
    ).toEqual({
      'Helicone-Property-Team': 'platform',
      'Helicone-Property-Project': 'support-bot',
      'Helicone-Property-Environment': 'prod',
      'Helicone-Property-Cost-Center': 'CC-42',
      'Helicone-Property-Cost-Center-2': 'x',
      'Helicone-Property-Feature': 'line1%0D%0AInjected%3A%20yes',
      'Helicone-Property-Session': 'caf%C3%A9',
    });
  });
});

describe('LiteLLM reported cost', () => {
  it.each([
    ['0.00123', 0.00123],
    ['0', 0],
    ['1.5e-5', 0.000015],
    ['', undefined],
    ['abc', undefined],
    ['-1', undefined],
    ['Infinity', undefined],
  ])('header %j → %s', (value, expected) => {
    expect(liteLLMReportedCostUsd(new Headers({ 'x-litellm-response-cost': value }))).toBe(expected);
    expect(liteLLMReportedCostUsd({ 'X-LiteLLM-Response-Cost': value })).toBe(expected);
  });

  it('is undefined without the header', () => {
    expect(liteLLMReportedCostUsd(new Headers())).toBeUndefined();
    expect(liteLLMReportedCostUsd({})).toBeUndefined();
    expect(liteLLMReportedCostUsd(undefined)).toBeUndefined();
  });
});

// On the real wire (the openai SDK against the fake server): the headers the helpers build go out as
// the SDK's per-request `options.headers`, and the cost header is read from the SDK's own Response.
describe('on the wire', () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  it('Helicone property headers reach the server', async () => {
    const client = new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 });
    await client.chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10 },
      { headers: heliconePropertyHeaders({ team: 'platform', costCenter: 'CC-42' }) },
    );
    expect(server.requests[0]!.headers['helicone-property-team']).toBe('platform');
    expect(server.requests[0]!.headers['helicone-property-cost-center']).toBe('CC-42');
  });

  it('the LiteLLM cost header is read from the response', async () => {
    const client = new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 });
    server.enqueue({ headers: { 'x-litellm-response-cost': '0.000321' } });
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10 })
      .withResponse();
    expect(liteLLMReportedCostUsd(response.headers)).toBe(0.000321);
  });
});

describe('withRequestHeaders', () => {
  const ours = { 'Helicone-Property-Team': 'platform', 'Helicone-Property-Project': 'bot' };
  it('adds headers under the caller’s own, whatever form they take', () => {
    expect(withRequestHeaders(undefined, ours)).toEqual({ headers: ours });
    expect(withRequestHeaders({ timeout: 5 }, ours)).toEqual({ timeout: 5, headers: ours });
    expect(withRequestHeaders({ headers: { 'helicone-property-team': 'mine', 'x-a': '1' } }, ours)).toEqual({
      headers: { 'Helicone-Property-Project': 'bot', 'helicone-property-team': 'mine', 'x-a': '1' },
    });
    expect(withRequestHeaders({ headers: [['HELICONE-PROPERTY-TEAM', 'mine']] }, ours)).toEqual({
      headers: [
        ['Helicone-Property-Project', 'bot'],
        ['HELICONE-PROPERTY-TEAM', 'mine'],
      ],
    });
    expect(withRequestHeaders({ headers: new Headers({ 'x-a': '1' }) }, ours)).toEqual({
      headers: [
        ['Helicone-Property-Team', 'platform'],
        ['Helicone-Property-Project', 'bot'],
        ['x-a', '1'],
      ],
    });
  });

  it('returns the options unchanged when there is nothing to add or they cannot be merged', () => {
    const options = { headers: { 'Helicone-Property-Team': 'a', 'Helicone-Property-Project': 'b' } };
    expect(withRequestHeaders(options, ours)).toBe(options);
    expect(withRequestHeaders(options, {})).toBe(options);
    const branded = { headers: { [Symbol('brand')]: true, values: new Headers(), nulls: new Set() } };
    expect(withRequestHeaders(branded, ours)).toBe(branded);
    const map = { headers: new Map([['x-a', '1']]) };
    expect(withRequestHeaders(map, ours)).toBe(map);
  });
});
