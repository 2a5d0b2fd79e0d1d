// The example hub (hub.mjs): a Teamtailor trigger to a signed order, a
// result to the write-back, refusals by name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT, TEAMTAILOR_SIGNATURE, header, main, placeOrder, writeBack } from '../hub.mjs';
import { HERE, bytes, hmacHex, payload, readJson, refusal, text, toCliJson } from './support.mjs';

test('a trigger becomes a signed order, and the result a write-back', () => {
  const order = placeOrder(payload('teamtailor-trigger.json'), TEAMTAILOR_SIGNATURE);
  assert.deepEqual(JSON.parse(text(order.body)).candidateDetails,
    { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' });
  const mac = hmacHex(ACCOUNT.integratorSecret, Buffer.concat([Buffer.from('1700000000.'), order.body]));
  assert.equal(header(order, 'Signature'), `t=1700000000,signature=${mac}`);

  const put = writeBack('https://api.teamtailor.com/partner/v1/partner-results/pr-1', payload('result-webhook.json'));
  assert.deepEqual(toCliJson(put), readJson(`${HERE}../calls/hubs/expected/teamtailor.result-request.json`));
});

test('refusals name the field, or the signature problem', () => {
  const trigger = JSON.parse(text(payload('teamtailor-trigger.json')));
  trigger['partner-event'].candidate['last-name'] = '';
  assert.deepEqual(refusal(() => placeOrder(bytes(JSON.stringify(trigger)), TEAMTAILOR_SIGNATURE)),
    { tag: 'missing', val: 'candidate.last-name' });
  const tampered = `${TEAMTAILOR_SIGNATURE.slice(0, -1)}0`;
  assert.deepEqual(refusal(() => placeOrder(payload('teamtailor-trigger.json'), tampered)), { tag: 'mismatch' });
});

test('the walk-through runs', () => {
  const lines = [];
  main((line) => lines.push(line));
  const out = lines.join('\n');
  assert.match(out, /refused: \{"tag":"missing","val":"candidate.last-name"\}/);
  assert.match(out, /refused: \{"tag":"expired","val":3600\}/);
});
