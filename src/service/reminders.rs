//! Reminders: the scheduler pass that turns each assessment's policy into outbox rows, the
//! organizer's "send reminders now" (with its preview), and the optional daily digest of
//! undelivered emails to organizers.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};

use super::audit::{self, Action, Written, kind};
use super::email::{self, About, MailEnv, Recipient};
use super::invitations;
use super::responses::{self as response_service, ResponseContext};
use crate::domain::Lang;
use crate::domain::reminders::{self as rule, Due, History, Pending, ReminderPolicy};
use crate::error::AppError;
use crate::mail::Kind;
use crate::mail::templates::{DigestLine, FailureDigestEmail, MailCtx, ReminderEmail, Rendered};
use crate::store::assessments::Assessment;
use crate::store::invitations::Invitation;
use crate::store::organizations::Organization;
use crate::store::reminders::{self as rows, KIND_FINAL, KIND_MANUAL, KIND_REMINDER, NewLogEntry};
use crate::store::{self, DbConnection};

/// What one scheduler pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedulerReport {
    /// Open assessments with reminders on.
    pub assessments: usize,
    /// Responses looked at (not submitted, invited).
    pub pending: usize,
    /// Reminders scheduled (one per response).
    pub reminders: usize,
    /// Outbox rows written for them (one per recipient).
    pub messages: usize,
    /// Due, but another scheduler got there first.
    pub already_taken: usize,
}

/// Why a transaction of one reminder did not happen.
enum TxError {
    /// The ledger already has this reminder: a second scheduler, or a restart, raced us.
    Taken,
    App(AppError),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => TxError::Taken,
            other => TxError::App(other.into()),
        }
    }
}

impl From<AppError> for TxError {
    fn from(e: AppError) -> Self {
        TxError::App(e)
    }
}

/// The history of each response of an assessment, from the ledger (one grouped query).
fn histories(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> Result<HashMap<String, History>, AppError> {
    let mut out: HashMap<String, History> = HashMap::new();
    for (response_id, kind, count, last) in rows::history_of_assessment(conn, assessment_id)? {
        let h = out.entry(response_id).or_default();
        match kind.as_str() {
            KIND_REMINDER => h.regular += count,
            KIND_FINAL => h.final_sent = true,
            _ => {}
        }
        h.last_on = h.last_on.max(last);
    }
    Ok(out)
}

fn history_of(conn: &mut DbConnection, response_id: &str) -> Result<History, AppError> {
    let mut h = History::default();
    for (_, kind, count, last) in rows::history_of_response(conn, response_id)? {
        match kind.as_str() {
            KIND_REMINDER => h.regular += count,
            KIND_FINAL => h.final_sent = true,
            _ => {}
        }
        h.last_on = h.last_on.max(last);
    }
    Ok(h)
}

/// One scheduler pass: reminders for every open assessment, then the daily digest of failures,
/// whose day is the forum's (`zone`, the configured time zone), like the audit log's.
pub fn scheduler_pass(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    zone: chrono_tz::Tz,
    now: NaiveDateTime,
) -> Result<SchedulerReport, AppError> {
    let report = schedule_due(conn, env, now)?;
    let today = crate::domain::time::local_date(now, zone);
    queue_failure_digest(conn, env, today, now)?;
    Ok(report)
}

/// One scheduler pass: for every open assessment with reminders on, the reminder each pending
/// response is due today goes to the outbox, one transaction per response. Cheap when nothing is
/// due: three grouped queries per open assessment and no writes. Safe to run anywhere, any
/// number of times: the ledger's key (response, reminder slot) lets one pass win.
pub fn schedule_due(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    now: NaiveDateTime,
) -> Result<SchedulerReport, AppError> {
    let mut report = SchedulerReport::default();
    let policies: HashMap<String, ReminderPolicy> = rows::all_policies(conn)?
        .into_iter()
        .map(|row| (row.assessment_id.clone(), row.policy()))
        .collect();
    for assessment in store::assessments::list(conn)? {
        let policy = policies.get(&assessment.id).copied().unwrap_or_default();
        // Days are the assessment's local days: a reminder "the day before the close" goes out
        // on the forum's day before, whatever the UTC date.
        let today = assessment.today(now);
        if !policy.enabled || !assessment.is_open_on(today) {
            continue;
        }
        report.assessments += 1;
        let histories = histories(conn, &assessment.id)?;
        for (response_id, _, first_invited) in rows::pending_responses(conn, &assessment.id)? {
            let Some(first_invited) = first_invited else {
                continue;
            };
            report.pending += 1;
            let pending = Pending {
                invited_on: crate::domain::time::local_date(first_invited, assessment.zone()),
                opens_on: assessment.opens_on,
                closes_on: assessment.closes_on,
                submitted: false,
                history: histories.get(&response_id).copied().unwrap_or_default(),
            };
            let Some(due) = rule::due(&policy, &pending, today) else {
                continue;
            };
            match send_one(conn, env, &response_id, Slot::Due(due), None, today, now) {
                Ok(0) => {}
                Ok(n) => {
                    report.reminders += 1;
                    report.messages += n;
                }
                Err(TxError::Taken) => report.already_taken += 1,
                Err(TxError::App(e)) => return Err(e),
            }
        }
    }
    Ok(report)
}

/// Which reminder to send.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Due(Due),
    /// Sent by an organizer, at most one a day.
    Manual,
}

