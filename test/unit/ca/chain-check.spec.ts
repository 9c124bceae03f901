import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { ChainRuleError, checkImportedChain, type ChainRule } from '../../../ca/chain-check.js';
import { createIssuingCa } from '../../../ca/issuing-ca.js';
import { keySigner } from '../../../lib/signer.js';
import { enterpriseChain, testRoot, testSubCa, type CaSpec } from '../../helpers/enterprise-ca.js';

const DAY = 86_400_000;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

describe('ca/chain-check: an imported enterprise chain, every link checked, the broken rule named', () => {
  const issuingKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const spki = keySigner(issuingKey).spki;
  const check = (c: { root: Buffer; chain: Buffer[] }, key = spki) =>
    checkImportedChain({ ...c, issuingSpki: key, issuingKey: 'keys/intermediate-ca.key.pem', now: new Date() });

  const refused = (rule: ChainRule, message: RegExp) => (e: unknown) => {
    assert.ok(e instanceof ChainRuleError, `expected a ChainRuleError, got ${String(e)}`);
    assert.equal(e.rule, rule, e.message);
    assert.match(e.message, message);
    return true;
  };

  it('accepts root -> policy CA -> issuing CA, and the result is a working issuing CA', async () => {
    const c = await enterpriseChain(spki);
    const checked = check(c);
    assert.deepEqual(checked.chain, c.chain);
    assert.equal(checked.droppedRoot, false);
    // The same chain is what ca/issuing-ca.ts accepts for issuance (it checks every link too).
    createIssuingCa([...checked.chain, c.root], keySigner(issuingKey));
  });

  it('drops the root when the chain ends with it, and accepts a root without keyUsage or a chain with an anyExtendedKeyUsage', async () => {
    const c = await enterpriseChain(spki, { root: { keyUsage: null }, policy: { eku: ['2.5.29.37.0'] } });
    const checked = check({ root: c.root, chain: [...c.chain, c.root] });
    assert.equal(checked.droppedRoot, true);
    assert.equal(checked.chain.length, 2);
  });

  // One chain per case, built before the cases run (the helper is async).
  let built = new Map<object, { root: Buffer; chain: Buffer[] }>();
  before(async () => {
    built = new Map(await Promise.all(cases.map(async ([, over]) => [over, await enterpriseChain(spki, over)] as const)));
  });
  const cases: [string, { root?: Partial<CaSpec>; policy?: Partial<CaSpec>; issuing?: Partial<CaSpec> }, ChainRule, RegExp][] = [
    ['a policy CA that is not a CA', { policy: { ca: false } }, 'ca', /^chain\[1\] \(CN=Acme Policy CA\): basicConstraints cA is not TRUE$/],
    ['an issuing CA without basicConstraints', { issuing: { ca: null } }, 'ca', /^chain\[0\] \(CN=Fulgor Issuing CA\): basicConstraints cA is not TRUE \(no basicConstraints/],
    ['a policy CA with pathLen 0 above the issuing CA', { policy: { pathLen: 0 } }, 'path-length', /^chain\[1\] \(CN=Acme Policy CA\): basicConstraints pathLenConstraint 0 is exceeded: 1 CA certificate below it$/],
    ['a root with pathLen 1 above two CAs', { root: { pathLen: 1 } }, 'path-length', /^root \(CN=Acme Root CA\): basicConstraints pathLenConstraint 1 is exceeded: 2 CA certificates below it$/],
    ['an issuing CA without keyCertSign', { issuing: { keyUsage: 0x80 } }, 'key-cert-sign', /^chain\[0\] \(CN=Fulgor Issuing CA\): keyUsage lacks keyCertSign$/],
    ['a policy CA without keyUsage', { policy: { keyUsage: null } }, 'key-cert-sign', /^chain\[1\] \(CN=Acme Policy CA\): no keyUsage extension/],
    ['an issuing CA with EKU serverAuth only', { issuing: { eku: [SERVER_AUTH] } }, 'code-signing', /^chain\[0\] \(CN=Fulgor Issuing CA\): extendedKeyUsage \(1\.3\.6\.1\.5\.5\.7\.3\.1\) lacks codeSigning/],
    ['a policy CA with EKU serverAuth only', { policy: { eku: [SERVER_AUTH] } }, 'code-signing', /^chain\[1\] \(CN=Acme Policy CA\): extendedKeyUsage/],
    ['an expired policy CA', { policy: { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) } }, 'validity', /^chain\[1\] \(CN=Acme Policy CA\): expired \(notAfter /],
    ['a root not valid yet', { root: { notBefore: new Date(Date.now() + DAY) } }, 'validity', /^root \(CN=Acme Root CA\): not valid yet/],
    ['a broken signature on the issuing CA', { issuing: { breakSignature: true } }, 'signature', /^chain\[0\] \(CN=Fulgor Issuing CA\): its signature does not verify with the key of chain\[1\] \(CN=Acme Policy CA\)$/],
    ['a broken root self-signature', { root: { breakSignature: true } }, 'self-signed', /^root \(CN=Acme Root CA\): not a self-signed root/],
  ];
  for (const [what, over, rule, message] of cases)
    it(`refuses ${what}, naming the rule (${rule})`, async () => {
      assert.throws(() => check(built.get(over)!), refused(rule, message));
    });

  it('refuses a chain for another key (not the one ca csr made)', async () => {
    const other = keySigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey).spki;
    assert.throws(() => check(built.values().next().value!, other), refused('issuing-key', /^chain\[0\] \(CN=.*\): its public key is not the issuing key keys\/intermediate-ca\.key\.pem/));
    const good = await enterpriseChain(spki);
    assert.throws(() => check(good, other), refused('issuing-key', /not the issuing key/));
  });

  it('refuses a chain whose AKI is not the root SKI, whose names do not chain, or whose root is not self-issued', async () => {
    const a = await enterpriseChain(spki);
    const b = await enterpriseChain(spki); // same names, other keys
    assert.throws(() => check({ root: b.root, chain: a.chain }), refused('key-identifier', /^chain\[1\] \(CN=Acme Policy CA\): authorityKeyIdentifier [0-9a-f]{40} is not the subjectKeyIdentifier [0-9a-f]{40} of root \(CN=Acme Root CA\)$/));
    const other = await testRoot({ commonName: 'Other Root' });
    assert.throws(() => check({ root: other.der, chain: a.chain }), refused('name-chaining', /^chain\[1\] \(CN=Acme Policy CA\): its issuer \(O=Acme Corp, CN=Acme Root CA\) is not the subject of root \(CN=Other Root\)$/));
    const root = await testRoot();
    const issuing = await testSubCa(root, { commonName: 'Issuing CA', pathLen: 0 });
    const key = keySigner(issuing.key!).spki;
    assert.doesNotThrow(() => void check({ root: root.der, chain: [issuing.der] }, key), 'a two-level chain is fine');
    assert.throws(() => check({ root: issuing.der, chain: [issuing.der, root.der] }, key), refused('self-signed', /^root \(CN=Issuing CA\): not a self-signed root \(its issuer is not its subject\)$/));
  });
});
