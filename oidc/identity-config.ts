// The compiled identity config oidc and server work with: config/ reads the file as data (config/identity.ts), and
// oidc/identity-compile.ts validates its identity rules and compiles it into these types.
import type { IssuerSettings } from '../config/identity.js';
import type { FulcioField } from '../lib/fulcio-extensions.js';
import type { IssuerType } from './issuer-types.js';
import type { Template } from './template/index.js';

export type { IssuerType };

/**
 * A value source: a Go template when the text contains "{{" (Fulcio's rule), else the name of a claim (or default)
 * whose value is copied.
 */
export type CiValue =
  | { readonly kind: 'template'; readonly source: string; readonly template: Template }
  | { readonly kind: 'claim'; readonly source: string; readonly claim: string };

/** The extension fields a ci-provider may template (Issuer and Subject always come from the token). */
export type ExtensionField = Exclude<FulcioField, 'issuer' | 'subject'>;

export interface CiExtensionTemplate {
  readonly field: ExtensionField;
  /** The key as the config file spells it, for messages (e.g. `build-signer-uri` or `BuildSignerURI`). */
  readonly key: string;
  readonly value: CiValue;
}

export interface CiProvider {
  /** The CIIssuerMetadata key (the issuer's CIProvider). */
  readonly name: string;
  readonly defaults: Readonly<Record<string, string>>;
  /** Defaults a claim of the same name replaces (see config/ci-metadata.ts). */
  readonly overridable: ReadonlySet<string>;
  /** Non-blank extension templates in certificate.Extensions order; Issuer and Subject are never templated. */
  readonly extensions: readonly CiExtensionTemplate[];
  /** Undefined when blank: Fulcio then refuses every token of this provider (checked per token, not at load). */
  readonly san?: CiValue;
}

export interface IssuerConfig extends Omit<IssuerSettings, 'type'> {
  readonly type: IssuerType;
  /** ci-provider issuers: the compiled `CIIssuerMetadata[CIProvider]` templates. */
  readonly ci?: CiProvider;
}

export interface MetaIssuer {
  readonly pattern: string;
  readonly regex: RegExp;
  /** issuerUrl = pattern */
  readonly config: IssuerConfig;
}

export interface IdentityConfig {
  readonly oidcIssuers: ReadonlyMap<string, IssuerConfig>;
  readonly metaIssuers: readonly MetaIssuer[];
  /** Kept raw, as the file gives it (compiled per issuer into IssuerConfig.ci). */
  readonly ciIssuerMetadata: Readonly<Record<string, unknown>>;
  /** Suspicious but accepted settings (for example a key that differs from its IssuerURL), with locations. */
  readonly warnings?: readonly string[];
}
