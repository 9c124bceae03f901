// What a verified identity token becomes: the name the proof of possession is made over, the certificate's one
// SAN, and the values of Fulcio's extensions. Claim mapping is a pure function from claims to a Principal; the CA
// imports only these types.
import type { FulcioExtensionValues } from '../lib/fulcio-extensions.js';

export type SubjectAltName =
  | { readonly kind: 'uri'; readonly value: string }
  | { readonly kind: 'email'; readonly value: string }
  /** Fulcio's username identity: otherName 1.3.6.1.4.1.57264.1.7 carrying "<sub>!<SubjectDomain>". */
  | { readonly kind: 'otherName'; readonly value: string };

/** Values of Fulcio's 1.3.6.1.4.1.57264.1.x extensions, by field: the table is lib/fulcio-extensions.ts. */
export type { FulcioExtensionValues };

export interface Principal {
  /** The string the proof of possession signs: `email` for email issuers, `sub` otherwise. */
  readonly name: string;
  readonly san: SubjectAltName;
  readonly extensions: FulcioExtensionValues;
}

/** Verified token claims, as decoded from the JWT payload. */
export type Claims = Readonly<Record<string, unknown>>;
