//! The instrument as data: the questionnaire read from a TOML file and checked before anyone answers it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use super::lang::Lang;

/// The bundled forum instrument, so that a forum can start the day the server starts.
pub const FORUM_INSTRUMENT: &str = include_str!("../../instruments/forum.toml");

/// The mechanism fields, in the order the database stores them (one column each).
pub const MECHANISM_FIELDS: [&str; 17] = [
    "name",
    "description",
    "partner",
    "direction",
    "domains",
    "level",
    "legal_basis",
    "legal_reference",
    "channel",
    "format",
    "frequency",
    "delay_days",
    "disaggregations",
    "personal_data",
    "protection",
    "status",
    "problems",
];

/// Option keys of the mechanism `direction` field; reconciliation pairs them up.
pub const MECHANISM_DIRECTIONS: [&str; 3] = ["provide", "receive", "both"];

/// Option keys of the mechanism `status` field; the inventory filters on them.
pub const MECHANISM_STATUSES: [&str; 4] = ["active", "planned", "feasible", "suspended"];

/// Maturity levels run from 0 to this value.
pub const MAX_LEVEL: u8 = 4;

// Used when a text item does not say how long it may be.
const DEFAULT_TEXT_MAX: usize = 300;
const DEFAULT_MULTILINE_MAX: usize = 4000;

/// The bundled forum instrument, validated.
pub fn forum_instrument() -> Result<Instrument, Vec<InstrumentProblem>> {
    parse_toml(FORUM_INSTRUMENT)
}

/// The key under which one cell of a domain grid is stored as an answer:
/// `<section>.<domain>.<column>`, e.g. `domains.asylum.collects`.
pub fn grid_cell_key(section: &str, domain: &str, column: &str) -> String {
    format!("{section}.{domain}.{column}")
}

/// A text in both languages of the platform.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub es: String,
    pub en: String,
}

impl Text {
    pub fn new(es: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            es: es.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Es => &self.es,
            Lang::En => &self.en,
        }
    }
}

/// A validated questionnaire. Every code list an item names exists, every key is unique.
#[derive(Debug, Clone)]
pub struct Instrument {
    pub key: String,
    pub version: String,
    pub title: Text,
    pub intro: Text,
    /// Named lists from the file, plus one `@<section>/<item>` list per item with inline options.
    pub code_lists: BTreeMap<String, CodeList>,
    pub sections: Vec<Section>,
    /// Where each item is (section, position), so that reading a response's answers looks each
    /// one up at once instead of scanning the instrument; built with the sections.
    item_places: HashMap<String, (usize, usize)>,
}

impl Instrument {
    /// The kind of the item behind an answer key (an item, or a grid cell `section.domain.column`).
    pub fn slot_kind(&self, key: &str) -> Option<&ItemKind> {
        if let Some(item) = self.item(key) {
            return Some(&item.kind);
        }
        let (section, grid) = self.grid()?;
        let rest = key.strip_prefix(section.key.as_str())?.strip_prefix('.')?;
        let (_, column) = rest.split_once('.')?;
        grid.column(column).map(|c| &c.kind)
    }

    /// An item of an items section (grid columns and mechanism fields are reached through their section).
    pub fn item(&self, key: &str) -> Option<&Item> {
        let &(section, position) = self.item_places.get(key)?;
        self.sections.get(section)?.items().get(position)
    }

    pub fn section(&self, key: &str) -> Option<&Section> {
        self.sections.iter().find(|section| section.key == key)
    }

    /// The sections whose maturity items make the columns of the capacity matrix, in file order.
    pub fn dimensions(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter().filter(|section| section.dimension)
    }

    pub fn code_list(&self, key: &str) -> Option<&CodeList> {
        self.code_lists.get(key)
    }

    pub fn option_label(&self, list_key: &str, option_key: &str, lang: Lang) -> Option<&str> {
        let option = self.code_list(list_key)?.option(option_key)?;
        Some(option.label.get(lang))
    }

    /// The number of items in items sections (the grid and the mechanism group are not counted).
    pub fn item_count(&self) -> usize {
        self.sections
            .iter()
            .map(|section| section.items().len())
            .sum()
    }

    /// The domain grid section, if the instrument has one (at most one is allowed).
    pub fn grid(&self) -> Option<(&Section, &DomainGrid)> {
        self.sections
            .iter()
            .find_map(|section| match &section.body {
                SectionBody::DomainGrid(grid) => Some((section, grid)),
                _ => None,
            })
    }

