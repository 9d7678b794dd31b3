// Test-only (never bundled: no entry point imports it). Core's own tests drive the pipeline through
// GenOps.init() with an in-memory span exporter; adapter packages use @genops/testing's harness instead,
// which core cannot import (it depends on core).
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach } from 'vitest';
import type { GenOpsOptions } from '../config';
import { GenOps, type GenOpsHandle } from '../genops';
import { drainPending } from '../pipeline/deferred';
import type { GovernedRequest } from '../types';

export interface CoreTestSetup {
  readonly exporter: InMemorySpanExporter;
  readonly tracerProvider: TracerProvider;
  /** `GenOps.init()` on the test exporter, attribution `{ team: 'eng', project: 'tests', environment: 'test' }`. */
  init(options?: GenOpsOptions): GenOpsHandle;
  /** The GenOps of the running test; shut down after each test. */
  readonly genops: GenOpsHandle | undefined;
  spans(): ReadableSpan[];
  lastSpan(): ReadableSpan;
  /** The test shut its GenOps down itself (or its init threw): nothing to shut down after it. */
  forget(): void;
}

/** Registers the per-test reset (spans) and shutdown (GenOps) hooks, and returns the setup. */
export function useCoreTestSetup(): CoreTestSetup {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  let genops: GenOpsHandle | undefined;
  beforeEach(() => {
    drainPending();
    exporter.reset();
  });
  afterEach(async () => {
    await genops?.shutdown();
    genops = undefined;
  });
  const spans = () => {
    // Span telemetry recorded right after each call returned (pipeline/deferred.ts): record it now.
    drainPending();
    return exporter.getFinishedSpans() as ReadableSpan[];
  };
  return {
    exporter,
    tracerProvider,
    init(options = {}) {
      genops = GenOps.init({
        tracerProvider,
        autoInstrument: false,
        defaults: { team: 'eng', project: 'tests', environment: 'test' },
        ...options,
      });
      return genops;
    },
    get genops() {
      return genops;
    },
    spans,
    lastSpan: () => spans().at(-1)!,
    forget() {
      genops = undefined;
    },
  };
}

/** A gpt-4o chat request: $2.50 / $10 per 1M tokens; 1000 in + 100 out worst case = 3500 µ$. */
export function chatRequest(overrides: Partial<GovernedRequest> = {}): GovernedRequest {
  return {
    provider: 'openai',
    operation: 'chat',
    model: 'gpt-4o',
    estimatedInputTokens: 1000,
    maxOutputTokens: 100,
    ...overrides,
  };
}
