"""A hub's use of the Assessio connector from Python, end to end, with no network.

A Teamtailor stage trigger comes in; the hub checks its signature, reads it,
orders the assessment from Assessio (the plugin builds and signs the exact
request), reads Assessio's answer, then reads the result webhook and renders
the partner-result write-back for Teamtailor. The second trigger has no last
name: the plugin refuses it by name and the hub tells Teamtailor why.

    .venv/bin/python hub.py     (after `bash run.sh` has built the plugin and the venv)

The hub sends the requests itself; here they are printed.
"""

from __future__ import annotations

import json
import os
import sys

from connector import ROOT, Connector, Refused, header

NOW = 1_700_000_000
ACCOUNT = {
    "environment": "sandbox",
    "provider-key": "pk_example_organisation",
    "integrator-secret": "example-integrator-secret",
}
TEAMTAILOR_SECRET = "tt-secret"
TEAMTAILOR_API_KEY = "tt_partner_key"
RESULT_BASE_URL = "https://gateway.example.com/assessio/results"
# What Teamtailor would send in `Teamtailor-Signature` for the example trigger at NOW
# (HMAC-SHA256 under "tt-secret" of "1700000000.<the example trigger's partner-event id>", computed with Python's hmac).
TEAMTAILOR_SIGNATURE = "t=1700000000,v1=912afd07a66b0890e1513b738deb07585e9cecf74513a630b1aa342114d1c0e7"


def payload(name: str) -> bytes:
    with open(os.path.join(ROOT, "examples", "payloads", name), "rb") as f:
        return f.read()


def show(request: dict) -> str:
    lines = [f"  {request['method'].upper()} {request['url']}"]
    lines += [f"  {h['name']}: {h['value']}" for h in request["headers"]]
    if request["body"]:
        lines.append("  " + request["body"].decode("utf-8"))
    return "\n".join(lines)


def place_order(plugin: Connector, trigger_body: bytes, signature: str | None, now: int = NOW) -> dict:
    """A Teamtailor trigger → the signed Assessio order request, or `Refused`."""
    trigger = plugin.teamtailor.parse_trigger(trigger_body)
    # Teamtailor signs the partner-event id, which the body carries.
    plugin.teamtailor.verify_signature(signature, trigger["event-id"], TEAMTAILOR_SECRET, now, None)
    details = plugin.hubs.to_order_details(
        "teamtailor", trigger["order"], trigger["lens-id"], trigger["locale"], RESULT_BASE_URL
    )
    return plugin.assessio.build_order(ACCOUNT, details, "order", now)


def write_back(plugin: Connector, update_url: str, webhook_body: bytes) -> dict:
    """Assessio's result webhook → Teamtailor's partner-result `PUT`."""
    result = plugin.assessio.parse_result(webhook_body)
    return plugin.teamtailor.result_request(update_url, TEAMTAILOR_API_KEY, result)


def main() -> int:
    plugin = Connector.load()
    print(f"Loaded the plugin: {len(plugin.functions())} functions, imports: {plugin.imports or 'none'}")

    print("\n1. Teamtailor's trigger, signature checked, becomes a signed Assessio order:")
    trigger_body = payload("teamtailor-trigger.json")
    order = place_order(plugin, trigger_body, TEAMTAILOR_SIGNATURE)
    print(show(order))

    # What Assessio does with it: check the Signature over the raw body.
    checked = plugin.assessio.verify_signature(
        header(order, "Signature"), order["body"], ACCOUNT["integrator-secret"], NOW + 5, None
    )
    print(f"  Assessio's check of the signature: signed at {checked['signed-at']}")

    outcome = plugin.assessio.interpret_order_response("order", 201, b"")
    print(f"\n2. Assessio answered 201: {outcome}")

    print("\n3. The result webhook becomes Teamtailor's partner result:")
    update_url = plugin.teamtailor.parse_trigger(trigger_body)["update-url"]
    print(show(write_back(plugin, update_url, payload("result-webhook.json"))))

    print("\n4. A trigger without a last name is refused by name, and Teamtailor is told why:")
    nameless = json.loads(trigger_body)
    nameless["partner-event"]["candidate"]["last-name"] = ""
    try:
        place_order(plugin, json.dumps(nameless).encode(), TEAMTAILOR_SIGNATURE)
    except Refused as refused:
        print(f"  refused: {refused.error}")
        text = plugin.teamtailor.rejection_text(refused.error)
        print(show(plugin.teamtailor.progress_request(update_url, TEAMTAILOR_API_KEY, "failed", text)))

    print("\n5. A replayed trigger an hour later is refused too:")
    try:
        place_order(plugin, trigger_body, TEAMTAILOR_SIGNATURE, now=NOW + 3600)
    except Refused as refused:
        print(f"  refused: {refused.error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
