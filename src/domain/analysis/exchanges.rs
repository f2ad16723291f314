//! The exchange network: mechanisms read as exchanges, and reconciliation of what the two sides
//! of each flow reported.

use super::Answers;
use crate::domain::answers::{AnswerValue, PartnerRef};

/// Direction of a mechanism as reported by its reporter (option keys provide / receive / both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Provide,
    Receive,
    Both,
}

impl Direction {
    pub fn parse(key: &str) -> Option<Direction> {
        match key {
            "provide" => Some(Direction::Provide),
            "receive" => Some(Direction::Receive),
            "both" => Some(Direction::Both),
            _ => None,
        }
    }
}

/// One mechanism entry as needed for the exchange network and reconciliation, borrowed from
/// what was read (tens of thousands at a large forum: no string is copied).
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange<'a> {
    pub mechanism_id: &'a str,
    /// The organization that reported it.
    pub reporter: &'a str,
    /// The partner organization id; None for an outside body (never reconciled, never a network edge).
    pub partner: Option<&'a str>,
    pub direction: Option<Direction>,
    pub domains: Vec<&'a str>,
    /// Status option key: active / planned / feasible / suspended (None if not given).
    pub status: Option<&'a str>,
}

impl<'a> Exchange<'a> {
    /// Builds the entry from a mechanism's values keyed by field (as the mechanism group stores
    /// them): `partner`, `direction`, `domains`, `status`; anything else is ignored.
    pub fn from_values(
        mechanism_id: &'a str,
        reporter: &'a str,
        values: &'a Answers,
    ) -> Exchange<'a> {
        let choice = |key: &str| match values.get(key) {
            Some(AnswerValue::Choice(value)) => Some(value.as_str()),
            _ => None,
        };
        Exchange {
            mechanism_id,
            reporter,
            partner: match values.get("partner") {
                Some(AnswerValue::Partner(PartnerRef::Organization(id))) => Some(id.as_str()),
                _ => None,
            },
            direction: choice("direction").and_then(Direction::parse),
            domains: match values.get("domains") {
                Some(AnswerValue::Choices(keys)) => keys.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            },
            status: choice("status"),
        }
    }
}

/// A directed flow of data, provider -> receiver, derived from one mechanism (Both gives two flows).
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub provider: String,
    pub receiver: String,
    pub mechanism_id: String,
    pub reporter: String,
    pub domains: Vec<String>,
    pub status: Option<String>,
}

/// Whether the other side reported the same flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Both the provider and the receiver reported this flow (same ordered pair, at least one data domain in common); lists the other side's mechanism ids.
    Confirmed { by: Vec<String> },
    /// Only the reporter reported it.
    ReportedOnlyBy { reporter: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReconciledFlow {
    pub flow: Flow,
    pub confirmation: Confirmation,
}

/// A flow matched against the other side's reports, borrowed from its exchange: the views count,
/// draw and label flows from these without copying a string per flow.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedFlow<'a> {
    pub provider: &'a str,
    pub receiver: &'a str,
    pub exchange: &'a Exchange<'a>,
    /// The other side's mechanism ids that confirm this flow, sorted, without repeats; empty when
    /// only its reporter reported it.
    pub confirmed_by: Vec<&'a str>,
}

impl MatchedFlow<'_> {
    pub fn is_confirmed(&self) -> bool {
        !self.confirmed_by.is_empty()
    }

    /// The flow with its own copies of the ids (for the exports that keep flows).
    pub fn to_reconciled(&self) -> ReconciledFlow {
        let exchange = self.exchange;
        let confirmation = if self.is_confirmed() {
            Confirmation::Confirmed {
                by: self
                    .confirmed_by
                    .iter()
                    .map(|id| (*id).to_owned())
                    .collect(),
            }
        } else {
            Confirmation::ReportedOnlyBy {
                reporter: exchange.reporter.to_owned(),
            }
        };
        ReconciledFlow {
            flow: Flow {
                provider: self.provider.to_owned(),
                receiver: self.receiver.to_owned(),
                mechanism_id: exchange.mechanism_id.to_owned(),
                reporter: exchange.reporter.to_owned(),
                domains: exchange.domains.iter().map(|d| (*d).to_owned()).collect(),
                status: exchange.status.map(str::to_owned),
            },
            confirmation,
        }
    }
}

