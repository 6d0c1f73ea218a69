import { ValidateBy, type ValidationOptions } from 'class-validator';

export interface JsonObjectBounds {
  /** The object itself is depth 1: `{ a: { b: 1 } }` is depth 2. */
  maxDepth: number;
  /** Keys and array items at every level together. */
  maxEntries: number;
  /** UTF-8 bytes of its JSON. */
  maxBytes: number;
}

/** Why `value` is not a JSON object within `bounds`, or null when it is one. Iterative: no stack to overflow. */
export function jsonObjectProblem(value: unknown, bounds: JsonObjectBounds): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) {
    return 'must be a JSON object';
  }
  let entries = 0;
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > bounds.maxDepth) return `must not be nested deeper than ${bounds.maxDepth} levels`;
    const children = Array.isArray(node) ? node : Object.values(node as Record<string, unknown>);
    entries += children.length;
    if (entries > bounds.maxEntries) return `must not hold more than ${bounds.maxEntries} keys and items`;
    for (const child of children) stack.push({ node: child, depth: depth + 1 });
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > bounds.maxBytes) return `must not be larger than ${bounds.maxBytes} bytes as JSON (${bytes})`;
  return null;
}

/** A JSON object (not an array, not null) no deeper, wider or larger than `bounds`. */
export function IsBoundedJsonObject(bounds: JsonObjectBounds, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isBoundedJsonObject',
      constraints: [bounds],
      validator: {
        validate: (value: unknown) => jsonObjectProblem(value, bounds) === null,
        defaultMessage: (args) => `${args?.property ?? 'value'} ${jsonObjectProblem(args?.value, bounds) ?? 'is invalid'}`,
      },
    },
    options,
  );
}
