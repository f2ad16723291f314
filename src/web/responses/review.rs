//! The review page of a response (every answer, what is still missing), its submission, and
//! reopening a submitted response.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::fields::{ctx_domain_label, mechanism_summary};
use super::{html_id, read, section_url};
use crate::domain::Lang;
use crate::domain::answers::Progress;
use crate::domain::instrument::SectionBody;
use crate::domain::section_form;
use crate::error::AppError;
use crate::i18n;
use crate::service::records::Mechanism;
use crate::service::responses::{
    self as service, EditBlock, Missing, ResponseContext, ReviewRead, SubmitOutcome,
};
use crate::web::client::ClientAddress;
use crate::web::context::{self, Ctx, CurrentUser, Organizer};
use crate::web::forms::field_message;
use crate::web::view::display_value;
use crate::web::{App, render, see_other};

pub struct ReviewItem {
    pub label: String,
    pub value: Option<String>,
    pub evidence: Option<String>,
    pub missing: bool,
    pub url: String,
}

pub struct ReviewSection {
    pub key: String,
    pub title: String,
    pub url: String,
    pub items: Vec<ReviewItem>,
}

/// A mechanism entry on the review page: name, (label, value) of its fields, edit link.
pub type ReviewMechanism = (String, Vec<(String, String)>, String);

pub struct MissingLink {
    pub label: String,
    pub section: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    ctx: Ctx,
    response: ResponseContext,
    sections: Vec<ReviewSection>,
    mechanisms: Vec<ReviewMechanism>,
    missing: Vec<MissingLink>,
    total: Progress,
    block: Option<EditBlock>,
    is_organizer: bool,
    submitted_by: Option<String>,
    reopen_error: Option<String>,
    reason: String,
}

fn missing_links(
    response: &ResponseContext,
    missing: &[Missing],
    mechanisms: &[Mechanism],
    lang: Lang,
) -> Vec<MissingLink> {
    let instrument = &response.instrument;
    missing
        .iter()
        .map(|m| {
            let section = instrument.section(&m.section);
            let section_title = section
                .map(|s| s.title.get(lang).to_owned())
                .unwrap_or_default();
            if let Some(id) = m.key.strip_prefix("mechanism:") {
                let name = mechanisms
                    .iter()
                    .find(|x| x.id == id)
                    .map(|x| x.name.clone())
                    .unwrap_or_default();
                return MissingLink {
                    label: i18n::tr_args(lang, "review.incomplete_mechanism", &[("name", &name)]),
                    section: section_title,
                    url: format!("/responses/{}/mechanisms/{id}", response.response.id),
                };
            }
            let label = match (instrument.item(&m.key), section) {
                (Some(item), _) => item.label.get(lang).to_owned(),
                (None, Some(section)) => {
                    // A grid cell: "<domain>: <column>".
                    let rest = m
                        .key
                        .strip_prefix(&format!("{}.", section.key))
                        .unwrap_or(&m.key);
                    let (domain, column) = rest.split_once('.').unwrap_or((rest, ""));
                    match &section.body {
                        SectionBody::DomainGrid(grid) => format!(
                            "{}: {}",
                            instrument
                                .option_label(&grid.list, domain, lang)
                                .unwrap_or(domain),
                            grid.column(column)
                                .map(|c| c.label.get(lang))
                                .unwrap_or(column)
                        ),
                        _ => m.key.clone(),
                    }
                }
                _ => m.key.clone(),
            };
            MissingLink {
                label,
                section: section_title,
                url: format!(
                    "/responses/{}/sections/{}#{}",
                    response.response.id,
                    m.section,
                    html_id(&m.key)
                ),
            }
        })
        .collect()
}

