//! Property tests: whatever a browser (or anyone else) posts, reading an answer never panics, a
//! value inside an item's levels, options, bounds or length is taken as typed, and one outside is
//! refused with the matching error. Shared strategies are `pub(crate)` for the section form's
//! tests.

use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use super::*;
use crate::domain::instrument::{Text, forum_instrument};

pub(crate) const CASES: u32 = 256;

/// 256 cases; a failure is reported with its minimal input rather than written to a
/// `proptest-regressions/` folder (a case worth keeping becomes a plain unit test).
pub(crate) fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

pub(crate) static FORUM: LazyLock<Instrument> =
    LazyLock::new(|| forum_instrument().expect("the forum instrument loads"));

/// Every item of the forum instrument: items, grid columns and mechanism fields.
pub(crate) fn every_item() -> Vec<&'static Item> {
    FORUM
        .sections
        .iter()
        .flat_map(|section| -> Vec<&'static Item> {
            match &section.body {
                SectionBody::Items(items) => items.iter().collect(),
                SectionBody::DomainGrid(grid) => grid.columns.iter().collect(),
                SectionBody::Mechanisms(group) => group.fields.iter().collect(),
            }
        })
        .collect()
}

fn option_keys(list: &str) -> Vec<String> {
    FORUM
        .code_list(list)
        .map(|l| l.options.iter().map(|o| o.key.clone()).collect())
        .unwrap_or_default()
}

/// Text a person could type on one line (any printable character, HTML and SQL
/// metacharacters included), trimmed and not blank, at most `max` characters.
pub(crate) fn typed_text(max: usize, multiline: bool) -> BoxedStrategy<String> {
    let piece = if multiline {
        "(\\PC|\n){1,60}"
    } else {
        "\\PC{1,60}"
    };
    prop_oneof![
        piece,
        Just("<script>alert(1)</script>".to_string()),
        Just("'; DROP TABLE users; --".to_string()),
        Just("=HYPERLINK(\"http://x\")".to_string()),
    ]
    .prop_map(move |s| s.trim().chars().take(max).collect::<String>())
    .prop_map(|s| s.trim().to_string())
    .prop_filter("not blank", |s| !s.is_empty())
    .boxed()
}

/// A valid answer to `item` (of the forum instrument).
pub(crate) fn valid_answer(item: &'static Item) -> BoxedStrategy<AnswerValue> {
    match &item.kind {
        ItemKind::Maturity { .. } => prop_oneof![
            (0..=MAX_LEVEL).prop_map(AnswerValue::Level),
            Just(AnswerValue::NotApplicable),
            Just(AnswerValue::DontKnow),
        ]
        .boxed(),
        ItemKind::SingleChoice { list } => select(option_keys(list))
            .prop_map(AnswerValue::Choice)
            .boxed(),
        ItemKind::MultipleChoice { list } => {
            let keys = option_keys(list);
            let len = keys.len();
            subsequence(keys, 1..=len)
                .prop_map(AnswerValue::Choices)
                .boxed()
        }
        ItemKind::YesNo => any::<bool>().prop_map(AnswerValue::Bool).boxed(),
        ItemKind::Number { min, max, integer } => {
            let low = min.unwrap_or(-1e9);
            let high = max.unwrap_or(1e9);
            if *integer {
                (low as i64..=high as i64)
                    .prop_map(|n| AnswerValue::Number(n as f64))
                    .boxed()
            } else {
                (low..=high).prop_map(AnswerValue::Number).boxed()
            }
        }
        ItemKind::Text {
            max_length,
            multiline,
        } => typed_text(*max_length, *multiline)
            .prop_map(AnswerValue::Text)
            .boxed(),
        ItemKind::Partner => prop_oneof![
            "[a-z0-9-]{1,20}".prop_map(PartnerRef::Organization),
            typed_text(PARTNER_NAME_MAX_CHARS, false).prop_map(PartnerRef::Outside),
        ]
        .prop_map(AnswerValue::Partner)
        .boxed(),
    }
}