    /// The mechanism section, if the instrument has one (at most one is allowed).
    pub fn mechanisms(&self) -> Option<(&Section, &MechanismGroup)> {
        self.sections
            .iter()
            .find_map(|section| match &section.body {
                SectionBody::Mechanisms(group) => Some((section, group)),
                _ => None,
            })
    }

    /// The code list a choice item draws from; `None` for other kinds.
    pub fn list_of(&self, item: &Item) -> Option<&CodeList> {
        match &item.kind {
            ItemKind::SingleChoice { list } | ItemKind::MultipleChoice { list } => {
                self.code_list(list)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CodeList {
    pub key: String,
    pub label: Text,
    pub options: Vec<CodeOption>,
}

impl CodeList {
    pub fn option(&self, key: &str) -> Option<&CodeOption> {
        self.options.iter().find(|option| option.key == key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.option(key).is_some()
    }

    /// Where an option sits in the list, so that answers can keep the list's order.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.options.iter().position(|option| option.key == key)
    }
}

#[derive(Debug, Clone)]
pub struct CodeOption {
    pub key: String,
    pub label: Text,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub key: String,
    pub title: Text,
    pub intro: Option<Text>,
    /// A dimension's maturity items are averaged into one cell of the capacity matrix.
    pub dimension: bool,
    pub body: SectionBody,
}

impl Section {
    /// The items of an items section; empty for the grid and the mechanism group.
    pub fn items(&self) -> &[Item] {
        match &self.body {
            SectionBody::Items(items) => items,
            _ => &[],
        }
    }
}

#[derive(Debug, Clone)]
pub enum SectionBody {
    Items(Vec<Item>),
    DomainGrid(DomainGrid),
    Mechanisms(MechanismGroup),
}

#[derive(Debug, Clone)]
pub struct Item {
    pub key: String,
    pub kind: ItemKind,
    pub label: Text,
    pub help: Option<Text>,
    pub required: bool,
    pub relevant_when: Option<Relevance>,
}

impl Item {
    pub fn is_maturity(&self) -> bool {
        matches!(self.kind, ItemKind::Maturity { .. })
    }
}

// The maturity variant is larger than the others, but items are built once per instrument and read
// many times; boxing would only add an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ItemKind {
    /// Levels 0..=4, each with its own description; "not applicable" and "don't know" are always
    /// offered, and an optional evidence text goes with every maturity answer.
    Maturity {
        levels: [Text; 5],
    },
    SingleChoice {
        list: String,
    },
    MultipleChoice {
        list: String,
    },
    YesNo,
    Number {
        min: Option<f64>,
        max: Option<f64>,
        integer: bool,
    },
    Text {
        max_length: usize,
        multiline: bool,
    },
    /// One of the assessment's organizations, or the name of an outside body.
    Partner,
}

impl ItemKind {
    /// The kind's name as written in the file.
    pub fn name(&self) -> &'static str {
        match self {
            ItemKind::Maturity { .. } => "maturity",
            ItemKind::SingleChoice { .. } => "single_choice",
            ItemKind::MultipleChoice { .. } => "multiple_choice",
            ItemKind::YesNo => "yes_no",
            ItemKind::Number { .. } => "number",
            ItemKind::Text { .. } => "text",
            ItemKind::Partner => "partner",
        }
    }
}

/// The item is shown only when another item's answer is one of `equals`
/// (for multiple choice: contains one of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relevance {
    pub item: String,
    pub equals: Vec<String>,
}

/// For each option of `list` (the data domains), the respondent answers every column.
#[derive(Debug, Clone)]
pub struct DomainGrid {
    pub list: String,
    pub columns: Vec<Item>,
}

impl DomainGrid {
    pub fn column(&self, key: &str) -> Option<&Item> {
        self.columns.iter().find(|column| column.key == key)
    }
}

/// The repeatable group of the exchange inventory; its field keys are exactly [`MECHANISM_FIELDS`].
#[derive(Debug, Clone)]
pub struct MechanismGroup {
    pub fields: Vec<Item>,
}

impl MechanismGroup {
    pub fn field(&self, key: &str) -> Option<&Item> {
        self.fields.iter().find(|field| field.key == key)
    }
}

/// One thing wrong with an instrument file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentProblem {
    pub place: String,
    pub message: String,
}

impl fmt::Display for InstrumentProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

mod check;
mod parse;
mod raw;

pub use parse::parse_toml;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz_seeds;
