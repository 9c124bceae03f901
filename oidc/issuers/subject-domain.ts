// Fulcio's subject-domain rules for `uri` and `username` issuers (pkg/config/config.go validateConfig,
// isURISubjectAllowed, validateAllowedDomain): the configured SubjectDomain must share its top two DNS labels with
// the issuer's host, so an issuer can only vouch for subjects under its own registrable domain. Like Fulcio, this
// does not know about public suffixes such as co.uk.

import { isEmail } from './email-address.js';
import { GoURLError, parseGoURL, type GoURL } from './go-url.js';
import { goHostname } from './uri-san.js';

/** validateAllowedDomain: undefined when allowed, else Fulcio's error text. */
export function validateAllowedDomain(subjectHostname: string, issuerHostname: string): string | undefined {
  if (subjectHostname === issuerHostname) return undefined;
  const s = subjectHostname.split('.');
  const i = issuerHostname.split('.');
  if (s.length < 2) return `URI hostname too short: ${subjectHostname}`;
  if (i.length < 2) return `URI hostname too short: ${issuerHostname}`;
  if (s[s.length - 1] === i[i.length - 1] && s[s.length - 2] === i[i.length - 2]) return undefined;
  return `hostname top-level and second-level domains do not match: ${subjectHostname}, ${issuerHostname}`;
}

/** isURISubjectAllowed: same scheme, then validateAllowedDomain on the hostnames. */
export function isURISubjectAllowed(subject: GoURL, issuer: GoURL): string | undefined {
  if (subject.scheme !== issuer.scheme) {
    return `subject (${subject.scheme}) and issuer (${issuer.scheme}) URI schemes do not match`;
  }
  return validateAllowedDomain(goHostname(subject), goHostname(issuer));
}

function tryParse(raw: string): GoURL | string {
  try {
    return parseGoURL(raw);
  } catch (e) {
    if (e instanceof GoURLError) return e.message;
    throw e;
  }
}

/**
 * The config-time check of a `uri` or `username` issuer's SubjectDomain against its issuer URL; undefined when it
 * passes, else a description of the problem.
 */
export function subjectDomainProblem(type: 'uri' | 'username', subjectDomain: string, issuerUrl: string): string | undefined {
  const domain = tryParse(subjectDomain);
  if (typeof domain === 'string') return `"${subjectDomain}" is not a valid URL: ${domain}`;
  const issuer = tryParse(issuerUrl);
  if (typeof issuer === 'string' || issuer.scheme === '') return `the issuer URL "${issuerUrl}" must contain a scheme`;
  if (type === 'uri') {
    if (domain.scheme === '') return `"${subjectDomain}" must contain a scheme for uri issuers`;
    return isURISubjectAllowed(domain, issuer);
  }
  if (domain.scheme !== '') return `"${subjectDomain}" must not contain a scheme for username issuers`;
  return validateAllowedDomain(subjectDomain, goHostname(issuer));
}

/**
 * govalidator.IsEmail, as the uri and username types apply it to `sub`. email-address.ts covers ASCII exactly;
 * govalidator also accepts many non-ASCII addresses, so a non-ASCII subject with an "@" is treated as an email
 * (refusing a little more than Fulcio rather than issuing what Fulcio refuses).
 */
export function looksLikeEmail(s: string): boolean {
  return isEmail(s) || (!/^\p{ASCII}*$/u.test(s) && s.includes('@'));
}
