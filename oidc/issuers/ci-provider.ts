// The template-driven `ci-provider` identity type (Fulcio's pkg/identity/ciprovider).
import { FulgorError } from '../../lib/errors.js';
import type { IssuerConfig } from '../../config/identity.js';
import type { Claims, Principal } from '../principal.js';

export function ciProviderPrincipal(issuer: IssuerConfig, claims: Claims): Principal {
  void claims;
  throw new FulgorError('BAD_REQUEST', `issuer type "ci-provider" is not supported yet`, { metadata: { issuerType: issuer.type } });
}
