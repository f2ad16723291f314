//! Filling in a response: who may read and write it, saving sections with the conflict check,
//! mechanism entries, review, submission and reopening; and the organizer's progress view.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::OptionalExtension;

use super::audit::{self, Action, Object};
use super::email::{self, MailEnv};
use super::instruments::InstrumentRegistry;
use crate::domain::account::Role;
use crate::domain::answers::{self, AnswerValue, PartnerRef, Progress};
use crate::domain::instrument::{Instrument, ItemKind, MechanismGroup, Section, SectionBody};
use crate::domain::section_form::{self, SectionInput};
use crate::error::AppError;
use crate::mail::Kind;
use crate::store::assessments::Assessment;
use crate::store::mechanisms::{self as mechanism_rows, Mechanism};
use crate::store::organizations::Organization;
use crate::store::responses::{self as rows, Response};
use crate::store::{self, DbConnection};

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

/// The saved answers of a response, read against its instrument, and evidence texts.
#[derive(Debug, Clone, Default)]
pub struct SavedAnswers {
    pub values: BTreeMap<String, AnswerValue>,
    pub evidence: BTreeMap<String, String>,
    /// The stored text of every answer, for values the instrument no longer reads.
    pub raw: BTreeMap<String, String>,
}

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

/// Stored answer rows of one response read against its instrument (rows that no longer fit keep
/// only their raw text).
pub fn read_answers(instrument: &Instrument, found: Vec<rows::AnswerRow>) -> SavedAnswers {
    let mut saved = SavedAnswers::default();
    for row in found {
        if let Some(evidence) = row.evidence.filter(|e| !e.is_empty()) {
            saved.evidence.insert(row.item_key.clone(), evidence);
        }
        if row.value.is_empty() {
            continue;
        }
        if let Some(value) = slot_kind(instrument, &row.item_key)
            .and_then(|kind| AnswerValue::decode(kind, &row.value))
        {
            saved.values.insert(row.item_key.clone(), value);
        }
        saved.raw.insert(row.item_key, row.value);
    }
    saved
}

/// The kind of the item behind an answer key (an item, or a grid cell `section.domain.column`).
pub fn slot_kind<'a>(instrument: &'a Instrument, key: &str) -> Option<&'a ItemKind> {
    if let Some(item) = instrument.item(key) {
        return Some(&item.kind);
    }
    let (section, grid) = instrument.grid()?;
    let rest = key.strip_prefix(section.key.as_str())?.strip_prefix('.')?;
    let (_, column) = rest.split_once('.')?;
    grid.column(column).map(|c| &c.kind)
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

/// Saves the slots of one section if the section is still at `expected_version`; the answers,
/// the version bump and the activity time are one transaction.
pub fn save_section(
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
            super::analysis::refresh_scores(conn, &ctx.instrument, &ctx.response.id, now)?;
        }
        rows::touch_activity(conn, &ctx.response.id, now)?;
        Ok(SaveOutcome::Saved {
            version: expected_version + 1,
        })
    })
}

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

/// A mechanism row as answers keyed by field, for the instrument's rules.
pub fn mechanism_values(m: &Mechanism) -> BTreeMap<String, AnswerValue> {
    let mut values = BTreeMap::new();
    let mut put = |key: &str, value: Option<AnswerValue>| {
        if let Some(value) = value {
            values.insert(key.to_owned(), value);
        }
    };
    let text = |v: &Option<String>| {
        v.as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| AnswerValue::Text(s.clone()))
    };
    let choice = |v: &Option<String>| {
        v.as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| AnswerValue::Choice(s.clone()))
    };
    let choices = |v: &Option<String>| {
        v.as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| AnswerValue::Choices(s.split('|').map(str::to_owned).collect()))
    };
    put("name", Some(AnswerValue::Text(m.name.clone())));
    put("description", text(&m.description));
    put(
        "partner",
        match (&m.partner_organization_id, &m.partner_name) {
            (Some(id), _) => Some(AnswerValue::Partner(PartnerRef::Organization(id.clone()))),
            (None, Some(name)) if !name.is_empty() => {
                Some(AnswerValue::Partner(PartnerRef::Outside(name.clone())))
            }
            _ => None,
        },
    );
    put("direction", choice(&m.direction));
    put("domains", choices(&m.domains));
    put("level", choice(&m.level));
    put("legal_basis", choice(&m.legal_basis));
    put("legal_reference", text(&m.legal_reference));
    put("channel", choice(&m.channel));
    put("format", choice(&m.format));
    put("frequency", choice(&m.frequency));
    put(
        "delay_days",
        m.delay_days.map(|d| AnswerValue::Number(d as f64)),
    );
    put("disaggregations", choices(&m.disaggregations));
    put("personal_data", m.personal_data.map(AnswerValue::Bool));
    put("protection", choices(&m.protection));
    put("status", choice(&m.status));
    put("problems", text(&m.problems));
    values
}

