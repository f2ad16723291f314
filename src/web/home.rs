//! The landing pages: where each kind of user starts.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::context::{Ctx, CurrentUser};
use super::{App, render, see_other};
use crate::domain::Lang;
use crate::error::AppError;
use crate::service::responses as service;

/// The representative's start page: their responses.
pub struct HomeRow {
    pub response_id: String,
    pub assessment: String,
    pub organization: String,
    pub status: String,
    pub closes_on: chrono::NaiveDate,
}

#[derive(Template)]
#[template(path = "home.html")]
struct RepresentativeHome {
    ctx: Ctx,
    user: CurrentUser,
    responses: Vec<HomeRow>,
}

/// `/`: organizers go to their dashboard; representatives see their start page; anonymous
/// visitors are sent to log in (by the `CurrentUser` guard).
pub async fn index(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    if user.is_organizer() {
        return Ok(see_other("/organizer"));
    }
    let responses = my_responses(&state, &user, ctx.lang).await?;
    render(
        StatusCode::OK,
        &RepresentativeHome {
            ctx,
            user,
            responses,
        },
    )
}

/// The responses the user joined, as the start page lists them.
async fn my_responses(
    state: &web::Data<App>,
    user: &CurrentUser,
    lang: Lang,
) -> Result<Vec<HomeRow>, AppError> {
    let id = user.id.clone();
    let rows = state
        .run(move |conn| service::my_responses(conn, &id))
        .await?;
    Ok(rows
        .into_iter()
        .map(|(response, assessment, organization)| HomeRow {
            response_id: response.id,
            assessment: assessment.title(lang).to_owned(),
            organization: organization.name,
            status: response.status,
            closes_on: assessment.closes_on,
        })
        .collect())
}
