//! The exports' tables as rows of text, shared by the CSV files and the workbook's sheets.

use std::collections::HashMap;

use crate::domain::Lang;
use crate::domain::analysis::{self, Answers, ColumnStats, DomainAnswer};
use crate::domain::instrument::{Instrument, SectionBody};
use crate::error::AppError;
use crate::i18n::tr;
use crate::service::analysis::{AssessmentData, Participant, Selection, matrix_stats};
use crate::service::records::{Mechanism, OrganizationHead};
use crate::web::view::{FlowLabeller, display_value, gaps_view};

pub(super) fn status_label(lang: Lang, status: &str) -> String {
    tr(lang, &format!("response.status.{status}")).into_owned()
}

pub(super) fn mean_text(value: Option<f64>) -> String {
    value
        .map(|v| format!("{:.1}", analysis::round1(v)))
        .unwrap_or_default()
}

/// The capacity matrix as rows of text, with a header (shared by CSV and XLSX).
pub(super) fn matrix_table(
    data: &AssessmentData,
    selection: &Selection,
    lang: Lang,
) -> Vec<Vec<String>> {
    let dimensions: Vec<_> = data.instrument.dimensions().collect();
    let mut header = vec![
        tr(lang, "organizations.field.acronym").into_owned(),
        tr(lang, "organizations.field.name").into_owned(),
        tr(lang, "organizations.field.sector").into_owned(),
        tr(lang, "response.status_label").into_owned(),
    ];
    header.extend(dimensions.iter().map(|d| d.title.get(lang).to_owned()));
    header.push(tr(lang, "matrix.overall").into_owned());
    header.push(tr(lang, "matrix.answered_share").into_owned());
    let rows = data.matrix(selection);
    let mut table = vec![header];
    for row in &rows {
        let org = &row.participant.organization;
        let mut line = vec![
            org.acronym.clone(),
            org.name.clone(),
            data.instrument
                .option_label("sectors", &org.sector, lang)
                .unwrap_or(&org.sector)
                .to_owned(),
            status_label(lang, &row.participant.response.status),
        ];
        line.extend(row.cells.iter().map(|c| mean_text(c.mean)));
        line.push(mean_text(row.overall.mean));
        line.push(format!("{:.0}", row.overall.share_answered() * 100.0));
        table.push(line);
    }
    let stats = matrix_stats(&rows, dimensions.len());
    for (key, pick) in [
        (
            "matrix.stats.mean",
            (|s: &ColumnStats| mean_text(s.mean)) as fn(&ColumnStats) -> String,
        ),
        ("matrix.stats.median", |s| mean_text(s.median)),
        ("matrix.stats.min", |s| mean_text(s.min)),
        ("matrix.stats.max", |s| mean_text(s.max)),
        ("matrix.stats.n", |s| s.n.to_string()),
    ] {
        let mut line = vec![
            tr(lang, key).into_owned(),
            String::new(),
            String::new(),
            String::new(),
        ];
        line.extend(stats.iter().map(pick));
        line.push(String::new());
        table.push(line);
    }
    table
}

/// A sink for rows: tables that can be long hand their rows over one at a time.
pub(super) type Emit<'e> = &'e mut dyn FnMut(Vec<String>) -> Result<(), AppError>;

/// The organizations taking part by id (from [`AssessmentData::organizations`]).
pub(super) type Organizations<'a> = foldhash::HashMap<&'a str, &'a OrganizationHead>;

