// The identity part of a leaf certificate: its one SubjectAltName and Fulcio's extensions, described (OID, name,
// value, encoding: what `explain` shows) and encoded from that same description (what the certificate carries).
// The decision core (decision/decide.ts) describes once; issuance encodes that description, explain prints it.
import { OTHERNAME_USERNAME_OID } from '../lib/fulcio-extensions.js';
import type { Principal, SubjectAltName } from '../oidc/principal.js';
import { describeFulcioExtensions, encodeFulcioExtensions, type FulcioExtensionEntry } from './extensions.js';
import { sanExtension } from './san.js';

export type IdentityExtension = FulcioExtensionEntry;

export interface IdentitySan {
  /** `uri`, `email`, or `otherName` (Fulcio's username identity). */
  readonly type: SubjectAltName['kind'];
  readonly value: string;
  /** The otherName type-id, for `otherName` only. */
  readonly oid?: string;
}

export interface LeafIdentity {
  readonly san: IdentitySan;
  /** In the order the certificate carries them: .1, .2-.6, .8, .9-.24; empty values are left out. */
  readonly extensions: readonly IdentityExtension[];
}

/** What the certificate would carry for this principal; never throws (encoding problems are encodeLeafIdentity's). */
export function describeLeafIdentity(principal: Principal): LeafIdentity {
  const { san } = principal;
  return {
    san: san.kind === 'otherName' ? { type: san.kind, value: san.value, oid: OTHERNAME_USERNAME_OID } : { type: san.kind, value: san.value },
    extensions: describeFulcioExtensions(principal.extensions),
  };
}

/**
 * The DER Extensions of a described identity: the critical SAN, then Fulcio's extensions in the described order.
 * Throws FulgorError (MISSING_CLAIM, INVALID_CLAIM) when a value cannot be written.
 */
export function encodeLeafIdentity(leaf: LeafIdentity): Buffer[] {
  return [sanExtension({ kind: leaf.san.type, value: leaf.san.value }), ...encodeFulcioExtensions(leaf.extensions)];
}
