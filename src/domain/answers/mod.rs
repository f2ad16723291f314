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
mod tests;

#[cfg(test)]
pub(crate) mod proptests;