/// Collects an emitted table (CSV files are built whole).
pub(super) fn collect_rows(
    build: impl FnOnce(Emit<'_>) -> Result<(), AppError>,
) -> Result<Vec<Vec<String>>, AppError> {
    let mut table = Vec::new();
    build(&mut |row| {
        table.push(row);
        Ok(())
    })?;
    Ok(table)
}

pub(super) fn mechanisms_table(
    data: &AssessmentData,
    rows: &[Mechanism],
    selection: &Selection,
    lang: Lang,
) -> Result<Vec<Vec<String>>, AppError> {
    let Some(header) = mechanisms_header(data, lang) else {
        return Ok(Vec::new());
    };
    let participants: Vec<&Participant> = data.selected(selection).collect();
    let organizations = data.organizations();
    collect_rows(|emit| {
        emit(header)?;
        emit_mechanisms(data, &organizations, &participants, rows, lang, emit)
    })
}

/// The header of the mechanisms table: the reporter, then every field (none when the
/// instrument has no mechanism group).
pub(super) fn mechanisms_header(data: &AssessmentData, lang: Lang) -> Option<Vec<String>> {
    let (_, group) = data.instrument.mechanisms()?;
    let mut header = vec![tr(lang, "inventory.reporter").into_owned()];
    header.extend(group.fields.iter().map(|f| f.label.get(lang).to_owned()));
    Some(header)
}

/// Every field of the mechanisms of some participants, by participant and then in entry order;
/// `rows` are full mechanism rows (the views load only the columns they show), in entry order,
/// and those of other responses are left out.
pub(super) fn emit_mechanisms(
    data: &AssessmentData,
    organizations: &Organizations<'_>,
    participants: &[&Participant],
    rows: &[Mechanism],
    lang: Lang,
    emit: Emit<'_>,
) -> Result<(), AppError> {
    let Some((_, group)) = data.instrument.mechanisms() else {
        return Ok(());
    };
    let mut by_response: foldhash::HashMap<&str, Vec<&Mechanism>> = foldhash::HashMap::default();
    for m in rows {
        by_response
            .entry(m.response_id.as_str())
            .or_default()
            .push(m);
    }
    let reported = participants.iter().flat_map(|p| {
        by_response
            .get(p.response.id.as_str())
            .into_iter()
            .flatten()
            .map(|m| (p.organization.acronym.as_str(), *m))
    });
    for (reporter, m) in reported {
        let values = crate::service::responses::mechanism_values(m);
        let mut line = vec![reporter.to_owned()];
        for field in &group.fields {
            line.push(match values.get(&field.key) {
                Some(crate::domain::answers::AnswerValue::Partner(
                    crate::domain::answers::PartnerRef::Organization(id),
                )) => organizations
                    .get(id.as_str())
                    .map(|o| o.acronym.clone())
                    .unwrap_or_else(|| id.clone()),
                Some(value) => display_value(&data.instrument, field, value, lang, &[]),
                None => String::new(),
            });
        }
        emit(line)?;
    }
    Ok(())
}

/// The header of the domains table (none when the instrument has no grid).
pub(super) fn domains_header(data: &AssessmentData, lang: Lang) -> Vec<Vec<String>> {
    let Some((_, grid)) = data.instrument.grid() else {
        return Vec::new();
    };
    let mut header = vec![
        tr(lang, "organizations.field.acronym").into_owned(),
        tr(lang, "inventory.domain").into_owned(),
    ];
    header.extend(grid.columns.iter().map(|c| c.label.get(lang).to_owned()));
    vec![header]
}

/// The rows of the domains table for some participants, their grids (from
/// [`answers_and_grids`](crate::service::analysis::answers_and_grids)) found by response id.
pub(super) fn domains_rows(
    data: &AssessmentData,
    participants: &[&Participant],
    grids: &HashMap<String, Vec<DomainAnswer>>,
    lang: Lang,
) -> Vec<Vec<String>> {
    let Some((_, grid)) = data.instrument.grid() else {
        return Vec::new();
    };
    let Some(list) = data.instrument.code_list(&grid.list) else {
        return Vec::new();
    };
    let label = |list: &str, key: &str| {
        data.instrument
            .option_label(list, key, lang)
            .unwrap_or(key)
            .to_owned()
    };
    let column_list = |column: &str| match grid.column(column).map(|c| &c.kind) {
        Some(
            crate::domain::instrument::ItemKind::SingleChoice { list }
            | crate::domain::instrument::ItemKind::MultipleChoice { list },
        ) => list.clone(),
        _ => String::new(),
    };
    let yes_no = |value: Option<bool>| match value {
        Some(true) => tr(lang, "section.yes").into_owned(),
        Some(false) => tr(lang, "section.no").into_owned(),
        None => String::new(),
    };
    let mut table = Vec::new();
    for p in participants {
        let Some(row) = grids.get(&p.response.id) else {
            continue;
        };
        for (domain, a) in list.options.iter().zip(row) {
            if *a == DomainAnswer::default() {
                continue;
            }
            let many = |column: &str, keys: &[String]| {
                keys.iter()
                    .map(|k| label(&column_list(column), k))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            table.push(vec![
                p.organization.acronym.clone(),
                domain.label.get(lang).to_owned(),
                a.collects
                    .as_deref()
                    .map(|c| label(&column_list("collects"), c))
                    .unwrap_or_default(),
                many("source", &a.sources),
                many("disaggregations", &a.disaggregations),
                a.frequency
                    .as_deref()
                    .map(|f| label(&column_list("frequency"), f))
                    .unwrap_or_default(),
                yes_no(a.published),
                yes_no(a.needed),
            ]);
        }
    }
    table
}

pub(super) fn flows_table(
    data: &AssessmentData,
    selection: &Selection,
    lang: Lang,
) -> Result<Vec<Vec<String>>, AppError> {
    collect_rows(|emit| emit_flows(data, selection, lang, emit))
}

pub(super) fn emit_flows(
    data: &AssessmentData,
    selection: &Selection,
    lang: Lang,
    emit: Emit<'_>,
) -> Result<(), AppError> {
    emit(vec![
        tr(lang, "network.provider").into_owned(),
        tr(lang, "network.receiver").into_owned(),
        tr(lang, "mechanisms.name").into_owned(),
        tr(lang, "inventory.reporter").into_owned(),
        tr(lang, "inventory.domain").into_owned(),
        tr(lang, "mechanisms.status").into_owned(),
        tr(lang, "network.reconciliation").into_owned(),
    ])?;
    let exchanges = data.exchanges(selection);
    let flows = analysis::match_flows(&exchanges);
    let labeller = FlowLabeller::new(data, lang, &flows);
    for r in &flows {
        let f = labeller.row(r);
        let state = if f.confirmed {
            tr(lang, "network.confirmed").into_owned()
        } else {
            crate::i18n::tr_args(lang, "network.only_by", &[("org", &f.reporter)])
        };
        emit(vec![
            f.provider,
            f.receiver,
            f.mechanism,
            f.reporter,
            f.domains,
            f.status,
            state,
        ])?;
    }
    Ok(())
}

/// The maturity items of the wide answers table: key and label.
pub(super) fn wide_items(instrument: &Instrument, lang: Lang) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for section in &instrument.sections {
        match &section.body {
            SectionBody::Items(items) => {
                keys.extend(
                    items
                        .iter()
                        .filter(|i| i.is_maturity())
                        .map(|i| (i.key.clone(), i.label.get(lang).to_owned())),
                );
            }
            SectionBody::DomainGrid(_) | SectionBody::Mechanisms(_) => {}
        }
    }
    keys
}

/// The wide answers table: one row per organization, one column per maturity item (Excel's
/// row limit rules out the long format at scale).
pub(super) fn answers_wide_header(data: &AssessmentData, lang: Lang) -> Vec<Vec<String>> {
    let mut header = vec![
        tr(lang, "organizations.field.acronym").into_owned(),
        tr(lang, "organizations.field.name").into_owned(),
    ];
    header.extend(
        wide_items(&data.instrument, lang)
            .into_iter()
            .map(|(_, label)| label),
    );
    vec![header]
}

pub(super) fn answers_wide_rows(
    data: &AssessmentData,
    participants: &[&Participant],
    answers: &HashMap<String, Answers>,
    lang: Lang,
) -> Vec<Vec<String>> {
    let keys = wide_items(&data.instrument, lang);
    let no_answers = Answers::new();
    let mut table = Vec::with_capacity(participants.len());
    for p in participants {
        let answers = answers.get(&p.response.id).unwrap_or(&no_answers);
        let mut line = vec![p.organization.acronym.clone(), p.organization.name.clone()];
        line.extend(keys.iter().map(|(key, _)| {
            answers
                .get(key)
                .map(|v| match (v.level(), data.instrument.item(key)) {
                    (Some(level), _) => level.to_string(),
                    // "Not applicable", "Don't know": their label, not their code.
                    (None, Some(item)) => display_value(&data.instrument, item, v, lang, &[]),
                    (None, None) => v.encode(),
                })
                .unwrap_or_default()
        }));
        table.push(line);
    }
    table
}

pub(super) fn gaps_table(
    data: &AssessmentData,
    selection: &Selection,
    lang: Lang,
) -> Vec<Vec<String>> {
    let gaps = gaps_view(data, &data.gaps(selection), lang);
    let mut table = vec![vec![
        tr(lang, "exports.col.gap").into_owned(),
        tr(lang, "exports.col.subject").into_owned(),
        tr(lang, "exports.col.detail").into_owned(),
    ]];
    for d in gaps.needed_not_produced {
        table.push(vec![
            tr(lang, "gaps.needed_not_produced").into_owned(),
            d,
            String::new(),
        ]);
    }
    for (d, missing) in gaps.without_sex_or_age {
        table.push(vec![
            tr(lang, "gaps.without_sex_or_age").into_owned(),
            d,
            missing,
        ]);
    }
    for (d, low, n) in gaps.weak_dimensions {
        table.push(vec![
            tr(lang, "gaps.weak_dimensions").into_owned(),
            d,
            format!("{low} / {n}"),
        ]);
    }
    table
}
