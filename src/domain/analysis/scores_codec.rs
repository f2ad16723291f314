//! The scores of one response as stored beside it (the read model): computing them from the
//! answers, the text codec, and reading matrix rows and domain summaries back from it.

use std::collections::HashMap;

use super::domains::{RowKeys, bool_of, choice_of, choices_of, is_producer};
use super::matrix::{Tally, tally};
use super::{Answers, Cell, DomainSummary};
use crate::domain::answers::AnswerValue;
use crate::domain::instrument::{Instrument, MAX_LEVEL};

/// The running sums of one dimension of one response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DimensionTally {
    pub dimension: String,
    pub sum: u64,
    pub scored: usize,
    pub excluded: usize,
    /// One [`answer_mark`] per maturity item of the dimension, in instrument order: what a
    /// dimension page counts, without reading the answers again.
    pub marks: String,
}

/// How one maturity answer counts on a dimension page, as one character: its level `0`-`4`,
/// `n` (not applicable), `d` (don't know), or `-` (no answer, or a level off the scale).
pub fn answer_mark(answer: Option<&AnswerValue>) -> char {
    match answer {
        Some(AnswerValue::Level(level)) if *level <= MAX_LEVEL => char::from(b'0' + *level),
        Some(AnswerValue::NotApplicable) => 'n',
        Some(AnswerValue::DontKnow) => 'd',
        _ => '-',
    }
}

fn is_mark(c: char) -> bool {
    matches!(c, '0'..='4' | 'n' | 'd' | '-')
}

/// What one data domain of the grid contributes to the domain summaries for one response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DomainFlags {
    pub domain: String,
    /// The organization needs it from others.
    pub needed: bool,
    /// The organization collects it (yes or partly).
    pub producer: bool,
    /// A producer that publishes it.
    pub published: bool,
    /// The disaggregations a producer offers (as answered; empty for a non-producer).
    pub disaggregations: Vec<String>,
}

/// Everything the capacity matrix and the domain summaries read from one response, computed from
/// its answers by the same rules as [`row`] and [`domain_summaries`], and small enough to keep one
/// per response: views over thousands of organizations read these instead of every answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseScores {
    /// One per dimension with at least one answered maturity item, in instrument order.
    pub dimensions: Vec<DimensionTally>,
    /// One per data domain the response needs or produces, in code list order.
    pub domains: Vec<DomainFlags>,
}

/// Separators of the stored form; keys are instrument and code list keys, which never hold them.
const FIELD: char = ':';
const ENTRY: char = ';';
const LIST: char = '|';

fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && !key.contains([FIELD, ENTRY, LIST])
}

impl ResponseScores {
    pub fn from_answers(instrument: &Instrument, answers: &Answers) -> ResponseScores {
        let dimensions = instrument
            .dimensions()
            .filter_map(|dimension| {
                let tally = tally(dimension, answers);
                (tally.scored + tally.excluded > 0).then(|| DimensionTally {
                    dimension: dimension.key.clone(),
                    sum: tally.sum,
                    scored: tally.scored,
                    excluded: tally.excluded,
                    marks: dimension
                        .items()
                        .iter()
                        .filter(|item| item.is_maturity())
                        .map(|item| answer_mark(answers.get(&item.key)))
                        .collect(),
                })
            })
            .collect();
        let mut domains = Vec::new();
        if let Some((section, grid)) = instrument.grid()
            && let Some(list) = instrument.code_list(&grid.list)
        {
            for option in &list.options {
                let keys = RowKeys::new(&section.key, &option.key);
                let needed = bool_of(answers, &keys.needed) == Some(true);
                let producer = is_producer(choice_of(answers, &keys.collects));
                if !needed && !producer {
                    continue;
                }
                domains.push(DomainFlags {
                    domain: option.key.clone(),
                    needed,
                    producer,
                    published: producer && bool_of(answers, &keys.published) == Some(true),
                    disaggregations: if producer {
                        choices_of(answers, &keys.disaggregations).to_vec()
                    } else {
                        Vec::new()
                    },
                });
            }
        }
        ResponseScores {
            dimensions,
            domains,
        }
    }

    /// The stored form of the dimensions: `key:sum:scored:excluded:marks;...`.
    pub fn encode_dimensions(&self) -> String {
        self.dimensions
            .iter()
            .map(|d| {
                format!(
                    "{}{FIELD}{}{FIELD}{}{FIELD}{}{FIELD}{}",
                    d.dimension, d.sum, d.scored, d.excluded, d.marks
                )
            })
            .collect::<Vec<_>>()
            .join(&ENTRY.to_string())
    }

