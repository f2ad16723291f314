//! Organizer pages for assessments: the list (dashboard), create and edit, and the progress page
//! with the invitations of each organization.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::client::ClientAddress;
use super::context::{Ctx, Organizer};
use super::forms::{FormErrors, field_message};
use super::view::{PAGE_SIZE, Pager, sort_by_acronym};
use super::{App, render, see_other};
use crate::domain::assessment::{AVERAGES_MIN_PEERS_DEFAULT, AssessmentInput, parse_assessment};
use crate::domain::time;
use crate::error::AppError;
use crate::service::assessments::{self, InstrumentChoiceError, SaveError};
use crate::service::audit::Actor;
use crate::service::records::{Assessment, InstrumentVersion, Invitation};
use crate::service::responses::{ProgressRow, Stage};

#[derive(Template)]
#[template(path = "organizer.html")]
struct Dashboard {
    ctx: Ctx,
    assessments: Vec<Assessment>,
    now: chrono::NaiveDateTime,
}

pub async fn dashboard(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let assessments = state.run(assessments::list).await?;
    let now = state.clock.now();
    render(
        StatusCode::OK,
        &Dashboard {
            ctx,
            assessments,
            now,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct AssessmentForm {
    #[serde(default)]
    title_es: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    instrument: String,
    #[serde(default)]
    opens_on: String,
    #[serde(default)]
    closes_on: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    show_national_averages: Option<String>,
    /// Absent from a form of an earlier version of the page: then the defaults apply. Present
    /// and empty is an answer, checked like any other.
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    averages_min_peers: Option<String>,
}

#[derive(Template)]
#[template(path = "assessment_form.html")]
struct FormPage {
    ctx: Ctx,
    id: Option<String>,
    form: AssessmentForm,
    instruments: Vec<InstrumentVersion>,
    /// Responses exist, so the instrument can no longer change.
    pinned: bool,
    errors: FormErrors,
    /// The zones offered, by region.
    zones: Vec<(&'static str, Vec<&'static str>)>,
}

impl FormPage {
    fn instrument_value(v: &InstrumentVersion) -> String {
        format!("{}@{}", v.key, v.version)
    }
}

fn split_instrument(value: &str) -> Option<(&str, &str)> {
    value.split_once('@')
}

pub async fn new_form(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let (instruments, _) = state
        .run(|conn| assessments::form_choices(conn, None))
        .await?;
    // A new assessment opens today where the forum is.
    let today = crate::domain::time::local_date(state.clock.now(), state.config.time_zone);
    let form = AssessmentForm {
        instrument: instruments
            .first()
            .map(FormPage::instrument_value)
            .unwrap_or_default(),
        opens_on: today.to_string(),
        closes_on: (today + chrono::Duration::days(30)).to_string(),
        time_zone: Some(state.config.time_zone.name().to_owned()),
        averages_min_peers: Some(AVERAGES_MIN_PEERS_DEFAULT.to_string()),
        ..AssessmentForm::default()
    };
    render(
        StatusCode::OK,
        &FormPage {
            ctx,
            id: None,
            form,
            instruments,
            pinned: false,
            errors: FormErrors::default(),
            zones: time::zone_choices(),
        },
    )
}

pub async fn edit_form(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let lookup = id.clone();
    let (assessment, instruments, pinned) = state
        .run(move |conn| assessments::edit_form(conn, &lookup))
        .await?;
    render(
        StatusCode::OK,
        &FormPage {
            ctx,
            id: Some(id),
            form: AssessmentForm {
                title_es: assessment.title_es,
                title_en: assessment.title_en,
                instrument: format!(
                    "{}@{}",
                    assessment.instrument_key, assessment.instrument_version
                ),
                opens_on: assessment.opens_on.to_string(),
                closes_on: assessment.closes_on.to_string(),
                show_national_averages: assessment.show_national_averages.then(|| "on".into()),
                time_zone: Some(assessment.time_zone),
                averages_min_peers: Some(assessment.averages_min_peers.to_string()),
            },
            instruments,
            pinned,
            errors: FormErrors::default(),
            zones: time::zone_choices(),
        },
    )
}

pub async fn create(
    ctx: Ctx,
    Organizer(user): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    form: web::Form<AssessmentForm>,
) -> Result<HttpResponse, AppError> {
    let actor = client.actor(&user);
    save(ctx, state, session, actor, None, form.into_inner()).await
}

pub async fn update(
    ctx: Ctx,
    Organizer(user): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<AssessmentForm>,
) -> Result<HttpResponse, AppError> {
    save(
        ctx,
        state,
        session,
        client.actor(&user),
        Some(path.into_inner()),
        form.into_inner(),
    )
    .await
}

async fn save(
    ctx: Ctx,
    state: web::Data<App>,
    session: Session,
    actor: Actor,
    id: Option<String>,
    form: AssessmentForm,
) -> Result<HttpResponse, AppError> {
    let mut errors = FormErrors::default();
    let input = AssessmentInput {
        title_es: form.title_es.clone(),
        title_en: form.title_en.clone(),
        opens_on: form.opens_on.clone(),
        closes_on: form.closes_on.clone(),
        show_national_averages: form.show_national_averages.is_some(),
        time_zone: form
            .time_zone
            .clone()
            .unwrap_or_else(|| state.config.time_zone.name().to_owned()),
        averages_min_peers: form
            .averages_min_peers
            .clone()
            .unwrap_or_else(|| AVERAGES_MIN_PEERS_DEFAULT.to_string()),
    };
    let draft = match parse_assessment(&input) {
        Ok(draft) => Some(draft),
        Err(problems) => {
            for (field, error) in problems {
                errors.add(field, field_message(ctx.lang, error));
            }
            None
        }
    };
    let instrument = split_instrument(&form.instrument).map(|(k, v)| (k.to_owned(), v.to_owned()));
    if instrument.is_none() && id.is_none() {
        errors.add(
            "instrument",
            ctx.t("errors.field.unknown_option").into_owned(),
        );
    }
    if let (Some(draft), true) = (draft, errors.is_empty()) {
        let now = state.clock.now();
        let target = id.clone();
        let result = state
            .run(move |conn| {
                let chosen = instrument.as_ref().map(|(k, v)| (k.as_str(), v.as_str()));
                assessments::save_by(conn, &actor, target.as_deref(), &draft, chosen, now)
            })
            .await?;
        match result {
            Ok(saved) => {
                super::context::flash(&session, "assessments.saved");
                return Ok(see_other(&format!("/organizer/assessments/{saved}")));
            }
            Err(SaveError::Instrument(InstrumentChoiceError::Unknown)) => {
                errors.add(
                    "instrument",
                    ctx.t("errors.field.unknown_option").into_owned(),
                );
            }
            Err(SaveError::Instrument(InstrumentChoiceError::Pinned)) => {
                errors.add(
                    "instrument",
                    ctx.t("assessments.instrument_pinned").into_owned(),
                );
            }
            Err(SaveError::Other(e)) => return Err(e),
        }
    }
    let lookup = id.clone();
    let (instruments, pinned) = state
        .run(move |conn| assessments::form_choices(conn, lookup.as_deref()))
        .await?;
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &FormPage {
            ctx,
            id,
            form,
            instruments,
            pinned,
            errors,
            zones: time::zone_choices(),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct ProgressQuery {
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    #[serde(default)]
    status: String,
    /// 1-based page of the progress table.
    #[serde(default)]
    page: Option<usize>,
    /// 1-based page of the invitations table.
    #[serde(default)]
    invitations_page: Option<usize>,
}

/// A column of the progress table that can be sorted.
pub struct SortLink {
    pub key: &'static str,
    pub label_key: &'static str,
    pub url: String,
    /// `ascending`, `descending` or `none`, for aria-sort.
    pub aria: &'static str,
}

pub struct InvitationRow {
    pub invitation: Invitation,
    pub organization: String,
    /// pending, used, revoked or expired.
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct AssessmentPage {
    ctx: Ctx,
    assessment: Assessment,
    /// The page of the progress table shown.
    rows: Vec<ProgressRow>,
    pager: Pager,
    total: usize,
    sort_links: Vec<SortLink>,
    status: String,
    sort: String,
    dir: String,
    /// The page of the invitations table shown.
    invitations: Vec<InvitationRow>,
    invitations_pager: Pager,
    instrument_title: String,
    now: chrono::NaiveDateTime,
    /// Emails of this assessment that could not be delivered.
    failed_emails: i64,
}

impl AssessmentPage {
    fn stage_options(&self) -> [&'static str; 4] {
        Stage::ALL.map(Stage::key)
    }
}

pub async fn show(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<ProgressQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let now = state.clock.now();
    let app = state.clone();
    let lang = ctx.lang;
    let assessments::Overview {
        assessment,
        mut rows,
        invitations,
        instrument_title,
        failed_emails,
    } = state
        .run(move |conn| assessments::overview(conn, &app.instruments, &id, lang, now))
        .await?;
    let total = rows.len();
    let org_names: std::collections::BTreeMap<String, String> = rows
        .iter()
        .map(|r| (r.response.id.clone(), r.organization.acronym.clone()))
        .collect();
    let query = query.into_inner();
    if let Some(stage) = Stage::parse(&query.status) {
        rows.retain(|r| r.stage == stage);
    }
    let sort = match query.sort.as_str() {
        "status" | "progress" | "activity" => query.sort.clone(),
        _ => "organization".to_owned(),
    };
    let descending = query.dir == "desc";
    if sort == "organization" {
        sort_by_acronym(&mut rows, |r| &r.organization.acronym, descending);
    } else {
        rows.sort_by(|a, b| {
            let order = match sort.as_str() {
                "status" => a.stage.cmp(&b.stage),
                "progress" => a.progress.percent().cmp(&b.progress.percent()),
                _ => a
                    .response
                    .last_activity_at
                    .cmp(&b.response.last_activity_at),
            };
            if descending { order.reverse() } else { order }
        });
    }
    let base = format!("/organizer/assessments/{}", assessment.id);
    // Long tables come a page at a time; the links keep the sort and the filter, and the
    // page of the other table.
    let link = |page: usize, invitations_page: usize, anchor: &str| {
        let mut params = vec![
            ("sort", sort.clone()),
            ("dir", if descending { "desc" } else { "asc" }.to_owned()),
            ("page", page.to_string()),
            ("invitations_page", invitations_page.to_string()),
        ];
        if !query.status.is_empty() {
            params.push(("status", query.status.clone()));
        }
        format!(
            "{base}?{}#{anchor}",
            serde_urlencoded::to_string(&params).unwrap_or_default()
        )
    };
    let shown = rows.len();
    let invitations_pager_page = query.invitations_page.unwrap_or(1);
    let pager = Pager::new(shown, PAGE_SIZE, query.page, |page| {
        link(page, invitations_pager_page, "progress")
    });
    let rows = pager.slice(rows);
    let invitations_pager = Pager::new(
        invitations.len(),
        PAGE_SIZE,
        query.invitations_page,
        |page| link(pager.page, page, "invitations"),
    );
    let invitations = invitations_pager.slice(invitations);
    let sort_links = [
        ("organization", "assessments.col.organization"),
        ("status", "assessments.col.status"),
        ("progress", "assessments.col.progress"),
        ("activity", "assessments.col.activity"),
    ]
    .into_iter()
    .map(|(key, label_key)| {
        let active = key == sort;
        let next_dir = if active && !descending { "desc" } else { "asc" };
        let mut params = vec![("sort", key), ("dir", next_dir)];
        if !query.status.is_empty() {
            params.push(("status", query.status.as_str()));
        }
        SortLink {
            key,
            label_key,
            url: format!(
                "{base}?{}",
                serde_urlencoded::to_string(&params).unwrap_or_default()
            ),
            aria: match (active, descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            },
        }
    })
    .collect();
    let invitations = invitations
        .into_iter()
        .map(|invitation| InvitationRow {
            organization: org_names
                .get(&invitation.response_id)
                .cloned()
                .unwrap_or_default(),
            state: invitation_state(&invitation, now),
            invitation,
        })
        .collect();
    render(
        StatusCode::OK,
        &AssessmentPage {
            ctx,
            assessment,
            rows,
            pager,
            total,
            sort_links,
            status: query.status,
            sort,
            dir: if descending {
                "desc".into()
            } else {
                "asc".into()
            },
            invitations,
            invitations_pager,
            instrument_title,
            now,
            failed_emails,
        },
    )
}

fn invitation_state(invitation: &Invitation, now: NaiveDateTime) -> &'static str {
    if invitation.used_at.is_some() {
        "used"
    } else if invitation.revoked_at.is_some() {
        "revoked"
    } else if now >= invitation.expires_at {
        "expired"
    } else {
        "pending"
    }
}
