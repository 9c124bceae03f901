// The JSONPath subset used by Fulcio's `IssuerClaim` (evaluated there by PaesslerAG/jsonpath and printed with
// Go's %v): `$` followed by `.name`, `['name']`, `["name"]` or `[index]` steps, e.g. `$.federated_claims.connector_id`.

import { FulgorError } from '../../lib/errors.js';
import type { Claims } from '../principal.js';

export type ClaimPath = readonly (string | number)[];

/** Parses a claim path; throws Error with a description when it is outside the supported subset. */
export function parseClaimPath(path: string): ClaimPath {
  if (!path.startsWith('$')) throw new Error(`JSONPath "${path}" must start with "$"`);
  const steps: (string | number)[] = [];
  const re = /\.([A-Za-z0-9_-]+)|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const at = re.lastIndex;
    const m = re.exec(path);
    if (m === null) throw new Error(`JSONPath "${path}" has an unsupported step at offset ${at}`);
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) steps.push(m[2].replace(/\\(.)/g, '$1'));
    else if (m[3] !== undefined) steps.push(m[3].replace(/\\(.)/g, '$1'));
    else steps.push(Number(m[4]));
  }
  if (steps.length === 0) throw new Error(`JSONPath "${path}" selects the whole token, not a claim`);
  return steps;
}

/** Go's %v for a float64 (what encoding/json gives a JSON number in an interface{}). */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (Object.is(v, -0)) return '-0';
  const [mant = '', expStr = '0'] = v.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}

/**
 * Evaluates `path` over the claims and prints the result as Fulcio does. A missing step is MISSING_CLAIM; a
 * value that is not a string, number or boolean is INVALID_CLAIM (Go would print "<nil>" or "map[…]").
 */
export function claimAtPath(claims: Claims, path: string): string {
  let steps: ClaimPath;
  try {
    steps = parseClaimPath(path);
  } catch (e) {
    throw new FulgorError('BAD_REQUEST', `issuer claim path "${path}" is not supported`, { cause: e });
  }
  let cur: unknown = claims;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(cur)) throw pathError('INVALID_CLAIM', path, 'does not lead to an array');
      cur = cur[step];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) {
        throw pathError('INVALID_CLAIM', path, 'does not lead to an object');
      }
      cur = Object.prototype.hasOwnProperty.call(cur, step) ? (cur as Record<string, unknown>)[step] : undefined;
    }
    if (cur === undefined) throw pathError('MISSING_CLAIM', path, '');
  }
  if (typeof cur === 'string') {
    if (cur === '') throw pathError('MISSING_CLAIM', path, '');
    return cur;
  }
  if (typeof cur === 'number') return formatGoFloat(cur);
  if (typeof cur === 'boolean') return String(cur);
  throw pathError('INVALID_CLAIM', path, 'must be a string, number or boolean');
}

function pathError(code: 'MISSING_CLAIM' | 'INVALID_CLAIM', path: string, why: string): FulgorError {
  const message =
    code === 'MISSING_CLAIM' ? `token is missing required claim "${path}"` : `token claim "${path}" ${why}`;
  return new FulgorError(code, message, { metadata: { claim: path } });
}
