// The CA's SCT sources. An external RFC 6962 log is reached over HTTP (ct/client.ts: one add-pre-chain per
// certificate, every SCT verified with the log's key); the log index of an external entry is not known at issuance
// (add-pre-chain does not return it), so it is null. The companion log, created in the same process, is handed the
// precertificate chain through a function call (ct/log.ts submitPreChain): the same chain validation and the same
// durability (the SCT exists only once its entry is stored), no HTTP hop, and the entry's index. Its key was checked
// against ctlog.pub.pem at start, so its SCTs are not verified again.
// Failures map to reason codes: a log that cannot be reached (or answers 5xx, or whose storage is down) is
// CT_LOG_UNAVAILABLE, a log that refuses the chain or returns an SCT that does not verify with its key is
// CT_LOG_REJECTED. The log's own words are logged, not returned; the response says why in safe words (lib/outbound-error.ts). Every submission is timed for the metrics.
import { CtClientError, isCtError, serializeSctList, type CtClient, type CtLog, type Sct } from '../ct/index.js';
import { FulgorError, isFulgorError, type ReasonCode } from '../lib/errors.js';
import { findOutbound } from '../lib/outbound-error.js';
import type { LoggedPrecertificate, SctSource } from './signing-service.js';

export function ctFailure(e: unknown): FulgorError {
  if (isFulgorError(e)) return e;
  if (e instanceof CtClientError && e.rejected)
    return new FulgorError(
      'CT_LOG_REJECTED',
      e.status === undefined
        ? 'the certificate transparency log answered with an SCT that cannot be used (malformed, or not signed by its key)'
        : `the certificate transparency log refused the precertificate (HTTP ${e.status})`,
      { cause: e },
    );
  if (isCtError(e) && e.status < 500)
    return new FulgorError('CT_LOG_REJECTED', `the certificate transparency log refused the precertificate (HTTP ${e.status})`, { cause: e });
  // Why, in words a client may see (no address): the connection's failure, or the log's HTTP status.
  const outbound = findOutbound(e);
  const why = outbound ? `: ${outbound.safe}` : e instanceof CtClientError && e.status !== undefined ? `: it answered HTTP ${e.status}` : '';
  return new FulgorError('CT_LOG_UNAVAILABLE', `the certificate transparency log could not be reached${why}`, { cause: e });
}

/** Told of every submission: its latency and, when it failed, the reason code. */
export interface CtSubmissionObserver {
  ctSubmission(seconds: number, failure?: ReasonCode): void;
}

const logged = (sct: Sct, logIndex: number | null): LoggedPrecertificate => ({ sctList: serializeSctList([sct]), sctTimestamp: sct.timestamp, logIndex });

function observed(submit: (chain: Buffer[]) => Promise<LoggedPrecertificate>, observer?: CtSubmissionObserver): SctSource {
  return {
    async logPrecertificate(chain) {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const out = await submit(chain);
        observer?.ctSubmission(seconds());
        return out;
      } catch (e) {
        const failure = ctFailure(e);
        observer?.ctSubmission(seconds(), failure.code);
        throw failure;
      }
    },
  };
}

/** An external log over HTTP: the index is null (unknown at issuance). */
export function sctSource(client: Pick<CtClient, 'addPreChain'>, observer?: CtSubmissionObserver): SctSource {
  return observed(async (chain) => logged(await client.addPreChain(chain), null), observer);
}

/** The companion log in this process: a function call, and the entry's index. */
export function companionSctSource(log: Pick<CtLog, 'submitPreChain'>, observer?: CtSubmissionObserver): SctSource {
  return observed(async (chain) => {
    const { sct, index } = await log.submitPreChain(chain);
    return logged(sct, index);
  }, observer);
}
