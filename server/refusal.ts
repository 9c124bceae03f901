// A refused signing request, from any stage (body, request shape, token, policy, key, CT, rate limit), whichever
// handler answered it (the node:http signing routes, or the express app for the same paths): its count by reason, and
// its audit line with what its context knew. The line is not waited for; a failure is logged.
import { isFulgorError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { auditRecord, type AuditSink } from './audit-log.js';
import type { RequestContext } from './request-context.js';
import type { RouteMetrics } from './routes.js';

export interface RefusalDeps {
  readonly metrics: Pick<RouteMetrics, 'refused'>;
  readonly audit?: AuditSink;
  readonly logger: Logger;
}

export function recordRefusal(deps: RefusalDeps, err: unknown, context: RequestContext): void {
  const reason = isFulgorError(err) ? err.code : 'INTERNAL';
  deps.metrics.refused?.(reason);
  if (deps.audit) {
    deps.audit.write(auditRecord({ ...context, reason })).catch((e: unknown) =>
      deps.logger.log('error', 'audit line for a refusal was not written', { request_id: context.requestId, reason, error: String(e) }),
    );
  }
}
