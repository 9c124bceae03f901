// Which signers a generated admission policy accepts: an exact OIDC issuer and a regular expression over the
// certificate's subject (SAN). Either one left out accepts any value, i.e. anything this CA certified.
export interface IdentityPolicy {
  readonly issuer?: string;
  readonly subjectRegExp?: string;
}

/** The identity as Kyverno spells it (both the ClusterPolicy keyless attestor and ImageValidatingPolicy). */
export const kyvernoIdentity = (id: IdentityPolicy) => ({
  ...(id.issuer ? { issuer: id.issuer } : { issuerRegExp: '.*' }),
  subjectRegExp: id.subjectRegExp ?? '.*',
});
