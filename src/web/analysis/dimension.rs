//! A dimension page: how the selected organizations answered each of its maturity items.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::analysis::{self};
use crate::domain::instrument::ItemKind;
use crate::error::AppError;
use crate::service::analysis::{Participant, Scope};
use crate::service::records::Assessment;
use crate::web::charts::{self};
use crate::web::context::{Ctx, Organizer};
use crate::web::view::{StatsView, ViewQuery, load_data, stats_views};
use crate::web::{App, render};

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
