// A hub's use of the Assessio connector from Node, end to end, with no network.
//
// A Teamtailor stage trigger comes in; the hub reads it and checks its
// signature, orders the assessment from Assessio (the plugin builds and signs
// the exact request), reads Assessio's answer, then reads the result webhook
// and renders the partner-result write-back for Teamtailor. The second trigger
// has no last name: the plugin refuses it by name and the hub tells Teamtailor
// why.
//
//   npm start        (after `bash run.sh`, or `npm ci && npm run build`)
//
// The plugin is the component transpiled by jco into ./generated: plain ES
// modules and core wasm, with no imports at all. The hub sends the requests
// itself; here they are printed.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assessio, hubs, teamtailor } from './generated/assessio.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const NOW = 1_700_000_000n; // s64 parameters are BigInts in JS
export const ACCOUNT = {
  environment: { tag: 'sandbox' },
  providerKey: 'pk_example_organisation',
  integratorSecret: 'example-integrator-secret',
};
export const TEAMTAILOR_SECRET = 'tt-secret';
export const TEAMTAILOR_API_KEY = 'tt_partner_key';
export const RESULT_BASE_URL = 'https://gateway.example.com/assessio/results';
// What Teamtailor would send in `Teamtailor-Signature` for the example trigger at NOW
// (HMAC-SHA256 under "tt-secret" of "1700000000.<the example trigger's partner-event id>", computed with node:crypto).
export const TEAMTAILOR_SIGNATURE =
  't=1700000000,v1=912afd07a66b0890e1513b738deb07585e9cecf74513a630b1aa342114d1c0e7';

export const payload = (name) => new Uint8Array(readFileSync(`${ROOT}examples/payloads/${name}`));
export const text = (bytes) => new TextDecoder().decode(bytes);
export const header = (request, name) =>
  request.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;

/** A Teamtailor trigger → the signed Assessio order request. A refusal is
 * thrown as jco's `ComponentError`, whose `payload` is the WIT error
 * (`{tag: 'missing', val: 'candidate.last-name'}`, `{tag: 'mismatch'}`, …). */
export function placeOrder(triggerBody, signature, now = NOW) {
  const trigger = teamtailor.parseTrigger(triggerBody);
  // Teamtailor signs the partner-event id, which the body carries.
  teamtailor.verifySignature(signature, trigger.eventId, TEAMTAILOR_SECRET, now, undefined);
  const details = hubs.toOrderDetails('teamtailor', trigger.order, trigger.lensId, trigger.locale, RESULT_BASE_URL);
  return assessio.buildOrder(ACCOUNT, details, 'order', now);
}

/** Assessio's result webhook → Teamtailor's partner-result `PUT`. */
export function writeBack(updateUrl, webhookBody) {
  const result = assessio.parseResult(webhookBody);
  return teamtailor.resultRequest(updateUrl, TEAMTAILOR_API_KEY, result);
}

function show(request) {
  const lines = [`  ${request.method.toUpperCase()} ${request.url}`];
  for (const h of request.headers) lines.push(`  ${h.name}: ${h.value}`);
  if (request.body.length) lines.push(`  ${text(request.body)}`);
  return lines.join('\n');
}

export function main(log = console.log) {
  log('Loaded the plugin (transpiled by jco; it imports nothing).');

  log("\n1. Teamtailor's trigger, signature checked, becomes a signed Assessio order:");
  const triggerBody = payload('teamtailor-trigger.json');
  const order = placeOrder(triggerBody, TEAMTAILOR_SIGNATURE);
  log(show(order));
  // What Assessio does with it: check the Signature over the raw body.
  const checked = assessio.verifySignature(
    header(order, 'Signature'), order.body, ACCOUNT.integratorSecret, NOW + 5n, undefined);
  log(`  Assessio's check of the signature: signed at ${checked.signedAt}`);

  const outcome = assessio.interpretOrderResponse('order', 201, new Uint8Array());
  log(`\n2. Assessio answered 201: ${JSON.stringify(outcome)}`);

  log("\n3. The result webhook becomes Teamtailor's partner result:");
  const { updateUrl } = teamtailor.parseTrigger(triggerBody);
  log(show(writeBack(updateUrl, payload('result-webhook.json'))));

  log('\n4. A trigger without a last name is refused by name, and Teamtailor is told why:');
  const nameless = JSON.parse(text(triggerBody));
  nameless['partner-event'].candidate['last-name'] = '';
  try {
    placeOrder(new TextEncoder().encode(JSON.stringify(nameless)), TEAMTAILOR_SIGNATURE);
  } catch (e) {
    log(`  refused: ${JSON.stringify(e.payload)}`);
    const why = teamtailor.rejectionText(e.payload);
    log(show(teamtailor.progressRequest(updateUrl, TEAMTAILOR_API_KEY, 'failed', why)));
  }

  log('\n5. A replayed trigger an hour later is refused too:');
  try {
    placeOrder(triggerBody, TEAMTAILOR_SIGNATURE, NOW + 3600n);
  } catch (e) {
    log(`  refused: ${JSON.stringify(e.payload, (_, v) => (typeof v === 'bigint' ? Number(v) : v))}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
