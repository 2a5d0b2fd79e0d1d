// The hub adapters (`hubs`, `kombo`, `teamtailor`, `stackone`), against the
// Rust tests' known answers and against what the project's own host answers
// to each example call (expected/, frozen from `assessio call`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as plugin from '../generated/assessio.js';
import {
  HERE, NO_LAST_NAME, ROOT, SO_B64URL, SO_BODY, SO_HEX, TT_V1,
  bytes, fromCliJson, hmacHex, payload, readJson, refusal, text, toCliJson,
} from './support.mjs';

const { assessio, hubs, kombo, stackone, teamtailor } = plugin;

// Each example's parameters in WIT order; `s64` ones become BigInts and
// `list<u8>` ones bytes, the rest go through `fromCliJson` (kebab → camel,
// null → undefined).
const PARAMS = {
  'hubs.to-order-details': ['hub', 'order', 'lens-id', 'locale', 'result-base-url'],
  'kombo.parse-order-event': ['body:bytes'],
  'kombo.result-request': ['api', 'order-id', 'result', 'completed-at:s64'],
  'stackone.parse-event': ['body:bytes'],
  'stackone.result-request': ['api', 'order-id', 'result', 'submitted-at:s64'],
  'teamtailor.parse-trigger': ['body:bytes'],
  'teamtailor.progress-request': ['update-url', 'api-key', 'status', 'reason'],
  'teamtailor.result-request': ['update-url', 'api-key', 'result'],
};

function callExample(name, args) {
  const [iface, fn] = name.split('.');
  const values = PARAMS[name].map((p) => {
    const [key, kind] = p.split(':');
    if (kind === 's64') return BigInt(args[key]);
    if (kind === 'bytes') return bytes(args[key]);
    return fromCliJson(args[key] ?? null);
  });
  const camelFn = fn.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  return plugin[iface][camelFn](...values);
}

test('every hub example call answers as the Rust host does', () => {
  const dir = `${ROOT}examples/calls/hubs`;
  const names = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  assert.ok(names.length >= 8, `examples went missing: ${names}`);
  assert.deepEqual(names, Object.keys(PARAMS).sort(), 'a new example needs its parameters in PARAMS');
  for (const name of names) {
    const answer = callExample(name, readJson(`${dir}/${name}.json`));
    assert.deepEqual(toCliJson(answer), readJson(`${HERE}../calls/hubs/expected/${name}.json`), name);
  }
});

test('Teamtailor signatures meet an outside vector', () => {
  assert.equal(hmacHex('tt-secret', '1700000000.evt-1'), TT_V1);
  const verify = (h, event, now) => teamtailor.verifySignature(h, event, 'tt-secret', now, undefined);
  const good = `t=1700000000,v0=00,v1=${TT_V1}`;
  assert.deepEqual(verify(good, 'evt-1', 1_700_000_000n), { signedAt: 1_700_000_000n });
  const rotated = `t=1700000000,v1=${'ab'.repeat(32)},v1=${TT_V1}`;
  assert.deepEqual(verify(rotated, 'evt-1', 1_700_000_299n), { signedAt: 1_700_000_000n });
  assert.deepEqual(refusal(() => verify(good, 'evt-2', 1_700_000_000n)), { tag: 'mismatch' });
  assert.deepEqual(refusal(() => verify(good, 'evt-1', 1_700_000_301n)), { tag: 'expired', val: 301n });
  assert.deepEqual(refusal(() => verify(undefined, 'evt-1', 1_700_000_000n)), { tag: 'missing' });
  assert.equal(teamtailor.verifyProviderKey('Bearer pk-acme', 'pk-acme'), true);
  assert.equal(teamtailor.verifyProviderKey('Bearer pk-acm', 'pk-acme'), false);
});

test('StackOne signatures are base64url under any current secret', () => {
  const check = (name, value, secrets) => stackone.verifyWebhook(
    [{ name: 'Content-Type', value: 'application/json' }, { name, value }],
    bytes(SO_BODY),
    secrets,
  );
  assert.equal(check('X-StackOne-Signature', SO_B64URL, ['so-secret']), undefined);
  assert.equal(check('x-stackone-signature', SO_B64URL, ['new-secret', 'so-secret']), undefined);
  assert.deepEqual(refusal(() => check('x-stackone-signature', SO_HEX, ['so-secret'])),
    { tag: 'malformed', val: 'no signature is a base64url HMAC-SHA256' });
  assert.deepEqual(refusal(() => check('x-other', SO_B64URL, ['so-secret'])), { tag: 'missing' });
  assert.deepEqual(refusal(() => check('x-stackone-signature', SO_B64URL.replace('o', 'p'), ['so-secret'])),
    { tag: 'mismatch' });
});

test('packages, write outcomes and rejections', () => {
  assert.equal(hubs.packageId('L1', 'sv-SE'), 'L1:sv-SE');
  assert.deepEqual(hubs.parsePackageId('a:b:sv-SE'), ['a:b', 'sv-SE']);
  assert.deepEqual(refusal(() => hubs.parsePackageId('typescript_test')),
    { tag: 'invalid', val: { field: 'package_id', problem: 'is not a package this connector published' } });
  assert.deepEqual(kombo.interpretWriteResponse(200, new Uint8Array()), { tag: 'written' });
  const rate = bytes('{"status":"error","error":{"code":"PLATFORM.RATE_LIMIT_EXCEEDED","title":"Slow down"}}');
  const retry = kombo.interpretWriteResponse(400, rate);
  assert.equal(retry.tag, 'retry-later');
  assert.match(retry.val.message, /RATE_LIMIT/);
  const bad = bytes('{"status":"error","error":{"code":"INPUT.INVALID","message":"result_url missing"}}');
  assert.deepEqual(kombo.interpretWriteResponse(400, bad),
    { tag: 'failed', val: { status: 400, message: 'INPUT.INVALID: result_url missing' } });
  assert.deepEqual(JSON.parse(text(kombo.rejectionBody('No last name'))),
    { status: 'ORDER_REJECTED', message: 'No last name' });
  const error = { tag: 'missing', val: 'candidate.last-name' };
  assert.equal(hubs.recruiterMessage(error), NO_LAST_NAME);
  assert.equal(teamtailor.rejectionText(error), NO_LAST_NAME);
});

test("Teamtailor's dialog and Kombo's packages come from the catalog", () => {
  const catalog = assessio.listLenses(payload('config-response.json'));
  const dialog = text(teamtailor.configResponse(catalog));
  assert.match(dialog, /General Performance/);
  assert.match(dialog, /sv-SE/);
  const api = { baseUrl: 'https://api.kombo.dev/v1', apiKey: 'k', integrationId: 'int-1' };
  const page = kombo.openOrdersRequest(api, 'c/1', 50);
  assert.equal(page.url, 'https://api.kombo.dev/v1/assessment/orders?statuses=OPEN&page_size=50&cursor=c%2F1');
  const packages = kombo.packagesRequest(api, catalog);
  assert.match(text(packages.body), /7922dd91-1b44-43e4-a740-7c4d9c2fba41:sv-SE/);
});
