//! Email as the use cases need it: rendering a message in its recipient's language and putting it
//! in the outbox inside the caller's transaction; the organizers' view of the outbox (history per
//! organization, failures, retry); and the delivery of one outbox row.

use chrono::{Duration, NaiveDateTime};

use super::instruments::InstrumentRegistry;
use crate::domain::Lang;
use crate::error::AppError;
use crate::mail::Kind;
/// A rendered email (subject, text and HTML), as the pages preview it.
pub use crate::mail::templates::Rendered;
use crate::mail::templates::{InvitationEmail, MailCtx};
use crate::store::assessments::Assessment;
use crate::store::organizations::Organization;
use crate::store::outbox::{self, Message, NewMessage};
use crate::store::{self, DbConnection};

/// What rendering needs besides the event: where links point and the instruments.
#[derive(Clone, Copy)]
pub struct MailEnv<'a> {
    /// Without a trailing slash.
    pub base_url: &'a str,
    pub instruments: &'a InstrumentRegistry,
    /// The server's reply-to address (`--mail-reply-to`), set on every message.
    pub reply_to: Option<&'a str>,
}

impl MailEnv<'_> {
    /// Whether every message gets a Reply-To of the server's.
    pub fn replies(&self) -> bool {
        self.reply_to.is_some_and(|r| !r.trim().is_empty())
    }
}

/// One recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    pub name: String,
    pub lang: Lang,
}

/// What a message is about, for the per-organization history.
#[derive(Debug, Clone, Default)]
pub struct About {
    pub assessment_id: Option<String>,
    pub organization_id: Option<String>,
    pub response_id: Option<String>,
    /// Where replies go when the server has no reply-to address (an organizer's email).
    pub reply_to: Option<String>,
}

/// Puts a rendered message in the outbox, due now. Call it inside the transaction of the event:
/// the email exists exactly when the event does.
pub fn queue(
    conn: &mut DbConnection,
    kind: Kind,
    to: &Recipient,
    rendered: Rendered,
    dedupe_key: String,
    about: &About,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    outbox::insert(
        conn,
        &NewMessage {
            id: store::new_id(),
            kind: kind.key().to_owned(),
            recipient: to.email.clone(),
            recipient_name: to.name.clone(),
            lang: to.lang.code().to_owned(),
            subject: rendered.subject,
            body_text: rendered.text,
            body_html: rendered.html,
            dedupe_key,
            assessment_id: about.assessment_id.clone(),
            organization_id: about.organization_id.clone(),
            response_id: about.response_id.clone(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
            reply_to: about.reply_to.clone(),
        },
    )?;
    Ok(())
}

pub(crate) fn render_error(e: askama::Error) -> AppError {
    AppError::Internal(format!("email template: {e}"))
}

/// The language a representative reads: the one of the invitation they accepted for this
/// response (the organizer chose it), else of any invitation they accepted, else Spanish.
pub fn user_lang(
    conn: &mut DbConnection,
    user_id: &str,
    response_id: Option<&str>,
) -> Result<Lang, AppError> {
    use crate::store::schema::invitations;
    use diesel::prelude::*;
    let mut langs: Vec<(String, String)> = invitations::table
        .filter(invitations::used_by.eq(user_id))
        .order(invitations::used_at.desc())
        .select((invitations::response_id, invitations::lang))
        .load(conn)?;
    if let Some(response_id) = response_id
        && let Some(pos) = langs.iter().position(|(r, _)| r == response_id)
    {
        langs.swap(0, pos);
    }
    Ok(langs
        .first()
        .and_then(|(_, l)| Lang::parse(l))
        .unwrap_or_default())
}

/// The representatives of a response, each with their language.
pub fn members(conn: &mut DbConnection, response_id: &str) -> Result<Vec<Recipient>, AppError> {
    let rows = crate::store::responses::members(conn, response_id)?;
    rows.into_iter()
        .map(|(id, name, email)| {
            Ok(Recipient {
                lang: user_lang(conn, &id, Some(response_id))?,
                email,
                name,
            })
        })
        .collect()
}

/// The invitation email of a link just created (the token is only known now).
#[allow(clippy::too_many_arguments)]
pub fn queue_invitation(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    invitation_id: &str,
    to: &Recipient,
    token: &str,
    expires_at: NaiveDateTime,
    response: &store::responses::Response,
    invited_by: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let assessment = store::assessments::find(conn, &response.assessment_id)?;
    // Without a reply-to address of the server's, a reply goes to the organizer who invited.
    let reply_to = match invited_by {
        Some(id) if !env.replies() => Some(store::users::find(conn, id)?.email),
        _ => None,
    };
    let organization = store::organizations::find(conn, &response.organization_id)?;
    let instrument = env.instruments.get(
        conn,
        &assessment.instrument_key,
        &assessment.instrument_version,
    )?;
    let lang = to.lang;
    let email = InvitationEmail {
        ctx: MailCtx::for_assessment(lang, assessment.zone())
            .replying(env.replies() || reply_to.is_some()),
        name: to.name.clone(),
        organization: organization.name.clone(),
        assessment: assessment.title(lang).to_owned(),
        closes_on: assessment.closes_on,
        link: format!("{}/invite/{token}", env.base_url),
        link_expires_on: crate::domain::time::local_date(expires_at, assessment.zone()),
        questionnaire: instrument.intro.get(lang).trim().to_owned(),
        sections: instrument
            .sections
            .iter()
            .map(|s| s.title.get(lang).to_owned())
            .collect(),
    };
    queue(
        conn,
        Kind::Invitation,
        to,
        email.render().map_err(render_error)?,
        format!("invitation:{invitation_id}"),
        &About {
            assessment_id: Some(assessment.id.clone()),
            organization_id: Some(organization.id.clone()),
            response_id: Some(response.id.clone()),
            reply_to,
        },
        now,
    )
}

// ---------------------------------------------------------------------------------------------
// Delivery policy

/// Attempts before a message is given up (and shown to organizers as failed).
pub const MAX_ATTEMPTS: i64 = 8;
/// First wait after a failure; it doubles with each attempt, up to [`MAX_BACKOFF_MINUTES`].
pub const FIRST_BACKOFF_MINUTES: i64 = 1;
pub const MAX_BACKOFF_MINUTES: i64 = 12 * 60;
/// How long a claim lasts. Far longer than one SMTP conversation (30 s timeout), so a live
/// worker never loses a row it is sending; a dead worker's rows come back after it.
pub const LEASE_MINUTES: i64 = 10;

/// The wait after failed attempt number `attempts` (1-based): 1, 2, 4, ... minutes, at most 12 h.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from((attempts - 1).clamp(0, 20)).unwrap_or(20);
    let minutes = FIRST_BACKOFF_MINUTES.saturating_mul(2_i64.saturating_pow(exponent));
    Duration::minutes(minutes.min(MAX_BACKOFF_MINUTES))
}

