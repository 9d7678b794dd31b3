import { describe, expect, it } from 'vitest';
import { compliantSet, toOtlpDocument } from './__fixtures__/spans';
import { checkCompliance } from './check';
import { ConformanceInputError } from './conformance-input-error';
import { fromOtlpJson } from './from-otlp';

const exportDocument = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
      scopeSpans: [
        {
          scope: { name: '@genops/core' },
          spans: [
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
              parentSpanId: '',
              name: 'chat gpt-4o',
              kind: 3,
              startTimeUnixNano: '1763899200000000000',
              endTimeUnixNano: '1763899200912345678',
              attributes: [
                { key: 'genops.team', value: { stringValue: 'platform' } },
                { key: 'gen_ai.usage.input_tokens', value: { intValue: '20' } },
                { key: 'gen_ai.usage.output_tokens', value: { intValue: 10 } },
                { key: 'genops.accounting.reserved', value: { doubleValue: 0.0123 } },
                { key: 'gen_ai.request.stream', value: { boolValue: true } },
                {
                  key: 'gen_ai.response.finish_reasons',
                  value: { arrayValue: { values: [{ stringValue: 'stop' }, { stringValue: 'length' }] } },
                },
                { key: 'nested', value: { kvlistValue: { values: [{ key: 'a', value: { intValue: '1' } }] } } },
                { key: 'empty', value: {} },
              ],
              events: [
                {
                  name: 'genops.budget.reservation',
                  timeUnixNano: '1763899200001500000',
                  attributes: [{ key: 'genops.accounting.unit', value: { stringValue: 'USD' } }],
                },
              ],
              status: { code: 1, message: 'ok' },
            },
          ],
        },
      ],
    },
  ],
};

describe('fromOtlpJson', () => {
  it('reads spans, attributes of every value type, events and times', () => {
    expect(fromOtlpJson(exportDocument)).toEqual([
      {
        name: 'chat gpt-4o',
        traceId: '5b8efff798038103d269b633813fc60c',
        spanId: 'eee19b7ec3c1b174',
        kind: 3,
        startTime: 1763899200000,
        endTime: 1763899200912.345,
        attributes: {
          'genops.team': 'platform',
          'gen_ai.usage.input_tokens': 20,
          'gen_ai.usage.output_tokens': 10,
          'genops.accounting.reserved': 0.0123,
          'gen_ai.request.stream': true,
          'gen_ai.response.finish_reasons': ['stop', 'length'],
          nested: { a: 1 },
          empty: undefined,
        },
        events: [
          { name: 'genops.budget.reservation', time: 1763899200001.5, attributes: { 'genops.accounting.unit': 'USD' } },
        ],
        status: { code: 1, message: 'ok' },
      },
    ]);
  });

  it('accepts JSON text, a JSON array of documents and JSON lines', () => {
    const spans = compliantSet();
    const first = toOtlpDocument(spans.slice(0, 2));
    const second = toOtlpDocument(spans.slice(2));

    expect(fromOtlpJson(JSON.stringify(first))).toHaveLength(2);
    expect(fromOtlpJson([first, second])).toHaveLength(5);
    expect(fromOtlpJson(JSON.stringify([first, second]))).toHaveLength(5);
    const jsonLines = `${JSON.stringify(first)}\n\n${JSON.stringify(second)}\n`;
    expect(fromOtlpJson(jsonLines)).toHaveLength(5);
    expect(fromOtlpJson(new TextEncoder().encode(jsonLines))).toHaveLength(5);
  });

  it('round-trips the compliant fixture set through OTLP/JSON and it stays compliant', () => {
    const spans = fromOtlpJson(JSON.stringify(toOtlpDocument(compliantSet())));
    expect(checkCompliance(spans)).toEqual({ compliant: true, checked: 4, violations: [] });
  });

  it('reads the pre-1.0 instrumentationLibrarySpans and {low, high} nanosecond times', () => {
    const spans = fromOtlpJson({
      resourceSpans: [
        {
          instrumentationLibrarySpans: [
            { spans: [{ name: 'old', startTimeUnixNano: { low: 1_000_000, high: 0 }, attributes: [] }] },
          ],
        },
      ],
    });
    expect(spans).toEqual([{ name: 'old', startTime: 1, attributes: {}, events: [] }]);
  });

  it('skips documents without spans (e.g. metrics lines in the same file)', () => {
    const lines = [JSON.stringify({ resourceMetrics: [] }), JSON.stringify(exportDocument)].join('\n');
    expect(fromOtlpJson(lines)).toHaveLength(1);
    expect(fromOtlpJson({})).toEqual([]);
  });

  it('throws ConformanceInputError on text that is not JSON, naming the line', () => {
    expect(() => fromOtlpJson('not json')).toThrow(/the input is not JSON .*expected an OTLP\/JSON trace export/);
    expect(() => fromOtlpJson(`${JSON.stringify(exportDocument)}\n{broken`)).toThrow(/line 2 is not JSON/);
    expect(() => fromOtlpJson('   ')).toThrow(/the input is empty/);
    expect(() => fromOtlpJson(42)).toThrow(ConformanceInputError);
    try {
      fromOtlpJson(null);
    } catch (error) {
      expect(ConformanceInputError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/got null$/);
    }
  });
});