/// A flow during matching: its organizations as ranks (the position of the id among the sorted
/// ids), so that sorting and matching compare integers in the order of the ids.
struct RankedFlow<'a> {
    provider: u32,
    receiver: u32,
    reporter: u32,
    exchange: &'a Exchange<'a>,
    provider_id: &'a str,
    receiver_id: &'a str,
}

fn domains_overlap(a: &[&str], b: &[&str]) -> bool {
    // Domain lists are short (at most the domain code list), so a nested scan beats hashing.
    a.iter().any(|domain| b.contains(domain))
}

/// Flows of every exchange with a forum partner and a direction (others are skipped), each with its confirmation, in a deterministic order (by provider, receiver, mechanism id). A flow reported by A (provide, partner B) is confirmed by a flow reported by B for the same provider->receiver (B: receive with partner A, or both) when their domain lists overlap. Self-partnered entries (partner == reporter) are skipped.
pub fn reconcile(exchanges: &[Exchange<'_>]) -> Vec<ReconciledFlow> {
    match_flows(exchanges)
        .iter()
        .map(MatchedFlow::to_reconciled)
        .collect()
}

/// The flows of [`reconcile`], in the same order with the same confirmations, borrowed from the
/// exchanges.
pub fn match_flows<'a>(exchanges: &'a [Exchange<'a>]) -> Vec<MatchedFlow<'a>> {
    let pairs: Vec<(&Exchange<'_>, &str, Direction)> = exchanges
        .iter()
        .filter_map(|exchange| {
            let (Some(partner), Some(direction)) = (exchange.partner, exchange.direction) else {
                return None;
            };
            if partner.is_empty() || partner == exchange.reporter {
                return None;
            }
            Some((exchange, partner, direction))
        })
        .collect();

    // Each organization id once, sorted: its index is its rank.
    let mut ids: Vec<&str> = pairs
        .iter()
        .flat_map(|(exchange, partner, _)| [exchange.reporter, *partner])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let rank_of: foldhash::HashMap<&str, u32> = ids
        .iter()
        .enumerate()
        .map(|(rank, id)| (*id, u32::try_from(rank).unwrap_or(u32::MAX)))
        .collect();
    let rank = |id: &str| rank_of.get(id).copied().unwrap_or(u32::MAX);

    let mut flows: Vec<RankedFlow<'_>> = Vec::with_capacity(pairs.len() * 2);
    for (exchange, partner, direction) in pairs {
        let reporter_id = exchange.reporter;
        let (reporter, partner_rank) = (rank(reporter_id), rank(partner));
        if matches!(direction, Direction::Provide | Direction::Both) {
            flows.push(RankedFlow {
                provider: reporter,
                receiver: partner_rank,
                reporter,
                exchange,
                provider_id: reporter_id,
                receiver_id: partner,
            });
        }
        if matches!(direction, Direction::Receive | Direction::Both) {
            flows.push(RankedFlow {
                provider: partner_rank,
                receiver: reporter,
                reporter,
                exchange,
                provider_id: partner,
                receiver_id: reporter_id,
            });
        }
    }

    // Sorted by provider, receiver, mechanism id, then reporter (which breaks ties between
    // repeated mechanism ids), so the order never depends on the order of the input; the flows of
    // one ordered pair are then next to each other, and each finds the other side's reports of
    // the pair in its own run.
    flows.sort_unstable_by(|a, b| {
        (a.provider, a.receiver)
            .cmp(&(b.provider, b.receiver))
            .then_with(|| a.exchange.mechanism_id.cmp(b.exchange.mechanism_id))
            .then_with(|| a.reporter.cmp(&b.reporter))
    });

    let mut matched = Vec::with_capacity(flows.len());
    for run in flows.chunk_by(|a, b| (a.provider, a.receiver) == (b.provider, b.receiver)) {
        for flow in run {
            let other_side = if flow.reporter == flow.provider {
                flow.receiver
            } else {
                flow.provider
            };
            let mut by: Vec<&str> = run
                .iter()
                .filter(|other| {
                    other.reporter == other_side
                        && domains_overlap(&flow.exchange.domains, &other.exchange.domains)
                })
                .map(|other| other.exchange.mechanism_id)
                .collect();
            by.sort_unstable();
            by.dedup();
            matched.push(MatchedFlow {
                provider: flow.provider_id,
                receiver: flow.receiver_id,
                exchange: flow.exchange,
                confirmed_by: by,
            });
        }
    }
    matched
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::analysis::test_support::*;
    use crate::domain::analysis::*;

    // ---- reconciliation --------------------------------------------------------------------

    fn exchange<'a>(
        id: &'a str,
        reporter: &'a str,
        partner: Option<&'a str>,
        direction: Option<Direction>,
        domains: &[&'a str],
    ) -> Exchange<'a> {
        Exchange {
            mechanism_id: id,
            reporter,
            partner,
            direction,
            domains: domains.to_vec(),
            status: Some("active"),
        }
    }

    fn summary(flows: &[ReconciledFlow]) -> Vec<(&str, &str, &str, &Confirmation)> {
        flows
            .iter()
            .map(|r| {
                (
                    r.flow.provider.as_str(),
                    r.flow.receiver.as_str(),
                    r.flow.mechanism_id.as_str(),
                    &r.confirmation,
                )
            })
            .collect()
    }

    fn confirmed(by: &[&str]) -> Confirmation {
        Confirmation::Confirmed { by: strings(by) }
    }

    fn only(reporter: &str) -> Confirmation {
        Confirmation::ReportedOnlyBy {
            reporter: reporter.to_string(),
        }
    }

    #[test]
    fn direction_parses_option_keys() {
        assert_eq!(Direction::parse("provide"), Some(Direction::Provide));
        assert_eq!(Direction::parse("receive"), Some(Direction::Receive));
        assert_eq!(Direction::parse("both"), Some(Direction::Both));
        assert_eq!(Direction::parse("Provide"), None);
        assert_eq!(Direction::parse(""), None);
    }

    #[test]
    fn both_sides_reporting_with_a_common_domain_confirm_each_other() {
        use Direction::{Provide, Receive};
        let flows = reconcile(&[
            exchange("m1", "A", Some("B"), Some(Provide), &["asylum", "returns"]),
            exchange("m2", "B", Some("A"), Some(Receive), &["returns"]),
        ]);
        assert_eq!(
            summary(&flows),
            [
                ("A", "B", "m1", &confirmed(&["m2"])),
                ("A", "B", "m2", &confirmed(&["m1"])),
            ]
        );
        assert_eq!(
            flows[0].flow,
            Flow {
                provider: "A".into(),
                receiver: "B".into(),
                mechanism_id: "m1".into(),
                reporter: "A".into(),
                domains: strings(&["asylum", "returns"]),
                status: Some("active".into()),
            }
        );
        assert_eq!(flows[1].flow.reporter, "B");
    }

    #[test]
    fn reports_without_a_common_domain_stay_one_sided() {
        use Direction::{Provide, Receive};
        let flows = reconcile(&[
            exchange("m1", "A", Some("B"), Some(Provide), &["asylum"]),
            exchange("m2", "B", Some("A"), Some(Receive), &["returns"]),
            // The wrong way round: B says it provides to A, which is another flow.
            exchange("m3", "B", Some("A"), Some(Provide), &["asylum"]),
            // Two reports by the same side do not confirm each other.
            exchange("m4", "A", Some("B"), Some(Provide), &["asylum"]),
            // No domains at all: nothing to have in common.
            exchange("m5", "B", Some("A"), Some(Receive), &[]),
        ]);
        assert_eq!(
            summary(&flows),
            [
                ("A", "B", "m1", &only("A")),
                ("A", "B", "m2", &only("B")),
                ("A", "B", "m4", &only("A")),
                ("A", "B", "m5", &only("B")),
                ("B", "A", "m3", &only("B")),
            ]
        );
    }

    #[test]
    fn both_direction_gives_two_flows_each_reconciled_on_its_own() {
        use Direction::{Both, Provide};
        let flows = reconcile(&[
            exchange("m1", "A", Some("B"), Some(Both), &["asylum"]),
            exchange("m2", "B", Some("A"), Some(Provide), &["asylum", "health"]),
        ]);
        assert_eq!(
            summary(&flows),
            [
                ("A", "B", "m1", &only("A")),
                ("B", "A", "m1", &confirmed(&["m2"])),
                ("B", "A", "m2", &confirmed(&["m1"])),
            ]
        );
        let mutual = reconcile(&[
            exchange("m1", "A", Some("B"), Some(Both), &["asylum"]),
            exchange("m2", "B", Some("A"), Some(Both), &["asylum"]),
        ]);
        assert_eq!(
            summary(&mutual),
            [
                ("A", "B", "m1", &confirmed(&["m2"])),
                ("A", "B", "m2", &confirmed(&["m1"])),
                ("B", "A", "m1", &confirmed(&["m2"])),
                ("B", "A", "m2", &confirmed(&["m1"])),
            ]
        );
    }

    #[test]
    fn outside_bodies_missing_directions_and_self_partners_are_skipped() {
        use Direction::{Provide, Receive};
        let flows = reconcile(&[
            exchange("m1", "A", None, Some(Provide), &["asylum"]),
            exchange("m2", "A", Some("B"), None, &["asylum"]),
            exchange("m3", "A", Some("A"), Some(Provide), &["asylum"]),
            exchange("m4", "A", Some(""), Some(Provide), &["asylum"]),
            // C reports receiving from A; A reports nothing about it.
            exchange("m5", "C", Some("A"), Some(Receive), &["asylum"]),
        ]);
        assert_eq!(summary(&flows), [("A", "C", "m5", &only("C"))]);
        assert_eq!(flows[0].flow.reporter, "C");
        assert!(reconcile(&[]).is_empty());
    }

    #[test]
    fn reconciliation_order_does_not_depend_on_input_order() {
        use Direction::{Both, Provide, Receive};
        let mut exchanges = vec![
            exchange("m9", "SNM", Some("INEC"), Some(Provide), &["border_flows"]),
            exchange("m2", "INEC", Some("SNM"), Some(Receive), &["border_flows"]),
            exchange("m7", "SNM", Some("MINSA"), Some(Both), &["health"]),
            exchange("m3", "ONPAR", Some("SNM"), Some(Provide), &["asylum"]),
            exchange(
                "m1",
                "INEC",
                Some("SNM"),
                Some(Receive),
                &["border_flows", "asylum"],
            ),
            exchange(
                "m4",
                "RC",
                Some("INEC"),
                Some(Provide),
                &["civil_registration"],
            ),
        ];
        let forward = reconcile(&exchanges);
        exchanges.reverse();
        assert_eq!(reconcile(&exchanges), forward);
        assert_eq!(
            summary(&forward),
            [
                ("MINSA", "SNM", "m7", &only("SNM")),
                ("ONPAR", "SNM", "m3", &only("ONPAR")),
                ("RC", "INEC", "m4", &only("RC")),
                ("SNM", "INEC", "m1", &confirmed(&["m9"])),
                ("SNM", "INEC", "m2", &confirmed(&["m9"])),
                ("SNM", "INEC", "m9", &confirmed(&["m1", "m2"])),
                ("SNM", "MINSA", "m7", &only("SNM")),
            ]
        );
    }

    #[test]
    fn exchange_reads_a_mechanism_s_values() {
        let values = answers(&[
            (
                "partner",
                AnswerValue::Partner(PartnerRef::Organization("org-2".into())),
            ),
            ("direction", AnswerValue::Choice("receive".into())),
            ("domains", AnswerValue::Choices(strings(&["asylum"]))),
            ("status", AnswerValue::Choice("planned".into())),
            ("name", AnswerValue::Text("Monthly file".into())),
        ]);
        assert_eq!(
            Exchange::from_values("m1", "org-1", &values),
            Exchange {
                mechanism_id: "m1",
                reporter: "org-1",
                partner: Some("org-2"),
                direction: Some(Direction::Receive),
                domains: vec!["asylum"],
                status: Some("planned"),
            }
        );
        let outside = answers(&[(
            "partner",
            AnswerValue::Partner(PartnerRef::Outside("UNHCR".into())),
        )]);
        let read = Exchange::from_values("m2", "org-1", &outside);
        assert_eq!(
            (read.partner, read.direction, read.status),
            (None, None, None)
        );
        assert!(read.domains.is_empty());
    }
}
