//! What the questionnaire's pages read, each in one call: the response opened for the actor
//! (or for the session's account, checked in the same call) with the rows its page shows.

use chrono::NaiveDateTime;

use super::{
    Actor, ResponseContext, SavedAnswers, open, partner_options, saved_answers,
    saved_answers_of_section,
};
use crate::domain::account::Role;
use crate::domain::instrument::Section;
use crate::error::AppError;
use crate::service::audit;
use crate::service::email::MailEnv;
use crate::service::instruments::InstrumentRegistry;
use crate::service::sessions::{self, SessionKey};
use crate::store::DbConnection;
use crate::store::assessments::Assessment;
use crate::store::mechanisms::{self as mechanism_rows, Mechanism};
use crate::store::organizations::Organization;
use crate::store::responses::{self as rows, Response, SectionSave};
use crate::store::users::{self as user_rows, Account};

/// A read of a questionnaire page: the response opened for an actor (see [`open`]) with the
/// rows the page shows.
pub type Read<T> = fn(&mut DbConnection, &InstrumentRegistry, &str, &Actor) -> Result<T, AppError>;

/// The response a session's account may read, and what `then` reads from it, in one call: the
/// busiest requests of the questionnaire check the session, open the response and read their
/// rows in one trip to the database. `None` when the session is over or its account is gone.
fn open_for_login<T>(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    key: &SessionKey,
    response_id: &str,
    then: impl FnOnce(&mut DbConnection, &ResponseContext) -> Result<T, AppError>,
) -> Result<Option<(Account, ResponseContext, T)>, AppError> {
    let Some(account) = sessions::check_key(conn, key)? else {
        return Ok(None);
    };
    let role = Role::parse(&account.role).ok_or_else(|| AppError::internal("unknown role"))?;
    let actor = Actor {
        user_id: account.id.clone(),
        role,
    };
    let response = open(conn, registry, response_id, &actor)?;
    let read = then(conn, &response)?;
    Ok(Some((account, response, read)))
}

/// A section of the response's instrument, or 404.
fn find_section<'a>(ctx: &'a ResponseContext, key: &str) -> Result<&'a Section, AppError> {
    ctx.instrument.section(key).ok_or(AppError::NotFound)
}

/// A section page: the saved answers it shows and its last save (the version and time only;
/// the saver's name is for conflicts).
pub struct SectionRead {
    pub answers: SavedAnswers,
    pub saved: Option<SectionSave>,
}

/// Opens a response for the session's account and reads one section's page.
pub fn open_section(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    key: &SessionKey,
    response_id: &str,
    section_key: &str,
) -> Result<Option<(Account, ResponseContext, SectionRead)>, AppError> {
    open_for_login(conn, registry, key, response_id, |conn, loaded| {
        let section = find_section(loaded, section_key)?;
        let saved = rows::section_saved(conn, &loaded.response.id, section_key)?;
        let answers = saved_answers_of_section(conn, loaded, section)?;
        Ok(SectionRead { answers, saved })
    })
}

/// Opens a response for the session's account and reads the saved answers a section's save
/// checks the form against.
pub fn open_section_for_save(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    key: &SessionKey,
    response_id: &str,
    section_key: &str,
) -> Result<Option<(Account, ResponseContext, SavedAnswers)>, AppError> {
    open_for_login(conn, registry, key, response_id, |conn, loaded| {
        let section = find_section(loaded, section_key)?;
        saved_answers_of_section(conn, loaded, section)
    })
}

/// The response overview: its saved answers and mechanism entries, for the progress of each
/// section. Reading it writes nothing (a response counts as opened from its first save).
pub struct Overview {
    pub response: ResponseContext,
    pub answers: SavedAnswers,
    pub mechanisms: Vec<Mechanism>,
}

pub fn overview(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    response_id: &str,
    actor: &Actor,
) -> Result<Overview, AppError> {
    let response = open(conn, registry, response_id, actor)?;
    Ok(Overview {
        answers: saved_answers(conn, &response)?,
        mechanisms: mechanism_rows::list_for_response(conn, &response.response.id)?,
        response,
    })
}

/// The mechanisms page: the response's entries and the organizations they may name.
pub struct MechanismList {
    pub response: ResponseContext,
    pub mechanisms: Vec<Mechanism>,
    pub partners: Vec<Organization>,
}

