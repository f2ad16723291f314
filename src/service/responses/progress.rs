//! How far a response is: per section and overall, and the stage of every response of an
//! assessment on the organizer's progress page.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::ResponseContext;
use super::mechanisms::mechanism_values;
use crate::domain::answers::{self, AnswerValue, Progress};
use crate::domain::instrument::{MechanismGroup, SectionBody};
use crate::error::AppError;
use crate::service::instruments::InstrumentRegistry;
use crate::store::assessments::Assessment;
use crate::store::mechanisms::Mechanism;
use crate::store::responses as rows;
use crate::store::{self, DbConnection};

/// The progress of each section (a mechanism section counts its complete entries), and the
/// response's overall progress: the required answers only, the one computation the organizer's
/// progress page reads too ([`answers::response_progress`], stored with every save), so both
/// show the same count. Mechanism entries are optional and stay out of it.
pub fn progress(
    ctx: &ResponseContext,
    answers: &BTreeMap<String, AnswerValue>,
    mechanisms: &[Mechanism],
) -> (Vec<(String, Progress)>, Progress) {
    let per_section = ctx
        .instrument
        .sections
        .iter()
        .map(|section| {
            let p = match &section.body {
                SectionBody::Mechanisms(group) => mechanism_progress(group, mechanisms),
                _ => answers::progress(&ctx.instrument, section, answers),
            };
            (section.key.clone(), p)
        })
        .collect();
    (
        per_section,
        answers::response_progress(&ctx.instrument, answers),
    )
}

/// Mechanisms are optional, but each entry counts as one unit, complete when its required
/// fields are filled.
fn mechanism_progress(group: &MechanismGroup, mechanisms: &[Mechanism]) -> Progress {
    let mut progress = Progress::default();
    for mechanism in mechanisms {
        progress.required += 1;
        if answers::missing_mechanism_fields(group, &mechanism_values(mechanism)).is_empty() {
            progress.answered += 1;
        }
    }
    progress
}

/// Where a response stands, for the organizer's progress page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Invited,
    Opened,
    InProgress,
    Submitted,
}

impl Stage {
    pub fn key(self) -> &'static str {
        match self {
            Stage::Invited => "invited",
            Stage::Opened => "opened",
            Stage::InProgress => "in_progress",
            Stage::Submitted => "submitted",
        }
    }

    /// Every stage, in the order a response goes through them.
    pub const ALL: [Stage; 4] = [
        Stage::Invited,
        Stage::Opened,
        Stage::InProgress,
        Stage::Submitted,
    ];

    pub fn parse(raw: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.key() == raw)
    }
}

/// One organization's row on the progress page.
#[derive(Debug, Clone)]
pub struct ProgressRow {
    pub response: rows::ProgressHead,
    pub organization: rows::OrganizationHead,
    pub stage: Stage,
    pub progress: Progress,
    pub representatives: Vec<String>,
    pub pending_invitations: usize,
}

/// The progress of every organization in an assessment, from a handful of queries; its
/// `invitations` (read by the caller, which may show them too) give the pending ones.
pub fn progress_rows(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    assessment: &Assessment,
    invitations: &[store::invitations::Invitation],
    now: NaiveDateTime,
) -> Result<Vec<ProgressRow>, AppError> {
    let instrument = registry.get(
        conn,
        &assessment.instrument_key,
        &assessment.instrument_version,
    )?;
    let responses = rows::progress_heads_for_assessment(conn, &assessment.id)?;
    // From the read model (one row per response), not from every answer.
    let ids: Vec<String> = responses.iter().map(|(r, _)| r.id.clone()).collect();
    let mut progress =
        crate::service::analysis::progress_of_responses(conn, &instrument, &assessment.id, &ids)?;
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (response_id, name, _) in rows::members_of_assessment(conn, &assessment.id)? {
        members.entry(response_id).or_default().push(name);
    }
    let mut pending: BTreeMap<&str, usize> = BTreeMap::new();
    for invitation in invitations {
        if invitation.is_usable(now) {
            *pending.entry(invitation.response_id.as_str()).or_default() += 1;
        }
    }
    Ok(responses
        .into_iter()
        .map(|(response, organization)| {
            let progress = progress.remove(&response.id).unwrap_or_default();
            let stage = if response.is_submitted() {
                Stage::Submitted
            } else if response.last_activity_at.is_some() {
                Stage::InProgress
            } else if response.first_opened_at.is_some() {
                Stage::Opened
            } else {
                Stage::Invited
            };
            ProgressRow {
                representatives: members.remove(&response.id).unwrap_or_default(),
                pending_invitations: pending.remove(response.id.as_str()).unwrap_or_default(),
                response,
                organization,
                stage,
                progress,
            }
        })
        .collect())
}
