//! Invitations: the organizer's invite form, revoke and resend; and the personal link a
//! representative opens to join the organization's response.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client::ClientAddress;
use super::context::{self, Ctx, Organizer};
use super::forms::{FormErrors, field_message};
use super::retry::{hashing_busy, throttled_message, with_retry_after};
use super::{App, render, see_other};
use crate::domain::Lang;
use crate::domain::account::{EmailAddress, FieldError, NewPassword, PersonName};
use crate::error::AppError;
use crate::service::invitations::{
    self, Accepted, Claim, ContactPlan, ContactRow, CreatedInvitation, Invitee, LinkProblem,
};
use crate::service::records::{Assessment, Organization};

/// How many rows for people the form shows at first, and how many "More rows" adds.
const ROWS: usize = 3;
/// The most people one form takes (a forum organization rarely names more than a few).
const MAX_ROWS: usize = 30;

#[derive(Debug, Clone, Default)]
pub struct InviteeRow {
    pub name: String,
    pub email: String,
    pub lang: String,
}

#[derive(Template)]
#[template(path = "invite_form.html")]
struct InvitePage {
    ctx: Ctx,
    assessment: Assessment,
    organizations: Vec<Organization>,
    organization: String,
    rows: Vec<InviteeRow>,
    errors: FormErrors,
    /// A translation key: what the last button did (contact filled in, rows added).
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct InviteQuery {
    #[serde(default)]
    organization: String,
}

async fn load_invite_page_data(
    state: &App,
    id: String,
) -> Result<(Assessment, Vec<Organization>), AppError> {
    state
        .run(move |conn| invitations::invite_page(conn, &id))
        .await
}

/// Empty rows up to `count`, in the page's language.
fn pad_rows(rows: &mut Vec<InviteeRow>, count: usize, lang: Lang) {
    while rows.len() < count.min(MAX_ROWS) {
        rows.push(InviteeRow {
            lang: lang.code().to_owned(),
            ..InviteeRow::default()
        });
    }
}

/// Puts the organization's registered contact in the first empty row, unless a row already
/// holds that email. False when the organization has no contact email.
fn prefill_contact(
    rows: &mut Vec<InviteeRow>,
    organization: Option<&Organization>,
    lang: Lang,
) -> bool {
    let Some((name, email)) = organization.and_then(|o| {
        o.contact_email
            .as_deref()
            .map(|email| (o.contact_name.clone().unwrap_or_default(), email.to_owned()))
    }) else {
        return false;
    };
    if rows
        .iter()
        .any(|r| r.email.trim().eq_ignore_ascii_case(email.trim()))
    {
        return true;
    }
    let blank = |r: &InviteeRow| r.name.trim().is_empty() && r.email.trim().is_empty();
    match rows.iter().position(blank) {
        Some(index) => {
            rows[index].name = name;
            rows[index].email = email;
        }
        None if rows.len() < MAX_ROWS => rows.push(InviteeRow {
            name,
            email,
            lang: lang.code().to_owned(),
        }),
        None => return false,
    }
    true
}

pub async fn invite_form(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<InviteQuery>,
) -> Result<HttpResponse, AppError> {
    let (assessment, organizations) = load_invite_page_data(&state, path.into_inner()).await?;
    let organization = query.into_inner().organization;
    let mut rows = Vec::new();
    prefill_contact(
        &mut rows,
        organizations.iter().find(|o| o.id == organization),
        ctx.lang,
    );
    pad_rows(&mut rows, ROWS, ctx.lang);
    render(
        StatusCode::OK,
        &InvitePage {
            ctx,
            assessment,
            organizations,
            organization,
            rows,
            errors: FormErrors::default(),
            notice: None,
        },
    )
}

#[derive(Template)]
#[template(path = "invitations_created.html")]
struct CreatedPage {
    ctx: Ctx,
    assessment_id: String,
    /// The organization of every link, or empty when the links are for several (each link then
    /// names its own).
    organization: String,
    /// (invitation, its personal link, its organization).
    links: Vec<(CreatedInvitation, String, String)>,
}

#[derive(Template)]
#[template(path = "invite_contacts.html")]
struct ContactsPage {
    ctx: Ctx,
    assessment: Assessment,
    rows: Vec<ContactRow>,
    /// How many would be invited.
    to_invite: usize,
    lang: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactsQuery {
    /// The language of the invitations (`es` or `en`).
    #[serde(default)]
    lang_invited: String,
}

fn invited_lang(raw: &str, page: Lang) -> Lang {
    Lang::ALL
        .into_iter()
        .find(|l| l.code() == raw)
        .unwrap_or(page)
}

/// The preview of "invite every organization's contact": who gets an invitation, who is
/// skipped and why. Nothing is sent from here.
pub async fn contacts_preview(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<ContactsQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let lang = invited_lang(&query.lang_invited, ctx.lang);
    let (assessment, rows) = state
        .run(move |conn| invitations::contacts_preview(conn, &id, lang))
        .await?;
    let to_invite = rows
        .iter()
        .filter(|r| matches!(r.plan, ContactPlan::Invite(_)))
        .count();
    render(
        StatusCode::OK,
        &ContactsPage {
            ctx,
            assessment,
            rows,
            to_invite,
            lang: lang.code().to_owned(),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactsForm {
    #[serde(default)]
    lang_invited: String,
}

/// Sends the invitations the preview listed (worked out again at this moment).
pub async fn invite_contacts(
    ctx: Ctx,
    Organizer(organizer): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    path: web::Path<String>,
    form: web::Form<ContactsForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let lang = invited_lang(&form.lang_invited, ctx.lang);
    let now = state.clock.now();
    let app = state.clone();
    let by = client.actor(&organizer);
    let target = id.clone();
    let created = state
        .run(move |conn| {
            invitations::invite_contacts(conn, app.mail_env(), &target, lang, &by, now)
        })
        .await?;
    tracing::info!(assessment = %id, count = created.len(), "contacts invited");
    let base = state.config.base_url.clone();
    render(
        StatusCode::OK,
        &CreatedPage {
            ctx,
            assessment_id: id,
            organization: String::new(),
            links: created
                .into_iter()
                .map(|(org, c)| {
                    let link = format!("{base}/invite/{}", c.token);
                    (c, link, org.name)
                })
                .collect(),
        },
    )
}

/// Reads the posted invite form: `organization`, and `name_N`, `email_N`, `lang_N` per row.
pub async fn invite(
    ctx: Ctx,
    Organizer(organizer): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let organization = value("organization");
    // Rows are numbered from 0; the form says how many it had, and no more are read.
    let count = value("rows")
        .parse::<usize>()
        .unwrap_or(ROWS)
        .clamp(1, MAX_ROWS);
    let mut rows: Vec<InviteeRow> = (0..count)
        .map(|i| InviteeRow {
            name: value(&format!("name_{i}")),
            email: value(&format!("email_{i}")),
            lang: value(&format!("lang_{i}")),
        })
        .collect();
    // Two buttons only change the form: "Fill in the registered contact" and "More rows".
    let action = value("action");
    if action == "contact" || action == "more" {
        let (assessment, organizations) = load_invite_page_data(&state, id.clone()).await?;
        let notice = if action == "more" {
            pad_rows(&mut rows, count + ROWS, ctx.lang);
            "invitations.form.rows_added"
        } else if prefill_contact(
            &mut rows,
            organizations.iter().find(|o| o.id == organization),
            ctx.lang,
        ) {
            "invitations.form.contact_filled"
        } else {
            "invitations.form.no_contact"
        };
        return render(
            StatusCode::OK,
            &InvitePage {
                ctx,
                assessment,
                organizations,
                organization,
                rows,
                errors: FormErrors::default(),
                notice: Some(notice),
            },
        );
    }
    let mut errors = FormErrors::default();
    let mut invitees = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if row.name.trim().is_empty() && row.email.trim().is_empty() {
            continue;
        }
        let name = errors.check(ctx.lang, &format!("name_{i}"), PersonName::parse(&row.name));
        let email = errors.check(
            ctx.lang,
            &format!("email_{i}"),
            EmailAddress::parse(&row.email),
        );
        let lang = Lang::ALL.into_iter().find(|l| l.code() == row.lang);
        if lang.is_none() {
            errors.add(
                &format!("lang_{i}"),
                field_message(ctx.lang, FieldError::UnknownOption),
            );
        }
        if let (Some(name), Some(email), Some(lang)) = (name, email, lang) {
            if invitees.iter().any(|i: &Invitee| i.email == email) {
                errors.add(
                    &format!("email_{i}"),
                    field_message(ctx.lang, FieldError::DuplicateInFile),
                );
            } else {
                invitees.push(Invitee { email, name, lang });
            }
        }
    }
    if invitees.is_empty() && errors.is_empty() {
        errors.add("email_0", ctx.t("invitations.at_least_one").into_owned());
    }
    let (assessment, organizations) = load_invite_page_data(&state, id.clone()).await?;
    let chosen = organizations.iter().find(|o| o.id == organization).cloned();
    if chosen.is_none() {
        errors.add(
            "organization",
            field_message(ctx.lang, FieldError::UnknownOption),
        );
    }
    let Some(chosen) = chosen.filter(|_| errors.is_empty()) else {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &InvitePage {
                ctx,
                assessment,
                organizations,
                organization,
                rows,
                errors,
                notice: None,
            },
        );
    };
    let now = state.clock.now();
    let org_id = chosen.id.clone();
    let app = state.clone();
    let by = client.actor(&organizer);
    let created = state
        .run(move |conn| {
            invitations::invite(conn, app.mail_env(), &id, &org_id, &invitees, &by, now)
        })
        .await?;
    tracing::info!(assessment = %assessment.id, organization = %chosen.id, count = created.len(), "invitations created");
    let base = state.config.base_url.clone();
    render(
        StatusCode::OK,
        &CreatedPage {
            ctx,
            assessment_id: assessment.id,
            links: created
                .into_iter()
                .map(|c| {
                    let link = format!("{base}/invite/{}", c.token);
                    (c, link, chosen.name.clone())
                })
                .collect(),
            organization: chosen.name,
        },
    )
}

pub async fn revoke(
    Organizer(organizer): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let now = state.clock.now();
    let lookup = id.clone();
    let by = client.actor(&organizer);
    let assessment_id = state
        .run(move |conn| invitations::revoke_and_locate(conn, &lookup, &by, now))
        .await?;
    context::flash(&session, "invitations.revoked");
    Ok(see_other(&format!(
        "/organizer/assessments/{assessment_id}#invitations"
    )))
}

pub async fn resend(
    ctx: Ctx,
    Organizer(organizer): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let now = state.clock.now();
    let app = state.clone();
    let by = client.actor(&organizer);
    let (assessment_id, organization, created) = state
        .run(move |conn| invitations::resend_and_locate(conn, app.mail_env(), &id, &by, now))
        .await?;
    let link = format!("{}/invite/{}", state.config.base_url, created.token);
    render(
        StatusCode::OK,
        &CreatedPage {
            ctx,
            assessment_id,
            links: vec![(created, link, organization.clone())],
            organization,
        },
    )
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct AcceptPage {
    ctx: Ctx,
    token: String,
    assessment: Assessment,
    organization: Organization,
    email: String,
    /// The invited email already has an account: ask for its password.
    has_account: bool,
    /// ... and that account is the one logged in: one click.
    logged_in_as_invitee: bool,
    name: String,
    errors: FormErrors,
}

fn link_problem(problem: LinkProblem) -> AppError {
    AppError::Denied {
        status: match problem {
            LinkProblem::Unknown => 404,
            _ => 410,
        },
        message_key: problem.message_key(),
    }
}

pub async fn accept_page(
    ctx: Ctx,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let now = state.clock.now();
    let lookup = token.clone();
    let open = state
        .run(move |conn| invitations::open(conn, &lookup, now))
        .await?
        .map_err(link_problem)?;
    let logged_in_as_invitee = match (&ctx.user, &open.account) {
        (Some(user), Some(account)) => user.id == account.id,
        _ => false,
    };
    render(
        StatusCode::OK,
        &AcceptPage {
            ctx,
            token,
            has_account: open.account.is_some(),
            logged_in_as_invitee,
            name: open.invitation.name.clone(),
            email: open.invitation.email.clone(),
            assessment: open.assessment,
            organization: open.organization,
            errors: FormErrors::default(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn accept(
    ctx: Ctx,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    req: actix_web::HttpRequest,
    path: web::Path<String>,
    form: web::Form<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let form = form.into_inner();
    let now = state.clock.now();
    let lookup = token.clone();
    let open = state
        .run(move |conn| invitations::open(conn, &lookup, now))
        .await?
        .map_err(link_problem)?;
    let logged_in_as_invitee = match (&ctx.user, &open.account) {
        (Some(user), Some(account)) => user.id == account.id,
        _ => false,
    };
    let mut errors = FormErrors::default();
    let mut new_account = None;
    if open.account.is_none() {
        let name = errors.check(ctx.lang, "name", PersonName::parse(&form.name));
        let password = errors.check(ctx.lang, "password", NewPassword::parse(&form.password));
        if password.is_some() && form.password != form.password_confirm {
            errors.add(
                "password_confirm",
                ctx.t("errors.field.password_mismatch").into_owned(),
            );
        }
        if let (Some(name), Some(password), true) = (name, password, errors.is_empty()) {
            new_account = Some((name, password));
        }
    } else if !logged_in_as_invitee && form.password.is_empty() {
        errors.add("password", field_message(ctx.lang, FieldError::Required));
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let mut retry_after = None;
    if errors.is_empty() {
        // Passwords are hashed or checked before any connection is taken, by the bounded hasher;
        // an existing account's password goes through the login's throttle and audit.
        let claim = match new_account {
            Some((name, password)) => Claim::NewAccount(name, password),
            None => match ctx.user.as_ref().filter(|_| logged_in_as_invitee) {
                Some(user) => Claim::LoggedIn(user.id.clone()),
                None => Claim::Password {
                    email: open.invitation.email.clone(),
                    password: form.password.clone(),
                },
            },
        };
        let accepted = invitations::accept_claim(
            &state.pool,
            &state.hasher,
            token.clone(),
            claim,
            client.0.clone(),
            now,
        )
        .await?;
        match accepted {
            Accepted::Done(user, response_id) => {
                context::log_in(&req, &user).await?;
                context::flash(&session, "invitations.welcome");
                tracing::info!(user = %user.id, response = %response_id, "invitation accepted");
                return Ok(see_other(&format!("/responses/{response_id}")));
            }
            Accepted::Link(problem) => return Err(link_problem(problem)),
            Accepted::WrongPassword => {
                errors.add("password", ctx.t("login.failed").into_owned());
            }
            Accepted::Throttled(wait) => {
                tracing::warn!(retry_after = wait, "invitation password throttled");
                errors.add("password", throttled_message(&ctx, wait));
                status = StatusCode::TOO_MANY_REQUESTS;
                retry_after = Some(wait);
            }
            Accepted::Busy => return Ok(hashing_busy()),
        }
    }
    let response = render(
        status,
        &AcceptPage {
            ctx,
            token,
            has_account: open.account.is_some(),
            logged_in_as_invitee,
            name: if form.name.is_empty() {
                open.invitation.name.clone()
            } else {
                form.name
            },
            email: open.invitation.email.clone(),
            assessment: open.assessment,
            organization: open.organization,
            errors,
        },
    )?;
    Ok(match retry_after {
        Some(wait) => with_retry_after(response, wait),
        None => response,
    })
}
