//! Tests of reading, storing, relevance and progress of answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::domain::instrument::{Text, forum_instrument};

fn forum() -> Instrument {
    forum_instrument().unwrap()
}

fn raw(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn parse(
    instrument: &Instrument,
    key: &str,
    values: &[&str],
) -> Result<Option<AnswerValue>, AnswerError> {
    let item = instrument.item(key).unwrap();
    parse_answer(item, instrument, &raw(values))
}

fn item(kind: ItemKind) -> Item {
    Item {
        key: "x".to_string(),
        kind,
        label: Text::new("X", "X"),
        help: None,
        required: false,
        relevant_when: None,
    }
}

fn number(min: Option<f64>, max: Option<f64>, integer: bool) -> Item {
    item(ItemKind::Number { min, max, integer })
}

fn text(max_length: usize, multiline: bool) -> Item {
    item(ItemKind::Text {
        max_length,
        multiline,
    })
}

// ---- storage encoding ------------------------------------------------------------------

#[test]
fn every_kind_round_trips_through_storage() {
    let instrument = forum();
    let maturity = instrument.item("legal.mandate").unwrap().kind.clone();
    let single = instrument.item("about.sector").unwrap().kind.clone();
    let (_, group) = instrument.mechanisms().unwrap();
    let multiple = group.field("domains").unwrap().kind.clone();
    let partner = group.field("partner").unwrap().kind.clone();
    let cases = [
        (&maturity, AnswerValue::Level(0), "0"),
        (&maturity, AnswerValue::Level(4), "4"),
        (&maturity, AnswerValue::NotApplicable, "na"),
        (&maturity, AnswerValue::DontKnow, "dk"),
        (&single, AnswerValue::Choice("health".into()), "health"),
        (
            &multiple,
            AnswerValue::Choices(vec!["asylum".into(), "returns".into()]),
            "asylum|returns",
        ),
        (&ItemKind::YesNo, AnswerValue::Bool(true), "yes"),
        (&ItemKind::YesNo, AnswerValue::Bool(false), "no"),
        (
            &number(None, None, false).kind,
            AnswerValue::Number(1234.5),
            "1234.5",
        ),
        (
            &number(None, None, true).kind,
            AnswerValue::Number(30.0),
            "30",
        ),
        (
            &number(None, None, false).kind,
            AnswerValue::Number(-0.25),
            "-0.25",
        ),
        (
            &text(10, true).kind,
            AnswerValue::Text("línea 1\nlínea 2".into()),
            "línea 1\nlínea 2",
        ),
        (
            &partner,
            AnswerValue::Partner(PartnerRef::Organization("org-17".into())),
            "org:org-17",
        ),
        (
            &partner,
            AnswerValue::Partner(PartnerRef::Outside("ACNUR: oficina".into())),
            "ext:ACNUR: oficina",
        ),
    ];
    for (kind, value, stored) in cases {
        assert_eq!(value.encode(), stored);
        assert_eq!(AnswerValue::decode(kind, stored), Some(value), "{stored}");
    }
    assert_eq!(AnswerValue::Number(-0.0).encode(), "0");
}

#[test]
fn decode_refuses_text_of_another_kind() {
    let maturity = forum().item("legal.mandate").unwrap().kind.clone();
    for stored in ["5", "03", "-1", "", "yes"] {
        assert_eq!(AnswerValue::decode(&maturity, stored), None, "{stored}");
    }
    assert_eq!(AnswerValue::decode(&ItemKind::YesNo, "true"), None);
    assert_eq!(
        AnswerValue::decode(&number(None, None, false).kind, "NaN"),
        None
    );
    assert_eq!(AnswerValue::decode(&ItemKind::Partner, "ACNUR"), None);
    assert_eq!(
        AnswerValue::decode(&ItemKind::SingleChoice { list: "l".into() }, ""),
        None
    );
}

// ---- form parsing ------------------------------------------------------------------------

#[test]
fn blank_means_no_answer() {
    let instrument = forum();
    for key in [
        "legal.mandate",
        "about.sector",
        "about.staff",
        "about.priorities",
    ] {
        assert_eq!(parse(&instrument, key, &[]), Ok(None), "{key}");
        assert_eq!(parse(&instrument, key, &["  ", ""]), Ok(None), "{key}");
    }
}

#[test]
fn maturity_takes_levels_na_and_dk() {
    let instrument = forum();
    assert_eq!(
        parse(&instrument, "legal.mandate", &["3"]),
        Ok(Some(AnswerValue::Level(3)))
    );
    assert_eq!(
        parse(&instrument, "legal.mandate", &[" NA "]),
        Ok(Some(AnswerValue::NotApplicable))
    );
    assert_eq!(
        parse(&instrument, "legal.mandate", &["dk"]),
        Ok(Some(AnswerValue::DontKnow))
    );
    for bad in ["5", "-1", "2.5", "three", "04"] {
        assert_eq!(
            parse(&instrument, "legal.mandate", &[bad]),
            Err(AnswerError::NotALevel),
            "{bad}"
        );
    }
}

#[test]
fn single_choice_checks_the_code_list() {
    let instrument = forum();
    assert_eq!(
        parse(&instrument, "about.sector", &["health"]),
        Ok(Some(AnswerValue::Choice("health".into())))
    );
    assert_eq!(
        parse(&instrument, "about.sector", &["pirates"]),
        Err(AnswerError::UnknownOption {
            value: "pirates".into()
        })
    );
    assert_eq!(
        parse(&instrument, "about.sector", &["health", "labour"]),
        Err(AnswerError::TooManyValues)
    );
    let orphan = item(ItemKind::SingleChoice {
        list: "gone".into(),
    });
    assert_eq!(
        parse_answer(&orphan, &instrument, &raw(&["a"])),
        Err(AnswerError::UnknownCodeList {
            list: "gone".into()
        })
    );
}

#[test]
fn multiple_choice_dedupes_and_keeps_list_order() {
    let instrument = forum();
    let (_, group) = instrument.mechanisms().unwrap();
    let domains = group.field("domains").unwrap();
    assert_eq!(
        parse_answer(
            domains,
            &instrument,
            &raw(&["returns", "border_flows", "returns", " "])
        ),
        Ok(Some(AnswerValue::Choices(vec![
            "border_flows".into(),
            "returns".into()
        ])))
    );
    assert_eq!(
        parse_answer(domains, &instrument, &raw(&["returns", "a|b"])),
        Err(AnswerError::UnknownOption {
            value: "a|b".into()
        })
    );
}

#[test]
fn yes_no_takes_only_yes_or_no() {
    let yes_no = item(ItemKind::YesNo);
    let instrument = forum();
    assert_eq!(
        parse_answer(&yes_no, &instrument, &raw(&["Yes"])),
        Ok(Some(AnswerValue::Bool(true)))
    );
    assert_eq!(
        parse_answer(&yes_no, &instrument, &raw(&["no"])),
        Ok(Some(AnswerValue::Bool(false)))
    );
    assert_eq!(
        parse_answer(&yes_no, &instrument, &raw(&["si"])),
        Err(AnswerError::NotYesOrNo)
    );
}

#[test]
fn numbers_accept_point_or_comma_and_respect_bounds() {
    let instrument = forum();
    let free = number(None, None, false);
    let check = |item: &Item, value: &str| parse_answer(item, &instrument, &raw(&[value]));
    assert_eq!(
        check(&free, "1234.5"),
        Ok(Some(AnswerValue::Number(1234.5)))
    );
    assert_eq!(
        check(&free, "1234,5"),
        Ok(Some(AnswerValue::Number(1234.5)))
    );
    assert_eq!(check(&free, "-3"), Ok(Some(AnswerValue::Number(-3.0))));
    assert_eq!(check(&free, "-0"), Ok(Some(AnswerValue::Number(0.0))));
    for bad in [
        "abc", "1.234,5", "1 234", "inf", "NaN", "infinity", "1e5", "-", ".", "0x10",
    ] {
        assert_eq!(check(&free, bad), Err(AnswerError::NotANumber), "{bad}");
    }
    assert_eq!(
        check(&free, "10000000000000000"),
        Err(AnswerError::TooLarge)
    );
    assert_eq!(check(&free, &"9".repeat(400)), Err(AnswerError::TooLarge));
    assert_eq!(
        parse(&instrument, "about.staff", &["12.5"]),
        Err(AnswerError::NotAnInteger)
    );
    assert_eq!(
        parse(&instrument, "about.staff", &["-1"]),
        Err(AnswerError::BelowMin { min: 0.0 })
    );
    assert_eq!(
        parse(&instrument, "about.staff", &["100001"]),
        Err(AnswerError::AboveMax { max: 100000.0 })
    );
    assert_eq!(
        parse(&instrument, "about.staff", &["25"]),
        Ok(Some(AnswerValue::Number(25.0)))
    );
}

#[test]
fn text_is_cleaned_and_measured_in_characters() {
    let instrument = forum();
    let multiline = text(5, true);
    let single = text(20, false);
    let check = |item: &Item, value: &str| parse_answer(item, &instrument, &raw(&[value]));
    assert_eq!(
        check(&multiline, "  a\r\nb\rc \u{0}"),
        Ok(Some(AnswerValue::Text("a\nb\nc".into())))
    );
    assert_eq!(
        check(&single, "line one\nline two"),
        Ok(Some(AnswerValue::Text("line one line two".into())))
    );
    // Five characters, ten bytes: within the limit.
    assert_eq!(
        check(&multiline, "ñáéíó"),
        Ok(Some(AnswerValue::Text("ñáéíó".into())))
    );
    assert_eq!(
        check(&multiline, "ñáéíóú"),
        Err(AnswerError::TooLong { max: 5 })
    );
    assert_eq!(check(&single, "\u{7}\u{1b}"), Ok(None));
}

#[test]
fn partner_is_an_organization_or_an_outside_body() {
    let instrument = forum();
    let (_, group) = instrument.mechanisms().unwrap();
    let partner = group.field("partner").unwrap();
    let check = |value: &str| parse_answer(partner, &instrument, &raw(&[value]));
    assert_eq!(
        check("org:42"),
        Ok(Some(AnswerValue::Partner(PartnerRef::Organization(
            "42".into()
        ))))
    );
    assert_eq!(
        check("ext: ACNUR "),
        Ok(Some(AnswerValue::Partner(PartnerRef::Outside(
            "ACNUR".into()
        ))))
    );
    assert_eq!(
        check("Banco Central"),
        Ok(Some(AnswerValue::Partner(PartnerRef::Outside(
            "Banco Central".into()
        ))))
    );
    assert_eq!(check("org: "), Err(AnswerError::NoPartner));
    assert_eq!(check("ext:"), Err(AnswerError::NoPartner));
    assert_eq!(
        check(&"x".repeat(PARTNER_NAME_MAX_CHARS + 1)),
        Err(AnswerError::TooLong {
            max: PARTNER_NAME_MAX_CHARS
        })
    );
}

#[test]
fn evidence_is_optional_and_bounded() {
    assert_eq!(parse_evidence(&raw(&["  "])), Ok(None));
    assert_eq!(
        parse_evidence(&raw(&[" Ley 3 de 2008\r\nart. 12 "])),
        Ok(Some("Ley 3 de 2008\nart. 12".into()))
    );
    assert_eq!(
        parse_evidence(&raw(&[&"é".repeat(EVIDENCE_MAX_CHARS + 1)])),
        Err(AnswerError::TooLong {
            max: EVIDENCE_MAX_CHARS
        })
    );
}

#[test]
fn error_messages_speak_both_languages() {
    let max = AnswerError::AboveMax { max: 500.0 };
    assert_eq!(max.message(Lang::Es), "El valor debe ser como máximo 500.");
    assert_eq!(max.message(Lang::En), "The value must be at most 500.");
    let min = AnswerError::BelowMin { min: 0.5 };
    assert_eq!(min.message(Lang::Es), "El valor debe ser como mínimo 0,5.");
    assert_eq!(min.message(Lang::En), "The value must be at least 0.5.");
    let all = [
        AnswerError::NotALevel,
        AnswerError::UnknownOption {
            value: "z".repeat(100),
        },
        AnswerError::NotYesOrNo,
        AnswerError::NotANumber,
        AnswerError::AmbiguousNumber,
        AnswerError::TooLarge,
        AnswerError::NotAnInteger,
        AnswerError::TooLong { max: 10 },
        AnswerError::TooManyValues,
        AnswerError::NoPartner,
        AnswerError::UnknownCodeList { list: "l".into() },
    ];
    for error in all {
        let (es, en) = (error.message(Lang::Es), error.message(Lang::En));
        assert_ne!(es, en);
        assert!(es.ends_with('.') && en.ends_with('.'), "{es} / {en}");
        assert!(
            es.chars().count() < 80 && en.chars().count() < 80,
            "{es} / {en}"
        );
        assert_eq!(error.to_string(), en);
    }
}

// ---- relevance and progress -----------------------------------------------------------------

#[test]
fn relevance_follows_the_answer_it_depends_on() {
    let instrument = forum();
    let other = instrument.item("about.sector_other").unwrap();
    let mut answers = BTreeMap::new();
    assert!(!is_relevant(other, |k| answers.get(k)));
    answers.insert(
        "about.sector".to_string(),
        AnswerValue::Choice("health".into()),
    );
    assert!(!is_relevant(other, |k| answers.get(k)));
    answers.insert(
        "about.sector".to_string(),
        AnswerValue::Choice("other".into()),
    );
    assert!(is_relevant(other, |k| answers.get(k)));
    assert!(is_relevant(instrument.item("about.sector").unwrap(), |k| {
        answers.get(k)
    }));

    let (_, group) = instrument.mechanisms().unwrap();
    let protection = group.field("protection").unwrap();
    let yes = AnswerValue::Bool(true);
    let no = AnswerValue::Bool(false);
    assert!(is_relevant(protection, |_| Some(&yes)));
    assert!(!is_relevant(protection, |_| Some(&no)));

    let choices = AnswerValue::Choices(vec!["b".into(), "c".into()]);
    assert!(choices.matches_any(&["c".to_string()]));
    assert!(!choices.matches_any(&["a".to_string()]));
    assert!(AnswerValue::Level(2).matches_any(&["2".to_string()]));
    assert!(AnswerValue::DontKnow.matches_any(&["dk".to_string()]));
    assert!(!AnswerValue::Text("2".into()).matches_any(&["2".to_string()]));
}

#[test]
fn progress_counts_relevant_required_items() {
    let instrument = forum();
    let about = instrument.section("about").unwrap();
    let mut answers = BTreeMap::new();
    assert_eq!(
        progress(&instrument, about, &answers),
        Progress {
            required: 4,
            answered: 0
        }
    );
    answers.insert(
        "about.sector".to_string(),
        AnswerValue::Choice("other".into()),
    );
    answers.insert("about.staff".to_string(), AnswerValue::Number(3.0));
    let step = progress(&instrument, about, &answers);
    assert_eq!(
        step,
        Progress {
            required: 5,
            answered: 1
        }
    );
    assert_eq!(step.percent(), 20);
    assert!(!step.is_complete());
}

#[test]
fn not_applicable_and_dont_know_count_as_answered() {
    let instrument = forum();
    let legal = instrument.section("legal").unwrap();
    let answers: BTreeMap<String, AnswerValue> = [
        ("legal.mandate", AnswerValue::NotApplicable),
        ("legal.confidentiality", AnswerValue::DontKnow),
        ("legal.sharing", AnswerValue::Level(0)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(
        progress(&instrument, legal, &answers),
        Progress {
            required: 4,
            answered: 3
        }
    );
    assert_eq!(AnswerValue::NotApplicable.level(), None);
    assert_eq!(AnswerValue::Level(3).level(), Some(3));
}

#[test]
fn grid_progress_counts_domain_rows() {
    let instrument = forum();
    let (section, _) = instrument.grid().unwrap();
    let mut answers = BTreeMap::new();
    assert_eq!(
        progress(&instrument, section, &answers),
        Progress {
            required: 17,
            answered: 0
        }
    );
    answers.insert(
        grid_cell_key("domains", "asylum", "collects"),
        AnswerValue::Choice("yes".into()),
    );
    answers.insert(
        grid_cell_key("domains", "returns", "collects"),
        AnswerValue::Choice("no".into()),
    );
    assert_eq!(
        progress(&instrument, section, &answers),
        Progress {
            required: 17,
            answered: 2
        }
    );
}

#[test]
fn mechanisms_have_nothing_required_in_progress() {
    let instrument = forum();
    let (section, group) = instrument.mechanisms().unwrap();
    let progress = progress(&instrument, section, &BTreeMap::new());
    assert_eq!(
        progress,
        Progress {
            required: 0,
            answered: 0
        }
    );
    assert_eq!(progress.percent(), 100);
    let mut entry = BTreeMap::new();
    assert_eq!(
        missing_mechanism_fields(group, &entry),
        ["name", "partner", "direction", "domains", "status"]
    );
    entry.insert("name".to_string(), AnswerValue::Text("Entradas".into()));
    entry.insert("status".to_string(), AnswerValue::Choice("active".into()));
    assert_eq!(
        missing_mechanism_fields(group, &entry),
        ["partner", "direction", "domains"]
    );
}

#[test]
fn missing_required_lists_items_and_grid_cells_in_order() {
    let instrument = forum();
    let mut answers = BTreeMap::new();
    let missing = missing_required(&instrument, &answers);
    assert_eq!(missing.len(), 4 + 30 + 17);
    assert_eq!(
        missing[0],
        ("about".to_string(), "about.sector".to_string())
    );
    assert_eq!(
        missing[4],
        ("legal".to_string(), "legal.mandate".to_string())
    );
    assert_eq!(
        missing.last(),
        Some(&(
            "domains".to_string(),
            "domains.complaints_rights.collects".to_string()
        ))
    );
    answers.insert(
        "about.sector".to_string(),
        AnswerValue::Choice("other".into()),
    );
    answers.insert("legal.mandate".to_string(), AnswerValue::DontKnow);
    let missing = missing_required(&instrument, &answers);
    // sector_other became relevant, legal.mandate is answered.
    assert_eq!(missing.len(), 4 + 29 + 17);
    assert_eq!(
        missing[0],
        ("about".to_string(), "about.sector_other".to_string())
    );
}
