"""The plugin loaded by wasmtime-py, against the same known answers as the
Rust tests (host-test/harness/tests/exports.rs, exports_hubs.rs).

    python -m unittest -v test_hub      (run.sh does it in a venv)
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import hmac
import io
import json
import os
import re
import unittest

import hub
from connector import ROOT, Connector, Refused, Stopped, as_json, header

PLUGIN = Connector.load()
HERE = os.path.dirname(os.path.abspath(__file__))

ACCOUNT = {"environment": "sandbox", "provider-key": "pk_test", "integrator-secret": "whsec_test_secret"}

# The example order of Assessio's API reference (seed 001), with names.
SEED_ORDER = {
    "recruitment": {"id": "82bd4452-bd16-4227-bce9-f1812a9db6ef", "title": "Developer"},
    "lens-id": "7922dd91-1b44-43e4-a740-7c4d9c2fba41",
    "locale": "sv-SE",
    "candidate": {"email": "john.doe@gmail.com", "first-name": "John", "last-name": "Doe"},
    "collaborator-emails": ["recruiter@assessio.com"],
    "result-id": "73273ca0-0253-4d5f-8f91-d39e298bd351",
    "result-update-url": "https://www.integrator.com/api/v1/candidate-results/73273ca0-0253-4d5f-8f91-d39e298bd351",
}

# Byte for byte: the field order and names of Assessio's reference.
SEED_BODY = (
    '{"recruitment":{"id":"82bd4452-bd16-4227-bce9-f1812a9db6ef","title":"Developer"},'
    '"additionalRecruitmentCollaboratorsEmails":["recruiter@assessio.com"],'
    '"resultUpdateUrl":"https://www.integrator.com/api/v1/candidate-results/73273ca0-0253-4d5f-8f91-d39e298bd351",'
    '"resultId":"73273ca0-0253-4d5f-8f91-d39e298bd351","lensId":"7922dd91-1b44-43e4-a740-7c4d9c2fba41",'
    '"locale":"sv-SE","candidateDetails":{"email":"john.doe@gmail.com","firstName":"John","lastName":"Doe"}}'
).encode()

# printf '1700000000.{"resultId":"r-1"}' | openssl dgst -sha256 -hmac whsec_test_secret
R1_SIGNATURE = "t=1700000000,signature=8bdab4ad04314db8fc9e387d0feab32f99622b30742885a0a2f5b13292a923b8"
# hmac.new(b"tt-secret", b"1700000000.evt-1", hashlib.sha256).hexdigest()
TT_V1 = "437fbc3cd6b6211d7c1d4bb1081fea96674e604bd4e88dd47cc2341f327d76ac"
# HMAC-SHA256 under "so-secret" of SO_BODY, base64url without padding.
SO_BODY = b'{"event":"ats_assessments.created","id":"evt_1"}'
SO_B64URL = "ovsvzap9QoJw8ILFtbiFJfns1zE5D9W-Cgmh9W9pOe0"
SO_HEX = "a2fb2fcdaa7d428270f082c5b5b88525f9ecd731390fd5be0a09a1f56f6939ed"

NO_LAST_NAME = (
    "Assessio could not be ordered: the candidate has no last name. "
    "Assessio needs a first and a last name to invite the candidate."
)


def payload(name: str) -> bytes:
    with open(os.path.join(ROOT, "examples", "payloads", name), "rb") as f:
        return f.read()


def refusal(call, *args, **kwargs):
    """The typed error a call is refused with (it must be refused)."""
    try:
        call(*args, **kwargs)
    except Refused as refused:
        return refused.error
    raise AssertionError("expected a refusal")


class TheComponent(unittest.TestCase):
    def test_imports_nothing_and_exports_the_six_interfaces(self):
        self.assertEqual(PLUGIN.imports, [])
        self.assertEqual(
            sorted(PLUGIN.interfaces),
            sorted(
                f"assessio:connector/{i}@0.1.0" for i in ["types", "assessio", "hubs", "kombo", "teamtailor", "stackone"]
            ),
        )
        # As many functions as the contract declares.
        with open(os.path.join(HERE, "..", "..", "wit", "connector.wit")) as f:
            declared = sum(1 for line in f if re.match(r"\s*[a-z-]+: func\(", line))
        self.assertEqual(len(PLUGIN.functions()), declared)

    def test_unknown_functions_and_ill_typed_arguments_never_reach_the_plugin(self):
        with self.assertRaises(LookupError):
            PLUGIN.call("workday.parse-order-event", {"body": b"{}"})
        with self.assertRaisesRegex(TypeError, r"`status` must be a whole number from 0 to 65535"):
            PLUGIN.kombo.interpret_write_response(70_000, b"")
        with self.assertRaisesRegex(TypeError, r"`status` must be one of sending, sent"):
            PLUGIN.teamtailor.progress_request("u", "k", "done", None)
        with self.assertRaisesRegex(TypeError, r"`api.api-key` must be a string"):
            PLUGIN.kombo.open_orders_request({"base-url": "u", "api-key": 1, "integration-id": "i"}, None, 5)


    def test_each_call_runs_under_a_memory_cap_and_a_fuel_budget(self):
        big = b'{"resultId":"x","pad":"' + b"a" * 1_000_000 + b'"}'
        self.assertEqual(PLUGIN.assessio.parse_result(big)["result-id"], "x")
        # The plugin reads strings in place, so the body itself must outgrow
        # the cap: 4 MB of it cannot be copied into 3 MiB.
        huge = b'{"resultId":"x","pad":"' + b"a" * 4_000_000 + b'"}'
        with self.assertRaisesRegex(Stopped, "parse-result trapped"):
            Connector.load(memory_mib=3).assessio.parse_result(huge)
        with self.assertRaisesRegex(Stopped, "parse-result ran out of fuel"):
            Connector.load(fuel=10_000).assessio.parse_result(payload("result-webhook.json"))
        # The plugin is not left broken: every call has its own instance.
        self.assertEqual(PLUGIN.assessio.parse_result(b'{"resultId":"y"}')["result-id"], "y")


class TheCoreFunctions(unittest.TestCase):
    def test_sign_request_matches_an_independent_hmac(self):
        h = PLUGIN.assessio.sign_request("whsec_test_secret", 1_700_000_000, b'{"resultId":"r-1"}')
        self.assertEqual(h, {"name": "Signature", "value": R1_SIGNATURE})
        mac = hmac.new(b"whsec_test_secret", b'1700000000.{"resultId":"r-1"}', hashlib.sha256).hexdigest()
        self.assertEqual(h["value"], f"t=1700000000,signature={mac}")
        self.assertEqual(refusal(PLUGIN.assessio.sign_request, "", 1, b""), {"missing": "secret"})

    def test_build_order_gives_the_seed_body_byte_for_byte_and_a_valid_signature(self):
        r = PLUGIN.assessio.build_order(ACCOUNT, SEED_ORDER, "order", 1_700_000_000)
        self.assertEqual(r["method"], "post")
        self.assertEqual(r["url"], "https://sandbox.api.assessio.systems/recruitment/v1/assessment-order")
        self.assertEqual([h["name"] for h in r["headers"]], ["provider-key", "Signature", "Content-Type", "Accept"])
        self.assertEqual(header(r, "provider-key"), "pk_test")
        self.assertEqual(r["body"], SEED_BODY)
        mac = hmac.new(b"whsec_test_secret", b"1700000000." + SEED_BODY, hashlib.sha256).hexdigest()
        self.assertEqual(header(r, "signature"), f"t=1700000000,signature={mac}")

        link = PLUGIN.assessio.build_order(ACCOUNT, SEED_ORDER, "order-link", 5)
        self.assertTrue(link["url"].endswith("/recruitment/v1/assessment-order-link"))
        unsigned = PLUGIN.assessio.build_order({**ACCOUNT, "integrator-secret": None}, SEED_ORDER, "order", 5)
        self.assertIsNone(header(unsigned, "Signature"))
        custom = PLUGIN.assessio.build_order(
            {**ACCOUNT, "environment": {"custom": "http://127.0.0.1:8080/"}}, SEED_ORDER, "order", 5
        )
        self.assertEqual(custom["url"], "http://127.0.0.1:8080/recruitment/v1/assessment-order")

    def test_build_order_names_the_field_at_fault(self):
        def with_candidate(**changes):
            return {**SEED_ORDER, "candidate": {**SEED_ORDER["candidate"], **changes}}

        self.assertEqual(
            refusal(PLUGIN.assessio.build_order, ACCOUNT, with_candidate(**{"last-name": " "}), "order", 1),
            {"missing": "candidate.last-name"},
        )
        bad_email = refusal(PLUGIN.assessio.build_order, ACCOUNT, with_candidate(email="john.doe at gmail"), "order", 1)
        self.assertEqual(list(bad_email), ["invalid"])
        self.assertEqual(bad_email["invalid"]["field"], "candidate.email")
        self.assertEqual(
            refusal(PLUGIN.assessio.build_order, {**ACCOUNT, "integrator-secret": ""}, SEED_ORDER, "order", 5),
            {"missing": "account.integrator-secret"},
        )

    def test_config_and_lenses(self):
        r = PLUGIN.assessio.config_request(ACCOUNT)
        self.assertEqual((r["method"], r["url"], r["body"]), ("get", "https://sandbox.api.assessio.systems/recruitment/v1/config", b""))
        self.assertEqual(header(r, "provider-key"), "pk_test")
        catalog = PLUGIN.assessio.list_lenses(payload("config-response.json"))
        self.assertEqual(catalog["lenses"][0], {"id": "7922dd91-1b44-43e4-a740-7c4d9c2fba41", "name": "General Performance"})
        self.assertEqual(catalog["locales"], ["en-US", "sv-SE", "nl-NL", "nn-NO"])
        self.assertEqual(list(refusal(PLUGIN.assessio.list_lenses, b"not json")), ["malformed"])

    def test_verify_signature_covers_each_outcome(self):
        v = PLUGIN.assessio.verify_signature
        h = PLUGIN.assessio.sign_request("k", 1000, b"body")["value"]
        self.assertEqual(v(h, b"body", "k", 1300, None), {"signed-at": 1000})
        self.assertEqual(v(R1_SIGNATURE, b'{"resultId":"r-1"}', "whsec_test_secret", 1_700_000_100), {"signed-at": 1_700_000_000})
        self.assertEqual(refusal(v, h, b"body", "k", 1301, None), {"expired": 301})
        self.assertEqual(refusal(v, h, b"body", "k", 699, None), {"from-future": 301})
        self.assertEqual(v(h, b"body", "k", 1400, 400), {"signed-at": 1000})
        self.assertEqual(refusal(v, h, b"bodY", "k", 1000, None), "mismatch")
        self.assertEqual(refusal(v, None, b"body", "k", 1000, None), "missing")
        self.assertEqual(refusal(v, h, b"body", "", 1000, None), "no-secret")
        self.assertEqual(list(refusal(v, "t=x,signature=y", b"", "k", 0, None)), ["malformed"])

    def test_parse_result_reads_the_webhook_and_names_bad_fields(self):
        r = PLUGIN.assessio.parse_result(payload("result-webhook.json"))
        self.assertEqual(
            r,
            {
                "result-id": "73273ca0-0253-4d5f-8f91-d39e298bd351",
                "score": 71,
                "subscores": [{"name": "Driving Leadership", "score": 73}, {"name": "Influencing & Inspiring", "score": 68}],
                "recruitment-url": "https://app.assessio.online/recruitments/82bd4452-bd16-4227-bce9-f1812a9db6ef",
                "report-url": "https://app.assessio.online/reports/6ef46985-9ca2-4c65-a184-47fa0d332246",
            },
        )
        self.assertIsNone(PLUGIN.assessio.parse_result(b'{"resultId":"x"}')["score"])
        self.assertEqual(
            refusal(PLUGIN.assessio.parse_result, b'{"resultId":"x","score":101}'),
            {"invalid": {"field": "score", "problem": "is 101, above the maximum of 100"}},
        )
        self.assertEqual(refusal(PLUGIN.assessio.parse_result, b'{"score":1}'), {"missing": "resultId"})

    def test_interpret_order_response_gives_each_outcome(self):
        i = PLUGIN.assessio.interpret_order_response
        self.assertEqual(i("order", 204, b""), {"accepted": None})
        self.assertEqual(
            i("order-link", 200, b'{"assessmentPackageLink":"https://app.assessio.online/p/1"}'),
            {"accepted": "https://app.assessio.online/p/1"},
        )
        self.assertEqual(i("order-link", 409, b""), "duplicate")
        self.assertEqual(i("order", 422, b'{"error":{"message":"Unknown lens"}}'), {"rejected": {"status": 422, "message": "Unknown lens"}})
        self.assertEqual(i("order", 401, b""), {"unauthorized": {"status": 401, "message": "Assessio answered HTTP 401"}})
        self.assertEqual(i("order", 503, b"<html>busy</html>"), {"retry-later": {"status": 503, "message": "Assessio answered HTTP 503"}})


class TheHubAdapters(unittest.TestCase):
    def test_every_hub_example_call_answers_as_the_rust_host_does(self):
        """examples/calls/hubs/*.json through wasmtime-py, against `assessio call`'s frozen answers."""
        inputs = sorted(glob.glob(os.path.join(ROOT, "examples", "calls", "hubs", "*.json")))
        self.assertGreaterEqual(len(inputs), 8)
        for path in inputs:
            name = os.path.basename(path)[: -len(".json")]
            with self.subTest(name):
                with open(path) as f:
                    args = json.load(f)
                with open(os.path.join(HERE, "..", "calls", "hubs", "expected", f"{name}.json")) as f:
                    expected = json.load(f)
                self.assertEqual(as_json(PLUGIN.call(name, args)), expected)

    def test_teamtailor_signatures_meet_an_outside_vector(self):
        v = PLUGIN.teamtailor.verify_signature
        self.assertEqual(hmac.new(b"tt-secret", b"1700000000.evt-1", hashlib.sha256).hexdigest(), TT_V1)
        good = f"t=1700000000,v0=00,v1={TT_V1}"
        self.assertEqual(v(good, "evt-1", "tt-secret", 1_700_000_000, None), {"signed-at": 1_700_000_000})
        rotated = f"t=1700000000,v1={'ab' * 32},v1={TT_V1}"
        self.assertEqual(v(rotated, "evt-1", "tt-secret", 1_700_000_299, None), {"signed-at": 1_700_000_000})
        self.assertEqual(refusal(v, good, "evt-2", "tt-secret", 1_700_000_000, None), "mismatch")
        self.assertEqual(refusal(v, good, "evt-1", "tt-secret", 1_700_000_301, None), {"expired": 301})
        self.assertEqual(refusal(v, None, "evt-1", "tt-secret", 1_700_000_000, None), "missing")
        self.assertTrue(PLUGIN.teamtailor.verify_provider_key("Bearer pk-acme", "pk-acme"))
        self.assertFalse(PLUGIN.teamtailor.verify_provider_key("Bearer pk-acm", "pk-acme"))

    def test_stackone_signatures_are_base64url_under_any_current_secret(self):
        def check(name, value, secrets):
            return PLUGIN.stackone.verify_webhook(
                [{"name": "Content-Type", "value": "application/json"}, {"name": name, "value": value}],
                SO_BODY,
                secrets,
            )

        self.assertIsNone(check("X-StackOne-Signature", SO_B64URL, ["so-secret"]))
        self.assertIsNone(check("x-stackone-signature", SO_B64URL, ["new-secret", "so-secret"]))
        self.assertEqual(
            refusal(check, "x-stackone-signature", SO_HEX, ["so-secret"]),
            {"malformed": "no signature is a base64url HMAC-SHA256"},
        )
        self.assertEqual(refusal(check, "x-other", SO_B64URL, ["so-secret"]), "missing")
        self.assertEqual(refusal(check, "x-stackone-signature", SO_B64URL.replace("o", "p", 1), ["so-secret"]), "mismatch")

    def test_packages_write_outcomes_and_rejections(self):
        self.assertEqual(PLUGIN.hubs.package_id("L1", "sv-SE"), "L1:sv-SE")
        self.assertEqual(PLUGIN.hubs.parse_package_id("a:b:sv-SE"), ("a:b", "sv-SE"))
        self.assertEqual(
            refusal(PLUGIN.hubs.parse_package_id, "typescript_test"),
            {"invalid": {"field": "package_id", "problem": "is not a package this connector published"}},
        )
        self.assertEqual(PLUGIN.kombo.interpret_write_response(200, b""), "written")
        rate = b'{"status":"error","error":{"code":"PLATFORM.RATE_LIMIT_EXCEEDED","title":"Slow down"}}'
        self.assertIn("RATE_LIMIT", PLUGIN.kombo.interpret_write_response(400, rate)["retry-later"]["message"])
        bad = b'{"status":"error","error":{"code":"INPUT.INVALID","message":"result_url missing"}}'
        self.assertEqual(
            PLUGIN.kombo.interpret_write_response(400, bad),
            {"failed": {"status": 400, "message": "INPUT.INVALID: result_url missing"}},
        )
        self.assertEqual(
            json.loads(PLUGIN.kombo.rejection_body("No last name")), {"status": "ORDER_REJECTED", "message": "No last name"}
        )
        error = {"missing": "candidate.last-name"}
        self.assertEqual(PLUGIN.hubs.recruiter_message(error), NO_LAST_NAME)
        self.assertEqual(PLUGIN.teamtailor.rejection_text(error), NO_LAST_NAME)

    def test_the_teamtailor_dialog_lists_the_catalog(self):
        catalog = PLUGIN.assessio.list_lenses(payload("config-response.json"))
        dialog = json.loads(PLUGIN.teamtailor.config_response(catalog))
        text = json.dumps(dialog)
        self.assertIn("General Performance", text)
        self.assertIn("sv-SE", text)


class TheExampleHub(unittest.TestCase):
    def test_a_trigger_becomes_a_signed_order_and_the_result_a_write_back(self):
        trigger = payload("teamtailor-trigger.json")
        order = hub.place_order(PLUGIN, trigger, hub.TEAMTAILOR_SIGNATURE)
        body = json.loads(order["body"])
        self.assertEqual(body["candidateDetails"], {"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"})
        mac = hmac.new(hub.ACCOUNT["integrator-secret"].encode(), b"1700000000." + order["body"], hashlib.sha256)
        self.assertEqual(header(order, "Signature"), f"t=1700000000,signature={mac.hexdigest()}")

        update_url = "https://api.teamtailor.com/partner/v1/partner-results/pr-1"
        put = hub.write_back(PLUGIN, update_url, payload("result-webhook.json"))
        with open(os.path.join(HERE, "..", "calls", "hubs", "expected", "teamtailor.result-request.json")) as f:
            self.assertEqual(as_json(put), json.load(f))

    def test_refusals_name_the_field_or_the_signature_problem(self):
        trigger = json.loads(payload("teamtailor-trigger.json"))
        trigger["partner-event"]["candidate"]["last-name"] = ""
        nameless = json.dumps(trigger).encode()
        self.assertEqual(refusal(hub.place_order, PLUGIN, nameless, hub.TEAMTAILOR_SIGNATURE), {"missing": "candidate.last-name"})
        tampered = hub.TEAMTAILOR_SIGNATURE[:-1] + "0"
        self.assertEqual(refusal(hub.place_order, PLUGIN, payload("teamtailor-trigger.json"), tampered), "mismatch")

    def test_the_walk_through_runs(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(hub.main(), 0)
        self.assertIn("refused: {'missing': 'candidate.last-name'}", out.getvalue())
        self.assertIn("refused: {'expired': 3600}", out.getvalue())


if __name__ == "__main__":
    # unittest's own report, then one plain summary line for CI's log.
    outcome = unittest.main(exit=False, verbosity=2).result
    failed = len(outcome.failures) + len(outcome.errors) + len(outcome.unexpectedSuccesses)
    print(f"python-hub: {outcome.testsRun - failed - len(outcome.skipped)} passed, {failed} failed")
    raise SystemExit(1 if failed else 0)
