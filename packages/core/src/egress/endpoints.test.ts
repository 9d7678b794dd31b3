// Relative import: @genops/testing depends on core, so core cannot depend on it.

import { describe, expect, it } from 'vitest';
import { promotedAfter } from '../../../testing/src/garbage';
import { agentsPathOf, describeWireRequest, endpointFor, isEnvironmentWorkWrite } from './endpoints';
import { HostTable, normalizeHostOption } from './hosts';
import { agentWriteIsFree } from './managed-agents-wire';
import { resolveEgress } from './options';
import { objectAfter } from './response-observer';

describe('provider host table', () => {
  const table = new HostTable([
    'localhost:11434',
    'http://litellm.internal:4000/v1',
    { host: '*.llm.example', provider: 'openai' },
  ]);

  it.each([
    ['api.openai.com', '443', 'openai'],
    ['API.OpenAI.com', '443', 'openai'],
    ['api.anthropic.com', '443', 'anthropic'],
    ['generativelanguage.googleapis.com', '443', 'gcp.gemini'],
    ['us-central1-aiplatform.googleapis.com', '443', 'gcp.vertex_ai'],
    ['bedrock-runtime.eu-west-1.amazonaws.com', '443', 'aws.bedrock'],
    ['my-resource.openai.azure.com', '443', 'azure.ai.openai'],
    ['api.mistral.ai', '443', 'mistral_ai'],
    ['openrouter.ai', '443', 'openrouter'],
    ['gw.llm.example', '443', 'openai'],
  ])('%s:%s is %s', (host, port, provider) => {
    expect(table.match(host, port)?.provider).toBe(provider);
  });

  it('matches user hosts on their port, with the provider left to the wire format', () => {
    expect(table.match('localhost', '11434')).toEqual({ provider: undefined });
    expect(table.match('localhost', '3000')).toBeUndefined();
    expect(table.match('litellm.internal', '4000')).toEqual({ provider: undefined });
  });

  it('does not match look-alikes', () => {
    for (const host of [
      'openai.azure.com',
      'api.openai.com.evil.example',
      'aiplatform.googleapis.com.evil',
      'bedrock-runtime..amazonaws.com',
      'llm.example',
      'example.com',
    ])
      expect(table.match(host, '443')).toBeUndefined();
  });

  it('normalizes a configured base URL to host[:port]', () => {
    expect(normalizeHostOption('http://localhost:11434/api')).toBe('localhost:11434');
    expect(normalizeHostOption('https://gw.example:443/v1')).toBe('gw.example');
    expect(normalizeHostOption('GW.example:8080')).toBe('gw.example:8080');
  });
});

