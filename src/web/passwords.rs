//! Forgotten passwords: the page that asks for a reset link by email, and the page the link
//! opens to choose a new password.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client::ClientAddress;
use super::context::{self, Ctx};
use super::forms::FormErrors;
use super::retry::{hashing_busy, with_retry_after};
use super::{App, render, see_other};
use crate::domain::account::NewPassword;
use crate::error::AppError;
use crate::service::hashing::HashingError;
use crate::service::passwords::{self, LinkProblem};

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    ctx: Ctx,
    email: String,
    /// The request was taken: the same words whether the account exists or not.
    sent: bool,
    minutes: i64,
    /// Too many requests: the message above the form.
    error: Option<String>,
}

pub async fn forgot_page(ctx: Ctx) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &ForgotPage {
            ctx,
            email: String::new(),
            sent: false,
            minutes: passwords::VALID_MINUTES,
            error: None,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Every request counts against the typed email and the client address, whether or not an
/// account has that email; over the limit the answer is 429 with Retry-After, for any email.
pub async fn forgot(
    ctx: Ctx,
    state: web::Data<App>,
    client: ClientAddress,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let email = form.into_inner().email;
    let now = state.clock.now();
    let lang = ctx.lang;
    let app = state.clone();
    let raw = email.clone();
    let throttled = state
        .run(move |conn| {
            passwords::request_throttled(conn, &app.config.base_url, &raw, lang, client.0, now)
        })
        .await?;
    if let Some(wait) = throttled {
        tracing::warn!(retry_after = wait, "password reset throttled");
        let minutes = usize::try_from((wait + 59) / 60).unwrap_or(usize::MAX);
        let error = ctx.tn("audit.reset_throttled", minutes);
        let response = render(
            StatusCode::TOO_MANY_REQUESTS,
            &ForgotPage {
                ctx,
                email,
                sent: false,
                minutes: passwords::VALID_MINUTES,
                error: Some(error),
            },
        )?;
        return Ok(with_retry_after(response, wait));
    }
    render(
        StatusCode::OK,
        &ForgotPage {
            ctx,
            email,
            sent: true,
            minutes: passwords::VALID_MINUTES,
            error: None,
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
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let now = state.clock.now();
    let lookup = token.clone();
    state
        .run(move |conn| passwords::check(conn, &lookup, now))
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
    state: web::Data<App>,
    session: Session,
    client: ClientAddress,
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
    // The link first, cheaply: a random or used token never costs a password hash.
    let lookup = token.clone();
    state
        .run(move |conn| passwords::check(conn, &lookup, now))
        .await?
        .map_err(invalid_link)?;
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ResetPage { ctx, token, errors },
        );
    };
    // Hashed by the bounded hasher, holding no database connection.
    let reset = passwords::reset(&state.pool, &state.hasher, token, &password, client.0, now);
    let user = match reset.await {
        Ok(done) => done.map_err(invalid_link)?,
        Err(HashingError::Busy) => return Ok(hashing_busy()),
        Err(HashingError::Other(e)) => return Err(e),
    };
    tracing::info!(user = %user.id, "password reset");
    // Whoever was logged in on this browser, the next step is a fresh login with the new password.
    context::log_out(&session);
    context::flash(&session, "password.changed");
    Ok(see_other("/login"))
}