/// Fills a mechanism row from answers keyed by field (the form, once checked).
pub fn apply_mechanism_values(m: &mut Mechanism, values: &BTreeMap<String, AnswerValue>) {
    let text = |key: &str| match values.get(key) {
        Some(AnswerValue::Text(s)) => Some(s.clone()),
        _ => None,
    };
    let choice = |key: &str| match values.get(key) {
        Some(AnswerValue::Choice(s)) => Some(s.clone()),
        _ => None,
    };
    let choices = |key: &str| match values.get(key) {
        Some(AnswerValue::Choices(list)) if !list.is_empty() => Some(list.join("|")),
        _ => None,
    };
    m.name = text("name").unwrap_or_default();
    m.description = text("description");
    (m.partner_organization_id, m.partner_name) = match values.get("partner") {
        Some(AnswerValue::Partner(PartnerRef::Organization(id))) => (Some(id.clone()), None),
        Some(AnswerValue::Partner(PartnerRef::Outside(name))) => (None, Some(name.clone())),
        _ => (None, None),
    };
    m.direction = choice("direction");
    m.domains = choices("domains");
    m.level = choice("level");
    m.legal_basis = choice("legal_basis");
    m.legal_reference = text("legal_reference");
    m.channel = choice("channel");
    m.format = choice("format");
    m.frequency = choice("frequency");
    m.delay_days = match values.get("delay_days") {
        Some(AnswerValue::Number(n)) => Some(n.round() as i64),
        _ => None,
    };
    m.disaggregations = choices("disaggregations");
    m.personal_data = match values.get("personal_data") {
        Some(AnswerValue::Bool(b)) => Some(*b),
        _ => None,
    };
    m.protection = choices("protection");
    m.status = choice("status");
    m.problems = text("problems");
}

/// The organizations a mechanism may name as partner: every organization registered for the
/// forum but the response's own, invited to this assessment or not (an exchange with an
/// institution that answers no questionnaire is still an exchange).
pub fn partner_options(
    conn: &mut DbConnection,
    ctx: &ResponseContext,
) -> Result<Vec<Organization>, AppError> {
    Ok(store::organizations::list(conn)?
        .into_iter()
        .filter(|org| org.id != ctx.organization.id)
        .collect())
}

#[derive(Debug, Clone)]
pub enum MechanismOutcome {
    Saved {
        id: String,
    },
    /// Someone changed or removed the entry since the form was loaded; nothing was applied.
    Conflict {
        current: Option<Box<Mechanism>>,
    },
}

/// Adds (`id` = None) or replaces a mechanism entry; a replacement only applies when the entry
/// is still at `expected_version`.
pub fn save_mechanism(
    conn: &mut DbConnection,
    ctx: &ResponseContext,
    id: Option<&str>,
    expected_version: i64,
    values: &BTreeMap<String, AnswerValue>,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<MechanismOutcome, AppError> {
    crate::store::write(conn, |conn| {
        if let Some(AnswerValue::Partner(PartnerRef::Organization(partner))) = values.get("partner")
        {
            let allowed = partner_options(conn, ctx)?;
            if !allowed.iter().any(|o| &o.id == partner) {
                return Err(AppError::BadRequest("partner not in the assessment".into()));
            }
        }
        let outcome = match id {
            None => {
                let mut row = empty_mechanism(&ctx.response.id, user_id, now);
                apply_mechanism_values(&mut row, values);
                mechanism_rows::insert(conn, &row)?;
                MechanismOutcome::Saved { id: row.id }
            }
            Some(id) => {
                let current = match mechanism_rows::find(conn, &ctx.response.id, id) {
                    Ok(current) => current,
                    Err(diesel::result::Error::NotFound) => {
                        return Ok(MechanismOutcome::Conflict { current: None });
                    }
                    Err(e) => return Err(e.into()),
                };
                if current.version != expected_version {
                    return Ok(MechanismOutcome::Conflict {
                        current: Some(Box::new(current)),
                    });
                }
                let mut row = current.clone();
                apply_mechanism_values(&mut row, values);
                row.version = current.version + 1;
                row.updated_at = now;
                row.updated_by = Some(user_id.to_owned());
                if !mechanism_rows::update(conn, &row)? {
                    return Ok(MechanismOutcome::Conflict {
                        current: mechanism_rows::find(conn, &ctx.response.id, id)
                            .ok()
                            .map(Box::new),
                    });
                }
                MechanismOutcome::Saved { id: row.id }
            }
        };
        rows::touch_activity(conn, &ctx.response.id, now)?;
        Ok(outcome)
    })
}

fn empty_mechanism(response_id: &str, user_id: &str, now: NaiveDateTime) -> Mechanism {
    Mechanism {
        id: store::new_id(),
        response_id: response_id.to_owned(),
        version: 1,
        name: String::new(),
        description: None,
        partner_organization_id: None,
        partner_name: None,
        direction: None,
        domains: None,
        level: None,
        legal_basis: None,
        legal_reference: None,
        channel: None,
        format: None,
        frequency: None,
        delay_days: None,
        disaggregations: None,
        personal_data: None,
        protection: None,
        status: None,
        problems: None,
        created_at: now,
        updated_at: now,
        updated_by: Some(user_id.to_owned()),
    }
}

pub fn delete_mechanism(
    conn: &mut DbConnection,
    ctx: &ResponseContext,
    id: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    crate::store::write(conn, |conn| {
        let deleted = mechanism_rows::delete(conn, &ctx.response.id, id)?;
        rows::touch_activity(conn, &ctx.response.id, now)?;
        Ok(deleted)
    })
}

/// One missing required answer, for the review page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub section: String,
    /// Item key, grid cell key, or `mechanism:<id>`.
    pub key: String,
}

