// Issuance counters in Prometheus' text format (GET /metrics on the CA port).
import type { IssuanceMetrics } from './signing-service.js';

export interface Metrics extends IssuanceMetrics {
  render(): string;
}

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function createMetrics(): Metrics {
  const issued = new Map<string, number>();
  const denied = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  return {
    issued: (issuer) => void bump(issued, `issuer="${label(issuer)}"`),
    policyDenied: (issuer, rule) => void bump(denied, `issuer="${label(issuer)}",rule="${label(rule)}"`),
    render() {
      const lines = [
        '# HELP fulgor_certificates_issued_total Certificates issued, by OIDC issuer.',
        '# TYPE fulgor_certificates_issued_total counter',
        ...[...issued].map(([k, v]) => `fulgor_certificates_issued_total{${k}} ${v}`),
        '# HELP fulgor_policy_denied_total Requests refused by issuance policy, by issuer and rule.',
        '# TYPE fulgor_policy_denied_total counter',
        ...[...denied].map(([k, v]) => `fulgor_policy_denied_total{${k}} ${v}`),
      ];
      return lines.join('\n') + '\n';
    },
  };
}