/// What a form posts for `value`: one field value each (a multiple choice posts one per key).
pub(crate) fn posted(value: &AnswerValue) -> Vec<String> {
    match value {
        AnswerValue::Choices(keys) => keys.clone(),
        other => vec![other.encode()],
    }
}

/// An item with the forum's kinds and made-up bounds, to reach limits the forum file lacks.
fn bare(kind: ItemKind) -> Item {
    Item {
        key: "x".to_string(),
        kind,
        label: Text::new("X", "X"),
        help: None,
        required: false,
        relevant_when: None,
    }
}

/// Anything a client can send in one field: junk, near misses and huge numbers.
fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "\\PC{0,30}",
        "[-+]?[0-9]{0,30}([.,][0-9]{0,30})?",
        "[0-9]{1,3}(e|E)[-+]?[0-9]{1,4}",
        Just("1e400".to_string()),
        Just("99999999999999999999".to_string()),
        Just("-99999999999999999999".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("\u{0}".to_string()),
        Just("org:".to_string()),
        Just("ext:".to_string()),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_posted_values_never_panic_and_errors_match_the_kind(
        item in select(every_item()),
        raw in proptest::collection::vec(hostile_value(), 0..4),
    ) {
        match parse_answer(item, &FORUM, &raw) {
            Ok(Some(value)) => {
                // What is accepted is what the storage can read back.
                prop_assert_eq!(AnswerValue::decode(&item.kind, &value.encode()), Some(value));
            }
            Ok(None) => {
                let blank = raw.iter().all(|v| v.trim().is_empty());
                let text = matches!(item.kind, ItemKind::Text { .. });
                prop_assert!(blank || text, "{:?}", raw);
            }
            Err(error) => {
                // Each message is a sentence in both languages.
                prop_assert!(!error.message(Lang::Es).is_empty());
                prop_assert!(!error.message(Lang::En).is_empty());
            }
        }
    }

    #[test]
    fn a_valid_answer_is_accepted_as_posted(
        (item, value) in select(every_item())
            .prop_flat_map(|item| (Just(item), valid_answer(item)))
    ) {
        let parsed = parse_answer(item, &FORUM, &posted(&value));
        prop_assert_eq!(parsed, Ok(Some(value.clone())));
        prop_assert_eq!(AnswerValue::decode(&item.kind, &value.encode()), Some(value));
    }

    #[test]
    fn maturity_takes_exactly_the_levels_na_and_dk(value in hostile_value()) {
        let item = FORUM.item("legal.mandate").expect("legal.mandate");
        let wanted = value.trim().to_ascii_lowercase();
        let parsed = parse_answer(item, &FORUM, std::slice::from_ref(&value));
        match wanted.as_str() {
            "" => prop_assert_eq!(parsed, Ok(None)),
            "na" => prop_assert_eq!(parsed, Ok(Some(AnswerValue::NotApplicable))),
            "dk" => prop_assert_eq!(parsed, Ok(Some(AnswerValue::DontKnow))),
            "0" | "1" | "2" | "3" | "4" => prop_assert_eq!(
                parsed,
                Ok(Some(AnswerValue::Level(wanted.parse().expect("a digit"))))
            ),
            _ => prop_assert_eq!(parsed, Err(AnswerError::NotALevel)),
        }
    }

    #[test]
    fn choices_outside_the_code_list_are_refused(
        value in hostile_value(),
        known in select(option_keys("sectors")),
    ) {
        let single = FORUM.item("about.sector").expect("about.sector");
        let multiple = bare(ItemKind::MultipleChoice { list: "sectors".into() });
        let trimmed = value.trim();
        prop_assume!(!trimmed.is_empty());
        let inside = option_keys("sectors").iter().any(|k| k == trimmed);
        let parsed = parse_answer(single, &FORUM, std::slice::from_ref(&value));
        let both = parse_answer(&multiple, &FORUM, &[known.clone(), value.clone()]);
        if inside {
            prop_assert_eq!(parsed, Ok(Some(AnswerValue::Choice(trimmed.to_string()))));
            prop_assert!(both.is_ok());
        } else {
            let refused = Err(AnswerError::UnknownOption { value: trimmed.to_string() });
            prop_assert_eq!(parsed, refused.clone());
            prop_assert_eq!(both, refused);
        }
    }

    #[test]
    fn numbers_inside_the_bounds_are_taken_and_outside_refused(
        min in -1000i32..1000,
        span in 0i32..1000,
        value in -3000i32..3000,
        quarters in 0u8..4,
        integer in any::<bool>(),
    ) {
        let (min, max) = (f64::from(min), f64::from(min + span));
        let item = bare(ItemKind::Number { min: Some(min), max: Some(max), integer });
        let number = f64::from(value) + f64::from(quarters) * 0.25;
        let parsed = parse_answer(&item, &FORUM, &[format_number(number)]);
        // Spanish habit: a decimal comma (never with three decimals, see AmbiguousNumber).
        let comma = parse_answer(&item, &FORUM, &[format_number(number).replace('.', ",")]);
        prop_assert_eq!(&parsed, &comma);
        if integer && number.fract() != 0.0 {
            prop_assert_eq!(parsed, Err(AnswerError::NotAnInteger));
        } else if number < min {
            prop_assert_eq!(parsed, Err(AnswerError::BelowMin { min }));
        } else if number > max {
            prop_assert_eq!(parsed, Err(AnswerError::AboveMax { max }));
        } else {
            prop_assert_eq!(parsed, Ok(Some(AnswerValue::Number(number))));
        }
    }

    #[test]
    fn huge_or_exotic_numbers_are_refused(
        digits in "[1-9][0-9]{16,400}",
        exponent in "[0-9]{1,3}[eE][-+]?[0-9]{1,4}",
    ) {
        let item = bare(ItemKind::Number { min: None, max: None, integer: false });
        prop_assert_eq!(
            parse_answer(&item, &FORUM, std::slice::from_ref(&digits)),
            Err(AnswerError::TooLarge)
        );
        prop_assert_eq!(
            parse_answer(&item, &FORUM, std::slice::from_ref(&exponent)),
            Err(AnswerError::NotANumber)
        );
    }

    #[test]
    fn text_is_taken_up_to_its_length_and_refused_beyond(
        text in typed_text(400, true),
        max_length in 1usize..300,
        multiline in any::<bool>(),
    ) {
        let item = bare(ItemKind::Text { max_length, multiline });
        let parsed = parse_answer(&item, &FORUM, std::slice::from_ref(&text));
        let expected = if multiline {
            text.clone()
        } else {
            text.replace('\n', " ").trim().to_string()
        };
        if expected.chars().count() > max_length {
            prop_assert_eq!(parsed, Err(AnswerError::TooLong { max: max_length }));
        } else {
            prop_assert_eq!(parsed, Ok(Some(AnswerValue::Text(expected))));
        }
    }

    #[test]
    fn evidence_and_partner_names_are_bounded(
        text in typed_text(2 * EVIDENCE_MAX_CHARS, true),
        repeat in 1usize..40,
    ) {
        let long = text.repeat(repeat);
        let cleaned = long.trim().to_string();
        let evidence = parse_evidence(std::slice::from_ref(&long));
        if cleaned.chars().count() > EVIDENCE_MAX_CHARS {
            prop_assert_eq!(evidence, Err(AnswerError::TooLong { max: EVIDENCE_MAX_CHARS }));
        } else {
            prop_assert_eq!(evidence, Ok(Some(cleaned)));
        }
        let one_line = long.replace('\n', " ");
        let name = one_line.trim();
        let partner = parse_answer(&bare(ItemKind::Partner), &FORUM, &[format!("ext:{one_line}")]);
        if name.chars().count() > PARTNER_NAME_MAX_CHARS {
            prop_assert_eq!(partner, Err(AnswerError::TooLong { max: PARTNER_NAME_MAX_CHARS }));
        } else {
            prop_assert_eq!(
                partner,
                Ok(Some(AnswerValue::Partner(PartnerRef::Outside(name.to_string()))))
            );
        }
    }
}
