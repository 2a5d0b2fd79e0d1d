//! Candidate privacy, end to end: every order from all three hubs goes
//! through one stack, and then
//!
//! - every body Assessio received has only the fields seed 000 lets cross
//!   (candidate first name, last name and email; job; lens; locale;
//!   collaborators' emails; plus the result id and URL that route the
//!   result back), and none of the extra personal data the hubs sent (phone
//!   numbers, résumé and profile links, second emails, application ids);
//! - once the orders are done, the gateway's key-value store holds no
//!   candidate name or email: records keep what an operator needs to
//!   recognise an order, and a kept order's copy is deleted once placed.

use assessio_host::stack::{INTEGRATION, LENS_ID, STACKONE_ACCOUNT, TEAMTAILOR_COMPANY, demo_package};
use assessio_plugin::hubs::package_id;
use assessio_simulators::assessio::route as assessio_route;
use assessio_simulators::kombo::NewOrder;
use assessio_simulators::stackone::NewStackOneOrder;
use assessio_simulators::teamtailor::NewTrigger;
use assessio_simulators::{FaultAction, FaultPlan};
use std::collections::BTreeSet;
use std::time::Duration;
use support::{KvDir, eventually, options, start};

mod support;

/// Every field an order body may carry (nested ones dotted, array items `[]`).
const ALLOWED: [&str; 11] = [
    "recruitment",
    "recruitment.id",
    "recruitment.title",
    "lensId",
    "locale",
    "candidateDetails",
    "candidateDetails.email",
    "candidateDetails.firstName",
    "candidateDetails.lastName",
    "additionalRecruitmentCollaboratorsEmails",
    "resultId",
];

/// Data each hub sends that must stay on the ATS side.
const PRIVATE: [&str; 9] = [
    "+46 70",                     // Teamtailor: phone
    "teamtailor.example/resumes", // Teamtailor: résumé
    "+1 123",                     // Kombo: phone (the example order's)
    "+33 6",                      // StackOne: phone
    "r.sestier@work.example",     // StackOne: second (work) email
    "ats.example/candidate",      // StackOne: profile link
    "app-77",                     // StackOne: application id
    "Acme AB",                    // Teamtailor: company name
    "Hiring Manager",             // StackOne: a colleague's role
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_listed_fields_reach_assessio_and_the_store_forgets_candidates() {
    let kv = KvDir::new("privacy", "all-hubs");
    let stack = start(options(&kv)).await;
    let mut emails = Vec::new();

    // Kombo: a full order, with the example's phone and remote ids.
    let mut k = NewOrder::example(INTEGRATION, &demo_package(), "kombo.person@example.com");
    k.candidate.phone = Some("+1 123 456 7890".into());
    emails.push(k.candidate.email.clone());
    assert!(stack.kombo.place_order(k).await.unwrap().status == Some(200));

    // Teamtailor: once straight through, once kept while Assessio is down.
    let t = NewTrigger::example(TEAMTAILOR_COMPANY, LENS_ID, "sv-SE", "tt.person@example.com");
    emails.push(t.candidate.email.clone());
    assert!(stack.teamtailor.place_trigger(t).await.unwrap().is_success());
    stack.assessio.faults().set(assessio_route::ORDER, FaultPlan::new().always(FaultAction::Status(503)));
    let kept = NewTrigger::example(TEAMTAILOR_COMPANY, LENS_ID, "en-US", "tt.kept@example.com");
    emails.push(kept.candidate.email.clone());
    assert_eq!(stack.teamtailor.place_trigger(kept).await.unwrap().status, Some(202));
    // While it is kept, its copy is in the store, and only then.
    assert!(store_text(&kv).contains("tt.kept@example.com"), "a kept order must survive a restart");

    // StackOne: a full order with a second email, phone, profile and team.
    let s = NewStackOneOrder::example(STACKONE_ACCOUNT, &package_id(LENS_ID, "en-US"), "so.person@example.com");
    emails.push(s.candidate.emails[0].clone());
    assert_eq!(stack.stackone.place_order(s).await.unwrap().status, Some(202), "kept too");
    stack.assessio.faults().clear_all();
    let r = stack.operator("POST", "/reconcile").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());

    assert_eq!(stack.assessio.order_count(), 4);
    assert!(stack.assessio.settled_within(Duration::from_secs(20)).await);
    assert!(
        eventually(Duration::from_secs(10), || {
            stack.stackone.orders().iter().all(|o| stack.stackone.result_write_count(&o.id) == 1)
        })
        .await
    );

    // What Assessio received: the listed fields only, none of the rest.
    let fields = stack.assessio.field_names();
    let allowed: BTreeSet<String> = ALLOWED.iter().map(|f| (*f).to_string()).collect();
    let extra: Vec<&String> =
        fields.iter().filter(|f| !allowed.contains(*f) && !f.starts_with("resultUpdateUrl")).collect();
    assert!(extra.is_empty(), "fields beyond seed 000's list reached Assessio: {extra:?}");
    for received in stack.assessio.received() {
        let body = String::from_utf8_lossy(&received.body);
        for private in PRIVATE {
            assert!(!body.contains(private), "{private:?} reached Assessio: {body}");
        }
    }

    // What the gateway remembers: no candidate's email or name, now that
    // every order is placed.
    let text = store_text(&kv);
    for email in &emails {
        assert!(!text.contains(email.as_str()), "the store still holds {email}");
    }
    for name in ["Lovelace", "Sestier", "\"Ada\"", "Romain"] {
        assert!(!text.contains(name), "the store still holds the name {name}");
    }
    stack.shutdown().await;
}

/// Every byte of every file in the gateway's key-value directory, as text,
/// and the decoded entries of any store in the JSON format of earlier
/// versions (base64 values). The host's log keeps keys and values as raw
/// bytes, superseded records included until it zeroes them, so its files'
/// bytes are everything it holds on disk: a value cannot hide behind an
/// encoding, and a deleted one that still lingers in the file is found.
fn store_text(kv: &KvDir) -> String {
    use base64::Engine as _;
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut dirs = vec![kv.0.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else { continue };
            out.push_str(&String::from_utf8_lossy(&bytes));
            let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            for (key, value) in doc["entries"].as_object().into_iter().flatten() {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(value.as_str().unwrap_or_default())
                    .expect("the store's values are base64");
                let _ = write!(out, "\n{key} = {}", String::from_utf8_lossy(&decoded));
            }
        }
    }
    out
}
