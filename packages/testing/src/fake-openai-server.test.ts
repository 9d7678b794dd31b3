import OpenAI, { APIError, AzureOpenAI, NotFoundError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from './fake-openai-server';
import type { FakeOpenAIServer } from './types';

// Every test talks to the fake server through the real openai 7.57.0 SDK.
let server: FakeOpenAIServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startFakeOpenAI();
  client = new OpenAI({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.reset();
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe('startFakeOpenAI', () => {
  it('listens on 127.0.0.1 and exposes the /v1 base URL', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/v1`);
    expect(server.port).toBeGreaterThan(0);
  });

  describe('chat completions', () => {
    it('answers a plain chat call with content, echoed model and full usage', async () => {
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(completion.id).toMatch(/^chatcmpl-/);
      expect(completion.object).toBe('chat.completion');
      expect(completion.model).toBe('gpt-4o-mini');
      expect(completion.choices[0]?.message).toMatchObject({
        role: 'assistant',
        content: 'Hello from the fake OpenAI server.',
        refusal: null,
      });
      expect(completion.choices[0]?.finish_reason).toBe('stop');
      expect(completion.usage).toEqual({
        prompt_tokens: 20,
        completion_tokens: 10,
        total_tokens: 30,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      });
      // The SDK reads x-request-id into _request_id.
      expect(completion._request_id).toMatch(/^req_/);
    });

    it('uses the queued reply: content, model, usage details, finish reason, headers', async () => {
      server.enqueue({
        content: 'Queued.',
        model: 'gpt-4o-2024-08-06',
        usage: { input: 100, output: 50, cachedInput: 80, cacheWriteInput: 5, reasoning: 30 },
        finishReason: 'length',
        headers: { 'x-ratelimit-remaining-requests': '42' },
      });
      const { data, response } = await client.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] })
        .withResponse();
      expect(data.model).toBe('gpt-4o-2024-08-06');
      expect(data.choices[0]?.message.content).toBe('Queued.');
      expect(data.choices[0]?.finish_reason).toBe('length');
      expect(data.usage?.prompt_tokens_details).toEqual({ cached_tokens: 80, audio_tokens: 0, cache_write_tokens: 5 });
      expect(data.usage?.completion_tokens_details?.reasoning_tokens).toBe(30);
      expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('42');

      // The queue is empty again: defaults.
      const next = await client.chat.completions.create({ model: 'gpt-4o', messages: [] });
      expect(next.choices[0]?.message.content).toBe('Hello from the fake OpenAI server.');
    });

    it('omits usage entirely with usage: null', async () => {
      server.enqueue({ usage: null });
      const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [] });
      expect(completion.usage).toBeUndefined();
    });

    it('streams role, content deltas and finish reason, with no usage chunk unless asked', async () => {
      server.enqueue({ content: 'one two three', chunks: 3 });
      const chunks = await collect(
        await client.chat.completions.create({ model: 'gpt-4o', messages: [], stream: true }),
      );
      expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
      expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('one two three');
      expect(chunks.filter((chunk) => (chunk.choices[0]?.delta.content ?? '') !== '')).toHaveLength(3);
      expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
      expect(chunks.some((chunk) => 'usage' in chunk)).toBe(false);
    });

    it('sends the usage chunk (choices: []) last when stream_options.include_usage is true', async () => {
      server.enqueue({ usage: { input: 7, output: 3 } });
      const chunks = await collect(
        await client.chat.completions.create({
          model: 'gpt-4o',
          messages: [],
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      const last = chunks.at(-1);
      expect(last?.choices).toEqual([]);
      expect(last?.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
      expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
      expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    });

    it('paces a stream with chunkDelayMs', async () => {
      server.enqueue({ chunks: 2, chunkDelayMs: 30 });
      const started = Date.now();
      await collect(await client.chat.completions.create({ model: 'gpt-4o', messages: [], stream: true }));
      // role + 2 deltas + finish + [DONE] = 5 events, 4 delays.
      expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 30 - 10);
    });

    it('breakAfterChunks makes the SDK stream iteration throw', async () => {
      server.enqueue({ chunks: 5, breakAfterChunks: 2 });
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [], stream: true });
      const received: unknown[] = [];
      await expect(
        (async () => {
          for await (const chunk of stream) received.push(chunk);
        })(),
      ).rejects.toThrow('terminated'); // undici's TypeError, cause UND_ERR_SOCKET "other side closed"
      expect(received).toHaveLength(2);
    });

    it('malformed: a 200 JSON body that is not JSON fails the SDK call', async () => {
      server.enqueue({ malformed: true });
      await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [] })).rejects.toThrow(SyntaxError);
    });

    it('malformed: an SSE data line that is not JSON fails the stream', async () => {
      server.enqueue({ malformed: true });
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [], stream: true });
      await expect(collect(stream)).rejects.toThrow(/malformed server-sent event JSON/);
    });

    it('breakAfterChunks on a JSON reply cuts the body and the SDK call fails', async () => {
      server.enqueue({ breakAfterChunks: 0 });
      await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [] })).rejects.toThrow('terminated');
    });
  });

  describe('errors', () => {
    it('an error status becomes the SDK APIError with status, message, type and code', async () => {
      server.enqueue({ status: 429, error: { message: 'Slow down', code: 'rate_limit_exceeded' } });
      const error = await client.chat.completions.create({ model: 'gpt-4o', messages: [] }).catch((caught) => caught);
      expect(error).toBeInstanceOf(APIError);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.status).toBe(429);
      expect(error.message).toContain('Slow down');
      expect(error.code).toBe('rate_limit_exceeded');
      expect(error.type).toBe('requests');
      expect(error.param).toBeNull();
      expect(error.requestID).toMatch(/^req_/);
    });

    it('error without a status is a 500 server_error; streams fail before the first chunk', async () => {
      server.enqueue({ error: { message: 'boom' } });
      const error = await client.chat.completions
        .create({ model: 'gpt-4o', messages: [], stream: true })
        .catch((caught) => caught);
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error.status).toBe(500);
      expect(error.type).toBe('server_error');
    });

    it('a model the server does not serve answers 404 model_not_found, as the API does', async () => {
      const error = await client.completions.create({ model: 'unknown-model', prompt: 'Hi' }).catch((caught) => caught);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ status: 404, code: 'model_not_found', type: 'invalid_request_error' });
      expect(error.message).toContain('The model `unknown-model` does not exist');
    });

    it('unknown paths answer 404 and do not consume a queued reply', async () => {
      server.enqueue({ content: 'kept' });
      const error = await client.models.list().catch((caught) => caught);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [] });
      expect(completion.choices[0]?.message.content).toBe('kept');
    });
  });

  describe('Azure OpenAI URLs', () => {
    it("serves the AzureOpenAI client's deployment and resource-scoped paths as the OpenAI paths", async () => {
      const azure = new AzureOpenAI({
        endpoint: new URL(server.url).origin,
        apiKey: 'azure-key',
        apiVersion: '2024-10-01-preview',
        maxRetries: 0,
      });
      const completion = await azure.chat.completions.create({ model: 'gpt-4o', messages: [] });
      expect(completion.object).toBe('chat.completion');
      const assistant = await azure.beta.assistants.create({ model: 'gpt-4o' });
      expect(assistant.object).toBe('assistant');
      expect(server.requests.map(({ path, url }) => ({ path, url }))).toEqual([
        {
          path: '/v1/chat/completions',
          url: '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-01-preview',
        },
        { path: '/v1/assistants', url: '/openai/assistants?api-version=2024-10-01-preview' },
      ]);
    });
  });

  describe('models', () => {
    it('lists the listedModels at GET /v1/models (free: the mTLS examples call it), without consuming a queued reply', async () => {
      const listing = await startFakeOpenAI({ listedModels: ['gpt-4o', 'gpt-4o-mini'] });
      try {
        listing.enqueue({ content: 'kept' });
        const listingClient = new OpenAI({ apiKey: 'test', baseURL: listing.url, maxRetries: 0 });
        const models = await listingClient.models.list();
        expect(models.data.map((model) => [model.id, model.object])).toEqual([
          ['gpt-4o', 'model'],
          ['gpt-4o-mini', 'model'],
        ]);
        const completion = await listingClient.chat.completions.create({ model: 'gpt-4o', messages: [] });
        expect(completion.choices[0]?.message.content).toBe('kept');
      } finally {
        await listing.close();
      }
    });
  });

  describe('responses', () => {
    it('answers a plain Responses call; the SDK derives output_text', async () => {
      server.enqueue({ usage: { input: 12, output: 8, cachedInput: 4, reasoning: 2 } });
      const response = await client.responses.create({ model: 'gpt-4.1', input: 'Hi', instructions: 'Be brief.' });
      expect(response.id).toMatch(/^resp_/);
      expect(response.object).toBe('response');
      expect(response.status).toBe('completed');
      expect(response.model).toBe('gpt-4.1');
      expect(response.instructions).toBe('Be brief.');
      expect(response.output_text).toBe('Hello from the fake OpenAI server.');
      expect(response.output[0]).toMatchObject({
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Hello from the fake OpenAI server.', annotations: [] }],
      });
      expect(response.usage).toEqual({
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 },
        output_tokens: 8,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 20,
      });
    });

    it('finishReason length gives an incomplete response', async () => {
      server.enqueue({ finishReason: 'length' });
      const response = await client.responses.create({ model: 'gpt-4.1', input: 'Hi', max_output_tokens: 16 });
      expect(response.status).toBe('incomplete');
      expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
      expect(response.max_output_tokens).toBe(16);
    });

    it('streams named events with sequence numbers; usage arrives on response.completed', async () => {
      server.enqueue({ content: 'abcdef', chunks: 3 });
      const events = await collect(await client.responses.create({ model: 'gpt-4.1', input: 'Hi', stream: true }));
      expect(events.map((event) => event.type)).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
      const deltas = events.flatMap((event) => (event.type === 'response.output_text.delta' ? [event.delta] : []));
      expect(deltas.join('')).toBe('abcdef');
      const created = events[0];
      expect(created?.type === 'response.created' && created.response.usage).toBeNull();
      const completed = events.at(-1);
      if (completed?.type !== 'response.completed') throw new Error('expected response.completed last');
      expect(completed.response.status).toBe('completed');
      expect(completed.response.usage).toMatchObject({ input_tokens: 20, output_tokens: 10, total_tokens: 30 });
      // output_text is an SDK convenience on non-streamed responses only; the wire carries output[].content[].text.
      expect(completed.response.output[0]).toMatchObject({ content: [{ type: 'output_text', text: 'abcdef' }] });
    });

    it('the SDK stream helper assembles the final response', async () => {
      const stream = client.responses.stream({ model: 'gpt-4.1', input: 'Hi' });
      const final = await stream.finalResponse();
      expect(final.output_text).toBe('Hello from the fake OpenAI server.');
      expect(final.usage?.total_tokens).toBe(30);
    });

    it('a streamed background response can be resumed with GET /v1/responses/{id}?stream=true', async () => {
      const first = await client.responses.stream({ model: 'gpt-4o', input: 'Hi', background: true }).finalResponse();
      const resumed = await collect(await client.responses.retrieve(first.id, { stream: true, starting_after: 5 }));
      expect(resumed[0]?.sequence_number).toBe(6);
      expect(resumed.at(-1)?.type).toBe('response.completed');
    });
  });

  describe('structured output', () => {
    const schema = {
      type: 'object',
      properties: { answer: { type: 'string' }, steps: { type: 'array', items: { type: 'string' } } },
      required: ['answer', 'steps'],
      additionalProperties: false,
    };

    it('answers a json_schema response_format with a minimal value of the schema', async () => {
      const completion = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Hi' }],
        response_format: { type: 'json_schema', json_schema: { name: 'math', strict: true, schema } },
      });
      expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual({ answer: '', steps: [] });
    });

    it('answers a Responses text.format json_schema the same way, streamed too', async () => {
      const text = { format: { type: 'json_schema' as const, name: 'math', strict: true, schema } };
      const response = await client.responses.create({ model: 'gpt-4o', input: 'Hi', text });
      expect(JSON.parse(response.output_text)).toEqual({ answer: '', steps: [] });
      const streamed = await client.responses.stream({ model: 'gpt-4o', input: 'Hi', text }).finalResponse();
      expect(JSON.parse(streamed.output_text)).toEqual({ answer: '', steps: [] });
    });

    it('a queued reply with content still wins', async () => {
      server.enqueue({ content: 'plain' });
      const completion = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Hi' }],
        response_format: { type: 'json_schema', json_schema: { name: 'math', schema } },
      });
      expect(completion.choices[0]!.message.content).toBe('plain');
    });
  });

  describe('function calls (Responses API)', () => {
    const parameters = {
      type: 'object',
      properties: { table: { type: 'string', enum: ['orders', 'customers'] }, limit: { type: 'number' } },
      required: ['table', 'limit'],
      additionalProperties: false,
    };
    const query = { type: 'function' as const, name: 'query', parameters, strict: true };
    const other = { type: 'function' as const, name: 'other', parameters: { type: 'object' }, strict: false };

    it('a single function tool is called, with arguments that satisfy its schema, plain and streamed', async () => {
      const response = await client.responses.create({ model: 'gpt-4o', input: 'Hi', tools: [query] });
      expect(response.output).toHaveLength(1);
      const call = response.output[0]!;
      expect(call).toMatchObject({ type: 'function_call', name: 'query', status: 'completed' });
      expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({ table: 'orders', limit: 0 });
      expect(response.usage?.input_tokens).toBe(20);

      const events = await collect(
        await client.responses.create({ model: 'gpt-4o', input: 'Hi', tools: [query], stream: true }),
      );
      const deltas = events.flatMap((event) =>
        event.type === 'response.function_call_arguments.delta' ? [event.delta] : [],
      );
      expect(JSON.parse(deltas.join(''))).toEqual({ table: 'orders', limit: 0 });
      const done = events.at(-1)!;
      expect(done.type).toBe('response.completed');
      expect((done as { response: { output: unknown[] } }).response.output[0]).toMatchObject({
        type: 'function_call',
        name: 'query',
      });
    });

    it('tool_choice names the function among several, or requires the first', async () => {
      const named = await client.responses.create({
        model: 'gpt-4o',
        input: 'Hi',
        tools: [other, query],
        tool_choice: { type: 'function', name: 'query' },
      });
      expect(named.output[0]).toMatchObject({ type: 'function_call', name: 'query' });
      const required = await client.responses.create({
        model: 'gpt-4o',
        input: 'Hi',
        tools: [other, query],
        tool_choice: 'required',
      });
      expect(required.output[0]).toMatchObject({ type: 'function_call', name: 'other' });
    });

    it('answers text when the tool is optional among several, or its result is already in the input', async () => {
      const optional = await client.responses.create({ model: 'gpt-4o', input: 'Hi', tools: [other, query] });
      expect(optional.output_text).toBe('Hello from the fake OpenAI server.');
      const answered = await client.responses.create({
        model: 'gpt-4o',
        tools: [query],
        input: [
          { role: 'user', content: 'Hi' },
          { type: 'function_call', call_id: 'call_1', name: 'query', arguments: '{}' },
          { type: 'function_call_output', call_id: 'call_1', output: '[]' },
        ],
      });
      expect(answered.output_text).toBe('Hello from the fake OpenAI server.');
    });
  });

  describe('videos', () => {
    it('edits, extensions and remixes keep the source model and size; GET /v1/videos/{id} reads a job back', async () => {
      const source = await client.videos.create({
        model: 'sora-2-pro',
        prompt: 'otter',
        seconds: '8',
        size: '1792x1024',
      });
      const remix = await client.videos.remix(source.id, { prompt: 'again' });
      expect(remix).toMatchObject({
        model: 'sora-2-pro',
        size: '1792x1024',
        seconds: '8',
        remixed_from_video_id: source.id,
      });
      const extension = await client.videos.extend({ video: { id: source.id }, prompt: 'more', seconds: '4' });
      expect(extension).toMatchObject({ model: 'sora-2-pro', seconds: '4' });
      const edit = await client.videos.edit({ video: { id: source.id }, prompt: 'night' });
      expect(edit).toMatchObject({ model: 'sora-2-pro', seconds: '8' });
      expect(await client.videos.retrieve(remix.id)).toMatchObject({ id: remix.id, status: 'completed' });
    });
  });

  describe('fine-tuning', () => {
    it('a job is queued when created, succeeded with trained_tokens when read, and lists its events', async () => {
      const file = await client.files.create({
        file: new File(['{"messages":[]}\n'], 'train.jsonl'),
        purpose: 'fine-tune',
      });
      const job = await client.fineTuning.jobs.create({ model: 'gpt-4o-mini', training_file: file.id });
      expect(job.status).toBe('queued');
      const before = await client.fineTuning.jobs.listEvents(job.id);
      expect(before.data.map((event) => event.message)).toEqual([`Created fine-tuning job: ${job.id}`]);
      const read = await client.fineTuning.jobs.retrieve(job.id);
      expect(read).toMatchObject({ status: 'succeeded', trained_tokens: 20 });
      const after = await client.fineTuning.jobs.listEvents(job.id, { limit: 100 });
      expect(after.data.map((event) => event.message)).toEqual([
        'The job has successfully completed',
        `Created fine-tuning job: ${job.id}`,
      ]);
    });
  });

  describe('embeddings', () => {
    it('answers the SDK default (base64 on the wire) and the SDK decodes it to numbers', async () => {
      const response = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
      expect(server.requests[0]?.body.encoding_format).toBe('base64');
      expect(response.object).toBe('list');
      expect(response.model).toBe('text-embedding-3-small');
      expect(response.data).toHaveLength(2);
      expect(response.data[0]?.embedding).toHaveLength(8);
      expect(response.data[0]?.embedding.every((value) => typeof value === 'number')).toBe(true);
      expect(response.data[1]?.index).toBe(1);
      expect(response.usage).toEqual({ prompt_tokens: 20, total_tokens: 20 });
    });

    it('answers float arrays when encoding_format is float, with the same values', async () => {
      const floats = await client.embeddings.create({
        model: 'text-embedding-3-small',
        input: 'a',
        encoding_format: 'float',
        dimensions: 4,
      });
      expect(floats.data).toHaveLength(1);
      expect(floats.data[0]?.embedding).toHaveLength(4);
      const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'a', dimensions: 4 });
      expect(decoded.data[0]?.embedding).toEqual(floats.data[0]?.embedding);
    });

    it('answers base64 strings when the caller asks for base64 explicitly', async () => {
      const response = await client.embeddings.create({
        model: 'text-embedding-3-small',
        input: 'a',
        encoding_format: 'base64',
      });
      const embedding = response.data[0]?.embedding as unknown as string;
      expect(typeof embedding).toBe('string');
      expect(Buffer.from(embedding, 'base64').byteLength).toBe(8 * 4);
    });
  });

  describe('legacy completions', () => {
    it('answers a text completion', async () => {
      const completion = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' });
      expect(completion.object).toBe('text_completion');
      expect(completion.id).toMatch(/^cmpl-/);
      expect(completion.choices[0]).toEqual({
        text: 'Hello from the fake OpenAI server.',
        index: 0,
        logprobs: null,
        finish_reason: 'stop',
      });
      expect(completion.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 });
    });

    it('streams text chunks, with the usage chunk only when asked', async () => {
      const plain = await collect(
        await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', stream: true }),
      );
      expect(plain.map((chunk) => chunk.choices[0]?.text ?? '').join('')).toBe('Hello from the fake OpenAI server.');
      expect(plain.at(-1)?.choices[0]?.finish_reason).toBe('stop');
      expect(plain.some((chunk) => chunk.usage)).toBe(false);

      const withUsage = await collect(
        await client.completions.create({
          model: 'gpt-3.5-turbo-instruct',
          prompt: 'Say hi',
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      expect(withUsage.at(-1)?.choices).toEqual([]);
      expect(withUsage.at(-1)?.usage?.total_tokens).toBe(30);
    });
  });

  describe('recording and concurrency', () => {
    it('records method, path, headers and the parsed body', async () => {
      await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Record me' }],
        max_completion_tokens: 64,
      });
      expect(server.requests).toHaveLength(1);
      const [request] = server.requests;
      expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
      expect(request?.body).toEqual({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Record me' }],
        max_completion_tokens: 64,
      });
      expect(JSON.parse(request?.rawBody ?? '')).toEqual(request?.body);
      expect(request?.headers.authorization).toBe('Bearer test');
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.headers['x-stainless-retry-count']).toBe('0');
    });

    it('answers 200 concurrent chat calls, each with its own reply', async () => {
      const count = 200;
      server.enqueue(
        ...Array.from({ length: count }, (_, index) => ({ content: `reply ${index}`, delayMs: index % 7 })),
      );
      const results = await Promise.all(
        Array.from({ length: count }, (_, index) =>
          client.chat.completions.create({
            model: `model-${index}`,
            messages: [{ role: 'user', content: `${index}` }],
          }),
        ),
      );
      expect(results).toHaveLength(count);
      // Each response echoes its own request's model, and every queued reply was used exactly once.
      results.forEach((result, index) => {
        expect(result.model).toBe(`model-${index}`);
      });
      const contents = results.map((result) => result.choices[0]?.message.content).sort();
      expect(contents).toEqual(Array.from({ length: count }, (_, index) => `reply ${index}`).sort());
      expect(server.requests).toHaveLength(count);
    });

    it('delayMs delays the reply', async () => {
      server.enqueue({ delayMs: 120 });
      const started = Date.now();
      await client.chat.completions.create({ model: 'gpt-4o', messages: [] });
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    });

    it('defaults apply to every reply, and queued replies override them field by field', async () => {
      const custom = await startFakeOpenAI({ defaults: { content: 'default', usage: { input: 1, output: 2 } } });
      try {
        const customClient = new OpenAI({ apiKey: 'test', baseURL: custom.url, maxRetries: 0 });
        custom.enqueue({ content: 'queued' });
        const first = await customClient.chat.completions.create({ model: 'gpt-4o', messages: [] });
        const second = await customClient.chat.completions.create({ model: 'gpt-4o', messages: [] });
        expect(first.choices[0]?.message.content).toBe('queued');
        expect(first.usage?.total_tokens).toBe(3);
        expect(second.choices[0]?.message.content).toBe('default');
      } finally {
        await custom.close();
      }
    });

    it('close() ends open keep-alive connections and in-flight streams', async () => {
      const other = await startFakeOpenAI({ defaults: { chunkDelayMs: 1000, chunks: 5 } });
      const otherClient = new OpenAI({ apiKey: 'test', baseURL: other.url, maxRetries: 0 });
      const stream = await otherClient.chat.completions.create({ model: 'gpt-4o', messages: [], stream: true });
      const consumed = collect(stream).catch((error: unknown) => error);
      await other.close();
      expect(await consumed).toBeInstanceOf(Error);
    });
  });
});
