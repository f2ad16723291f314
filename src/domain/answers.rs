//! Answers against the instrument: reading them from forms, storing them as text, relevance and progress.

use std::collections::BTreeMap;

use super::instrument::{
    DomainGrid, Instrument, Item, ItemKind, MAX_LEVEL, MechanismGroup, Section, SectionBody,
    grid_cell_key,
};
use super::lang::Lang;
use crate::i18n::{tr, tr_args};

/// Beyond this a number is a typing mistake, and it would lose precision as text.
pub const NUMBER_LIMIT: f64 = 1e15;

/// The longest evidence text a maturity answer takes, in characters.
pub const EVIDENCE_MAX_CHARS: usize = 2000;

/// The longest name typed for an outside partner, in characters.
pub const PARTNER_NAME_MAX_CHARS: usize = 200;

/// One answer to one item.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerValue {
    /// A maturity level, 0..=4.
    Level(u8),
    NotApplicable,
    DontKnow,
    Choice(String),
    /// Option keys in code-list order, without repeats.
    Choices(Vec<String>),
    Bool(bool),
    Number(f64),
    Text(String),
    Partner(PartnerRef),
}

/// The other side of a mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerRef {
    /// One of the assessment's organizations, by id.
    Organization(String),
    /// A body outside the forum, by the name the respondent typed.
    Outside(String),
}

impl AnswerValue {
    /// The text stored in the answer's column; [`AnswerValue::decode`] reads it back.
    pub fn encode(&self) -> String {
        match self {
            AnswerValue::Level(level) => level.to_string(),
            AnswerValue::NotApplicable => "na".to_string(),
            AnswerValue::DontKnow => "dk".to_string(),
            AnswerValue::Choice(key) => key.clone(),
            AnswerValue::Choices(keys) => keys.join("|"),
            AnswerValue::Bool(true) => "yes".to_string(),
            AnswerValue::Bool(false) => "no".to_string(),
            AnswerValue::Number(number) => format_number(*number),
            AnswerValue::Text(text) => text.clone(),
            AnswerValue::Partner(PartnerRef::Organization(id)) => format!("org:{id}"),
            AnswerValue::Partner(PartnerRef::Outside(name)) => format!("ext:{name}"),
        }
    }

    /// Reads a stored answer for an item of `kind`; `None` when the text does not fit the kind
    /// (e.g. the item changed kind in a new version of the instrument).
    pub fn decode(kind: &ItemKind, stored: &str) -> Option<AnswerValue> {
        match kind {
            ItemKind::Maturity { .. } => match stored {
                "na" => Some(AnswerValue::NotApplicable),
                "dk" => Some(AnswerValue::DontKnow),
                _ => parse_level(stored).map(AnswerValue::Level),
            },
            ItemKind::SingleChoice { .. } => {
                (!stored.is_empty()).then(|| AnswerValue::Choice(stored.to_string()))
            }
            ItemKind::MultipleChoice { .. } => {
                let keys = stored
                    .split('|')
                    .filter(|key| !key.is_empty())
                    .map(str::to_string)
                    .collect();
                Some(AnswerValue::Choices(keys))
            }
            ItemKind::YesNo => match stored {
                "yes" => Some(AnswerValue::Bool(true)),
                "no" => Some(AnswerValue::Bool(false)),
                _ => None,
            },
            ItemKind::Number { .. } => {
                let number: f64 = stored.parse().ok()?;
                number.is_finite().then_some(AnswerValue::Number(number))
            }
            ItemKind::Text { .. } => Some(AnswerValue::Text(stored.to_string())),
            ItemKind::Partner => {
                if let Some(id) = stored.strip_prefix("org:") {
                    Some(AnswerValue::Partner(PartnerRef::Organization(
                        id.to_string(),
                    )))
                } else {
                    let name = stored.strip_prefix("ext:")?;
                    Some(AnswerValue::Partner(PartnerRef::Outside(name.to_string())))
                }
            }
        }
    }

    /// The maturity level that counts in means; not applicable and don't know count in none.
    pub fn level(&self) -> Option<u8> {
        match self {
            AnswerValue::Level(level) => Some(*level),
            _ => None,
        }
    }

    /// Whether a condition listing `values` holds for this answer.
    pub fn matches_any(&self, values: &[String]) -> bool {
        match self {
            AnswerValue::Choices(keys) => keys.iter().any(|key| values.contains(key)),
            AnswerValue::Number(_) | AnswerValue::Text(_) | AnswerValue::Partner(_) => false,
            other => values.contains(&other.encode()),
        }
    }
}

fn parse_level(text: &str) -> Option<u8> {
    let level: u8 = text.parse().ok()?;
    (level <= MAX_LEVEL && text.len() == 1).then_some(level)
}

