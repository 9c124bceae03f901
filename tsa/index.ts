// The timestamp authority (RFC 3161 with RFC 5816's ESSCertIDv2), API-compatible with sigstore/timestamp-authority:
// request parsing (DER and JSON), token signing through the Signer, refusals with their PKIFailureInfo, and the
// express routes POST /api/v1/timestamp and GET /api/v1/timestamp/certchain. It owns those and nothing else: it
// imports lib/ only (the Signer interface in lib/signer.ts included), never server/, ca/ or config/; the caller
// hands it the key (a Signer), the chain and the clock.
export { createTimestampAuthority, type Timestamp, type TimestampAuthority, type TimestampAuthorityOptions } from './authority.js';
export { HASH_OID, HASHES, TSA_OID, type HashName } from './oids.js';
export { FAIL_INFO, PKI_STATUS, rejectionResponse, TsaRejection, type FailInfo } from './rejection.js';
export { parseJsonRequest, parseTimestampQuery, type TimestampRequest } from './request.js';
export { MAX_TSA_BODY_BYTES, TIMESTAMP_PATH, timestampOffRouter, timestampRouter, tsaRequestListener, type TsaRouteDeps } from './routes.js';
