//! Local simulators of the APIs the connector speaks, so end-to-end tests and
//! newcomers need no vendor account and no network beyond loopback.
//!
//! - [`assessio`]: Assessio's Recruitment API (config, orders, order links)
//!   and its outbound result delivery with retries.
//! - [`kombo`]: Kombo's unified ATS-assessment API (packages, open orders,
//!   result write-back) and its `assessment:order-received` webhook.
//! - [`teamtailor`]: Teamtailor's partner API (partner-result write-back),
//!   its stage trigger to the partner, and the partner configuration read
//!   that builds the trigger's dialog.
//! - [`stackone`]: `StackOne`'s unified ATS assessments API (result
//!   write-back) and its `ats_assessments.created` webhook.
//! - `delivery` (internal): the webhook-delivery state machine the three
//!   hubs share: create, send once with a frozen body, redeliver, retry.
//! - [`faults`]: per-route latency, error statuses, dropped connections and
//!   hangs, deterministic and changeable while a test runs.
//! - [`http`]: the small server and client all are built on, and the table
//!   of which vendor schema each documented body must match.
//! - [`schema`]: the vendors' published shapes as JSON Schemas, embedded and
//!   compiled once.
//!
//! Each simulator binds `127.0.0.1` on a port the OS chooses, records what it
//! received and sent, and stops on its `shutdown` or when dropped. They
//! follow the vendors' documentation (seeds 000, 001, 002, 004 and
//! `docs/hub-apis.md`); where the documentation is silent, the item's doc
//! comment says what was assumed.
//!
//! The simulators are oracles, so this crate must never depend on the
//! connector's plugin or its gateway: a shared mistake would make both sides
//! agree. Signatures are checked and made with `hmac` and `sha2` directly,
//! and every type here is the simulators' own.

pub mod assessio;
mod common;
mod delivery;
pub mod faults;
pub mod http;
pub mod kombo;
pub mod schema;
pub mod stackone;
pub mod teamtailor;

pub use assessio::{
    AcceptedOrder, AssessioConfig, AssessioSim, AssessioSimError, AttemptOutcome, CandidateDetails, Delivery,
    DeliveryAttempt, DeliveryState, Lens, OrderEndpoint, Organisation, ReceivedOrder, RecruitmentRecord, RetryPolicy,
    Scores, SimClock,
};
pub use faults::{ANY_ROUTE, FaultAction, FaultPlan, FaultStats, Faults, XorShift64};
pub use http::{
    ClientError, ClientResponse, Direction, Handler, HttpClient, SCHEMA_ROUTES, SchemaRefusal, SchemaRoute, Server,
    ShutdownSignal, SimRequest, SimResponse, Simulator, schema_for,
};
pub use kombo::{
    ApiCall, HiringTeamMember, HiringTeamRole, KomboCandidate, KomboConfig, KomboJob, KomboOrder, KomboSim,
    KomboSimError, NewOrder, OrderStatus, Package, PackageType, WebhookOutcome, WebhookSend, WebhookSignature,
    kombo_signature,
};
pub use schema::Schema;
pub use stackone::{
    EventDetail, NewStackOneOrder, StackOneCall, StackOneCandidate, StackOneConfig, StackOneHiringTeamMember,
    StackOneJob, StackOneOrder, StackOneRetry, StackOneSignature, StackOneSim, StackOneSimError,
    StackOneWebhookOutcome, StackOneWebhookSend, stackone_signature,
};
pub use teamtailor::{
    ConfigOption, DialogError, DialogField, NewTrigger, PartnerResult, PartnerStatus, TeamtailorCall, TeamtailorConfig,
    TeamtailorCustomer, TeamtailorSim, TeamtailorSimError, TriggerAuth, TriggerCandidate, TriggerDelivery,
    TriggerDialog, TriggerJob, TriggerOptions, TriggerOutcome, TriggerSignature, WebhookData, parse_partner_config,
    teamtailor_signature, teamtailor_signature_header,
};
