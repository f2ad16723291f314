//! The data-domain grid: one organization's row, and per-domain summaries across responses.

use std::collections::BTreeMap;

use super::Answers;
use crate::domain::answers::AnswerValue;
use crate::domain::instrument::{Instrument, grid_cell_key};

/// One organization's answers for one data domain of the grid.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DomainAnswer {
    /// yes / partly / no
    pub collects: Option<String>,
    pub sources: Vec<String>,
    pub disaggregations: Vec<String>,
    pub frequency: Option<String>,
    pub published: Option<bool>,
    pub needed: Option<bool>,
}

impl DomainAnswer {
    /// Takes the answer of one column of the row (collects, source, disaggregations, frequency,
    /// published, needed); another column, or a value of another kind, is ignored.
    pub fn set(&mut self, column: &str, value: AnswerValue) {
        match (column, value) {
            ("collects", AnswerValue::Choice(v)) => self.collects = Some(v),
            ("source", AnswerValue::Choices(v)) => self.sources = v,
            ("disaggregations", AnswerValue::Choices(v)) => self.disaggregations = v,
            ("frequency", AnswerValue::Choice(v)) => self.frequency = Some(v),
            ("published", AnswerValue::Bool(v)) => self.published = Some(v),
            ("needed", AnswerValue::Bool(v)) => self.needed = Some(v),
            _ => {}
        }
    }
}

/// The stored keys of one domain row, built once per domain rather than once per organization.
pub(super) struct RowKeys {
    pub(super) collects: String,
    pub(super) source: String,
    pub(super) disaggregations: String,
    pub(super) frequency: String,
    pub(super) published: String,
    pub(super) needed: String,
}

impl RowKeys {
    /// Each column's name with its key.
    pub(super) fn by_column(&self) -> [(&'static str, &str); 6] {
        [
            ("collects", &self.collects),
            ("source", &self.source),
            ("disaggregations", &self.disaggregations),
            ("frequency", &self.frequency),
            ("published", &self.published),
            ("needed", &self.needed),
        ]
    }

    pub(super) fn new(grid_section: &str, domain: &str) -> RowKeys {
        let key = |column: &str| grid_cell_key(grid_section, domain, column);
        RowKeys {
            collects: key("collects"),
            source: key("source"),
            disaggregations: key("disaggregations"),
            frequency: key("frequency"),
            published: key("published"),
            needed: key("needed"),
        }
    }
}

pub(super) fn choice_of<'a>(answers: &'a Answers, key: &str) -> Option<&'a str> {
    match answers.get(key) {
        Some(AnswerValue::Choice(value)) => Some(value),
        _ => None,
    }
}

pub(super) fn choices_of<'a>(answers: &'a Answers, key: &str) -> &'a [String] {
    match answers.get(key) {
        Some(AnswerValue::Choices(values)) => values,
        _ => &[],
    }
}

pub(super) fn bool_of(answers: &Answers, key: &str) -> Option<bool> {
    match answers.get(key) {
        Some(AnswerValue::Bool(value)) => Some(*value),
        _ => None,
    }
}

pub(super) fn is_producer(collects: Option<&str>) -> bool {
    matches!(collects, Some("yes" | "partly"))
}

/// Reads one domain row from an organization's answers (grid section key, domain key); column keys collects, source, disaggregations, frequency, published, needed.
pub fn domain_answer(grid_section: &str, domain: &str, answers: &Answers) -> DomainAnswer {
    let keys = RowKeys::new(grid_section, domain);
    let mut answer = DomainAnswer::default();
    for (column, key) in keys.by_column() {
        if let Some(value) = answers.get(key) {
            answer.set(column, value.clone());
        }
    }
    answer
}

/// Per data domain across organizations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DomainSummary {
    pub domain: String,
    /// Organizations that collect it (yes or partly).
    pub producers: usize,
    /// Organizations that say they need it from others.
    pub needers: usize,
    /// Producers offering each disaggregation key (e.g. "sex" -> 3).
    pub disaggregations: BTreeMap<String, usize>,
    /// Producers that answered which disaggregations they offer (the rest left the follow-up
    /// unanswered: that is "not answered", never "none").
    pub disaggregations_answered: usize,
    pub published_by: usize,
}

impl DomainSummary {
    /// Producers that left the disaggregation follow-up unanswered.
    pub fn disaggregations_unanswered(&self) -> usize {
        self.producers.saturating_sub(self.disaggregations_answered)
    }

    /// Counts one producer's disaggregations (none: the question was not answered, since a
    /// multiple choice without any choice is no answer).
    pub(super) fn count_disaggregations<'k>(&mut self, keys: impl IntoIterator<Item = &'k str>) {
        let mut answered = false;
        for key in keys {
            answered = true;
            // Look up before inserting so the key is copied only the first time it is seen.
            match self.disaggregations.get_mut(key) {
                Some(count) => *count += 1,
                None => {
                    self.disaggregations.insert(key.to_owned(), 1);
                }
            }
        }
        if answered {
            self.disaggregations_answered += 1;
        }
    }
}

