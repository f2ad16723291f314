//! The words shown for stored keys and answers, in the reader's language.

use crate::domain::Lang;
use crate::domain::answers::{AnswerValue, PartnerRef};
use crate::domain::instrument::{Instrument, Item, ItemKind};
use crate::i18n;
use crate::service::records::Organization;

/// The label of an option of the list a mechanism field uses.
pub fn mechanism_label(instrument: &Instrument, field: &str, key: &str, lang: Lang) -> String {
    instrument
        .mechanisms()
        .and_then(|(_, g)| g.field(field))
        .and_then(|f| instrument.list_of(f))
        .and_then(|l| l.option(key))
        .map(|o| o.label.get(lang).to_owned())
        .unwrap_or_else(|| key.to_owned())
}

/// The text shown for an answer in the user's language.
pub fn display_value(
    instrument: &Instrument,
    item: &Item,
    value: &AnswerValue,
    lang: Lang,
    partners: &[Organization],
) -> String {
    let label = |list: &str, key: &str| {
        instrument
            .option_label(list, key, lang)
            .unwrap_or(key)
            .to_owned()
    };
    match (value, &item.kind) {
        (AnswerValue::Level(level), ItemKind::Maturity { levels }) => format!(
            "{level} · {}",
            levels
                .get(usize::from(*level))
                .map(|t| t.get(lang))
                .unwrap_or_default()
        ),
        (AnswerValue::NotApplicable, _) => i18n::tr(lang, "section.not_applicable").into_owned(),
        (AnswerValue::DontKnow, _) => i18n::tr(lang, "section.dont_know").into_owned(),
        (AnswerValue::Choice(key), ItemKind::SingleChoice { list }) => label(list, key),
        (AnswerValue::Choices(keys), ItemKind::MultipleChoice { list }) => keys
            .iter()
            .map(|k| label(list, k))
            .collect::<Vec<_>>()
            .join(", "),
        (AnswerValue::Bool(true), _) => i18n::tr(lang, "section.yes").into_owned(),
        (AnswerValue::Bool(false), _) => i18n::tr(lang, "section.no").into_owned(),
        (AnswerValue::Partner(PartnerRef::Organization(id)), _) => partners
            .iter()
            .find(|o| &o.id == id)
            .map(|o| format!("{} · {}", o.acronym, o.name))
            .unwrap_or_else(|| id.clone()),
        (AnswerValue::Partner(PartnerRef::Outside(name)), _) => name.clone(),
        (other, _) => other.encode(),
    }
}