describe('endpoint from the URL path', () => {
  it.each([
    ['POST', '/v1/chat/completions', 'openai-chat', 'chat'],
    ['POST', '/openai/deployments/my-gpt/chat/completions?api-version=2025-01-01', 'openai-chat', 'chat'],
    ['POST', '/v1/responses?beta=true', 'openai-responses', 'chat'],
    ['POST', '/v1/embeddings', 'openai-chat', 'embeddings'],
    ['POST', '/v1/completions', 'openai-chat', 'text_completion'],
    ['POST', '/v1/fim/completions', 'openai-chat', 'text_completion'],
    ['POST', '/v1/messages', 'anthropic', 'chat'],
    ['POST', '/v1beta/models/gemini-2.5-flash:generateContent', 'gemini', 'generate_content'],
    ['POST', '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', 'gemini', 'generate_content'],
    ['POST', '/v1beta/models/text-embedding-004:embedContent', 'gemini', 'embeddings'],
    ['POST', '/api/chat', 'ollama', 'chat'],
    ['POST', '/api/generate', 'ollama', 'text_completion'],
    ['POST', '/api/embed', 'ollama', 'embeddings'],
    ['POST', '/v2/chat', 'cohere-v2', 'chat'],
    ['POST', '/model/anthropic.claude-sonnet-4-5/converse', 'bedrock-converse', 'chat'],
    ['POST', '/model/anthropic.claude-sonnet-4-5/invoke-with-response-stream', 'bedrock-invoke', 'chat'],
    ['POST', '/v1/images/generations', 'unknown', 'chat'],
  ])('%s %s → %s %s', (method, path, wire, operation) => {
    expect(endpointFor(method, path)).toMatchObject({ wire, operation });
  });

  it('treats a method or action named like an Object property as an unknown POST', () => {
    expect(endpointFor('POST', '/v1beta/models/x:constructor')).toMatchObject({ wire: 'unknown' });
    expect(endpointFor('POST', '/model/x/__proto__')).toMatchObject({ wire: 'unknown' });
  });

  it('leaves reads and the free counting endpoints alone', () => {
    expect(endpointFor('GET', '/v1/models')).toBeUndefined();
    expect(endpointFor('GET', '/v1/responses/resp_1?stream=true')).toBeUndefined();
    expect(endpointFor('DELETE', '/v1/files/file_1')).toBeUndefined();
    expect(endpointFor('POST', '/v1/messages/count_tokens')).toBeUndefined();
    expect(endpointFor('POST', '/v1beta/models/gemini-2.5-flash:countTokens')).toBeUndefined();
    for (const path of [
      '/v1/files',
      '/v1/uploads/upload_1/parts',
      '/v1/moderations',
      '/v1/batches/batch_1/cancel',
      '/v1/threads/thread_1/messages',
    ])
      expect(endpointFor('POST', path)).toBeUndefined();
    // What bills is governed: a thread's run, a batch or a fine-tuning job (as requests GenOps cannot read).
    for (const path of ['/v1/threads/thread_1/runs', '/v1/batches', '/v1/fine_tuning/jobs'])
      expect(endpointFor('POST', path)).toMatchObject({ wire: 'unknown' });
  });

  it('leaves Anthropic Managed Agents set-up alone; session writes are decided by their body', () => {
    for (const path of [
      '/v1/agents?beta=true',
      '/v1/agents/agent_1/archive',
      '/v1/environments',
      '/v1/environments/env_1/work/work_1/heartbeat',
      '/v1/vaults/vlt_1/credentials',
      '/v1/skills',
      '/v1/sessions/sesn_1/archive',
    ])
      expect(endpointFor('POST', path), path).toBeUndefined();
    // Creating a session and sending it events run an agent turn when the body carries a user event.
    expect(endpointFor('POST', '/v1/sessions?beta=true')).toMatchObject({ wire: 'anthropic-agents', agentTurn: {} });
    expect(endpointFor('POST', '/v1/sessions/sesn_1/events?beta=true')).toMatchObject({
      wire: 'anthropic-agents',
      agentTurn: { sessionId: 'sesn_1' },
    });
    // Mistral's `/v1/agents/completions` is a model call.
    expect(endpointFor('POST', '/v1/agents/completions')).toMatchObject({ wire: 'openai-chat' });
    // A look-alike resource name is not set-up.
    expect(endpointFor('POST', '/v1/agentsx')).toMatchObject({ wire: 'unknown' });
  });

  it('classifies the self-hosted worker’s endpoints: the work queue and memory stores are set-up, tool results are turns', () => {
    // What `client.beta.environments.work.worker()` writes besides tool results: free.
    for (const path of [
      '/v1/environments/env_1/work/work_1/ack?beta=true',
      '/v1/environments/env_1/work/work_1/heartbeat?desired_ttl_seconds=90',
      '/v1/environments/env_1/work/work_1/stop',
      '/v1/environments/env_1/work/work_1',
      '/proxy/v1/environments/env_1/work/work_1/ack',
      '/v1/memory_stores/memstore_1/memories',
      '/v1/memory_stores/memstore_1/memories/mem_1',
    ])
      expect(endpointFor('POST', path), path).toBeUndefined();
    for (const path of [
      '/v1/environments/env_1/work/work_1/ack',
      '/v1/environments/env_1/work/work_1/heartbeat',
      '/v1/environments/env_1/work/work_1/stop',
      '/v1/environments/env_1/work/work_1',
    ])
      expect(isEnvironmentWorkWrite(path), path).toBe(true);
    // Not the work queue's writes (other environment set-up, or not an environment at all).
    for (const path of [
      '/v1/environments/env_1',
      '/v1/environments/env_1/work',
      '/v1/environments/env_1/work/work_1/ack/more',
      '/v1/environments/env_1/work/work_1/other',
      '/v1/environments//work/work_1/ack',
      '/v1/sessions/sesn_1/events',
    ])
      expect(isEnvironmentWorkWrite(path), path).toBe(false);
    // Its reads pass as every read does.
    expect(endpointFor('GET', '/v1/environments/env_1/work/poll?block_ms=999')).toBeUndefined();
    // The tool result it posts resumes the agent's turn: decided by its body, a turn like any user event.
    const send = endpointFor('POST', '/v1/sessions/sesn_1/events?beta=true')!;
    expect(send).toMatchObject({ wire: 'anthropic-agents', agentTurn: { sessionId: 'sesn_1' } });
    for (const result of [
      { type: 'user.tool_result', tool_use_id: 'sevt_1', content: [{ type: 'text', text: 'ok' }] },
      { type: 'user.custom_tool_result', custom_tool_use_id: 'sevt_2', content: [{ type: 'text', text: 'ok' }] },
    ])
      expect(agentWriteIsFree(send, { events: [result] }), result.type).toBe(false);
    expect(agentWriteIsFree(send, { events: [{ type: 'user.interrupt' }] })).toBe(true);
  });

  it('reads Managed Agents resource paths (ids, a base path, the query)', () => {
    expect(agentsPathOf('/v1/agents')).toEqual({ kind: 'agent' });
    expect(agentsPathOf('/v1/agents/agent_1?beta=true')).toEqual({ kind: 'agent' });
    expect(agentsPathOf('/v1/agents/agent_1/versions')).toBeUndefined();
    expect(agentsPathOf('/v1/agents/completions')).toBeUndefined();
    expect(agentsPathOf('/proxy/v1/sessions?beta=true')).toEqual({ kind: 'session', sessionId: undefined });
    expect(agentsPathOf('/v1/sessions/sesn_1')).toEqual({ kind: 'session', sessionId: 'sesn_1' });
    expect(agentsPathOf('/v1/sessions/sesn_1/events')).toEqual({ kind: 'events', sessionId: 'sesn_1' });
    expect(agentsPathOf('/v1/sessions/sesn_1/events/stream?beta=true')).toEqual({
      kind: 'events',
      sessionId: 'sesn_1',
    });
    expect(agentsPathOf('/v1/sessions/sesn_1/resources')).toBeUndefined();
    expect(agentsPathOf('/v1/sessionsx')).toBeUndefined();
    expect(agentsPathOf('/v1/chat/completions')).toBeUndefined();
  });

  it('a session write bills nothing only when its parsed body starts no turn', () => {
    const create = endpointFor('POST', '/v1/sessions')!;
    const send = endpointFor('POST', '/v1/sessions/sesn_1/events')!;
    const message = { type: 'user.message', content: [{ type: 'text', text: 'hi' }] };
    expect(agentWriteIsFree(create, { agent: 'agent_1', environment_id: 'env_1' })).toBe(true);
    expect(agentWriteIsFree(create, { agent: 'agent_1', initial_events: [] })).toBe(true);
    expect(agentWriteIsFree(create, { agent: 'agent_1', initial_events: [message] })).toBe(false);
    expect(agentWriteIsFree(send, { events: [{ type: 'user.interrupt' }] })).toBe(true);
    expect(agentWriteIsFree(send, { events: [{ type: 'user.interrupt' }, message] })).toBe(false);
    expect(agentWriteIsFree(send, { events: [{ type: 'user.tool_confirmation', result: 'allow' }] })).toBe(false);
    // Unreadable (not JSON, too large): governed, never free.
    expect(agentWriteIsFree(create, undefined)).toBe(false);
    expect(agentWriteIsFree(endpointFor('POST', '/v1/messages')!, {})).toBe(false);
  });

  it('takes the model from the path where the API puts it there', () => {
    expect(
      endpointFor('POST', '/v1/projects/p/locations/l/publishers/google/models/gemini-2.5-pro:generateContent'),
    ).toMatchObject({ pathModel: 'gemini-2.5-pro', pathStream: false });
    expect(endpointFor('POST', '/model/us.anthropic.claude-sonnet-4-5%3A0/converse-stream')).toMatchObject({
      pathModel: 'us.anthropic.claude-sonnet-4-5:0',
      pathStream: true,
    });
    expect(endpointFor('POST', '/openai/deployments/prod-gpt/embeddings')).toMatchObject({ pathModel: 'prod-gpt' });
  });
});

