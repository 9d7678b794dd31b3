// Docs that run: every ts/js block of README.md and docs/**/*.md is type-checked with `--strict` under
// `module: nodenext` and under `moduleResolution: bundler`, against the workspace packages' built types,
// and run (unless marked `no-run`) against the fake provider servers of @genops/testing, as a user would
// copy it: the SDKs find the fake servers through their standard environment variables
// (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, GOOGLE_GEMINI_BASE_URL, AWS_ENDPOINT_URL_BEDROCK_RUNTIME, ...).
// Markers and contexts: docs/test/extract.ts and docs/test/contexts.ts.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import {
  type FakeAnthropicServer,
  type FakeBedrockServer,
  type FakeGeminiServer,
  type FakeOpenAIServer,
  startFakeAnthropic,
  startFakeBedrock,
  startFakeGemini,
  startFakeOpenAI,
} from '@genops/testing';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contexts } from './contexts';
import { continuedCode, extractSnippets, parseMarker, type Snippet, SnippetMarkerError } from './extract';
import { docsDir, docsPages, repoRoot } from './pages';

const pages = docsPages();
const snippets: Snippet[] = pages.flatMap((path) =>
  extractSnippets(relative(repoRoot, path), readFileSync(path, 'utf8')),
);
const checked = snippets.filter((snippet) => snippet.skip === undefined);
const runnable = checked.filter((snippet) => snippet.noRun === undefined);

interface SnippetFile {
  readonly snippet: Snippet;
  readonly file: string;
  readonly preludeLines: number;
}

const MODES = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
} as const;

const problems = new Map<string, string[]>();
function problem(id: string, text: string): void {
  problems.set(id, [...(problems.get(id) ?? []), text]);
}

function writeSnippetFiles(dir: string): SnippetFile[] {
  return checked.map((snippet) => {
    const prelude = (snippet.contexts ?? [])
      .map((name) => contexts[name]?.prelude.trim() ?? '')
      .filter((text) => text !== '')
      .map((text) => `${text}\n`)
      .join('');
    // A block that continues another: that block's code comes first, as part of the prelude.
    const before = `${prelude}${continuedCode(snippet, snippets)}`;
    // Each block in a directory of its own: its contexts' files beside it, and its working directory.
    const home = join(dir, snippet.id.replace(/[^A-Za-z0-9]+/g, '-'));
    mkdirSync(home, { recursive: true });
    for (const [name, content] of Object.entries(
      Object.assign({}, ...(snippet.contexts ?? []).map((context) => contexts[context]?.files ?? {})),
    )) {
      writeFileSync(join(home, name), content as string);
    }
    const file = join(home, `snippet.${snippet.language}`);
    // `export {}` makes every block its own module, as the file a user pastes it into would be.
    writeFileSync(file, `${before}${snippet.code}\nexport {};\n`);
    return { snippet, file, preludeLines: before === '' ? 0 : before.split('\n').length - 1 };
  });
}

// The two programs read the same declaration files: parse each once (keyed by its module format too,
// which differs between nodenext and bundler resolution).
const parsed = new Map<string, ts.SourceFile | undefined>();

function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const format = typeof languageVersion === 'object' ? languageVersion.impliedNodeFormat : undefined;
    const key = `${format}|${fileName}`;
    if (!parsed.has(key)) parsed.set(key, getSourceFile(fileName, languageVersion, onError, shouldCreate));
    return parsed.get(key);
  };
  return host;
}

function typeCheck(files: SnippetFile[], mode: keyof typeof MODES, dir: string): void {
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    {
      ...MODES[mode],
      target: 'es2023',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowJs: true,
      checkJs: true,
      types: ['node'],
    },
    dir,
  );
  expect(errors).toEqual([]);
  // A block whose contexts name the modes that apply to it is checked in those only.
  const inMode = files.filter((entry) =>
    (entry.snippet.contexts ?? []).every((name) => contexts[name]?.modes?.includes(mode) ?? true),
  );
  const program = ts.createProgram({
    rootNames: inMode.map((entry) => entry.file),
    options,
    host: cachingHost(options),
  });
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  expect(global.map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))).toEqual([]);
  for (const entry of inMode) {
    const source = program.getSourceFile(entry.file);
    if (source === undefined) {
      problem(entry.snippet.id, `${mode}: not part of the program`);
      continue;
    }
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const line = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1;
      const where =
        line <= entry.preludeLines
          ? `the prelude (contexts ${entry.snippet.contexts?.join(',') ?? 'none'}, continues ${entry.snippet.continues ?? 'none'}), line ${line}`
          : `${entry.snippet.page}:${entry.snippet.line + line - entry.preludeLines}`;
      problem(
        entry.snippet.id,
        `${mode}: ${where}: TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`,
      );
    }
  }
}

