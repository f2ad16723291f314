//! A section's form: which answer slots it shows (items, or grid cells), and reading a posted form
//! back into answers, with per-item errors and relevance applied.
//!
//! Field names: `_items` lists every slot the page showed (so a save never touches a slot that was
//! not on the form); `v.<slot>` carries its value(s) and `e.<slot>` the evidence text.

use std::collections::BTreeMap;

use super::answers::{self, AnswerError, AnswerValue};
use super::instrument::{Instrument, Item, Section, SectionBody, grid_cell_key};

pub const SHOWN_FIELD: &str = "_items";
pub const VALUE_PREFIX: &str = "v.";
pub const EVIDENCE_PREFIX: &str = "e.";

/// One place on a section's form that takes an answer.
#[derive(Debug, Clone)]
pub struct Slot<'a> {
    /// The key answers are stored under: the item key, or `section.domain.column` in the grid.
    pub key: String,
    pub item: &'a Item,
    /// The grid row (a domain key) for a grid cell.
    pub domain: Option<&'a str>,
}

/// Every slot of a section in display order (mechanisms have their own forms, so none there).
pub fn slots<'a>(instrument: &'a Instrument, section: &'a Section) -> Vec<Slot<'a>> {
    match &section.body {
        SectionBody::Items(items) => items
            .iter()
            .map(|item| Slot {
                key: item.key.clone(),
                item,
                domain: None,
            })
            .collect(),
        SectionBody::DomainGrid(grid) => {
            let Some(list) = instrument.code_list(&grid.list) else {
                return Vec::new();
            };
            list.options
                .iter()
                .flat_map(|domain| {
                    grid.columns.iter().map(move |column| Slot {
                        key: grid_cell_key(&section.key, &domain.key, &column.key),
                        item: column,
                        domain: Some(domain.key.as_str()),
                    })
                })
                .collect()
        }
        SectionBody::Mechanisms(_) => Vec::new(),
    }
}

/// Whether a slot applies given the answers: its relevance condition looks at the same grid row.
pub fn slot_is_relevant(
    section: &Section,
    slot: &Slot<'_>,
    answers: &BTreeMap<String, AnswerValue>,
) -> bool {
    answers::is_relevant(slot.item, |key| match slot.domain {
        Some(domain) => answers.get(&grid_cell_key(&section.key, domain, key)),
        None => answers.get(key),
    })
}

/// The posted values grouped by field name (repeated names keep every value).
pub fn group_fields(pairs: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in pairs {
        grouped.entry(name).or_default().push(value);
    }
    grouped
}

/// What a posted section form asks to store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SectionInput {
    /// Per slot shown on the form: the new value (`None` clears it) and evidence.
    pub changes: BTreeMap<String, SlotChange>,
    /// Per slot: what was wrong with the value.
    pub errors: BTreeMap<String, AnswerError>,
    /// The raw values as typed, to put back in the form when it comes back with errors.
    pub typed: BTreeMap<String, Vec<String>>,
    pub typed_evidence: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SlotChange {
    pub value: Option<AnswerValue>,
    pub evidence: Option<String>,
}

/// The form names a slot that is not in this section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSlot(pub String);

