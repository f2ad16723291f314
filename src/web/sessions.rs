//! One's own sessions (where one is logged in, "sign out everywhere") and an organizer ending an
//! account's sessions.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client::ClientAddress;
use super::context::{self, Ctx, CurrentUser, Organizer, safe_next};
use super::{App, render, see_other};
use crate::error::AppError;
use crate::service::sessions::{self, EndReason, Policy};

/// One session on the page.
pub struct SessionLine {
    pub id: String,
    pub started: String,
    pub last_seen: String,
    /// Browser and system in plain words, when the user agent tells.
    pub device: Option<String>,
    pub address: Option<String>,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account_sessions.html")]
struct SessionsPage {
    ctx: Ctx,
    sessions: Vec<SessionLine>,
    zone: &'static str,
    /// When a session ends, with the configured limits.
    intro: String,
}

fn device_words(user_agent: &str) -> Option<String> {
    match sessions::device(user_agent) {
        (Some(browser), Some(system)) => Some(format!("{browser} · {system}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

/// `GET /account/sessions`: the user's sessions still on, this one marked.
pub async fn page(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let policy = Policy::of(&state.config);
    let now = state.clock.now();
    let user_id = user.id.clone();
    let rows = state
        .run(move |conn| sessions::active(conn, policy, &user_id, now))
        .await?;
    let this = context::session_id(&session);
    let when = ctx.times(state.config.time_zone);
    let lines = rows
        .into_iter()
        .map(|row| SessionLine {
            current: this.as_deref() == Some(row.id.as_str()),
            started: when.at(row.created_at),
            last_seen: when.at(row.last_seen_at),
            device: device_words(&row.user_agent),
            address: row.address,
            id: row.id,
        })
        .collect();
    let intro = crate::i18n::tr_args(
        ctx.lang,
        "sessions.intro",
        &[
            (
                "idle",
                &ctx.tn("sessions.hours", state.config.session_idle_hours as usize),
            ),
            (
                "max",
                &ctx.tn("sessions.days", state.config.session_max_days as usize),
            ),
        ],
    );
    render(
        StatusCode::OK,
        &SessionsPage {
            intro,
            zone: when.zone_name(),
            ctx,
            sessions: lines,
        },
    )
}

/// `POST /account/sessions/end-all`: "sign out everywhere", this browser included.
pub async fn end_all(
    user: CurrentUser,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let actor = client.actor(&user);
    let now = state.clock.now();
    let ended = state
        .run(move |conn| {
            sessions::end_all_of_account(conn, &actor, &user.id, EndReason::Everywhere, now)
        })
        .await?;
    tracing::info!(ended = ?ended, "signed out everywhere");
    context::log_out(&session);
    context::flash(&session, "sessions.ended_everywhere");
    Ok(see_other("/login"))
}

/// `POST /account/sessions/{id}/end`: ends one of the user's own sessions (another's: 404).
pub async fn end_one(
    user: CurrentUser,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let session_id = path.into_inner();
    let this = context::session_id(&session).is_some_and(|id| id == session_id);
    let actor = client.actor(&user);
    let now = state.clock.now();
    let ended = state
        .run(move |conn| sessions::end_own(conn, &actor, &user.id, &session_id, now))
        .await?;
    if !ended {
        return Err(AppError::NotFound);
    }
    if this {
        context::log_out(&session);
        context::flash(&session, "sessions.ended_this");
        return Ok(see_other("/login"));
    }
    context::flash(&session, "sessions.ended_one");
    Ok(see_other("/account/sessions"))
}

#[derive(Debug, Deserialize)]
pub struct BackForm {
    #[serde(default)]
    back: String,
}

/// `POST /organizer/users/{id}/sessions/end`: an organizer ends every session of an account
/// (unknown account: 404), then returns to the page the form was on.
pub async fn organizer_end_all(
    Organizer(organizer): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<BackForm>,
) -> Result<HttpResponse, AppError> {
    let user_id = path.into_inner();
    let back = safe_next(&form.back).unwrap_or_else(|| "/organizer".to_owned());
    let actor = client.actor(&organizer);
    let now = state.clock.now();
    let target = user_id.clone();
    let ended = state
        .run(move |conn| {
            sessions::end_all_of_account(conn, &actor, &target, EndReason::Organizer, now)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    tracing::info!(user = %user_id, ended, "sessions ended by an organizer");
    if user_id == organizer.id {
        context::log_out(&session);
        context::flash(&session, "sessions.ended_everywhere");
        return Ok(see_other("/login"));
    }
    context::flash(&session, "sessions.ended_for_account");
    Ok(see_other(&back))
}
