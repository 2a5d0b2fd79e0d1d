//! `assessio up`: the whole flow, live, on this machine.
//!
//! Starts the simulators and the gateway ([`crate::stack`]), publishes the
//! packages, and walks one order from the ATS to Assessio and its result back
//! into the ATS, printing each step as it happens. Then, unless told to stop,
//! stays up and sends one more order each time Enter is pressed.

use crate::sim::kombo::{NewOrder, OrderStatus};
use crate::stack::{self, INTEGRATION, Stack, StackOptions, demo_package, secrets};
use anyhow::{Context as _, bail};
use std::io::Write;
use std::time::Duration;

/// How long the walk-through waits for the simulated candidate and delivery.
const SETTLE: Duration = Duration::from_secs(30);

/// A JSON value as a person reads it: strings without quotes.
fn show(v: &serde_json::Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

fn step(out: &mut impl Write, n: u8, title: &str) -> std::io::Result<()> {
    writeln!(out, "\n[{n}/6] {title}")?;
    out.flush()
}

/// One order through the stack: webhook, Assessio, result, write-back.
/// Returns a one-line summary of what happened.
async fn walk_order(s: &Stack, out: &mut impl Write, order: NewOrder, verbose: bool) -> anyhow::Result<String> {
    let who = format!(
        "{} {}",
        order.candidate.first_name.as_deref().unwrap_or("(no first name)"),
        order.candidate.last_name.as_deref().unwrap_or("(no last name)")
    );
    let before = s.assessio.order_count();
    let sent = s.kombo.place_order(order).await.context("Kombo's webhook")?;
    let answer = String::from_utf8_lossy(&sent.body).into_owned();
    let status = sent.status.map_or_else(|| "no answer".to_string(), |c| format!("HTTP {c}"));
    writeln!(out, "  Kombo → gateway: order {} for {who}; the gateway answered {status} {answer}", sent.order_id)?;
    if sent.order_status == OrderStatus::Rejected {
        return Ok(format!("{who}: rejected, and the recruiter sees why: {answer}"));
    }
    if s.assessio.order_count() == before {
        bail!("the gateway did not place the order: {status} {answer}");
    }
    let placed = s.assessio.orders().pop().context("the order Assessio accepted")?;
    if verbose {
        step(out, 4, "Assessio received the signed order; the candidate is invited")?;
        let body = &placed.body;
        for (label, pointer) in [
            ("candidate", "/candidateDetails"),
            ("job", "/recruitment/title"),
            ("lens", "/lensId"),
            ("locale", "/locale"),
            ("collaborators", "/additionalRecruitmentCollaboratorsEmails"),
            ("results go to", "/resultUpdateUrl"),
        ] {
            writeln!(out, "  {label:<14} {}", body.pointer(pointer).map(show).unwrap_or_default())?;
        }
        step(out, 5, "The candidate completes the assessment; Assessio sends the result to the gateway")?;
    }
    if !s.assessio.settled_within(SETTLE).await {
        bail!("no result was delivered within {} s", SETTLE.as_secs());
    }
    let delivery = s.assessio.deliveries().into_iter().rev().find(|d| d.result_id == placed.result_id);
    let attempts = delivery.as_ref().map_or(0, |d| d.attempts.len());
    let writes = s.kombo.result_writes(&sent.order_id);
    let Some(write) = writes.last() else {
        bail!("the result was not written back to Kombo ({attempts} delivery attempts)");
    };
    if verbose {
        writeln!(out, "  delivered after {attempts} attempt(s); the gateway wrote it to Kombo")?;
        step(out, 6, "Kombo has the result, as the ATS will show it")?;
        writeln!(out, "  {:<26} {}", "status", show(&write["status"]))?;
        writeln!(out, "  {:<26} {} of {}", "score", write["score"], write["max_score"])?;
        for a in write["attributes"].as_array().into_iter().flatten() {
            let label = show(&a["label"]);
            match a["type"].as_str() {
                Some("SUB_RESULT") => writeln!(out, "  {label:<26} {} of {}", a["score"]["value"], a["score"]["max"])?,
                _ => writeln!(out, "  {label:<26} {}", show(&a["value"]))?,
            }
        }
        writeln!(out, "  {:<26} {}", "report", show(&write["result_url"]))?;
        writeln!(out, "  {:<26} {}", "completed at", show(&write["completed_at"]))?;
    }
    Ok(format!("{who}: placed, scored {} and written back to the ATS", write["score"]))
}

/// A plausible new candidate for the `n`th extra order; every fifth has no
/// last name, to show a rejection.
fn candidate(n: u32) -> NewOrder {
    const NAMES: [(&str, &str); 4] =
        [("Grace", "Hopper"), ("Alan", "Turing"), ("Margaret", "Hamilton"), ("Edsger", "Dijkstra")];
    let (first, last) = NAMES[n as usize % NAMES.len()];
    let mut order =
        NewOrder::example(INTEGRATION, &demo_package(), &format!("{}.{n}@example.com", first.to_lowercase()));
    order.candidate.first_name = Some(first.into());
    order.candidate.last_name = (n % 5 != 4).then(|| last.into());
    order
}

/// Runs the walk-through; with `stay`, keeps serving until stdin closes.
pub async fn run(options: StackOptions, stay: bool, out: &mut impl Write) -> anyhow::Result<()> {
    step(out, 1, "Starting Assessio's and Kombo's simulators and the gateway (spin.toml on wasmtime)")?;
    writeln!(out, "  (the first run builds the gateway component; that takes a few minutes)")?;
    out.flush()?;
    let s = Stack::start(options).await?;
    writeln!(out, "  Assessio simulator  {}", s.assessio.url())?;
    writeln!(out, "  Kombo simulator     {}", s.kombo.api_url())?;
    writeln!(out, "  gateway             {}", s.gateway.url(""))?;

    step(out, 2, "Package sync: Assessio's lenses × locales published to Kombo")?;
    let sync = s.operator("POST", "/kombo/packages/sync").await?;
    if sync.status != 200 {
        bail!("package sync answered {}: {}", sync.status, String::from_utf8_lossy(&sync.body));
    }
    for p in s.kombo.packages(INTEGRATION) {
        writeln!(out, "  {:<52} {}", p.name, p.id)?;
    }

    step(out, 3, "A recruiter orders the assessment for a candidate in the ATS; Kombo sends the webhook")?;
    let mut first = NewOrder::example(INTEGRATION, &demo_package(), "ada.lovelace@example.com");
    first.candidate.first_name = Some("Ada".into());
    first.candidate.last_name = Some("Lovelace".into());
    let summary = walk_order(&s, out, first, true).await?;
    writeln!(out, "\nDone: {summary}.")?;

    if stay {
        writeln!(out, "\nThe stack stays up. Press Enter to send another order (every fifth has no last name),")?;
        writeln!(
            out,
            "or Ctrl-D / Ctrl-C to stop. Operator routes take the token `{}`, e.g.",
            secrets::OPERATOR_TOKEN
        )?;
        writeln!(
            out,
            "  curl -X POST -H 'authorization: Bearer {}' {}",
            secrets::OPERATOR_TOKEN,
            s.gateway.url("/kombo/reconcile")
        )?;
        writeln!(out, "  curl {}", s.gateway.url("/health"))?;
        out.flush()?;
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(tokio::io::stdin()));
        let mut n = 0;
        loop {
            tokio::select! {
                line = lines.next_line() => match line {
                    Ok(Some(_)) => {
                        n += 1;
                        match walk_order(&s, out, candidate(n), false).await {
                            Ok(summary) => writeln!(out, "  → {summary}")?,
                            Err(e) => writeln!(out, "  → failed: {e:#}")?,
                        }
                        out.flush()?;
                    }
                    _ => break,
                },
                _ = tokio::signal::ctrl_c() => break,
            }
        }
    }
    let leaked: Vec<&str> = stack::secrets::ALL.into_iter().filter(|x| s.gateway_log().contains(x)).collect();
    if !leaked.is_empty() {
        bail!("the gateway's log contains {} configured secret(s)", leaked.len());
    }
    s.shutdown().await;
    Ok(())
}
