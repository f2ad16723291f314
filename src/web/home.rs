//! The landing pages: where each kind of user starts.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::context::{Ctx, CurrentUser};
use super::responses::{HomeRow, my_responses};
use super::{App, render, see_other};
use crate::error::AppError;

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
