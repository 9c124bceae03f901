// Parses Fulcio v2 and legacy v1 signing requests. protobuf-JSON rules: camelCase or proto names, unknown fields
// ignored, null means absent, bytes are base64 (std or URL-safe), the algorithm enum is ignored.
import { FulgorError } from '../lib/errors.js';
import { decodeBase64Bytes } from '../ca/proof-of-possession.js';

export type KeyRequest =
  | { readonly kind: 'publicKey'; readonly content: string | Buffer; readonly proof: Buffer }
  | { readonly kind: 'csr'; readonly pem: string };

export interface SigningRequest {
  readonly token: string;
  readonly key: KeyRequest;
  /** The client's address, for per-address rate limits (the socket's, or as `--trust-proxy` hops allow). */
  readonly clientAddress?: string;
}

type Obj = Record<string, unknown>;

function field(obj: Obj, camel: string, snake: string): unknown {
  const v = obj[camel] ?? obj[snake];
  return v === null ? undefined : v;
}

function objectField(obj: Obj, camel: string, snake: string, path: string): Obj | undefined {
  const v = field(obj, camel, snake);
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new FulgorError('BAD_REQUEST', `${path} must be an object`);
  return v as Obj;
}

function stringField(obj: Obj, camel: string, snake: string, path: string): string | undefined {
  const v = field(obj, camel, snake);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new FulgorError('BAD_REQUEST', `${path} must be a string`);
  return v;
}

function asObject(body: unknown): Obj {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new FulgorError('BAD_REQUEST', 'the request body must be a JSON object');
  return body as Obj;
}

/** Fulcio replaces the first "Bearer " (case-sensitive); a bare token also works. */
export function tokenFromAuthorization(header: string | undefined): string {
  return header ? header.replace('Bearer ', '') : '';
}

function requireToken(token: string): string {
  if (!token) throw new FulgorError('MISSING_TOKEN', 'no identity token in credentials.oidcIdentityToken or the Authorization header');
  return token;
}

function csrPem(b64: string, path: string): string {
  return decodeBase64Bytes(b64, path).toString('latin1');
}

export function parseV2Request(body: unknown, authorization: string | undefined): SigningRequest {
  const root = asObject(body);
  const credentials = objectField(root, 'credentials', 'credentials', 'credentials') ?? {};
  const bodyToken = stringField(credentials, 'oidcIdentityToken', 'oidc_identity_token', 'credentials.oidcIdentityToken') ?? '';
  const token = requireToken(bodyToken || tokenFromAuthorization(authorization));
  const csr = stringField(root, 'certificateSigningRequest', 'certificate_signing_request', 'certificateSigningRequest');
  if (csr) return { token, key: { kind: 'csr', pem: csrPem(csr, 'certificateSigningRequest') } };
  const pkr = objectField(root, 'publicKeyRequest', 'public_key_request', 'publicKeyRequest');
  const pk = pkr && objectField(pkr, 'publicKey', 'public_key', 'publicKeyRequest.publicKey');
  const content = pk ? stringField(pk, 'content', 'content', 'publicKeyRequest.publicKey.content') ?? '' : '';
  if (!pkr || !content)
    throw new FulgorError('MISSING_PUBLIC_KEY', 'The public key supplied in the request could not be parsed: give publicKeyRequest.publicKey.content or certificateSigningRequest');
  const proof = stringField(pkr, 'proofOfPossession', 'proof_of_possession', 'publicKeyRequest.proofOfPossession') ?? '';
  return { token, key: { kind: 'publicKey', content, proof: decodeBase64Bytes(proof, 'publicKeyRequest.proofOfPossession') } };
}

/** Legacy v1: the token only from Authorization; publicKey.content is base64 bytes; the proof is signedEmailAddress. */
export function parseV1Request(body: unknown, authorization: string | undefined): SigningRequest {
  const root = asObject(body);
  const csr = stringField(root, 'certificateSigningRequest', 'certificate_signing_request', 'certificateSigningRequest');
  const pk = objectField(root, 'publicKey', 'public_key', 'publicKey');
  if (!csr && !pk) throw new FulgorError('MISSING_PUBLIC_KEY', 'The public key supplied in the request could not be parsed');
  const token = requireToken(tokenFromAuthorization(authorization));
  if (csr) return { token, key: { kind: 'csr', pem: csrPem(csr, 'certificateSigningRequest') } };
  const content = decodeBase64Bytes(stringField(pk as Obj, 'content', 'content', 'publicKey.content') ?? '', 'publicKey.content');
  const proof = stringField(root, 'signedEmailAddress', 'signed_email_address', 'signedEmailAddress') ?? '';
  return { token, key: { kind: 'publicKey', content, proof: decodeBase64Bytes(proof, 'signedEmailAddress') } };
}
