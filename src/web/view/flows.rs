//! Exchange flows as rows of the network page, the reconciliation list and the exports.

use super::labels::mechanism_label;
use crate::domain::Lang;
use crate::domain::analysis;
use crate::service::analysis::AssessmentData;
use crate::service::records::{FlowHead, OrganizationHead};

/// A flow as a row of the edge table and of the reconciliation list.
#[derive(Debug, Clone)]
pub struct FlowRow {
    pub provider: String,
    pub receiver: String,
    pub mechanism: String,
    pub response_id: String,
    pub mechanism_id: String,
    pub reporter: String,
    pub domains: String,
    pub status: String,
    pub confirmed: bool,
}

/// Labels flows (organizations by acronym, mechanisms by name) one at a time, so a page labels
/// only the flows it shows.
pub struct FlowLabeller<'a> {
    data: &'a AssessmentData,
    organizations: foldhash::HashMap<&'a str, &'a OrganizationHead>,
    /// The mechanisms of the flows it was made for, by id.
    mechanisms: foldhash::HashMap<&'a str, &'a FlowHead>,
    lang: Lang,
}

impl<'a> FlowLabeller<'a> {
    /// A labeller for some flows: it finds their mechanisms in one pass over the assessment's,
    /// and keeps only those (a page labels a few hundred of tens of thousands).
    pub fn new<'f>(
        data: &'a AssessmentData,
        lang: Lang,
        flows: impl IntoIterator<Item = &'f analysis::MatchedFlow<'f>>,
    ) -> FlowLabeller<'a> {
        // Mechanism and organization ids in one set: they never meet, and a stray match only
        // keeps one more entry.
        let mut wanted: foldhash::HashSet<&str> = foldhash::HashSet::default();
        for f in flows {
            wanted.extend([
                f.exchange.mechanism_id,
                f.provider,
                f.receiver,
                f.exchange.reporter,
            ]);
        }
        FlowLabeller {
            data,
            organizations: data
                .organizations()
                .into_iter()
                .filter(|(id, _)| wanted.contains(id))
                .collect(),
            mechanisms: data
                .flows
                .iter()
                .filter(|m| wanted.contains(m.id.as_str()))
                .map(|m| (m.id.as_str(), m))
                .collect(),
            lang,
        }
    }

    fn acronym(&self, id: &str) -> String {
        self.organizations
            .get(id)
            .map(|o| o.acronym.clone())
            .unwrap_or_else(|| id.to_owned())
    }

    pub fn row(&self, r: &analysis::MatchedFlow<'_>) -> FlowRow {
        let (data, lang, exchange) = (self.data, self.lang, r.exchange);
        let m = self.mechanisms.get(exchange.mechanism_id);
        FlowRow {
            provider: self.acronym(r.provider),
            receiver: self.acronym(r.receiver),
            mechanism: m.map(|m| m.name.clone()).unwrap_or_default(),
            response_id: m.map(|m| m.response_id.clone()).unwrap_or_default(),
            mechanism_id: exchange.mechanism_id.to_owned(),
            reporter: self.acronym(exchange.reporter),
            domains: exchange
                .domains
                .iter()
                .map(|d| mechanism_label(&data.instrument, "domains", d, lang))
                .collect::<Vec<_>>()
                .join(", "),
            status: exchange
                .status
                .map(|s| mechanism_label(&data.instrument, "status", s, lang))
                .unwrap_or_default(),
            confirmed: r.is_confirmed(),
        }
    }
}
