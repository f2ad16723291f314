//! What the analysis tests share: the forum instrument, answer builders, a graded grid and the
//! reference counts the distributions from stored marks are checked against.

use super::{Answers, Distribution};
use crate::domain::answers::AnswerValue;
pub(crate) use crate::domain::answers::AnswerValue::{DontKnow, Level, NotApplicable};
use crate::domain::instrument::Instrument;
pub(crate) use crate::domain::instrument::SectionBody;
use crate::domain::instrument::forum_instrument;

pub(crate) fn forum() -> Instrument {
    forum_instrument().unwrap()
}

pub(crate) fn answers(pairs: &[(&str, AnswerValue)]) -> Answers {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.clone()))
        .collect()
}

pub(crate) fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| value.to_string()).collect()
}

pub(crate) fn close(actual: Option<f64>, expected: f64) -> bool {
    actual.is_some_and(|actual| (actual - expected).abs() < 1e-12)
}

pub(crate) fn yes(value: bool) -> AnswerValue {
    AnswerValue::Bool(value)
}

pub(crate) fn choice(value: &str) -> AnswerValue {
    AnswerValue::Choice(value.to_string())
}

pub(crate) fn choices(values: &[&str]) -> AnswerValue {
    AnswerValue::Choices(strings(values))
}

/// Three organizations answering the forum grid, with hand-counted results in the tests.
pub(crate) fn grid_responses() -> Vec<Answers> {
    vec![
        answers(&[
            ("domains.asylum.collects", choice("yes")),
            ("domains.asylum.source", choices(&["admin_register"])),
            (
                "domains.asylum.disaggregations",
                choices(&["sex", "nationality"]),
            ),
            ("domains.asylum.frequency", choice("monthly")),
            ("domains.asylum.published", yes(true)),
            ("domains.asylum.needed", yes(false)),
            ("domains.returns.needed", yes(true)),
            ("domains.work_permits.collects", choice("yes")),
            ("domains.work_permits.disaggregations", choices(&["sex"])),
            ("domains.health.collects", choice("partly")),
        ]),
        answers(&[
            ("domains.asylum.collects", choice("partly")),
            ("domains.asylum.disaggregations", choices(&["sex", "age"])),
            ("domains.asylum.published", yes(false)),
            ("domains.asylum.needed", yes(true)),
        ]),
        answers(&[
            // Left over from before the answer became "no": must not count.
            ("domains.asylum.collects", choice("no")),
            ("domains.asylum.disaggregations", choices(&["ethnicity"])),
            ("domains.asylum.published", yes(true)),
            ("domains.returns.collects", choice("no")),
            ("domains.returns.needed", yes(true)),
            ("domains.health.needed", yes(true)),
        ]),
    ]
}

/// Counts one answer: the rule [`answer_mark`] and `Distribution::count_mark` keep for the
/// dimension pages, which the tests check them against.
fn count(distribution: &mut Distribution, answer: Option<&AnswerValue>) {
    match answer {
        Some(AnswerValue::NotApplicable) => distribution.not_applicable += 1,
        Some(AnswerValue::DontKnow) => distribution.dont_know += 1,
        Some(AnswerValue::Level(level)) => match distribution.levels.get_mut(usize::from(*level)) {
            Some(count) => *count += 1,
            // Same rule as the matrix: an out-of-scale level is no answer.
            None => distribution.unanswered += 1,
        },
        _ => distribution.unanswered += 1,
    }
}

/// The distribution of one item across the given responses (the tests' reference for the
/// distributions the dimension pages count from stored marks).
pub(crate) fn distribution<'a>(
    item_key: &str,
    responses: impl IntoIterator<Item = &'a Answers>,
) -> Distribution {
    let mut distribution = Distribution::default();
    for answers in responses {
        count(&mut distribution, answers.get(item_key));
    }
    distribution
}

/// The distributions of several items (one per key, in the same order) in one pass over the
/// responses (the tests' reference, as [`distribution`]).
pub(crate) fn distributions<'a, K: AsRef<str>>(
    item_keys: &[K],
    responses: impl IntoIterator<Item = &'a Answers>,
) -> Vec<Distribution> {
    let mut found = vec![Distribution::default(); item_keys.len()];
    for answers in responses {
        for (key, distribution) in item_keys.iter().zip(found.iter_mut()) {
            count(distribution, answers.get(key.as_ref()));
        }
    }
    found
}
