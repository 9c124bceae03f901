// Reading keys from a decoded identity file the way Fulcio does, shared by every part of the config reader.

export type Flavor = 'json' | 'yaml';

/**
 * Reads `key` from a decoded object. JSON keys match as Go's encoding/json does: exactly, else case-insensitively
 * (the last such key wins). YAML keys must match exactly. null counts as absent (Go leaves the zero value).
 */
export function lookup(obj: Readonly<Record<string, unknown>>, key: string, flavor: Flavor): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key] ?? undefined;
  if (flavor === 'yaml') return undefined;
  let found: unknown;
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === key.toLowerCase()) found = v;
  return found ?? undefined;
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
