//! Filling in a response: who may read and write it (opening a response for an actor), and
//! the use cases of the questionnaire's pages in the submodules.

mod answers;
mod emails;
mod mechanisms;
mod pages;
mod progress;
mod submission;

use std::sync::Arc;

use chrono::NaiveDateTime;

use super::instruments::InstrumentRegistry;
use crate::domain::account::Role;
use crate::domain::instrument::Instrument;
use crate::error::AppError;
use crate::store::assessments::Assessment;
use crate::store::organizations::Organization;
use crate::store::responses::{self as rows, Response};
use crate::store::{self, DbConnection};

pub use answers::{
    LastSave, SaveOutcome, SavedAnswers, last_save, read_answers, save_section, saved_answers,
    saved_answers_of_section,
};
pub use emails::{about, queue_reopened, queue_submission, section_lines};
pub use mechanisms::{
    MechanismOutcome, apply_mechanism_values, delete_mechanism, mechanism_values, partner_options,
    save_mechanism,
};
pub use pages::*;
pub use progress::{ProgressRow, Stage, progress, progress_rows};
pub use submission::{Missing, SubmitOutcome, missing, reopen, submit};

/// Who is asking, as far as access goes.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
}

/// A response with everything needed to show it, once access is granted.
#[derive(Clone)]
pub struct ResponseContext {
    pub response: Response,
    pub assessment: Assessment,
    pub organization: Organization,
    pub instrument: Arc<Instrument>,
    /// Whether the actor is one of the response's representatives (who may write).
    pub is_member: bool,
}

/// Loads a response for an actor: organizers may read every response; representatives only
/// the ones they joined. Anyone else gets 403, whatever the id.
pub fn open(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    response_id: &str,
    actor: &Actor,
) -> Result<ResponseContext, AppError> {
    let (response, assessment, organization, is_member) =
        match rows::find_opened(conn, response_id, &actor.user_id) {
            Ok(found) => found,
            // A representative learns nothing from guessing ids: unknown and foreign look alike.
            Err(diesel::result::Error::NotFound) if actor.role != Role::Organizer => {
                return Err(AppError::Forbidden);
            }
            Err(e) => return Err(e.into()),
        };
    if !is_member && actor.role != Role::Organizer {
        return Err(AppError::Forbidden);
    }
    let instrument = registry.get(
        conn,
        &assessment.instrument_key,
        &assessment.instrument_version,
    )?;
    Ok(ResponseContext {
        response,
        assessment,
        organization,
        instrument,
        is_member,
    })
}

/// Why a response cannot be changed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditBlock {
    NotMember,
    Submitted,
    NotYetOpen,
    Closed,
}

impl EditBlock {
    /// Whether the response was submitted (the browser's copies of its answers are then dropped).
    pub fn is_submitted(self) -> bool {
        self == EditBlock::Submitted
    }

    pub fn message_key(self) -> &'static str {
        match self {
            EditBlock::NotMember => "response.blocked.not_member",
            EditBlock::Submitted => "response.blocked.submitted",
            EditBlock::NotYetOpen => "response.blocked.not_yet_open",
            EditBlock::Closed => "response.blocked.closed",
        }
    }
}

impl ResponseContext {
    /// Nothing, when the actor may change the response now; otherwise the refusal that says why
    /// not (403 for someone who is not one of its representatives, 409 otherwise).
    pub fn check_editable(&self, now: NaiveDateTime) -> Result<(), AppError> {
        match self.edit_block(now) {
            None => Ok(()),
            Some(block) => Err(AppError::Denied {
                status: match block {
                    EditBlock::NotMember => 403,
                    _ => 409,
                },
                message_key: block.message_key(),
            }),
        }
    }

    /// Whether the actor may change the response now: the period's days are the assessment's
    /// local days (a response closes at midnight in the assessment's time zone, not UTC's).
    pub fn edit_block(&self, now: NaiveDateTime) -> Option<EditBlock> {
        let today = crate::domain::time::local_date(now, self.assessment.zone());
        if !self.is_member {
            Some(EditBlock::NotMember)
        } else if self.response.is_submitted() {
            Some(EditBlock::Submitted)
        } else if today < self.assessment.opens_on {
            Some(EditBlock::NotYetOpen)
        } else if today > self.assessment.closes_on {
            Some(EditBlock::Closed)
        } else {
            None
        }
    }
}

/// Everything about a response, without an access check (for the system's own use: emails).
pub fn context_of(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    response: Response,
) -> Result<ResponseContext, AppError> {
    let assessment = store::assessments::find(conn, &response.assessment_id)?;
    let organization = store::organizations::find(conn, &response.organization_id)?;
    let instrument = registry.get(
        conn,
        &assessment.instrument_key,
        &assessment.instrument_version,
    )?;
    Ok(ResponseContext {
        response,
        assessment,
        organization,
        instrument,
        is_member: false,
    })
}
