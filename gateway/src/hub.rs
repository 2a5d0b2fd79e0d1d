//! The hubs this gateway serves, as a type rather than strings: every place
//! that treats hubs differently is a `match` the compiler checks, so a new
//! hub cannot be forgotten anywhere, nor an unknown one taken for another.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One hub. Serialised (in records, ids and answers) as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hub {
    /// Kombo: order webhooks, and results written back to the order.
    Kombo,
    /// Teamtailor's partner API: stage triggers and partner results.
    Teamtailor,
    /// StackOne: unified ATS events and assessment results.
    StackOne,
}

impl Hub {
    /// Every hub, in the order `/health` lists them.
    pub const ALL: [Self; 3] = [Self::Kombo, Self::Teamtailor, Self::StackOne];

    /// The name in paths, records and result ids.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Kombo => "kombo",
            Self::Teamtailor => "teamtailor",
            Self::StackOne => "stackone",
        }
    }

    /// The hub a path or record names, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.as_str() == name)
    }

    /// The name as people write it, for messages.
    pub const fn display_name(self) -> &'static str {
        match self {
            Self::Kombo => "Kombo",
            Self::Teamtailor => "Teamtailor",
            Self::StackOne => "StackOne",
        }
    }

    /// Whether a result the hub could not take is kept for reconcile. Kombo
    /// keeps nothing: Assessio retries the delivery until Kombo takes it.
    pub const fn keeps_results(self) -> bool {
        match self {
            Self::Kombo => false,
            Self::Teamtailor | Self::StackOne => true,
        }
    }
}

impl fmt::Display for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serialise_as_before() {
        for hub in Hub::ALL {
            assert_eq!(Hub::parse(hub.as_str()), Some(hub));
            assert_eq!(serde_json::to_value(hub).unwrap(), serde_json::json!(hub.as_str()));
        }
        assert_eq!(Hub::parse("Kombo"), None);
        assert_eq!(Hub::parse("workday"), None);
    }
}
