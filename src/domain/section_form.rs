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

/// The slot of the same section whose answer decides whether `slot` applies, and the answers that
/// make it apply; none for a slot without a condition, or whose condition looks at another
/// section (then the page cannot change it, and it is decided once when the page is built).
pub fn condition_slot<'i>(section: &Section, slot: &Slot<'i>) -> Option<(String, &'i [String])> {
    let relevance = slot.item.relevant_when.as_ref()?;
    let key = match (slot.domain, &section.body) {
        (Some(domain), SectionBody::DomainGrid(grid)) => {
            grid.column(&relevance.item)?;
            grid_cell_key(&section.key, domain, &relevance.item)
        }
        (None, SectionBody::Items(items)) => {
            items.iter().find(|item| item.key == relevance.item)?;
            relevance.item.clone()
        }
        _ => return None,
    };
    Some((key, relevance.equals.as_slice()))
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
    /// Slots that this save makes apply and that the form did not show: questions the person has
    /// not seen yet (a page without script shows follow-ups only once their answer is saved).
    pub opened: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SlotChange {
    pub value: Option<AnswerValue>,
    pub evidence: Option<String>,
}

/// The form names a slot that is not in this section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSlot(pub String);

/// Reads a posted section form. Only slots listed in `_items` take values; a slot that is not
/// relevant once the new values are taken into account is cleared, listed or not (a follow-up
/// the page hid when its answer changed is not posted, and its old answer must not stay).
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
    let cleared = || SlotChange {
        value: None,
        evidence: None,
    };
    for slot in &listed {
        if !slot_is_relevant(section, slot, &merged) {
            input.errors.remove(&slot.key);
            input.changes.insert(slot.key.clone(), cleared());
        }
    }
    let listed_keys: std::collections::BTreeSet<&str> =
        listed.iter().map(|s| s.key.as_str()).collect();
    for slot in all.iter().filter(|s| !listed_keys.contains(s.key.as_str())) {
        if !slot_is_relevant(section, slot, &merged) {
            if current.contains_key(&slot.key) {
                input.changes.insert(slot.key.clone(), cleared());
            }
        } else if !slot_is_relevant(section, slot, current) {
            input.opened.push(slot.key.clone());
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

    #[test]
    fn a_save_names_the_follow_ups_it_opens_that_the_form_did_not_show() {
        let instrument = forum_instrument().unwrap();
        let section = instrument.section("domains").unwrap();
        // A page without script shows only "collects" until it is saved.
        let fields = form(&[
            ("_items", "domains.asylum.collects"),
            ("v.domains.asylum.collects", "partly"),
        ]);
        let input = read_section_form(&instrument, section, &fields, &BTreeMap::new()).unwrap();
        assert_eq!(
            input.opened,
            [
                "domains.asylum.source",
                "domains.asylum.disaggregations",
                "domains.asylum.frequency",
                "domains.asylum.published"
            ]
        );
        // The page's script showed them as the answer changed: nothing is new.
        let fields = form(&[
            ("_items", "domains.asylum.collects"),
            ("_items", "domains.asylum.source"),
            ("_items", "domains.asylum.disaggregations"),
            ("_items", "domains.asylum.frequency"),
            ("_items", "domains.asylum.published"),
            ("v.domains.asylum.collects", "yes"),
        ]);
        let input = read_section_form(&instrument, section, &fields, &BTreeMap::new()).unwrap();
        assert!(input.opened.is_empty(), "{:?}", input.opened);
        // Already open before this save: not new either.
        let current = BTreeMap::from([(
            "domains.asylum.collects".to_owned(),
            AnswerValue::Choice("yes".into()),
        )]);
        let fields = form(&[
            ("_items", "domains.asylum.collects"),
            ("v.domains.asylum.collects", "partly"),
        ]);
        let input = read_section_form(&instrument, section, &fields, &current).unwrap();
        assert!(input.opened.is_empty(), "{:?}", input.opened);
    }

    #[test]
    fn follow_ups_hidden_by_the_page_are_cleared_without_being_posted() {
        let instrument = forum_instrument().unwrap();
        let section = instrument.section("domains").unwrap();
        let current = BTreeMap::from([
            (
                "domains.asylum.collects".to_owned(),
                AnswerValue::Choice("yes".into()),
            ),
            (
                "domains.asylum.frequency".to_owned(),
                AnswerValue::Choice("monthly".into()),
            ),
            (
                "domains.work_permits.frequency".to_owned(),
                AnswerValue::Choice("monthly".into()),
            ),
            (
                "domains.work_permits.collects".to_owned(),
                AnswerValue::Choice("yes".into()),
            ),
        ]);
        // The answer turns to "no": the page hid (and stopped posting) the follow-ups.
        let fields = form(&[
            ("_items", "domains.asylum.collects"),
            ("v.domains.asylum.collects", "no"),
        ]);
        let input = read_section_form(&instrument, section, &fields, &current).unwrap();
        assert_eq!(input.changes["domains.asylum.frequency"].value, None);
        assert!(
            !input.changes.contains_key("domains.work_permits.frequency"),
            "a row the form did not touch stays as it is"
        );
        assert!(input.opened.is_empty());
    }

    #[test]
    fn a_condition_names_the_slot_of_the_same_row_or_section() {
        let instrument = forum_instrument().unwrap();
        let grid = instrument.section("domains").unwrap();
        let grid_slots = slots(&instrument, grid);
        let source = grid_slots
            .iter()
            .find(|s| s.key == "domains.asylum.source")
            .unwrap();
        let (key, equals) = condition_slot(grid, source).unwrap();
        assert_eq!(key, "domains.asylum.collects");
        assert_eq!(equals, ["yes", "partly"]);
        assert!(condition_slot(grid, &grid_slots[0]).is_none());
        let about = instrument.section("about").unwrap();
        let about_slots = slots(&instrument, about);
        let other = about_slots
            .iter()
            .find(|s| s.key == "about.sector_other")
            .unwrap();
        assert_eq!(condition_slot(about, other).unwrap().0, "about.sector");
    }
}

/// Property tests of reading a posted section form: any field names and values (unicode, junk,
/// repeated keys) never panic; every slot the form lists ends up either changed or with its own
/// error; a valid generated form reads back to the answers it was made from.
#[cfg(test)]
mod proptests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;
    use crate::domain::answers::proptests::{FORUM, config, posted, typed_text, valid_answer};
    use crate::domain::instrument::ItemKind;

    /// The sections that have a form of slots (items and the grid).
    fn form_sections() -> Vec<&'static Section> {
        FORUM
            .sections
            .iter()
            .filter(|s| !matches!(s.body, SectionBody::Mechanisms(_)))
            .collect()
    }

    fn slot_keys(section: &'static Section) -> Vec<String> {
        slots(&FORUM, section).into_iter().map(|s| s.key).collect()
    }

    /// A field name a client might send: ours, near misses, bracketed junk, anything.
    fn field_name(section: &'static Section) -> BoxedStrategy<String> {
        let keys = slot_keys(section);
        let others: Vec<String> = form_sections()
            .into_iter()
            .flat_map(slot_keys)
            .take(200)
            .collect();
        prop_oneof![
            Just(SHOWN_FIELD.to_string()),
            select(keys.clone()).prop_map(|k| format!("{VALUE_PREFIX}{k}")),
            select(keys).prop_map(|k| format!("{EVIDENCE_PREFIX}{k}")),
            select(others).prop_map(|k| format!("{VALUE_PREFIX}{k}")),
            "[ve]\\.[a-z._\\[\\]]{0,30}",
            "\\PC{0,20}",
            ".{0,20}",
            (1usize..50).prop_map(|n| "a[b]".repeat(n)),
        ]
        .boxed()
    }

    /// A value: a slot key (for `_items`), a plausible answer, or anything.
    fn field_value(section: &'static Section) -> BoxedStrategy<String> {
        prop_oneof![
            select(slot_keys(section)),
            Just("2".to_string()),
            Just("na".to_string()),
            Just("yes".to_string()),
            Just("1e400".to_string()),
            Just("99999999999999999999".to_string()),
            ".{0,40}",
            "\\PC{0,40}",
        ]
        .boxed()
    }

    fn hostile_form() -> impl Strategy<Value = (&'static Section, Vec<(String, String)>)> {
        select(form_sections()).prop_flat_map(|section| {
            let pair = (field_name(section), field_value(section));
            (Just(section), proptest::collection::vec(pair, 0..40))
        })
    }

    /// For each slot of a section, maybe a valid answer, and maybe evidence for maturity items.
    type Generated = Vec<(String, Option<AnswerValue>, Option<String>)>;

    fn valid_form() -> impl Strategy<Value = (&'static Section, Generated)> {
        select(form_sections()).prop_flat_map(|section| {
            let per_slot: Vec<_> = slots(&FORUM, section)
                .into_iter()
                .map(|slot| {
                    let evidence = if slot.item.is_maturity() {
                        proptest::option::of(typed_text(200, true)).boxed()
                    } else {
                        Just(None).boxed()
                    };
                    (
                        Just(slot.key),
                        proptest::option::of(valid_answer(slot.item)),
                        evidence,
                    )
                })
                .collect();
            (Just(section), per_slot)
        })
    }

    /// A value for `item` that the form must refuse (never blank, never valid).
    fn invalid_raw(item: &Item) -> BoxedStrategy<Vec<String>> {
        match &item.kind {
            ItemKind::Maturity { .. } => prop_oneof![
                Just("5".to_string()),
                Just("-1".to_string()),
                Just("04".to_string()),
                "[a-z]{3,10}",
                Just("99999999999999999999".to_string()),
            ]
            .prop_map(|v| vec![v])
            .boxed(),
            ItemKind::SingleChoice { .. } => prop_oneof![
                "zz[a-z]{1,10}".prop_map(|v| vec![v]),
                Just(vec!["yes".to_string(), "no".to_string()]),
            ]
            .boxed(),
            ItemKind::MultipleChoice { .. } => "zz[a-z]{1,10}".prop_map(|v| vec![v]).boxed(),
            ItemKind::YesNo => "(si|true|1|zz[a-z]{0,5})".prop_map(|v| vec![v]).boxed(),
            ItemKind::Number { .. } => prop_oneof![
                Just("1e400".to_string()),
                Just("99999999999999999999".to_string()),
                Just("-1".to_string()),
                Just("12.5".to_string()),
                Just("1,234".to_string()),
                "[a-z]{1,8}",
            ]
            .prop_map(|v| vec![v])
            .boxed(),
            ItemKind::Text { max_length, .. } => Just(vec!["x".repeat(max_length + 1)]).boxed(),
            ItemKind::Partner => Just(vec!["org:".to_string()]).boxed(),
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn repeated_keys_keep_every_value_in_order(
            pairs in proptest::collection::vec(("[ab_.]{1,3}", "\\PC{0,5}"), 0..30)
        ) {
            let grouped = group_fields(pairs.clone());
            prop_assert_eq!(grouped.values().map(Vec::len).sum::<usize>(), pairs.len());
            for (name, values) in &grouped {
                let expected: Vec<&String> =
                    pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v).collect();
                prop_assert_eq!(values.iter().collect::<Vec<_>>(), expected);
            }
        }

        #[test]
        fn any_posted_form_never_panics_and_each_listed_slot_is_changed_or_in_error(
            (section, pairs) in hostile_form()
        ) {
            let fields = group_fields(pairs);
            let keys: BTreeSet<String> = slot_keys(section).into_iter().collect();
            match read_section_form(&FORUM, section, &fields, &BTreeMap::new()) {
                Ok(input) => {
                    let listed: BTreeSet<&String> = fields
                        .get(SHOWN_FIELD)
                        .map(|v| v.iter().collect())
                        .unwrap_or_default();
                    let changed: BTreeSet<&String> = input.changes.keys().collect();
                    let in_error: BTreeSet<&String> = input.errors.keys().collect();
                    prop_assert!(changed.is_disjoint(&in_error));
                    prop_assert_eq!(
                        changed.union(&in_error).copied().collect::<BTreeSet<_>>(),
                        listed
                    );
                    for key in input.changes.keys() {
                        prop_assert!(keys.contains(key));
                    }
                }
                Err(UnknownSlot(key)) => {
                    // Refused for a real reason: not a slot here, or a value for an unlisted one.
                    let listed = fields.get(SHOWN_FIELD).is_some_and(|v| v.contains(&key));
                    prop_assert!(!keys.contains(&key) || !listed, "{key}");
                }
            }
        }

        #[test]
        fn a_valid_generated_form_reads_back_to_its_answers((section, generated) in valid_form()) {
            let mut pairs = Vec::new();
            let mut answers = BTreeMap::new();
            for (key, value, evidence) in &generated {
                pairs.push((SHOWN_FIELD.to_string(), key.clone()));
                if let Some(value) = value {
                    answers.insert(key.clone(), value.clone());
                    for raw in posted(value) {
                        pairs.push((format!("{VALUE_PREFIX}{key}"), raw));
                    }
                }
                if let Some(text) = evidence {
                    pairs.push((format!("{EVIDENCE_PREFIX}{key}"), text.clone()));
                }
            }
            let input = read_section_form(&FORUM, section, &group_fields(pairs), &BTreeMap::new())
                .expect("every field names a slot of the section");
            prop_assert!(input.errors.is_empty(), "{:?}", input.errors);
            prop_assert_eq!(input.changes.len(), generated.len());
            for slot in slots(&FORUM, section) {
                let (_, value, evidence) = generated
                    .iter()
                    .find(|(k, _, _)| *k == slot.key)
                    .expect("generated per slot");
                let relevant = slot_is_relevant(section, &slot, &answers);
                let expected = SlotChange {
                    value: value.clone().filter(|_| relevant),
                    evidence: evidence.clone().filter(|_| relevant),
                };
                prop_assert_eq!(&input.changes[&slot.key], &expected, "{}", slot.key);
            }
        }

        #[test]
        fn errors_are_reported_for_exactly_the_invalid_slots(
            (section, choices) in select(form_sections()).prop_flat_map(|section| {
                let per_slot: Vec<_> = slots(&FORUM, section)
                    .into_iter()
                    .map(|slot| {
                        let valid = valid_answer(slot.item).prop_map(Ok);
                        let invalid = invalid_raw(slot.item).prop_map(Err);
                        (Just(slot.key), prop_oneof![3 => valid, 1 => invalid])
                    })
                    .collect();
                (Just(section), per_slot)
            })
        ) {
            let mut pairs = Vec::new();
            let mut valid = BTreeMap::new();
            for (key, choice) in &choices {
                pairs.push((SHOWN_FIELD.to_string(), key.clone()));
                let raw = match choice {
                    Ok(value) => {
                        valid.insert(key.clone(), value.clone());
                        posted(value)
                    }
                    Err(raw) => raw.clone(),
                };
                for value in raw {
                    pairs.push((format!("{VALUE_PREFIX}{key}"), value));
                }
            }
            let input = read_section_form(&FORUM, section, &group_fields(pairs), &BTreeMap::new())
                .expect("every field names a slot of the section");
            for slot in slots(&FORUM, section) {
                let invalid = choices.iter().any(|(k, c)| *k == slot.key && c.is_err());
                // A slot that no longer applies is cleared whatever was typed in it.
                let relevant = slot_is_relevant(section, &slot, &valid);
                prop_assert_eq!(
                    input.errors.contains_key(&slot.key),
                    invalid && relevant,
                    "{}", slot.key
                );
                if invalid && relevant {
                    prop_assert!(!input.changes.contains_key(&slot.key));
                } else {
                    let expected = valid.get(&slot.key).cloned().filter(|_| relevant);
                    prop_assert_eq!(&input.changes[&slot.key].value, &expected, "{}", slot.key);
                }
            }
        }
    }
}
