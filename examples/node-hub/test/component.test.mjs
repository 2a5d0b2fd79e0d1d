// The transpiled component: no imports at any level, the six interfaces exported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as plugin from '../generated/assessio.js';
import { HERE, ROOT } from './support.mjs';

const WASM = `${ROOT}target/wasm32-wasip2/plugin/assessio_plugin.wasm`;

test('the component imports nothing and exports the contract', () => {
  const wit = execFileSync(`${HERE}node_modules/.bin/jco`, ['wit', WASM], { encoding: 'utf8' });
  assert.deepEqual(wit.split('\n').filter((l) => /^\s*import /.test(l)), []);
  for (const i of ['types', 'assessio', 'hubs', 'kombo', 'teamtailor', 'stackone']) {
    assert.match(wit, new RegExp(`export assessio:connector/${i}@0\\.1\\.0;`));
  }
});

test('what jco generated needs nothing from the host either', () => {
  // The core module imports nothing, and the JS imports no module (the
  // preview2-shim jco maps WASI onto is not needed: there is no WASI).
  const core = new WebAssembly.Module(readFileSync(`${HERE}generated/assessio.core.wasm`));
  assert.deepEqual(WebAssembly.Module.imports(core), []);
  const js = readFileSync(`${HERE}generated/assessio.js`, 'utf8');
  assert.deepEqual(js.match(/^\s*import\s.*$/gm) ?? [], []);
  // Each interface with functions, under its short and its full name (`types`
  // has only types, so no JS value).
  const hubs = ['assessio', 'hubs', 'kombo', 'stackone', 'teamtailor'];
  for (const i of hubs) assert.equal(plugin[i], plugin[`assessio:connector/${i}@0.1.0`], i);
  const count = hubs.reduce((n, i) => n + Object.keys(plugin[i]).length, 0);
  // As many as the contract declares.
  const declared = readFileSync(`${HERE}../../wit/connector.wit`, 'utf8').match(/^\s*[a-z-]+: func\(/gm).length;
  assert.equal(count, declared);
});

test("jco's bindings: what they check, and the one thing they do not", () => {
  const { assessio, kombo, teamtailor } = plugin;
  // Built with --strict: integers out of their WIT range are refused in JS.
  assert.throws(() => kombo.interpretWriteResponse(70_000, new Uint8Array()), TypeError);
  assert.throws(() => teamtailor.progressRequest('u', 'k', 'done', undefined), /not one of the cases/);
  assert.throws(() => kombo.openOrdersRequest({ baseUrl: 'u', apiKey: 1, integrationId: 'i' }, undefined, 5),
    TypeError);
  // But a `list<u8>` must be a Uint8Array (or an array of numbers): a JS
  // string is not refused, it arrives as an empty body. Encode text first.
  const empty = assessio.signRequest('k', 1n, new Uint8Array());
  assert.deepEqual(assessio.signRequest('k', 1n, 'not bytes'), empty);
  assert.notDeepEqual(assessio.signRequest('k', 1n, new TextEncoder().encode('not bytes')), empty);
});
