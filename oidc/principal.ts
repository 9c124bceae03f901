// What a verified identity token becomes: the name the proof of possession is made over, the certificate's one
// SAN, and the values of Fulcio's extensions. Claim mapping is a pure function from claims to a Principal; the CA
// imports only these types.

export type SubjectAltName =
  | { readonly kind: 'uri'; readonly value: string }
  | { readonly kind: 'email'; readonly value: string }
  /** Fulcio's username identity: otherName 1.3.6.1.4.1.57264.1.7 carrying "<sub>!<SubjectDomain>". */
  | { readonly kind: 'otherName'; readonly value: string };

/**
 * Values of Fulcio's 1.3.6.1.4.1.57264.1.x extensions, named as Fulcio's Go fields (camelCase). An empty or
 * absent value means the extension is left out. `issuer` feeds both .1 (raw) and .8 (UTF8String); `subject` is .24.
 */
export interface FulcioExtensionValues {
  readonly issuer: string;
  readonly githubWorkflowTrigger?: string; // .2
  readonly githubWorkflowSha?: string; // .3
  readonly githubWorkflowName?: string; // .4
  readonly githubWorkflowRepository?: string; // .5
  readonly githubWorkflowRef?: string; // .6
  readonly buildSignerUri?: string; // .9
  readonly buildSignerDigest?: string; // .10
  readonly runnerEnvironment?: string; // .11
  readonly sourceRepositoryUri?: string; // .12
  readonly sourceRepositoryDigest?: string; // .13
  readonly sourceRepositoryRef?: string; // .14
  readonly sourceRepositoryIdentifier?: string; // .15
  readonly sourceRepositoryOwnerUri?: string; // .16
  readonly sourceRepositoryOwnerIdentifier?: string; // .17
  readonly buildConfigUri?: string; // .18
  readonly buildConfigDigest?: string; // .19
  readonly buildTrigger?: string; // .20
  readonly runInvocationUri?: string; // .21
  readonly sourceRepositoryVisibilityAtSigning?: string; // .22
  readonly deploymentEnvironment?: string; // .23
  readonly subject?: string; // .24
}

export interface Principal {
  /** The string the proof of possession signs: `email` for email issuers, `sub` otherwise. */
  readonly name: string;
  readonly san: SubjectAltName;
  readonly extensions: FulcioExtensionValues;
}

/** Verified token claims, as decoded from the JWT payload. */
export type Claims = Readonly<Record<string, unknown>>;
