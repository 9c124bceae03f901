// The JSON bodies the tests read, typed as far as they read them. They describe the documented wire shapes, not the
// server's own types: a test checks a body by asserting on its fields, and a field that is not there fails that
// assertion.

/** google.rpc.ErrorInfo, the detail a Fulcio error body carries. */
export interface ErrorInfo {
  readonly '@type': string;
  readonly reason: string;
  readonly domain: string;
  readonly metadata: Record<string, string>;
}

/** Fulcio's error body (google.rpc.Status). Typed with one detail at least, the one the tests read (routes that are
 * not found carry none, and their tests compare the whole body). */
export interface ErrorBody {
  readonly code: number;
  readonly message: string;
  readonly details: readonly [ErrorInfo, ...ErrorInfo[]];
}

/** A signing response with the SCT embedded: the PEM chain, leaf first. */
export interface SigningBody {
  readonly signedCertificateEmbeddedSct: { readonly chain: { readonly certificates: readonly [string, ...string[]] } };
}

/** What the CA answers a signing request: the test's status assertion says which of the two it is, and reading the
 * other's fields gives undefined, which fails the assertion that reads them. */
export type CaBody = ErrorBody & SigningBody;

/** One rule of an explain report's policy section. */
export interface ExplainedRule {
  readonly rule: string;
  readonly effect: string;
  readonly allowed: boolean;
  readonly reason: string;
  readonly checks: readonly unknown[];
}

/** One problem in an explain report's `errors`. */
export interface ExplainedProblem {
  readonly stage: string;
  readonly reason: string;
  readonly message: string;
  readonly metadata?: Record<string, string>;
}

/** One extension the certificate would carry, as an explain report lists it. */
export interface ExplainedExtension {
  readonly oid: string;
  readonly name: string;
  readonly value: string;
  readonly encoding: string;
}

/** The explain report (README: "Check it before deploying"), as `POST /api/v2/explain` and `fulgor explain --json` give it. */
export interface ExplainBody {
  readonly allowed: boolean;
  readonly input: string;
  readonly tokenVerified: boolean;
  readonly issuer: unknown;
  readonly configuredIssuers: unknown;
  readonly mapping: unknown;
  readonly policy: { readonly allowed: boolean; readonly refusedBy?: string; readonly rules: readonly ExplainedRule[] };
  readonly certificate: { readonly challenge: string; readonly san: { readonly type: string; readonly value: string }; readonly extensions: readonly ExplainedExtension[] };
  readonly errors: readonly ExplainedProblem[];
  readonly warnings: readonly string[];
}
