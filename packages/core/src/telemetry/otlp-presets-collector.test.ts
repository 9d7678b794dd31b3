import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveOtlpTarget } from './otlp-presets';

// The Collector configuration in observability/otel-collector, checked offline (no otelcol binary on these
// machines): each file parses, the base merged with each backend overlay (as `--config a --config b`
// merges: maps deep-merged, lists replaced) has pipelines that only name components it defines, of types
// the contrib distribution has, reads every secret from the environment with the Collector's
// `${env:NAME}` syntax, and receives OTLP/HTTP where the `otel-collector` preset sends it.

const directory = fileURLToPath(new URL('../../../../observability/otel-collector/', import.meta.url));
type Yaml = Record<string, unknown>;
const load = (file: string): Yaml => parse(readFileSync(join(directory, file), 'utf8')) as Yaml;

/** Component types used, each present in otelcol-contrib (core components included). */
const KNOWN_TYPES: Record<string, readonly string[]> = {
  receivers: ['otlp'],
  processors: ['memory_limiter', 'batch', 'attributes'],
  exporters: ['debug', 'otlp', 'otlphttp', 'prometheus', 'datadog', 'splunk_hec'],
  connectors: ['datadog'],
  extensions: ['health_check'],
};

function merge(base: unknown, overlay: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return overlay;
  if (typeof overlay !== 'object' || overlay === null || Array.isArray(overlay)) return overlay;
  const out: Yaml = { ...(base as Yaml) };
  for (const [key, value] of Object.entries(overlay)) out[key] = key in out ? merge(out[key], value) : value;
  return out;
}

function problems(config: Yaml): string[] {
  const found: string[] = [];
  for (const [kind, types] of Object.entries(KNOWN_TYPES)) {
    for (const name of Object.keys((config[kind] as Yaml | undefined) ?? {})) {
      const type = name.split('/')[0]!;
      if (!types.includes(type)) found.push(`${kind}.${name}: type "${type}" is not one this check knows`);
    }
  }
  const defined = (kind: string) => new Set(Object.keys((config[kind] as Yaml | undefined) ?? {}));
  const service = config.service as { extensions?: string[]; pipelines: Record<string, Record<string, string[]>> };
  for (const extension of service.extensions ?? [])
    if (!defined('extensions').has(extension)) found.push(`service.extensions: "${extension}" is not defined`);
  const connectors = defined('connectors');
  for (const [pipeline, parts] of Object.entries(service.pipelines)) {
    if (!['traces', 'metrics', 'logs'].includes(pipeline.split('/')[0]!))
      found.push(`pipeline ${pipeline}: unknown signal`);
    for (const [kind, names] of Object.entries(parts)) {
      for (const name of names) {
        const ok = defined(kind).has(name) || ((kind === 'receivers' || kind === 'exporters') && connectors.has(name));
        if (!ok) found.push(`pipeline ${pipeline}: ${kind} "${name}" is not defined`);
      }
    }
  }
  return found;
}

/** Every `${...}` reference of a file. */
const references = (text: string) => [...text.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1]!);

const overlays = readdirSync(join(directory, 'backends')).filter((file) => file.endsWith('.yaml'));

describe('observability/otel-collector', () => {
  const base = load('config.yaml');

  it('the base config is consistent and receives OTLP/HTTP on 4318, where the otel-collector preset sends', () => {
    expect(problems(base)).toEqual([]);
    const http = ((base.receivers as Yaml).otlp as { protocols: { http: { endpoint: string } } }).protocols.http;
    const port = new URL(resolveOtlpTarget({ preset: 'otel-collector' }, {}).traces.url).port;
    expect(http.endpoint).toBe(`0.0.0.0:${port}`);
    expect(port).toBe('4318');
  });

  it('strips the content attributes from traces and logs before any exporter', () => {
    const deleted = (
      (base.processors as Yaml)['attributes/strip-content'] as { actions: Array<{ key: string; action: string }> }
    ).actions;
    expect(deleted.map((action) => [action.key, action.action])).toEqual([
      ['gen_ai.input.messages', 'delete'],
      ['gen_ai.output.messages', 'delete'],
      ['gen_ai.system_instructions', 'delete'],
      ['gen_ai.tool.definitions', 'delete'],
    ]);
    const pipelines = (base.service as { pipelines: Record<string, { processors: string[] }> }).pipelines;
    expect(pipelines.traces!.processors).toContain('attributes/strip-content');
    expect(pipelines.logs!.processors).toContain('attributes/strip-content');
  });

  it.each(overlays)('backends/%s merged over the base is consistent', (file) => {
    const merged = merge(base, load(join('backends', file))) as Yaml;
    expect(problems(merged)).toEqual([]);
    // Content is stripped whatever the backend.
    const pipelines = (merged.service as { pipelines: Record<string, { processors: string[] }> }).pipelines;
    expect(pipelines.traces!.processors).toContain('attributes/strip-content');
  });

  it.each(['config.yaml', ...overlays.map((file) => join('backends', file))])(
    '%s reads settings only as env:NAME references (with an optional :-default), and holds no key',
    (file) => {
      const text = readFileSync(join(directory, file), 'utf8');
      for (const reference of references(text)) expect(reference).toMatch(/^env:[A-Z][A-Z0-9_]*(:-[^}]*)?$/);
      for (const line of text
        .split('\n')
        .filter((entry) => /^\s*(key|token|X-SF-Token|Authorization|dd-api-key):/i.test(entry)))
        expect(line).toMatch(/\$\{env:[A-Z_]+\}/);
    },
  );

  it('the check itself finds an undefined component and an unknown type', () => {
    const broken = merge(base, {
      exporters: { zipkin: {} },
      service: {
        pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['otlphttp/nowhere'] } },
      },
    }) as Yaml;
    expect(problems(broken)).toEqual([
      'exporters.zipkin: type "zipkin" is not one this check knows',
      'pipeline traces: exporters "otlphttp/nowhere" is not defined',
    ]);
  });
});
