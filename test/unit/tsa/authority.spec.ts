// Timestamps read back by independent parsers: pkijs (TimeStampResp, SignedData, TSTInfo, signature verification)
// and @sigstore/core (the RFC 3161 reader sigstore-js verifies bundles with). Rejections encode their failInfo.
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { RFC3161Timestamp } from '@sigstore/core';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createDevCa } from '../../../ca/dev-ca.js';
import { createDevTsa } from '../../../ca/dev-tsa.js';
import { fixedClock } from '../../../lib/clock.js';
import { keySigner, type Signer } from '../../../lib/signer.js';
import { certToPem } from '../../../lib/pem.js';
import {
  createTimestampAuthority,
  FAIL_INFO,
  parseTimestampQuery,
  rejectionResponse,
  TsaRejection,
  type FailInfo,
  type TimestampAuthority,
} from '../../../tsa/index.js';
import { readTimestampResponse, timestampQuery } from '../../helpers/timestamp.js';

const NOW = new Date('2026-03-04T05:06:07.120Z'); // .120: DER would write ".12", which @sigstore/core cannot read
const POLICY = '1.3.6.1.4.1.57264.2';
const ARTIFACT = Buffer.from('an artifact signature');

describe('tsa/authority: granted timestamps, read back by pkijs and @sigstore/core', () => {
  let root: Buffer, tsaCert: Buffer, intermediate: Buffer, signer: Signer, tsa: TimestampAuthority;

  before(async () => {
    const ca = await createDevCa({ now: new Date('2026-01-01T00:00:00Z') });
    root = ca.root;
    intermediate = ca.intermediate;
    const dev = await createDevTsa({ root: ca.root, rootKeyPem: ca.rootKey.export({ type: 'pkcs8', format: 'pem' }) as string }, { now: new Date('2026-01-01T00:00:00Z') });
    tsaCert = dev.cert;
    signer = keySigner(dev.key);
    tsa = createTimestampAuthority({ signer, chain: [tsaCert], root, clock: fixedClock(NOW) });
  });

  const stamp = async (q: Parameters<typeof timestampQuery>[0] = {}) => {
    const der = (await tsa.timestamp(parseTimestampQuery(timestampQuery({ data: ARTIFACT, ...q }), [POLICY]))).der;
    return { der, ...readTimestampResponse(der) };
  };

  it('status granted; TSTInfo: version 1, policy, the imprint echoed, genTime from the clock, accuracy 1 s, nonce echoed, TSA name', async () => {
    const r = await stamp({ nonce: 987654321, hash: 'sha384' });
    assert.equal(r.status, 0);
    const t = r.tstInfo!;
    assert.equal(t.version, 1);
    assert.equal(t.policy, POLICY);
    assert.equal(t.messageImprint.hashAlgorithm.algorithmId, '2.16.840.1.101.3.4.2.2');
    assert.deepEqual(Buffer.from(t.messageImprint.hashedMessage.valueBlock.valueHexView), createHash('sha384').update(ARTIFACT).digest());
    assert.equal(t.genTime.toISOString(), '2026-03-04T05:06:07.000Z', 'whole seconds of the injected clock');
    assert.equal(t.accuracy?.seconds, 1);
    assert.equal(Buffer.from(t.nonce!.valueBlock.valueHexView).toString('hex'), (987654321).toString(16).padStart(8, '0'));
    assert.equal(r.signedData!.encapContentInfo.eContentType, '1.2.840.113549.1.9.16.1.4');
    const subject = new X509Certificate(tsaCert).subject;
    assert.match(subject, /Timestamp Authority/);
    const name = t.tsa!.value as pkijs.RelativeDistinguishedNames;
    assert.ok(name.typesAndValues.some((tv) => tv.value.valueBlock.value === 'Fulgor Development Timestamp Authority'));
  });

  it('the signature verifies with the TSA certificate (pkijs, certReq: the chain is in the token)', async () => {
    const r = await stamp({ certReq: true });
    const sd = r.signedData!;
    assert.equal(sd.version, 3);
    assert.deepEqual(sd.certificates!.map((c) => Buffer.from((c as pkijs.Certificate).toSchema().toBER())), [tsaCert]);
    const result = await sd.verify({ signer: 0, data: new Uint8Array(ARTIFACT).buffer, extendedMode: true, checkChain: false });
    assert.equal(result.signatureVerified, true);
    assert.deepEqual(Buffer.from(result.signerCertificate!.toSchema().toBER()), tsaCert);
    // pkijs also checks the imprint against the data: another artifact fails.
    await assert.rejects(sd.verify({ signer: 0, data: new Uint8Array(Buffer.from('other')).buffer, extendedMode: true, checkChain: false }));
  });

  it('without certReq no certificate is sent, and the signature over the signed attributes verifies with the TSA key', async () => {
    const r = await stamp();
    assert.equal(r.signedData!.certificates, undefined);
    const si = r.signedData!.signerInfos[0]!;
    const attrs = Buffer.from(si.signedAttrs!.toSchema().toBER());
    attrs[0] = 0x31; // signed as a SET
    assert.ok(verify('sha256', new Uint8Array(attrs), new X509Certificate(tsaCert).publicKey, Buffer.from(si.signature.valueBlock.valueHexView)));
    assert.equal(si.signatureAlgorithm.algorithmId, '1.2.840.10045.4.3.2');
    assert.equal(si.digestAlgorithm.algorithmId, '2.16.840.1.101.3.4.2.1');
  });

  it('signed attributes: contentType TSTInfo, messageDigest of the TSTInfo, signingCertificateV2 with the SHA-256 of the TSA certificate', async () => {
    const r = await stamp();
    const si = r.signedData!.signerInfos[0]!;
    const attr = (oid: string) => si.signedAttrs!.attributes.find((a) => a.type === oid)?.values[0];
    assert.equal((attr('1.2.840.113549.1.9.3') as asn1js.ObjectIdentifier).valueBlock.toString(), '1.2.840.113549.1.9.16.1.4');
    const eContent = Buffer.from(r.signedData!.encapContentInfo.eContent!.valueBlock.valueHexView);
    assert.deepEqual(Buffer.from((attr('1.2.840.113549.1.9.4') as asn1js.OctetString).valueBlock.valueHexView), createHash('sha256').update(eContent).digest());
    const v2 = attr('1.2.840.113549.1.9.16.2.47') as asn1js.Sequence;
    const essCertId = ((v2.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    assert.equal(essCertId[0]!.constructor.name, 'OctetString', 'hashAlgorithm omitted: DEFAULT sha256');
    assert.deepEqual(Buffer.from((essCertId[0] as asn1js.OctetString).valueBlock.valueHexView), createHash('sha256').update(tsaCert).digest());
    const serial = Buffer.from(((essCertId[1] as asn1js.Sequence).valueBlock.value[1] as asn1js.Integer).valueBlock.valueHexView);
    assert.equal(serial.toString('hex').toUpperCase().replace(/^0+/, ''), new X509Certificate(tsaCert).serialNumber.replace(/^0+/, ''));
  });

  it('@sigstore/core reads it: genTime, and verify() against the artifact with the TSA key', async () => {
    const { der } = await stamp();
    const ts = RFC3161Timestamp.parse(Buffer.from(der));
    assert.equal(ts.status, 0n);
    assert.equal(ts.signingTime.toISOString(), '2026-03-04T05:06:07.000Z');
    ts.verify(ARTIFACT, createPublicKey(new X509Certificate(tsaCert).publicKey.export({ type: 'spki', format: 'pem' })));
    assert.throws(() => ts.verify(Buffer.from('another artifact'), new X509Certificate(tsaCert).publicKey), /message imprint/);
  });

  it('serial numbers are unique, positive and 16 bytes', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const t = (await stamp()).tstInfo!;
      const bytes = Buffer.from(t.serialNumber.valueBlock.valueHexView);
      assert.equal(bytes.length, 16);
      assert.equal(bytes[0]! & 0x80, 0);
      serials.add(bytes.toString('hex'));
    }
    assert.equal(serials.size, 200);
  });

  it('refuses a key that is not the certificate’s, and a certificate without the critical timeStamping EKU', async () => {
    const other = keySigner(createPrivateKey((await createDevCa()).rootKey.export({ type: 'pkcs8', format: 'pem' })));
    assert.throws(() => createTimestampAuthority({ signer: other, chain: [tsaCert], clock: fixedClock(NOW) }), /does not belong/);
    const ca = await createDevCa();
    assert.throws(() => createTimestampAuthority({ signer: keySigner(ca.intermediateKey), chain: [ca.intermediate], clock: fixedClock(NOW) }), /timeStamping/);
    void intermediate;
  });

  it('a signer that fails is a systemFailure rejection (HTTP 500), with the cause kept', async () => {
    const broken = { ...signer, sign: async () => Promise.reject(new Error('HSM session closed')) };
    const t = createTimestampAuthority({ signer: broken, chain: [tsaCert], clock: fixedClock(NOW) });
    await assert.rejects(t.timestamp(parseTimestampQuery(timestampQuery(), [POLICY])), (e: unknown) => {
      assert.ok(e instanceof TsaRejection);
      assert.equal(e.failInfo, 'systemFailure');
      assert.equal(e.httpStatus, 500);
      assert.equal((e.cause as Error).message, 'HSM session closed');
      return true;
    });
  });

  it('the certchain PEM is the TSA certificate then the root', () => {
    assert.equal(tsa.certChainPem, certToPem(tsaCert) + certToPem(root));
  });

  for (const failInfo of Object.keys(FAIL_INFO) as FailInfo[]) {
    it(`a rejection (${failInfo}) is a TimeStampResp with status rejection, its failInfo bit and the reason`, () => {
      const r = readTimestampResponse(rejectionResponse(new TsaRejection(failInfo, `because ${failInfo}`)));
      assert.equal(r.status, 2);
      assert.equal(r.failBit, FAIL_INFO[failInfo]);
      assert.equal(r.statusText, `because ${failInfo}`);
      assert.equal(r.resp.timeStampToken, undefined);
    });
  }
});
