// The log's web page (served at <prefix>/ui/ by ui/route.ts). Plain ES module, no framework, no build step.
// Every value shown comes from the log and may be attacker-chosen (a SAN, a claim copied into an extension): the DOM
// is built with createElement and textContent only, never from HTML strings.
// Endpoints, relative to the page so that the log's prefix is kept: ../api/v1/search, ../ct/v1/get-sth,
// ../ct/v1/get-entries, and extensions.json (the Fulcio extension table the CA encodes with).

/** Results per page: 50, or the page address's `limit` (a shared link keeps it). */
let pageSize = 50;
const api = (path) => new URL(`../${path}`, document.baseURI);
const $ = (id) => document.getElementById(id);

/** An element with attributes (set as properties' string values) and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c === undefined || c === null ? '' : String(c)));
  return node;
}

function showError(message) {
  const p = $('error');
  p.textContent = message;
  p.hidden = message === '';
}

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  const text = await res.text();
  if (!res.ok) {
    let detail = text.trim();
    try {
      const body = JSON.parse(text);
      detail = body.message ?? body.error ?? detail;
    } catch {
      // a plain-text error
    }
    const err = new Error(`${url.pathname} answered ${res.status}: ${String(detail).slice(0, 300)}`);
    err.status = res.status;
    throw err;
  }
  return JSON.parse(text);
}

// ---- bytes, hashes and the RFC 6962 inclusion proof -------------------------------------------------------------

const hexBytes = (hex) => Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));

/** A 32-byte hash as the API gives it: 64 hex digits, else standard base64. */
function hashBytes(s) {
  if (typeof s !== 'string') throw new Error('a hash is not a string');
  if (s.length === 64 && /^[0-9a-fA-F]+$/.test(s)) return hexBytes(s);
  return base64Bytes(s);
}

