// ct/: the RFC 6962 log. Merkle hashing and proofs, TLS structures, chain checks, sequencing with SCT and STH
// signing, stores (file = embedded default, Redis via ioredis, memory for tests), the log's own HTTP routes, and a
// client. It exchanges DER bytes and SCTs only. This file is its public surface: what the CA server and the CLI use.
// May import: lib/ only (checked: ct-imports-no-ca-oidc-server-config).
export { createLog, dedupKey, MAX_GET_ENTRIES } from './log.js';
export type { CtLog, LogOptions, SignedTreeHead, InclusionProof, EntryAndProof } from './log.js';
export { createCtServer, createCtRouter, MAX_BODY_BYTES, sthJson } from './http.js';
export type { CtServerOptions, CtRouterOptions } from './http.js';
export { createCtClient, CtClientError } from './client.js';
export type { CtClient, CtClientOptions, ClientEntry } from './client.js';
export { createMemoryStore } from './memory-store.js';
export type { LogStore, NewEntry, StoredEntry } from './store.js';
export { CtError, isCtError } from './errors.js';
export {
  serializeSct,
  serializeSctList,
  parseSct,
  parseSctList,
  logIdFor,
  issuerKeyHash,
  merkleTreeLeaf,
  parseMerkleTreeLeaf,
  treeHeadSignatureInput,
} from './structures.js';
export type { Sct, SignedEntry, TimestampedEntry } from './structures.js';
export { signedEntryForChain, verifySct, verifySth, verifyDigitallySigned } from './verify.js';
export type { TreeHead } from './verify.js';
export {
  hashLeaf,
  rootOfLeafHashes,
  verifyInclusion,
  verifyConsistency,
  rootFromInclusionProof,
  EMPTY_ROOT,
} from './merkle.js';
export type { HashSource, NodeId } from './merkle.js';
export { POISON_OID, CODE_SIGNING_EKU, precertTbs, parseCertificate } from './certificate.js';
