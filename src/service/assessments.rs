//! Setting up assessments: title, pinned instrument version, answering period.

use chrono::NaiveDateTime;

use crate::domain::Lang;
use crate::domain::assessment::AssessmentDraft;
use crate::error::AppError;
use crate::service::audit::{self, Action, Actor, Written};
use crate::service::instruments::InstrumentRegistry;
use crate::service::responses::{self, ProgressRow};
use crate::store::assessments::{self as rows, Assessment, AssessmentChanges, NewAssessment};
use crate::store::instruments::InstrumentVersion;
use crate::store::invitations::Invitation;
use crate::store::{self, DbConnection};

/// Why an instrument choice was refused.
#[derive(Debug)]
pub enum InstrumentChoiceError {
    Unknown,
    /// Responses exist: they were read against the pinned version, which must stay.
    Pinned,
}

#[derive(Debug)]
pub enum SaveError {
    Instrument(InstrumentChoiceError),
    Other(AppError),
}

impl From<diesel::result::Error> for SaveError {
    fn from(e: diesel::result::Error) -> Self {
        SaveError::Other(e.into())
    }
}

pub fn create(
    conn: &mut DbConnection,
    draft: &AssessmentDraft,
    instrument: (&str, &str),
    now: NaiveDateTime,
) -> Result<String, SaveError> {
    crate::store::write(conn, |conn| {
        if !store::instruments::exists(conn, instrument.0, instrument.1)? {
            return Err(SaveError::Instrument(InstrumentChoiceError::Unknown));
        }
        let id = store::new_id();
        rows::insert(
            conn,
            &NewAssessment {
                id: &id,
                title_es: &draft.title_es,
                title_en: &draft.title_en,
                instrument_key: instrument.0,
                instrument_version: instrument.1,
                opens_on: draft.opens_on,
                closes_on: draft.closes_on,
                created_at: now,
                updated_at: now,
                show_national_averages: draft.show_national_averages,
                time_zone: draft.time_zone.name(),
                averages_min_peers: draft.averages_min_peers,
            },
        )?;
        Ok(id)
    })
}

/// Updates title and dates; the instrument only while no response exists.
pub fn update(
    conn: &mut DbConnection,
    id: &str,
    draft: &AssessmentDraft,
    instrument: Option<(&str, &str)>,
    now: NaiveDateTime,
) -> Result<(), SaveError> {
    crate::store::write(conn, |conn| {
        let current = rows::find(conn, id)?;
        let changes_instrument = instrument
            .filter(|(k, v)| *k != current.instrument_key || *v != current.instrument_version);
        if let Some((key, version)) = changes_instrument {
            if !store::instruments::exists(conn, key, version)? {
                return Err(SaveError::Instrument(InstrumentChoiceError::Unknown));
            }
            if store::responses::has_responses(conn, id)? {
                return Err(SaveError::Instrument(InstrumentChoiceError::Pinned));
            }
        }
        rows::update(
            conn,
            id,
            &AssessmentChanges {
                title_es: &draft.title_es,
                title_en: &draft.title_en,
                instrument_key: changes_instrument.map(|(k, _)| k),
                instrument_version: changes_instrument.map(|(_, v)| v),
                opens_on: draft.opens_on,
                closes_on: draft.closes_on,
                updated_at: now,
                show_national_averages: draft.show_national_averages,
                time_zone: draft.time_zone.name(),
                averages_min_peers: draft.averages_min_peers,
            },
        )?;
        Ok(())
    })
}

/// Every assessment (the organizer's dashboard).
pub fn list(conn: &mut DbConnection) -> Result<Vec<Assessment>, AppError> {
    Ok(rows::list(conn)?)
}

/// The instrument versions an assessment may pin, and whether the assessment `id` (when it
/// exists already) has responses, which pin its version.
pub fn form_choices(
    conn: &mut DbConnection,
    id: Option<&str>,
) -> Result<(Vec<InstrumentVersion>, bool), AppError> {
    let pinned = match id {
        Some(id) => store::responses::has_responses(conn, id)?,
        None => false,
    };
    Ok((store::instruments::list(conn)?, pinned))
}

/// The edit form's data: the assessment and its [`form_choices`].
pub fn edit_form(
    conn: &mut DbConnection,
    id: &str,
) -> Result<(Assessment, Vec<InstrumentVersion>, bool), AppError> {
    let assessment = rows::find(conn, id)?;
    let (instruments, pinned) = form_choices(conn, Some(id))?;
    Ok((assessment, instruments, pinned))
}

/// Creates (no `id`) or updates an assessment by `actor`, with its audit row, in one
/// transaction; gives the assessment's id. A new assessment needs an instrument choice.
pub fn save_by(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Option<&str>,
    draft: &AssessmentDraft,
    instrument: Option<(&str, &str)>,
    now: NaiveDateTime,
) -> Result<Result<String, SaveError>, AppError> {
    let action = match id {
        None => Action::AssessmentCreated,
        Some(_) => Action::AssessmentUpdated,
    };
    let row = |saved: &Result<String, SaveError>| {
        let id = saved.as_ref().ok()?;
        Some(Written::new(action, audit::kind::ASSESSMENT, id).in_assessment(id))
    };
    let write = |conn: &mut DbConnection| {
        Ok(match (id, instrument) {
            (None, Some(chosen)) => create(conn, draft, chosen, now),
            (Some(id), chosen) => update(conn, id, draft, chosen, now).map(|()| id.to_owned()),
            (None, None) => Err(SaveError::Instrument(InstrumentChoiceError::Unknown)),
        })
    };
    audit::recorded(conn, actor, now, write, row)
}

/// What the organizer's page of one assessment shows.
pub struct Overview {
    pub assessment: Assessment,
    /// Each organization's progress.
    pub rows: Vec<ProgressRow>,
    pub invitations: Vec<Invitation>,
    /// The pinned instrument's title and version, in `lang`.
    pub instrument_title: String,
    /// Emails of this assessment that could not be delivered.
    pub failed_emails: i64,
}

/// The organizer's page of the assessment `id` (see [`Overview`]).
pub fn overview(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    id: &str,
    lang: Lang,
    now: NaiveDateTime,
) -> Result<Overview, AppError> {
    let assessment = rows::find(conn, id)?;
    let invitations = store::invitations::list_for_assessment(conn, id)?;
    let rows = responses::progress_rows(conn, registry, &assessment, &invitations, now)?;
    let instrument = registry.get(
        conn,
        &assessment.instrument_key,
        &assessment.instrument_version,
    )?;
    let instrument_title = format!("{} · {}", instrument.title.get(lang), instrument.version);
    let failed_emails = store::outbox::failed_count(conn, id)?;
    Ok(Overview {
        assessment,
        rows,
        invitations,
        instrument_title,
        failed_emails,
    })
}
