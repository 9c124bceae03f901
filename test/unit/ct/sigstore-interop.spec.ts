// Our SCTs, embedded the way the CA embeds them (SCT list in place of the poison), pass sigstore-js' own verifier.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import { verifySCTs } from '@sigstore/verify/dist/key/sct.js';
import { createLog } from '../../../ct/log.js';
import { createMemoryStore } from '../../../ct/memory-store.js';
import { serializeSctList } from '../../../ct/structures.js';
import { octetString } from '../../../lib/der.js';
import { extension, logSigner, makePki, POISON } from './helpers.js';

describe('ct SCTs and sigstore-js', () => {
  it('verifySCTs accepts the embedded SCT and rejects it for another log key', async () => {
    const pki = await makePki();
    const signer = logSigner();
    const log = createLog({ signer, roots: [pki.root.der], store: createMemoryStore() });
    const fixed = { serial: 4242, notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 600_000) };
    const sct = await log.addPreChain([await pki.leaf({ ...fixed, trailing: [POISON] }), pki.intermediate.der]);
    const sctExt = extension('1.3.6.1.4.1.11129.2.4.2', octetString(serializeSctList([sct])));
    const final = X509Certificate.parse(Buffer.from(await pki.leaf({ ...fixed, trailing: [sctExt] })));
    const issuer = X509Certificate.parse(Buffer.from(pki.intermediate.der));
    const authority = (spki: Buffer) => ({
      logID: log.logId,
      baseURL: 'http://127.0.0.1/test',
      publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }),
      validFor: { start: new Date(0), end: new Date(8.64e15) },
    });
    assert.deepEqual(verifySCTs(final, issuer, [authority(signer.spki)]), [log.logId]);
    assert.throws(() => verifySCTs(final, issuer, [authority(logSigner().spki)]), /SCT verification failed/);
    // the issuer key hash must be the intermediate's: verifying against the root fails
    assert.throws(() => verifySCTs(final, X509Certificate.parse(Buffer.from(pki.root.der)), [authority(signer.spki)]), /SCT verification failed/);
  });
});
