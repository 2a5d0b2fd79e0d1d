//! One order through the connector, step by step, on bundled example data.
//!
//! What a hub engineer sees first: every export called through wasmtime, in
//! the order a real integration calls them, with Assessio's side of each
//! exchange played by the connector's own verifier. No account, no network.

use anyhow::{Context as _, anyhow, bail};
use assessio_harness::call::request_json;
use assessio_harness::connector::Connector;
use assessio_plugin::{Account, Candidate, Environment, OrderDetails, OrderEndpoint, OrderOutcome, Recruitment};
use std::io::Write;

/// Assessio's `/recruitment/v1/config` answer, as bundled in `examples/`.
pub const CONFIG_RESPONSE: &str = include_str!("../../../examples/payloads/config-response.json");
/// Assessio's result webhook, as bundled in `examples/`.
pub const RESULT_WEBHOOK: &str = include_str!("../../../examples/payloads/result-webhook.json");
/// The demo's fixed clock, so its output is the same on every run.
pub const NOW: i64 = 1_700_000_000;

fn sandbox_account() -> Account {
    Account {
        environment: Environment::Sandbox,
        provider_key: "pk_demo_organisation".into(),
        integrator_secret: Some("demo-integrator-secret".into()),
    }
}

/// Runs the walk-through, writing each step to `out`.
pub fn run(c: &Connector, out: &mut impl Write) -> anyhow::Result<()> {
    let account = sandbox_account();
    let step = |out: &mut dyn Write, n: u8, title: &str| writeln!(out, "\n[{n}/6] {title}");

    step(out, 1, "config-request: the request that lists the organisation's lenses")?;
    let req = c.config_request(&account)?.map_err(|e| anyhow!("{e}"))?;
    writeln!(out, "  {} {}", req.method.as_str(), req.url)?;

    step(out, 2, "list-lenses: reading Assessio's answer")?;
    let catalog = c.list_lenses(CONFIG_RESPONSE.as_bytes())?.map_err(|e| anyhow!("{e}"))?;
    for lens in &catalog.lenses {
        writeln!(out, "  lens {:<28} {}", lens.name, lens.id)?;
    }
    writeln!(out, "  locales {}", catalog.locales.join(", "))?;
    let lens = catalog.lenses.first().context("the bundled catalog has no lens")?;

    step(out, 3, "build-order: a signed order for one candidate")?;
    let order = OrderDetails {
        recruitment: Recruitment { id: "job-4711".into(), title: "Backend Developer".into(), description: None },
        lens_id: lens.id.clone(),
        locale: "sv-SE".into(),
        candidate: Candidate {
            email: "ada.lovelace@example.com".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
        },
        collaborator_emails: vec!["recruiter@example.com".into()],
        result_id: "73273ca0-0253-4d5f-8f91-d39e298bd351".into(),
        result_update_url: "https://connector.example.com/results/73273ca0-0253-4d5f-8f91-d39e298bd351".into(),
    };
    let request = c.build_order(&account, &order, OrderEndpoint::Order, NOW)?.map_err(|e| anyhow!("{e}"))?;
    let shown = request_json(&request);
    writeln!(out, "{}", indent(&serde_json::to_string_pretty(&shown)?))?;

    step(out, 4, "verify-signature: Assessio's check of that request")?;
    let secret = account.integrator_secret.as_deref().unwrap_or_default();
    let verdict = c.verify_signature(request.header("Signature"), &request.body, secret, NOW + 42, None)?;
    match verdict {
        Ok(v) => writeln!(out, "  valid, signed at {} (checked 42 s later, tolerance 300 s)", v.signed_at)?,
        Err(e) => bail!("the order's own signature did not verify: {e}"),
    }
    let mut tampered = request.body.clone();
    tampered.extend_from_slice(b" ");
    let refused = c.verify_signature(request.header("Signature"), &tampered, secret, NOW, None)?;
    writeln!(out, "  one byte added to the body: {}", refused.err().map_or("accepted?!".into(), |e| e.to_string()))?;

    step(out, 5, "interpret-order-response: what Assessio's answers mean")?;
    for (status, body) in [(201, ""), (409, ""), (400, r#"{"message":"Unknown lens"}"#), (503, "")] {
        let outcome = c.interpret_order_response(OrderEndpoint::Order, status, body.as_bytes())?;
        let meaning = match outcome {
            OrderOutcome::Accepted(_) => "accepted: the candidate is invited".to_string(),
            OrderOutcome::Duplicate => "duplicate: already in this recruitment, nothing new placed".to_string(),
            OrderOutcome::Rejected(r) => format!("rejected for good: {}", r.message),
            OrderOutcome::Unauthorized(r) => format!("credentials refused: {}", r.message),
            OrderOutcome::RetryLater(r) => format!("retry later: {}", r.message),
        };
        writeln!(out, "  HTTP {status}: {meaning}")?;
    }

    step(out, 6, "parse-result: the candidate's scores arrive")?;
    let result = c.parse_result(RESULT_WEBHOOK.as_bytes())?.map_err(|e| anyhow!("{e}"))?;
    writeln!(out, "  result {} score {}", result.result_id, result.score.map_or("-".into(), |s| s.to_string()))?;
    for s in &result.subscores {
        writeln!(out, "    {:<26} {:>3}", s.name, s.score)?;
    }
    if let Some(url) = &result.report_url {
        writeln!(out, "  report {url}")?;
    }
    writeln!(out, "\nDone: six exports called through wasmtime, no network, no account.")?;
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}
