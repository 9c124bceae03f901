// Fulcio's `kubernetes` issuer type (pkg/identity/kubernetes/principal.go): the URI SAN is
// https://kubernetes.io/namespaces/<ns>/serviceaccounts/<sa>, read from the nested "kubernetes.io" claim object.
// As in Fulcio there is no emptiness check (missing values leave empty path segments), but values of the wrong
// JSON type fail decoding. The proof-of-possession name is `sub` (system:serviceaccount:<ns>:<sa> in clusters),
// which must be a non-empty string.

import type { IssuerConfig } from '../identity-config.js';
import type { Claims, Principal } from '../principal.js';
import { baseExtensions, invalidClaim, subjectClaim } from './claims.js';
import { uriSan } from './uri-san.js';

const CLAIM = 'kubernetes.io';

/** A Go struct field: absent or null decodes to the zero value, a non-object fails. */
function object(v: unknown, where: string): Readonly<Record<string, unknown>> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidClaim(CLAIM, `${where} must be an object`);
  return v as Record<string, unknown>;
}

function string(obj: Readonly<Record<string, unknown>>, key: string, where: string): string {
  const v = obj[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw invalidClaim(CLAIM, `${where}.${key} must be a string`);
  return v;
}

export function kubernetesPrincipal(_issuer: IssuerConfig, claims: Claims): Principal {
  // Decode the whole struct Fulcio declares, so a type error anywhere in it fails as it does there.
  const k8s = object(claims[CLAIM], CLAIM);
  const namespace = string(k8s, 'namespace', CLAIM);
  const pod = object(k8s['pod'], `${CLAIM}.pod`);
  string(pod, 'name', `${CLAIM}.pod`);
  string(pod, 'uid', `${CLAIM}.pod`);
  const sa = object(k8s['serviceaccount'], `${CLAIM}.serviceaccount`);
  const saName = string(sa, 'name', `${CLAIM}.serviceaccount`);
  string(sa, 'uid', `${CLAIM}.serviceaccount`);
  const sub = subjectClaim(claims);
  const base = baseExtensions(claims);
  const san = uriSan(`https://kubernetes.io/namespaces/${namespace}/serviceaccounts/${saName}`, CLAIM);
  return { name: sub, san: { kind: 'uri', value: san }, extensions: base };
}