impl Slot {
    fn key(self, today: NaiveDate) -> String {
        match self {
            Slot::Due(due) => due.slot(),
            Slot::Manual => format!("manual-{today}"),
        }
    }

    fn ledger_kind(self) -> &'static str {
        match self {
            Slot::Due(Due::Reminder(_)) => KIND_REMINDER,
            Slot::Due(Due::Final) => KIND_FINAL,
            Slot::Manual => KIND_MANUAL,
        }
    }

    fn is_final(self) -> bool {
        matches!(self, Slot::Due(Due::Final))
    }
}

/// Who a reminder goes to, and the link each gets.
struct Addressee {
    to: Recipient,
    link: String,
    via_invitation: bool,
}

/// The pending invitations of a response, one per address (the newest).
fn open_invitations(
    conn: &mut DbConnection,
    response_id: &str,
    now: NaiveDateTime,
) -> Result<Vec<Invitation>, AppError> {
    use crate::store::schema::invitations as inv;
    use diesel::prelude::*;
    let all: Vec<Invitation> = inv::table
        .filter(inv::response_id.eq(response_id))
        .filter(inv::used_at.is_null())
        .filter(inv::revoked_at.is_null())
        .filter(inv::expires_at.gt(now))
        .order(inv::created_at.desc())
        .select(Invitation::as_select())
        .load(conn)?;
    let mut seen = std::collections::HashSet::new();
    Ok(all
        .into_iter()
        .filter(|i| seen.insert(i.email.clone()))
        .collect())
}

/// The response's representatives; if nobody joined yet, the people invited, each with a new
/// personal link (unless `preview`, which changes nothing and shows a placeholder link).
fn addressees(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    response_id: &str,
    preview: bool,
    now: NaiveDateTime,
) -> Result<Vec<Addressee>, AppError> {
    let members = email::members(conn, response_id)?;
    if !members.is_empty() {
        let link = format!("{}/responses/{response_id}", env.base_url);
        return Ok(members
            .into_iter()
            .map(|to| Addressee {
                to,
                link: link.clone(),
                via_invitation: false,
            })
            .collect());
    }
    open_invitations(conn, response_id, now)?
        .into_iter()
        .map(|invitation| {
            let link = if preview {
                format!("{}/invite/…", env.base_url)
            } else {
                let token = invitations::replace_for_reminder(conn, &invitation, now)?;
                format!("{}/invite/{token}", env.base_url)
            };
            Ok(Addressee {
                to: Recipient {
                    email: invitation.email.clone(),
                    name: invitation.name.clone(),
                    lang: Lang::parse(&invitation.lang).unwrap_or_default(),
                },
                link,
                via_invitation: true,
            })
        })
        .collect()
}

fn render_reminder(
    conn: &mut DbConnection,
    ctx: &ResponseContext,
    who: &Addressee,
    is_final: bool,
    today: NaiveDate,
) -> Result<Rendered, AppError> {
    let lang = who.to.lang;
    let (lines, answers, _) = response_service::section_lines(conn, ctx, lang)?;
    // The required answers only, as the overview and the organizer's progress page count them
    // (mechanism entries are optional).
    let total = crate::domain::answers::response_progress(&ctx.instrument, &answers);
    let email = ReminderEmail {
        ctx: MailCtx::for_assessment(lang, ctx.assessment.zone()),
        is_final,
        name: who.to.name.clone(),
        organization: ctx.organization.name.clone(),
        assessment: ctx.assessment.title(lang).to_owned(),
        closes_on: ctx.assessment.closes_on,
        days_left: (ctx.assessment.closes_on - today).num_days(),
        link: who.link.clone(),
        via_invitation: who.via_invitation,
        percent: total.percent(),
        answered: total.answered,
        required: total.required,
        missing: lines
            .into_iter()
            .filter(|l| l.answered < l.required)
            .collect(),
    };
    email
        .render()
        .map_err(|e| AppError::Internal(format!("email template: {e}")))
}