pub fn mechanism_list(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    response_id: &str,
    actor: &Actor,
) -> Result<MechanismList, AppError> {
    let response = open(conn, registry, response_id, actor)?;
    Ok(MechanismList {
        mechanisms: mechanism_rows::list_for_response(conn, &response.response.id)?,
        partners: partner_options(conn, &response)?,
        response,
    })
}

/// Opens a response the actor may change now (or the refusal that says why not), with the
/// organizations a mechanism entry may name: the new-entry form and the save of an entry.
pub fn open_for_mechanism_form(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    response_id: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(ResponseContext, Vec<Organization>), AppError> {
    let response = open(conn, registry, response_id, actor)?;
    response.check_editable(now)?;
    let partners = partner_options(conn, &response)?;
    Ok((response, partners))
}

/// One mechanism entry of a response (404 when it is not there) and the partners it may name.
pub struct MechanismEntry {
    pub response: ResponseContext,
    pub mechanism: Mechanism,
    pub partners: Vec<Organization>,
}

/// Opens a response with one of its mechanism entries; with `editable_at`, only when the actor
/// may change the response then.
pub fn mechanism_entry(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    (response_id, mechanism_id): (&str, &str),
    actor: &Actor,
    editable_at: Option<NaiveDateTime>,
) -> Result<MechanismEntry, AppError> {
    let response = open(conn, registry, response_id, actor)?;
    if let Some(now) = editable_at {
        response.check_editable(now)?;
        // A response whose instrument has no mechanism section has no entries to ask about.
        response.instrument.mechanisms().ok_or(AppError::NotFound)?;
    }
    Ok(MechanismEntry {
        mechanism: mechanism_rows::find(conn, &response.response.id, mechanism_id)?,
        partners: partner_options(conn, &response)?,
        response,
    })
}

/// Removes a mechanism entry of a response the actor may change now; false when the entry was
/// not there.
pub fn remove_mechanism(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    (response_id, mechanism_id): (&str, &str),
    actor: &Actor,
    by: &audit::Actor,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let response = open(conn, registry, response_id, actor)?;
    response.check_editable(now)?;
    super::delete_mechanism(conn, &response, mechanism_id, by, now)
}

/// What the review page shows besides the response: the saved answers, the mechanism entries,
/// the organizations they may name and the name of whoever submitted it.
pub struct ReviewRead {
    pub answers: SavedAnswers,
    pub mechanisms: Vec<Mechanism>,
    pub partners: Vec<Organization>,
    pub submitted_by: Option<String>,
}

/// The review page's rows of an opened response.
pub fn review_of(conn: &mut DbConnection, ctx: &ResponseContext) -> Result<ReviewRead, AppError> {
    let submitted_by = match &ctx.response.submitted_by {
        Some(id) => Some(user_rows::find(conn, id)?.name),
        None => None,
    };
    Ok(ReviewRead {
        answers: saved_answers(conn, ctx)?,
        mechanisms: mechanism_rows::list_for_response(conn, &ctx.response.id)?,
        partners: partner_options(conn, ctx)?,
        submitted_by,
    })
}

/// Opens a response for the actor with the review page's rows.
pub fn review(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    response_id: &str,
    actor: &Actor,
) -> Result<(ResponseContext, ReviewRead), AppError> {
    let response = open(conn, registry, response_id, actor)?;
    let read = review_of(conn, &response)?;
    Ok((response, read))
}

/// Submits a response the actor may change now (see [`super::submit`]).
pub fn submit_response(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    response_id: &str,
    actor: &Actor,
    by: &audit::Actor,
    now: NaiveDateTime,
) -> Result<(ResponseContext, super::SubmitOutcome), AppError> {
    let response = open(conn, env.instruments, response_id, actor)?;
    response.check_editable(now)?;
    let outcome = super::submit(conn, env, &response, by, now)?;
    Ok((response, outcome))
}

/// Reopens a submitted response the actor may read (see [`super::reopen`]); false when it was
/// not submitted.
pub fn reopen_response(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    response_id: &str,
    actor: &Actor,
    reason: &str,
    by: &audit::Actor,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let response = open(conn, env.instruments, response_id, actor)?;
    super::reopen(conn, env, &response.response.id, reason, by, now)
}

/// The responses a representative joined, with their assessment and organization, for their
/// start page.
pub fn my_responses(
    conn: &mut DbConnection,
    user_id: &str,
) -> Result<Vec<(Response, Assessment, Organization)>, AppError> {
    Ok(rows::list_for_user(conn, user_id)?)
}