describe('the governed request from the wire', () => {
  const server = { serverAddress: 'api.example', serverPort: 443 };
  const describe_ = (method: string, path: string, body: unknown) => {
    const text = JSON.stringify(body);
    return describeWireRequest(endpointFor(method, path)!, 'openai', body, Buffer.byteLength(text), () => text, server);
  };

  it('reads model, output cap and stream flag per wire format', () => {
    expect(
      describe_('POST', '/v1/chat/completions', { model: 'gpt-4o', max_completion_tokens: 77, stream: true }),
    ).toMatchObject({ model: 'gpt-4o', maxOutputTokens: 77, stream: true, operation: 'chat' });
    expect(describe_('POST', '/v1/responses', { model: 'gpt-4o', max_output_tokens: 12 })).toMatchObject({
      maxOutputTokens: 12,
      stream: false,
    });
    expect(
      describe_('POST', '/v1beta/models/gemini-2.5-flash:streamGenerateContent', {
        generationConfig: { maxOutputTokens: 9 },
      }),
    ).toMatchObject({ model: 'gemini-2.5-flash', maxOutputTokens: 9, stream: true });
    // Ollama streams unless the body says otherwise.
    expect(describe_('POST', '/api/chat', { model: 'llama3.2', options: { num_predict: 5 } })).toMatchObject({
      maxOutputTokens: 5,
      stream: true,
    });
    expect(describe_('POST', '/api/chat', { model: 'llama3.2', stream: false })).toMatchObject({ stream: false });
  });

  it('bounds the input tokens by the body size, and names an unreadable request\'s model "unknown"', () => {
    const request = describe_('POST', '/v1/chat/completions', {
      model: 'gpt-4o',
      messages: [{ content: 'x'.repeat(100) }],
    });
    expect(request.estimatedInputTokens).toBeGreaterThan(100);
    expect(
      describeWireRequest(endpointFor('POST', '/v1/audio/speech')!, 'openai', undefined, 5000, undefined, server),
    ).toMatchObject({ model: 'unknown', estimatedInputTokens: 5008 });
  });

  it('ignores an output cap that is not a positive integer', () => {
    expect(
      describe_('POST', '/v1/chat/completions', { model: 'gpt-4o', max_tokens: -1 }).maxOutputTokens,
    ).toBeUndefined();
    expect(
      describe_('POST', '/v1/chat/completions', { model: 'gpt-4o', max_tokens: '9' }).maxOutputTokens,
    ).toBeUndefined();
  });

  it('reads the text parts through the body reader', () => {
    expect(describe_('POST', '/v1/chat/completions', { model: 'gpt-4o' }).text?.()).toEqual(['{"model":"gpt-4o"}']);
  });

  it('keeps no dropped request alive through young-generation collections (its text reader is young too)', () => {
    // What each request's text reader captures: 16 KiB (8 on a heap with compressed pointers), held by
    // nothing else once the request is dropped.
    const bodyBytes = 16 * 1024;
    const promoted = promotedAfter(() => describeDropped(256, bodyBytes));
    // A reader the request drops is collected with it: kept by a reader in the old generation (where V8
    // puts a function literal assigned to a property), all 4 MiB would be promoted.
    expect(promoted).toBeLessThan((256 * bodyBytes) / 4);
  });
});