interface RunResult {
  readonly id: string;
  readonly ok: boolean;
  readonly error?: string;
}

function runOnce(jobsFile: string, resultsFile: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(docsDir, 'test', 'run-snippets.mjs'), jobsFile, resultsFile], {
      cwd: docsDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', () => resolve(output));
  });
}

async function runSnippets(files: SnippetFile[], dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const resultsFile = join(dir, 'results.jsonl');
  writeFileSync(resultsFile, '');
  let pending = files.filter((entry) => entry.snippet.noRun === undefined);
  while (pending.length > 0) {
    const jobs = pending.map((entry) => ({
      id: entry.snippet.id,
      file: entry.file,
      cwd: dirname(entry.file),
    }));
    const jobsFile = join(dir, 'jobs.json');
    writeFileSync(jobsFile, JSON.stringify(jobs));
    const output = await runOnce(jobsFile, resultsFile, env);
    const results = readFileSync(resultsFile, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as RunResult);
    const done = new Set(results.map((result) => result.id));
    const next = pending.filter((entry) => !done.has(entry.snippet.id));
    if (next.length === pending.length) {
      // The runner ended without a result for the first job: say so, and go on after it.
      problem(next[0]!.snippet.id, `run: the runner ended without a result; its output:\n${output}`);
      next.shift();
    }
    pending = next;
    for (const result of results) if (!result.ok) problem(result.id, `run: ${result.error}`);
    writeFileSync(resultsFile, '');
  }
}