/// Every required answer still missing (items, grid cells, incomplete mechanism entries).
pub fn missing(
    ctx: &ResponseContext,
    answers: &BTreeMap<String, AnswerValue>,
    mechanisms: &[Mechanism],
) -> Vec<Missing> {
    let mut missing: Vec<Missing> = answers::missing_required(&ctx.instrument, answers)
        .into_iter()
        .map(|(section, key)| Missing { section, key })
        .collect();
    if let Some((section, group)) = ctx.instrument.mechanisms() {
        for m in mechanisms {
            if !answers::missing_mechanism_fields(group, &mechanism_values(m)).is_empty() {
                missing.push(Missing {
                    section: section.key.clone(),
                    key: format!("mechanism:{}", m.id),
                });
            }
        }
    }
    missing
}

#[derive(Debug, Clone)]
pub enum SubmitOutcome {
    Submitted,
    Incomplete(Vec<Missing>),
}

/// Submits the response when nothing required is missing; records who and when. In the same
/// transaction: the confirmation to every representative, and the cancellation of reminders
/// still waiting in the outbox.
pub fn submit(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    ctx: &ResponseContext,
    by: &audit::Actor,
    now: NaiveDateTime,
) -> Result<SubmitOutcome, AppError> {
    let user_id = by.user_id.as_deref().unwrap_or_default();
    crate::store::write(conn, |conn| {
        let answers = saved_answers(conn, ctx)?;
        let mechanisms = mechanism_rows::list_for_response(conn, &ctx.response.id)?;
        let missing = missing(ctx, &answers.values, &mechanisms);
        if !missing.is_empty() {
            return Ok(SubmitOutcome::Incomplete(missing));
        }
        if rows::submit(conn, &ctx.response.id, user_id, now)? {
            email::queue_submission(conn, env, ctx, user_id, now)?;
            store::outbox::cancel_reminders(
                conn,
                &ctx.response.id,
                &[Kind::Reminder.key(), Kind::FinalReminder.key()],
                now,
            )?;
            let object = Object::new("response", &ctx.response.id)
                .in_assessment(&ctx.response.assessment_id);
            audit::record(conn, by, Action::ResponseSubmitted, object, "", now)?;
        }
        Ok(SubmitOutcome::Submitted)
    })
}

/// Reopens a submitted response with a reason; false when it was not submitted. The notice to
/// its representatives is queued in the same transaction.
pub fn reopen(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    response_id: &str,
    reason: &str,
    by: &audit::Actor,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    crate::store::write(conn, |conn| {
        let response = rows::find(conn, response_id)?;
        if !rows::reopen(conn, response_id, reason, now)? {
            return Ok(false);
        }
        let object = Object::new("response", response_id).in_assessment(&response.assessment_id);
        audit::record(conn, by, Action::ResponseReopened, object, reason, now)?;
        let ctx = context_of(conn, env.instruments, response)?;
        email::queue_reopened(conn, env, &ctx, reason, now)?;
        Ok(true)
    })
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
        super::analysis::progress_of_responses(conn, &instrument, &assessment.id, &ids)?;
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
