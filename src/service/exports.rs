//! What the exports read beyond the views' data: every field of the mechanisms, the stored
//! answers a page at a time, and the batches of answers, grids and mechanisms of the workbook.

use super::analysis::{self, AnswersAndGrids, AssessmentData, Participant, Scope};
use super::instruments::InstrumentRegistry;
use crate::domain::instrument::Instrument;
use crate::error::AppError;
use crate::store::mechanisms::Mechanism;
use crate::store::responses::AssessmentAnswer;
use crate::store::{self, DbConnection, Pool};

/// The full rows of an assessment's mechanisms, for the exports that list every field.
pub fn mechanisms_of_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> Result<Vec<Mechanism>, AppError> {
    Ok(store::mechanisms::list_for_assessment(conn, assessment_id)?)
}

/// The stored answer rows of some responses (a page of the streamed answers export).
pub fn answer_rows(
    conn: &mut DbConnection,
    response_ids: &[String],
) -> Result<Vec<AssessmentAnswer>, AppError> {
    Ok(store::responses::answers_of_responses(conn, response_ids)?)
}

/// Loads an assessment's data for `scope` and hands it to `read` with a reader of batches, on one
/// connection: an export that reads a large assessment a batch of responses at a time.
pub fn read_in_batches<R>(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    assessment_id: &str,
    scope: Scope,
    read: impl FnOnce(&AssessmentData, Batches<'_>) -> Result<R, AppError>,
) -> Result<R, AppError> {
    let data = analysis::load(conn, registry, assessment_id, scope)?;
    read(&data, Batches { conn })
}

/// [`read_in_batches`] on a connection of the pool, for a thread of its own (the workbook's
/// reader) rather than the blocking pool.
pub fn read_in_batches_from_pool<R>(
    pool: &Pool,
    registry: &InstrumentRegistry,
    assessment_id: &str,
    scope: Scope,
    read: impl FnOnce(&AssessmentData, Batches<'_>) -> Result<R, AppError>,
) -> Result<R, AppError> {
    let mut conn = pool.get().map_err(AppError::from)?;
    read_in_batches(&mut conn, registry, assessment_id, scope, read)
}

/// Reads the answers, grids and mechanisms of a batch of participants at a time, so that memory
/// stays flat whatever the size.
pub struct Batches<'c> {
    conn: &'c mut DbConnection,
}

impl Batches<'_> {
    /// The answers of a batch of responses to the given items and its data-domain grids (see
    /// [`analysis::answers_and_grids`]).
    pub fn answers_and_grids(
        &mut self,
        instrument: &Instrument,
        response_ids: &[String],
        keys: &[String],
    ) -> Result<AnswersAndGrids, AppError> {
        analysis::answers_and_grids(self.conn, instrument, response_ids, keys)
    }

    /// The full rows of a batch of responses' mechanisms, in entry order.
    pub fn mechanisms(&mut self, response_ids: &[String]) -> Result<Vec<Mechanism>, AppError> {
        Ok(store::mechanisms::list_for_responses(
            self.conn,
            response_ids,
        )?)
    }
}

/// The response ids of a batch of participants, for the reads of a batch.
pub fn response_ids(batch: &[&Participant]) -> Vec<String> {
    batch.iter().map(|p| p.response.id.clone()).collect()
}
