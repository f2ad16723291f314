//! Organizer pages that read an assessment: the capacity matrix, a cell's answers, a dimension,
//! the mechanism inventory, the exchange network with reconciliation, domains and gaps, the
//! report annex; and a representative's own scores.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::charts::{self, Node};
use super::context::{Ctx, CurrentUser, Organizer};
use super::view::{
    FlowLabeller, FlowRow, PAGE_SIZE, Pager, display_value, mechanism_label, sort_by_acronym,
};
use super::{App, render};
use crate::domain::Lang;
use crate::domain::analysis::{self, Cell, ColumnStats, DomainSummary, Gaps};
use crate::domain::answers::AnswerValue;
use crate::domain::assessment::{AveragesHidden, averages_hidden};
use crate::domain::instrument::{Instrument, ItemKind, Section};
use crate::error::AppError;
use crate::service::analysis::{
    self as service, AssessmentData, FlowFigures, MatrixRow, Participant, Scope, Selection,
    split_list,
};
use crate::store::assessments::Assessment;

/// Query parameters shared by the analysis pages.
#[derive(Debug, Default, Deserialize)]
pub struct ViewQuery {
    #[serde(default)]
    pub sector: String,
    /// "1" to include responses not submitted yet.
    #[serde(default)]
    pub drafts: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub dir: String,
    /// 1-based page of long tables.
    #[serde(default)]
    pub page: Option<usize>,
}

impl ViewQuery {
    pub fn selection(&self) -> Selection {
        Selection {
            sector: Some(self.sector.clone()).filter(|s| !s.is_empty()),
            include_drafts: self.drafts == "1",
        }
    }

