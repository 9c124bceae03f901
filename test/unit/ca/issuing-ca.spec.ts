// What the issuing CA must contain, checked at start: each rule refused on its own, with the rule named; a
// three-level enterprise chain (root -> policy CA -> issuing CA) and an issuing CA without EKU are accepted.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createIssuingCa, IssuingCaError, type IssuingCaRule } from '../../../ca/issuing-ca.js';
import { keySigner } from '../../../lib/signer.js';
import { productionChain, type ChainOptions } from '../../helpers/production-keys.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

const refused = (rule: IssuingCaRule, re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof IssuingCaError, `expected an IssuingCaError, got ${String(e)}`);
  assert.equal(e.rule, rule, e.message);
  assert.match(e.message, re);
  assert.match(e.message, new RegExp(`rule "${rule}"`));
  return true;
};

async function check(o: ChainOptions, now?: Date) {
  const c = await productionChain(o);
  return () => createIssuingCa([c.issuing, c.policy, c.root], keySigner(c.issuingKey), now ? { now } : {});
}

describe('ca/issuing-ca: the issuing CA profile, checked at start', () => {
  it('accepts a three-level chain [issuing, policy, root] and keeps all of it', async () => {
    const c = await productionChain();
    const ca = createIssuingCa([c.issuing, c.policy, c.root], keySigner(c.issuingKey));
    assert.deepEqual(ca.chain, [c.issuing, c.policy, c.root]);
    assert.equal(ca.keyId.length, 20);
  });

  it('accepts an issuing CA without extendedKeyUsage (EKUs are checked only when present)', async () => {
    assert.doesNotThrow(await check({ issuing: { extKeyUsages: [] } }));
  });

  it('refuses an issuing CA whose EKU lacks codeSigning', async () => {
    assert.throws(await check({ issuing: { extKeyUsages: [SERVER_AUTH] } }), refused('codeSigning', /issuing CA certificate \(O=Example Corp, CN=Example Corp Code Signing CA\) has an extendedKeyUsage without codeSigning/));
  });

  it('refuses an issuing CA without keyUsage keyCertSign', async () => {
    assert.throws(await check({ issuing: { omit: ['keyUsage'] } }), refused('keyCertSign', /has no keyUsage keyCertSign/));
  });

  it('refuses an issuing certificate that is not a CA', async () => {
    assert.throws(await check({ issuing: { omit: ['basicConstraints'] } }), refused('ca', /issuing CA certificate .* is not a CA/));
  });

  it('refuses an issuing CA without subjectKeyIdentifier', async () => {
    assert.throws(await check({ issuing: { omit: ['subjectKeyIdentifier'] } }), refused('ski', /has no subjectKeyIdentifier/));
  });

  it('refuses an issuing CA that is not yet valid, or expired', async () => {
    const soon = new Date(Date.now() + 86_400_000);
    assert.throws(await check({ issuing: { notBefore: soon } }), refused('validity', /is valid from .* not now/));
    const c = await productionChain();
    const later = new Date(Date.now() + 2 * 365 * 86_400_000);
    assert.throws(() => createIssuingCa([c.issuing, c.policy, c.root], keySigner(c.issuingKey), { now: later }), refused('validity', /not now/));
  });

  it('refuses a root whose pathLenConstraint leaves no room for the policy CA', async () => {
    assert.throws(await check({ rootPathLen: 0 }), refused('pathLen', /root certificate .* allows 0 CA certificate\(s\) below it, the chain has 1/));
    assert.doesNotThrow(await check({ rootPathLen: 1 }));
  });

  it('refuses a chain out of order or missing a link', async () => {
    const c = await productionChain();
    const signer = keySigner(c.issuingKey);
    assert.throws(() => createIssuingCa([c.issuing, c.root], signer), refused('chain', /certificate 0 .* is not signed by the next one/));
    assert.throws(() => createIssuingCa([c.issuing, c.policy], signer), refused('chain', /is not signed by itself: the last certificate must be the root/));
  });

  it('refuses a signing key that is not the issuing certificate\'s', async () => {
    const c = await productionChain();
    const other = keySigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    assert.throws(() => createIssuingCa([c.issuing, c.policy, c.root], other), refused('keyMatch', /the CA signing key does not match the issuing CA certificate/));
  });
});
