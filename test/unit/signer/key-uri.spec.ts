import assert from 'node:assert/strict';
import { formatPkcs11Uri, KeyError, parseKeyUri, type Pkcs11KeyRef } from '../../../signer/index.js';

const ISSUE_EXAMPLE =
  'pkcs11:token=fulgor;object=issuing-ca?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/fulgor/pin';

describe('signer key references (key-uri)', () => {
  const valid: [string, Record<string, unknown>][] = [
    ['/etc/fulgor/ca.key', { kind: 'file', path: '/etc/fulgor/ca.key' }],
    ['keys/ca.key', { kind: 'file', path: 'keys/ca.key' }],
    ['file:/etc/fulgor/ca.key', { kind: 'file', path: '/etc/fulgor/ca.key' }],
    ['file:keys/a%20b.key', { kind: 'file', path: 'keys/a%20b.key' }],
    ['file:///etc/a%20b.key', { kind: 'file', path: '/etc/a b.key' }],
    [
      ISSUE_EXAMPLE,
      { kind: 'pkcs11', token: 'fulgor', object: 'issuing-ca', modulePath: '/usr/lib/softhsm/libsofthsm2.so', pinFile: '/etc/fulgor/pin' },
    ],
    [
      'pkcs11:token=My%20Token;serial=0a1b;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;id=%01%02%ff?pin-source=/etc/pin',
      { kind: 'pkcs11', token: 'My Token', serial: '0a1b', manufacturer: 'SoftHSM project', model: 'SoftHSM v2', id: Buffer.from([1, 2, 255]), pinFile: '/etc/pin' },
    ],
    ['pkcs11:object=k%C3%A9y;type=private?pin-source=file:///run/pin%201', { kind: 'pkcs11', object: 'kéy', pinFile: '/run/pin 1' }],
    ['pkcs11:token=t;id=%aa', { kind: 'pkcs11', token: 't', id: Buffer.from([0xaa]) }],
  ];
  for (const [uri, expected] of valid) {
    it(`parses ${uri}`, () => {
      const ref = parseKeyUri(uri) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(ref[k], v, k);
      const absent = ['token', 'serial', 'manufacturer', 'model', 'object', 'id', 'modulePath', 'pinFile', 'pinValue'].filter((k) => !(k in expected));
      for (const k of absent) assert.equal(ref[k], undefined, k);
      assert.equal(ref['display'], uri);
    });
  }

  it('accepts pin-value but masks it wherever the reference is shown', () => {
    const ref = parseKeyUri('pkcs11:token=t;object=o?pin-value=12%2634&module-path=/m.so') as Pkcs11KeyRef;
    assert.equal(ref.pinValue, '12&34');
    assert.equal(ref.display, 'pkcs11:token=t;object=o?pin-value=***&module-path=/m.so');
  });

  const invalid: [string, RegExp][] = [
    ['', /empty key reference/],
    ['kms://alias/fulgor', /unknown scheme "kms:"/],
    ['c:key.pem', /unknown scheme "c:".*file:PATH/],
    ['file:', /names no file/],
    ['file://server/share/key.pem', /not a local file URL/],
    [' /etc/key.pem', /whitespace/],
    ['pkcs11:token=a', /names no key; add object=LABEL and\/or id=/],
    ['pkcs11:', /names no key/],
    ['pkcs11:token=a;object=b;token=c', /token is given twice/],
    ['pkcs11:token=a;object=b;slot-id=3', /slot-id is not supported; select the token with token=/],
    ['pkcs11:token=a;object=b;x-vendor=1', /unknown path attribute "x-vendor"/],
    ['pkcs11:Token=a;object=b', /unknown path attribute "Token"/],
    ['pkcs11:token=a;object=b?module-name=softhsm2', /module-name is not supported; give the module file with module-path=/],
    ['pkcs11:token=a;object=b?foo=bar', /unknown query attribute "foo"/],
    ['pkcs11:token=a;object=b;module-path=/m.so', /module-path belongs in the URI's query/],
    ['pkcs11:object=b?token=a', /token belongs in the URI's path/],
    ['pkcs11:token=a;object=b?pin-source=file:/p&pin-value=1', /pin-source or pin-value, not both/],
    ['pkcs11:token=a;object=b?pin-source=env:PIN', /pin-source must be file:PATH or an absolute path/],
    ['pkcs11:token=a;object=b;type=cert', /type=cert cannot sign/],
    ['pkcs11:token=a;object=', /object is empty/],
    ['pkcs11:token=a;object', /path attribute "object" is not name=value/],
    ['pkcs11:token=a;object=b?', /empty query/],
    ['pkcs11:token=a;object=b#x', /fragment/],
    ['pkcs11:token=a/b;object=c', /"token=a\/b" has characters that must be percent-encoded/],
    ['pkcs11:token=%zz;object=c', /percent-encoded/],
    ['pkcs11:token=%C3%28;object=c', /token is not valid UTF-8/],
  ];
  for (const [uri, message] of invalid) {
    it(`rejects ${JSON.stringify(uri)}`, () => {
      assert.throws(() => parseKeyUri(uri), (e: unknown) => e instanceof KeyError && message.test(e.message));
    });
  }

  it('never repeats a pin-value in an error', () => {
    for (const uri of [
      'pkcs11:token=a;object=b?pin-value=SECRET%zz',
      'pkcs11:token=a;object=b?pin-value=SECRET&pin-source=/p',
      'pkcs11:token=a?pin-value=SECRET',
      'pkcs11:token=a;object=b?pin-value=SECRET#x',
      'pkcs11:token=a;object=b?pin-value=SECRET x',
      'pkcs11:token=a;type=cert?pin-value=SECRET',
      'pkcs11:token=a;object=b?pin-value=%C3%28SECRET',
    ]) {
      assert.throws(
        () => parseKeyUri(uri),
        (e: unknown) => e instanceof KeyError && !e.message.includes('SECRET') && e.message.includes('pin-value'),
        uri,
      );
    }
  });

  it('formats a reference that parses back to the same key', () => {
    const uri = formatPkcs11Uri({
      token: 'Fulgor HSM',
      object: 'issuing-ca;2026',
      id: Buffer.from([0, 0x10, 0xfe]),
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
      pinFile: '/etc/fulgor/pin',
    });
    assert.equal(
      uri,
      'pkcs11:token=Fulgor%20HSM;object=issuing-ca%3b2026;id=%00%10%fe?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/fulgor/pin',
    );
    const ref = parseKeyUri(uri) as Pkcs11KeyRef;
    assert.equal(ref.token, 'Fulgor HSM');
    assert.equal(ref.object, 'issuing-ca;2026');
    assert.deepEqual(ref.id, Buffer.from([0, 0x10, 0xfe]));
    assert.equal(ref.pinFile, '/etc/fulgor/pin');
  });
});
