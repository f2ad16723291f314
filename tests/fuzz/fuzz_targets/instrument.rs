//! Fuzz target: the instrument file parser and validator. Any text must give either a valid
//! instrument (which the questionnaire code can then use without panicking) or a non-empty list
//! of problems, each with its place; never a panic, a hang or an allocation blow-up.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use capacity_survey::domain::answers;
use capacity_survey::domain::instrument::{ItemKind, SectionBody, parse_toml};
use capacity_survey::domain::section_form;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let instrument = match parse_toml(source) {
        Ok(instrument) => instrument,
        Err(problems) => {
            assert!(!problems.is_empty(), "a refusal names its problems");
            for problem in &problems {
                assert!(!problem.message.is_empty(), "{problem:?}");
            }
            return;
        }
    };
    // What validation promises: unique section keys, every named code list exists.
    let mut sections = BTreeSet::new();
    for section in &instrument.sections {
        assert!(sections.insert(section.key.as_str()), "{}", section.key);
        let items: Vec<_> = match &section.body {
            SectionBody::Items(items) => items.iter().collect(),
            SectionBody::DomainGrid(grid) => {
                assert!(instrument.code_list(&grid.list).is_some(), "{}", grid.list);
                grid.columns.iter().collect()
            }
            SectionBody::Mechanisms(group) => group.fields.iter().collect(),
        };
        for item in items {
            if let ItemKind::SingleChoice { list } | ItemKind::MultipleChoice { list } = &item.kind
            {
                assert!(instrument.code_list(list).is_some(), "{}: {list}", item.key);
            }
        }
        // The questionnaire code runs on it: slots, an empty form, progress.
        let empty = BTreeMap::new();
        let _ = section_form::slots(&instrument, section);
        let _ = section_form::read_section_form(&instrument, section, &BTreeMap::new(), &empty);
        let _ = answers::progress(&instrument, section, &empty);
    }
    let _ = answers::missing_required(&instrument, &BTreeMap::new());
    let _ = instrument.item_count();
});