/** Describes `count` requests and drops them; each one's text reader alone holds a body of `bytes`. */
function describeDropped(count: number, bytes: number): void {
  const endpoint = endpointFor('POST', '/v1/chat/completions')!;
  const server = { serverAddress: 'api.example', serverPort: 443 };
  for (let index = 0; index < count; index++) {
    // An array of `bytes` (a string would be a rope of a few shared parts).
    const held = new Array<number>(bytes / 8).fill(index);
    describeWireRequest(endpoint, 'openai', { model: 'gpt-4o' }, bytes, () => String(held.length), server);
  }
}

describe('egress options', () => {
  it("defaults to 'govern', takes GENOPS_EGRESS and GENOPS_EGRESS_HOSTS, and lets the option win", () => {
    expect(resolveEgress(undefined, {}).mode).toBe('govern');
    expect(resolveEgress(undefined, { GENOPS_EGRESS: 'deny', GENOPS_EGRESS_HOSTS: 'a:1, b' })).toMatchObject({
      mode: 'deny',
      hosts: ['a:1', 'b'],
    });
    expect(resolveEgress('warn', { GENOPS_EGRESS: 'deny' }).mode).toBe('warn');
  });

  it('rejects a GENOPS_EGRESS value it does not know, naming the variable', () => {
    expect(() => resolveEgress(undefined, { GENOPS_EGRESS: 'block' })).toThrow(/GENOPS_EGRESS/);
  });
});

describe('objectAfter (the usage object in the tail of a large body)', () => {
  it('returns the balanced object, ignoring braces inside strings', () => {
    const text = '..."usage": {"a": "}{", "b": {"c": 1}}, "x": 2}';
    expect(objectAfter(text, text.indexOf('"usage"') + 7)).toBe('{"a": "}{", "b": {"c": 1}}');
  });

  it('returns undefined for a cut-off object or no object', () => {
    expect(objectAfter('"usage": {"a": 1', 7)).toBeUndefined();
    expect(objectAfter('"usage": 3', 7)).toBeUndefined();
  });
});