/// One summary per option of the grid's domain code list, in list order. Returns empty if the instrument has no grid.
///
/// Disaggregations and publication count only for producers: those columns are asked only of
/// them, and an answer left over from before a change to "no" must not count. A disaggregation
/// no producer offers is absent from the map; producers that did not answer the question are
/// counted apart ([`DomainSummary::disaggregations_answered`]). Needers include producers that
/// also need the data from others.
pub fn domain_summaries<'a>(
    instrument: &Instrument,
    responses: impl IntoIterator<Item = &'a Answers>,
) -> Vec<DomainSummary> {
    let Some((section, grid)) = instrument.grid() else {
        return Vec::new();
    };
    let Some(list) = instrument.code_list(&grid.list) else {
        return Vec::new();
    };
    let rows: Vec<RowKeys> = list
        .options
        .iter()
        .map(|option| RowKeys::new(&section.key, &option.key))
        .collect();
    let mut summaries: Vec<DomainSummary> = list
        .options
        .iter()
        .map(|option| DomainSummary {
            domain: option.key.clone(),
            ..DomainSummary::default()
        })
        .collect();
    for answers in responses {
        for (keys, summary) in rows.iter().zip(summaries.iter_mut()) {
            if bool_of(answers, &keys.needed) == Some(true) {
                summary.needers += 1;
            }
            if !is_producer(choice_of(answers, &keys.collects)) {
                continue;
            }
            summary.producers += 1;
            if bool_of(answers, &keys.published) == Some(true) {
                summary.published_by += 1;
            }
            summary.count_disaggregations(
                choices_of(answers, &keys.disaggregations)
                    .iter()
                    .map(String::as_str),
            );
        }
    }
    summaries
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::analysis::test_support::*;

    #[test]
    fn domain_answer_reads_one_grid_row() {
        let instrument = forum();
        let (grid, _) = instrument.grid().unwrap();
        let responses = grid_responses();
        assert_eq!(
            domain_answer(&grid.key, "asylum", &responses[0]),
            DomainAnswer {
                collects: Some("yes".into()),
                sources: strings(&["admin_register"]),
                disaggregations: strings(&["sex", "nationality"]),
                frequency: Some("monthly".into()),
                published: Some(true),
                needed: Some(false),
            }
        );
        assert_eq!(
            domain_answer(&grid.key, "returns", &responses[0]),
            DomainAnswer {
                needed: Some(true),
                ..DomainAnswer::default()
            }
        );
        assert_eq!(
            domain_answer(&grid.key, "statelessness", &responses[0]),
            DomainAnswer::default()
        );
    }

    #[test]
    fn domain_summaries_follow_the_code_list_and_count_producers() {
        let instrument = forum();
        let (_, grid) = instrument.grid().unwrap();
        let list = instrument.code_list(&grid.list).unwrap();
        let responses = grid_responses();
        let summaries = domain_summaries(&instrument, &responses);
        let domains: Vec<&str> = summaries.iter().map(|s| s.domain.as_str()).collect();
        let expected: Vec<&str> = list.options.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(domains, expected);
        assert_eq!(domains.first(), Some(&"border_flows"));

        let find = |key: &str| summaries.iter().find(|s| s.domain == key).unwrap();
        assert_eq!(
            find("asylum"),
            &DomainSummary {
                domain: "asylum".into(),
                producers: 2,
                needers: 1,
                disaggregations: [("age", 1), ("nationality", 1), ("sex", 2)]
                    .into_iter()
                    .map(|(k, n)| (k.to_string(), n))
                    .collect(),
                disaggregations_answered: 2,
                published_by: 1,
            }
        );
        let returns = find("returns");
        assert_eq!((returns.producers, returns.needers), (0, 2));
        let health = find("health");
        assert_eq!((health.producers, health.needers), (1, 1));
        assert!(health.disaggregations.is_empty());
        // Its one producer left the follow-up unanswered.
        assert_eq!(
            (
                health.disaggregations_answered,
                health.disaggregations_unanswered()
            ),
            (0, 1)
        );
        assert_eq!(
            find("statelessness"),
            &DomainSummary {
                domain: "statelessness".into(),
                ..DomainSummary::default()
            }
        );

        let mut gridless = instrument.clone();
        gridless
            .sections
            .retain(|section| !matches!(section.body, SectionBody::DomainGrid(_)));
        assert!(domain_summaries(&gridless, &responses).is_empty());
        assert_eq!(domain_summaries(&instrument, []).len(), list.options.len());
    }
}
