//! `build_order` on structured input: order details and an account made by
//! `arbitrary` from the fuzzer's bytes.
//!
//! Raw strings alone would almost never be a valid email or URL, so the
//! order would be refused at its first field and nothing behind it would be
//! reached. Each text is therefore either one of a few known-good values for
//! its field (sometimes padded with white space, or with the fuzzer's bytes
//! appended) or anything at all.

use arbitrary::Arbitrary;
use assessio_plugin::{Account, Candidate, Environment, OrderDetails, OrderEndpoint, Recruitment};

/// One text field as the fuzzer chooses it.
#[derive(Debug, Arbitrary)]
pub enum Text {
    /// A known-good value for the field.
    Good(u8),
    /// A known-good value inside white space, which must be trimmed.
    Padded(u8),
    /// A known-good value followed by the fuzzer's text.
    Extended(u8, String),
    /// Anything.
    Raw(String),
}

impl Text {
    fn pick(&self, good: &[&str]) -> String {
        let at = |i: &u8| good[usize::from(*i) % good.len()];
        match self {
            Self::Good(i) => at(i).into(),
            Self::Padded(i) => format!(" \t{} \n", at(i)),
            Self::Extended(i, s) => format!("{}{s}", at(i)),
            Self::Raw(s) => s.clone(),
        }
    }
}

const IDS: &[&str] = &["job-7", "6ef46985-9ca2-4c65-a184-47fa0d332246", "a:b", "ü"];
const TITLES: &[&str] = &["Backend Engineer", "Säljare & kundansvarig", "\"quoted\" <b>"];
const LOCALES: &[&str] = &["sv-SE", "en-US", "nn-NO", "x-private-1234", "en--US"];
const EMAILS: &[&str] = &["ada@example.com", "Ada.Lovelace+x@mail.example.co.uk", "anna@bücher.example", "a@b"];
const NAMES: &[&str] = &["Ada", "Lovelace", "Åsa-Britt", "O'Brien"];
const URLS: &[&str] = &["https://gateway.example/assessio/results/r1", "http://127.0.0.1:3000/r?x=1#f"];
const BASES: &[&str] = &["https://assessio.example", "http://127.0.0.1:8080/", "HTTPS://Case.Example"];
const KEYS: &[&str] = &["pk-live-0123456789abcdef", "k"];

/// Which Assessio deployment.
#[derive(Debug, Arbitrary)]
pub enum Env {
    /// The sandbox.
    Sandbox,
    /// Production.
    Production,
    /// A custom base URL.
    Custom(Text),
}

/// Which clock: the edges of what can be signed, or anything.
#[derive(Debug, Arbitrary)]
pub enum Clock {
    /// One of the interesting instants.
    Edge(u8),
    /// Any second.
    Raw(i64),
}

/// Everything `build_order` takes.
#[derive(Debug, Arbitrary)]
pub struct OrderInput {
    recruitment_id: Text,
    title: Text,
    description: Option<Text>,
    lens_id: Text,
    locale: Text,
    email: Text,
    first_name: Text,
    last_name: Text,
    collaborators: Vec<Text>,
    result_id: Text,
    result_update_url: Text,
    environment: Env,
    provider_key: Text,
    integrator_secret: Option<Text>,
    link_endpoint: bool,
    now: Clock,
}

impl OrderInput {
    /// The plugin's types for this input.
    pub fn build(&self) -> (Account, OrderDetails, OrderEndpoint, i64) {
        let order = OrderDetails {
            recruitment: Recruitment {
                id: self.recruitment_id.pick(IDS),
                title: self.title.pick(TITLES),
                description: self.description.as_ref().map(|d| d.pick(TITLES)),
            },
            lens_id: self.lens_id.pick(IDS),
            locale: self.locale.pick(LOCALES),
            candidate: Candidate {
                email: self.email.pick(EMAILS),
                first_name: self.first_name.pick(NAMES),
                last_name: self.last_name.pick(NAMES),
            },
            collaborator_emails: self.collaborators.iter().map(|c| c.pick(EMAILS)).collect(),
            result_id: self.result_id.pick(IDS),
            result_update_url: self.result_update_url.pick(URLS),
        };
        let account = Account {
            environment: match &self.environment {
                Env::Sandbox => Environment::Sandbox,
                Env::Production => Environment::Production,
                Env::Custom(url) => Environment::Custom(url.pick(BASES)),
            },
            provider_key: self.provider_key.pick(KEYS),
            integrator_secret: self.integrator_secret.as_ref().map(|s| s.pick(&[crate::harness::CANARY, "s"])),
        };
        let endpoint = if self.link_endpoint { OrderEndpoint::OrderLink } else { OrderEndpoint::Order };
        let now = match self.now {
            Clock::Edge(i) => {
                let edges = [0, crate::harness::NOW, 999_999_999_999_999_999, 1_000_000_000_000_000_000, i64::MAX, -1];
                edges[usize::from(i) % edges.len()]
            }
            Clock::Raw(t) => t,
        };
        (account, order, endpoint, now)
    }
}
