// What a `<!-- snippet: context=NAME -->` block assumes, prepended to it when it is type-checked and run.
// A prelude is plain JavaScript (valid TypeScript too), so it serves `ts` and `js` blocks alike (one used
// only by `ts` blocks may use TypeScript syntax); it must not import a name the blocks that use it import.
// `files` are written into the block's working directory before it runs (e.g. the policy file a block
// loads). `repository: true` says the block is code inside this repository (a test, an adapter), which may
// import the private workspace packages (@genops/testing) that users cannot install.
// Prefer a self-contained block; a context is for what would only be noise on the page.

export interface SnippetContext {
  readonly prelude: string;
  /** Written beside the block (its relative imports find them) and in its working directory when it runs. */
  readonly files?: Readonly<Record<string, string>>;
  /** Code inside this repository, which may import its private packages. */
  readonly repository?: boolean;
  /** The type-check modes that apply (default both): repository code builds with `bundler` only. */
  readonly modes?: readonly ('nodenext' | 'bundler')[];
}

export const contexts: Readonly<Record<string, SnippetContext>> = {
  // GenOps.init() has run elsewhere in the app.
  'genops-running': {
    prelude: `(await import('@genops/core')).GenOps.init();`,
  },

  // `client`: an OpenAI client (GenOps governs it once GenOps.init() has run, as on the page).
  'openai-client': {
    prelude: `
import ContextOpenAI from 'openai';
const client = new ContextOpenAI();
`,
  },

  // The `./genops.policy.yaml` a block loads.
  'policy-file': {
    prelude: '',
    files: {
      'genops.policy.yaml': [
        'version: 1',
        'rules:',
        '  - name: no-previews',
        '    type: model',
        '    deny: ["*-preview*"]',
        '  - name: no-shell',
        '    type: tool',
        '    deny: ["shell_*"]',
        '',
      ].join('\n'),
    },
  },

  // `chain`: a LangChain prompt piped into a chat model.
  'langchain-chain': {
    prelude: `
import { ChatPromptTemplate as ContextPromptTemplate } from '@langchain/core/prompts';
import { ChatOpenAI as ContextChatOpenAI } from '@langchain/openai';
const chain = ContextPromptTemplate.fromTemplate('Tell me about {topic}').pipe(new ContextChatOpenAI({ model: 'gpt-4o-mini' }));
`,
  },

  // `model`, `search` and `deploy`: the chat model and tools of a createAgent() agent.
  'langchain-agent': {
    prelude: `
import { tool as contextTool } from '@langchain/core/tools';
import { ChatOpenAI as ContextChatOpenAI } from '@langchain/openai';
import { z as contextZ } from 'zod';
const model = new ContextChatOpenAI({ model: 'gpt-4o' });
const search = contextTool(async ({ query }) => \`results for \${query}\`, {
  name: 'search',
  description: 'Search the runbooks',
  schema: contextZ.object({ query: contextZ.string() }),
});
const deploy = contextTool(async ({ ref }) => \`deployed \${ref}\`, {
  name: 'deploy',
  description: 'Deploy a git ref to production',
  schema: contextZ.object({ ref: contextZ.string() }),
});
`,
  },

  // `retriever`: a LlamaIndex retriever that returns fixed nodes (no embeddings, no vector store).
  'llamaindex-retriever': {
    prelude: `
import { BaseRetriever as ContextRetriever, TextNode as ContextTextNode } from 'llamaindex';
const retriever = new (class extends ContextRetriever {
  constructor() {
    super(); // public: BaseRetriever's own constructor is protected
  }
  async _retrieve() {
    return [{ node: new ContextTextNode({ text: 'Otters hold hands while they sleep.' }), score: 1 }];
  }
})();
`,
  },

  // `transport`: connected to an MCP server with a `search` tool, in the same process.
  'mcp-transport': {
    prelude: `
import { InMemoryTransport as ContextTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer as ContextMcpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z as contextZ } from 'zod';
const [transport, contextServerTransport] = ContextTransport.createLinkedPair();
const contextServer = new ContextMcpServer({ name: 'ops-tools', version: '1.0.0' });
contextServer.registerTool('search', { inputSchema: { query: contextZ.string() } }, async ({ query }) => ({
  content: [{ type: 'text', text: \`results for \${query}\` }],
}));
await contextServer.connect(contextServerTransport);
`,
  },

  // A test file inside this repository (docs/contributing.md).
  'repository-test': { prelude: '', repository: true },

  // A file of a provider adapter in this repository (docs/contributing.md): its sibling modules, and the
  // types of the SDK it adapts. Adapters build with tsup under `moduleResolution: bundler` (extensionless
  // relative imports), so the block is checked in that mode only.
  'acme-adapter': {
    prelude: `import type { AcmeParams, AcmeResult } from './acme-types';`,
    repository: true,
    modes: ['bundler'],
    files: {
      'acme-types.ts': `
export interface AcmeParams { model: string; max_tokens?: number; messages: Array<{ role: string; content: string }> }
export interface AcmeResult { id: string; model: string; stop_reason: string; usage?: { input: number; output: number } }
`,
      'describe-acme-request.ts': `
import { estimateInputTokens, type GovernedRequest } from '@genops/core/adapter';
import type { AcmeParams } from './acme-types';
export function describeAcmeRequest(params: AcmeParams): GovernedRequest {
  return {
    provider: 'acme',
    operation: 'chat',
    model: params.model,
    method: 'messages.create',
    stream: false,
    ...(params.max_tokens !== undefined ? { maxOutputTokens: params.max_tokens } : {}),
    estimatedInputTokens: estimateInputTokens(params.messages),
    content: () => ({ input: params.messages }),
  };
}
`,
      'acme-request-text.ts': `
import type { RequestEdits } from '@genops/core/adapter';
import type { AcmeParams } from './acme-types';
export function applyAcmeEdits(params: AcmeParams, edits: RequestEdits): AcmeParams {
  const text = edits.text ?? ((value: string) => value);
  return {
    ...params,
    model: edits.model ?? params.model,
    messages: params.messages.map((message) => ({ ...message, content: text(message.content) })),
  };
}
`,
      'read-acme-response.ts': `
import type { CallOutcome } from '@genops/core/adapter';
import type { AcmeResult } from './acme-types';
export function readAcmeResponse(result: AcmeResult): CallOutcome {
  return {
    usage: result.usage && { inputTokens: result.usage.input, outputTokens: result.usage.output, raw: result.usage },
    response: { id: result.id, model: result.model, finishReasons: [result.stop_reason] },
  };
}
`,
    },
  },

  // `search` and `deploy_prod`: AI SDK tools.
  'vercel-ai-tools': {
    prelude: `
import { tool as contextTool } from 'ai';
import { z as contextZ } from 'zod';
const search = contextTool({
  description: 'Search the runbooks',
  inputSchema: contextZ.object({ query: contextZ.string() }),
  execute: async ({ query }) => \`results for \${query}\`,
});
const deploy_prod = contextTool({
  description: 'Deploy a git ref to production',
  inputSchema: contextZ.object({ ref: contextZ.string() }),
  execute: async ({ ref }) => \`deployed \${ref}\`,
});
`,
  },
};
