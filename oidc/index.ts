// oidc/: identity. Compiles the identity file config/ read (issuer types, claim paths, SPIFFE and subject-domain
// rules, ci-provider templates) into an IdentityConfig; routes a token to its issuer by `iss`; verifies it
// (discovery + JWKS, or a static JWKS); maps verified claims to a Principal with one module per issuer type
// (issuers/, the template engine in template/); evaluates issuance policies; serves the development issuer.
// It produces a Principal and knows nothing of certificates beyond the values it maps.
// May import: config/, lib/ (checked: oidc-imports-no-ca-ct-server; never ca/, ct/, server/, decision/).
export * from './ci-compile.js';
export * from './dev-claims.js';
export * from './dev-issuer.js';
export * from './identity-compile.js';
export * from './identity-config.js';
export * from './issuer-routing.js';
export * from './issuer-types.js';
export { mapClaims, isSupportedIssuerType, type ClaimMapper } from './issuers/index.js';
export * from './policy.js';
export * from './principal.js';
export * from './static-jwks.js';
export * from './token-verifier.js';