fn format_number(number: f64) -> String {
    // Rust prints the shortest text that reads back to the same f64; only -0 needs care.
    if number == 0.0 {
        "0".to_string()
    } else {
        number.to_string()
    }
}

/// Why a submitted value is not a valid answer to its item.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerError {
    NotALevel,
    UnknownOption {
        value: String,
    },
    NotYesOrNo,
    NotANumber,
    /// A comma followed by three digits, which could be a thousands separator.
    AmbiguousNumber,
    TooLarge,
    BelowMin {
        min: f64,
    },
    AboveMax {
        max: f64,
    },
    NotAnInteger,
    TooLong {
        max: usize,
    },
    TooManyValues,
    NoPartner,
    /// The item names a code list the instrument does not have; a fault of the instrument, not
    /// of the respondent.
    UnknownCodeList {
        list: String,
    },
}

impl AnswerError {
    /// A short sentence for the respondent, in their language (from `errors.answer` in the
    /// locale files).
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AnswerError::NotALevel => tr(lang, "errors.answer.not_a_level").into_owned(),
            AnswerError::UnknownOption { value } => tr_args(
                lang,
                "errors.answer.unknown_option",
                &[("value", &shorten(value))],
            ),
            AnswerError::NotYesOrNo => tr(lang, "errors.answer.not_yes_or_no").into_owned(),
            AnswerError::NotANumber => tr(lang, "errors.answer.not_a_number").into_owned(),
            AnswerError::AmbiguousNumber => tr(lang, "errors.answer.ambiguous_number").into_owned(),
            AnswerError::TooLarge => tr(lang, "errors.answer.too_large").into_owned(),
            AnswerError::BelowMin { min } => tr_args(
                lang,
                "errors.answer.below_min",
                &[("min", &localise(*min, lang))],
            ),
            AnswerError::AboveMax { max } => tr_args(
                lang,
                "errors.answer.above_max",
                &[("max", &localise(*max, lang))],
            ),
            AnswerError::NotAnInteger => tr(lang, "errors.answer.not_an_integer").into_owned(),
            AnswerError::TooLong { max } => {
                tr_args(lang, "errors.answer.too_long", &[("max", &max.to_string())])
            }
            AnswerError::TooManyValues => tr(lang, "errors.answer.too_many_values").into_owned(),
            AnswerError::NoPartner => tr(lang, "errors.answer.no_partner").into_owned(),
            AnswerError::UnknownCodeList { .. } => {
                tr(lang, "errors.answer.unknown_code_list").into_owned()
            }
        }
    }
}

impl std::fmt::Display for AnswerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for AnswerError {}

fn shorten(value: &str) -> String {
    const SHOWN: usize = 40;
    if value.chars().count() > SHOWN {
        let head: String = value.chars().take(SHOWN).collect();
        format!("{head}…")
    } else {
        value.to_string()
    }
}

fn localise(number: f64, lang: Lang) -> String {
    let text = format_number(number);
    match lang {
        Lang::Es => text.replace('.', ","),
        Lang::En => text,
    }
}

/// Reads the values submitted for one item's form field. Blank means "no answer": `Ok(None)`.
pub fn parse_answer(
    item: &Item,
    instrument: &Instrument,
    raw: &[String],
) -> Result<Option<AnswerValue>, AnswerError> {
    let values: Vec<&str> = raw
        .iter()
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
        .collect();
    if values.is_empty() {
        return Ok(None);
    }
    if let ItemKind::MultipleChoice { list } = &item.kind {
        return parse_choices(instrument, list, &values).map(Some);
    }
    let [value] = values.as_slice() else {
        return Err(AnswerError::TooManyValues);
    };
    let value = *value;
    let answer = match &item.kind {
        ItemKind::Maturity { .. } => match value.to_ascii_lowercase().as_str() {
            "na" => AnswerValue::NotApplicable,
            "dk" => AnswerValue::DontKnow,
            other => AnswerValue::Level(parse_level(other).ok_or(AnswerError::NotALevel)?),
        },
        ItemKind::SingleChoice { list } => {
            let Some(list) = instrument.code_list(list) else {
                return Err(AnswerError::UnknownCodeList { list: list.clone() });
            };
            if !list.contains(value) {
                return Err(AnswerError::UnknownOption {
                    value: value.to_string(),
                });
            }
            AnswerValue::Choice(value.to_string())
        }
        ItemKind::MultipleChoice { list } => parse_choices(instrument, list, &[value])?,
        ItemKind::YesNo => match value.to_ascii_lowercase().as_str() {
            "yes" => AnswerValue::Bool(true),
            "no" => AnswerValue::Bool(false),
            _ => return Err(AnswerError::NotYesOrNo),
        },
        ItemKind::Number { min, max, integer } => {
            let number = parse_number(value)?;
            if *integer && number.fract() != 0.0 {
                return Err(AnswerError::NotAnInteger);
            }
            if let Some(min) = min
                && number < *min
            {
                return Err(AnswerError::BelowMin { min: *min });
            }
            if let Some(max) = max
                && number > *max
            {
                return Err(AnswerError::AboveMax { max: *max });
            }
            AnswerValue::Number(if number == 0.0 { 0.0 } else { number })
        }
        ItemKind::Text {
            max_length,
            multiline,
        } => {
            let text = clean_text(value, *multiline);
            if text.is_empty() {
                return Ok(None);
            }
            if text.chars().count() > *max_length {
                return Err(AnswerError::TooLong { max: *max_length });
            }
            AnswerValue::Text(text)
        }
        ItemKind::Partner => AnswerValue::Partner(parse_partner(value)?),
    };
    Ok(Some(answer))
}

