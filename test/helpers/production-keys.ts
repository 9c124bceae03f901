// A production-shaped keys directory for tests, built with the project's own certificate code (ca/ca-profile.ts's
// extensions over lib/der, with signCaCertificate below able to leave one out): an enterprise chain root -> policy CA -> issuing CA (intermediate-ca.pem holds
// the issuing and the policy CA, root-ca.pem the root), the issuing CA key (plain or encrypted) and a CT log key,
// no root key and no DEVELOPMENT marker. Options break one thing at a time for the start-up checks.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  authorityKeyIdExtension,
  CA_KEY_USAGE,
  caBasicConstraints,
  caSerial,
  subjectKeyIdExtension,
} from '../../ca/ca-profile.js';
import { extension } from '../../ca/extension.js';
import { keyIdentifier } from '../../ca/key-id.js';
import { encodeTbs, signTbs } from '../../ca/tbs.js';
import { encodeOid, sequence } from '../../lib/der.js';
import { encodeName } from '../../ca/name.js';
import { OID } from '../../ca/oids.js';
import { KEY_FILES } from '../../config/keys-dir.js';
import { certToPem } from '../../lib/pem.js';
import { keySigner, type Signer } from '../../lib/signer.js';
import { privateKeyPem } from '../../signer/index.js';

export interface CaCertificateSpec {
  /** The issuer's subject Name (DER) and signer; omitted for a self-signed root. */
  readonly issuer?: { readonly name: Buffer; readonly signer: Signer };
  readonly subject: Buffer;
  /** The subject's key (its signer signs a self-signed root). */
  readonly subjectSigner: Pick<Signer, 'spki'> & Partial<Signer>;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly pathLen?: number;
  /** The extendedKeyUsage purposes (OIDs); none: no EKU extension. Fulcio's issuing CAs carry codeSigning. */
  readonly extKeyUsages?: readonly string[];
  /** Leave out extensions (tests of what an issuing CA must contain). */
  readonly omit?: readonly ('keyUsage' | 'basicConstraints' | 'subjectKeyIdentifier')[];
}
export async function signCaCertificate(spec: CaCertificateSpec): Promise<Buffer> {
  const signer = spec.issuer?.signer ?? (spec.subjectSigner as Signer);
  const issuerName = spec.issuer?.name ?? spec.subject;
  const omit = new Set(spec.omit ?? []);
  const extensions = [
    ...(omit.has('keyUsage') ? [] : [CA_KEY_USAGE]),
    ...(spec.extKeyUsages?.length ? [extension(OID.extKeyUsage, sequence(...spec.extKeyUsages.map((o) => encodeOid(o))))] : []),
    ...(omit.has('basicConstraints') ? [] : [caBasicConstraints(spec.pathLen)]),
    ...(omit.has('subjectKeyIdentifier') ? [] : [subjectKeyIdExtension(spec.subjectSigner.spki)]),
    ...(spec.issuer ? [authorityKeyIdExtension(keyIdentifier(spec.issuer.signer.spki))] : []),
  ];
  return signTbs(
    encodeTbs({
      serial: caSerial(),
      signatureAlgorithm: signer.algorithmIdentifier,
      issuer: issuerName,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      subject: spec.subject,
      spki: spec.subjectSigner.spki,
      extensions,
    }),
    signer,
  );
}

const DAY = 86_400_000;
const p256 = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

export interface ProductionChain {
  readonly rootKey: KeyObject;
  readonly policyKey: KeyObject;
  readonly issuingKey: KeyObject;
  readonly root: Buffer;
  readonly policy: Buffer;
  readonly issuing: Buffer;
}

export interface ChainOptions {
  readonly organization?: string;
  /** Overrides for the issuing CA certificate (e.g. omit SKI, other EKUs, validity). */
  readonly issuing?: Partial<Pick<CaCertificateSpec, 'omit' | 'extKeyUsages' | 'notBefore' | 'notAfter' | 'pathLen'>>;
  /** The root's pathLenConstraint (1 allows the policy CA and the issuing CA below it; 0 does not). */
  readonly rootPathLen?: number;
}

/** root -> policy CA -> issuing CA, P-256, valid from yesterday for a year. */
export async function productionChain(o: ChainOptions = {}): Promise<ProductionChain> {
  const org = o.organization ?? 'Example Corp';
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + 365 * DAY);
  const [rootKey, policyKey, issuingKey] = [p256(), p256(), p256()];
  const names = {
    root: encodeName({ organization: org, commonName: `${org} Root CA` }),
    policy: encodeName({ organization: org, commonName: `${org} Policy CA` }),
    issuing: encodeName({ organization: org, commonName: `${org} Code Signing CA` }),
  };
  const rootSigner = keySigner(rootKey);
  const policySigner = keySigner(policyKey);
  const root = await signCaCertificate({
    subject: names.root,
    subjectSigner: rootSigner,
    notBefore,
    notAfter,
    ...(o.rootPathLen !== undefined ? { pathLen: o.rootPathLen } : {}),
  });
  const policy = await signCaCertificate({
    issuer: { name: names.root, signer: rootSigner },
    subject: names.policy,
    subjectSigner: policySigner,
    notBefore,
    notAfter,
    pathLen: 1,
  });
  const issuing = await signCaCertificate({
    issuer: { name: names.policy, signer: policySigner },
    subject: names.issuing,
    subjectSigner: keySigner(issuingKey),
    notBefore,
    notAfter,
    pathLen: 0,
    extKeyUsages: [OID.codeSigning],
    ...o.issuing,
  });
  return { rootKey, policyKey, issuingKey, root, policy, issuing };
}

export interface ProductionKeysDir {
  readonly dir: string;
  readonly chain: ProductionChain;
  readonly ctKey: KeyObject;
}

/** Writes a production keys dir at `dir`: the chain, the issuing CA key (encrypted with `passphrase` if given), the CT log key. */
export async function writeProductionKeysDir(dir: string, o: ChainOptions & { passphrase?: string } = {}): Promise<ProductionKeysDir> {
  const chain = await productionChain(o);
  const ctKey = p256();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const put = (name: string, text: string, mode = 0o644) => writeFileSync(join(dir, name), text, { mode });
  put(KEY_FILES.rootCert, certToPem(chain.root));
  put(KEY_FILES.caCert, certToPem(chain.issuing) + certToPem(chain.policy));
  put(KEY_FILES.caKey, privateKeyPem(chain.issuingKey, o.passphrase), 0o600);
  put(KEY_FILES.ctKey, privateKeyPem(ctKey), 0o600);
  put(KEY_FILES.ctPub, createPublicKey(ctKey).export({ type: 'spki', format: 'pem' }) as string);
  return { dir, chain, ctKey };
}