/// Schedules one reminder of one response in one transaction: the ledger row (whose key makes a
/// second attempt fail), then one outbox row per recipient. Returns how many rows were written;
/// 0 when the response was submitted meanwhile or nobody can receive it.
fn send_one(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    response_id: &str,
    slot: Slot,
    organizer_id: Option<&str>,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<usize, TxError> {
    let slot_key = slot.key(today);
    crate::store::write::<_, TxError, _>(conn, |conn| {
        let response = store::responses::find(conn, response_id)?;
        if response.is_submitted() {
            return Ok(0);
        }
        if rows::slot_taken(conn, response_id, &slot_key)? {
            return Err(TxError::Taken);
        }
        let ctx = response_service::context_of(conn, env.instruments, response)?;
        let people = addressees(conn, env, response_id, false, now)?;
        if people.is_empty() {
            return Ok(0);
        }
        rows::log(
            conn,
            &NewLogEntry {
                response_id,
                slot: &slot_key,
                kind: slot.ledger_kind(),
                sent_on: today,
                recipients: i64::try_from(people.len()).unwrap_or(i64::MAX),
                created_at: now,
                created_by: organizer_id,
            },
        )?;
        let kind = if slot.is_final() {
            Kind::FinalReminder
        } else {
            Kind::Reminder
        };
        for who in &people {
            let rendered = render_reminder(conn, &ctx, who, slot.is_final(), today)?;
            email::queue(
                conn,
                kind,
                &who.to,
                rendered,
                format!("reminder:{response_id}:{slot_key}:{}", who.to.email),
                &response_service::about(&ctx),
                now,
            )?;
        }
        Ok(people.len())
    })
}

// ---------------------------------------------------------------------------------------------
// Send now

/// Why an organization cannot be reminded now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    Submitted,
    RemindedToday,
    NoRecipients,
    Closed,
}

impl Blocked {
    pub fn message_key(self) -> &'static str {
        match self {
            Blocked::Submitted => "reminders.blocked.submitted",
            Blocked::RemindedToday => "reminders.blocked.today",
            Blocked::NoRecipients => "reminders.blocked.no_recipients",
            Blocked::Closed => "reminders.blocked.closed",
        }
    }
}

/// One organization in the "send now" preview.
#[derive(Debug, Clone)]
pub struct PreviewItem {
    pub organization: Organization,
    pub response_id: String,
    pub recipients: Vec<Recipient>,
    pub via_invitation: bool,
    pub blocked: Option<Blocked>,
}

/// The preview: who would get a reminder, and the email the first of them would get.
#[derive(Debug, Clone)]
pub struct Preview {
    pub items: Vec<PreviewItem>,
    pub sample: Option<(Recipient, Rendered)>,
}

fn response_of(
    conn: &mut DbConnection,
    assessment: &Assessment,
    organization_id: &str,
) -> Result<Option<store::responses::Response>, AppError> {
    Ok(store::responses::find_for(
        conn,
        &assessment.id,
        organization_id,
    )?)
}

