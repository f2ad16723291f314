//! Setting up assessments: title, pinned instrument version, answering period.

use chrono::NaiveDateTime;

use crate::domain::assessment::AssessmentDraft;
use crate::error::AppError;
use crate::store::assessments::{self as rows, AssessmentChanges, NewAssessment};
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
