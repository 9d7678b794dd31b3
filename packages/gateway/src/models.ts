// `GET /v1/models`: the upstream's list when it answers, else the models GenOps prices for that
// provider (an upstream such as a local model server may have no list). A read: nothing is governed.
import type { ServerResponse } from 'node:http';
import { PRICE_FILES } from '@genops/core/internal';
import type { Pool } from 'undici';
import type { Upstream } from './options';

/** The most a model list may hold in memory (bytes). */
const MAX_LIST_BYTES = 8 * 1024 * 1024;

export async function serveModels(
  pool: Pool,
  upstream: Upstream,
  headers: Record<string, string | string[]>,
  query: string,
  response: ServerResponse,
): Promise<void> {
  const listed = await upstreamList(pool, upstream, headers, query);
  const body = listed ?? pricedList(upstream.provider);
  if (response.destroyed) return;
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.byteLength) });
  response.end(body);
}

async function upstreamList(
  pool: Pool,
  upstream: Upstream,
  headers: Record<string, string | string[]>,
  query: string,
): Promise<Buffer | undefined> {
  try {
    const answer = await pool.request({
      path: `${upstream.basePath}/models${query}`,
      method: 'GET',
      headers: { ...headers, 'accept-encoding': 'identity' },
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const declared = Number(answer.headers['content-length'] ?? 0);
    if (answer.statusCode !== 200 || declared > MAX_LIST_BYTES) {
      await answer.body.dump();
      return undefined;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of answer.body) {
      size += (chunk as Buffer).byteLength;
      if (size > MAX_LIST_BYTES) {
        answer.body.destroy();
        return undefined;
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks, size);
  } catch {
    return undefined;
  }
}

const priced = new Map<string, Buffer>();

/** The provider's priced models in the OpenAI list format (Anthropic's SDK reads the same `data` array). */
function pricedList(provider: string): Buffer {
  let list = priced.get(provider);
  if (!list) {
    const file = PRICE_FILES.find((candidate) => candidate.provider === provider);
    const data = Object.keys(file?.models ?? {})
      .sort()
      .map((id) => ({ id, object: 'model', type: 'model', created: 0, owned_by: provider, display_name: id }));
    list = Buffer.from(JSON.stringify({ object: 'list', data, has_more: false }), 'utf8');
    priced.set(provider, list);
  }
  return list;
}
