//! The landing pages: where each kind of user starts.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::context::{Ctx, CurrentUser, Organizer};
use super::{render, see_other};
use crate::error::AppError;

#[derive(Template)]
#[template(path = "home.html")]
struct RepresentativeHome {
    ctx: Ctx,
    user: CurrentUser,
}

/// `/`: organizers go to their dashboard; representatives see their start page; anonymous
/// visitors are sent to log in (by the `CurrentUser` guard).
pub async fn index(ctx: Ctx, user: CurrentUser) -> Result<HttpResponse, AppError> {
    if user.is_organizer() {
        return Ok(see_other("/organizer"));
    }
    render(StatusCode::OK, &RepresentativeHome { ctx, user })
}

#[derive(Template)]
#[template(path = "organizer.html")]
struct OrganizerHome {
    ctx: Ctx,
    user: CurrentUser,
}

pub async fn organizer(ctx: Ctx, Organizer(user): Organizer) -> Result<HttpResponse, AppError> {
    render(StatusCode::OK, &OrganizerHome { ctx, user })
}
