//! Organizer pages about email: the reminder policy of an assessment and "send reminders now"
//! (with its preview), the emails of one organization, and the failed emails with their retry.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::client::ClientAddress;
use super::context::{self, Ctx, Organizer, safe_next};
use super::forms::FormErrors;
use super::{App, render, see_other};
use crate::domain::reminders::{
    EVERY_DAYS, FINAL_DAYS_BEFORE, FIRST_AFTER_DAYS, MAX_REMINDERS, PolicyInput, parse_policy,
};
use crate::error::AppError;
use crate::service::email::Rendered;
use crate::service::email::{self as email_service, MessageView, Recipient};
use crate::service::records::{Assessment, Organization, OrganizationHead};
use crate::service::reminders::{self, PreviewItem};
use crate::service::responses::Stage;

/// One organization on the reminders page.
pub struct ReminderRow {
    pub organization: OrganizationHead,
    pub stage: Stage,
    pub percent: u8,
    pub reminders: i64,
    pub last_reminder: Option<NaiveDate>,
}

#[derive(Template)]
#[template(path = "reminders.html")]
struct RemindersPage {
    ctx: Ctx,
    assessment: Assessment,
    policy: PolicyInput,
    errors: FormErrors,
    rows: Vec<ReminderRow>,
}

impl RemindersPage {
    fn bounds(&self, field: &str) -> (i64, i64) {
        match field {
            "first_after_days" => FIRST_AFTER_DAYS,
            "every_days" => EVERY_DAYS,
            "max_reminders" => MAX_REMINDERS,
            _ => FINAL_DAYS_BEFORE,
        }
    }

    fn value<'a>(&'a self, field: &str) -> &'a str {
        match field {
            "first_after_days" => &self.policy.first_after_days,
            "every_days" => &self.policy.every_days,
            "max_reminders" => &self.policy.max_reminders,
            _ => &self.policy.final_days_before,
        }
    }

    fn fields(&self) -> [&'static str; 4] {
        [
            "first_after_days",
            "every_days",
            "max_reminders",
            "final_days_before",
        ]
    }
}

async fn reminders_page_with(
    ctx: Ctx,
    state: &web::Data<App>,
    id: String,
    policy: Option<PolicyInput>,
    errors: FormErrors,
) -> Result<(RemindersPage, bool), AppError> {
    let now = state.clock.now();
    let app = state.clone();
    let reminders::Overview {
        assessment,
        policy: saved,
        progress,
        counts,
    } = state
        .run(move |conn| reminders::overview(conn, &app.instruments, &id, now))
        .await?;
    let mut rows: Vec<ReminderRow> = progress
        .into_iter()
        .map(|row| {
            let (reminders, last_reminder) =
                counts.get(&row.response.id).copied().unwrap_or_default();
            ReminderRow {
                percent: row.progress.percent(),
                stage: row.stage,
                organization: row.organization,
                reminders,
                last_reminder,
            }
        })
        .collect();
    super::view::sort_by_acronym(&mut rows, |r| &r.organization.acronym, false);
    let invalid = !errors.is_empty();
    Ok((
        RemindersPage {
            ctx,
            assessment,
            policy: policy.unwrap_or_else(|| PolicyInput::from(&saved)),
            errors,
            rows,
        },
        invalid,
    ))
}

