//! The form controls of the questionnaire's pages: one answer slot as a template shows it
//! (section items, grid cells, mechanism fields), built from the instrument.

use crate::domain::Lang;
use crate::domain::answers::AnswerValue;
use crate::domain::instrument::{Instrument, Item, ItemKind, MechanismGroup, Section, SectionBody};
use crate::i18n;
use crate::service::records::{Mechanism, Organization};
use crate::service::responses as service;
use crate::web::view::display_value;

use super::html_id;

/// One choice of a radio group, checkbox group or select.
pub struct OptionView {
    pub value: String,
    pub label: String,
    /// For maturity levels: the level's own description.
    pub description: Option<String>,
    pub checked: bool,
}

/// Everything a template needs to show one answer slot.
pub struct ItemView {
    pub key: String,
    pub id: String,
    pub label: String,
    pub help: Option<String>,
    /// maturity, single, multiple, yes_no, number, text, textarea.
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<OptionView>,
    pub value: String,
    /// Maturity items take evidence text.
    pub evidence: Option<String>,
    pub error: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub integer: bool,
    pub max_length: usize,
    /// In a conflict: what the colleague saved, as shown text.
    pub theirs: Option<String>,
    /// Not shown (nor posted) because it does not apply to the answers given; the page's script
    /// shows it when the answer it depends on changes.
    pub hidden: bool,
    /// The field whose answer decides whether this item applies (`v.<slot>`), when it is on the
    /// same page, and the answers that make it apply, separated by spaces.
    pub when: String,
    pub equals: String,
}

impl ItemView {
    pub fn evidence_id(&self) -> String {
        format!("{}-evidence", self.id)
    }

    pub fn describedby(&self) -> String {
        let mut ids = Vec::new();
        if self.help.is_some() {
            ids.push(format!("{}-help", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }
}

/// The raw form values of a saved answer.
pub(super) fn raw_values(value: Option<&AnswerValue>) -> Vec<String> {
    match value {
        None => Vec::new(),
        Some(AnswerValue::Choices(keys)) => keys.clone(),
        Some(other) => vec![other.encode()],
    }
}

fn code_options(
    instrument: &Instrument,
    list: &str,
    lang: Lang,
    chosen: &[String],
) -> Vec<OptionView> {
    instrument
        .code_list(list)
        .map(|list| {
            list.options
                .iter()
                .map(|o| OptionView {
                    checked: chosen.contains(&o.key),
                    value: o.key.clone(),
                    label: o.label.get(lang).to_owned(),
                    description: None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Builds the view of one slot from what to show: the typed values (after an error) or the saved
/// ones.
pub(super) fn item_view(
    instrument: &Instrument,
    key: &str,
    item: &Item,
    lang: Lang,
    values: &[String],
    evidence: Option<&str>,
    error: Option<String>,
) -> ItemView {
    let mut view = ItemView {
        key: key.to_owned(),
        id: html_id(key),
        label: item.label.get(lang).to_owned(),
        help: item.help.as_ref().map(|h| h.get(lang).to_owned()),
        kind: "text",
        required: item.required,
        options: Vec::new(),
        value: values.first().cloned().unwrap_or_default(),
        evidence: None,
        error,
        min: None,
        max: None,
        integer: false,
        max_length: 0,
        theirs: None,
        hidden: false,
        when: String::new(),
        equals: String::new(),
    };
    let chosen = values.to_vec();
    match &item.kind {
        ItemKind::Maturity { levels } => {
            view.kind = "maturity";
            let mut options: Vec<OptionView> = levels
                .iter()
                .enumerate()
                .map(|(level, text)| OptionView {
                    value: level.to_string(),
                    label: level.to_string(),
                    description: Some(text.get(lang).to_owned()),
                    checked: chosen.contains(&level.to_string()),
                })
                .collect();
            for (value, key) in [
                ("na", "section.not_applicable"),
                ("dk", "section.dont_know"),
            ] {
                options.push(OptionView {
                    value: value.to_owned(),
                    label: i18n::tr(lang, key).into_owned(),
                    description: None,
                    checked: chosen.iter().any(|c| c == value),
                });
            }
            view.options = options;
            view.evidence = Some(evidence.unwrap_or_default().to_owned());
        }
        ItemKind::SingleChoice { list } => {
            view.kind = "single";
            view.options = code_options(instrument, list, lang, &chosen);
        }
        ItemKind::MultipleChoice { list } => {
            view.kind = "multiple";
            view.options = code_options(instrument, list, lang, &chosen);
        }
        ItemKind::YesNo => {
            view.kind = "yes_no";
            view.options = [("yes", "section.yes"), ("no", "section.no")]
                .into_iter()
                .map(|(value, label)| OptionView {
                    value: value.to_owned(),
                    label: i18n::tr(lang, label).into_owned(),
                    description: None,
                    checked: chosen.iter().any(|c| c == value),
                })
                .collect();
        }
        ItemKind::Number { min, max, integer } => {
            view.kind = "number";
            view.min = *min;
            view.max = *max;
            view.integer = *integer;
        }
        ItemKind::Text {
            max_length,
            multiline,
        } => {
            view.kind = if *multiline { "textarea" } else { "text" };
            view.max_length = *max_length;
        }
        ItemKind::Partner => view.kind = "text",
    }
    view
}

/// A row of the data-domain grid.
pub struct DomainView {
    pub key: String,
    pub label: String,
    pub cells: Vec<ItemView>,
}

pub(super) fn ctx_domain_label(
    instrument: &Instrument,
    section: &Section,
    domain: &str,
    lang: Lang,
) -> String {
    match &section.body {
        SectionBody::DomainGrid(grid) => instrument
            .option_label(&grid.list, domain, lang)
            .unwrap_or(domain)
            .to_owned(),
        _ => domain.to_owned(),
    }
}

/// (label, value) of every filled field of an entry, for conflicts and the review page.
pub fn mechanism_summary(
    instrument: &Instrument,
    group: &MechanismGroup,
    m: &Mechanism,
    lang: Lang,
    partners: &[Organization],
) -> Vec<(String, String)> {
    let values = service::mechanism_values(m);
    group
        .fields
        .iter()
        .filter_map(|field| {
            values.get(&field.key).map(|v| {
                (
                    field.label.get(lang).to_owned(),
                    display_value(instrument, field, v, lang, partners),
                )
            })
        })
        .collect()
}
