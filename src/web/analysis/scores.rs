//! A response's scores and one cell's answers, for organizers and its representatives.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::analysis::{self};
use crate::domain::answers::AnswerValue;
use crate::domain::assessment::{AveragesHidden, averages_hidden};
use crate::domain::instrument::ItemKind;
use crate::error::AppError;
use crate::service::analysis::{self as service, Scope, Selection};
use crate::service::records::Assessment;
use crate::service::responses::ResponseContext;
use crate::web::context::{Ctx, CurrentUser};
use crate::web::view::{CellView, NationalAverage, cell_view, display_value, fmt1, load_data};
use crate::web::{App, render};

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

/// Whether the national averages may be shown on a response's pages, given the submitted
/// responses (`Some(())`), or why not (the message). Organizers always see them; a
/// representative only when the assessment offers them and enough *other* organizations have
/// submitted (see [`averages_hidden`]).
fn national_averages(
    ctx: &Ctx,
    user: &CurrentUser,
    context: &ResponseContext,
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
    let context = open(&state, &user, &path.id).await?;
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
    let context = open(&state, &user, &response_id).await?;
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

/// Loads a response the user may read, or 403/404 (as the questionnaire's pages do).
async fn open(
    state: &web::Data<App>,
    user: &CurrentUser,
    id: &str,
) -> Result<ResponseContext, AppError> {
    let app = state.clone();
    let actor = user.reader();
    let id = id.to_owned();
    state
        .run(move |conn| crate::service::responses::open(conn, &app.instruments, &id, &actor))
        .await
}
