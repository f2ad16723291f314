//! A response's saved answers: reading them against the instrument, and saving a section with
//! the conflict check.

use chrono::NaiveDateTime;
use diesel::OptionalExtension;

use super::ResponseContext;
use crate::domain::answers::AnswerValue;
use crate::domain::instrument::Section;
use crate::domain::section_form::{self, SectionInput};
use crate::error::AppError;
pub use crate::service::analysis::{SavedAnswers, read_answers};
use crate::service::audit::{self, Action, Written};
use crate::store::responses as rows;
use crate::store::{self, DbConnection};

pub fn saved_answers(
    conn: &mut DbConnection,
    ctx: &ResponseContext,
) -> Result<SavedAnswers, AppError> {
    Ok(read_answers(
        &ctx.instrument,
        rows::answers(conn, &ctx.response.id)?,
    ))
}

/// The saved answers one section's page and save need: its own (the keys under `section.`, where
/// the instrument puts them) and those its items' conditions look at elsewhere. A response has
/// some 140 answers and a section a tenth of them; reading them all was a third of a page's CPU.
pub fn saved_answers_of_section(
    conn: &mut DbConnection,
    ctx: &ResponseContext,
    section: &Section,
) -> Result<SavedAnswers, AppError> {
    let prefix = format!("{}.", section.key);
    let mut found = rows::answers_with_prefix(conn, &ctx.response.id, &prefix)?;
    let elsewhere = section_form::slots(&ctx.instrument, section)
        .into_iter()
        .map(|slot| slot.key)
        .chain(
            section
                .items()
                .iter()
                .filter_map(|item| item.relevant_when.as_ref())
                .map(|relevance| relevance.item.clone()),
        )
        .filter(|key| !key.starts_with(&prefix))
        .collect::<std::collections::BTreeSet<_>>();
    for key in elsewhere {
        found.extend(rows::answer(conn, &ctx.response.id, &key)?);
    }
    Ok(read_answers(&ctx.instrument, found))
}

/// The last save of a section, with the saving account's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastSave {
    pub version: i64,
    pub at: NaiveDateTime,
    pub by_id: Option<String>,
    pub by_name: Option<String>,
}

impl LastSave {
    /// Whether `user_id` made this save (from another tab, or an earlier save of the same page).
    pub fn is_by(&self, user_id: &str) -> bool {
        self.by_id.as_deref() == Some(user_id)
    }
}

/// When and by whom a section of a response was last saved; none before its first save.
pub fn last_save(
    conn: &mut DbConnection,
    response_id: &str,
    section_key: &str,
) -> Result<Option<LastSave>, AppError> {
    let Some(saved) = rows::section_saved(conn, response_id, section_key)? else {
        return Ok(None);
    };
    let by_name = match &saved.by {
        Some(id) => store::users::find(conn, id)
            .optional()
            .map_err(AppError::from)?
            .map(|user| user.name),
        None => None,
    };
    Ok(Some(LastSave {
        version: saved.version,
        at: saved.at,
        by_id: saved.by,
        by_name,
    }))
}

/// The outcome of saving a section.
#[derive(Debug, Clone)]
pub enum SaveOutcome {
    Saved {
        version: i64,
    },
    /// Someone saved the section since the page was loaded: nothing was applied.
    Conflict {
        current_version: i64,
        current: SavedAnswers,
        /// The save this one met (who and when).
        saved: Option<LastSave>,
    },
}

/// Saves the slots of one section if the section is still at `expected_version`, with one
/// audit row per save (the section's code, never the values) in the same transaction.
#[allow(clippy::too_many_arguments)]
pub fn save_section(
    conn: &mut DbConnection,
    ctx: &ResponseContext,
    section_key: &str,
    expected_version: i64,
    input: &SectionInput,
    user_id: &str,
    by: &audit::Actor,
    now: NaiveDateTime,
) -> Result<SaveOutcome, AppError> {
    let (response_id, assessment_id) = (&ctx.response.id, &ctx.assessment.id);
    let row = |o: &SaveOutcome| {
        matches!(o, SaveOutcome::Saved { .. }).then(|| {
            Written::new(Action::SectionSaved, audit::kind::RESPONSE, response_id)
                .in_assessment(assessment_id)
                .details(section_key)
        })
    };
    audit::recorded(
        conn,
        by,
        now,
        |conn| {
            write_section(
                conn,
                ctx,
                section_key,
                expected_version,
                input,
                user_id,
                now,
            )
        },
        row,
    )
}

/// The answers, the version bump, the activity time and (on the first save) the time the
/// response was first opened are one transaction.
fn write_section(
    conn: &mut DbConnection,
    ctx: &ResponseContext,
    section_key: &str,
    expected_version: i64,
    input: &SectionInput,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<SaveOutcome, AppError> {
    crate::store::write(conn, |conn| {
        let bumped = rows::bump_section_version(
            conn,
            &ctx.response.id,
            section_key,
            expected_version,
            user_id,
            now,
        )?;
        if !bumped {
            let saved = last_save(conn, &ctx.response.id, section_key)?;
            return Ok(SaveOutcome::Conflict {
                current_version: saved.as_ref().map_or(0, |s| s.version),
                current: saved_answers(conn, ctx)?,
                saved,
            });
        }
        for (key, change) in &input.changes {
            match (&change.value, &change.evidence) {
                (None, None) => rows::delete_answer(conn, &ctx.response.id, key)?,
                (value, evidence) => rows::put_answer(
                    conn,
                    &ctx.response.id,
                    key,
                    &value.as_ref().map(AnswerValue::encode).unwrap_or_default(),
                    evidence.as_deref(),
                    user_id,
                    now,
                )?,
            }
        }
        if !input.changes.is_empty() {
            crate::service::analysis::refresh_scores(conn, &ctx.instrument, &ctx.response.id, now)?;
        }
        rows::touch_opened(conn, &ctx.response.id, now)?;
        rows::touch_activity(conn, &ctx.response.id, now)?;
        Ok(SaveOutcome::Saved {
            version: expected_version + 1,
        })
    })
}