/// What the organizers see of one message.
#[derive(Debug, Clone)]
pub struct MessageView {
    pub message: Message,
    pub status: outbox::Status,
}

impl MessageView {
    pub fn kind_key(&self) -> String {
        format!("email.kind.{}", self.message.kind)
    }

    pub fn status_key(&self) -> String {
        format!("email.status.{}", self.status.key())
    }
}

fn views(messages: Vec<Message>) -> Vec<MessageView> {
    messages
        .into_iter()
        .map(|message| MessageView {
            status: message.status(),
            message,
        })
        .collect()
}

/// The emails about one organization in one assessment, newest first.
pub fn history(
    conn: &mut DbConnection,
    assessment_id: &str,
    organization_id: &str,
) -> Result<Vec<MessageView>, AppError> {
    Ok(views(outbox::for_organization(
        conn,
        assessment_id,
        organization_id,
    )?))
}

/// Every failed email, newest first.
pub fn failures(conn: &mut DbConnection) -> Result<Vec<MessageView>, AppError> {
    Ok(views(outbox::failed(conn)?))
}

/// Puts a failed email back in the queue; false when it was not failed (any more).
pub fn retry(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<bool, AppError> {
    outbox::find(conn, id)?;
    Ok(outbox::retry(conn, id, now)?)
}

/// The emails about one organization in one assessment ([`history`]), with both.
pub fn history_page(
    conn: &mut DbConnection,
    assessment_id: &str,
    organization_id: &str,
) -> Result<(Assessment, Organization, Vec<MessageView>), AppError> {
    Ok((
        store::assessments::find(conn, assessment_id)?,
        store::organizations::find(conn, organization_id)?,
        history(conn, assessment_id, organization_id)?,
    ))
}

/// Every failed email ([`failures`]) and how many wait in the queue.
pub fn failures_page(conn: &mut DbConnection) -> Result<(Vec<MessageView>, i64), AppError> {
    Ok((failures(conn)?, outbox::waiting_count(conn)?))
}

/// [`retry`] by an organizer, with its audit row when the email went back in the queue, in one
/// transaction.
pub fn retry_by(
    conn: &mut DbConnection,
    actor: &super::audit::Actor,
    id: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    use super::audit::{Action, Written, kind};
    let row = |retried: &bool| retried.then(|| Written::new(Action::EmailRetried, kind::EMAIL, id));
    let write = |conn: &mut DbConnection| retry(conn, id, now);
    super::audit::recorded(conn, actor, now, write, row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute_up_to_twelve_hours() {
        let minutes: Vec<i64> = (1..=MAX_ATTEMPTS)
            .map(|n| backoff(n).num_minutes())
            .collect();
        assert_eq!(minutes, vec![1, 2, 4, 8, 16, 32, 64, 128]);
        assert_eq!(backoff(11).num_minutes(), 720);
        assert_eq!(backoff(40).num_minutes(), 720);
        assert_eq!(backoff(0).num_minutes(), 1);
    }
}
