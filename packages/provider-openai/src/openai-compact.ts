import { describeOpenAIRequest } from './describe-openai-request';
import type { OpenAIEndpoint } from './openai-endpoint';
import { applyOpenAIEdits } from './openai-request-text';
import { readOpenAIResponse } from './read-openai-response';

/**
 * `responses.compact` (and its beta mirror): a Responses API model call that returns a compacted
 * conversation, priced from its `usage` like `responses.create`. The reservation covers the input the
 * request carries; the stored context a `previous_response_id` points at is not visible to GenOps.
 * @see https://platform.openai.com/docs/api-reference/responses/compact
 */
export const COMPACT_ENDPOINTS: readonly OpenAIEndpoint[] = [
  compactEndpoint('responses.compact', ['responses'], (OpenAI) => OpenAI?.Responses),
  compactEndpoint('beta.responses.compact', ['beta', 'responses'], (OpenAI) => OpenAI?.Beta?.Responses),
];

function compactEndpoint(method: string, path: readonly string[], resource: (OpenAI: any) => any): OpenAIEndpoint {
  return {
    method,
    key: 'compact',
    path,
    resource,
    describe: (body, base, client) => ({
      ...describeOpenAIRequest(
        'responses.create',
        body,
        typeof client?.baseURL === 'string' ? client.baseURL : undefined,
        base.provider,
      ),
      method,
      stream: false,
    }),
    edit: (body, edits) => applyOpenAIEdits('responses.create', body, edits),
    outcome: (result) => readOpenAIResponse('responses.create', result, undefined),
  };
}
