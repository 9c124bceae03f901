// Checks a chain an enterprise PKI returns for Fulgor's issuing key (`fulgor ca import`): CHAIN = [issuing CA, ...
// intermediates], ROOT = the trust anchor. Every link is checked and the first broken rule is named with the
// certificate that breaks it, e.g. `chain[1] (CN=Policy CA): basicConstraints cA is not TRUE`:
//   issuing-key    chain[0] holds the issuing key made by `ca csr`
//   self-signed    the root's issuer is its subject and its signature verifies with its own key
//   name-chaining  each certificate's issuer is its parent's subject
//   signature      each certificate's signature verifies with its parent's key
//   key-identifier an authorityKeyIdentifier, when present, is the parent's subjectKeyIdentifier
//   ca             basicConstraints cA TRUE on every certificate (the issuing CA and the root included)
//   path-length    a pathLenConstraint allows the CA certificates below it
//   key-cert-sign  keyUsage with keyCertSign (required below the root; on the root when it has a keyUsage)
//   code-signing   where an extendedKeyUsage is present it allows codeSigning (Go verifiers nest EKUs)
//   validity       every certificate is valid now
import { X509Certificate } from 'node:crypto';
import { children, expectTag, parse, Tag } from '../lib/der.js';
import {
  basicConstraints,
  extendedKeyUsages,
  findExtension,
  KEY_CERT_SIGN,
  keyUsageBits,
  parseCertificate,
  type Certificate,
} from '../lib/x509.js';
import { OID } from './oids.js';

export type ChainRule =
  | 'malformed'
  | 'issuing-key'
  | 'self-signed'
  | 'name-chaining'
  | 'signature'
  | 'key-identifier'
  | 'ca'
  | 'path-length'
  | 'key-cert-sign'
  | 'code-signing'
  | 'validity';

export class ChainRuleError extends Error {
  override readonly name = 'ChainRuleError';
  constructor(
    readonly rule: ChainRule,
    message: string,
  ) {
    super(message);
  }
}

const ANY_EKU = '2.5.29.37.0';

interface Link {
  /** `chain[1] (CN=Policy CA)` or `root (CN=Acme Root)`. */
  readonly label: string;
  readonly cert: Certificate;
  readonly x509: X509Certificate;
}

/** `CN=...` when the subject has a common name, else the whole subject on one line. */
function shortName(x: X509Certificate): string {
  const lines = x.subject.split('\n').filter(Boolean);
  const cn = lines.find((l) => l.startsWith('CN='));
  return cn ?? (lines.join(', ') || 'empty subject');
}

function parseLink(der: Buffer, position: string): Link {
  let cert: Certificate, x509: X509Certificate;
  try {
    cert = parseCertificate(der);
    x509 = new X509Certificate(der);
  } catch (e) {
    throw new ChainRuleError('malformed', `${position}: not a well-formed X.509 certificate (${e instanceof Error ? e.message : String(e)})`);
  }
  return { label: `${position} (${shortName(x509)})`, cert, x509 };
}

function keyIdOf(cert: Certificate, oid: string): Buffer | undefined {
  const ext = findExtension(cert, oid);
  if (!ext) return undefined;
  if (oid === OID.subjectKeyIdentifier) return expectTag(parse(ext.value), Tag.OCTET_STRING, 'SubjectKeyIdentifier').content;
  return children(expectTag(parse(ext.value), Tag.SEQUENCE, 'AuthorityKeyIdentifier')).find((n) => n.tag === 0x80)?.content;
}

