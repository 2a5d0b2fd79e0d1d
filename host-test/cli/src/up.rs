//! `assessio up`: the whole flow, live, on this machine.
//!
//! Starts the simulators and the gateway ([`crate::stack`]) and walks one
//! order through the chosen hub (Kombo, Teamtailor or StackOne) from the ATS
//! to Assessio and its result back into the ATS, printing each step as it
//! happens. Then, unless told to stop, stays up and sends one more order each
//! time Enter is pressed.

use crate::stack::{self, INTEGRATION, LENS_ID, STACKONE_ACCOUNT, Stack, StackOptions, TEAMTAILOR_COMPANY};
use crate::stack::{demo_package, secrets};
use anyhow::{Context as _, bail};
use assessio_plugin::hubs::package_id;
use assessio_simulators::kombo::{NewOrder, OrderStatus};
use assessio_simulators::stackone::NewStackOneOrder;
use assessio_simulators::teamtailor::NewTrigger;
use std::io::Write;
use std::time::Duration;

/// The hub whose flow `up` walks through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hub {
    /// Kombo's unified ATS-assessment API: packages, signed webhooks, write-back.
    #[default]
    Kombo,
    /// Teamtailor's partner API: trigger dialog, stage trigger, partner result.
    Teamtailor,
    /// StackOne's unified ATS assessments: order event, result `PATCH`.
    StackOne,
}

impl Hub {
    /// Every hub, as the command line names them.
    pub const NAMES: [&'static str; 3] = ["kombo", "teamtailor", "stackone"];

    /// The hub's name as people write it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Kombo => "Kombo",
            Self::Teamtailor => "Teamtailor",
            Self::StackOne => "StackOne",
        }
    }
}

impl std::str::FromStr for Hub {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "kombo" => Ok(Self::Kombo),
            "teamtailor" => Ok(Self::Teamtailor),
            "stackone" => Ok(Self::StackOne),
            _ => Err(format!("no hub `{s}`; the hubs are: {}", Self::NAMES.join(", "))),
        }
    }
}

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
    let attempts = assessio_side(s, out, verbose).await?;
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

/// Steps 4 and 5, the same for every hub: what reached Assessio, then the
/// simulated candidate finishing and the result's delivery. Returns how many
/// delivery attempts the result took.
async fn assessio_side(s: &Stack, out: &mut impl Write, verbose: bool) -> anyhow::Result<usize> {
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
    Ok(delivery.as_ref().map_or(0, |d| d.attempts.len()))
}

