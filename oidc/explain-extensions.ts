// The certificate contents `explain` reports: the SAN and every Fulcio extension (OID, name, value) a Principal
// would be written with, in the order the CA writes them (ca/extensions.ts): .1, .2-.6, .8, then .9-.24.
import { FULCIO_ARC, FULCIO_EXTENSION_NAMES, OTHERNAME_USERNAME_OID } from '../ca/extensions.js';
import type { FulcioExtensionValues, SubjectAltName } from './principal.js';

export interface ExplainedExtension {
  /** e.g. `1.3.6.1.4.1.57264.1.12` */
  readonly oid: string;
  /** Fulcio's name for it, e.g. `Source Repository URI`. */
  readonly name: string;
  readonly value: string;
  /** `raw` (.1-.6: the string's bytes, no ASN.1 tag) or `utf8String` (.8 and up: DER UTF8String). */
  readonly encoding: 'raw' | 'utf8String';
}

export interface ExplainedSan {
  /** `uri`, `email`, or `otherName` (Fulcio's username identity). */
  readonly type: SubjectAltName['kind'];
  readonly value: string;
  /** The otherName type-id, for `otherName` only. */
  readonly oid?: string;
}

/** Arc → field, in the CA's order (.7 is the username otherName SAN, not an extension). */
const ORDER: ReadonlyArray<readonly [number, keyof FulcioExtensionValues]> = [
  [1, 'issuer'],
  [2, 'githubWorkflowTrigger'],
  [3, 'githubWorkflowSha'],
  [4, 'githubWorkflowName'],
  [5, 'githubWorkflowRepository'],
  [6, 'githubWorkflowRef'],
  [8, 'issuer'],
  [9, 'buildSignerUri'],
  [10, 'buildSignerDigest'],
  [11, 'runnerEnvironment'],
  [12, 'sourceRepositoryUri'],
  [13, 'sourceRepositoryDigest'],
  [14, 'sourceRepositoryRef'],
  [15, 'sourceRepositoryIdentifier'],
  [16, 'sourceRepositoryOwnerUri'],
  [17, 'sourceRepositoryOwnerIdentifier'],
  [18, 'buildConfigUri'],
  [19, 'buildConfigDigest'],
  [20, 'buildTrigger'],
  [21, 'runInvocationUri'],
  [22, 'sourceRepositoryVisibilityAtSigning'],
  [23, 'deploymentEnvironment'],
  [24, 'subject'],
];

/** Every extension the certificate would carry; empty values are left out, as the CA leaves them out. */
export function explainExtensions(values: FulcioExtensionValues): ExplainedExtension[] {
  const out: ExplainedExtension[] = [];
  for (const [arc, field] of ORDER) {
    const value = values[field];
    if (typeof value !== 'string' || value === '') continue;
    out.push({
      oid: `${FULCIO_ARC}.${arc}`,
      name: FULCIO_EXTENSION_NAMES[arc] ?? `Fulcio extension ${arc}`,
      value,
      encoding: arc < 8 ? 'raw' : 'utf8String',
    });
  }
  return out;
}

export function explainSan(san: SubjectAltName): ExplainedSan {
  return san.kind === 'otherName' ? { type: san.kind, value: san.value, oid: OTHERNAME_USERNAME_OID } : { type: san.kind, value: san.value };
}