/// Reads a posted section form. Only slots listed in `_items` are considered; a slot that is not
/// relevant once the new values are taken into account is cleared.
pub fn read_section_form(
    instrument: &Instrument,
    section: &Section,
    fields: &BTreeMap<String, Vec<String>>,
    current: &BTreeMap<String, AnswerValue>,
) -> Result<SectionInput, UnknownSlot> {
    let all = slots(instrument, section);
    let shown = fields.get(SHOWN_FIELD).cloned().unwrap_or_default();
    let mut listed: Vec<&Slot<'_>> = Vec::new();
    for key in &shown {
        match all.iter().find(|s| &s.key == key) {
            Some(slot) => {
                if !listed.iter().any(|s| s.key == slot.key) {
                    listed.push(slot);
                }
            }
            None => return Err(UnknownSlot(key.clone())),
        }
    }
    // A value for a slot of another section, or for nothing at all, is refused too.
    for name in fields.keys() {
        let slot_key = name
            .strip_prefix(VALUE_PREFIX)
            .or_else(|| name.strip_prefix(EVIDENCE_PREFIX));
        if let Some(key) = slot_key
            && !listed.iter().any(|s| s.key == key)
        {
            return Err(UnknownSlot(key.to_owned()));
        }
    }

    let mut input = SectionInput::default();
    let mut merged = current.clone();
    for slot in &listed {
        let raw = fields
            .get(&format!("{VALUE_PREFIX}{}", slot.key))
            .cloned()
            .unwrap_or_default();
        let raw_evidence = fields
            .get(&format!("{EVIDENCE_PREFIX}{}", slot.key))
            .cloned()
            .unwrap_or_default();
        input.typed.insert(slot.key.clone(), raw.clone());
        if let Some(text) = raw_evidence.first() {
            input.typed_evidence.insert(slot.key.clone(), text.clone());
        }
        let value = match answers::parse_answer(slot.item, instrument, &raw) {
            Ok(value) => value,
            Err(error) => {
                input.errors.insert(slot.key.clone(), error);
                continue;
            }
        };
        let evidence = if slot.item.is_maturity() {
            match answers::parse_evidence(&raw_evidence) {
                Ok(evidence) => evidence,
                Err(error) => {
                    input.errors.insert(slot.key.clone(), error);
                    continue;
                }
            }
        } else {
            None
        };
        match &value {
            Some(v) => merged.insert(slot.key.clone(), v.clone()),
            None => merged.remove(&slot.key),
        };
        input
            .changes
            .insert(slot.key.clone(), SlotChange { value, evidence });
    }
    // Relevance is judged on the answers as they will be after this save.
    for slot in &listed {
        if !slot_is_relevant(section, slot, &merged) {
            input.errors.remove(&slot.key);
            input.changes.insert(
                slot.key.clone(),
                SlotChange {
                    value: None,
                    evidence: None,
                },
            );
        }
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::instrument::forum_instrument;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        group_fields(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn grid_slots_cover_every_domain_and_column() {
        let instrument = forum_instrument().unwrap();
        let section = instrument.section("domains").unwrap();
        let slots = slots(&instrument, section);
        assert_eq!(slots.len(), 17 * 6);
        assert_eq!(slots[0].key, "domains.border_flows.collects");
        assert_eq!(slots[0].domain, Some("border_flows"));
    }

    #[test]
    fn only_listed_slots_change_and_errors_are_kept_per_slot() {
        let instrument = forum_instrument().unwrap();
        let section = instrument.section("legal").unwrap();
        let fields = form(&[
            ("_items", "legal.mandate"),
            ("_items", "legal.confidentiality"),
            ("v.legal.mandate", "3"),
            ("e.legal.mandate", "Ley 3 de 2008"),
            ("v.legal.confidentiality", "7"),
        ]);
        let input = read_section_form(&instrument, section, &fields, &BTreeMap::new()).unwrap();
        assert_eq!(input.changes.len(), 1);
        assert_eq!(
            input.changes["legal.mandate"],
            SlotChange {
                value: Some(AnswerValue::Level(3)),
                evidence: Some("Ley 3 de 2008".into())
            }
        );
        assert_eq!(
            input.errors["legal.confidentiality"],
            AnswerError::NotALevel
        );
        assert_eq!(input.typed["legal.confidentiality"], vec!["7".to_string()]);
    }

    #[test]
    fn an_emptied_slot_is_cleared_and_unknown_slots_are_refused() {
        let instrument = forum_instrument().unwrap();
        let section = instrument.section("legal").unwrap();
        let input = read_section_form(
            &instrument,
            section,
            &form(&[("_items", "legal.mandate")]),
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(input.changes["legal.mandate"].value, None);
        for bad in [
            form(&[("_items", "legal.nope")]),
            form(&[("_items", "quality.revisions")]),
            form(&[("_items", "legal.mandate"), ("v.collection.inventory", "2")]),
        ] {
            assert!(read_section_form(&instrument, section, &bad, &BTreeMap::new()).is_err());
        }
    }

    #[test]
    fn grid_cells_that_stop_applying_are_cleared() {
        let instrument = forum_instrument().unwrap();
        let section = instrument.section("domains").unwrap();
        let fields = form(&[
            ("_items", "domains.asylum.collects"),
            ("_items", "domains.asylum.frequency"),
            ("v.domains.asylum.collects", "no"),
            ("v.domains.asylum.frequency", "monthly"),
        ]);
        let input = read_section_form(&instrument, section, &fields, &BTreeMap::new()).unwrap();
        assert_eq!(
            input.changes["domains.asylum.collects"].value,
            Some(AnswerValue::Choice("no".into()))
        );
        assert_eq!(input.changes["domains.asylum.frequency"].value, None);

        let fields = form(&[
            ("_items", "domains.asylum.collects"),
            ("_items", "domains.asylum.frequency"),
            ("v.domains.asylum.collects", "yes"),
            ("v.domains.asylum.frequency", "monthly"),
        ]);
        let input = read_section_form(&instrument, section, &fields, &BTreeMap::new()).unwrap();
        assert_eq!(
            input.changes["domains.asylum.frequency"].value,
            Some(AnswerValue::Choice("monthly".into()))
        );
    }
}
