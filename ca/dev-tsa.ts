// A development timestamp-authority certificate, issued by the development root with the TSA profile
// (ca/tsa-profile.ts: critical EKU timeStamping as the only purpose, critical KU digitalSignature, not a CA).
// Written by ca/dev-keys.ts as tsa.pem (the root stays in root-ca.pem) and tsa.key.pem; `fulgor ca init` makes the
// production one with the same profile.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { keySigner } from '../lib/signer.js';
import { parseCertificate } from '../lib/x509.js';
import { encodeName } from './name.js';
import { createTsaCertificate } from './tsa-profile.js';

const DAY = 86_400_000;

export interface DevTsa {
  readonly key: KeyObject;
  readonly cert: Buffer;
}

export async function createDevTsa(
  issuer: { readonly root: Buffer; readonly rootKeyPem: string },
  opts: { organization?: string; now?: Date; years?: number } = {},
): Promise<DevTsa> {
  const organization = opts.organization ?? 'Fulgor Development';
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000;
  const root = parseCertificate(issuer.root);
  const rootSigner = keySigner(createPrivateKey(issuer.rootKeyPem));
  if (!rootSigner.spki.equals(root.spki)) throw new Error('the root key does not belong to the root certificate');
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const cert = await createTsaCertificate({
    subject: encodeName({ organization, commonName: `${organization} Timestamp Authority` }),
    spki: keySigner(key).spki,
    issuerCert: issuer.root,
    issuerSigner: rootSigner,
    validity: {
      notBefore: new Date(Math.max(now - DAY, root.notBefore.getTime())),
      notAfter: new Date(Math.min(now + (opts.years ?? 10) * 365 * DAY, root.notAfter.getTime())),
    },
  });
  return { key, cert };
}
