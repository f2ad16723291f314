//! The instrument as data: the questionnaire read from a TOML file and checked before anyone answers it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::Deserialize;

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

// ---------------------------------------------------------------------------------------------
// The file as written. Required fields default to empty so that a missing one becomes a problem
// reported alongside all the others instead of a deserialisation error that hides them.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstrument {
    #[serde(default)]
    key: String,
    #[serde(default)]
    version: String,
    title: Option<RawText>,
    intro: Option<RawText>,
    #[serde(default)]
    sections: Vec<RawSection>,
    #[serde(default)]
    code_lists: Vec<RawCodeList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    #[serde(default)]
    es: String,
    #[serde(default)]
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCodeList {
    #[serde(default)]
    key: String,
    label: Option<RawText>,
    #[serde(default)]
    options: Vec<RawOption>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    #[serde(default)]
    key: String,
    label: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    #[serde(default)]
    key: String,
    title: Option<RawText>,
    intro: Option<RawText>,
    #[serde(default)]
    dimension: bool,
    items: Option<Vec<RawItem>>,
    grid: Option<RawGrid>,
    mechanisms: Option<RawMechanisms>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrid {
    #[serde(default)]
    list: String,
    #[serde(default)]
    columns: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMechanisms {
    #[serde(default)]
    fields: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    #[serde(default)]
    key: String,
    #[serde(default)]
    kind: String,
    label: Option<RawText>,
    help: Option<RawText>,
    #[serde(default)]
    required: bool,
    relevant_when: Option<RawRelevance>,
    levels: Option<Vec<RawText>>,
    list: Option<String>,
    options: Option<Vec<RawOption>>,
    min: Option<f64>,
    max: Option<f64>,
    integer: Option<bool>,
    max_length: Option<usize>,
    multiline: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelevance {
    #[serde(default)]
    item: String,
    #[serde(default)]
    equals: Vec<String>,
}

const KINDS: &str = "maturity, single_choice, multiple_choice, yes_no, number, text, partner";

/// Reads and validates an instrument. Every problem found is reported, each with its place.
pub fn parse_toml(source: &str) -> Result<Instrument, Vec<InstrumentProblem>> {
    let raw: RawInstrument = match toml::from_str(source) {
        Ok(raw) => raw,
        Err(error) => return Err(vec![syntax_problem(source, &error)]),
    };
    let mut checker = Checker::default();
    let instrument = checker.build(raw);
    checker.cross_check(&instrument);
    if checker.problems.is_empty() {
        Ok(instrument)
    } else {
        Err(checker.problems)
    }
}

fn syntax_problem(source: &str, error: &toml::de::Error) -> InstrumentProblem {
    let place = match error.span() {
        Some(span) => {
            let before = source.get(..span.start).unwrap_or(source);
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
            format!("line {line}, column {column}")
        }
        None => "file".to_string(),
    };
    InstrumentProblem {
        place,
        message: error.message().trim().to_string(),
    }
}

fn at(parent: &str, child: impl fmt::Display) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent} > {child}")
    }
}

fn indexed(name: &str, index: usize, key: &str) -> String {
    if key.is_empty() {
        format!("{name}[{index}]")
    } else {
        format!("{name}[{index}] \"{key}\"")
    }
}

