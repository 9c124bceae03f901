// Go's formatting of numbers and decoded JSON values, where Fulcio's output depends on it:
//   goFloatV   fmt's %v of a float64: strconv 'g' with the shortest digits, so exponent form when the decimal
//              exponent is < -4 or >= 6 (1e+06, 1.5, 1e-05)
//   goFloatF   strconv.FormatFloat(x, 'f', -1, 64): shortest digits, never an exponent
//   goSprintV  fmt.Sprintf("%v", x) of a value decoded by encoding/json into `any`

/** Shortest round-trip digits of |x| and the decimal exponent of the first digit (x = d.ddd × 10^exp). */
function shortest(x: number): { neg: boolean; digits: string; exp: number } {
  const [mant, e] = Math.abs(x).toExponential().split('e') as [string, string];
  return { neg: x < 0 || Object.is(x, -0), digits: mant.replace('.', ''), exp: Number(e) };
}

function special(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  return undefined;
}

function fixed(neg: boolean, digits: string, exp: number): string {
  let int: string;
  let frac: string;
  if (exp >= 0) {
    int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    frac = digits.slice(exp + 1);
  } else {
    int = '0';
    frac = '0'.repeat(-exp - 1) + digits;
  }
  frac = frac.replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac === '' ? '' : `.${frac}`}`;
}

/** fmt %v of a float64. */
export function goFloatV(x: number): string {
  const s = special(x);
  if (s !== undefined) return s;
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { neg, digits, exp } = shortest(x);
  if (exp >= -4 && exp < 6) return fixed(neg, digits, exp);
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${neg ? '-' : ''}${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** strconv.FormatFloat(x, 'f', -1, 64). */
export function goFloatF(x: number): string {
  const s = special(x);
  if (s !== undefined) return s;
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { neg, digits, exp } = shortest(x);
  return fixed(neg, digits, exp);
}

/** fmt.Sprintf("%v", v) of a JSON-decoded value (numbers are float64, objects map[string]any with sorted keys). */
export function goSprintV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return goFloatV(v);
  if (Array.isArray(v)) return `[${v.map(goSprintV).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goSprintV(o[k])}`).join(' ')}]`;
  }
  return String(v);
}
