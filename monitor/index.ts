// monitor/: identity monitoring over a CT log (`fulgor monitor`). Follows any RFC 6962 log over HTTP, verifies every
// STH and its consistency with the last verified one, checks the entries against the signed root, and reports every
// logged certificate a watch rule matches (rules file: monitor/rules.ts; patterns shared with the issuance policy in
// config/policy.ts). State between runs: monitor/state.ts. This file is its public surface, for cli/monitor.ts.
// May import: ct/, config/, lib/ only (checked: monitor-imports-ct-config-lib-only); only cli/ imports it.
export { IdentityMonitor, DEFAULT_BATCH_SIZE } from './follow.js';
export type { MonitorOptions, PollResult } from './follow.js';
export type { Finding, CertificateFinding, InconsistencyFinding } from './finding.js';
export { loadWatchRules, parseWatchRules, ruleFinding, fieldValues } from './rules.js';
export type { WatchRule, WatchRules, FieldMatch } from './rules.js';
export { readState, parseState, serializeState } from './state.js';
export type { MonitorState } from './state.js';
export { postFinding } from './webhook.js';
export type { WebhookOptions } from './webhook.js';
