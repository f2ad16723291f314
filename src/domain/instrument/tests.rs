//! Tests of reading, validating and querying the instrument.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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
    let mut out = String::from("[[sections]]\nkey = \"m\"\ntitle = { es = \"M\", en = \"M\" }\n");
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