function base64Bytes(s) {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The root an audit path leads to from leaf `index` in a tree of `size` leaves (RFC 6962 §2.1.1; the algorithm of
 * RFC 9162 §2.1.3.2), or null when the path has the wrong length for that index and size.
 */
async function rootFromAuditPath(index, size, leafHash, path) {
  if (!(index >= 0 && index < size)) return null;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat([1], p, r));
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(concat([1], r, p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** Does `hay` contain the bytes of `needle`? */
function containsBytes(hay, needle) {
  if (needle.length === 0) return true;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * What the result claims but the logged entry does not contain: its SAN, serial and extension values must occur in
 * the entry's bytes (the certificate or precertificate TBS in leaf_input), so a proof cannot vouch for another entry.
 */
function valuesNotInEntry(result, leaf) {
  const utf8 = (s) => new TextEncoder().encode(s);
  const missing = [];
  // An IP address SAN is shown as text but logged as bytes; every other SAN type is logged as the text itself.
  const ipSan = Array.isArray(result.sans) && result.sans[0]?.type === 'ip';
  if (result.san && !ipSan && !containsBytes(leaf, utf8(result.san))) missing.push('SAN');
  if (result.serial && /^([0-9a-f]{2})+$/.test(result.serial) && !containsBytes(leaf, hexBytes(result.serial))) missing.push('serial');
  for (const x of namedExtensions(result)) if (!containsBytes(leaf, utf8(x.value))) missing.push(`${x.name} value`);
  return missing;
}

/**
 * Checks a search result's inclusion proof against the signed tree head: the leaf hash is recomputed from the
 * entry's leaf_input (get-entries), the audit path walked up to a root, and that root must be the STH's.
 * Resolves to {ok, text}.
 */
async function checkInclusion(result, sth) {
  const inc = result.inclusion;
  if (!inc || !Array.isArray(inc.auditPath)) return { ok: false, text: 'Not verified: the log gave no inclusion proof for this entry.' };
  if (!globalThis.crypto?.subtle)
    return { ok: false, text: 'Not verified: this browser offers WebCrypto only on https or localhost pages.' };
  const index = Number(result.index);
  const size = Number(inc.treeSize);
  if (!sth || Number(sth.tree_size) !== size)
    return { ok: false, text: `Proof does NOT verify: it is for a tree of ${size} entries, the signed tree head has ${sth?.tree_size}.` };
  const sthRoot = hashBytes(sth.sha256_root_hash);
  if (!sameBytes(hashBytes(inc.rootHash), sthRoot))
    return { ok: false, text: 'Proof does NOT verify: its root hash is not the signed tree head\'s.' };
  const entries = await getJson(api(`ct/v1/get-entries?start=${index}&end=${index}`));
  const leafInput = entries.entries?.[0]?.leaf_input;
  if (typeof leafInput !== 'string') return { ok: false, text: `Not verified: the log returned no entry ${index}.` };
  const leaf = base64Bytes(leafInput);
  const missing = valuesNotInEntry(result, leaf);
  if (missing.length > 0)
    return { ok: false, text: `Not verified: log entry ${index} does not hold the ${missing.join(', ')} shown for it.` };
  const leafHash = await sha256(concat([0], leaf));
  const root = await rootFromAuditPath(index, size, leafHash, inc.auditPath.map(hashBytes));
  if (root === null) return { ok: false, text: `Proof does NOT verify: the audit path has the wrong length for entry ${index} of ${size}.` };
  if (!sameBytes(root, sthRoot))
    return { ok: false, text: `Proof does NOT verify: entry ${index} and its audit path lead to a root that is not the signed tree head's.` };
  return {
    ok: true,
    text: `Proof verified: entry ${index}, which holds the SAN, serial and extension values shown, is in the log's tree of ${size} entries (root ${toBase64(root)}), checked in this browser.`,
  };
}

// ---- the Fulcio extension table -----------------------------------------------------------------------------------

let extensionRows = [];
const byOid = new Map();
const byField = new Map();

async function loadExtensions() {
  const { extensions } = await getJson(new URL('extensions.json', document.baseURI));
  extensionRows = extensions;
  for (const row of extensions) {
    byOid.set(row.oid, row);
    // Issuer: .1 (deprecated) and .8 share a field; the later row (.8) names it.
    byField.set(row.field, row);
  }
  const select = $('q-ext-name');
  const seen = new Set();
  for (const row of extensions) {
    if (seen.has(row.field)) continue;
    seen.add(row.field);
    select.append(el('option', { value: row.field }, `${byField.get(row.field).name} (${row.field})`));
  }
}

/** A result's value of an extension field, whether the answer keys extensions by field name or by OID. */
function extensionValue(result, field) {
  const ext = result.extensions ?? {};
  if (typeof ext[field] === 'string') return ext[field];
  const rows = extensionRows.filter((r) => r.field === field).reverse();
  for (const r of rows) if (typeof ext[r.oid] === 'string') return ext[r.oid];
  return undefined;
}

/** Every extension of a result as rows {name, oid, value}, in the table's order, unknown keys last. */
function namedExtensions(result) {
  const out = [];
  for (const [key, raw] of Object.entries(result.extensions ?? {})) {
    const value = typeof raw === 'string' ? raw : JSON.stringify(raw);
    const row = byOid.get(key) ?? byField.get(key);
    out.push(row ? { order: extensionRows.indexOf(row), name: row.name, oid: row.oid, value } : { order: Infinity, name: key, oid: /^\d+(\.\d+)+$/.test(key) ? key : '', value });
  }
  return out.sort((a, b) => a.order - b.order);
}

// ---- the signed tree head -------------------------------------------------------------------------------------------

let shownSth = null;

function age(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

function renderSthAge() {
  if (!shownSth) return;
  const ms = Date.now() - Number(shownSth.timestamp);
  const span = $('sth-age');
  // An idle Fulgor log re-signs its tree head every minute.
  span.textContent = `(${age(ms)}${ms > 5 * 60_000 ? ': older than expected, the log re-signs every minute' : ''})`;
  span.className = ms > 5 * 60_000 ? 'age stale' : 'age';
}

function showSth(sth) {
  if (!sth || (shownSth && Number(shownSth.tree_size) > Number(sth.tree_size))) return;
  shownSth = sth;
  $('sth-size').textContent = String(sth.tree_size);
  $('sth-time').textContent = new Date(Number(sth.timestamp)).toISOString();
  $('sth-root').textContent = String(sth.sha256_root_hash);
  $('sth-error').hidden = true;
  renderSthAge();
}

async function loadSth() {
  try {
    showSth(await getJson(api('ct/v1/get-sth')));
  } catch (e) {
    $('sth-error').textContent = `Could not read the signed tree head: ${e.message}`;
    $('sth-error').hidden = false;
  }
}

// ---- search and results ---------------------------------------------------------------------------------------------

/** The search API's query from the form (empty fields left out). */
function queryFromForm() {
  const f = $('search-form').elements;
  const q = new URLSearchParams();
  const put = (name, value) => {
    const v = value.trim();
    if (v !== '') q.set(name, v);
  };
  put('san', f['san'].value);
  put('issuer', f['issuer'].value);
  put('ext.sourceRepositoryUri', f['repository'].value);
  if (f['ext-name'].value !== '') put(`ext.${f['ext-name'].value}`, f['ext-value'].value);
  put('serial', f['serial'].value);
  // Bare dates (UTC): the search API takes `until` as including that whole day.
  if (f['since'].value) q.set('since', f['since'].value);
  if (f['until'].value) q.set('until', f['until'].value);
  return q;
}

/** Fills the form from the page's own query string (a shared link), in the search API's names. */
function formFromQuery(q) {
  const f = $('search-form').elements;
  f['san'].value = q.get('san') ?? '';
  f['issuer'].value = q.get('issuer') ?? '';
  f['repository'].value = q.get('ext.sourceRepositoryUri') ?? '';
  for (const [k, v] of q) {
    if (!k.startsWith('ext.') || k === 'ext.sourceRepositoryUri') continue;
    const field = k.slice(4);
    if ([...f['ext-name'].options].some((o) => o.value === field)) {
      f['ext-name'].value = field;
      f['ext-value'].value = v;
    }
  }
  f['serial'].value = q.get('serial') ?? '';
  f['since'].value = (q.get('since') ?? '').slice(0, 10);
  f['until'].value = (q.get('until') ?? '').slice(0, 10);
}

const results = new Map();
let nextCursor = null;
let currentQuery = null;

function timeText(v) {
  if (v === undefined || v === null) return '';
  const d = new Date(typeof v === 'number' ? v : String(v));
  return Number.isNaN(d.getTime()) ? String(v ?? '') : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function resultRow(r, key) {
  const open = el('button', { type: 'button', class: 'open' }, 'Details');
  open.addEventListener('click', () => void openDetail(key));
  const tr = el(
    'tr',
    { 'data-index': String(r.index) },
    el('td', { class: 'time' }, timeText(r.timestamp ?? r.notBefore)),
    el('td', { class: 'san' }, r.san ?? ''),
    el('td', { class: 'issuer' }, r.issuer ?? ''),
    el('td', { class: 'repository' }, extensionValue(r, 'sourceRepositoryUri') ?? extensionValue(r, 'githubWorkflowRepository') ?? ''),
    el('td', { class: 'ref' }, extensionValue(r, 'sourceRepositoryRef') ?? extensionValue(r, 'githubWorkflowRef') ?? ''),
    el('td', { class: 'serial mono' }, r.serial ?? ''),
    el('td', { class: 'index' }, String(r.index)),
    el('td', {}, open),
  );
  return tr;
}

async function search(query, append) {
  showError('');
  const q = new URLSearchParams(query);
  q.set('limit', String(pageSize));
  if (append && nextCursor !== null) q.set('cursor', String(nextCursor));
  $('results').hidden = false;
  $('results-status').textContent = 'Searching…';
  let answer;
  try {
    answer = await getJson(api(`api/v1/search?${q}`));
  } catch (e) {
    $('results-status').textContent = '';
    showError(e.status === 404 ? 'This log does not offer search (GET ../api/v1/search answered 404).' : `Search failed: ${e.message}`);
    return;
  }
  const body = $('results-body');
  if (!append) {
    body.replaceChildren();
    results.clear();
  }
  showSth(answer.sth);
  for (const r of answer.results ?? []) {
    const key = `${r.index}:${results.size}`;
    results.set(key, { result: r, sth: answer.sth });
    body.append(resultRow(r, key));
  }
  nextCursor = answer.next ?? null;
  $('results-more').hidden = nextCursor === null;
  $('results-status').textContent = results.size === 0 ? 'No certificate matches.' : `${results.size} certificate${results.size === 1 ? '' : 's'} shown${nextCursor === null ? '' : ' (more available)'}.`;
}

// ---- the detail view ------------------------------------------------------------------------------------------------

let detailToken = 0;

async function openDetail(key) {
  const entry = results.get(key);
  if (!entry) return;
  const { result: r, sth } = entry;
  const token = ++detailToken;
  $('detail-index').textContent = String(r.index);
  const fields = [
    ['Log index', String(r.index)],
    ['Entry', r.precert ? 'precertificate' : 'certificate'],
    ['Identity (SAN)', r.san ?? ''],
    ...(Array.isArray(r.sans) && r.sans.length > 1 ? [['All SANs', r.sans.map((x) => `${x.type}: ${x.value}`).join('\n')]] : []),
    ['OIDC issuer', r.issuer ?? ''],
    ['Logged at', timeText(r.timestamp)],
    ['Not before', timeText(r.notBefore)],
    ['Serial', r.serial ?? ''],
    ['Key (SHA-256 of the public key)', r.keyFingerprint ?? ''],
  ];
  $('detail-fields').replaceChildren(...fields.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  $('detail-extensions-body').replaceChildren(
    ...namedExtensions(r).map((x) => el('tr', {}, el('th', { scope: 'row' }, x.name), el('td', { class: 'mono' }, x.oid), el('td', {}, x.value))),
  );
  const status = $('proof-status');
  status.textContent = 'Checking the inclusion proof…';
  status.className = 'proof pending';
  $('results').hidden = true;
  $('detail').hidden = false;
  let outcome;
  try {
    outcome = await checkInclusion(r, sth);
  } catch (e) {
    outcome = { ok: false, text: `Not verified: ${e.message}` };
  }
  if (token !== detailToken) return;
  status.textContent = outcome.text;
  status.className = outcome.ok ? 'proof verified' : 'proof failed';
}

function closeDetail() {
  detailToken++;
  $('detail').hidden = true;
  $('results').hidden = false;
}

// ---- start ----------------------------------------------------------------------------------------------------------

async function start() {
  setInterval(renderSthAge, 1000);
  $('detail-close').addEventListener('click', closeDetail);
  $('results-more').addEventListener('click', () => void search(currentQuery, true));
  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    currentQuery = queryFromForm();
    history.replaceState(null, '', `?${currentQuery}${pageSize === 50 ? '' : `&limit=${pageSize}`}`);
    void search(currentQuery, false);
  });
  await Promise.all([
    loadSth(),
    loadExtensions().catch((e) => showError(`Could not read the extension table: ${e.message}`)),
  ]);
  const initial = new URLSearchParams(location.search);
  if (/^[1-9]\d{0,2}$/.test(initial.get('limit') ?? '')) pageSize = Number(initial.get('limit'));
  initial.delete('limit');
  if ([...initial.keys()].length > 0) {
    formFromQuery(initial);
    currentQuery = queryFromForm();
    await search(currentQuery, false);
  }
  document.body.dataset.ready = 'true';
}

void start();
