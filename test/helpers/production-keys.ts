// A production-shaped keys directory for tests, built on test/helpers/enterprise-ca.ts (the project's own DER and
// certificate code): an enterprise chain root -> policy CA -> issuing CA (intermediate-ca.pem holds the issuing and the
// policy CA, root-ca.pem the root), the issuing CA key (plain or encrypted) and a CT log key, no root key and no
// DEVELOPMENT marker. Options break one thing at a time for the start-up checks.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OID } from '../../ca/oids.js';
import { KEY_FILES } from '../../config/keys-dir.js';
import { certToPem } from '../../lib/pem.js';
import { keySigner } from '../../lib/signer.js';
import { privateKeyPem } from '../../signer/index.js';
import { testRoot, testSubCa, type CaSpec, type TestCa } from './enterprise-ca.js';

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
  readonly issuing?: {
    readonly omit?: readonly ('keyUsage' | 'basicConstraints' | 'subjectKeyIdentifier')[];
    /** extendedKeyUsage purposes; empty: no EKU extension (default codeSigning). */
    readonly extKeyUsages?: readonly string[];
    readonly notBefore?: Date;
    readonly notAfter?: Date;
    readonly pathLen?: number;
  };
  /** The root's pathLenConstraint (1 allows the policy CA and the issuing CA below it; 0 does not). */
  readonly rootPathLen?: number;
}

/** The enterprise-ca spec of the issuing CA for `over`. */
function issuingSpec(org: string, over: NonNullable<ChainOptions['issuing']>): CaSpec {
  const omit = new Set(over.omit ?? []);
  const eku = over.extKeyUsages ?? [OID.codeSigning];
  return {
    organization: org,
    commonName: `${org} Code Signing CA`,
    pathLen: over.pathLen ?? 0,
    eku: eku.length ? eku : null,
    ...(omit.has('keyUsage') ? { keyUsage: null } : {}),
    ...(omit.has('basicConstraints') ? { ca: null } : {}),
    ...(omit.has('subjectKeyIdentifier') ? { ski: false as const } : {}),
    ...(over.notBefore ? { notBefore: over.notBefore } : {}),
    ...(over.notAfter ? { notAfter: over.notAfter } : {}),
  };
}

/** root -> policy CA -> issuing CA, P-256, valid from yesterday for a year. */
export async function productionChain(o: ChainOptions = {}): Promise<ProductionChain> {
  const org = o.organization ?? 'Example Corp';
  const root = await testRoot({ organization: org, commonName: `${org} Root CA`, ...(o.rootPathLen !== undefined ? { pathLen: o.rootPathLen } : {}) });
  const policy = (await testSubCa(root, { organization: org, commonName: `${org} Policy CA`, pathLen: 1 })) as TestCa;
  const issuingKey = p256();
  const issuing = await testSubCa(policy, issuingSpec(org, o.issuing ?? {}), keySigner(issuingKey).spki);
  return { rootKey: root.key, policyKey: policy.key, issuingKey, root: root.der, policy: policy.der, issuing: issuing.der };
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
