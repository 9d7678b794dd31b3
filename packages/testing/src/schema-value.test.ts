import { describe, expect, it } from 'vitest';
import { minimalValueOf, requestedSchemaOf } from './schema-value';

describe('minimalValueOf', () => {
  it('fills every required property with the smallest value of its type', () => {
    const schema = {
      type: 'object',
      properties: {
        steps: { type: 'array', items: { type: 'object', properties: { output: { type: 'string' } } } },
        final_answer: { type: 'string' },
        count: { type: 'integer', minimum: 2 },
        ok: { type: 'boolean' },
        nickname: { type: 'string' },
      },
      required: ['steps', 'final_answer', 'count', 'ok'],
      additionalProperties: false,
    };
    expect(minimalValueOf(schema)).toEqual({ steps: [], final_answer: '', count: 2, ok: false });
  });

  it('takes the first enum value, the const, and the first non-null branch of anyOf', () => {
    const schema = {
      type: 'object',
      properties: {
        table: { type: 'string', enum: ['orders', 'customers'] },
        kind: { const: 'query' },
        value: { anyOf: [{ type: 'null' }, { type: 'number' }] },
        label: { type: ['null', 'string'] },
      },
      required: ['table', 'kind', 'value', 'label'],
    };
    expect(minimalValueOf(schema)).toEqual({ table: 'orders', kind: 'query', value: 0, label: '' });
  });

  it('follows $ref into $defs and definitions, and through a recursive root reference', () => {
    const recursive = {
      type: 'object',
      properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } } },
      required: ['label', 'children'],
    };
    expect(minimalValueOf(recursive)).toEqual({ label: '', children: [] });
    const referenced = {
      type: 'object',
      properties: { a: { $ref: '#/$defs/A' }, b: { $ref: '#/definitions/B' } },
      required: ['a', 'b'],
      $defs: { A: { type: 'string', enum: ['x'] } },
      definitions: { B: { type: 'array', items: { type: 'number' }, minItems: 2 } },
    };
    expect(minimalValueOf(referenced)).toEqual({ a: 'x', b: [0, 0] });
  });

  it('ends a schema that requires itself forever with null past the depth limit', () => {
    const endless = { type: 'object', properties: { next: { $ref: '#' } }, required: ['next'] };
    let value = minimalValueOf(endless) as { next: unknown } | null;
    let depth = 0;
    while (value !== null) {
      value = value.next as { next: unknown } | null;
      depth += 1;
    }
    expect(depth).toBeGreaterThan(5);
    expect(depth).toBeLessThan(40);
  });
});

describe('requestedSchemaOf', () => {
  it('reads Chat Completions response_format and Responses text.format, and nothing else', () => {
    const schema = { type: 'object' };
    expect(requestedSchemaOf({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } })).toBe(
      schema,
    );
    expect(requestedSchemaOf({ text: { format: { type: 'json_schema', name: 'x', schema } } })).toBe(schema);
    expect(requestedSchemaOf({ response_format: { type: 'text' } })).toBeUndefined();
    expect(requestedSchemaOf({ text: { format: { type: 'text' } } })).toBeUndefined();
  });
});