pub async fn reminders_page(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (page, _) =
        reminders_page_with(ctx, &state, path.into_inner(), None, FormErrors::default()).await?;
    render(StatusCode::OK, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    first_after_days: String,
    #[serde(default)]
    every_days: String,
    #[serde(default)]
    max_reminders: String,
    #[serde(default)]
    final_days_before: String,
}

pub async fn save_policy(
    ctx: Ctx,
    Organizer(user): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let input = PolicyInput {
        enabled: form.enabled.is_some(),
        first_after_days: form.first_after_days,
        every_days: form.every_days,
        max_reminders: form.max_reminders,
        final_days_before: form.final_days_before,
    };
    match parse_policy(&input) {
        Ok(policy) => {
            let now = state.clock.now();
            let target = id.clone();
            let actor = client.actor(&user);
            state
                .run(move |conn| reminders::save_policy_by(conn, &actor, &target, &policy, now))
                .await?;
            context::flash(&session, "reminders.policy_saved");
            Ok(see_other(&format!("/organizer/assessments/{id}/reminders")))
        }
        Err(problems) => {
            let mut errors = FormErrors::default();
            for (field, _) in problems {
                let (min, max) = match field {
                    "first_after_days" => FIRST_AFTER_DAYS,
                    "every_days" => EVERY_DAYS,
                    "max_reminders" => MAX_REMINDERS,
                    _ => FINAL_DAYS_BEFORE,
                };
                errors.add(
                    field,
                    crate::i18n::tr_args(
                        ctx.lang,
                        "reminders.policy.range",
                        &[("min", &min.to_string()), ("max", &max.to_string())],
                    ),
                );
            }
            let (page, _) = reminders_page_with(ctx, &state, id, Some(input), errors).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// The organizations ticked on the reminders page (`organization` repeated).
fn chosen_organizations(body: &[u8]) -> Result<Vec<String>, AppError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut ids: Vec<String> = pairs
        .into_iter()
        .filter(|(k, _)| k == "organization")
        .map(|(_, v)| v)
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

#[derive(Template)]
#[template(path = "reminders_preview.html")]
struct PreviewPage {
    ctx: Ctx,
    assessment: Assessment,
    items: Vec<PreviewItem>,
    sample: Option<(Recipient, Rendered)>,
    sendable: usize,
}

pub async fn preview(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let chosen = chosen_organizations(&body)?;
    if chosen.is_empty() {
        context::flash(&session, "reminders.none_selected");
        return Ok(see_other(&format!("/organizer/assessments/{id}/reminders")));
    }
    let now = state.clock.now();
    let app = state.clone();
    let (assessment, preview) = state
        .run(move |conn| reminders::preview_of(conn, app.mail_env(), &id, &chosen, now))
        .await?;
    let sendable = preview.items.iter().filter(|i| i.blocked.is_none()).count();
    render(
        StatusCode::OK,
        &PreviewPage {
            ctx,
            assessment,
            items: preview.items,
            sample: preview.sample,
            sendable,
        },
    )
}

pub async fn send_now(
    Organizer(organizer): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let chosen = chosen_organizations(&body)?;
    let now = state.clock.now();
    let app = state.clone();
    let target = id.clone();
    let actor = client.actor(&organizer);
    let report = state
        .run(move |conn| {
            let env = app.mail_env();
            reminders::send_now_by(conn, env, &actor, &target, &chosen, &organizer.id, now)
        })
        .await?;
    tracing::info!(assessment = %id, ?report, "reminders sent by hand");
    context::flash(
        &session,
        if report.organizations > 0 {
            "reminders.sent"
        } else {
            "reminders.nothing_sent"
        },
    );
    Ok(see_other(&format!("/organizer/assessments/{id}/reminders")))
}

#[derive(Template)]
#[template(path = "emails_history.html")]
struct HistoryPage {
    ctx: Ctx,
    assessment: Assessment,
    organization: Organization,
    messages: Vec<MessageView>,
    here: String,
}

pub async fn history(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, organization_id) = path.into_inner();
    let (assessment, organization, messages) = state
        .run(move |conn| email_service::history_page(conn, &id, &organization_id))
        .await?;
    let here = ctx.path.clone();
    render(
        StatusCode::OK,
        &HistoryPage {
            ctx,
            assessment,
            organization,
            messages,
            here,
        },
    )
}

#[derive(Template)]
#[template(path = "emails_failed.html")]
struct FailuresPage {
    ctx: Ctx,
    messages: Vec<MessageView>,
    waiting: i64,
    transport: String,
    /// Times in the configured default zone: the failures belong to no one assessment.
    when: crate::domain::time::Local,
}

pub async fn failures(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let (messages, waiting) = state.run(email_service::failures_page).await?;
    render(
        StatusCode::OK,
        &FailuresPage {
            ctx: ctx.clone(),
            messages,
            waiting,
            transport: state.mailer.description().to_owned(),
            when: ctx.times(state.config.time_zone),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    next: String,
}

pub async fn retry(
    Organizer(user): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<RetryForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let now = state.clock.now();
    let target = id.clone();
    let actor = client.actor(&user);
    let retried = state
        .run(move |conn| email_service::retry_by(conn, &actor, &target, now))
        .await?;
    if retried {
        tracing::info!(email = %id, "email put back in the queue by an organizer");
    }
    context::flash(
        &session,
        if retried {
            "emails.retried"
        } else {
            "emails.not_failed"
        },
    );
    let next = safe_next(&form.next).unwrap_or_else(|| "/organizer/emails".to_owned());
    Ok(see_other(&next))
}
