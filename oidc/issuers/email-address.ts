// govalidator.IsEmail, which Fulcio's email principal applies to the `email` claim, restricted to ASCII (an
// rfc822Name SAN is an IA5String, so Go could not issue a certificate for anything else anyway).
//
// govalidator's regex, run by RE2, is linear; run naively by a backtracking engine it is exponential. This is an
// equivalent formulation: the address splits at its last "@" (neither form of local part nor the domain can end in
// one), the local part is a dot-atom or a quoted string, and `(label\.)+tld\.?` collapses to one label because
// labels may themselves contain dots.

const ATEXT = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~]";
const DOT_ATOM = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`);
const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9\-._~]*[A-Za-z0-9])?\.[A-Za-z](?:[A-Za-z0-9\-._~]*[A-Za-z])?\.?$/;

// qtext of govalidator: \x01-\x08 \x0b \x0c \x0e-\x1f \x7f \x21 \x23-\x5b \x5d-\x7e
const isQtext = (c: number): boolean =>
  (c >= 0x01 && c <= 0x08) || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f) || c === 0x7f || c === 0x21 ||
  (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
// govalidator's "quoted-pair" is written `\(` + [\x01-\x09\x0b\x0c\x0d-\x7f]: a literal "(" then almost anything.
const isPairTail = (c: number): boolean => (c >= 0x01 && c <= 0x09) || c === 0x0b || c === 0x0c || (c >= 0x0d && c <= 0x7f);
const isWsp = (c: number): boolean => c === 0x20 || c === 0x09;

/**
 * Content between the quotes: (FWS? item)* FWS?, FWS = ([ \t]* CRLF)? [ \t]+, item = qtext | "(" pair-tail.
 * Simulated as an NFA over the states below, so it runs in linear time.
 */
function quotedContentOk(s: string): boolean {
  // B: item boundary; W: in [ \t]+ (before an optional CRLF); R: saw CR; N: saw CRLF; V: [ \t]+ after CRLF; P: after "(".
  let states = new Set<string>(['B']);
  for (let i = 0; i < s.length && states.size > 0; i++) {
    const c = s.charCodeAt(i);
    const next = new Set<string>();
    for (const st of states) {
      if (st === 'P') {
        if (isPairTail(c)) next.add('B');
        continue;
      }
      if (st === 'R') {
        if (c === 0x0a) next.add('N');
        continue;
      }
      if (st === 'N') {
        if (isWsp(c)) next.add('V');
        continue;
      }
      // B, W and V may all be followed by an item.
      if (isQtext(c)) next.add('B');
      if (c === 0x28) next.add('P');
      if (isWsp(c)) next.add(st === 'V' ? 'V' : 'W');
      if (c === 0x0d && st !== 'V') next.add('R');
    }
    states = next;
  }
  return states.has('B') || states.has('W') || states.has('V');
}

export function isEmail(address: string): boolean {
  if (!/^\p{ASCII}*$/u.test(address)) return false;
  const at = address.lastIndexOf('@');
  if (at < 0) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (!DOMAIN.test(domain)) return false;
  if (DOT_ATOM.test(local)) return true;
  return local.length >= 2 && local.startsWith('"') && local.endsWith('"') && quotedContentOk(local.slice(1, -1));
}