    /// The stored form of the domains: `key:flags:disaggregation|...;...`, flags from n (needed),
    /// p (producer), b (published).
    pub fn encode_domains(&self) -> String {
        self.domains
            .iter()
            .map(|d| {
                let mut flags = String::new();
                for (set, letter) in [(d.needed, 'n'), (d.producer, 'p'), (d.published, 'b')] {
                    if set {
                        flags.push(letter);
                    }
                }
                format!(
                    "{}{FIELD}{flags}{FIELD}{}",
                    d.domain,
                    d.disaggregations.join(&LIST.to_string())
                )
            })
            .collect::<Vec<_>>()
            .join(&ENTRY.to_string())
    }

    /// Whether the stored form can carry these scores (every key free of separators); scores
    /// that cannot are computed from the answers on each read instead of stored.
    pub fn is_storable(&self) -> bool {
        self.dimensions.iter().all(|d| is_plain_key(&d.dimension))
            && self.domains.iter().all(|d| {
                is_plain_key(&d.domain) && d.disaggregations.iter().all(|k| is_plain_key(k))
            })
    }
}

/// The stored form of a response's scores, read in place: views over thousands of responses parse
/// it while they aggregate instead of building a [`ResponseScores`] (dozens of small
/// allocations) per response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredScores {
    pub dimensions: String,
    pub domains: String,
}

/// One dimension entry: key, sum, scored, excluded, marks.
type DimensionEntry<'a> = (&'a str, u64, usize, usize, &'a str);
/// One domain entry: key, needed, producer, published, disaggregations (`a|b`).
type DomainEntry<'a> = (&'a str, bool, bool, bool, &'a str);

fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.split(ENTRY).filter(|e| !e.is_empty())
}

fn dimension_entry(entry: &str) -> Option<DimensionEntry<'_>> {
    let mut parts = entry.split(FIELD);
    let key = parts.next().filter(|k| !k.is_empty())?;
    let sum = parts.next()?.parse().ok()?;
    let scored = parts.next()?.parse().ok()?;
    let excluded = parts.next()?.parse().ok()?;
    let marks = parts.next().filter(|m| m.chars().all(is_mark))?;
    parts
        .next()
        .is_none()
        .then_some((key, sum, scored, excluded, marks))
}

fn domain_entry(entry: &str) -> Option<DomainEntry<'_>> {
    let mut parts = entry.split(FIELD);
    let key = parts.next().filter(|k| !k.is_empty())?;
    let flags = parts.next()?;
    if !flags.chars().all(|c| matches!(c, 'n' | 'p' | 'b')) {
        return None;
    }
    let list = parts.next()?;
    parts.next().is_none().then_some((
        key,
        flags.contains('n'),
        flags.contains('p'),
        flags.contains('b'),
        list,
    ))
}

impl StoredScores {
    pub fn of(scores: &ResponseScores) -> StoredScores {
        StoredScores {
            dimensions: scores.encode_dimensions(),
            domains: scores.encode_domains(),
        }
    }

    /// Whether every entry reads; a stored row that does not is recomputed from the answers.
    pub fn is_valid(&self) -> bool {
        self.dimensions_are_valid() && entries(&self.domains).all(|e| domain_entry(e).is_some())
    }

    /// Whether every dimension entry reads (for the views that read only those).
    pub fn dimensions_are_valid(&self) -> bool {
        entries(&self.dimensions).all(|e| dimension_entry(e).is_some())
    }

    /// The answer marks of a dimension's maturity items (empty when none of them is answered).
    pub fn marks_of(&self, dimension: &str) -> &str {
        entries(&self.dimensions)
            .filter_map(dimension_entry)
            .find(|(key, ..)| *key == dimension)
            .map_or("", |(.., marks)| marks)
    }

