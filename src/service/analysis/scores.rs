//! The scores read model: stored scores and progress read, and computed where missing or saved.

use std::collections::HashMap;

use super::{EMPTY, Participant, ScoreParts, decode_answers};
use crate::domain::analysis::{Answers, ResponseScores, StoredScores};
use crate::domain::answers::Progress;
use crate::domain::instrument::Instrument;
use crate::error::AppError;
use crate::store::responses as response_rows;
use crate::store::{self, DbConnection};

/// Responses whose scores are recomputed from their answers per query, when stored ones are
/// missing (a database from before the read model, answers written outside a save).
const RESPONSES_PER_REBUILD: usize = 200;

/// What the read model holds of one response, computed from its answers.
struct Computed {
    scores: ResponseScores,
    progress: Progress,
}

impl Computed {
    fn of(instrument: &Instrument, answers: &Answers) -> Computed {
        Computed {
            scores: ResponseScores::from_answers(instrument, answers),
            progress: crate::domain::answers::response_progress(instrument, answers),
        }
    }

    /// Stores it (a save's `put`, or a reader's `insert_missing`), or forgets what was stored
    /// when its scores cannot be stored.
    fn store(
        &self,
        conn: &mut DbConnection,
        response_id: &str,
        now: chrono::NaiveDateTime,
        overwrite: bool,
    ) -> Result<(), diesel::result::Error> {
        if !self.scores.is_storable() {
            return if overwrite {
                store::scores::forget(conn, response_id)
            } else {
                Ok(())
            };
        }
        let (dimensions, domains) = (
            self.scores.encode_dimensions(),
            self.scores.encode_domains(),
        );
        let row = store::scores::NewScores {
            dimensions: &dimensions,
            domains: &domains,
            progress_required: i64::try_from(self.progress.required).unwrap_or(i64::MAX),
            progress_answered: i64::try_from(self.progress.answered).unwrap_or(i64::MAX),
        };
        if overwrite {
            store::scores::put(conn, response_id, row, now)
        } else {
            store::scores::insert_missing(conn, response_id, row, now)
        }
    }
}

/// Computes the read model of some responses from their answers, a batch at a time, and stores
/// it for the next reader (one transaction per batch: one commit instead of one per response).
fn rebuild(
    conn: &mut DbConnection,
    instrument: &Instrument,
    response_ids: &[String],
) -> Result<Vec<(String, Computed)>, AppError> {
    let now = crate::service::now();
    let mut all = Vec::with_capacity(response_ids.len());
    for batch in response_ids.chunks(RESPONSES_PER_REBUILD) {
        let rows = response_rows::answers_of_responses(conn, batch)?;
        let (answers, _) = decode_answers(instrument, rows);
        let computed: Vec<(String, Computed)> = batch
            .iter()
            .map(|id| {
                let answers = answers.get(id).unwrap_or(&EMPTY);
                (id.clone(), Computed::of(instrument, answers))
            })
            .collect();
        crate::store::write(conn, |conn| {
            for (id, c) in &computed {
                c.store(conn, id, now, false)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        all.extend(computed);
    }
    Ok(all)
}

/// The stored scores of an assessment's responses (the parts asked for); those missing (or
/// unreadable) are computed from the answers and stored for the next reader.
pub(super) fn load_scores(
    conn: &mut DbConnection,
    instrument: &Instrument,
    assessment_id: &str,
    participants: &[Participant],
    parts: ScoreParts,
) -> Result<HashMap<String, StoredScores>, AppError> {
    let mut scores = stored_scores(conn, assessment_id, parts)?;
    let missing = missing_scores(participants, &scores);
    scores.extend(
        rebuild(conn, instrument, &missing)?
            .into_iter()
            .map(|(id, c)| (id, StoredScores::of(&c.scores))),
    );
    Ok(scores)
}

/// The stored scores of an assessment's responses that read (the parts asked for).
fn stored_scores(
    conn: &mut DbConnection,
    assessment_id: &str,
    parts: ScoreParts,
) -> Result<HashMap<String, StoredScores>, AppError> {
    Ok(if parts == ScoreParts::Dimensions {
        store::scores::dimensions_of_assessment(conn, assessment_id)?
            .into_iter()
            .map(|(response_id, dimensions)| {
                let stored = StoredScores {
                    dimensions,
                    domains: String::new(),
                };
                (response_id, stored)
            })
            .filter(|(_, stored)| stored.dimensions_are_valid())
            .collect()
    } else {
        store::scores::of_assessment(conn, assessment_id)?
            .into_iter()
            .map(|row| {
                let stored = StoredScores {
                    dimensions: row.dimensions,
                    domains: row.domains,
                };
                (row.response_id, stored)
            })
            .filter(|(_, stored)| stored.is_valid())
            .collect()
    })
}

/// The participants' responses without stored scores that read.
fn missing_scores(
    participants: &[Participant],
    stored: &HashMap<String, StoredScores>,
) -> Vec<String> {
    participants
        .iter()
        .filter(|p| !stored.contains_key(&p.response.id))
        .map(|p| p.response.id.clone())
        .collect()
}

/// The progress of the given responses of an assessment by response id: read from the read
/// model, and for those it lacks computed from their answers (and stored for the next reader).
pub fn progress_of_responses(
    conn: &mut DbConnection,
    instrument: &Instrument,
    assessment_id: &str,
    response_ids: &[String],
) -> Result<HashMap<String, Progress>, AppError> {
    let mut progress: HashMap<String, Progress> =
        store::scores::progress_of_assessment(conn, assessment_id)?
            .into_iter()
            .map(|(id, required, answered)| {
                (
                    id,
                    Progress {
                        required: usize::try_from(required).unwrap_or_default(),
                        answered: usize::try_from(answered).unwrap_or_default(),
                    },
                )
            })
            .collect();
    let missing: Vec<String> = response_ids
        .iter()
        .filter(|id| !progress.contains_key(*id))
        .cloned()
        .collect();
    progress.extend(
        rebuild(conn, instrument, &missing)?
            .into_iter()
            .map(|(id, c)| (id, c.progress)),
    );
    Ok(progress)
}

/// Computes and stores the scores of every response of an assessment that has none (after a
/// bulk load of answers); returns how many were computed.
pub fn fill_missing_scores(
    conn: &mut DbConnection,
    instrument: &Instrument,
    assessment_id: &str,
) -> Result<usize, AppError> {
    let participants: Vec<Participant> = response_rows::heads_for_assessment(conn, assessment_id)?
        .into_iter()
        .map(|(response, organization)| Participant {
            response,
            organization,
        })
        .collect();
    let stored = stored_scores(conn, assessment_id, ScoreParts::Both)?;
    let missing = missing_scores(&participants, &stored);
    Ok(rebuild(conn, instrument, &missing)?.len())
}

/// Recomputes and stores the scores and progress of one response from its answers: called by a
/// save, in its transaction, after the answers are written.
pub fn refresh_scores(
    conn: &mut DbConnection,
    instrument: &Instrument,
    response_id: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    // One response: its answers by the key lookup (a cached statement) and decoded item by item,
    // without the kind table the views build for thousands of responses.
    let answers =
        super::answers::read_answers(instrument, response_rows::answers(conn, response_id)?).values;
    Computed::of(instrument, &answers).store(conn, response_id, now, true)?;
    Ok(())
}
