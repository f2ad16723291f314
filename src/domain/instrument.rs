//! The instrument as data: the questionnaire read from a TOML file and checked before anyone answers it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::Deserialize;

use super::lang::Lang;

/// The bundled forum instrument, so that a forum can start the day the server starts.
pub const FORUM_INSTRUMENT: &str = include_str!("../instruments/forum.toml");

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
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const HEAD: &str = r#"
key = "t"
version = "1"
title = { es = "Título", en = "Title" }
intro = { es = "Intro", en = "Intro" }
"#;

    const YES_NO: &str = r#"
[[sections]]
key = "s"
title = { es = "S", en = "S" }
[[sections.items]]
key = "s.a"
kind = "yes_no"
label = { es = "A", en = "A" }
"#;

    fn problems(body: &str) -> Vec<InstrumentProblem> {
        match parse_toml(&format!("{HEAD}{body}")) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }

    /// Asserts that some problem has exactly this place and a message containing `needle`.
    fn assert_problem(problems: &[InstrumentProblem], place: &str, needle: &str) {
        assert!(
            problems
                .iter()
                .any(|p| p.place == place && p.message.contains(needle)),
            "no problem at {place:?} containing {needle:?} in:\n{}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    fn forum() -> Instrument {
        match forum_instrument() {
            Ok(instrument) => instrument,
            Err(problems) => panic!(
                "forum instrument has problems:\n{}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }

    /// The seventeen mechanism fields with inline options, minus `skip`, plus `extra`.
    fn mechanism_section(skip: &str, status: &str, extra: &str) -> String {
        let mut out =
            String::from("[[sections]]\nkey = \"m\"\ntitle = { es = \"M\", en = \"M\" }\n");
        for key in MECHANISM_FIELDS {
            if key == skip {
                continue;
            }
            let spec = match key {
                "name" | "description" | "legal_reference" | "problems" => {
                    "kind = \"text\"".to_string()
                }
                "partner" => "kind = \"partner\"".to_string(),
                "delay_days" => "kind = \"number\"\ninteger = true\nmin = 0".to_string(),
                "personal_data" => "kind = \"yes_no\"".to_string(),
                "domains" | "disaggregations" | "protection" => {
                    "kind = \"multiple_choice\"\noptions = [{ key = \"x\", label = { es = \"X\", en = \"X\" } }]"
                        .to_string()
                }
                "status" => format!("kind = \"single_choice\"\noptions = [{status}]"),
                "direction" => "kind = \"single_choice\"\noptions = [\
                    { key = \"provide\", label = { es = \"E\", en = \"P\" } }, \
                    { key = \"receive\", label = { es = \"R\", en = \"R\" } }, \
                    { key = \"both\", label = { es = \"A\", en = \"B\" } }]"
                    .to_string(),
                _ => "kind = \"single_choice\"\noptions = [{ key = \"x\", label = { es = \"X\", en = \"X\" } }]"
                    .to_string(),
            };
            out.push_str(&format!(
                "[[sections.mechanisms.fields]]\nkey = \"{key}\"\n{spec}\nlabel = {{ es = \"F\", en = \"F\" }}\n"
            ));
        }
        out.push_str(extra);
        out
    }

    fn statuses(keys: &[&str]) -> String {
        keys.iter()
            .map(|k| format!("{{ key = \"{k}\", label = {{ es = \"E\", en = \"S\" }} }}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    // ---- the forum instrument --------------------------------------------------------------

    #[test]
    fn forum_instrument_loads_without_problems() {
        let instrument = forum();
        assert_eq!(instrument.key, "forum");
        assert_eq!(instrument.version, "2023.1");
        assert!(instrument.intro.es.contains("45"));
        assert!(instrument.intro.en.contains("save"));
    }

    #[test]
    fn forum_covers_every_dimension_in_order() {
        let instrument = forum();
        let keys: Vec<&str> = instrument.dimensions().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "legal",
                "collection",
                "quality",
                "use",
                "dissemination",
                "exchange",
                "people",
                "technology"
            ]
        );
        let counts: Vec<usize> = instrument.dimensions().map(|s| s.items().len()).collect();
        assert_eq!(counts, [4, 4, 4, 3, 3, 5, 3, 4]);
        let order: Vec<&str> = instrument.sections.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(order.first(), Some(&"about"));
        assert_eq!(&order[order.len() - 2..], ["domains", "mechanisms"]);
    }

    #[test]
    fn forum_maturity_items_are_required_helped_and_have_their_own_levels() {
        let instrument = forum();
        let mut all_levels = BTreeSet::new();
        for section in instrument.dimensions() {
            for item in section.items() {
                assert!(
                    item.key.starts_with(&format!("{}.", section.key)),
                    "{}",
                    item.key
                );
                assert!(item.required, "{}", item.key);
                assert!(item.help.is_some(), "{}", item.key);
                let ItemKind::Maturity { levels } = &item.kind else {
                    panic!("{} is not a maturity item", item.key);
                };
                for level in levels {
                    assert!(
                        all_levels.insert(level.en.clone()),
                        "level text repeated: {}",
                        level.en
                    );
                    all_levels.insert(format!("es:{}", level.es));
                }
            }
        }
        assert_eq!(all_levels.len(), 30 * 5 * 2);
        for key in [
            "legal.mandate",
            "legal.confidentiality",
            "legal.sharing",
            "legal.coordination",
            "exchange.security",
            "technology.budget",
        ] {
            assert!(instrument.item(key).is_some(), "{key}");
        }
    }

    #[test]
    fn forum_about_section_has_part_d() {
        let instrument = forum();
        let about = instrument.section("about").unwrap();
        assert!(!about.dimension);
        let keys: Vec<&str> = about.items().iter().map(|i| i.key.as_str()).collect();
        for key in [
            "about.sector",
            "about.focal_point_name",
            "about.focal_point_position",
            "about.focal_point_email",
            "about.units",
            "about.staff",
            "about.priorities",
        ] {
            assert!(keys.contains(&key), "{key}");
        }
        let sectors = instrument.code_list("sectors").unwrap();
        assert_eq!(sectors.options.len(), 14);
        let Some(ItemKind::Number { min, max, integer }) =
            instrument.item("about.staff").map(|i| &i.kind)
        else {
            panic!("about.staff is not a number");
        };
        assert_eq!((*min, *max, *integer), (Some(0.0), Some(100000.0), true));
        assert_eq!(
            instrument.option_label("sectors", "ombudsman", Lang::Es),
            Some("Defensoría del Pueblo")
        );
        assert_eq!(instrument.option_label("sectors", "nope", Lang::Es), None);
        assert_eq!(instrument.item_count(), 38);
    }

    #[test]
    fn forum_grid_covers_all_domains() {
        let instrument = forum();
        let (section, grid) = instrument.grid().unwrap();
        assert_eq!(section.key, "domains");
        let domains: Vec<&str> = instrument
            .code_list(&grid.list)
            .unwrap()
            .options
            .iter()
            .map(|o| o.key.as_str())
            .collect();
        assert_eq!(
            domains,
            [
                "border_flows",
                "irregular_transit",
                "residence_permits",
                "work_permits",
                "asylum",
                "statelessness",
                "returns",
                "trafficking_smuggling",
                "unaccompanied_children",
                "health",
                "education",
                "civil_registration",
                "census_surveys",
                "remittances",
                "emigration_diaspora",
                "displacement",
                "complaints_rights"
            ]
        );
        let columns: Vec<&str> = grid.columns.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            columns,
            [
                "collects",
                "source",
                "disaggregations",
                "frequency",
                "published",
                "needed"
            ]
        );
        for key in ["source", "disaggregations", "frequency", "published"] {
            let relevance = grid.column(key).unwrap().relevant_when.clone().unwrap();
            assert_eq!(relevance.item, "collects");
            assert_eq!(relevance.equals, ["yes", "partly"]);
        }
        assert_eq!(
            instrument
                .code_list("disaggregations")
                .unwrap()
                .options
                .len(),
            8
        );
    }

    #[test]
    fn forum_mechanism_group_has_the_fixed_fields() {
        let instrument = forum();
        let (section, group) = instrument.mechanisms().unwrap();
        assert_eq!(section.key, "mechanisms");
        let keys: Vec<&str> = group.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, MECHANISM_FIELDS);
        let status = instrument.list_of(group.field("status").unwrap()).unwrap();
        let status: Vec<&str> = status.options.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(status, MECHANISM_STATUSES);
        for (list, count) in [
            ("legal_basis", 5),
            ("channel", 7),
            ("format", 7),
            ("exchange_frequency", 7),
            ("protection", 4),
            ("data_level", 3),
        ] {
            assert_eq!(
                instrument.code_list(list).unwrap().options.len(),
                count,
                "{list}"
            );
        }
        assert!(matches!(
            group.field("partner").unwrap().kind,
            ItemKind::Partner
        ));
    }

    // ---- validation rules ------------------------------------------------------------------

    #[test]
    fn minimal_instrument_is_valid() {
        assert_eq!(problems(YES_NO), []);
    }

    #[test]
    fn syntax_error_gives_line_and_column() {
        let found = parse_toml("key = \"t\"\nversion = \n").unwrap_err();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].place, "line 2, column 11");
        assert!(found[0].to_string().starts_with("line 2, column 11: "));
    }

    #[test]
    fn unknown_field_is_an_error() {
        let found = problems(&YES_NO.replace("label =", "lable ="));
        assert_eq!(found.len(), 1);
        assert!(found[0].place.starts_with("line "), "{}", found[0]);
        assert!(found[0].message.contains("lable"), "{}", found[0]);
    }

    #[test]
    fn duplicate_item_keys_are_reported_across_sections() {
        let twice = format!("{YES_NO}{}", YES_NO.replace("key = \"s\"", "key = \"t\""));
        assert_problem(
            &problems(&twice),
            "sections[1] \"t\" > items[0] \"s.a\"",
            "item key `s.a` is already used at sections[0] \"s\" > items[0] \"s.a\"",
        );
    }

    #[test]
    fn duplicate_section_keys_are_reported() {
        let twice = format!("{YES_NO}{}", YES_NO.replace("s.a", "s.b"));
        assert_problem(
            &problems(&twice),
            "sections[1] \"s\"",
            "section key `s` is used more than once",
        );
    }

    #[test]
    fn duplicate_code_list_and_option_keys_are_reported() {
        let lists = r#"
[[code_lists]]
key = "l"
label = { es = "L", en = "L" }
options = [
  { key = "a", label = { es = "A", en = "A" } },
  { key = "a", label = { es = "A", en = "A" } },
]
[[code_lists]]
key = "l"
label = { es = "L", en = "L" }
options = [{ key = "b", label = { es = "B", en = "B" } }]
"#;
        let found = problems(&format!("{YES_NO}{lists}"));
        assert_problem(
            &found,
            "code_lists[1] \"l\"",
            "code list key `l` is used more than once",
        );
        assert_problem(
            &found,
            "code_lists[0] \"l\" > options[1] \"a\"",
            "option key `a` is used more than once",
        );
    }

    #[test]
    fn missing_or_empty_translations_are_reported() {
        let found = problems(
            &YES_NO
                .replace(
                    "label = { es = \"A\", en = \"A\" }",
                    "label = { es = \"A\", en = \" \" }",
                )
                .replace(
                    "title = { es = \"S\", en = \"S\" }",
                    "title = { en = \"S\" }",
                ),
        );
        assert_problem(
            &found,
            "sections[0] \"s\" > items[0] \"s.a\" > label",
            "English text (en) is missing or empty",
        );
        assert_problem(&found, "sections[0] \"s\" > title", "Spanish text (es)");
        let no_intro = parse_toml(&format!(
            "{}{YES_NO}",
            HEAD.replace("intro = { es = \"Intro\", en = \"Intro\" }", "")
        ))
        .unwrap_err();
        assert_problem(&no_intro, "intro", "the text is missing");
    }

    #[test]
    fn unknown_kind_is_reported() {
        assert_problem(
            &problems(&YES_NO.replace("yes_no", "slider")),
            "sections[0] \"s\" > items[0] \"s.a\"",
            "unknown kind `slider`",
        );
    }

    #[test]
    fn fields_that_do_not_apply_to_the_kind_are_reported() {
        assert_problem(
            &problems(&YES_NO.replace("kind = \"yes_no\"", "kind = \"yes_no\"\nmax_length = 3")),
            "sections[0] \"s\" > items[0] \"s.a\"",
            "`max_length` does not apply to a yes_no item",
        );
    }

    #[test]
    fn relevance_problems_are_reported() {
        let body = format!(
            "{YES_NO}{}",
            r#"
[[sections.items]]
key = "s.self"
kind = "yes_no"
label = { es = "B", en = "B" }
relevant_when = { item = "s.self", equals = ["yes"] }
[[sections.items]]
key = "s.unknown"
kind = "yes_no"
label = { es = "C", en = "C" }
relevant_when = { item = "s.nope", equals = ["yes"] }
[[sections.items]]
key = "s.value"
kind = "yes_no"
label = { es = "D", en = "D" }
relevant_when = { item = "s.a", equals = ["si"] }
[[sections.items]]
key = "s.text"
kind = "text"
label = { es = "E", en = "E" }
[[sections.items]]
key = "s.on_text"
kind = "yes_no"
label = { es = "F", en = "F" }
relevant_when = { item = "s.text", equals = ["x"] }
[[sections.items]]
key = "s.chained"
kind = "yes_no"
label = { es = "G", en = "G" }
relevant_when = { item = "s.value", equals = ["yes"] }
"#
        );
        let found = problems(&body);
        let place = |index: usize, key: &str| {
            format!("sections[0] \"s\" > items[{index}] \"{key}\" > relevant_when")
        };
        assert_problem(&found, &place(1, "s.self"), "cannot depend on itself");
        assert_problem(&found, &place(2, "s.unknown"), "unknown item `s.nope`");
        assert_problem(
            &found,
            &place(3, "s.value"),
            "`si` is not a possible answer of `s.a`",
        );
        assert_problem(&found, &place(5, "s.on_text"), "a text item");
        assert_problem(&found, &place(6, "s.chained"), "has a condition of its own");
        assert_eq!(found.len(), 5, "{found:?}");
    }

    #[test]
    fn relevance_on_choice_checks_the_code_list() {
        let body = r#"
[[sections]]
key = "s"
title = { es = "S", en = "S" }
[[sections.items]]
key = "s.pick"
kind = "multiple_choice"
options = [{ key = "a", label = { es = "A", en = "A" } }, { key = "b", label = { es = "B", en = "B" } }]
label = { es = "P", en = "P" }
[[sections.items]]
key = "s.more"
kind = "text"
label = { es = "M", en = "M" }
relevant_when = { item = "s.pick", equals = ["b", "c"] }
"#;
        let found = problems(body);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_problem(
            &found,
            "sections[0] \"s\" > items[1] \"s.more\" > relevant_when",
            "`c` is not a possible answer of `s.pick` (possible: a, b)",
        );
        let fixed = parse_toml(&format!("{HEAD}{}", body.replace(", \"c\"", ""))).unwrap();
        let list = fixed.list_of(fixed.item("s.pick").unwrap()).unwrap();
        assert_eq!(list.key, "@s/s.pick");
        assert_eq!(list.label.en, "P");
    }

    #[test]
    fn maturity_needs_exactly_five_levels() {
        let body = r#"
[[sections]]
key = "d"
dimension = true
title = { es = "D", en = "D" }
[[sections.items]]
key = "d.m"
kind = "maturity"
label = { es = "M", en = "M" }
levels = [
  { es = "0", en = "0" }, { es = "1", en = "1" }, { es = "2", en = "2" }, { es = "3", en = "" },
]
"#;
        let found = problems(body);
        assert_problem(
            &found,
            "sections[0] \"d\" > items[0] \"d.m\" > levels",
            "exactly 5 level descriptions (levels 0 to 4), found 4",
        );
        assert_problem(
            &found,
            "sections[0] \"d\" > items[0] \"d.m\" > levels[3]",
            "English text",
        );
        let without = body.split("levels = [").next().unwrap_or_default();
        assert_problem(
            &problems(without),
            "sections[0] \"d\" > items[0] \"d.m\"",
            "a maturity item needs `levels`",
        );
    }

    #[test]
    fn choice_item_with_unknown_code_list_is_reported() {
        let body = YES_NO.replace(
            "kind = \"yes_no\"",
            "kind = \"single_choice\"\nlist = \"nowhere\"",
        );
        assert_problem(
            &problems(&body),
            "sections[0] \"s\" > items[0] \"s.a\"",
            "unknown code list `nowhere`",
        );
        let neither = YES_NO.replace("kind = \"yes_no\"", "kind = \"multiple_choice\"");
        assert_problem(
            &problems(&neither),
            "sections[0] \"s\" > items[0] \"s.a\"",
            "needs `list`",
        );
    }

    #[test]
    fn number_min_above_max_is_reported() {
        let body = YES_NO.replace(
            "kind = \"yes_no\"",
            "kind = \"number\"\nmin = 10\nmax = 5.5",
        );
        assert_problem(
            &problems(&body),
            "sections[0] \"s\" > items[0] \"s.a\"",
            "`min` (10) is greater than `max` (5.5)",
        );
        let infinite = YES_NO.replace("kind = \"yes_no\"", "kind = \"number\"\nmax = inf");
        assert_problem(
            &problems(&infinite),
            "sections[0] \"s\" > items[0] \"s.a\"",
            "finite",
        );
    }

    #[test]
    fn text_max_length_zero_is_reported() {
        let body = YES_NO.replace("kind = \"yes_no\"", "kind = \"text\"\nmax_length = 0");
        assert_problem(
            &problems(&body),
            "sections[0] \"s\" > items[0] \"s.a\"",
            "`max_length` must be at least 1",
        );
    }

    #[test]
    fn text_max_length_has_a_default() {
        let body = YES_NO.replace("kind = \"yes_no\"", "kind = \"text\"\nmultiline = true");
        let instrument = parse_toml(&format!("{HEAD}{body}")).unwrap();
        assert!(matches!(
            instrument.item("s.a").unwrap().kind,
            ItemKind::Text {
                max_length: DEFAULT_MULTILINE_MAX,
                multiline: true
            }
        ));
    }

    #[test]
    fn complete_mechanism_group_is_valid() {
        let body = mechanism_section("", &statuses(&MECHANISM_STATUSES), "");
        assert_eq!(problems(&body), []);
    }

    #[test]
    fn mechanism_field_set_must_be_exact() {
        let body = mechanism_section(
            "channel",
            &statuses(&MECHANISM_STATUSES),
            "[[sections.mechanisms.fields]]\nkey = \"colour\"\nkind = \"text\"\nlabel = { es = \"C\", en = \"C\" }\n",
        );
        let found = problems(&body);
        assert_problem(
            &found,
            "sections[0] \"m\" > mechanisms",
            "the mechanism field `channel` is missing",
        );
        assert_problem(
            &found,
            "sections[0] \"m\" > mechanisms > fields[16] \"colour\"",
            "`colour` is not a mechanism field",
        );
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn mechanism_status_options_are_fixed() {
        let body = mechanism_section("", &statuses(&["active", "closed"]), "");
        assert_problem(
            &problems(&body),
            "sections[0] \"m\" > mechanisms > fields[15] \"status\"",
            "options must be exactly: active, planned, feasible, suspended",
        );
    }

    #[test]
    fn mechanism_field_kinds_are_fixed() {
        let body = mechanism_section("", &statuses(&MECHANISM_STATUSES), "")
            .replace(
                "key = \"partner\"\nkind = \"partner\"",
                "key = \"partner\"\nkind = \"text\"",
            )
            .replace("integer = true\n", "");
        let found = problems(&body);
        assert_problem(
            &found,
            "sections[0] \"m\" > mechanisms > fields[2] \"partner\"",
            "must be a partner item, not text",
        );
        assert_problem(
            &found,
            "sections[0] \"m\" > mechanisms > fields[11] \"delay_days\"",
            "integer",
        );
    }

    #[test]
    fn partner_items_belong_only_to_mechanisms() {
        assert_problem(
            &problems(&YES_NO.replace("yes_no", "partner")),
            "sections[0] \"s\" > items[0] \"s.a\"",
            "only in the mechanism group",
        );
    }

    #[test]
    fn empty_sections_and_instruments_are_reported() {
        assert_problem(&problems(""), "sections", "no sections");
        let empty = "[[sections]]\nkey = \"e\"\ntitle = { es = \"E\", en = \"E\" }\nitems = []\n";
        assert_problem(&problems(empty), "sections[0] \"e\"", "no items");
        let bodiless = "[[sections]]\nkey = \"e\"\ntitle = { es = \"E\", en = \"E\" }\n";
        assert_problem(&problems(bodiless), "sections[0] \"e\"", "exactly one of");
        let grid = "[[sections]]\nkey = \"g\"\ntitle = { es = \"G\", en = \"G\" }\n[sections.grid]\nlist = \"d\"\n";
        let found = problems(grid);
        assert_problem(&found, "sections[0] \"g\" > grid", "no columns");
        assert_problem(&found, "sections[0] \"g\" > grid", "unknown code list `d`");
    }

    #[test]
    fn key_syntax_is_checked() {
        let found = problems(
            &YES_NO
                .replace("\"s.a\"", "\"S-a\"")
                .replace("key = \"s\"", "key = \"s.\""),
        );
        assert_problem(&found, "sections[0] \"s.\"", "key `s.` is not valid");
        assert_problem(
            &found,
            "sections[0] \"s.\" > items[0] \"S-a\"",
            "key `S-a` is not valid",
        );
        let missing = problems(&YES_NO.replace("key = \"s.a\"\n", ""));
        assert_problem(
            &missing,
            "sections[0] \"s\" > items[0]",
            "the key is missing",
        );
    }

    #[test]
    fn dimension_needs_maturity_items() {
        let body = YES_NO.replace("key = \"s\"\n", "key = \"s\"\ndimension = true\n");
        assert_problem(&problems(&body), "sections[0] \"s\"", "a dimension must be");
    }

    #[test]
    fn grid_columns_depend_on_columns_of_the_same_row() {
        let body = r#"
[[sections]]
key = "g"
title = { es = "G", en = "G" }
[sections.grid]
list = "d"
[[sections.grid.columns]]
key = "collects"
kind = "yes_no"
label = { es = "C", en = "C" }
[[sections.grid.columns]]
key = "published"
kind = "yes_no"
label = { es = "P", en = "P" }
relevant_when = { item = "collects", equals = ["yes"] }
[[sections.grid.columns]]
key = "count"
kind = "number"
label = { es = "N", en = "N" }
relevant_when = { item = "g.collects", equals = ["yes"] }
[[code_lists]]
key = "d"
label = { es = "D", en = "D" }
options = [{ key = "asylum", label = { es = "Asilo", en = "Asylum" } }]
"#;
        let found = problems(body);
        assert_problem(
            &found,
            "sections[0] \"g\" > grid > columns[2] \"count\"",
            "grid column must be",
        );
        assert_problem(
            &found,
            "sections[0] \"g\" > grid > columns[2] \"count\" > relevant_when",
            "unknown item `g.collects`",
        );
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn item_keys_cannot_shadow_grid_cells_and_groups_are_single() {
        let grid = r#"
[[sections]]
key = "g"
title = { es = "G", en = "G" }
[sections.grid]
list = "d"
[[sections.grid.columns]]
key = "collects"
kind = "yes_no"
label = { es = "C", en = "C" }
[[code_lists]]
key = "d"
label = { es = "D", en = "D" }
options = [{ key = "asylum", label = { es = "Asilo", en = "Asylum" } }]
"#;
        let shadow = YES_NO.replace("s.a", "g.asylum.collects");
        let found = problems(&format!("{shadow}{grid}"));
        assert_problem(
            &found,
            "sections[0] \"s\" > items[0] \"g.asylum.collects\"",
            "same as the key of a domain grid cell",
        );
        let (head, lists) = grid.split_at(grid.find("[[code_lists]]").unwrap_or(0));
        let twice = format!(
            "{head}{}{lists}",
            head.replace("key = \"g\"", "key = \"h\"")
        );
        assert_problem(&problems(&twice), "sections", "at most one domain grid");
        let group = mechanism_section("", &statuses(&MECHANISM_STATUSES), "");
        let found = problems(&format!("{group}{grid}"));
        assert_problem(
            &found,
            "sections[0] \"m\" > mechanisms > fields[4] \"domains\"",
            "must use the grid's list of domains `d`",
        );
    }

    #[test]
    fn several_problems_are_reported_at_once() {
        let body = r#"
[[sections]]
key = "Bad Key"
title = { es = "", en = "T" }
[[sections.items]]
key = "x.a"
kind = "number"
min = 5
max = 1
label = { es = "A", en = "A" }
[[sections.items]]
key = "x.a"
kind = "wheel"
label = { es = "B" }
[[sections.items]]
key = "x.c"
kind = "single_choice"
list = "missing"
label = { es = "C", en = "C" }
relevant_when = { item = "x.zz", equals = ["1"] }
"#;
        let found = parse_toml(&format!(
            "{}{body}",
            HEAD.replace("version = \"1\"", "version = \"\"")
        ))
        .unwrap_err();
        let sec = "sections[0] \"Bad Key\"";
        assert_problem(&found, "version", "missing");
        assert_problem(&found, sec, "not valid");
        assert_problem(&found, &format!("{sec} > title"), "Spanish");
        assert_problem(&found, &format!("{sec} > items[0] \"x.a\""), "greater than");
        assert_problem(
            &found,
            &format!("{sec} > items[1] \"x.a\""),
            "unknown kind `wheel`",
        );
        assert_problem(
            &found,
            &format!("{sec} > items[1] \"x.a\" > label"),
            "English",
        );
        assert_problem(&found, &format!("{sec} > items[1] \"x.a\""), "already used");
        assert_problem(
            &found,
            &format!("{sec} > items[2] \"x.c\""),
            "unknown code list",
        );
        assert_problem(
            &found,
            &format!("{sec} > items[2] \"x.c\" > relevant_when"),
            "unknown item `x.zz`",
        );
        assert_eq!(found.len(), 9, "{found:#?}");
    }

    #[test]
    fn text_get_picks_the_language() {
        let text = Text::new("hola", "hello");
        assert_eq!(text.get(Lang::Es), "hola");
        assert_eq!(text.get(Lang::En), "hello");
        assert_eq!(
            grid_cell_key("domains", "asylum", "collects"),
            "domains.asylum.collects"
        );
    }
}

/// The fuzz target's seed files (tests/fuzz/seeds) are valid instruments, so the fuzzer starts
/// from inputs that reach the validator's deeper checks, not only the TOML reader.
#[cfg(test)]
mod fuzz_seeds {
    use super::*;

    #[test]
    fn the_fuzz_seeds_are_valid_instruments() {
        for (name, source) in [
            (
                "small.toml",
                include_str!("../../tests/fuzz/seeds/instrument/small.toml"),
            ),
            (
                "grid.toml",
                include_str!("../../tests/fuzz/seeds/instrument/grid.toml"),
            ),
        ] {
            let parsed = parse_toml(source);
            assert!(parsed.is_ok(), "{name}: {:?}", parsed.err());
        }
    }
}