// A user cannot install a private workspace package (@genops/testing): a block must not import one.
function checkImports(): void {
  for (const snippet of checked) {
    if (snippet.contexts?.some((name) => contexts[name]?.repository === true)) continue;
    for (const match of snippet.code.matchAll(/from ['"](@genops\/[a-z0-9-]+)/g)) {
      const name = match[1]!;
      const manifest = join(repoRoot, 'packages', name.slice('@genops/'.length), 'package.json');
      if (!existsSync(manifest)) problem(snippet.id, `imports ${name}, which is not a package of this repository`);
      else if (JSON.parse(readFileSync(manifest, 'utf8')).private === true) {
        problem(snippet.id, `imports ${name}, a private package users cannot install`);
      }
    }
  }
}

let dir: string;
const servers: {
  openai?: FakeOpenAIServer;
  anthropic?: FakeAnthropicServer;
  gemini?: FakeGeminiServer;
  bedrock?: FakeBedrockServer;
  otlp?: Server;
} = {};

beforeAll(async () => {
  const base = join(docsDir, '.snippets');
  mkdirSync(base, { recursive: true });
  dir = mkdtempSync(join(base, 'run-'));
  const files = writeSnippetFiles(dir);
  checkImports();
  const started = performance.now();
  const cpu = process.cpuUsage();
  typeCheck(files, 'nodenext', dir);
  const cpuNodeNext = process.cpuUsage(cpu);
  typeCheck(files, 'bundler', dir);
  const cpuBoth = process.cpuUsage(cpu);
  const checkedAt = performance.now();

  servers.openai = await startFakeOpenAI();
  servers.anthropic = await startFakeAnthropic();
  servers.gemini = await startFakeGemini();
  servers.bedrock = await startFakeBedrock();
  // Accepts OTLP/HTTP exports (`exporter: 'otlp'`) and discards them.
  const otlp = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  servers.otlp = otlp;
  await new Promise<void>((resolve) => otlp.listen(0, '127.0.0.1', resolve));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('GENOPS_') && !key.startsWith('OTEL_') && !key.startsWith('AWS_')) env[key] = value;
  }
  Object.assign(env, {
    OPENAI_API_KEY: 'sk-docs-test',
    OPENAI_BASE_URL: servers.openai.url,
    ANTHROPIC_API_KEY: 'sk-ant-docs-test',
    ANTHROPIC_BASE_URL: servers.anthropic.url,
    GEMINI_API_KEY: 'docs-test',
    GOOGLE_API_KEY: 'docs-test',
    GOOGLE_GEMINI_BASE_URL: servers.gemini.url,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: servers.bedrock.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'docs-test',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`,
    NODE_ENV: 'production',
  });
  await runSnippets(files, dir, env);
  console.log(
    `docs snippets: type-checked in ${Math.round(checkedAt - started)} ms (CPU: nodenext ${Math.round((cpuNodeNext.user + cpuNodeNext.system) / 1000)} ms, both ${Math.round((cpuBoth.user + cpuBoth.system) / 1000)} ms), ran in ${Math.round(performance.now() - checkedAt)} ms`,
  );
}, 600_000);

afterAll(async () => {
  await Promise.all([
    servers.openai?.close(),
    servers.anthropic?.close(),
    servers.gemini?.close(),
    servers.bedrock?.close(),
  ]);
  await new Promise((resolve) => (servers.otlp ? servers.otlp.close(resolve) : resolve(undefined)));
  if (dir !== undefined && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
});

describe('snippet markers', () => {
  it('parse skip, no-run and context directives', () => {
    expect(
      parseMarker('a.md:1', '<!-- snippet: context=openai-client, policy-file; no-run (waits for a human) -->'),
    ).toEqual({
      contexts: ['openai-client', 'policy-file'],
      noRun: 'waits for a human',
    });
    expect(parseMarker('a.md:1', '<!-- snippet: skip (an excerpt) -->')).toEqual({ skip: 'an excerpt' });
  });

  it('refuse a directive without a reason, an unknown directive and skip combined with another', () => {
    expect(() => parseMarker('a.md:3', '<!-- snippet: skip -->')).toThrow(/a\.md:3: "skip" needs a reason/);
    expect(() => parseMarker('a.md:3', '<!-- snippet: run-later (x) -->')).toThrow(SnippetMarkerError);
    expect(() => parseMarker('a.md:3', '<!-- snippet: skip (x); context=a -->')).toThrow(/cannot be combined/);
  });

  it('refuse a block that continues a name no block above it has', () => {
    const page = '<!-- snippet: continues=later -->\n```ts\nb\n```\n<!-- snippet: name=later -->\n```ts\na\n```\n';
    expect(() => extractSnippets('p.md', page)).toThrow(/p\.md:2: "continues=later" names no block above it/);
  });

  it('refuse a marker that is not right before a ts/js fence', () => {
    const page = 'text\n<!-- snippet: no-run (x) -->\n\n```ts\nlet a = 1;\n```\n';
    expect(() => extractSnippets('p.md', page)).toThrow(/p\.md:2: a snippet marker must be on the line right before/);
  });

  it('extract ts, typescript, js and javascript blocks with their fence line, and no other language', () => {
    const page = '```ts\na\n```\n```bash\nb\n```\n<!-- snippet: context=x -->\n```javascript\nc\n```\n';
    expect(extractSnippets('p.md', page)).toEqual([
      { id: 'p.md:1', page: 'p.md', line: 1, language: 'ts', code: 'a' },
      { id: 'p.md:8', page: 'p.md', line: 8, language: 'js', code: 'c', contexts: ['x'] },
    ]);
  });

  it('name only contexts that exist, and every context is used', () => {
    const used = new Set(snippets.flatMap((snippet) => snippet.contexts ?? []));
    expect([...used].filter((name) => contexts[name] === undefined)).toEqual([]);
    expect(Object.keys(contexts).filter((name) => !used.has(name))).toEqual([]);
  });
});

describe.each(pages.map((path) => relative(repoRoot, path)).filter((page) => checked.some((s) => s.page === page)))(
  '%s',
  (page) => {
    it.each(checked.filter((snippet) => snippet.page === page).map((snippet) => [snippet.id, snippet] as const))(
      '%s type-checks (nodenext, bundler) and runs',
      (id, snippet) => {
        expect(problems.get(id) ?? [], snippet.noRun === undefined ? 'checked and run' : 'checked').toEqual([]);
      },
    );
  },
);

it('runs blocks against every fake provider server (the SDKs find them through their environment variables)', () => {
  const requests = {
    openai: servers.openai?.requests.length ?? 0,
    anthropic: servers.anthropic?.requests.length ?? 0,
    gemini: servers.gemini?.requests.length ?? 0,
    bedrock: servers.bedrock?.requests.length ?? 0,
  };
  console.log(
    `docs snippets: ${snippets.length} blocks, ${checked.length} type-checked, ${runnable.length} run; requests: ${JSON.stringify(requests)}`,
  );
  expect(Object.entries(requests).filter(([, count]) => count === 0)).toEqual([]);
});
