// Shared by the tests: the known answers of the Rust tests
// (host-test/harness/tests/exports.rs, exports_hubs.rs), and JSON helpers.

import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const HERE = fileURLToPath(new URL('../', import.meta.url));

export const bytes = (s) => new TextEncoder().encode(s);
export const text = (b) => new TextDecoder().decode(b);
export const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
export const payload = (name) => new Uint8Array(readFileSync(`${ROOT}examples/payloads/${name}`));
export const hmacHex = (key, message) => createHmac('sha256', key).update(message).digest('hex');

export const ACCOUNT = { environment: { tag: 'sandbox' }, providerKey: 'pk_test', integratorSecret: 'whsec_test_secret' };

/** The example order of Assessio's API reference (seed 001), with names. */
export const SEED_ORDER = {
  recruitment: { id: '82bd4452-bd16-4227-bce9-f1812a9db6ef', title: 'Developer' },
  lensId: '7922dd91-1b44-43e4-a740-7c4d9c2fba41',
  locale: 'sv-SE',
  candidate: { email: 'john.doe@gmail.com', firstName: 'John', lastName: 'Doe' },
  collaboratorEmails: ['recruiter@assessio.com'],
  resultId: '73273ca0-0253-4d5f-8f91-d39e298bd351',
  resultUpdateUrl: 'https://www.integrator.com/api/v1/candidate-results/73273ca0-0253-4d5f-8f91-d39e298bd351',
};

/** Byte for byte: the field order and names of Assessio's reference. */
export const SEED_BODY =
  '{"recruitment":{"id":"82bd4452-bd16-4227-bce9-f1812a9db6ef","title":"Developer"},' +
  '"additionalRecruitmentCollaboratorsEmails":["recruiter@assessio.com"],' +
  '"resultUpdateUrl":"https://www.integrator.com/api/v1/candidate-results/73273ca0-0253-4d5f-8f91-d39e298bd351",' +
  '"resultId":"73273ca0-0253-4d5f-8f91-d39e298bd351","lensId":"7922dd91-1b44-43e4-a740-7c4d9c2fba41",' +
  '"locale":"sv-SE","candidateDetails":{"email":"john.doe@gmail.com","firstName":"John","lastName":"Doe"}}';

/** printf '1700000000.{"resultId":"r-1"}' | openssl dgst -sha256 -hmac whsec_test_secret */
export const R1_SIGNATURE =
  't=1700000000,signature=8bdab4ad04314db8fc9e387d0feab32f99622b30742885a0a2f5b13292a923b8';
/** Python: hmac.new(b"tt-secret", b"1700000000.evt-1", hashlib.sha256).hexdigest() */
export const TT_V1 = '437fbc3cd6b6211d7c1d4bb1081fea96674e604bd4e88dd47cc2341f327d76ac';
/** HMAC-SHA256 under "so-secret" of SO_BODY, in base64url and in hex. */
export const SO_BODY = '{"event":"ats_assessments.created","id":"evt_1"}';
export const SO_B64URL = 'ovsvzap9QoJw8ILFtbiFJfns1zE5D9W-Cgmh9W9pOe0';
export const SO_HEX = 'a2fb2fcdaa7d428270f082c5b5b88525f9ecd731390fd5be0a09a1f56f6939ed';

export const NO_LAST_NAME =
  'Assessio could not be ordered: the candidate has no last name. ' +
  'Assessio needs a first and a last name to invite the candidate.';

/** The typed error a call is refused with: jco throws a `ComponentError`
 * whose `payload` is the `err` of the WIT's `result`. */
export function refusal(call) {
  try {
    call();
  } catch (e) {
    if (e?.constructor?.name !== 'ComponentError') throw e;
    return e.payload;
  }
  throw new Error('expected a refusal');
}

// `assessio call`'s JSON (kebab-case names, `{"case": payload}` variants,
// null for none, bodies as text) <-> jco's JS values (camelCase names,
// `{tag, val}` variants, undefined for none, Uint8Array bodies, BigInt s64).
const camel = (k) => k.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const kebab = (k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function fromCliJson(v) {
  if (v === null) return undefined;
  if (Array.isArray(v)) return v.map(fromCliJson);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), fromCliJson(x)]));
  return v;
}

export function toCliJson(v) {
  if (v === undefined || v === null) return null;
  if (v instanceof Uint8Array) return text(v);
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(toCliJson);
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.includes('tag') && keys.every((k) => k === 'tag' || k === 'val')) {
      return 'val' in v ? { [v.tag]: toCliJson(v.val) } : v.tag;
    }
    return Object.fromEntries(keys.map((k) => [kebab(k), toCliJson(v[k])]));
  }
  return v;
}
