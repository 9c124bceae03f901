// The table of Fulcio's certificate extensions (1.3.6.1.4.1.57264.1.x): for each, its arc, Fulcio's name, its
// encoding and the Principal field its value comes from, plus how Fulcio's config files spell that field
// (certificate.Extensions: JSON uses the Go field name, YAML the struct tag). It sits in lib/ so that oidc (which maps
// claims to these fields), config (which reads ci-provider templates keyed by them), ca (which encodes them) and
// explain all read one table. Only ca/ turns it into DER.

export const FULCIO_ARC = '1.3.6.1.4.1.57264.1';

/** Fulcio's username identity: the otherName type-id of the SAN "<sub>!<SubjectDomain>" (.7 is not an extension). */
export const OTHERNAME_USERNAME_OID = `${FULCIO_ARC}.7`;

/** `raw`: the string's UTF-8 bytes with no ASN.1 tag (.1-.6); `utf8String`: a DER UTF8String (.8 and up). */
export type FulcioEncoding = 'raw' | 'utf8String';

/** certificate.Extensions fields, in Go struct order, with their config spellings. */
export const FULCIO_FIELDS = [
  { field: 'issuer', json: 'Issuer', yaml: 'issuer' },
  { field: 'githubWorkflowTrigger', json: 'GithubWorkflowTrigger', yaml: 'github-workflow-trigger' },
  { field: 'githubWorkflowSha', json: 'GithubWorkflowSHA', yaml: 'github-workflow-sha' },
  { field: 'githubWorkflowName', json: 'GithubWorkflowName', yaml: 'github-workflow-name' },
  { field: 'githubWorkflowRepository', json: 'GithubWorkflowRepository', yaml: 'github-workflow-repository' },
  { field: 'githubWorkflowRef', json: 'GithubWorkflowRef', yaml: 'github-workflow-ref' },
  { field: 'buildSignerUri', json: 'BuildSignerURI', yaml: 'build-signer-uri' },
  { field: 'buildSignerDigest', json: 'BuildSignerDigest', yaml: 'build-signer-digest' },
  { field: 'runnerEnvironment', json: 'RunnerEnvironment', yaml: 'runner-environment' },
  { field: 'sourceRepositoryUri', json: 'SourceRepositoryURI', yaml: 'source-repository-uri' },
  { field: 'sourceRepositoryDigest', json: 'SourceRepositoryDigest', yaml: 'source-repository-digest' },
  { field: 'sourceRepositoryRef', json: 'SourceRepositoryRef', yaml: 'source-repository-ref' },
  { field: 'sourceRepositoryIdentifier', json: 'SourceRepositoryIdentifier', yaml: 'source-repository-identifier' },
  { field: 'sourceRepositoryOwnerUri', json: 'SourceRepositoryOwnerURI', yaml: 'source-repository-owner-uri' },
  { field: 'sourceRepositoryOwnerIdentifier', json: 'SourceRepositoryOwnerIdentifier', yaml: 'source-repository-owner-identifier' },
  { field: 'buildConfigUri', json: 'BuildConfigURI', yaml: 'build-config-uri' },
  { field: 'buildConfigDigest', json: 'BuildConfigDigest', yaml: 'build-config-digest' },
  { field: 'buildTrigger', json: 'BuildTrigger', yaml: 'build-trigger' },
  { field: 'runInvocationUri', json: 'RunInvocationURI', yaml: 'run-invocation-uri' },
  { field: 'sourceRepositoryVisibilityAtSigning', json: 'SourceRepositoryVisibilityAtSigning', yaml: 'source-repository-visibility-at-signing' },
  { field: 'deploymentEnvironment', json: 'DeploymentEnvironment', yaml: 'deployment-environment' },
  { field: 'subject', json: 'Subject', yaml: 'subject' },
] as const;

export type FulcioField = (typeof FULCIO_FIELDS)[number]['field'];

/**
 * Values of Fulcio's extensions, by field. An empty or absent value means the extension is left out; `issuer` is
 * required and feeds both .1 (raw) and .8 (UTF8String); `subject` is .24.
 */
export type FulcioExtensionValues = { readonly issuer: string } & { readonly [F in Exclude<FulcioField, 'issuer'>]?: string };

export interface FulcioExtension {
  readonly arc: number;
  /** e.g. `1.3.6.1.4.1.57264.1.12` */
  readonly oid: string;
  /** Fulcio's name for it, e.g. `Source Repository URI`. */
  readonly name: string;
  readonly encoding: FulcioEncoding;
  /** The FulcioExtensionValues field its value comes from. */
  readonly field: FulcioField;
}

const row = (arc: number, field: FulcioField, name: string): FulcioExtension => ({
  arc,
  oid: `${FULCIO_ARC}.${arc}`,
  name,
  encoding: arc < 8 ? 'raw' : 'utf8String',
  field,
});

/** Every extension in the order the CA writes them: .1, .2-.6, .8, .9-.24. */
export const FULCIO_EXTENSIONS: readonly FulcioExtension[] = [
  row(1, 'issuer', 'Issuer (deprecated)'),
  row(2, 'githubWorkflowTrigger', 'GitHub Workflow Trigger (deprecated)'),
  row(3, 'githubWorkflowSha', 'GitHub Workflow SHA (deprecated)'),
  row(4, 'githubWorkflowName', 'GitHub Workflow Name (deprecated)'),
  row(5, 'githubWorkflowRepository', 'GitHub Workflow Repository (deprecated)'),
  row(6, 'githubWorkflowRef', 'GitHub Workflow Ref (deprecated)'),
  row(8, 'issuer', 'Issuer (V2)'),
  row(9, 'buildSignerUri', 'Build Signer URI'),
  row(10, 'buildSignerDigest', 'Build Signer Digest'),
  row(11, 'runnerEnvironment', 'Runner Environment'),
  row(12, 'sourceRepositoryUri', 'Source Repository URI'),
  row(13, 'sourceRepositoryDigest', 'Source Repository Digest'),
  row(14, 'sourceRepositoryRef', 'Source Repository Ref'),
  row(15, 'sourceRepositoryIdentifier', 'Source Repository Identifier'),
  row(16, 'sourceRepositoryOwnerUri', 'Source Repository Owner URI'),
  row(17, 'sourceRepositoryOwnerIdentifier', 'Source Repository Owner Identifier'),
  row(18, 'buildConfigUri', 'Build Config URI'),
  row(19, 'buildConfigDigest', 'Build Config Digest'),
  row(20, 'buildTrigger', 'Build Trigger'),
  row(21, 'runInvocationUri', 'Run Invocation URI'),
  row(22, 'sourceRepositoryVisibilityAtSigning', 'Source Repository Visibility At Signing'),
  row(23, 'deploymentEnvironment', 'Deployment Environment'),
  row(24, 'subject', 'Token Subject'),
];
