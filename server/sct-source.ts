// The CA's SCT source over an RFC 6962 client: one add-pre-chain per certificate, with the log's failures mapped to
// reason codes: a log that cannot be reached (or answers 5xx) is CT_LOG_UNAVAILABLE, a log that refuses the chain
// or returns an SCT that does not verify with its key is CT_LOG_REJECTED. The log's own words are logged, not returned.
import { CtClientError, serializeSctList, type CtClient } from '../ct/index.js';
import { FulgorError } from '../lib/errors.js';
import { findOutbound } from '../lib/outbound-error.js';
import type { SctSource } from './signing-service.js';

export function ctFailure(e: unknown): FulgorError {
  if (e instanceof CtClientError && e.rejected)
    return new FulgorError(
      'CT_LOG_REJECTED',
      e.status === undefined
        ? 'the certificate transparency log answered with an SCT that cannot be used (malformed, or not signed by its key)'
        : `the certificate transparency log refused the precertificate (HTTP ${e.status})`,
      { cause: e },
    );
  // Why, in words a client may see (no address): the connection's failure, or the log's HTTP status.
  const outbound = findOutbound(e);
  const why = outbound ? `: ${outbound.safe}` : e instanceof CtClientError && e.status !== undefined ? `: it answered HTTP ${e.status}` : '';
  return new FulgorError('CT_LOG_UNAVAILABLE', `the certificate transparency log could not be reached${why}`, { cause: e });
}

export function sctSource(client: Pick<CtClient, 'addPreChain'>): SctSource {
  return {
    async sctListFor(chain) {
      const sct = await client.addPreChain(chain).catch((e: unknown) => Promise.reject(ctFailure(e)));
      return serializeSctList([sct]);
    },
  };
}