    /// Back to the scores (tests and single responses; views read in place).
    pub fn scores(&self) -> Option<ResponseScores> {
        let dimensions = entries(&self.dimensions)
            .map(|e| {
                dimension_entry(e).map(|(key, sum, scored, excluded, marks)| DimensionTally {
                    dimension: key.to_owned(),
                    sum,
                    scored,
                    excluded,
                    marks: marks.to_owned(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let domains = entries(&self.domains)
            .map(|e| {
                domain_entry(e).map(|(key, needed, producer, published, list)| DomainFlags {
                    domain: key.to_owned(),
                    needed,
                    producer,
                    published,
                    disaggregations: list
                        .split(LIST)
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(ResponseScores {
            dimensions,
            domains,
        })
    }
}

/// The maturity items of each dimension, in instrument order: what a matrix row built from
/// [`ResponseScores`] needs besides the scores.
pub struct DimensionSizes(Vec<(String, usize)>);

impl DimensionSizes {
    pub fn new(instrument: &Instrument) -> DimensionSizes {
        DimensionSizes(
            instrument
                .dimensions()
                .map(|d| {
                    let items = d.items().iter().filter(|i| i.is_maturity()).count();
                    (d.key.clone(), items)
                })
                .collect(),
        )
    }

    /// The same row as [`row`] gives for the answers the scores were computed from, read in
    /// place from the scores stored.
    pub fn row_stored(&self, stored: &StoredScores) -> (Vec<Cell>, Cell) {
        let mut tallies: Vec<Tally> = self
            .0
            .iter()
            .map(|(_, items)| Tally {
                items: *items,
                ..Tally::default()
            })
            .collect();
        for (key, sum, scored, excluded, _) in
            entries(&stored.dimensions).filter_map(dimension_entry)
        {
            if let Some(tally) = self
                .0
                .iter()
                .position(|(k, _)| k == key)
                .and_then(|i| tallies.get_mut(i))
            {
                tally.sum = sum;
                tally.scored = scored;
                tally.excluded = excluded;
            }
        }
        let mut total = Tally::default();
        let cells = tallies
            .into_iter()
            .map(|tally| {
                total.add(tally);
                tally.cell()
            })
            .collect();
        (cells, total.cell())
    }
}

/// The same summaries as [`domain_summaries`] for the scores stored, read in place.
pub fn domain_summaries_of_stored<'a>(
    instrument: &Instrument,
    responses: impl IntoIterator<Item = &'a StoredScores>,
) -> Vec<DomainSummary> {
    let Some((_, grid)) = instrument.grid() else {
        return Vec::new();
    };
    let Some(list) = instrument.code_list(&grid.list) else {
        return Vec::new();
    };
    let mut summaries: Vec<DomainSummary> = list
        .options
        .iter()
        .map(|option| DomainSummary {
            domain: option.key.clone(),
            ..DomainSummary::default()
        })
        .collect();
    let index: HashMap<&str, usize> = list
        .options
        .iter()
        .enumerate()
        .map(|(i, option)| (option.key.as_str(), i))
        .collect();
    for stored in responses {
        for (key, needed, producer, published, disaggregations) in
            entries(&stored.domains).filter_map(domain_entry)
        {
            let Some(summary) = index.get(key).and_then(|&i| summaries.get_mut(i)) else {
                continue;
            };
            if needed {
                summary.needers += 1;
            }
            if !producer {
                continue;
            }
            summary.producers += 1;
            if published {
                summary.published_by += 1;
            }
            summary.count_disaggregations(disaggregations.split(LIST).filter(|k| !k.is_empty()));
        }
    }
    summaries
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::analysis::test_support::*;
    use crate::domain::analysis::*;
    use crate::domain::instrument::grid_cell_key;

    /// Answers of `n` organizations varied over every maturity item and grid cell, including
    /// not applicable, don't know, out-of-scale levels, non-producers with leftover columns.
    fn varied_answers(instrument: &Instrument, n: usize) -> Vec<Answers> {
        let (grid_section, grid) = instrument.grid().unwrap();
        let domains = instrument.code_list(&grid.list).unwrap();
        (0..n)
            .map(|org| {
                let mut answers = Answers::new();
                for (j, item) in instrument
                    .dimensions()
                    .flat_map(|d| d.items())
                    .filter(|i| i.is_maturity())
                    .enumerate()
                {
                    let value = match (org * 7 + j * 3) % 9 {
                        0 => continue,
                        1 => NotApplicable,
                        2 => DontKnow,
                        3 => Level(9),
                        k => Level((k % 5) as u8),
                    };
                    answers.insert(item.key.clone(), value);
                }
                for (j, domain) in domains.options.iter().enumerate() {
                    let key = |c: &str| grid_cell_key(&grid_section.key, &domain.key, c);
                    let collects = ["yes", "partly", "no", "none"][(org + j) % 4];
                    if collects != "none" {
                        answers.insert(key("collects"), AnswerValue::Choice(collects.into()));
                    }
                    if (org + 2 * j) % 3 == 0 {
                        answers.insert(key("needed"), AnswerValue::Bool(true));
                    }
                    answers.insert(key("published"), AnswerValue::Bool((org + j) % 2 == 0));
                    let disaggregations = match (org * 5 + j) % 4 {
                        0 => vec![],
                        1 => strings(&["sex"]),
                        2 => strings(&["age", "sex"]),
                        _ => strings(&["nationality"]),
                    };
                    answers.insert(
                        key("disaggregations"),
                        AnswerValue::Choices(disaggregations),
                    );
                }
                answers
            })
            .collect()
    }

    #[test]
    fn matrix_rows_from_stored_scores_equal_rows_from_the_answers() {
        let instrument = forum();
        let sizes = DimensionSizes::new(&instrument);
        for answers in varied_answers(&instrument, 40) {
            let scores = ResponseScores::from_answers(&instrument, &answers);
            let stored = StoredScores::of(&scores);
            assert!(stored.is_valid());
            assert_eq!(stored.scores().unwrap(), scores);
            assert_eq!(sizes.row_stored(&stored), row(&instrument, &answers));
        }
        // A response with no answers has empty cells with the item counts.
        let empty = StoredScores::of(&ResponseScores::from_answers(&instrument, &Answers::new()));
        assert_eq!(sizes.row_stored(&empty), row(&instrument, &Answers::new()));
    }

    #[test]
    fn dimension_distributions_from_stored_marks_equal_distributions_from_the_answers() {
        let instrument = forum();
        let all = varied_answers(&instrument, 40);
        let stored: Vec<StoredScores> = all
            .iter()
            .map(|a| StoredScores::of(&ResponseScores::from_answers(&instrument, a)))
            .collect();
        for dimension in instrument.dimensions() {
            let keys: Vec<&str> = dimension
                .items()
                .iter()
                .filter(|i| i.is_maturity())
                .map(|i| i.key.as_str())
                .collect();
            let from_marks = distributions_of_marks(
                keys.len(),
                stored.iter().map(|s| s.marks_of(&dimension.key)),
            );
            assert_eq!(from_marks, distributions(&keys, &all), "{}", dimension.key);
            // The low levels are the same organizations either way.
            for (i, key) in keys.iter().enumerate() {
                let low_from_answers: Vec<usize> = (0..all.len())
                    .filter(|&o| {
                        all[o]
                            .get(*key)
                            .and_then(AnswerValue::level)
                            .is_some_and(|l| l <= 1)
                    })
                    .collect();
                let low_from_marks: Vec<usize> = (0..stored.len())
                    .filter(|&o| {
                        is_low_mark(
                            stored[o]
                                .marks_of(&dimension.key)
                                .as_bytes()
                                .get(i)
                                .copied(),
                        )
                    })
                    .collect();
                assert_eq!(low_from_marks, low_from_answers, "{key}");
            }
        }
        assert!(
            distributions_of_marks(2, [""])
                .iter()
                .all(|d| d.unanswered == 1)
        );
    }

    #[test]
    fn domain_summaries_from_stored_scores_equal_summaries_from_the_answers() {
        let instrument = forum();
        let all = varied_answers(&instrument, 40);
        let scores: Vec<ResponseScores> = all
            .iter()
            .map(|a| ResponseScores::from_answers(&instrument, a))
            .collect();
        let expected = domain_summaries(&instrument, &all);
        assert!(expected.iter().any(|s| s.producers > 0 && s.needers > 0));
        let stored: Vec<StoredScores> = scores.iter().map(StoredScores::of).collect();
        assert_eq!(domain_summaries_of_stored(&instrument, &stored), expected);
    }

    #[test]
    fn malformed_stored_scores_are_refused_and_odd_keys_are_not_stored() {
        for (dimensions, domains) in [
            ("legal:1:2", ""),
            ("legal:x:1:0:1", ""),
            ("legal:1:1:0:9", ""),
            // The form before the answer marks: recomputed rather than read.
            ("legal:1:1:0", ""),
            ("legal:1:1:0:1:", ""),
            ("", "asylum:q:"),
            ("", "asylum:p"),
            ("", ":p:sex"),
        ] {
            let stored = StoredScores {
                dimensions: dimensions.into(),
                domains: domains.into(),
            };
            assert!(!stored.is_valid(), "{dimensions} {domains}");
            assert_eq!(stored.scores(), None);
        }
        assert_eq!(
            StoredScores::default().scores(),
            Some(ResponseScores::default())
        );
        let odd = ResponseScores {
            dimensions: vec![],
            domains: vec![DomainFlags {
                domain: "asylum".into(),
                producer: true,
                disaggregations: strings(&["sex|age"]),
                ..DomainFlags::default()
            }],
        };
        assert!(!odd.is_storable());
    }
}
