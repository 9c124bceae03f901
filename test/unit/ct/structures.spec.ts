import assert from 'node:assert/strict';
import { createHash, verify } from 'node:crypto';
import {
  decodeDigitallySigned,
  encodeDigitallySigned,
  logIdFor,
  merkleTreeLeaf,
  parseMerkleTreeLeaf,
  parseSct,
  parseSctList,
  precertExtraData,
  prefixedMerkleTreeLeaf,
  serializeSct,
  serializeSctList,
  treeHeadSignatureInput,
  x509ExtraData,
  type Sct,
} from '../../../ct/structures.js';
import { hashLeaf, hashPrefixedLeaf } from '../../../ct/merkle.js';
import { logSigner } from './helpers.js';

const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
const TS = 1767323045123;

describe('ct/structures', () => {
  const ikh = sha256(Buffer.from('issuer spki'));
  const tbs = Buffer.alloc(300, 0xab);

  it('lays out a precert MerkleTreeLeaf byte for byte', () => {
    const leaf = merkleTreeLeaf({ timestamp: TS, entry: { type: 'precert', issuerKeyHash: ikh, tbsCertificate: tbs }, extensions: Buffer.alloc(0) });
    assert.equal(leaf.length, 47 + 300 + 2);
    assert.equal(leaf[0], 0x00); // version
    assert.equal(leaf[1], 0x00); // leaf type timestamped_entry
    assert.equal(leaf.readBigUInt64BE(2), BigInt(TS));
    assert.equal(leaf.readUInt16BE(10), 1); // precert_entry
    assert.ok(leaf.subarray(12, 44).equals(ikh));
    assert.equal(leaf.readUIntBE(44, 3), 300);
    assert.ok(leaf.subarray(47, 347).equals(tbs));
    assert.equal(leaf.readUInt16BE(347), 0);
    assert.deepEqual(parseMerkleTreeLeaf(leaf), { timestamp: TS, entry: { type: 'precert', issuerKeyHash: ikh, tbsCertificate: tbs }, extensions: Buffer.alloc(0) });
  });

  it('lays out an x509 MerkleTreeLeaf with extensions', () => {
    const cert = Buffer.from('3003020101', 'hex');
    const ext = Buffer.from('0000050000000007', 'hex');
    const leaf = merkleTreeLeaf({ timestamp: 1, entry: { type: 'x509', certificate: cert }, extensions: ext });
    assert.equal(leaf.toString('hex'), '0000' + '0000000000000001' + '0000' + '000005' + '3003020101' + '0008' + ext.toString('hex'));
    assert.throws(() => parseMerkleTreeLeaf(Buffer.concat([leaf, Buffer.from([0])])), /trailing/);
    assert.throws(() => parseMerkleTreeLeaf(leaf.subarray(0, 20)), /truncated/);
  });

  it('writes a new leaf from its body parts after the leaf-hash prefix: the same bytes and leaf hash as merkleTreeLeaf', () => {
    const ext = Buffer.from('0102', 'hex');
    const parts = [tbs.subarray(0, 7), tbs.subarray(7, 7), tbs.subarray(7, 200), tbs.subarray(200)];
    const pre = prefixedMerkleTreeLeaf(TS, { type: 'precert', issuerKeyHash: ikh, parts }, ext);
    const expected = merkleTreeLeaf({ timestamp: TS, entry: { type: 'precert', issuerKeyHash: ikh, tbsCertificate: tbs }, extensions: ext });
    assert.ok(pre.leafInput.equals(expected));
    assert.equal(pre.hashInput.length, expected.length + 1);
    assert.equal(pre.hashInput[0], 0x00);
    assert.equal(pre.hashInput.buffer, pre.leafInput.buffer); // one allocation, no copy
    assert.ok(hashPrefixedLeaf(pre.hashInput).equals(hashLeaf(expected)));
    const cert = Buffer.from('3003020101', 'hex');
    const x509 = prefixedMerkleTreeLeaf(1, { type: 'x509', parts: [cert] }, Buffer.alloc(0));
    assert.ok(x509.leafInput.equals(merkleTreeLeaf({ timestamp: 1, entry: { type: 'x509', certificate: cert }, extensions: Buffer.alloc(0) })));
    assert.throws(() => prefixedMerkleTreeLeaf(1, { type: 'precert', issuerKeyHash: ikh.subarray(1), parts }, ext), /issuer_key_hash/);
  });

  it('builds the 50-byte TreeHeadSignature input of the reference example', () => {
    const root = Buffer.from('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328', 'hex');
    const input = treeHeadSignatureInput(1767323046000, 8, root);
    assert.equal(input.length, 50);
    assert.equal(input.toString('hex'), '0001' + '0000019b7ca99070' + '0000000000000008' + root.toString('hex'));
  });

  it('encodes and decodes DigitallySigned', () => {
    const sig = Buffer.alloc(71, 7);
    const ds = encodeDigitallySigned(sig);
    assert.equal(ds.subarray(0, 4).toString('hex'), '04030047');
    assert.ok(ds.toString('base64').startsWith('BAMA'));
    assert.deepEqual(decodeDigitallySigned(ds), { hashAlgorithm: 4, signatureAlgorithm: 3, signature: sig });
    assert.throws(() => decodeDigitallySigned(Buffer.concat([ds, Buffer.from([1])])), /trailing/);
  });

  it('serializes an SCT at the RFC 6962 offsets, and its signature verifies over the leaf bytes', async () => {
    const signer = logSigner();
    const logId = logIdFor(signer.spki);
    assert.ok(logId.equals(sha256(signer.spki)));
    assert.equal(signer.spki.subarray(0, 26).toString('hex'), '3059301306072a8648ce3d020106082a8648ce3d030107034200');
    const leaf = merkleTreeLeaf({ timestamp: TS, entry: { type: 'precert', issuerKeyHash: ikh, tbsCertificate: tbs }, extensions: Buffer.alloc(0) });
    const signature = encodeDigitallySigned(await signer.sign(leaf));
    const sct: Sct = { version: 0, logId, timestamp: TS, extensions: Buffer.alloc(0), signature };
    const bytes = serializeSct(sct);
    assert.equal(bytes[0], 0);
    assert.ok(bytes.subarray(1, 33).equals(logId));
    assert.equal(bytes.readBigUInt64BE(33), BigInt(TS));
    assert.equal(bytes.readUInt16BE(41), 0);
    assert.equal(bytes[43], 0x04);
    assert.equal(bytes[44], 0x03);
    const sigLen = bytes.readUInt16BE(45);
    assert.equal(bytes.length, 47 + sigLen);
    // A DER ECDSA P-256 signature is at most 72 bytes; it is shorter when r or s happens to have leading zero bytes.
    assert.ok(sigLen >= 8 && sigLen <= 72, `signature length ${sigLen}`);
    assert.ok(verify('sha256', leaf, { key: Buffer.from(signer.spki), format: 'der', type: 'spki' }, bytes.subarray(47)));
    assert.deepEqual(parseSct(bytes), sct);
    assert.throws(() => parseSct(Buffer.concat([bytes, Buffer.from([0])])), /trailing/);
  });

  it('serializes an SCT list as u16 total ‖ (u16 len ‖ sct)+', () => {
    const mk = (n: number): Sct => ({ version: 0, logId: Buffer.alloc(32, n), timestamp: n, extensions: Buffer.alloc(0), signature: encodeDigitallySigned(Buffer.alloc(70, n)) });
    const a = serializeSct(mk(1));
    const b = serializeSct(mk(2));
    const list = serializeSctList([mk(1), mk(2)]);
    assert.equal(a.length, 117);
    assert.equal(list.readUInt16BE(0), 2 + 117 + 2 + 117);
    assert.equal(list.readUInt16BE(2), 117);
    assert.ok(list.subarray(4, 121).equals(a));
    assert.equal(list.readUInt16BE(121), 117);
    assert.ok(list.subarray(123).equals(b));
    assert.deepEqual(parseSctList(list), [mk(1), mk(2)]);
    assert.throws(() => serializeSctList([]), RangeError);
    assert.throws(() => parseSctList(Buffer.from('0000', 'hex')), /empty/);
  });

  it('encodes extra_data for both entry types', () => {
    const c1 = Buffer.from('aa', 'hex');
    const c2 = Buffer.from('bbbb', 'hex');
    assert.equal(x509ExtraData([c1, c2]).toString('hex'), '000009' + '000001aa' + '000002bbbb');
    assert.equal(precertExtraData(Buffer.from('cc', 'hex'), [c1]).toString('hex'), '000001cc' + '000004' + '000001aa');
    assert.equal(x509ExtraData([]).toString('hex'), '000000');
  });
});