/// Waits until `done` holds or [`SETTLE`] passes: the gateway writes back
/// after answering Assessio, so the hub's copy may lag a moment.
async fn settle(done: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + SETTLE;
    while !done() {
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// One Teamtailor stage trigger through the stack: dialog choice, trigger,
/// Assessio, result, partner result.
async fn walk_trigger(s: &Stack, out: &mut impl Write, trigger: NewTrigger, verbose: bool) -> anyhow::Result<String> {
    let c = &trigger.candidate;
    let who = format!(
        "{} {}",
        c.first_name.as_deref().unwrap_or("(no first name)"),
        c.last_name.as_deref().unwrap_or("(no last name)")
    );
    let before = s.assessio.order_count();
    let sent = s.teamtailor.place_trigger(trigger).await.context("Teamtailor's trigger")?;
    let status = sent.status.map_or_else(|| "no answer".to_string(), |c| format!("HTTP {c}"));
    writeln!(
        out,
        "  Teamtailor → gateway: partner result {} for {who}; the gateway answered {status}",
        sent.partner_result_id
    )?;
    if let Some(shown) = sent.shown_to_recruiter() {
        return Ok(format!("{who}: refused, and Teamtailor shows the recruiter: {shown}"));
    }
    if s.assessio.order_count() == before {
        bail!("the gateway did not place the order: {status} {}", sent.text());
    }
    if verbose {
        let history: Vec<&str> =
            s.teamtailor.status_history(&sent.partner_result_id).iter().map(|p| p.as_str()).collect();
        writeln!(out, "  partner result status so far: {}", history.join(" → "))?;
    }
    let attempts = assessio_side(s, out, verbose).await?;
    let id = sent.partner_result_id.clone();
    let completed = || s.teamtailor.last_attributes(&id).is_some_and(|a| a["status"] == "completed");
    if !settle(completed).await {
        bail!("the result was not written to the partner result ({attempts} delivery attempts)");
    }
    let a = s.teamtailor.last_attributes(&id).unwrap_or_default();
    if verbose {
        writeln!(out, "  delivered after {attempts} attempt(s); the gateway wrote it to the partner result")?;
        step(out, 6, "Teamtailor's partner result, as the recruiter sees it on the candidate")?;
        let history: Vec<&str> = s.teamtailor.status_history(&id).iter().map(|p| p.as_str()).collect();
        writeln!(out, "  {:<26} {}", "status", history.join(" → "))?;
        writeln!(out, "  {:<26} {}", "summary", show(&a["summary"]))?;
        writeln!(out, "  {:<26} {} of 100", "score", a["assessment"]["score"])?;
        for (name, score) in a["details"].as_object().into_iter().flatten() {
            writeln!(out, "  {name:<26} {score} of 100")?;
        }
        for link in a["attachments"].as_array().into_iter().flatten() {
            writeln!(out, "  {:<26} {}", show(&link["description"]), show(&link["url"]))?;
        }
    }
    Ok(format!("{who}: placed, scored {} and written to the Teamtailor partner result", a["assessment"]["score"]))
}

/// One StackOne order event through the stack: event, Assessio, result, `PATCH`.
async fn walk_stackone(
    s: &Stack,
    out: &mut impl Write,
    order: NewStackOneOrder,
    verbose: bool,
) -> anyhow::Result<String> {
    let c = &order.candidate;
    let who = format!(
        "{} {}",
        c.first_name.as_deref().unwrap_or("(no first name)"),
        c.last_name.as_deref().unwrap_or("(no last name)")
    );
    let before = s.assessio.order_count();
    let sent = s.stackone.place_order(order).await.context("StackOne's order event")?;
    let status = sent.status.map_or_else(|| "no answer".to_string(), |c| format!("HTTP {c}"));
    writeln!(
        out,
        "  StackOne → gateway: order {} for {who}; the gateway answered {status} {}",
        sent.order_id,
        String::from_utf8_lossy(&sent.body)
    )?;
    if let Some(why) = s.stackone.cancellation(&sent.order_id) {
        return Ok(format!("{who}: refused, and the ATS shows the order cancelled: {why}"));
    }
    if !sent.is_success() || s.assessio.order_count() == before {
        bail!("the gateway did not place the order: {status}");
    }
    let attempts = assessio_side(s, out, verbose).await?;
    let id = sent.order_id.clone();
    if !settle(|| s.stackone.result_write_count(&id) > 0).await {
        bail!("the result was not written back to StackOne ({attempts} delivery attempts)");
    }
    let write = s.stackone.result_writes(&id).pop().unwrap_or_default();
    if verbose {
        writeln!(out, "  delivered after {attempts} attempt(s); the gateway wrote it to StackOne")?;
        step(out, 6, "StackOne has the result, as the ATS will show it")?;
        writeln!(out, "  {:<26} {}", "result", show(&write["result"]["value"]))?;
        let score = &write["score"];
        writeln!(
            out,
            "  {:<26} {} of {} (strings, as StackOne takes them)",
            show(&score["label"]),
            score["value"],
            score["max"]
        )?;
        writeln!(out, "  {:<26} {}", "summary", show(&write["summary"]))?;
        writeln!(out, "  {:<26} {}", "report", show(&write["result_url"]))?;
        writeln!(out, "  {:<26} {}", "submitted", show(&write["submission_date"]))?;
    }
    Ok(format!("{who}: placed, scored {} and written back through StackOne", show(&write["score"]["value"])))
}

const NAMES: [(&str, &str); 4] =
    [("Grace", "Hopper"), ("Alan", "Turing"), ("Margaret", "Hamilton"), ("Edsger", "Dijkstra")];

/// A plausible new candidate for the `n`th extra order; every fifth has no
/// last name, to show a rejection.
fn candidate(n: u32) -> NewOrder {
    let (first, last) = NAMES[n as usize % NAMES.len()];
    let mut order =
        NewOrder::example(INTEGRATION, &demo_package(), &format!("{}.{n}@example.com", first.to_lowercase()));
    order.candidate.first_name = Some(first.into());
    order.candidate.last_name = (n % 5 != 4).then(|| last.into());
    order
}

/// The `n`th extra Teamtailor trigger, like [`candidate`].
fn trigger(n: u32) -> NewTrigger {
    let (first, last) = NAMES[n as usize % NAMES.len()];
    let mut t =
        NewTrigger::example(TEAMTAILOR_COMPANY, LENS_ID, "sv-SE", &format!("{}.{n}@example.com", first.to_lowercase()));
    t.candidate.id = 10_000 + u64::from(n);
    t.candidate.first_name = Some(first.into());
    t.candidate.last_name = (n % 5 != 4).then(|| last.into());
    t
}

/// The `n`th extra StackOne order, like [`candidate`].
fn stackone_order(n: u32) -> NewStackOneOrder {
    let (first, last) = NAMES[n as usize % NAMES.len()];
    let mut o = NewStackOneOrder::example(
        STACKONE_ACCOUNT,
        &package_id(LENS_ID, "en-US"),
        &format!("{}.{n}@example.com", first.to_lowercase()),
    );
    o.candidate.id = format!("so-cand-{n}");
    o.candidate.first_name = Some(first.into());
    o.candidate.last_name = (n % 5 != 4).then(|| last.into());
    o
}

/// One more order through `hub`, for the interactive loop.
async fn another(s: &Stack, hub: Hub, out: &mut impl Write, n: u32) -> anyhow::Result<String> {
    match hub {
        Hub::Kombo => walk_order(s, out, candidate(n), false).await,
        Hub::Teamtailor => walk_trigger(s, out, trigger(n), false).await,
        Hub::StackOne => walk_stackone(s, out, stackone_order(n), false).await,
    }
}

/// Steps 2 to 6 of the walk-through for `hub`, with the first candidate.
async fn first_order(s: &Stack, hub: Hub, out: &mut impl Write) -> anyhow::Result<String> {
    Ok(match hub {
        Hub::Kombo => {
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
            walk_order(s, out, first, true).await?
        }
        Hub::Teamtailor => {
            step(out, 2, "Teamtailor builds the trigger's dialog from the gateway's partner configuration")?;
            let dialog = s
                .teamtailor
                .fetch_config(&s.gateway.url(""), secrets::TEAMTAILOR_PROVIDER_KEY)
                .await
                .map_err(|e| anyhow::anyhow!("the partner configuration: {e}"))?;
            if let Some(message) = dialog.error() {
                bail!("the trigger's dialog shows an error: {message}");
            }
            for o in dialog.options("lens") {
                writeln!(out, "  Recruitment Lens   {:<28} {}", o.label, o.id)?;
            }
            let locales: Vec<&str> = dialog.options("locale").iter().map(|o| o.label.as_str()).collect();
            writeln!(out, "  Language Locale    {}", locales.join(", "))?;
            let choices = dialog
                .choose(&[("lens", LENS_ID), ("locale", "sv-SE")])
                .map_err(|e| anyhow::anyhow!("the dialog does not offer the lens in Swedish: {e:?}"))?;
            step(out, 3, "A recruiter moves a candidate into the stage with the Assessio trigger (lens, Swedish)")?;
            let first = NewTrigger::example(TEAMTAILOR_COMPANY, LENS_ID, "sv-SE", "ada.lovelace@example.com")
                .with_choices(choices);
            walk_trigger(s, out, first, true).await?
        }
        Hub::StackOne => {
            step(out, 2, "StackOne asks the gateway for the account's packages (lens:locale), signed like a webhook")?;
            let url = s.gateway.url("/stackone/packages");
            let (status, body) = s
                .stackone
                .list_packages(&url, STACKONE_ACCOUNT, "job-9", assessio_simulators::StackOneSignature::Valid)
                .await;
            let list: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let Some(packages) = list["data"].as_array().filter(|_| status == Some(200)) else {
                bail!("the gateway did not list StackOne's packages: {status:?} {}", String::from_utf8_lossy(&body));
            };
            for p in packages {
                writeln!(out, "  {:<48} {}", show(&p["name"]), show(&p["id"]))?;
            }
            step(out, 3, "A recruiter sends the assessment in the ATS; StackOne sends `ats_assessments.created`")?;
            let first = NewStackOneOrder::example(
                STACKONE_ACCOUNT,
                &package_id(LENS_ID, "en-US"),
                "romain.sestier@example.com",
            );
            walk_stackone(s, out, first, true).await?
        }
    })
}

/// Runs the walk-through for `hub`; with `stay`, keeps serving until stdin closes.
pub async fn run(options: StackOptions, hub: Hub, stay: bool, out: &mut impl Write) -> anyhow::Result<()> {
    step(
        out,
        1,
        "Starting the simulators of Assessio, Kombo, Teamtailor and StackOne, and the gateway (spin.toml on wasmtime)",
    )?;
    writeln!(out, "  (the first run builds the gateway component; that takes a few minutes)")?;
    out.flush()?;
    let s = Stack::start(options).await?;
    writeln!(out, "  Assessio simulator    {}", s.assessio.url())?;
    writeln!(out, "  Kombo simulator       {}", s.kombo.api_url())?;
    writeln!(out, "  Teamtailor simulator  {}", s.teamtailor.api_url())?;
    writeln!(out, "  StackOne simulator    {}", s.stackone.url())?;
    writeln!(out, "  gateway               {}", s.gateway.url(""))?;
    writeln!(out, "  walking the {} flow (`up --hub kombo|teamtailor|stackone` picks another)", hub.title())?;

    let summary = first_order(&s, hub, out).await?;
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
            s.gateway.url("/reconcile")
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
                        match another(&s, hub, out, n).await {
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