fn key_is_valid(key: &str) -> bool {
    !key.starts_with('.')
        && !key.ends_with('.')
        && !key.contains("..")
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

/// Where each item of the instrument sits, so that cross-checks can name places.
enum Scope {
    Items,
    Grid,
    Mechanisms,
}

#[derive(Default)]
struct Checker {
    problems: Vec<InstrumentProblem>,
    inline_lists: Vec<CodeList>,
}

impl Checker {
    fn problem(&mut self, place: &str, message: impl Into<String>) {
        self.problems.push(InstrumentProblem {
            place: place.to_string(),
            message: message.into(),
        });
    }

    fn key(&mut self, place: &str, key: &str) {
        if key.is_empty() {
            self.problem(place, "the key is missing");
        } else if !key_is_valid(key) {
            self.problem(
                place,
                format!(
                    "key `{key}` is not valid: use lowercase letters, digits, `_` and `.` \
                     (no leading, trailing or double dot)"
                ),
            );
        }
    }

    fn text(&mut self, place: &str, raw: Option<RawText>) -> Text {
        let Some(raw) = raw else {
            self.problem(place, "the text is missing (it needs `es` and `en`)");
            return Text::default();
        };
        if raw.es.trim().is_empty() {
            self.problem(place, "the Spanish text (es) is missing or empty");
        }
        if raw.en.trim().is_empty() {
            self.problem(place, "the English text (en) is missing or empty");
        }
        Text::new(raw.es.trim(), raw.en.trim())
    }

    fn optional_text(&mut self, place: &str, raw: Option<RawText>) -> Option<Text> {
        raw.map(|raw| self.text(place, Some(raw)))
    }

    fn build(&mut self, raw: RawInstrument) -> Instrument {
        self.key("key", &raw.key);
        if raw.version.trim().is_empty() {
            self.problem("version", "the version is missing");
        } else if !raw
            .version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            self.problem(
                "version",
                format!(
                    "version `{}` is not valid: use letters, digits, `.`, `-` and `_`",
                    raw.version
                ),
            );
        }
        let title = self.text("title", raw.title);
        let intro = self.text("intro", raw.intro);

        let mut code_lists = BTreeMap::new();
        for (index, list) in raw.code_lists.into_iter().enumerate() {
            let place = indexed("code_lists", index, &list.key);
            let list = self.code_list(&place, list.key, list.label, list.options);
            if code_lists.contains_key(&list.key) {
                self.problem(
                    &place,
                    format!("code list key `{}` is used more than once", list.key),
                );
            } else {
                code_lists.insert(list.key.clone(), list);
            }
        }

        if raw.sections.is_empty() {
            self.problem("sections", "the instrument has no sections");
        }
        let mut sections = Vec::new();
        for (index, section) in raw.sections.into_iter().enumerate() {
            let place = indexed("sections", index, &section.key);
            sections.push(self.section(&place, section));
        }

        for list in std::mem::take(&mut self.inline_lists) {
            code_lists.insert(list.key.clone(), list);
        }
        let mut item_places = HashMap::new();
        for (section_index, section) in sections.iter().enumerate() {
            for (position, item) in section.items().iter().enumerate() {
                // A repeated key is reported as a problem; the first one is the item.
                item_places
                    .entry(item.key.clone())
                    .or_insert((section_index, position));
            }
        }
        Instrument {
            key: raw.key,
            version: raw.version,
            title,
            intro,
            code_lists,
            sections,
            item_places,
        }
    }

    fn code_list(
        &mut self,
        place: &str,
        key: String,
        label: Option<RawText>,
        options: Vec<RawOption>,
    ) -> CodeList {
        self.key(place, &key);
        let label = self.text(&at(place, "label"), label);
        self.options(place, key, label, options)
    }

    fn options(
        &mut self,
        place: &str,
        key: String,
        label: Text,
        options: Vec<RawOption>,
    ) -> CodeList {
        if options.is_empty() {
            self.problem(&at(place, "options"), "the list has no options");
        }
        let mut seen = BTreeSet::new();
        let mut built = Vec::new();
        for (index, option) in options.into_iter().enumerate() {
            let option_place = at(place, indexed("options", index, &option.key));
            self.key(&option_place, &option.key);
            if !seen.insert(option.key.clone()) {
                self.problem(
                    &option_place,
                    format!("option key `{}` is used more than once", option.key),
                );
            }
            let label = self.text(&at(&option_place, "label"), option.label);
            built.push(CodeOption {
                key: option.key,
                label,
            });
        }
        CodeList {
            key,
            label,
            options: built,
        }
    }

    fn section(&mut self, place: &str, raw: RawSection) -> Section {
        self.key(place, &raw.key);
        let title = self.text(&at(place, "title"), raw.title);
        let intro = self.optional_text(&at(place, "intro"), raw.intro);
        let bodies = [
            raw.items.is_some(),
            raw.grid.is_some(),
            raw.mechanisms.is_some(),
        ]
        .iter()
        .filter(|present| **present)
        .count();
        if bodies != 1 {
            self.problem(
                place,
                "a section needs exactly one of `items`, `grid` or `mechanisms`",
            );
        }
        let body = if let Some(items) = raw.items {
            if items.is_empty() {
                self.problem(place, "the section has no items");
            }
            let built = items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    let item_place = at(place, indexed("items", index, &item.key));
                    self.item(&item_place, &raw.key, item)
                })
                .collect();
            SectionBody::Items(built)
        } else if let Some(grid) = raw.grid {
            let grid_place = at(place, "grid");
            if grid.list.is_empty() {
                self.problem(
                    &grid_place,
                    "the grid needs `list`, the code list of data domains",
                );
            }
            if grid.columns.is_empty() {
                self.problem(&grid_place, "the grid has no columns");
            }
            let columns = grid
                .columns
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    let item_place = at(&grid_place, indexed("columns", index, &item.key));
                    self.item(&item_place, &raw.key, item)
                })
                .collect();
            SectionBody::DomainGrid(DomainGrid {
                list: grid.list,
                columns,
            })
        } else if let Some(group) = raw.mechanisms {
            let group_place = at(place, "mechanisms");
            if group.fields.is_empty() {
                self.problem(&group_place, "the mechanism group has no fields");
            }
            let fields = group
                .fields
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    let item_place = at(&group_place, indexed("fields", index, &item.key));
                    self.item(&item_place, &raw.key, item)
                })
                .collect();
            SectionBody::Mechanisms(MechanismGroup { fields })
        } else {
            SectionBody::Items(Vec::new())
        };
        Section {
            key: raw.key,
            title,
            intro,
            dimension: raw.dimension,
            body,
        }
    }

    fn item(&mut self, place: &str, section_key: &str, raw: RawItem) -> Item {
        self.key(place, &raw.key);
        let label = self.text(&at(place, "label"), raw.label);
        let help = self.optional_text(&at(place, "help"), raw.help);
        let relevant_when = raw.relevant_when.map(|relevance| Relevance {
            item: relevance.item,
            equals: relevance.equals,
        });

        let present = [
            ("levels", raw.levels.is_some()),
            ("list", raw.list.is_some()),
            ("options", raw.options.is_some()),
            ("min", raw.min.is_some()),
            ("max", raw.max.is_some()),
            ("integer", raw.integer.is_some()),
            ("max_length", raw.max_length.is_some()),
            ("multiline", raw.multiline.is_some()),
        ];
        let allowed: &[&str] = match raw.kind.as_str() {
            "maturity" => &["levels"],
            "single_choice" | "multiple_choice" => &["list", "options"],
            "number" => &["min", "max", "integer"],
            "text" => &["max_length", "multiline"],
            _ => &[],
        };
        let known_kind = matches!(
            raw.kind.as_str(),
            "maturity"
                | "single_choice"
                | "multiple_choice"
                | "yes_no"
                | "number"
                | "text"
                | "partner"
        );
        if known_kind {
            for (field, is_present) in present {
                if is_present && !allowed.contains(&field) {
                    self.problem(
                        place,
                        format!("`{field}` does not apply to a {} item", raw.kind),
                    );
                }
            }
        }

        let kind = match raw.kind.as_str() {
            "maturity" => ItemKind::Maturity {
                levels: self.levels(place, raw.levels),
            },
            "single_choice" | "multiple_choice" => {
                let list = match (raw.list, raw.options) {
                    (Some(list), None) => list,
                    (None, Some(options)) => {
                        let key = format!("@{section_key}/{}", raw.key);
                        let list = self.options(place, key.clone(), label.clone(), options);
                        self.inline_lists.push(list);
                        key
                    }
                    (Some(list), Some(_)) => {
                        self.problem(place, "give either `list` or `options`, not both");
                        list
                    }
                    (None, None) => {
                        self.problem(
                            place,
                            "a choice item needs `list` (a code list key) or inline `options`",
                        );
                        String::new()
                    }
                };
                if raw.kind == "single_choice" {
                    ItemKind::SingleChoice { list }
                } else {
                    ItemKind::MultipleChoice { list }
                }
            }
            "yes_no" => ItemKind::YesNo,
            "number" => {
                for (name, bound) in [("min", raw.min), ("max", raw.max)] {
                    if bound.is_some_and(|value| !value.is_finite()) {
                        self.problem(place, format!("`{name}` must be a finite number"));
                    }
                }
                if let (Some(min), Some(max)) = (raw.min, raw.max)
                    && min > max
                {
                    self.problem(
                        place,
                        format!("`min` ({min}) is greater than `max` ({max})"),
                    );
                }
                ItemKind::Number {
                    min: raw.min,
                    max: raw.max,
                    integer: raw.integer.unwrap_or(false),
                }
            }
            "text" => {
                let multiline = raw.multiline.unwrap_or(false);
                let default = if multiline {
                    DEFAULT_MULTILINE_MAX
                } else {
                    DEFAULT_TEXT_MAX
                };
                let max_length = raw.max_length.unwrap_or(default);
                if max_length == 0 {
                    self.problem(place, "`max_length` must be at least 1");
                }
                ItemKind::Text {
                    max_length,
                    multiline,
                }
            }
            "partner" => ItemKind::Partner,
            "" => {
                self.problem(place, format!("the kind is missing; use one of {KINDS}"));
                ItemKind::YesNo
            }
            other => {
                self.problem(place, format!("unknown kind `{other}`; use one of {KINDS}"));
                ItemKind::YesNo
            }
        };
        Item {
            key: raw.key,
            kind,
            label,
            help,
            required: raw.required,
            relevant_when,
        }
    }

    fn levels(&mut self, place: &str, raw: Option<Vec<RawText>>) -> [Text; 5] {
        let mut levels: [Text; 5] = Default::default();
        let Some(raw) = raw else {
            self.problem(
                place,
                "a maturity item needs `levels`: five descriptions, for levels 0 to 4",
            );
            return levels;
        };
        if raw.len() != levels.len() {
            self.problem(
                &at(place, "levels"),
                format!(
                    "there must be exactly 5 level descriptions (levels 0 to 4), found {}",
                    raw.len()
                ),
            );
        }
        for (index, text) in raw.into_iter().enumerate() {
            let text = self.text(&at(place, format!("levels[{index}]")), Some(text));
            if let Some(slot) = levels.get_mut(index) {
                *slot = text;
            }
        }
        levels
    }

    fn cross_check(&mut self, instrument: &Instrument) {
        let mut section_keys = BTreeSet::new();
        let mut item_keys: BTreeMap<&str, String> = BTreeMap::new();
        let mut grids = 0;
        let mut mechanism_groups = 0;
        let mut grid_cells = BTreeSet::new();

        for (index, section) in instrument.sections.iter().enumerate() {
            let place = indexed("sections", index, &section.key);
            if !section.key.is_empty() && !section_keys.insert(section.key.as_str()) {
                self.problem(
                    &place,
                    format!("section key `{}` is used more than once", section.key),
                );
            }
            let (container, scope, items): (String, Scope, &[Item]) = match &section.body {
                SectionBody::Items(items) => (place.clone(), Scope::Items, items),
                SectionBody::DomainGrid(grid) => {
                    grids += 1;
                    let grid_place = at(&place, "grid");
                    match instrument.code_list(&grid.list) {
                        Some(domains) => {
                            for domain in &domains.options {
                                for column in &grid.columns {
                                    grid_cells.insert(grid_cell_key(
                                        &section.key,
                                        &domain.key,
                                        &column.key,
                                    ));
                                }
                            }
                        }
                        None if grid.list.is_empty() => {}
                        None => self.problem(
                            &grid_place,
                            format!("the grid refers to unknown code list `{}`", grid.list),
                        ),
                    }
                    (grid_place, Scope::Grid, &grid.columns)
                }
                SectionBody::Mechanisms(group) => {
                    mechanism_groups += 1;
                    let group_place = at(&place, "mechanisms");
                    self.mechanism_fields(instrument, &group_place, group);
                    (group_place, Scope::Mechanisms, &group.fields)
                }
            };
            if section.dimension {
                let has_maturity = items.iter().any(Item::is_maturity);
                if !matches!(scope, Scope::Items) || !has_maturity {
                    self.problem(
                        &place,
                        "a dimension must be an items section with at least one maturity item",
                    );
                }
            }
            let child = match scope {
                Scope::Items => "items",
                Scope::Grid => "columns",
                Scope::Mechanisms => "fields",
            };
            let mut local_keys = BTreeSet::new();
            for (item_index, item) in items.iter().enumerate() {
                let item_place = at(&container, indexed(child, item_index, &item.key));
                if item.key.is_empty() {
                    continue;
                }
                match scope {
                    Scope::Items => {
                        if let Some(first) = item_keys.get(item.key.as_str()) {
                            let message =
                                format!("item key `{}` is already used at {first}", item.key);
                            self.problem(&item_place, message);
                        } else {
                            item_keys.insert(&item.key, item_place.clone());
                        }
                    }
                    Scope::Grid | Scope::Mechanisms => {
                        if !local_keys.insert(item.key.as_str()) {
                            self.problem(
                                &item_place,
                                format!(
                                    "key `{}` is used more than once in this section",
                                    item.key
                                ),
                            );
                        }
                        if item.key.contains('.') {
                            self.problem(
                                &item_place,
                                "grid column and mechanism field keys cannot contain `.`",
                            );
                        }
                    }
                }
                let kind_allowed = match scope {
                    Scope::Items => !matches!(item.kind, ItemKind::Partner),
                    Scope::Grid => matches!(
                        item.kind,
                        ItemKind::SingleChoice { .. }
                            | ItemKind::MultipleChoice { .. }
                            | ItemKind::YesNo
                    ),
                    Scope::Mechanisms => true,
                };
                if !kind_allowed {
                    let message = match scope {
                        Scope::Grid => {
                            "a grid column must be single_choice, multiple_choice or yes_no"
                        }
                        _ => "a partner item belongs only in the mechanism group",
                    };
                    self.problem(&item_place, message);
                }
                if let ItemKind::SingleChoice { list } | ItemKind::MultipleChoice { list } =
                    &item.kind
                    && !list.is_empty()
                    && instrument.code_list(list).is_none()
                {
                    self.problem(&item_place, format!("unknown code list `{list}`"));
                }
            }
            // Relevance targets live in the same scope: a grid column depends on a column of the
            // same row, a mechanism field on a field of the same entry.
            let scope_items: Vec<&Item> = match scope {
                Scope::Items => Vec::new(),
                Scope::Grid | Scope::Mechanisms => items.iter().collect(),
            };
            for (item_index, item) in items.iter().enumerate() {
                let Some(relevance) = &item.relevant_when else {
                    continue;
                };
                let item_place = at(&container, indexed(child, item_index, &item.key));
                let target = match scope {
                    Scope::Items => instrument.item(&relevance.item),
                    Scope::Grid | Scope::Mechanisms => scope_items
                        .iter()
                        .copied()
                        .find(|candidate| candidate.key == relevance.item),
                };
                self.relevance(instrument, &at(&item_place, "relevant_when"), item, target);
            }
        }

        for (key, place) in &item_keys {
            if grid_cells.contains(*key) {
                self.problem(
                    place,
                    format!("item key `{key}` is the same as the key of a domain grid cell"),
                );
            }
        }
        if grids > 1 {
            self.problem("sections", "an instrument can have at most one domain grid");
        }
        if mechanism_groups > 1 {
            self.problem(
                "sections",
                "an instrument can have at most one mechanism group",
            );
        }
    }

    fn relevance(
        &mut self,
        instrument: &Instrument,
        place: &str,
        item: &Item,
        target: Option<&Item>,
    ) {
        let Some(relevance) = &item.relevant_when else {
            return;
        };
        if relevance.item == item.key {
            self.problem(place, "an item cannot depend on itself");
            return;
        }
        let Some(target) = target else {
            self.problem(
                place,
                format!("refers to unknown item `{}`", relevance.item),
            );
            return;
        };
        if target.relevant_when.is_some() {
            self.problem(
                place,
                format!(
                    "refers to `{}`, which has a condition of its own; point at the item that decides",
                    target.key
                ),
            );
        }
        if relevance.equals.is_empty() {
            self.problem(place, "`equals` is empty");
        }
        let allowed: Vec<String> = match &target.kind {
            ItemKind::Maturity { .. } => (0..=MAX_LEVEL)
                .map(|level| level.to_string())
                .chain(["na".to_string(), "dk".to_string()])
                .collect(),
            ItemKind::YesNo => vec!["yes".to_string(), "no".to_string()],
            ItemKind::SingleChoice { list } | ItemKind::MultipleChoice { list } => {
                match instrument.code_list(list) {
                    Some(list) => list.options.iter().map(|o| o.key.clone()).collect(),
                    // The unknown list is reported on the target itself.
                    None => return,
                }
            }
            other => {
                self.problem(
                    place,
                    format!(
                        "refers to `{}`, a {} item; a condition can only test maturity, choice or yes/no items",
                        target.key,
                        other.name()
                    ),
                );
                return;
            }
        };
        for value in &relevance.equals {
            if !allowed.contains(value) {
                self.problem(
                    place,
                    format!(
                        "`{value}` is not a possible answer of `{}` (possible: {})",
                        target.key,
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    fn mechanism_fields(&mut self, instrument: &Instrument, place: &str, group: &MechanismGroup) {
        for expected in MECHANISM_FIELDS {
            if group.field(expected).is_none() {
                self.problem(
                    place,
                    format!("the mechanism field `{expected}` is missing"),
                );
            }
        }
        for (index, field) in group.fields.iter().enumerate() {
            let field_place = at(place, indexed("fields", index, &field.key));
            if !MECHANISM_FIELDS.contains(&field.key.as_str()) {
                if !field.key.is_empty() {
                    self.problem(
                        &field_place,
                        format!(
                            "`{}` is not a mechanism field; the fields are fixed: {}",
                            field.key,
                            MECHANISM_FIELDS.join(", ")
                        ),
                    );
                }
                continue;
            }
            let expected_kind = match field.key.as_str() {
                "name" | "description" | "legal_reference" | "problems" => "text",
                "partner" => "partner",
                "domains" | "disaggregations" | "protection" => "multiple_choice",
                "delay_days" => "number",
                "personal_data" => "yes_no",
                _ => "single_choice",
            };
            if field.kind.name() != expected_kind {
                self.problem(
                    &field_place,
                    format!(
                        "the `{}` field must be a {expected_kind} item, not {}",
                        field.key,
                        field.kind.name()
                    ),
                );
                continue;
            }
            if let ItemKind::Number { min, integer, .. } = field.kind
                && (!integer || min.is_none_or(|min| min < 0.0))
            {
                self.problem(
                    &field_place,
                    "`delay_days` must be an integer number with `min` 0 or more",
                );
            }
            let fixed_options: &[&str] = match field.key.as_str() {
                "status" => &MECHANISM_STATUSES,
                "direction" => &MECHANISM_DIRECTIONS,
                _ => &[],
            };
            if !fixed_options.is_empty()
                && let Some(list) = instrument.list_of(field)
            {
                let found: BTreeSet<&str> = list.options.iter().map(|o| o.key.as_str()).collect();
                let wanted: BTreeSet<&str> = fixed_options.iter().copied().collect();
                if found != wanted {
                    self.problem(
                        &field_place,
                        format!(
                            "the `{}` options must be exactly: {}",
                            field.key,
                            fixed_options.join(", ")
                        ),
                    );
                }
            }
            if field.key == "domains"
                && let Some((_, grid)) = instrument.grid()
                && let ItemKind::MultipleChoice { list } = &field.kind
                && *list != grid.list
            {
                self.problem(
                    &field_place,
                    format!(
                        "the `domains` field must use the grid's list of domains `{}`",
                        grid.list
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz_seeds;
