// Creates a CA shaped like the ones enterprises run: a self-signed root and an intermediate that issues leaves.
// Used for development keys (keys-dev/) and for tests; production CAs bring their own chain.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { boolean, encodeOid, implicitPrimitive, octetString, sequence, smallInteger, tlv, unsignedInteger } from '../lib/der.js';
import { keySigner } from '../lib/signer.js';
import { extension } from './extension.js';
import { keyIdentifier } from './key-id.js';
import { encodeName } from './name.js';
import { OID } from './oids.js';
import { encodeTbs, signTbs } from './tbs.js';

export interface DevCa {
  readonly rootKey: KeyObject;
  readonly root: Buffer;
  readonly intermediateKey: KeyObject;
  readonly intermediate: Buffer;
}

const DAY = 86_400_000;
// KU keyCertSign (bit 5) + cRLSign (bit 6): one byte 0x06 with one unused bit.
const CA_KEY_USAGE = extension(OID.keyUsage, tlv(0x03, Buffer.from([1, 0x06])), true);

function basicConstraints(pathLen?: number): Buffer {
  const items = [boolean(true)];
  if (pathLen !== undefined) items.push(smallInteger(pathLen));
  return extension(OID.basicConstraints, sequence(...items), true);
}

const serial = () => {
  const b = randomBytes(16);
  b[0] = ((b[0] as number) & 0x7f) | 0x40;
  return unsignedInteger(b);
};

export async function createDevCa(opts: { organization?: string; now?: Date; years?: number } = {}): Promise<DevCa> {
  const organization = opts.organization ?? 'Fulgor Development';
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000;
  const notBefore = new Date(now - DAY);
  const notAfter = new Date(now + (opts.years ?? 10) * 365 * DAY);
  const rootKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const intermediateKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const rootSigner = keySigner(rootKey);
  const interSigner = keySigner(intermediateKey);
  const rootName = encodeName({ organization, commonName: `${organization} Root CA` });
  const interName = encodeName({ organization, commonName: `${organization} Intermediate CA` });
  const rootKeyId = keyIdentifier(rootSigner.spki);

  const root = await signTbs(
    encodeTbs({
      serial: serial(),
      signatureAlgorithm: rootSigner.algorithmIdentifier,
      issuer: rootName,
      notBefore,
      notAfter,
      subject: rootName,
      spki: rootSigner.spki,
      extensions: [CA_KEY_USAGE, basicConstraints(), extension(OID.subjectKeyIdentifier, octetString(rootKeyId))],
    }),
    rootSigner,
  );
  const intermediate = await signTbs(
    encodeTbs({
      serial: serial(),
      signatureAlgorithm: rootSigner.algorithmIdentifier,
      issuer: rootName,
      notBefore,
      notAfter,
      subject: interName,
      spki: interSigner.spki,
      extensions: [
        CA_KEY_USAGE,
        extension(OID.extKeyUsage, sequence(encodeOid(OID.codeSigning))),
        basicConstraints(0),
        extension(OID.subjectKeyIdentifier, octetString(keyIdentifier(interSigner.spki))),
        extension(OID.authorityKeyIdentifier, sequence(implicitPrimitive(0, rootKeyId))),
      ],
    }),
    rootSigner,
  );
  return { rootKey, root, intermediateKey, intermediate };
}