fn parse_choices(
    instrument: &Instrument,
    list: &str,
    values: &[&str],
) -> Result<AnswerValue, AnswerError> {
    let Some(list) = instrument.code_list(list) else {
        return Err(AnswerError::UnknownCodeList {
            list: list.to_string(),
        });
    };
    let mut positions = Vec::new();
    for value in values {
        let Some(position) = list.position(value) else {
            return Err(AnswerError::UnknownOption {
                value: value.to_string(),
            });
        };
        positions.push(position);
    }
    positions.sort_unstable();
    positions.dedup();
    let keys = positions
        .into_iter()
        .filter_map(|position| list.options.get(position))
        .map(|option| option.key.clone())
        .collect();
    Ok(AnswerValue::Choices(keys))
}

/// Reads the optional evidence text that goes with a maturity answer (a law, a link, a document).
pub fn parse_evidence(raw: &[String]) -> Result<Option<String>, AnswerError> {
    let joined = raw.join("\n");
    let text = clean_text(&joined, true);
    if text.is_empty() {
        Ok(None)
    } else if text.chars().count() > EVIDENCE_MAX_CHARS {
        Err(AnswerError::TooLong {
            max: EVIDENCE_MAX_CHARS,
        })
    } else {
        Ok(Some(text))
    }
}

fn parse_number(value: &str) -> Result<f64, AnswerError> {
    // Only plain decimals: `f64::from_str` would also take "inf", "NaN" and "1e400".
    let digits_only = value
        .strip_prefix(['-', '+'])
        .unwrap_or(value)
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',');
    let separators = value.matches(['.', ',']).count();
    if !digits_only || separators > 1 || !value.chars().any(|c| c.is_ascii_digit()) {
        return Err(AnswerError::NotANumber);
    }
    // "1,234" is a thousand in one habit and one and a bit in the other; ask rather than guess.
    if let Some((whole, fraction)) = value.split_once(',')
        && fraction.len() == 3
        && !whole
            .trim_start_matches(['-', '+'])
            .trim_start_matches('0')
            .is_empty()
    {
        return Err(AnswerError::AmbiguousNumber);
    }
    let number: f64 = value
        .replace(',', ".")
        .parse()
        .map_err(|_| AnswerError::NotANumber)?;
    if !number.is_finite() || number.abs() > NUMBER_LIMIT {
        return Err(AnswerError::TooLarge);
    }
    Ok(number)
}

fn clean_text(value: &str, multiline: bool) -> String {
    let unified = value.replace("\r\n", "\n").replace('\r', "\n");
    let kept: String = unified
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .map(|c| match c {
            '\n' if !multiline => ' ',
            '\t' => ' ',
            other => other,
        })
        .collect();
    kept.trim().to_string()
}

fn parse_partner(value: &str) -> Result<PartnerRef, AnswerError> {
    if let Some(id) = value.strip_prefix("org:") {
        let id = id.trim();
        if id.is_empty() {
            return Err(AnswerError::NoPartner);
        }
        return Ok(PartnerRef::Organization(id.to_string()));
    }
    let name = clean_text(value.strip_prefix("ext:").unwrap_or(value), false);
    if name.is_empty() {
        return Err(AnswerError::NoPartner);
    }
    if name.chars().count() > PARTNER_NAME_MAX_CHARS {
        return Err(AnswerError::TooLong {
            max: PARTNER_NAME_MAX_CHARS,
        });
    }
    Ok(PartnerRef::Outside(name))
}

/// Whether an item is shown, given the answers of its scope: the items of an items section, the
/// columns of the same grid row, or the fields of the same mechanism. Conditions do not chain (the
/// instrument refuses a condition on a conditional item), so one look-up decides.
pub fn is_relevant<'a>(item: &Item, answer_of: impl Fn(&str) -> Option<&'a AnswerValue>) -> bool {
    match &item.relevant_when {
        None => true,
        Some(relevance) => {
            answer_of(&relevance.item).is_some_and(|answer| answer.matches_any(&relevance.equals))
        }
    }
}

