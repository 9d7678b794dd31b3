// A minimal value that satisfies a JSON Schema, for structured-output requests: what a model answering
// `response_format: { type: 'json_schema' }` (Chat Completions) or `text.format` (Responses) would send,
// kept small: every required property, the first enum / const / `anyOf` branch, empty arrays unless
// `minItems` asks for more. `$ref` (`#`, `#/$defs/…`, `#/definitions/…`) is followed; recursion is cut
// by the empty arrays and, past a depth limit, by `null`.

type Schema = Record<string, unknown>;

const MAX_DEPTH = 32;

/** A minimal JSON value valid against `schema` (a JSON Schema as the OpenAI helpers emit it). */
export function minimalValueOf(schema: unknown): unknown {
  return valueFor(schema, isSchema(schema) ? schema : {}, 0);
}

function valueFor(schema: unknown, root: Schema, depth: number): unknown {
  if (!isSchema(schema) || depth > MAX_DEPTH) return null;
  if (typeof schema.$ref === 'string') return valueFor(resolve(schema.$ref, root), root, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) {
      // Prefer a branch that is not `null` (a nullable field answered with a value reads more like a model).
      const branch = branches.find((candidate) => !isSchema(candidate) || candidate.type !== 'null') ?? branches[0];
      return valueFor(branch, root, depth + 1);
    }
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const merged: Record<string, unknown> = {};
    for (const part of schema.allOf) {
      const value = valueFor(part, root, depth + 1);
      if (isSchema(value)) Object.assign(merged, value);
    }
    return merged;
  }
  const type = Array.isArray(schema.type) ? (schema.type.find((name) => name !== 'null') ?? 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = isSchema(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? schema.required.filter((name) => typeof name === 'string') : [];
      const value: Record<string, unknown> = {};
      for (const name of required) value[name] = valueFor(properties[name], root, depth + 1);
      return value;
    }
    case 'array': {
      const count = typeof schema.minItems === 'number' && schema.minItems > 0 ? Math.min(schema.minItems, 8) : 0;
      return Array.from({ length: count }, () => valueFor(schema.items, root, depth + 1));
    }
    case 'string':
      return typeof schema.minLength === 'number' && schema.minLength > 0
        ? 'x'.repeat(Math.min(schema.minLength, 64))
        : '';
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      // No type: an object when it has properties, else any value.
      return isSchema(schema.properties) ? valueFor({ ...schema, type: 'object' }, root, depth + 1) : null;
  }
}

/** `#`, `#/$defs/Name`, `#/definitions/Name` (JSON Pointer, `~1` / `~0` escapes). */
function resolve(ref: string, root: Schema): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    if (!isSchema(node)) return undefined;
    node = node[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return node;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The JSON Schema a structured-output request asks for, if any: Chat Completions
 * `response_format: { type: 'json_schema', json_schema: { schema } }`, Responses
 * `text: { format: { type: 'json_schema', schema } }`.
 */
export function requestedSchemaOf(params: Record<string, unknown>): unknown {
  const format = params.response_format;
  if (isSchema(format) && format.type === 'json_schema' && isSchema(format.json_schema))
    return format.json_schema.schema ?? {};
  const text = params.text;
  if (isSchema(text) && isSchema(text.format) && text.format.type === 'json_schema') return text.format.schema ?? {};
  return undefined;
}

/**
 * The function a Responses API request makes the (fake) model call, deterministically: the one
 * `tool_choice` names, the first function tool when `tool_choice` is `required`, or the only tool when
 * the request offers exactly one, a function, and no function result has come back yet (`input` holds no
 * `function_call_output`), as a model asked to use its one tool does. Otherwise none: the model answers
 * text. Its arguments are the minimal value of the tool's `parameters` schema.
 */
export function forcedFunctionOf(params: Record<string, unknown>): { name: string; arguments: string } | undefined {
  const tools = Array.isArray(params.tools) ? (params.tools as Record<string, unknown>[]) : [];
  const functions = tools.filter((tool) => tool?.type === 'function' && typeof tool.name === 'string');
  const choice = params.tool_choice as Record<string, unknown> | string | undefined;
  let chosen: Record<string, unknown> | undefined;
  if (typeof choice === 'object' && choice !== null && choice.type === 'function')
    chosen = functions.find((tool) => tool.name === choice.name);
  else if (choice === 'required') chosen = functions[0];
  else if ((choice === undefined || choice === 'auto') && tools.length === 1 && functions.length === 1) {
    const input = Array.isArray(params.input) ? (params.input as Record<string, unknown>[]) : [];
    if (!input.some((item) => item?.type === 'function_call_output')) chosen = functions[0];
  }
  if (!chosen) return undefined;
  return { name: chosen.name as string, arguments: JSON.stringify(minimalValueOf(chosen.parameters ?? {})) };
}
