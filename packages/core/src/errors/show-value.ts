// A value as an error message may show it ("got …"): short, in bounded time and memory, and never a throw.
// A small plain value is shown as JSON; anything else (a cycle, a class instance such as a tracer provider, a
// large object) by its kind, so a mistaken option cannot turn a ConfigError into a TypeError, nor flood a log.

const MAX_NODES = 40;

/** `"gpt-4o"`, `12`, `[]`, `{"limit":-1}`, `an object (BasicTracerProvider)`, `an array of 3 items`, `nothing`. */
export function showValue(value: unknown, max = 80): string {
  switch (typeof value) {
    case 'undefined':
      return 'nothing';
    case 'string':
      return JSON.stringify(value.length > max ? `${value.slice(0, max - 3)}...` : value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return 'a function';
  }
  if (value === null) return 'null';
  if (isSmallPlain(value, new Set(), { left: MAX_NODES })) {
    const text = JSON.stringify(value);
    return text.length > max ? `${text.slice(0, max - 3)}...` : text;
  }
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? `an object (${name})` : 'an object';
}

/** Plain objects and arrays of JSON primitives, with no cycle and at most MAX_NODES values in all. */
function isSmallPlain(value: unknown, ancestors: Set<object>, budget: { left: number }): boolean {
  if (--budget.left < 0) return false;
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  const object = value as object;
  const proto = Object.getPrototypeOf(object);
  if (!(Array.isArray(object) ? proto === Array.prototype : proto === Object.prototype || proto === null)) return false;
  if (ancestors.has(object)) return false;
  ancestors.add(object);
  const values = Array.isArray(object) ? object : Object.values(object);
  if (values.length > MAX_NODES) return false;
  for (const item of values) if (!isSmallPlain(item, ancestors, budget)) return false;
  ancestors.delete(object);
  return true;
}
