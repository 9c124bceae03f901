// Fulcio's OID extensions (1.3.6.1.4.1.57264.1.x): the one place that knows their numbers and encodings.
// .1-.6 carry raw string bytes (no ASN.1 tag); .8 and above carry a DER UTF8String. Empty values are left out.
import { utf8String } from '../lib/der.js';
import { FulgorError } from '../lib/errors.js';
import type { FulcioExtensionValues } from '../oidc/principal.js';
import { extension } from './extension.js';

export const FULCIO_ARC = '1.3.6.1.4.1.57264.1';
export const OTHERNAME_USERNAME_OID = `${FULCIO_ARC}.7`;

type Field = Exclude<keyof FulcioExtensionValues, 'issuer'>;

/** Extensions after .1 in Fulcio's order: [arc, field, encoding]. */
const TABLE: ReadonlyArray<readonly [number, Field, 'raw' | 'utf8']> = [
  [2, 'githubWorkflowTrigger', 'raw'],
  [3, 'githubWorkflowSha', 'raw'],
  [4, 'githubWorkflowName', 'raw'],
  [5, 'githubWorkflowRepository', 'raw'],
  [6, 'githubWorkflowRef', 'raw'],
  [9, 'buildSignerUri', 'utf8'],
  [10, 'buildSignerDigest', 'utf8'],
  [11, 'runnerEnvironment', 'utf8'],
  [12, 'sourceRepositoryUri', 'utf8'],
  [13, 'sourceRepositoryDigest', 'utf8'],
  [14, 'sourceRepositoryRef', 'utf8'],
  [15, 'sourceRepositoryIdentifier', 'utf8'],
  [16, 'sourceRepositoryOwnerUri', 'utf8'],
  [17, 'sourceRepositoryOwnerIdentifier', 'utf8'],
  [18, 'buildConfigUri', 'utf8'],
  [19, 'buildConfigDigest', 'utf8'],
  [20, 'buildTrigger', 'utf8'],
  [21, 'runInvocationUri', 'utf8'],
  [22, 'sourceRepositoryVisibilityAtSigning', 'utf8'],
  [23, 'deploymentEnvironment', 'utf8'],
  [24, 'subject', 'utf8'],
];

/** Human names of every Fulcio extension, by arc (for explain output and docs). */
export const FULCIO_EXTENSION_NAMES: Readonly<Record<number, string>> = {
  1: 'Issuer (deprecated)',
  2: 'GitHub Workflow Trigger (deprecated)',
  3: 'GitHub Workflow SHA (deprecated)',
  4: 'GitHub Workflow Name (deprecated)',
  5: 'GitHub Workflow Repository (deprecated)',
  6: 'GitHub Workflow Ref (deprecated)',
  8: 'Issuer (V2)',
  9: 'Build Signer URI',
  10: 'Build Signer Digest',
  11: 'Runner Environment',
  12: 'Source Repository URI',
  13: 'Source Repository Digest',
  14: 'Source Repository Ref',
  15: 'Source Repository Identifier',
  16: 'Source Repository Owner URI',
  17: 'Source Repository Owner Identifier',
  18: 'Build Config URI',
  19: 'Build Config Digest',
  20: 'Build Trigger',
  21: 'Run Invocation URI',
  22: 'Source Repository Visibility At Signing',
  23: 'Deployment Environment',
  24: 'Token Subject',
};

function checkValue(field: string, value: string): void {
  if (Buffer.from(value, 'utf8').toString('utf8') !== value) throw new FulgorError('INVALID_CLAIM', `extension ${field} is not valid UTF-8`);
}

/** Renders the DER Extensions for `values`, in Fulcio's order: .1, .2-.6, .8, .9-.24. */
export function renderFulcioExtensions(values: FulcioExtensionValues): Buffer[] {
  if (!values.issuer) throw new FulgorError('MISSING_CLAIM', 'the certificate needs an issuer', { metadata: { claim: 'iss' } });
  checkValue('issuer', values.issuer);
  const raw = (arc: number, v: string) => extension(`${FULCIO_ARC}.${arc}`, Buffer.from(v, 'utf8'));
  const der = (arc: number, v: string) => extension(`${FULCIO_ARC}.${arc}`, utf8String(v));
  const out = [raw(1, values.issuer)];
  const emit = (arc: number, field: Field, enc: 'raw' | 'utf8') => {
    const v = values[field];
    if (!v) return;
    checkValue(field, v);
    out.push(enc === 'raw' ? raw(arc, v) : der(arc, v));
  };
  for (const [arc, field, enc] of TABLE) if (arc < 8) emit(arc, field, enc);
  out.push(der(8, values.issuer));
  for (const [arc, field, enc] of TABLE) if (arc > 8) emit(arc, field, enc);
  return out;
}