function read<T>(link: Link, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new ChainRuleError('malformed', `${link.label}: malformed ${what} (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The rules one CA certificate must keep; `below` CA certificates follow it down to the issuing CA. */
function checkCa(link: Link, below: number, isRoot: boolean, now: Date): void {
  const fail = (rule: ChainRule, why: string) => new ChainRuleError(rule, `${link.label}: ${why}`);
  const { cert } = link;
  if (now < cert.notBefore) throw fail('validity', `not valid yet (notBefore ${cert.notBefore.toISOString()})`);
  if (now > cert.notAfter) throw fail('validity', `expired (notAfter ${cert.notAfter.toISOString()})`);
  const bc = read(link, 'basicConstraints', () => basicConstraints(cert));
  if (!bc) throw fail('ca', 'basicConstraints cA is not TRUE (no basicConstraints extension)');
  if (!bc.ca) throw fail('ca', 'basicConstraints cA is not TRUE');
  if (bc.pathLen !== undefined && bc.pathLen < below)
    throw fail('path-length', `basicConstraints pathLenConstraint ${bc.pathLen} is exceeded: ${below} CA certificate${below === 1 ? '' : 's'} below it`);
  const usage = read(link, 'keyUsage', () => keyUsageBits(cert));
  if (usage === null && !isRoot) throw fail('key-cert-sign', 'no keyUsage extension (a CA certificate needs keyCertSign)');
  if (usage !== null && !usage.has(KEY_CERT_SIGN)) throw fail('key-cert-sign', 'keyUsage lacks keyCertSign');
  const ekus = read(link, 'extendedKeyUsage', () => extendedKeyUsages(cert));
  if (ekus !== null && !ekus.includes(OID.codeSigning) && !ekus.includes(ANY_EKU))
    throw fail(
      'code-signing',
      `extendedKeyUsage (${ekus.join(', ') || 'empty'}) lacks codeSigning (${OID.codeSigning}); verifiers nest EKUs, so every CA above a code-signing certificate must allow it`,
    );
}

function checkIssuedBy(child: Link, parent: Link): void {
  const fail = (rule: ChainRule, why: string) => new ChainRuleError(rule, `${child.label}: ${why}`);
  if (!child.cert.issuer.equals(parent.cert.subject) && child.x509.issuer !== parent.x509.subject)
    throw fail('name-chaining', `its issuer (${child.x509.issuer.split('\n').join(', ')}) is not the subject of ${parent.label}`);
  const aki = read(child, 'authorityKeyIdentifier', () => keyIdOf(child.cert, OID.authorityKeyIdentifier));
  const ski = read(parent, 'subjectKeyIdentifier', () => keyIdOf(parent.cert, OID.subjectKeyIdentifier));
  if (aki && ski && !aki.equals(ski))
    throw fail('key-identifier', `authorityKeyIdentifier ${aki.toString('hex')} is not the subjectKeyIdentifier ${ski.toString('hex')} of ${parent.label}`);
  let ok: boolean;
  try {
    ok = child.x509.verify(parent.x509.publicKey);
  } catch {
    ok = false;
  }
  if (!ok && child === parent) throw fail('self-signed', 'not a self-signed root (its signature does not verify with its own key)');
  if (!ok) throw fail('signature', `its signature does not verify with the key of ${parent.label}`);
}

export interface CheckedChain {
  /** [issuing CA, ...intermediates], DER, without the root (what intermediate-ca.pem holds). */
  readonly chain: Buffer[];
  readonly root: Buffer;
  /** True when the given chain ended with the root itself (it is dropped from `chain`). */
  readonly droppedRoot: boolean;
}

/**
 * Checks `chain` (issuing CA first) up to `root` for the issuing key `issuingSpki` (DER SubjectPublicKeyInfo;
 * `issuingKey` names it in messages). Throws a ChainRuleError naming the rule and the certificate.
 */
export function checkImportedChain(o: { chain: readonly Buffer[]; root: Buffer; issuingSpki: Buffer; issuingKey: string; now: Date }): CheckedChain {
  let ders = [...o.chain];
  const droppedRoot = ders.length > 1 && ders[ders.length - 1]!.equals(o.root);
  if (droppedRoot) ders = ders.slice(0, -1);
  if (ders.length === 0) throw new ChainRuleError('malformed', 'the chain holds no certificate (expected the issuing CA first, then any intermediates)');
  const links = ders.map((der, i) => parseLink(der, `chain[${i}]`));
  const root = parseLink(o.root, 'root');
  const issuing = links[0]!;

  if (!issuing.cert.spki.equals(o.issuingSpki))
    throw new ChainRuleError('issuing-key', `${issuing.label}: its public key is not the issuing key ${o.issuingKey} (the one the CSR was made for)`);
  if (!root.cert.issuer.equals(root.cert.subject))
    throw new ChainRuleError('self-signed', `${root.label}: not a self-signed root (its issuer is not its subject)`);
  checkIssuedBy(root, root);
  const all = [...links, root];
  links.forEach((link, i) => checkIssuedBy(link, all[i + 1]!));
  all.forEach((link, i) => checkCa(link, i, link === root, o.now));
  return { chain: ders, root: o.root, droppedRoot };
}
