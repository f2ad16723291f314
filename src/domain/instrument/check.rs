//! The checks across a whole instrument: unique keys, lists that exist, relevance that points
//! backwards to an answerable item, the mechanism group's fields.

use super::parse::{Checker, Scope, at, indexed};
use super::*;

impl Checker {
    pub(super) fn cross_check(&mut self, instrument: &Instrument) {
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

    pub(super) fn relevance(
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

    pub(super) fn mechanism_fields(
        &mut self,
        instrument: &Instrument,
        place: &str,
        group: &MechanismGroup,
    ) {
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
