//! Forgotten passwords: the page that asks for a reset link by email, and the page the link
//! opens to choose a new password.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::context::{self, Ctx};
use super::forms::FormErrors;
use super::{AppState, db, render, see_other};
use crate::domain::account::NewPassword;
use crate::error::AppError;
use crate::service::passwords::{self, LinkProblem};

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    ctx: Ctx,
    email: String,
    /// The request was taken: the same words whether the account exists or not.
    sent: bool,
    minutes: i64,
}

pub async fn forgot_page(ctx: Ctx) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &ForgotPage {
            ctx,
            email: String::new(),
            sent: false,
            minutes: passwords::VALID_MINUTES,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Longest address looked at; anything longer cannot be an account's.
const MAX_EMAIL_LEN: usize = 1000;

pub async fn forgot(
    ctx: Ctx,
    state: web::Data<AppState>,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let email = form.into_inner().email;
    if email.len() <= MAX_EMAIL_LEN {
        let now = state.clock.now();
        let lang = ctx.lang;
        let app = state.clone();
        let raw = email.clone();
        db(&state, move |conn| {
            passwords::request(conn, &app.config.base_url, &raw, lang, now)
        })
        .await?;
    }
    render(
        StatusCode::OK,
        &ForgotPage {
            ctx,
            email,
            sent: true,
            minutes: passwords::VALID_MINUTES,
        },
    )
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    ctx: Ctx,
    token: String,
    errors: FormErrors,
}

fn invalid_link(problem: LinkProblem) -> AppError {
    AppError::Denied {
        status: 410,
        message_key: problem.message_key(),
    }
}

pub async fn reset_page(
    ctx: Ctx,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let now = state.clock.now();
    let lookup = token.clone();
    db(&state, move |conn| passwords::check(conn, &lookup, now))
        .await?
        .map_err(invalid_link)?;
    render(
        StatusCode::OK,
        &ResetPage {
            ctx,
            token,
            errors: FormErrors::default(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn reset(
    ctx: Ctx,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let form = form.into_inner();
    let now = state.clock.now();
    let mut errors = FormErrors::default();
    let password = errors.check(ctx.lang, "password", NewPassword::parse(&form.password));
    if password.is_some() && form.password != form.password_confirm {
        errors.add(
            "password_confirm",
            ctx.t("errors.field.password_mismatch").into_owned(),
        );
    }
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        let lookup = token.clone();
        db(&state, move |conn| passwords::check(conn, &lookup, now))
            .await?
            .map_err(invalid_link)?;
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ResetPage { ctx, token, errors },
        );
    };
    let user = db(&state, move |conn| {
        passwords::complete(conn, &token, &password, now)
    })
    .await?
    .map_err(invalid_link)?;
    tracing::info!(user = %user.id, "password reset");
    // Whoever was logged in on this browser, the next step is a fresh login with the new password.
    context::log_out(&session);
    context::flash(&session, "password.changed");
    Ok(see_other("/login"))
}
