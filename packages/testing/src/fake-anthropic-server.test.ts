import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAnthropicServer, startFakeAnthropic } from './fake-anthropic-server';

// Wire-level checks with plain fetch; the adapter tests drive it with the real @anthropic-ai/sdk.

let server: FakeAnthropicServer;
const body = { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

function post(payload: unknown, headers: Record<string, string> = { 'x-api-key': 'k' }): Promise<Response> {
  return fetch(`${server.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
}

beforeAll(async () => {
  server = await startFakeAnthropic();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('startFakeAnthropic', () => {
  it('answers a Message with Anthropic usage (input_tokens excludes cache counts)', async () => {
    server.enqueue({ usage: { input: 5, output: 7, cacheRead: 3, cacheWrite: 4, cacheWrite1h: 1 } });
    const response = await post(body);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    const message = await response.json();
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'Hello from the fake Anthropic server.' }],
      usage: {
        input_tokens: 5,
        output_tokens: 7,
        cache_read_input_tokens: 3,
        cache_creation_input_tokens: 4,
        cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 1 },
      },
    });
    expect(server.requests[0]?.body).toEqual(body);
  });

  it('streams named SSE events in the Messages order', async () => {
    const response = await post({ ...body, stream: true }, { authorization: 'Bearer k' });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const names = [...text.matchAll(/^event: (\S+)$/gm)].map((match) => match[1]);
    expect(names[0]).toBe('message_start');
    expect(names).toContain('content_block_start');
    expect(names).toContain('content_block_delta');
    expect(names).toContain('content_block_stop');
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
  });

  it('answers errors as {type: "error", error: {type, message}}, and 401 without a key', async () => {
    server.enqueue({ status: 429, error: { message: 'slow down' } });
    const limited = await post(body);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'slow down' },
    });
    const unauthorized = await post(body, {});
    expect(unauthorized.status).toBe(401);
    expect((await unauthorized.json()).error.type).toBe('authentication_error');
  });
});

describe('startFakeAnthropic: what the SDK examples need', () => {
  const schema = {
    type: 'object',
    properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
    required: ['name', 'tags'],
  };
  const weather = {
    name: 'get_weather',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  };

  it('answers a structured-output request with a minimal JSON value of its schema', async () => {
    const message = await (await post({ ...body, output_config: { format: { type: 'json_schema', schema } } })).json();
    expect(JSON.parse(message.content[0].text)).toEqual({ name: '', tags: [] });
  });

  it('answers tools with text by default, and with a tool call when answerTools is on', async () => {
    const request = { ...body, tools: [weather] };
    expect((await (await post(request)).json()).stop_reason).toBe('end_turn');
    const tooling = await startFakeAnthropic({ answerTools: true });
    try {
      const call = (payload: unknown) =>
        fetch(`${tooling.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
          body: JSON.stringify(payload),
        }).then((response) => response.json() as Promise<any>);
      const first = await call(request);
      expect(first.stop_reason).toBe('tool_use');
      expect(first.content[1]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: '' } });
      // Once the tool's result is in the conversation, the model answers in text.
      const toolResult = {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: first.content[1].id, content: '73f' }],
      };
      const second = await call({
        ...request,
        messages: [...body.messages, { role: 'assistant', content: first.content }, toolResult],
      });
      expect(second.stop_reason).toBe('end_turn');
      // tool_choice none: no call.
      expect((await call({ ...request, tool_choice: { type: 'none' } })).stop_reason).toBe('end_turn');
    } finally {
      await tooling.close();
    }
  });

  it('pretends the MCP call of a request with mcp_servers, before the text', async () => {
    const mcp = {
      type: 'url',
      url: 'http://mcp.invalid/sse',
      name: 'example',
      tool_configuration: { allowed_tools: ['add'] },
    };
    const message = await (await post({ ...body, mcp_servers: [mcp] })).json();
    expect(message.content.map((block: { type: string }) => block.type)).toEqual([
      'mcp_tool_use',
      'mcp_tool_result',
      'text',
    ]);
    expect(message.content[0]).toMatchObject({ name: 'add', server_name: 'example' });
    expect(message.content[1].tool_use_id).toBe(message.content[0].id);
  });

  it('runs a managed-agents turn for a user message and streams it as SSE, history first', async () => {
    const json = (path: string, payload?: unknown) =>
      fetch(`${server.url}${path}`, {
        method: payload === undefined ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
        ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      }).then((response) => response.json() as Promise<any>);
    const environment = await json('/v1/environments', { name: 'e' });
    const agent = await json('/v1/agents', { name: 'a', model: 'claude-haiku-4-5' });
    expect(agent).toMatchObject({
      id: expect.stringMatching(/^agent_/),
      model: { id: 'claude-haiku-4-5' },
      version: 1,
    });
    const session = await json('/v1/sessions', { environment_id: environment.id, agent: agent.id });
    expect(session.agent.model.id).toBe('claude-haiku-4-5');
    server.enqueue({ content: 'Hi!', usage: { input: 12, output: 4 } });
    await json(`/v1/sessions/${session.id}/events`, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'Hello' }] }],
    });
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/sessions/${session.id}/events/stream`, {
      headers: { 'x-api-key': 'k' },
      signal: controller.signal,
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('session.status_idle')) text += (await reader.read()).value ?? '';
    controller.abort();
    const events = text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)));
    expect(events.map((event) => event.type)).toEqual([
      'user.message',
      'session.status_running',
      'span.model_request_start',
      'agent.message',
      'span.model_request_end',
      'session.usage',
      'session.status_idle',
    ]);
    expect(events[3].content).toEqual([{ type: 'text', text: 'Hi!' }]);
    expect(events[4].model_usage).toMatchObject({ input_tokens: 12, output_tokens: 4 });
    // The session keeps its cumulative usage.
    expect((await json(`/v1/sessions/${session.id}`)).usage).toMatchObject({ input_tokens: 12, output_tokens: 4 });
  });
});

describe('startFakeAnthropic: a self-hosted environment’s work queue', () => {
  const work = (environmentId: string, rest: string, key: string, method = 'POST', json?: unknown) =>
    fetch(`${tools.url}/v1/environments/${environmentId}/work/${rest}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });

  let tools: FakeAnthropicServer;
  beforeAll(async () => {
    tools = await startFakeAnthropic({ answerTools: true });
  });
  afterAll(() => tools.close());

  it('queues a work item for a turn in a self-hosted session; poll, ack, heartbeat until the turn ends, stop', async () => {
    const { environmentId, environmentKey, sessionId, workId } = tools.claimedWorkItem('What is the current time?', [
      { type: 'agent_toolset_20260401' },
      { type: 'custom', name: 'current_time', input_schema: { type: 'object', properties: {} } },
    ]);
    // Claimed already: nothing to poll; the work routes take the environment key only.
    expect((await work(environmentId, 'poll?block_ms=0', environmentKey, 'GET')).status).toBe(204);
    expect((await work(environmentId, `${workId}/heartbeat`, 'sk-ant-other', 'POST')).status).toBe(401);
    const beat = await (await work(environmentId, `${workId}/heartbeat`, environmentKey)).json();
    expect(beat).toMatchObject({ type: 'work_heartbeat', state: 'active', lease_extended: true, ttl_seconds: 2 });

    // The agent runs bash (an echo) on the worker, then the tool the message names, then answers.
    const events = async () =>
      (await (await fetch(`${tools.url}/v1/sessions/${sessionId}/events`)).json()).data as any[];
    const pending = (await events()).filter((event) => event.type.startsWith('agent.'));
    expect(pending.map((event) => [event.type, event.name, event.input])).toEqual([
      ['agent.tool_use', 'bash', { command: 'echo "hello from the fake agent"' }],
    ]);
    const answer = (result: unknown) =>
      fetch(`${tools.url}/v1/sessions/${sessionId}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: [result] }),
      });
    await answer({ type: 'user.tool_result', tool_use_id: pending[0].id, content: [] });
    const custom = (await events()).find((event) => event.type === 'agent.custom_tool_use');
    expect(custom?.name).toBe('current_time');
    // Still waiting for a tool result: the lease goes on.
    expect((await (await work(environmentId, `${workId}/heartbeat`, environmentKey)).json()).state).toBe('active');
    await answer({ type: 'user.custom_tool_result', custom_tool_use_id: custom.id, content: [] });
    expect((await events()).at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    // The turn is over: the heartbeat asks the worker to stop.
    expect(await (await work(environmentId, `${workId}/heartbeat`, environmentKey)).json()).toMatchObject({
      state: 'stopping',
      lease_extended: false,
    });
    expect(
      await (await work(environmentId, `${workId}/stop`, environmentKey, 'POST', { force: true })).json(),
    ).toMatchObject({
      id: workId,
      state: 'stopped',
    });
    expect((await work(environmentId, `${workId}/stop`, environmentKey)).status).toBe(409);

    // A new user message queues a new item, which a poll hands out (then claimed with ack).
    await answer({ type: 'user.message', content: [{ type: 'text', text: 'Again' }] });
    const polled = await (await work(environmentId, 'poll?block_ms=999', environmentKey, 'GET')).json();
    expect(polled).toMatchObject({ type: 'work', state: 'queued', data: { type: 'session', id: sessionId } });
    expect((await (await work(environmentId, `${polled.id}/ack`, environmentKey)).json()).state).toBe('starting');
  });
});