/// Who would get a reminder now among the chosen organizations; changes nothing.
pub fn preview(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    assessment_id: &str,
    organization_ids: &[String],
    now: NaiveDateTime,
) -> Result<Preview, AppError> {
    let assessment = store::assessments::find(conn, assessment_id)?;
    let today = assessment.today(now);
    let mut items = Vec::new();
    let mut sample = None;
    for organization_id in organization_ids {
        let Some(response) = response_of(conn, &assessment, organization_id)? else {
            continue;
        };
        let organization = store::organizations::find(conn, organization_id)?;
        let people = addressees(conn, env, &response.id, true, now)?;
        let blocked = if response.is_submitted() {
            Some(Blocked::Submitted)
        } else if today > assessment.closes_on {
            Some(Blocked::Closed)
        } else if history_of(conn, &response.id)?.last_on == Some(today) {
            Some(Blocked::RemindedToday)
        } else if people.is_empty() {
            Some(Blocked::NoRecipients)
        } else {
            None
        };
        if blocked.is_none()
            && sample.is_none()
            && let Some(first) = people.first()
        {
            let ctx = response_service::context_of(conn, env.instruments, response.clone())?;
            sample = Some((
                first.to.clone(),
                render_reminder(conn, &ctx, first, false, today)?,
            ));
        }
        items.push(PreviewItem {
            organization,
            response_id: response.id,
            via_invitation: people.first().is_some_and(|p| p.via_invitation),
            recipients: people.into_iter().map(|p| p.to).collect(),
            blocked,
        });
    }
    items.sort_by_key(|i| i.organization.acronym.to_lowercase());
    Ok(Preview { items, sample })
}

/// What "send now" did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendNowReport {
    pub organizations: usize,
    pub messages: usize,
    pub skipped: usize,
}

