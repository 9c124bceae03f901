// Creates a CA shaped like the ones enterprises run: a self-signed root and an intermediate that issues leaves, both
// with the production profiles of ca-profile.ts. Used for development keys (keys-dev/) and for tests; production CAs
// come from `fulgor ca init` or bring their own chain (`fulgor ca csr` / `ca import`).
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { DEV_CA_ORGANIZATION } from '../config/keys-dir.js';
import { keySigner } from '../lib/signer.js';
import { createIssuingCaCertificate, createRootCertificate } from './ca-profile.js';
import { encodeName } from './name.js';

export interface DevCa {
  readonly rootKey: KeyObject;
  readonly root: Buffer;
  readonly intermediateKey: KeyObject;
  readonly intermediate: Buffer;
}

const DAY = 86_400_000;

/** The curves a development CA can use: P-256 (default), or P-384 like Sigstore's public CA (the bench's price row). */
export type DevCaCurve = 'prime256v1' | 'secp384r1';

export async function createDevCa(opts: { organization?: string; now?: Date; years?: number; curve?: DevCaCurve } = {}): Promise<DevCa> {
  const organization = opts.organization ?? DEV_CA_ORGANIZATION;
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000;
  const validity = { notBefore: new Date(now - DAY), notAfter: new Date(now + (opts.years ?? 10) * 365 * DAY) };
  const namedCurve = opts.curve ?? 'prime256v1';
  const rootKey = generateKeyPairSync('ec', { namedCurve }).privateKey;
  const intermediateKey = generateKeyPairSync('ec', { namedCurve }).privateKey;
  const rootSigner = keySigner(rootKey);
  const root = await createRootCertificate({
    subject: encodeName({ organization, commonName: `${organization} Root CA` }),
    signer: rootSigner,
    validity,
  });
  const intermediate = await createIssuingCaCertificate({
    subject: encodeName({ organization, commonName: `${organization} Intermediate CA` }),
    spki: keySigner(intermediateKey).spki,
    issuerCert: root,
    issuerSigner: rootSigner,
    validity,
  });
  return { rootKey, root, intermediateKey, intermediate };
}
