// Claim mapping: a pure function from a verified token's claims to a Principal, dispatched on the issuer's type.

import { FulgorError } from '../../lib/errors.js';
import type { IssuerConfig, IssuerType } from '../../config/identity.js';
import type { Claims, Principal } from '../principal.js';
import { emailPrincipal } from './email.js';
import { githubWorkflowPrincipal } from './github-workflow.js';
import { gitlabPipelinePrincipal } from './gitlab-pipeline.js';

export type ClaimMapper = (issuer: IssuerConfig, claims: Claims) => Principal;

const MAPPERS: Partial<Record<IssuerType, ClaimMapper>> = {
  email: emailPrincipal,
  'github-workflow': githubWorkflowPrincipal,
  'gitlab-pipeline': gitlabPipelinePrincipal,
};

/** Whether mapClaims can handle tokens from issuers of this type. */
export function isSupportedIssuerType(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(MAPPERS, type);
}

export function mapClaims(issuer: IssuerConfig, claims: Claims): Principal {
  const mapper = isSupportedIssuerType(issuer.type) ? MAPPERS[issuer.type] : undefined;
  if (mapper === undefined) {
    throw new FulgorError('BAD_REQUEST', `issuer type "${issuer.type}" is not supported yet`, {
      metadata: { issuerType: issuer.type },
    });
  }
  return mapper(issuer, claims);
}

export { emailPrincipal, githubWorkflowPrincipal, gitlabPipelinePrincipal };
