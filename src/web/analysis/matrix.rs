//! The capacity matrix page: every selected organization's dimension scores, sortable and paged.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::Lang;
use crate::domain::instrument::{Instrument, Section};
use crate::error::AppError;
use crate::service::analysis::{self as service, Scope};
use crate::service::records::Assessment;
use crate::web::context::{Ctx, Organizer};
use crate::web::view::{
    ColumnView, PAGE_SIZE, Pager, RowView, StatsView, ViewQuery, cell_view, load_data, sort_rows,
    stats_views,
};
use crate::web::{App, render};

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