/// Sends a reminder now to each chosen organization that may get one (not submitted, not
/// reminded today, someone to write to). It counts as a reminder for the "same day" and "every
/// M days" rules, not towards the maximum.
pub fn send_now(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    assessment_id: &str,
    organization_ids: &[String],
    organizer_id: &str,
    now: NaiveDateTime,
) -> Result<SendNowReport, AppError> {
    let assessment = store::assessments::find(conn, assessment_id)?;
    let today = assessment.today(now);
    let mut report = SendNowReport::default();
    if today > assessment.closes_on {
        report.skipped = organization_ids.len();
        return Ok(report);
    }
    for organization_id in organization_ids {
        let Some(response) = response_of(conn, &assessment, organization_id)? else {
            report.skipped += 1;
            continue;
        };
        if history_of(conn, &response.id)?.last_on == Some(today) {
            report.skipped += 1;
            continue;
        }
        match send_one(
            conn,
            env,
            &response.id,
            Slot::Manual,
            Some(organizer_id),
            today,
            now,
        ) {
            Ok(0) | Err(TxError::Taken) => report.skipped += 1,
            Ok(n) => {
                report.organizations += 1;
                report.messages += n;
            }
            Err(TxError::App(e)) => return Err(e),
        }
    }
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Failure digest

/// Once a day, each organizer gets the list of emails that failed the day before (if any).
/// Returns how many digests were queued. The digest's own failures are left out, so a broken
/// mail server cannot feed it.
pub fn queue_failure_digest(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    use crate::store::schema::users;
    use diesel::prelude::*;
    let Some(yesterday) = today.pred_opt() else {
        return Ok(0);
    };
    let start = yesterday.and_time(chrono::NaiveTime::MIN);
    let end = today.and_time(chrono::NaiveTime::MIN);
    let failed: Vec<_> = store::outbox::failed_since(conn, start)?
        .into_iter()
        .filter(|m| m.failed_at.is_some_and(|at| at < end))
        .filter(|m| m.kind != Kind::FailureDigest.key())
        .collect();
    if failed.is_empty() {
        return Ok(0);
    }
    let organizers: Vec<(String, String, String)> = users::table
        .filter(users::role.eq("organizer"))
        .order(users::email)
        .select((users::id, users::name, users::email))
        .load(conn)?;
    let mut queued = 0;
    for (id, name, address) in organizers {
        let key = format!("digest:{yesterday}:{id}");
        if store::outbox::find_by_dedupe_key(conn, &key)?.is_some() {
            continue;
        }
        // Organizers choose their language on each page; the forum's default is Spanish.
        let lang = Lang::default();
        let ctx = MailCtx::new(lang);
        let email = FailureDigestEmail {
            ctx,
            name: name.clone(),
            failures: failed
                .iter()
                .map(|m| DigestLine {
                    recipient: m.recipient.clone(),
                    kind: ctx.t(&format!("email.kind.{}", m.kind)).into_owned(),
                    error: m.last_error.clone().unwrap_or_default(),
                })
                .collect(),
            link: format!("{}/organizer/emails", env.base_url),
        };
        email::queue(
            conn,
            Kind::FailureDigest,
            &Recipient {
                email: address,
                name,
                lang,
            },
            email
                .render()
                .map_err(|e| AppError::Internal(format!("email template: {e}")))?,
            key,
            &About::default(),
            now,
        )?;
        queued += 1;
    }
    Ok(queued)
}

/// The reminder policy of an assessment (the defaults until an organizer saves one).
pub fn policy(conn: &mut DbConnection, assessment_id: &str) -> Result<ReminderPolicy, AppError> {
    store::assessments::find(conn, assessment_id)?;
    Ok(rows::policy(conn, assessment_id)?)
}

pub fn save_policy(
    conn: &mut DbConnection,
    assessment_id: &str,
    policy: &ReminderPolicy,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    crate::store::write(conn, |conn| {
        store::assessments::find(conn, assessment_id)?;
        rows::save_policy(conn, assessment_id, policy, now)?;
        Ok(())
    })
}

/// What the organizer's reminders page shows: the assessment, its saved policy, each
/// organization's progress and how many reminders each response got so far.
pub struct Overview {
    pub assessment: Assessment,
    pub policy: ReminderPolicy,
    pub progress: Vec<response_service::ProgressRow>,
    pub counts: BTreeMap<String, (i64, Option<NaiveDate>)>,
}

/// The reminders page of an assessment (see [`Overview`]).
pub fn overview(
    conn: &mut DbConnection,
    registry: &super::instruments::InstrumentRegistry,
    assessment_id: &str,
    now: NaiveDateTime,
) -> Result<Overview, AppError> {
    let assessment = store::assessments::find(conn, assessment_id)?;
    let policy = policy(conn, assessment_id)?;
    let invitations = store::invitations::list_for_assessment(conn, assessment_id)?;
    let progress = response_service::progress_rows(conn, registry, &assessment, &invitations, now)?;
    let counts = counts(conn, assessment_id)?;
    Ok(Overview {
        assessment,
        policy,
        progress,
        counts,
    })
}

/// Saves an assessment's reminder policy (see [`save_policy`]) with its audit row, in one
/// transaction.
pub fn save_policy_by(
    conn: &mut DbConnection,
    actor: &audit::Actor,
    assessment_id: &str,
    policy: &ReminderPolicy,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let row = |_: &()| {
        let details = format!(
            "enabled={} first_after_days={} every_days={} max_reminders={} \
         final_days_before={}",
            policy.enabled,
            policy.first_after_days,
            policy.every_days,
            policy.max_reminders,
            policy.final_days_before
        );
        let row = Written::new(Action::ReminderPolicySaved, kind::ASSESSMENT, assessment_id);
        Some(row.in_assessment(assessment_id).details(details))
    };
    let write = |conn: &mut DbConnection| save_policy(conn, assessment_id, policy, now);
    audit::recorded(conn, actor, now, write, row)
}

/// The preview of "send reminders now" with its assessment.
pub fn preview_of(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    assessment_id: &str,
    organization_ids: &[String],
    now: NaiveDateTime,
) -> Result<(Assessment, Preview), AppError> {
    let assessment = store::assessments::find(conn, assessment_id)?;
    let preview = preview(conn, env, assessment_id, organization_ids, now)?;
    Ok((assessment, preview))
}

/// [`send_now`] by an organizer, with its audit row, in one transaction.
pub fn send_now_by(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    actor: &audit::Actor,
    assessment_id: &str,
    organization_ids: &[String],
    organizer_id: &str,
    now: NaiveDateTime,
) -> Result<SendNowReport, AppError> {
    let row = |report: &SendNowReport| {
        let details = format!(
            "organizations={} messages={} skipped={}",
            report.organizations, report.messages, report.skipped
        );
        let row = Written::new(Action::RemindersSent, kind::ASSESSMENT, assessment_id);
        Some(row.in_assessment(assessment_id).details(details))
    };
    let write = |conn: &mut DbConnection| {
        send_now(
            conn,
            env,
            assessment_id,
            organization_ids,
            organizer_id,
            now,
        )
    };
    audit::recorded(conn, actor, now, write, row)
}

/// How many reminders each response of an assessment got so far, by response id.
pub fn counts(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> Result<BTreeMap<String, (i64, Option<NaiveDate>)>, AppError> {
    let mut out: BTreeMap<String, (i64, Option<NaiveDate>)> = BTreeMap::new();
    for (response_id, _, count, last) in rows::history_of_assessment(conn, assessment_id)? {
        let entry = out.entry(response_id).or_default();
        entry.0 += count;
        entry.1 = entry.1.max(last);
    }
    Ok(out)
}