    /// The selection as query parameters for links.
    fn selection_query(&self) -> String {
        let mut pairs = Vec::new();
        if !self.sector.is_empty() {
            pairs.push(("sector", self.sector.as_str()));
        }
        if self.drafts == "1" {
            pairs.push(("drafts", "1"));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

pub async fn load_data(
    state: &web::Data<App>,
    assessment_id: String,
    scope: Scope,
) -> Result<AssessmentData, AppError> {
    let app = state.clone();
    state
        .run(move |conn| service::load(conn, &app.instruments, &assessment_id, scope))
        .await
}

/// A number with one decimal, or a dash.
pub fn fmt1(value: Option<f64>) -> String {
    match value {
        Some(v) => format!("{:.1}", analysis::round1(v)),
        None => "–".to_owned(),
    }
}

pub struct SectorChoice {
    pub key: String,
    pub label: String,
}

fn sector_choices(instrument: &Instrument, lang: Lang) -> Vec<SectorChoice> {
    instrument
        .code_list("sectors")
        .map(|l| {
            l.options
                .iter()
                .map(|o| SectorChoice {
                    key: o.key.clone(),
                    label: o.label.get(lang).to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The view of one matrix cell.
pub struct CellView {
    pub text: String,
    pub class: &'static str,
    /// e.g. "75 %" of the items answered.
    pub share: String,
    pub url: String,
    pub label: String,
}

pub struct RowView {
    pub acronym: String,
    pub name: String,
    pub response_id: String,
    pub submitted: bool,
    pub cells: Vec<CellView>,
    pub overall: CellView,
}

pub struct ColumnView {
    pub key: String,
    pub title: String,
    pub sort_url: String,
    pub aria_sort: &'static str,
    pub url: Option<String>,
}

pub struct StatsView {
    pub label_key: &'static str,
    pub values: Vec<String>,
}

fn cell_view(cell: &Cell, url: String, label: String) -> CellView {
    CellView {
        text: fmt1(cell.mean),
        class: charts::heat_class(cell.mean),
        share: format!("{:.0} %", cell.share_answered() * 100.0),
        url,
        label,
    }
}

fn stats_views(stats: &[ColumnStats]) -> Vec<StatsView> {
    let pick = |f: fn(&ColumnStats) -> Option<f64>| stats.iter().map(|s| fmt1(f(s))).collect();
    vec![
        StatsView {
            label_key: "matrix.stats.mean",
            values: pick(|s| s.mean),
        },
        StatsView {
            label_key: "matrix.stats.median",
            values: pick(|s| s.median),
        },
        StatsView {
            label_key: "matrix.stats.min",
            values: pick(|s| s.min),
        },
        StatsView {
            label_key: "matrix.stats.max",
            values: pick(|s| s.max),
        },
        StatsView {
            label_key: "matrix.stats.n",
            values: stats.iter().map(|s| s.n.to_string()).collect(),
        },
    ]
}

#[derive(Template)]
#[template(path = "matrix.html")]
struct MatrixPage {
    ctx: Ctx,
    assessment: Assessment,
    columns: Vec<ColumnView>,
    overall_column: ColumnView,
    name_column: ColumnView,
    rows: Vec<RowView>,
    stats: Vec<StatsView>,
    sectors: Vec<SectorChoice>,
    query: ViewQuery,
    total: usize,
    pager: Pager,
    included: usize,
}

/// Sorts matrix rows by a column key: `organization`, `overall` or a dimension key.
fn sort_rows(rows: &mut [MatrixRow<'_>], instrument: &Instrument, sort: &str, descending: bool) {
    let index = instrument.dimensions().position(|d| d.key == sort);
    let mean = |row: &MatrixRow<'_>| match (sort, index) {
        ("overall", _) => row.overall.mean,
        (_, Some(i)) => row.cells.get(i).and_then(|c| c.mean),
        _ => None,
    };
    if sort == "overall" || index.is_some() {
        rows.sort_by(|a, b| {
            let order = cmp_mean(mean(a), mean(b));
            if descending { order.reverse() } else { order }
        });
    } else {
        sort_by_acronym(rows, |r| &r.participant.organization.acronym, descending);
    }
}

/// Means compare numerically; a missing mean sorts before any number.
fn cmp_mean(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

pub async fn matrix(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<ViewQuery>,
) -> Result<HttpResponse, AppError> {
    let data = load_data(&state, path.into_inner(), Scope::Matrix).await?;
    let query = query.into_inner();
    let selection = query.selection();
    let lang = ctx.lang;
    let mut rows = data.matrix(&selection);
    let dimensions: Vec<&Section> = data.instrument.dimensions().collect();
    let stats = service::matrix_stats(&rows, dimensions.len());
    let sort = if query.sort == "overall" || dimensions.iter().any(|d| d.key == query.sort) {
        query.sort.clone()
    } else {
        "organization".to_owned()
    };
    let descending = query.dir == "desc";
    sort_rows(&mut rows, &data.instrument, &sort, descending);
    let base = format!("/organizer/assessments/{}/matrix", data.assessment.id);
    let selection_query = query.selection_query();
    let pager = {
        let selection_query = selection_query.clone();
        let base = base.clone();
        let sort = sort.clone();
        let dir = if descending { "desc" } else { "asc" };
        Pager::new(rows.len(), PAGE_SIZE, query.page, move |page| {
            let extra = if selection_query.is_empty() {
                String::new()
            } else {
                format!("&{selection_query}")
            };
            format!("{base}?sort={sort}&dir={dir}&page={page}{extra}")
        })
    };
    let rows = pager.slice(rows);
    let column = |key: &str, title: String, url: Option<String>| {
        let active = key == sort;
        let dir = if active && !descending { "desc" } else { "asc" };
        let extra = if selection_query.is_empty() {
            String::new()
        } else {
            format!("&{selection_query}")
        };
        ColumnView {
            key: key.to_owned(),
            title,
            sort_url: format!("{base}?sort={key}&dir={dir}{extra}"),
            aria_sort: match (active, descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            },
            url,
        }
    };
    let columns = dimensions
        .iter()
        .map(|d| {
            column(
                &d.key,
                d.title.get(lang).to_owned(),
                Some(format!(
                    "/organizer/assessments/{}/dimensions/{}?{selection_query}",
                    data.assessment.id, d.key
                )),
            )
        })
        .collect();
    let overall_column = column("overall", ctx.t("matrix.overall").into_owned(), None);
    let name_column = column(
        "organization",
        ctx.t("assessments.col.organization").into_owned(),
        None,
    );
    let row_views = rows
        .iter()
        .map(|row| {
            let org = &row.participant.organization;
            let response_id = row.participant.response.id.clone();
            RowView {
                acronym: org.acronym.clone(),
                name: org.name.clone(),
                submitted: row.participant.is_submitted(),
                cells: row
                    .cells
                    .iter()
                    .zip(&dimensions)
                    .map(|(cell, d)| {
                        cell_view(
                            cell,
                            format!("/responses/{response_id}/scores/{}", d.key),
                            format!("{} · {}", org.acronym, d.title.get(lang)),
                        )
                    })
                    .collect(),
                overall: cell_view(
                    &row.overall,
                    format!("/responses/{response_id}/review"),
                    org.acronym.clone(),
                ),
                response_id,
            }
        })
        .collect();
    let sectors = sector_choices(&data.instrument, lang);
    let total = data.participants.len();
    render(
        StatusCode::OK,
        &MatrixPage {
            ctx,
            columns,
            overall_column,
            name_column,
            rows: row_views,
            stats: stats_views(&stats),
            sectors,
            query,
            total,
            included: pager.total,
            pager,
            assessment: data.assessment,
        },
    )
}

/// One item's answer in a cell's detail.
pub struct ItemAnswer {
    pub label: String,
    pub value: String,
    pub level: Option<u8>,
    pub evidence: Option<String>,
}

#[derive(Template)]
#[template(path = "cell.html")]
struct CellPage {
    ctx: Ctx,
    assessment: Assessment,
    organization: String,
    response_id: String,
    dimension: String,
    mean: String,
    share: String,
    items: Vec<ItemAnswer>,
    /// National averages of the dimension, when shown to a representative.
    national: Option<NationalAverage>,
    /// Why they are not shown.
    national_hidden: Option<String>,
    is_organizer: bool,
}

/// A national average and how many organizations it is the mean of.
pub struct NationalAverage {
    pub mean: String,
    pub n: usize,
}

impl NationalAverage {
    fn of(stats: analysis::ColumnStats) -> NationalAverage {
        NationalAverage {
            mean: fmt1(stats.mean),
            n: stats.n,
        }
    }
}

/// Whether the national averages may be shown on a response's pages, given the submitted
/// responses (`Some(())`), or why not (the message). Organizers always see them; a
/// representative only when the assessment offers them and enough *other* organizations have
/// submitted (see [`averages_hidden`]).
fn national_averages(
    ctx: &Ctx,
    user: &CurrentUser,
    context: &crate::service::responses::ResponseContext,
    submitted: &[service::MatrixRow<'_>],
) -> (Option<()>, Option<String>) {
    if user.is_organizer() {
        return (Some(()), None);
    }
    let others = submitted
        .iter()
        .filter(|r| r.participant.response.id != context.response.id)
        .count();
    match averages_hidden(
        context.assessment.show_national_averages,
        context.assessment.averages_min_peers,
        others,
    ) {
        None => (Some(()), None),
        Some(AveragesHidden::NotOffered) => {
            (None, Some(ctx.t("scores.hidden_not_offered").into_owned()))
        }
        Some(AveragesHidden::TooFewOthers { others, needed }) => (
            None,
            Some(format!(
                "{} {}",
                ctx.tn("scores.hidden_needed", needed),
                ctx.tn("scores.hidden_so_far", others)
            )),
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct CellPath {
    id: String,
    dimension: String,
}

/// The item-level answers of one organization for one dimension, with evidence. Open to
/// organizers and to the response's own representatives.
pub async fn cell(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    path: web::Path<CellPath>,
) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    let context = super::responses::open(&state, &user, &path.id).await?;
    let data = load_data(
        &state,
        context.assessment.id.clone(),
        Scope::Response(path.id.clone()),
    )
    .await?;
    let lang = ctx.lang;
    let dimension = data
        .instrument
        .dimensions()
        .find(|d| d.key == path.dimension)
        .ok_or(AppError::NotFound)?;
    let answers = data.answers_of(&path.id);
    let evidence = data.evidence.get(&path.id);
    let items = dimension
        .items()
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Maturity { .. }))
        .map(|item| {
            let value = answers.get(&item.key);
            ItemAnswer {
                label: item.label.get(lang).to_owned(),
                value: match value {
                    Some(v) => display_value(&data.instrument, item, v, lang, &[]),
                    None => ctx.t("review.missing").into_owned(),
                },
                level: value.and_then(AnswerValue::level),
                evidence: evidence.and_then(|e| e.get(&item.key)).cloned(),
            }
        })
        .collect();
    let cell = analysis::cell(dimension, answers);
    let submitted = data.matrix(&Selection::default());
    let (national, national_hidden) = national_averages(&ctx, &user, &context, &submitted);
    let national = national.map(|()| {
        let index = data
            .instrument
            .dimensions()
            .position(|d| d.key == dimension.key)
            .unwrap_or_default();
        NationalAverage::of(analysis::column_stats(
            submitted
                .iter()
                .map(|r| r.cells.get(index).and_then(|c| c.mean)),
        ))
    });
    render(
        StatusCode::OK,
        &CellPage {
            organization: context.organization.name.clone(),
            response_id: path.id.clone(),
            dimension: dimension.title.get(lang).to_owned(),
            mean: fmt1(cell.mean),
            share: format!("{:.0} %", cell.share_answered() * 100.0),
            items,
            national,
            national_hidden,
            is_organizer: user.is_organizer(),
            assessment: context.assessment,
            ctx,
        },
    )
}

/// A representative's (or organizer's) view of one response's scores, with the national
/// averages when the assessment shows them.
#[derive(Template)]
#[template(path = "scores.html")]
struct ScoresPage {
    ctx: Ctx,
    assessment: Assessment,
    organization: String,
    response_id: String,
    rows: Vec<(String, String, CellView, Option<NationalAverage>)>,
    overall: CellView,
    national_overall: Option<NationalAverage>,
    /// Why the national averages are not shown.
    national_hidden: Option<String>,
}

pub async fn scores(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let response_id = path.into_inner();
    let context = super::responses::open(&state, &user, &response_id).await?;
    let data = load_data(&state, context.assessment.id.clone(), Scope::Matrix).await?;
    let lang = ctx.lang;
    let (cells, overall) =
        analysis::DimensionSizes::new(&data.instrument).row_stored(data.scores_of(&response_id));
    let submitted = data.matrix(&Selection::default());
    let (show, national_hidden) = national_averages(&ctx, &user, &context, &submitted);
    let stats = service::matrix_stats(&submitted, cells.len());
    let national = |i: usize| {
        show.and_then(|()| stats.get(i).cloned())
            .map(NationalAverage::of)
    };
    let rows = data
        .instrument
        .dimensions()
        .zip(&cells)
        .enumerate()
        .map(|(i, (d, cell))| {
            (
                d.key.clone(),
                d.title.get(lang).to_owned(),
                cell_view(
                    cell,
                    format!("/responses/{response_id}/scores/{}", d.key),
                    d.title.get(lang).to_owned(),
                ),
                national(i),
            )
        })
        .collect();
    render(
        StatusCode::OK,
        &ScoresPage {
            organization: context.organization.name.clone(),
            overall: cell_view(&overall, String::new(), String::new()),
            national_overall: national(cells.len()),
            national_hidden,
            rows,
            response_id,
            assessment: context.assessment,
            ctx,
        },
    )
}

pub struct ItemDistribution {
    pub label: String,
    pub bar: String,
    pub counts: Vec<(String, usize)>,
    /// Organizations at level 0 or 1 (acronyms).
    pub low: Vec<String>,
}

#[derive(Template)]
#[template(path = "dimension.html")]
struct DimensionPage {
    ctx: Ctx,
    assessment: Assessment,
    title: String,
    items: Vec<ItemDistribution>,
    stats: Vec<StatsView>,
    query: ViewQuery,
    included: usize,
}

#[derive(Debug, Deserialize)]
pub struct DimensionPath {
    id: String,
    dimension: String,
}

pub async fn dimension(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<DimensionPath>,
    query: web::Query<ViewQuery>,
) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    // The dimension's answers are counted from the answer marks stored with each response's
    // scores: no answer is read.
    let data = load_data(&state, path.id, Scope::Matrix).await?;
    let query = query.into_inner();
    let selection = query.selection();
    let lang = ctx.lang;
    let section = data
        .instrument
        .dimensions()
        .find(|d| d.key == path.dimension)
        .ok_or(AppError::NotFound)?;
    let selected: Vec<(&Participant, &str)> = data
        .selected(&selection)
        .map(|p| (p, data.scores_of(&p.response.id).marks_of(&section.key)))
        .collect();
    let level_names: Vec<String> = (0..=4)
        .map(|l| format!("{} {l}", ctx.t("matrix.level")))
        .chain([
            ctx.t("section.not_applicable").into_owned(),
            ctx.t("section.dont_know").into_owned(),
            ctx.t("matrix.unanswered").into_owned(),
        ])
        .collect();
    let maturity_items: Vec<_> = section
        .items()
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Maturity { .. }))
        .collect();
    let distributions = analysis::distributions_of_marks(
        maturity_items.len(),
        selected.iter().map(|(_, marks)| *marks),
    );
    let items = maturity_items
        .iter()
        .zip(distributions)
        .enumerate()
        .map(|(i, (item, d))| {
            let label = item.label.get(lang).to_owned();
            let counts = d
                .levels
                .iter()
                .copied()
                .chain([d.not_applicable, d.dont_know, d.unanswered])
                .zip(&level_names)
                .map(|(n, name)| (name.clone(), n))
                .collect();
            let low = selected
                .iter()
                .filter(|(_, marks)| analysis::is_low_mark(marks.as_bytes().get(i).copied()))
                .map(|(p, _)| p.organization.acronym.clone())
                .collect();
            ItemDistribution {
                bar: charts::stacked_bar(&d, &label),
                label,
                counts,
                low,
            }
        })
        .collect();
    let position = data
        .instrument
        .dimensions()
        .position(|d| d.key == section.key)
        .unwrap_or_default();
    let rows = data.matrix(&selection);
    let stat = analysis::column_stats(
        rows.iter()
            .map(|r| r.cells.get(position).and_then(|c| c.mean)),
    );
    render(
        StatusCode::OK,
        &DimensionPage {
            title: section.title.get(lang).to_owned(),
            items,
            stats: stats_views(&[stat]),
            included: selected.len(),
            query,
            assessment: data.assessment,
            ctx,
        },
    )
}

/// A mechanism as a row of the inventory.
pub struct InventoryRow {
    pub reporter: String,
    pub response_id: String,
    pub mechanism_id: String,
    pub name: String,
    pub partner: String,
    pub direction: String,
    pub domains: String,
    pub channel: String,
    pub legal_basis: String,
    pub status: String,
    pub personal_data: String,
    pub frequency: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct InventoryQuery {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    partner: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    personal_data: String,
    #[serde(default)]
    drafts: String,
    #[serde(default)]
    page: Option<usize>,
}

impl InventoryQuery {
    /// The filters as query parameters, for the pager's links.
    fn filters_query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("domain", self.domain.as_str()),
            ("partner", self.partner.as_str()),
            ("channel", self.channel.as_str()),
            ("legal_basis", self.legal_basis.as_str()),
            ("status", self.status.as_str()),
            ("personal_data", self.personal_data.as_str()),
            ("drafts", self.drafts.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

pub struct FilterSelect {
    pub name: &'static str,
    pub label_key: &'static str,
    pub options: Vec<(String, String)>,
    pub chosen: String,
}

#[derive(Template)]
#[template(path = "inventory.html")]
struct InventoryPage {
    ctx: Ctx,
    assessment: Assessment,
    rows: Vec<InventoryRow>,
    filters: Vec<FilterSelect>,
    drafts: bool,
    total: usize,
    pager: Pager,
}

fn field_options(instrument: &Instrument, field: &str, lang: Lang) -> Vec<(String, String)> {
    instrument
        .mechanisms()
        .and_then(|(_, g)| g.field(field))
        .and_then(|f| instrument.list_of(f))
        .map(|l| {
            l.options
                .iter()
                .map(|o| (o.key.clone(), o.label.get(lang).to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The mechanisms reported by the selected responses, in stored order, with their reporters.
fn reported_mechanisms<'a>(
    data: &'a AssessmentData,
    selection: &Selection,
) -> Vec<(&'a Participant, &'a crate::store::mechanisms::MechanismHead)> {
    let reporters: HashMap<&str, &Participant> = data
        .selected(selection)
        .map(|p| (p.response.id.as_str(), p))
        .collect();
    data.mechanisms
        .iter()
        .filter_map(|m| Some((*reporters.get(m.response_id.as_str())?, m)))
        .collect()
}

/// Every mechanism of the selected responses as inventory rows (labels in `lang`).
pub fn inventory_rows(
    data: &AssessmentData,
    selection: &Selection,
    lang: Lang,
) -> Vec<InventoryRow> {
    let organizations = data.organizations();
    reported_mechanisms(data, selection)
        .into_iter()
        .map(|(reporter, m)| inventory_row(data, &organizations, reporter, m, lang))
        .collect()
}

/// One mechanism as an inventory row.
fn inventory_row(
    data: &AssessmentData,
    organizations: &foldhash::HashMap<&str, &crate::store::responses::OrganizationHead>,
    reporter: &Participant,
    m: &crate::store::mechanisms::MechanismHead,
    lang: Lang,
) -> InventoryRow {
    let label = |field: &str, value: Option<&str>| {
        value
            .map(|v| mechanism_label(&data.instrument, field, v, lang))
            .unwrap_or_default()
    };
    let labels = |field: &str, value: Option<&str>| {
        split_list(value)
            .iter()
            .map(|k| mechanism_label(&data.instrument, field, k, lang))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let partner = match (&m.partner_organization_id, &m.partner_name) {
        (Some(id), _) => organizations
            .get(id.as_str())
            .map(|o| o.acronym.clone())
            .unwrap_or_else(|| id.clone()),
        (None, Some(name)) => name.clone(),
        _ => String::new(),
    };
    InventoryRow {
        reporter: reporter.organization.acronym.clone(),
        response_id: m.response_id.clone(),
        mechanism_id: m.id.clone(),
        name: m.name.clone(),
        partner,
        direction: label("direction", m.direction.as_deref()),
        domains: labels("domains", m.domains.as_deref()),
        channel: label("channel", m.channel.as_deref()),
        legal_basis: label("legal_basis", m.legal_basis.as_deref()),
        status: label("status", m.status.as_deref()),
        personal_data: match m.personal_data {
            Some(true) => crate::i18n::tr(lang, "section.yes").into_owned(),
            Some(false) => crate::i18n::tr(lang, "section.no").into_owned(),
            None => String::new(),
        },
        frequency: label("frequency", m.frequency.as_deref()),
    }
}

pub async fn inventory(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<InventoryQuery>,
) -> Result<HttpResponse, AppError> {
    let data = load_data(&state, path.into_inner(), Scope::Mechanisms).await?;
    let q = query.into_inner();
    let lang = ctx.lang;
    let selection = Selection {
        sector: None,
        include_drafts: q.drafts == "1",
    };
    // Filtered first, labelled only for the page shown: labels cost more than the filters.
    let all = reported_mechanisms(&data, &selection);
    let total = all.len();
    let matching: Vec<_> = all
        .into_iter()
        .filter(|(_, m)| {
            let matches =
                |wanted: &str, value: Option<&str>| wanted.is_empty() || value == Some(wanted);
            (q.domain.is_empty()
                || m.domains
                    .as_deref()
                    .is_some_and(|d| !d.is_empty() && d.split('|').any(|k| k == q.domain)))
                && (q.partner.is_empty()
                    || m.partner_organization_id.as_deref() == Some(q.partner.as_str())
                    || (q.partner == "outside" && m.partner_organization_id.is_none()))
                && matches(&q.channel, m.channel.as_deref())
                && matches(&q.legal_basis, m.legal_basis.as_deref())
                && matches(&q.status, m.status.as_deref())
                && (q.personal_data.is_empty() || m.personal_data == Some(q.personal_data == "yes"))
        })
        .collect();
    let base = format!(
        "/organizer/assessments/{}/mechanisms?{}",
        data.assessment.id,
        q.filters_query()
    );
    let pager = Pager::new(matching.len(), PAGE_SIZE * 2, q.page, |page| {
        format!("{base}&page={page}")
    });
    let organizations = data.organizations();
    let rows: Vec<InventoryRow> = pager
        .slice(matching)
        .into_iter()
        .map(|(reporter, m)| inventory_row(&data, &organizations, reporter, m, lang))
        .collect();
    let mut partners: Vec<(String, String)> = data
        .participants
        .iter()
        .map(|p| (p.organization.id.clone(), p.organization.acronym.clone()))
        .collect();
    partners.push(("outside".into(), ctx.t("inventory.outside").into_owned()));
    let filters = vec![
        FilterSelect {
            name: "domain",
            label_key: "inventory.domain",
            options: field_options(&data.instrument, "domains", lang),
            chosen: q.domain.clone(),
        },
        FilterSelect {
            name: "partner",
            label_key: "mechanisms.partner",
            options: partners,
            chosen: q.partner.clone(),
        },
        FilterSelect {
            name: "channel",
            label_key: "inventory.channel",
            options: field_options(&data.instrument, "channel", lang),
            chosen: q.channel.clone(),
        },
        FilterSelect {
            name: "legal_basis",
            label_key: "inventory.legal_basis",
            options: field_options(&data.instrument, "legal_basis", lang),
            chosen: q.legal_basis.clone(),
        },
        FilterSelect {
            name: "status",
            label_key: "mechanisms.status",
            options: field_options(&data.instrument, "status", lang),
            chosen: q.status.clone(),
        },
        FilterSelect {
            name: "personal_data",
            label_key: "inventory.personal_data",
            options: vec![
                ("yes".into(), ctx.t("section.yes").into_owned()),
                ("no".into(), ctx.t("section.no").into_owned()),
            ],
            chosen: q.personal_data.clone(),
        },
    ];
    render(
        StatusCode::OK,
        &InventoryPage {
            ctx,
            rows,
            filters,
            drafts: q.drafts == "1",
            total,
            pager,
            assessment: data.assessment,
        },
    )
}

#[derive(Template)]
#[template(path = "network.html")]
struct NetworkPage {
    ctx: Ctx,
    assessment: Assessment,
    svg: String,
    left_out: usize,
    flows: Vec<FlowRow>,
    one_sided: Vec<FlowRow>,
    figures: FlowFigures,
    drafts: bool,
    pager: Pager,
}

pub async fn network(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<ViewQuery>,
) -> Result<HttpResponse, AppError> {
    let data = load_data(&state, path.into_inner(), Scope::Flows).await?;
    let query = query.into_inner();
    let selection = query.selection();
    let lang = ctx.lang;
    let exchanges = data.exchanges(&selection);
    let reconciled = analysis::match_flows(&exchanges);
    let mut nodes: Vec<Node> = data
        .selected(&selection)
        .map(|p| Node {
            id: p.organization.id.clone(),
            label: p.organization.acronym.clone(),
        })
        .collect();
    // The other side of a reported flow is drawn even when its own response is not included
    // (not submitted yet), so that every flow of the table below is also in the picture.
    // Sets, not scans: with thousands of organizations a scan per organization is quadratic.
    let named: foldhash::HashSet<&str> = reconciled
        .iter()
        .flat_map(|f| [f.provider, f.receiver])
        .collect();
    let mut drawn: foldhash::HashSet<String> = nodes.iter().map(|n| n.id.clone()).collect();
    let others = data.participants.iter().map(|p| &p.organization);
    for organization in others.chain(&data.outside_partners) {
        let id = &organization.id;
        if named.contains(id.as_str()) && drawn.insert(id.clone()) {
            nodes.push(Node {
                id: id.clone(),
                label: organization.acronym.clone(),
            });
        }
    }
    let (svg, left_out) = charts::network(&nodes, &reconciled, &ctx.t("network.title"));
    // Only the flows shown are labelled: the page of the edge table and the start of the
    // one-sided list (long lists are in the flows CSV).
    let figures = FlowFigures::of(&reconciled);
    let is_confirmed_not = |r: &&analysis::MatchedFlow<'_>| !r.is_confirmed();
    let base = format!(
        "/organizer/assessments/{}/network?{}",
        data.assessment.id,
        query.selection_query()
    );
    let pager = Pager::new(figures.flows, PAGE_SIZE * 2, query.page, |page| {
        format!("{base}&page={page}#edges")
    });
    let skip = pager.first.saturating_sub(1);
    let shown: Vec<&analysis::MatchedFlow<'_>> = reconciled
        .iter()
        .skip(skip)
        .take(pager.last - skip)
        .collect();
    let one_sided: Vec<&analysis::MatchedFlow<'_>> = reconciled
        .iter()
        .filter(is_confirmed_not)
        .take(PAGE_SIZE * 2)
        .collect();
    let labeller = FlowLabeller::new(&data, lang, shown.iter().chain(&one_sided).copied());
    let flows: Vec<FlowRow> = shown.into_iter().map(|r| labeller.row(r)).collect();
    let one_sided: Vec<FlowRow> = one_sided.into_iter().map(|r| labeller.row(r)).collect();
    render(
        StatusCode::OK,
        &NetworkPage {
            ctx,
            svg,
            left_out,
            flows,
            one_sided,
            figures,
            pager,
            drafts: selection.include_drafts,
            assessment: data.assessment,
        },
    )
}

/// One organization's answers for one domain, as shown in the domain table.
pub struct DomainCell {
    pub collects: String,
    pub class: &'static str,
    pub detail: String,
}

pub struct DomainRowView {
    pub label: String,
    pub summary: DomainSummary,
    pub cells: Vec<DomainCell>,
    pub sex: usize,
    pub age: usize,
}

#[derive(Template)]
#[template(path = "domains.html")]
struct DomainsPage {
    ctx: Ctx,
    assessment: Assessment,
    organizations: Vec<String>,
    rows: Vec<DomainRowView>,
    gaps: GapsView,
    drafts: bool,
    /// Organizations left out of the domain x organization table (too many columns to read).
    capped: Option<usize>,
}

/// Most organizations shown as columns of the domain table.
pub const DOMAIN_TABLE_MAX: usize = 60;

/// The gap list with labels.
pub struct GapsView {
    pub needed_not_produced: Vec<String>,
    pub without_sex_or_age: Vec<(String, String)>,
    pub weak_dimensions: Vec<(String, usize, usize)>,
}

pub fn gaps_view(data: &AssessmentData, gaps: &Gaps, lang: Lang) -> GapsView {
    let domain_label = |d: &str| mechanism_label(&data.instrument, "domains", d, lang);
    let disaggregation_label = |d: &str| {
        data.instrument
            .option_label("disaggregations", d, lang)
            .unwrap_or(d)
            .to_owned()
    };
    GapsView {
        needed_not_produced: gaps
            .needed_not_produced
            .iter()
            .map(|d| domain_label(d))
            .collect(),
        without_sex_or_age: gaps
            .produced_without_sex_or_age
            .iter()
            .map(|(d, missing)| {
                (
                    domain_label(d),
                    missing
                        .iter()
                        .map(|m| disaggregation_label(m))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
            .collect(),
        weak_dimensions: gaps
            .weak_dimensions
            .iter()
            .map(|(key, low, n)| {
                (
                    data.instrument
                        .section(key)
                        .map(|s| s.title.get(lang).to_owned())
                        .unwrap_or_else(|| key.clone()),
                    *low,
                    *n,
                )
            })
            .collect(),
    }
}

pub async fn domains(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<ViewQuery>,
) -> Result<HttpResponse, AppError> {
    let data = load_data(&state, path.into_inner(), Scope::Scores).await?;
    let query = query.into_inner();
    let selection = query.selection();
    let lang = ctx.lang;
    let summaries = data.domain_summaries(&selection);
    let grid_section = data.grid_section().unwrap_or("domains").to_owned();
    let all_selected: Vec<&Participant> = data.selected(&selection).collect();
    let capped = (all_selected.len() > DOMAIN_TABLE_MAX).then_some(DOMAIN_TABLE_MAX);
    let selected: Vec<&Participant> = all_selected.into_iter().take(DOMAIN_TABLE_MAX).collect();
    // Only the organizations shown as columns need their answers read.
    let shown_answers = {
        let ids: Vec<String> = selected.iter().map(|p| p.response.id.clone()).collect();
        let instrument = data.instrument.clone();
        state
            .run(move |conn| service::answers_of_responses(conn, &instrument, &ids))
            .await?
    };
    let no_answers = analysis::Answers::new();
    let option = |list: &str, key: &str| {
        data.instrument
            .option_label(list, key, lang)
            .unwrap_or(key)
            .to_owned()
    };
    let rows = summaries
        .into_iter()
        .map(|summary| {
            let cells = selected
                .iter()
                .map(|p| {
                    let a = analysis::domain_answer(
                        &grid_section,
                        &summary.domain,
                        shown_answers.get(&p.response.id).unwrap_or(&no_answers),
                    );
                    let mut detail = Vec::new();
                    if !a.disaggregations.is_empty() {
                        detail.push(
                            a.disaggregations
                                .iter()
                                .map(|d| option("disaggregations", d))
                                .collect::<Vec<_>>()
                                .join(", "),
                        );
                    }
                    if let Some(f) = &a.frequency {
                        detail.push(option("grid_frequency", f));
                    }
                    if a.published == Some(true) {
                        detail.push(ctx.t("domain_view.published").into_owned());
                    }
                    if a.needed == Some(true) {
                        detail.push(ctx.t("domain_view.needs").into_owned());
                    }
                    DomainCell {
                        class: match a.collects.as_deref() {
                            Some("yes") => "collects-yes",
                            Some("partly") => "collects-partly",
                            Some("no") => "collects-no",
                            _ => "collects-none",
                        },
                        collects: a
                            .collects
                            .as_deref()
                            .map(|c| option("collects", c))
                            .unwrap_or_else(|| "–".to_owned()),
                        detail: detail.join(" · "),
                    }
                })
                .collect();
            DomainRowView {
                label: option(
                    data.instrument
                        .grid()
                        .map(|(_, g)| g.list.as_str())
                        .unwrap_or("domains"),
                    &summary.domain,
                ),
                sex: summary
                    .disaggregations
                    .get("sex")
                    .copied()
                    .unwrap_or_default(),
                age: summary
                    .disaggregations
                    .get("age")
                    .copied()
                    .unwrap_or_default(),
                summary,
                cells,
            }
        })
        .collect();
    let gaps = gaps_view(&data, &data.gaps(&selection), lang);
    render(
        StatusCode::OK,
        &DomainsPage {
            ctx,
            organizations: selected
                .iter()
                .map(|p| p.organization.acronym.clone())
                .collect(),
            rows,
            gaps,
            drafts: selection.include_drafts,
            capped,
            assessment: data.assessment,
        },
    )
}

#[derive(Template)]
#[template(path = "annex.html")]
struct AnnexPage {
    ctx: Ctx,
    assessment: Assessment,
    instrument_title: String,
    /// The day the annex is produced, printed under its title and on every page.
    today: chrono::NaiveDate,
    invited: usize,
    submitted: usize,
    drafts: usize,
    columns: Vec<String>,
    rows: Vec<RowView>,
    stats: Vec<StatsView>,
    gaps: GapsView,
    inventory: Vec<InventoryRow>,
    one_sided: Vec<FlowRow>,
    figures: FlowFigures,
}

/// One printable page with everything for the national report (submitted responses only). Each
/// part is computed by the functions of the page it summarises: the matrix, the gaps, the
/// inventory and the network's figures read here are the ones those pages show by default.
pub async fn annex(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let data = load_data(&state, path.into_inner(), Scope::Summary).await?;
    let lang = ctx.lang;
    let selection = Selection::default();
    let dimensions: Vec<&Section> = data.instrument.dimensions().collect();
    let mut matrix = data.matrix(&selection);
    sort_rows(&mut matrix, &data.instrument, "organization", false);
    let stats = service::matrix_stats(&matrix, dimensions.len());
    let rows = matrix
        .iter()
        .map(|row| RowView {
            acronym: row.participant.organization.acronym.clone(),
            name: row.participant.organization.name.clone(),
            response_id: row.participant.response.id.clone(),
            submitted: true,
            cells: row
                .cells
                .iter()
                .map(|c| cell_view(c, String::new(), String::new()))
                .collect(),
            overall: cell_view(&row.overall, String::new(), String::new()),
        })
        .collect();
    let exchanges = data.exchanges(&selection);
    let flows = analysis::match_flows(&exchanges);
    let figures = FlowFigures::of(&flows);
    let one_sided: Vec<&analysis::MatchedFlow<'_>> =
        flows.iter().filter(|f| !f.is_confirmed()).collect();
    let labeller = FlowLabeller::new(&data, lang, one_sided.iter().copied());
    let one_sided = one_sided.into_iter().map(|f| labeller.row(f)).collect();
    let submitted = data
        .participants
        .iter()
        .filter(|p| p.is_submitted())
        .count();
    render(
        StatusCode::OK,
        &AnnexPage {
            instrument_title: format!(
                "{} · {}",
                data.instrument.title.get(lang),
                data.instrument.version
            ),
            today: crate::domain::time::local_date(state.clock.now(), data.assessment.zone()),
            invited: data.participants.len(),
            submitted,
            drafts: data.participants.len() - submitted,
            columns: dimensions
                .iter()
                .map(|d| d.title.get(lang).to_owned())
                .collect(),
            rows,
            stats: stats_views(&stats),
            gaps: gaps_view(&data, &data.gaps(&selection), lang),
            inventory: inventory_rows(&data, &selection, lang),
            one_sided,
            figures,
            assessment: data.assessment,
            ctx,
        },
    )
}

/// The annex's printed page margins: the forum's name and the date at the top of every page,
/// the page number at the bottom. Margin boxes show only text given in CSS, and the content
/// security policy allows no inline style, hence a stylesheet of the annex's own.
pub async fn annex_css(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let assessment = state
        .run(move |conn| service::find_assessment(conn, &id))
        .await?;
    let today = crate::domain::time::local_date(state.clock.now(), assessment.zone());
    let css = annex_margins_css(
        assessment.title(ctx.lang),
        &ctx.date(today),
        &ctx.t("annex.print.page"),
        &ctx.t("annex.print.of"),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(css))
}

/// The margin boxes of every printed page of the annex.
fn annex_margins_css(forum: &str, date: &str, page: &str, of: &str) -> String {
    format!(
        "@charset \"utf-8\";\n\
         @page {{\n  @top-left {{ content: {}; }}\n  @top-right {{ content: {}; }}\n  \
         @bottom-right {{ content: {} counter(page) {} counter(pages); }}\n}}\n",
        css_string(forum),
        css_string(date),
        css_string(&format!("{page} ")),
        css_string(&format!(" {of} ")),
    )
}

/// Text as a quoted CSS string: quotes, backslashes and control characters escaped, so that no
/// title can end the string or the rule.
fn css_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\{:x} ", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One tab of an assessment's views.
pub struct Tab {
    pub url: String,
    pub label_key: &'static str,
    /// The page shown is this view (or a page within it, e.g. a dimension of the matrix).
    pub current: bool,
}

/// The tabs of an assessment's views, the progress page first; `path` is the page shown.
pub fn assessment_tabs(assessment_id: &str, path: &str) -> Vec<Tab> {
    let base = format!("/organizer/assessments/{assessment_id}");
    let rest = path.strip_prefix(base.as_str());
    // (the view's path after the assessment's, its label, the paths within it)
    let views: [(&str, &'static str, &[&str]); 7] = [
        ("", "nav.tabs.progress", &[]),
        ("/matrix", "nav.tabs.matrix", &["/dimensions/"]),
        ("/mechanisms", "nav.tabs.inventory", &[]),
        ("/network", "nav.tabs.network", &[]),
        ("/domains", "nav.tabs.domains", &[]),
        ("/exports", "nav.tabs.exports", &[]),
        ("/annex", "nav.tabs.annex", &[]),
    ];
    views
        .into_iter()
        .map(|(suffix, label_key, within)| Tab {
            url: format!("{base}{suffix}"),
            label_key,
            current: rest
                .is_some_and(|rest| rest == suffix || within.iter().any(|w| rest.starts_with(w))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_tab_is_the_view_shown() {
        let current = |path: &str| -> Vec<&'static str> {
            assessment_tabs("a1", path)
                .into_iter()
                .filter(|t| t.current)
                .map(|t| t.label_key)
                .collect()
        };
        assert_eq!(current("/organizer/assessments/a1"), ["nav.tabs.progress"]);
        assert_eq!(
            current("/organizer/assessments/a1/dimensions/legal"),
            ["nav.tabs.matrix"]
        );
        assert_eq!(
            current("/organizer/assessments/a1/annex"),
            ["nav.tabs.annex"]
        );
        assert!(current("/organizer/assessments/a1/reminders").is_empty());
        assert!(current("/organizer/assessments/a12/matrix").is_empty());
        let tabs = assessment_tabs("a1", "/organizer");
        assert_eq!(tabs[1].url, "/organizer/assessments/a1/matrix");
    }

    #[test]
    fn a_title_cannot_leave_its_css_string() {
        assert_eq!(css_string("Foro \"A\" \\ B"), "\"Foro \\\"A\\\" \\\\ B\"");
        assert_eq!(css_string("a\nb}"), "\"a\\a b}\"");
        let css = annex_margins_css("Foro; } @page { x", "2026-12-07", "Página", "de");
        assert!(css.contains("@top-left { content: \"Foro; } @page { x\"; }"));
        assert!(css.contains("counter(page) \" de \" counter(pages)"));
    }

    #[test]
    fn pages_cover_every_row_once() {
        let rows: Vec<usize> = (0..250).collect();
        let url = |p: usize| format!("?page={p}");
        let first = Pager::new(rows.len(), 100, None, url);
        assert_eq!(
            (first.page, first.pages, first.first, first.last),
            (1, 3, 1, 100)
        );
        assert_eq!(first.prev_url, None);
        assert_eq!(first.next_url.as_deref(), Some("?page=2"));
        let last = Pager::new(rows.len(), 100, Some(9), url);
        assert_eq!((last.page, last.first, last.last), (3, 201, 250));
        assert_eq!(last.slice(rows.clone()), (200..250).collect::<Vec<_>>());
        let all: Vec<usize> = (1..=3)
            .flat_map(|p| Pager::new(rows.len(), 100, Some(p), url).slice(rows.clone()))
            .collect();
        assert_eq!(all, rows);
        let empty = Pager::new(0, 100, Some(2), url);
        assert_eq!((empty.page, empty.first, empty.last), (1, 0, 0));
        assert!(empty.slice(Vec::<usize>::new()).is_empty());
        assert!(!empty.is_needed());
    }
}