/// The review page of a response and its rows, at `now`.
fn review_page(
    ctx: Ctx,
    user: &CurrentUser,
    now: NaiveDateTime,
    (response, read): (ResponseContext, ReviewRead),
    missing_override: Option<Vec<Missing>>,
    reopen_error: Option<String>,
    reason: String,
) -> ReviewPage {
    let ReviewRead {
        answers,
        mechanisms,
        partners,
        submitted_by,
    } = read;
    let lang = ctx.lang;
    let instrument = response.instrument.clone();
    let missing = missing_override
        .unwrap_or_else(|| service::missing(&response, &answers.values, &mechanisms));
    let missing_keys: Vec<&str> = missing.iter().map(|m| m.key.as_str()).collect();
    let mut sections = Vec::new();
    for section in &instrument.sections {
        if matches!(section.body, SectionBody::Mechanisms(_)) {
            continue;
        }
        let items = section_form::slots(&instrument, section)
            .into_iter()
            .filter(|slot| section_form::slot_is_relevant(section, slot, &answers.values))
            .filter(|slot| {
                answers.values.contains_key(&slot.key) || missing_keys.contains(&slot.key.as_str())
            })
            .map(|slot| {
                let mut label = slot.item.label.get(lang).to_owned();
                if let Some(domain) = slot.domain {
                    label = format!(
                        "{} · {label}",
                        ctx_domain_label(&instrument, section, domain, lang)
                    );
                }
                ReviewItem {
                    value: answers
                        .values
                        .get(&slot.key)
                        .map(|v| display_value(&instrument, slot.item, v, lang, &partners)),
                    evidence: answers.evidence.get(&slot.key).cloned(),
                    missing: missing_keys.contains(&slot.key.as_str()),
                    url: format!(
                        "/responses/{}/sections/{}#{}",
                        response.response.id,
                        section.key,
                        html_id(&slot.key)
                    ),
                    label,
                }
            })
            .collect();
        sections.push(ReviewSection {
            key: section.key.clone(),
            title: section.title.get(lang).to_owned(),
            url: section_url(&response.response.id, section),
            items,
        });
    }
    let mechanism_views = match instrument.mechanisms() {
        Some((_, group)) => mechanisms
            .iter()
            .map(|m| {
                (
                    m.name.clone(),
                    mechanism_summary(&instrument, group, m, lang, &partners),
                    format!("/responses/{}/mechanisms/{}", response.response.id, m.id),
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let (_, total) = service::progress(&response, &answers.values, &mechanisms);
    let missing = missing_links(&response, &missing, &mechanisms, lang);
    let block = response.edit_block(now);
    ReviewPage {
        ctx,
        response,
        sections,
        mechanisms: mechanism_views,
        missing,
        total,
        block,
        is_organizer: user.is_organizer(),
        submitted_by,
        reopen_error,
        reason,
    }
}

pub async fn review(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let opened = read(&state, &user, path.into_inner(), service::review).await?;
    let now = state.clock.now();
    let page = review_page(ctx, &user, now, opened, None, None, String::new());
    render(StatusCode::OK, &page)
}

pub async fn submit(
    ctx: Ctx,
    user: CurrentUser,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (reader, by) = (user.reader(), client.actor(&user));
    let app = state.clone();
    let id = path.into_inner();
    let (response, outcome) = state
        .run(move |conn| service::submit_response(conn, app.mail_env(), &id, &reader, &by, now))
        .await?;
    match outcome {
        SubmitOutcome::Submitted => {
            tracing::info!(response = %response.response.id, user = %user.id, "response submitted");
            context::flash(&session, "review.submitted");
            Ok(see_other(&format!(
                "/responses/{}/review",
                response.response.id
            )))
        }
        SubmitOutcome::Incomplete(missing) => {
            let loaded = response.clone();
            let read = state
                .run(move |conn| service::review_of(conn, &loaded))
                .await?;
            let page = review_page(
                ctx,
                &user,
                state.clock.now(),
                (response, read),
                Some(missing),
                None,
                String::new(),
            );
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ReopenForm {
    #[serde(default)]
    reason: String,
}

pub const REOPEN_REASON_MAX: usize = 1000;

pub async fn reopen(
    ctx: Ctx,
    Organizer(user): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ReopenForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reason = form.into_inner().reason;
    let problem = match crate::domain::account::parse_line(&reason, REOPEN_REASON_MAX) {
        Ok(_) => None,
        Err(e) => Some(field_message(ctx.lang, e)),
    };
    if let Some(problem) = problem {
        let opened = read(&state, &user, id, service::review).await?;
        let now = state.clock.now();
        let page = review_page(ctx, &user, now, opened, None, Some(problem), reason);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let now = state.clock.now();
    let trimmed = reason.trim().to_owned();
    let (reader, by) = (user.reader(), client.actor(&user));
    let app = state.clone();
    let reopening = id.clone();
    let reopened = state
        .run(move |conn| {
            service::reopen_response(
                conn,
                app.mail_env(),
                &reopening,
                &reader,
                &trimmed,
                &by,
                now,
            )
        })
        .await?;
    if !reopened {
        return Err(AppError::Denied {
            status: 409,
            message_key: "review.not_submitted",
        });
    }
    tracing::info!(response = %id, user = %user.id, "response reopened");
    context::flash(&session, "review.reopened");
    Ok(see_other(&format!("/responses/{id}/review")))
}
