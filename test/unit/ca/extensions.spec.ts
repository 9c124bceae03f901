import assert from 'node:assert/strict';
import { encodeFulcioExtensions, renderFulcioExtensions } from '../../../ca/extensions.js';
import { children, parse } from '../../../lib/der.js';
import { isFulgorError } from '../../../lib/errors.js';

const ISSUER = 'https://token.actions.githubusercontent.com';

describe('ca/extensions: Fulcio extension values must be writable as UTF-8', () => {
  it('refuses a value holding a lone surrogate with INVALID_CLAIM, naming the field', () => {
    for (const bad of ['\uD83D', 'a\uDE00b', 'x\uDE00\uD83D'])
      assert.throws(
        () => renderFulcioExtensions({ issuer: ISSUER, sourceRepositoryRef: bad }),
        (e: unknown) => isFulgorError(e) && e.code === 'INVALID_CLAIM' && /sourceRepositoryRef is not valid UTF-8/.test(e.message),
      );
  });

  it('writes characters outside the BMP (surrogate pairs) as their UTF-8 bytes', () => {
    const value = 'refs/heads/\u{1F600}-é';
    const ext = encodeFulcioExtensions([{ oid: '1.3.6.1.4.1.57264.1.1', name: 'Issuer', value, encoding: 'raw' }])[0]!;
    const octets = children(parse(ext)).at(-1)!.content;
    assert.deepEqual(octets, Buffer.from(value, 'utf8'));
  });
});
