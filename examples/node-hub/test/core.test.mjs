// The five core functions of `assessio`, against the Rust tests' known answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessio } from '../generated/assessio.js';
import {
  ACCOUNT, R1_SIGNATURE, SEED_BODY, SEED_ORDER, bytes, hmacHex, payload, refusal, text,
} from './support.mjs';

const header = (r, name) => r.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;

test('sign-request matches an independent HMAC', () => {
  const h = assessio.signRequest('whsec_test_secret', 1_700_000_000n, bytes('{"resultId":"r-1"}'));
  assert.deepEqual(h, { name: 'Signature', value: R1_SIGNATURE });
  assert.equal(h.value, `t=1700000000,signature=${hmacHex('whsec_test_secret', '1700000000.{"resultId":"r-1"}')}`);
  assert.deepEqual(refusal(() => assessio.signRequest('', 1n, new Uint8Array())), { tag: 'missing', val: 'secret' });
});

test('build-order gives the seed body byte for byte and a valid signature', () => {
  const r = assessio.buildOrder(ACCOUNT, SEED_ORDER, 'order', 1_700_000_000n);
  assert.equal(r.method, 'post');
  assert.equal(r.url, 'https://sandbox.api.assessio.systems/recruitment/v1/assessment-order');
  assert.deepEqual(r.headers.map((h) => h.name), ['provider-key', 'Signature', 'Content-Type', 'Accept']);
  assert.equal(header(r, 'provider-key'), 'pk_test');
  assert.ok(r.body instanceof Uint8Array);
  assert.equal(text(r.body), SEED_BODY);
  assert.equal(header(r, 'signature'), `t=1700000000,signature=${hmacHex('whsec_test_secret', `1700000000.${SEED_BODY}`)}`);

  const link = assessio.buildOrder(ACCOUNT, SEED_ORDER, 'order-link', 5n);
  assert.ok(link.url.endsWith('/recruitment/v1/assessment-order-link'));
  const unsigned = assessio.buildOrder({ ...ACCOUNT, integratorSecret: undefined }, SEED_ORDER, 'order', 5n);
  assert.equal(header(unsigned, 'Signature'), undefined);
  const custom = { ...ACCOUNT, environment: { tag: 'custom', val: 'http://127.0.0.1:8080/' } };
  assert.equal(assessio.buildOrder(custom, SEED_ORDER, 'order', 5n).url,
    'http://127.0.0.1:8080/recruitment/v1/assessment-order');
});

test('build-order names the field at fault', () => {
  const withCandidate = (c) => ({ ...SEED_ORDER, candidate: { ...SEED_ORDER.candidate, ...c } });
  assert.deepEqual(refusal(() => assessio.buildOrder(ACCOUNT, withCandidate({ lastName: ' ' }), 'order', 1n)),
    { tag: 'missing', val: 'candidate.last-name' });
  const badEmail = refusal(() => assessio.buildOrder(ACCOUNT, withCandidate({ email: 'john.doe at gmail' }), 'order', 1n));
  assert.equal(badEmail.tag, 'invalid');
  assert.equal(badEmail.val.field, 'candidate.email');
  assert.deepEqual(refusal(() => assessio.buildOrder({ ...ACCOUNT, integratorSecret: '' }, SEED_ORDER, 'order', 5n)),
    { tag: 'missing', val: 'account.integrator-secret' });
});

test('config-request and list-lenses', () => {
  const r = assessio.configRequest(ACCOUNT);
  assert.equal(r.method, 'get');
  assert.equal(r.url, 'https://sandbox.api.assessio.systems/recruitment/v1/config');
  assert.equal(r.body.length, 0);
  assert.equal(header(r, 'provider-key'), 'pk_test');
  const catalog = assessio.listLenses(payload('config-response.json'));
  assert.deepEqual(catalog.lenses[0], { id: '7922dd91-1b44-43e4-a740-7c4d9c2fba41', name: 'General Performance' });
  assert.deepEqual(catalog.locales, ['en-US', 'sv-SE', 'nl-NL', 'nn-NO']);
  assert.equal(refusal(() => assessio.listLenses(bytes('not json'))).tag, 'malformed');
});

test('verify-signature covers each outcome', () => {
  const verify = (h, body, secret, now, tolerance) =>
    assessio.verifySignature(h, bytes(body), secret, now, tolerance);
  const h = assessio.signRequest('k', 1000n, bytes('body')).value;
  assert.deepEqual(verify(h, 'body', 'k', 1300n), { signedAt: 1000n });
  assert.deepEqual(verify(R1_SIGNATURE, '{"resultId":"r-1"}', 'whsec_test_secret', 1_700_000_100n),
    { signedAt: 1_700_000_000n });
  assert.deepEqual(verify(h, 'body', 'k', 1400n, 400), { signedAt: 1000n });
  assert.deepEqual(refusal(() => verify(h, 'body', 'k', 1301n)), { tag: 'expired', val: 301n });
  assert.deepEqual(refusal(() => verify(h, 'body', 'k', 699n)), { tag: 'from-future', val: 301n });
  assert.deepEqual(refusal(() => verify(h, 'bodY', 'k', 1000n)), { tag: 'mismatch' });
  assert.deepEqual(refusal(() => verify(undefined, 'body', 'k', 1000n)), { tag: 'missing' });
  assert.deepEqual(refusal(() => verify(h, 'body', '', 1000n)), { tag: 'no-secret' });
  assert.equal(refusal(() => verify('t=x,signature=y', '', 'k', 0n)).tag, 'malformed');
});

test('parse-result reads the webhook and names bad fields', () => {
  assert.deepEqual(assessio.parseResult(payload('result-webhook.json')), {
    resultId: '73273ca0-0253-4d5f-8f91-d39e298bd351',
    score: 71,
    subscores: [{ name: 'Driving Leadership', score: 73 }, { name: 'Influencing & Inspiring', score: 68 }],
    recruitmentUrl: 'https://app.assessio.online/recruitments/82bd4452-bd16-4227-bce9-f1812a9db6ef',
    reportUrl: 'https://app.assessio.online/reports/6ef46985-9ca2-4c65-a184-47fa0d332246',
  });
  assert.equal(assessio.parseResult(bytes('{"resultId":"x"}')).score, undefined);
  assert.deepEqual(refusal(() => assessio.parseResult(bytes('{"resultId":"x","score":101}'))),
    { tag: 'invalid', val: { field: 'score', problem: 'is 101, above the maximum of 100' } });
  assert.deepEqual(refusal(() => assessio.parseResult(bytes('{"score":1}'))), { tag: 'missing', val: 'resultId' });
});

test('interpret-order-response gives each outcome', () => {
  const i = (endpoint, status, body = '') => assessio.interpretOrderResponse(endpoint, status, bytes(body));
  assert.deepEqual(i('order', 204), { tag: 'accepted', val: undefined });
  assert.deepEqual(i('order-link', 200, '{"assessmentPackageLink":"https://app.assessio.online/p/1"}'),
    { tag: 'accepted', val: 'https://app.assessio.online/p/1' });
  assert.deepEqual(i('order-link', 409), { tag: 'duplicate' });
  assert.deepEqual(i('order', 422, '{"error":{"message":"Unknown lens"}}'),
    { tag: 'rejected', val: { status: 422, message: 'Unknown lens' } });
  assert.deepEqual(i('order', 401), { tag: 'unauthorized', val: { status: 401, message: 'Assessio answered HTTP 401' } });
  assert.deepEqual(i('order', 503, '<html>busy</html>'),
    { tag: 'retry-later', val: { status: 503, message: 'Assessio answered HTTP 503' } });
});