/// How far a response has come in one section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub required: usize,
    pub answered: usize,
}

impl Progress {
    pub fn is_complete(&self) -> bool {
        self.answered >= self.required
    }

    /// Whole percent, 100 when nothing is required.
    pub fn percent(&self) -> u8 {
        if self.required == 0 {
            return 100;
        }
        let percent = self.answered.min(self.required) * 100 / self.required;
        u8::try_from(percent).unwrap_or(100)
    }
}

/// Progress of one section. Items sections count their relevant required items (a maturity answer
/// of "not applicable" or "don't know" is an answer). The grid counts one unit per domain row that
/// has a required column; a row is answered when all its relevant required columns are. The
/// mechanism group has nothing required, because an institution may take part in no exchange.
pub fn progress(
    instrument: &Instrument,
    section: &Section,
    answers: &BTreeMap<String, AnswerValue>,
) -> Progress {
    match &section.body {
        SectionBody::Items(items) => {
            let mut progress = Progress::default();
            for item in items.iter().filter(|item| item.required) {
                if !is_relevant(item, |key| answers.get(key)) {
                    continue;
                }
                progress.required += 1;
                if answers.contains_key(&item.key) {
                    progress.answered += 1;
                }
            }
            progress
        }
        SectionBody::DomainGrid(grid) => {
            let mut progress = Progress::default();
            if !grid.columns.iter().any(|column| column.required) {
                return progress;
            }
            for domain in grid_domains(instrument, grid) {
                progress.required += 1;
                if missing_grid_cells(section, grid, domain, answers).is_empty() {
                    progress.answered += 1;
                }
            }
            progress
        }
        SectionBody::Mechanisms(_) => Progress::default(),
    }
}

/// Progress of a whole response: the sum of its sections' (mechanisms count nothing here).
pub fn response_progress(
    instrument: &Instrument,
    answers: &BTreeMap<String, AnswerValue>,
) -> Progress {
    let mut total = Progress::default();
    for section in &instrument.sections {
        let p = progress(instrument, section, answers);
        total.required += p.required;
        total.answered += p.answered;
    }
    total
}

/// Every relevant required item still unanswered, as (section key, answer key), in instrument
/// order. Grid cells are named by their [`grid_cell_key`]; mechanisms are not included (see
/// [`missing_mechanism_fields`]).
pub fn missing_required(
    instrument: &Instrument,
    answers: &BTreeMap<String, AnswerValue>,
) -> Vec<(String, String)> {
    let mut missing = Vec::new();
    for section in &instrument.sections {
        match &section.body {
            SectionBody::Items(items) => {
                for item in items {
                    if item.required
                        && !answers.contains_key(&item.key)
                        && is_relevant(item, |key| answers.get(key))
                    {
                        missing.push((section.key.clone(), item.key.clone()));
                    }
                }
            }
            SectionBody::DomainGrid(grid) => {
                for domain in grid_domains(instrument, grid) {
                    for cell in missing_grid_cells(section, grid, domain, answers) {
                        missing.push((section.key.clone(), cell));
                    }
                }
            }
            SectionBody::Mechanisms(_) => {}
        }
    }
    missing
}

/// The required fields an entry of the mechanism group still lacks, by field key.
pub fn missing_mechanism_fields<'g>(
    group: &'g MechanismGroup,
    values: &BTreeMap<String, AnswerValue>,
) -> Vec<&'g str> {
    group
        .fields
        .iter()
        .filter(|field| {
            field.required
                && !values.contains_key(&field.key)
                && is_relevant(field, |key| values.get(key))
        })
        .map(|field| field.key.as_str())
        .collect()
}

fn grid_domains<'i>(
    instrument: &'i Instrument,
    grid: &DomainGrid,
) -> impl Iterator<Item = &'i str> {
    instrument
        .code_list(&grid.list)
        .into_iter()
        .flat_map(|list| list.options.iter().map(|option| option.key.as_str()))
}

fn missing_grid_cells(
    section: &Section,
    grid: &DomainGrid,
    domain: &str,
    answers: &BTreeMap<String, AnswerValue>,
) -> Vec<String> {
    let cell = |column: &str| grid_cell_key(&section.key, domain, column);
    grid.columns
        .iter()
        .filter(|column| column.required)
        .filter(|column| is_relevant(column, |key| answers.get(&cell(key))))
        .map(|column| cell(&column.key))
        .filter(|key| !answers.contains_key(key))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
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
}

/// Property tests: whatever a browser (or anyone else) posts, reading an answer never panics, a
/// value inside an item's levels, options, bounds or length is taken as typed, and one outside is
/// refused with the matching error. Shared strategies are `pub(crate)` for the section form's tests.
#[cfg(test)]
pub(crate) mod proptests {
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
}
