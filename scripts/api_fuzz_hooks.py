"""Schemathesis hooks for the gateway's API fuzzing (host-test/cli/tests/api_fuzz.rs).

Two jobs, both so that generated requests get past the front door and reach
the code that reads an order, places it and writes a result back:

1. Signatures. The spec's signature schemes cannot be filled in from a static
   value: each covers the request's own bytes. The test's config gives them the
   placeholder `API_FUZZ_SIGN_ME`; here, after `requests` has encoded the body,
   the placeholder is replaced by the real signature over the bytes on the wire:
   - `X-Kombo-Signature`, `x-stackone-signature`: HMAC-SHA256 of the raw body,
     base64url without padding, keyed with the webhook secret;
   - `Teamtailor-Signature: t=<now>,v1=<hex>`: HMAC-SHA256 of
     `"<t>.<partner-event id>"`.
   A header that is not the placeholder (a value the fuzzer made up, or none
   because it removed the credentials on purpose) is left alone, so the
   `ignored_auth` and `missing_required_header` checks still see a 401.

2. Steering. Random ids name nothing the gateway knows, so every case would
   stop at "unknown integration" or "no such order". For three cases in four
   (chosen by a hash of the case, so a seed reproduces the run), the ids are
   replaced by the stack's own: its Kombo integration, Teamtailor company and
   update URL, StackOne account, published packages, and the orders the test
   placed before the run (for `GET /orders/...` and the result webhook). A
   steered order also gets an id of its own, so it is placed (its names,
   email and job validated and sent to Assessio) instead of being answered
   "already placed" from the record of an earlier case with the same id. The
   rest of the case stays as generated.

Everything comes from the environment the Rust test sets (`API_FUZZ_*`); the
secrets are the simulators' test values, not real credentials.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import zlib

import requests
import schemathesis


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: host-test/cli/tests/api_fuzz.rs runs schemathesis with these hooks")
    return value


SIGN_ME = _env("API_FUZZ_SIGN_ME")
KOMBO_SECRET = _env("API_FUZZ_KOMBO_WEBHOOK_SECRET")
STACKONE_SECRET = _env("API_FUZZ_STACKONE_WEBHOOK_SECRET")
TEAMTAILOR_SECRET = _env("API_FUZZ_TEAMTAILOR_SIGNATURE_SECRET")
SEEDED = json.loads(_env("API_FUZZ_SEEDED"))


def _hmac(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode(), data, hashlib.sha256).digest()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _partner_event_id(body: bytes) -> str | None:
    """The id Teamtailor signs, spelled as the gateway reads it (a string, or a whole number)."""
    try:
        value = json.loads(body)["partner-event"]["id"]
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


class _Sign(requests.auth.AuthBase):
    """Runs after `requests` has encoded the body, so the signature covers the bytes sent."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = request.headers
        if headers.get("X-Kombo-Signature") == SIGN_ME:
            headers["X-Kombo-Signature"] = _b64url(_hmac(KOMBO_SECRET, body))
        if headers.get("x-stackone-signature") == SIGN_ME:
            headers["x-stackone-signature"] = _b64url(_hmac(STACKONE_SECRET, body))
        if headers.get("Teamtailor-Signature") == SIGN_ME:
            event_id = _partner_event_id(body)
            if event_id is None:
                del headers["Teamtailor-Signature"]
            else:
                t = int(time.time())
                mac = _hmac(TEAMTAILOR_SECRET, f"{t}.{event_id}".encode()).hex()
                headers["Teamtailor-Signature"] = f"t={t},v1={mac}"
        return request


@schemathesis.hook
def before_call(context, case, kwargs):
    kwargs["auth"] = _Sign()


def _pick(case, salt: str) -> int:
    """A stable number for this case: the same seed gives the same choices."""
    body = case.body if isinstance(case.body, (dict, list, str, int, float, bool)) else None
    fingerprint = json.dumps([salt, case.path_parameters, case.query, body], sort_keys=True, default=repr)
    return zlib.crc32(fingerprint.encode())


def _object(value, key):
    """`value[key]` when both are JSON objects, else None."""
    if isinstance(value, dict) and isinstance(value.get(key), dict):
        return value[key]
    return None


def _steer_kombo(body, n):
    order = _object(body, "data") or (body if isinstance(body, dict) else None)
    if order is None:
        return
    order["integration_id"] = SEEDED["kombo_integration"]
    order["id"] = _fresh_id(n)
    if _often(n):
        order["package_id"] = SEEDED["kombo_package"]


def _steer_stackone(body, n):
    """The unified event: the seeded account, a fresh record id, and (often)
    the order-created event with a package the stack offers."""
    if not isinstance(body, dict):
        return
    body["account_id"] = SEEDED["stackone_account"]
    body["record_id"] = _fresh_id(n)
    if _often(n):
        body["event"] = "ats_assessments.created"
        data = _object(body, "event_data")
        package = _object(data, "package")
        if package is not None:
            package["id"] = SEEDED["stackone_package"]


def _steer_teamtailor(body, n):
    if not isinstance(body, dict):
        return
    company = _object(body, "company")
    if company is not None:
        company["uuid"] = SEEDED["teamtailor_company"]
    event = _object(body, "partner-event")
    result = _object(event, "partner-result")
    if result is not None:
        result["id"] = _fresh_id(n)
        result["update-url"] = SEEDED["teamtailor_update_url"] + result["id"]
    choices = _object(event, "webhook-data")
    if choices is not None and _often(n):
        choices["lens"] = SEEDED["lens"]


def _fresh_id(n):
    return f"fuzz-{n:08x}"


def _often(n):
    """Three in four steered cases also get a package or lens the stack offers."""
    return (n >> 2) % 4 != 0


def _seeded_order(n):
    orders = SEEDED["orders"]
    return orders[(n >> 4) % len(orders)]


@schemathesis.hook
def map_case(context, case):
    operation_id = case.operation.definition.raw.get("operationId", "")
    n = _pick(case, operation_id)
    if n % 4 == 0:
        return case
    if operation_id == "komboOrderWebhook":
        _steer_kombo(case.body, n)
    elif operation_id == "stackoneOrderEvent":
        _steer_stackone(case.body, n)
    elif operation_id == "teamtailorTrigger":
        _steer_teamtailor(case.body, n)
    elif operation_id == "getOrder" and isinstance(case.path_parameters, dict):
        order = _seeded_order(n)
        case.path_parameters.update(hub=order["hub"], tenantId=order["tenant"], orderId=order["order"])
    elif operation_id == "assessioResultWebhook" and isinstance(case.path_parameters, dict):
        result_id = _seeded_order(n)["result"]
        case.path_parameters["resultId"] = result_id
        if isinstance(case.body, dict):
            case.body["resultId"] = result_id
    elif operation_id == "komboPackagesSync" and isinstance(case.query, dict):
        case.query["integration"] = SEEDED["kombo_integration"]
    return case
