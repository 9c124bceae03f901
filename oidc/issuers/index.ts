// Claim mapping: a pure function from a verified token's claims to a Principal, dispatched on the issuer's type.
// MAPPERS is typed over IssuerType (oidc/issuer-types.ts), so a type added to that table must get a mapper here.

import { FulgorError } from '../../lib/errors.js';
import type { IssuerConfig } from '../identity-config.js';
import { isKnownIssuerType, type IssuerType } from '../issuer-types.js';
import type { Claims, Principal } from '../principal.js';
import { buildkiteJobPrincipal } from './buildkite-job.js';
import { chainguardIdentityPrincipal } from './chainguard-identity.js';
import { ciProviderPrincipal } from './ci-provider.js';
import { codefreshWorkflowPrincipal } from './codefresh-workflow.js';
import { emailPrincipal } from './email.js';
import { githubWorkflowPrincipal } from './github-workflow.js';
import { gitlabPipelinePrincipal } from './gitlab-pipeline.js';
import { kubernetesPrincipal } from './kubernetes.js';
import { spiffePrincipal } from './spiffe.js';
import { uriPrincipal } from './uri.js';
import { usernamePrincipal } from './username.js';

export type ClaimMapper = (issuer: IssuerConfig, claims: Claims) => Principal;

const MAPPERS: Record<IssuerType, ClaimMapper> = {
  email: emailPrincipal,
  'github-workflow': githubWorkflowPrincipal,
  'gitlab-pipeline': gitlabPipelinePrincipal,
  'ci-provider': ciProviderPrincipal,
  'buildkite-job': buildkiteJobPrincipal,
  'codefresh-workflow': codefreshWorkflowPrincipal,
  'chainguard-identity': chainguardIdentityPrincipal,
  kubernetes: kubernetesPrincipal,
  spiffe: spiffePrincipal,
  uri: uriPrincipal,
  username: usernamePrincipal,
};

/** Whether mapClaims can handle tokens from issuers of this type: every type of the table has a mapper. */
export const isSupportedIssuerType: (type: string) => type is IssuerType = isKnownIssuerType;

export function mapClaims(issuer: IssuerConfig, claims: Claims): Principal {
  const mapper = isKnownIssuerType(issuer.type) ? MAPPERS[issuer.type] : undefined;
  if (mapper === undefined) {
    throw new FulgorError('BAD_REQUEST', `issuer type "${issuer.type}" is not supported`, {
      metadata: { issuerType: issuer.type },
    });
  }
  return mapper(issuer, claims);
}

export {
  buildkiteJobPrincipal,
  chainguardIdentityPrincipal,
  ciProviderPrincipal,
  codefreshWorkflowPrincipal,
  emailPrincipal,
  githubWorkflowPrincipal,
  gitlabPipelinePrincipal,
  kubernetesPrincipal,
  spiffePrincipal,
  uriPrincipal,
  usernamePrincipal,
};
