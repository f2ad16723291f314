//! Reading an instrument file: the TOML into the model, every problem collected with its place.

use super::raw::*;
use super::*;

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

pub(super) fn at(parent: &str, child: impl fmt::Display) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent} > {child}")
    }
}

pub(super) fn indexed(name: &str, index: usize, key: &str) -> String {
    if key.is_empty() {
        format!("{name}[{index}]")
    } else {
        format!("{name}[{index}] \"{key}\"")
    }
}

pub(super) fn key_is_valid(key: &str) -> bool {
    !key.starts_with('.')
        && !key.ends_with('.')
        && !key.contains("..")
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

/// Where each item of the instrument sits, so that cross-checks can name places.
pub(super) enum Scope {
    Items,
    Grid,
    Mechanisms,
}

#[derive(Default)]
pub(super) struct Checker {
    pub(super) problems: Vec<InstrumentProblem>,
    pub(super) inline_lists: Vec<CodeList>,
}

impl Checker {
    pub(super) fn problem(&mut self, place: &str, message: impl Into<String>) {
        self.problems.push(InstrumentProblem {
            place: place.to_string(),
            message: message.into(),
        });
    }

    pub(super) fn key(&mut self, place: &str, key: &str) {
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

    pub(super) fn text(&mut self, place: &str, raw: Option<RawText>) -> Text {
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

    pub(super) fn optional_text(&mut self, place: &str, raw: Option<RawText>) -> Option<Text> {
        raw.map(|raw| self.text(place, Some(raw)))
    }

    pub(super) fn build(&mut self, raw: RawInstrument) -> Instrument {
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

    pub(super) fn code_list(
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

    pub(super) fn options(
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

    pub(super) fn section(&mut self, place: &str, raw: RawSection) -> Section {
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

    pub(super) fn item(&mut self, place: &str, section_key: &str, raw: RawItem) -> Item {
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

    pub(super) fn levels(&mut self, place: &str, raw: Option<Vec<RawText>>) -> [Text; 5] {
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
}
