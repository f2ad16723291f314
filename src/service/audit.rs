//! The audit log: who did what, when and from which address. Each use case writes its row with
//! `record` on the connection of its own transaction, so the row exists exactly when the action
//! does. Reading it back: the organizers' filters, checked here.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use crate::domain::time::{day_start_utc, local_date};
use crate::error::AppError;
use crate::store::audit::{self as rows, AuditEntry, AuditFilter, NewAuditEntry};
use crate::store::{self, DbConnection};

/// Longest details text kept (a reopening reason is at most 1000 characters).
pub const MAX_DETAILS: usize = 2000;
/// Longest email kept for an actor (typed emails of failed logins can be anything).
pub const MAX_EMAIL: usize = 254;
/// Rows per page on the organizers' page.
pub const PAGE_SIZE: i64 = 100;

/// Who acts, as known when the action happens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// The account, when one is known.
    pub user_id: Option<String>,
    /// The account's email at the time, or what was typed (failed login), or empty.
    pub email: String,
    /// The client address (see `web::client::client_address`).
    pub address: Option<String>,
}

impl Actor {
    pub fn user(user_id: &str, email: &str, address: Option<String>) -> Actor {
        Actor {
            user_id: Some(user_id.to_owned()),
            email: email.to_owned(),
            address,
        }
    }

    /// Someone without an account (or not yet known), e.g. a failed login.
    pub fn anonymous(email: &str, address: Option<String>) -> Actor {
        Actor {
            user_id: None,
            email: email.to_owned(),
            address,
        }
    }

    /// The same person, now known as an account (after a login or the creation of the account).
    pub fn as_user(&self, user_id: &str, email: &str) -> Actor {
        Actor::user(user_id, email, self.address.clone())
    }
}

/// The recorded actions: every kind of row the log holds, in one place. The stored key (`key`)
/// is stable: filters, exports and other modules use these variants, never the text.
///
/// Session ends other than a logout ("sign out everywhere", an organizer ending someone's
/// sessions, a password reset; expiry writes nothing) are `SessionEnded`; a wrong password
/// anywhere a password is checked (the login page, accepting an invitation with an existing
/// account) is `LoginFailed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    LoginFailed,
    Logout,
    /// Sessions ended otherwise than by their own logout: by their owner ("sign out
    /// everywhere", one session from the list), an organizer or a password reset (the reason
    /// and the count in the details).
    SessionEnded,
    /// The first organizer, through the one-time setup link.
    Setup,
    /// An organizer created with `capacity-survey create-organizer`.
    OrganizerCreated,
    InvitationSent,
    InvitationRevoked,
    InvitationResent,
    InvitationAccepted,
    /// A section of a response saved: the section's code in the details, never the values.
    SectionSaved,
    MechanismCreated,
    MechanismUpdated,
    MechanismDeleted,
    ResponseSubmitted,
    ResponseReopened,
    AssessmentCreated,
    AssessmentUpdated,
    OrganizationCreated,
    OrganizationUpdated,
    /// A confirmed import of organizations (counts in the details).
    OrganizationsImported,
    ReminderPolicySaved,
    /// Reminders sent by hand ("send now").
    RemindersSent,
    /// A failed email put back in the queue.
    EmailRetried,
    Export,
    AuditExported,
    PasswordResetRequested,
    PasswordResetCompleted,
}

impl Action {
    pub const ALL: [Action; 28] = [
        Action::Login,
        Action::LoginFailed,
        Action::Logout,
        Action::SessionEnded,
        Action::Setup,
        Action::OrganizerCreated,
        Action::InvitationSent,
        Action::InvitationRevoked,
        Action::InvitationResent,
        Action::InvitationAccepted,
        Action::SectionSaved,
        Action::MechanismCreated,
        Action::MechanismUpdated,
        Action::MechanismDeleted,
        Action::ResponseSubmitted,
        Action::ResponseReopened,
        Action::AssessmentCreated,
        Action::AssessmentUpdated,
        Action::OrganizationCreated,
        Action::OrganizationUpdated,
        Action::OrganizationsImported,
        Action::ReminderPolicySaved,
        Action::RemindersSent,
        Action::EmailRetried,
        Action::Export,
        Action::AuditExported,
        Action::PasswordResetRequested,
        Action::PasswordResetCompleted,
    ];

    /// What is stored in the `action` column (stable: filters and exports use it).
    pub fn key(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::Logout => "logout",
            Action::SessionEnded => "session_ended",
            Action::Setup => "setup",
            Action::OrganizerCreated => "organizer_created",
            Action::InvitationSent => "invitation_sent",
            Action::InvitationRevoked => "invitation_revoked",
            Action::InvitationResent => "invitation_resent",
            Action::InvitationAccepted => "invitation_accepted",
            Action::SectionSaved => "section_saved",
            Action::MechanismCreated => "mechanism_created",
            Action::MechanismUpdated => "mechanism_updated",
            Action::MechanismDeleted => "mechanism_deleted",
            Action::ResponseSubmitted => "response_submitted",
            Action::ResponseReopened => "response_reopened",
            Action::AssessmentCreated => "assessment_created",
            Action::AssessmentUpdated => "assessment_updated",
            Action::OrganizationCreated => "organization_created",
            Action::OrganizationUpdated => "organization_updated",
            Action::OrganizationsImported => "organizations_imported",
            Action::ReminderPolicySaved => "reminder_policy_saved",
            Action::RemindersSent => "reminders_sent",
            Action::EmailRetried => "email_retried",
            Action::Export => "export",
            Action::AuditExported => "audit_exported",
            Action::PasswordResetRequested => "password_reset_requested",
            Action::PasswordResetCompleted => "password_reset_completed",
        }
    }

    pub fn parse(key: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.key() == key)
    }

    /// Translation key of the action's name.
    pub fn label_key(self) -> String {
        format!("audit.action.{}", self.key())
    }
}

/// What an action was done to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Object<'a> {
    /// e.g. "user", "invitation", "response", "assessment".
    pub kind: Option<&'a str>,
    pub id: Option<&'a str>,
    /// The assessment concerned, when there is one (for the filter).
    pub assessment_id: Option<&'a str>,
}

impl<'a> Object<'a> {
    pub fn new(kind: &'a str, id: &'a str) -> Object<'a> {
        Object {
            kind: Some(kind),
            id: Some(id),
            assessment_id: None,
        }
    }

    pub fn in_assessment(self, assessment_id: &'a str) -> Object<'a> {
        Object {
            assessment_id: Some(assessment_id),
            ..self
        }
    }
}

fn clip(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Appends one row, on the caller's connection: call it inside the transaction of the action.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: Action,
    object: Object<'_>,
    details: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let email = actor.email.trim().to_lowercase();
    rows::insert(
        conn,
        &NewAuditEntry {
            id: &store::new_id(),
            at: now,
            actor_user_id: actor.user_id.as_deref(),
            actor_email: clip(&email, MAX_EMAIL),
            action: action.key(),
            object_type: object.kind,
            object_id: object.id,
            assessment_id: object.assessment_id,
            details: clip(details, MAX_DETAILS),
            client_address: actor.address.as_deref(),
        },
    )?;
    Ok(())
}

/// The kinds of object a row names (the `object_type` column).
pub mod kind {
    pub const USER: &str = "user";
    pub const INVITATION: &str = "invitation";
    pub const RESPONSE: &str = "response";
    pub const ASSESSMENT: &str = "assessment";
    pub const MECHANISM: &str = "mechanism";
    pub const ORGANIZATION: &str = "organization";
    pub const EMAIL: &str = "email";
    pub const SESSION: &str = "session";
}

/// What a write did, for its row: the action, the object, the assessment concerned and the
/// details (codes, counts and ids only: never an answer's value or a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub action: Action,
    pub kind: &'static str,
    pub id: String,
    pub assessment_id: Option<String>,
    pub details: String,
}

impl Written {
    pub fn new(action: Action, kind: &'static str, id: impl Into<String>) -> Written {
        Written {
            action,
            kind,
            id: id.into(),
            assessment_id: None,
            details: String::new(),
        }
    }

    pub fn in_assessment(self, assessment_id: impl Into<String>) -> Written {
        Written {
            assessment_id: Some(assessment_id.into()),
            ..self
        }
    }

    pub fn details(self, details: impl Into<String>) -> Written {
        Written {
            details: details.into(),
            ..self
        }
    }
}

/// Runs a write and records it in one transaction, so the row exists exactly when the write
/// does: `written` says from the write's result what was written, or `None` when nothing was
/// (a refusal, a conflict, a validation problem): then no row is written. An error of the write
/// or of the row rolls both back.
pub fn recorded<T>(
    conn: &mut DbConnection,
    actor: &Actor,
    now: NaiveDateTime,
    mut write: impl FnMut(&mut DbConnection) -> Result<T, AppError>,
    written: impl Fn(&T) -> Option<Written>,
) -> Result<T, AppError> {
    // `write` may run again when PostgreSQL asks for a retry (see `store::write`).
    crate::store::write(conn, |conn| {
        let result = write(conn)?;
        if let Some(w) = written(&result) {
            let object = Object {
                kind: Some(w.kind),
                id: Some(w.id.as_str()).filter(|id| !id.is_empty()),
                assessment_id: w.assessment_id.as_deref(),
            };
            record(conn, actor, w.action, object, &w.details, now)?;
        }
        Ok(result)
    })
}

/// The filter form as typed (GET parameters), before checking.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct FilterInput {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub assessment: String,
    #[serde(default)]
    pub page: String,
}

/// A filter that could not be used: the field and the translation key of the message.
pub type FilterProblems = Vec<(&'static str, &'static str)>;

/// Longest actor text accepted in the filter.
pub const MAX_ACTOR_FILTER: usize = 254;

fn parse_date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

/// Checks the filter form. Dates are whole local days in `zone` (the forum's zone, the one the
/// page writes its times in): `from` counts from the start of its day there, `to` up to its end.
/// Returns the filter and the page (1-based), or the problems.
pub fn parse_filter(input: &FilterInput, zone: Tz) -> Result<(AuditFilter, i64), FilterProblems> {
    let mut problems = FilterProblems::new();
    let mut filter = AuditFilter::default();
    let action = input.action.trim();
    if !action.is_empty() {
        match Action::parse(action) {
            Some(a) => filter.action = Some(a.key().to_owned()),
            None => problems.push(("action", "audit.filter.bad_action")),
        }
    }
    let actor = input.actor.trim();
    if actor.chars().count() > MAX_ACTOR_FILTER || actor.chars().any(char::is_control) {
        problems.push(("actor", "audit.filter.bad_actor"));
    } else if !actor.is_empty() {
        filter.actor = Some(actor.to_owned());
    }
    let from = input.from.trim();
    let mut first_day = None;
    if !from.is_empty() {
        match parse_date(from) {
            Some(d) => {
                first_day = Some(d);
                filter.from = Some(day_start_utc(d, zone));
            }
            None => problems.push(("from", "audit.filter.bad_date")),
        }
    }
    let to = input.to.trim();
    let mut last_day = None;
    if !to.is_empty() {
        match parse_date(to).and_then(|d| d.succ_opt().map(|next| (d, next))) {
            Some((d, next)) => {
                last_day = Some(d);
                filter.until = Some(day_start_utc(next, zone));
            }
            None => problems.push(("to", "audit.filter.bad_date")),
        }
    }
    if let (Some(first), Some(last)) = (first_day, last_day)
        && last < first
    {
        problems.push(("to", "audit.filter.to_before_from"));
    }
    let assessment = input.assessment.trim();
    if !assessment.is_empty() {
        if assessment.len() > 64
            || !assessment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            problems.push(("assessment", "audit.filter.bad_assessment"));
        } else {
            filter.assessment_id = Some(assessment.to_owned());
        }
    }
    let page = match input.page.trim() {
        "" => 1,
        raw => match raw.parse::<i64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => n,
            _ => {
                problems.push(("page", "audit.filter.bad_page"));
                1
            }
        },
    };
    if problems.is_empty() {
        Ok((filter, page))
    } else {
        Err(problems)
    }
}

/// One page of the log.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// The page `page` (1-based) of the rows matching `filter`, newest first.
pub fn page(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    page: i64,
) -> Result<AuditPage, AppError> {
    let total = rows::count(conn, filter)?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let entries = rows::list(conn, filter, (page - 1) * PAGE_SIZE, PAGE_SIZE)?;
    Ok(AuditPage {
        entries,
        total,
        page,
        pages,
    })
}

/// The audit log page: every assessment (for the filter's choice) and, when the filter is
/// valid, the page `page` of its rows (see [`page`]).
pub fn log_page(
    conn: &mut DbConnection,
    filter: Option<(AuditFilter, i64)>,
) -> Result<
    (
        Vec<crate::store::assessments::Assessment>,
        Option<AuditPage>,
    ),
    AppError,
> {
    let assessments = store::assessments::list(conn)?;
    let found = match filter {
        Some((filter, number)) => Some(page(conn, &filter, number)?),
        None => None,
    };
    Ok((assessments, found))
}

/// Records an export of an assessment (the file's name in the details) before it is served. An
/// unknown assessment is an error and writes nothing.
pub fn record_export(
    conn: &mut DbConnection,
    actor: &Actor,
    assessment_id: &str,
    file: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    store::write(conn, |conn| {
        store::assessments::find(conn, assessment_id)?;
        record(
            conn,
            actor,
            Action::Export,
            Object::new("assessment", assessment_id).in_assessment(assessment_id),
            file,
            now,
        )
    })
}

/// Every row matching `filter`, newest first (the CSV export); records the export itself in the
/// same transaction, after reading (so the export does not list itself).
pub fn export(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    zone: Tz,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Vec<AuditEntry>, AppError> {
    crate::store::write(conn, |conn| {
        let entries = rows::list(conn, filter, 0, i64::MAX)?;
        record(
            conn,
            actor,
            Action::AuditExported,
            Object::default(),
            &describe_filter(filter, zone),
            now,
        )?;
        Ok(entries)
    })
}

/// The filter in words for the details of an audit export, e.g. `action=login actor=ana`; the
/// dates are the local days typed (in `zone`).
pub fn describe_filter(filter: &AuditFilter, zone: Tz) -> String {
    let mut parts = Vec::new();
    if let Some(a) = &filter.action {
        parts.push(format!("action={a}"));
    }
    if let Some(a) = &filter.actor {
        parts.push(format!("actor={a}"));
    }
    if let Some(f) = filter.from {
        parts.push(format!("from={}", local_date(f, zone)));
    }
    if let Some(u) = filter.until {
        parts.push(format!("to={}", local_date(u, zone) - Duration::days(1)));
    }
    if let Some(a) = &filter.assessment_id {
        parts.push(format!("assessment={a}"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> FilterInput {
        let mut f = FilterInput::default();
        for (k, v) in pairs {
            let v = (*v).to_owned();
            match *k {
                "action" => f.action = v,
                "actor" => f.actor = v,
                "from" => f.from = v,
                "to" => f.to = v,
                "assessment" => f.assessment = v,
                "page" => f.page = v,
                _ => unreachable!(),
            }
        }
        f
    }

    #[test]
    fn action_keys_round_trip_and_are_unique() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.key()), Some(action));
        }
        let keys: std::collections::BTreeSet<_> = Action::ALL.iter().map(|a| a.key()).collect();
        assert_eq!(keys.len(), Action::ALL.len());
        assert_eq!(Action::parse("nope"), None);
    }

    #[test]
    fn an_empty_filter_selects_everything_on_page_one() {
        assert_eq!(
            parse_filter(&FilterInput::default(), chrono_tz::UTC),
            Ok((AuditFilter::default(), 1))
        );
    }

    #[test]
    fn dates_are_whole_days_and_to_includes_its_day() {
        let (filter, page) = parse_filter(
            &input(&[
                ("from", "2026-11-01"),
                ("to", "2026-11-01"),
                ("page", "3"),
                ("action", "login"),
                ("actor", " Ana "),
            ]),
            chrono_tz::UTC,
        )
        .unwrap();
        assert_eq!(page, 3);
        assert_eq!(filter.action.as_deref(), Some("login"));
        assert_eq!(filter.actor.as_deref(), Some("Ana"));
        assert_eq!(
            filter.from.unwrap().to_string(),
            "2026-11-01 00:00:00".to_owned()
        );
        assert_eq!(
            filter.until.unwrap().to_string(),
            "2026-11-02 00:00:00".to_owned()
        );
    }

    #[test]
    fn bad_values_are_reported_per_field() {
        let problems = parse_filter(
            &input(&[
                ("action", "drop table"),
                ("from", "yesterday"),
                ("to", "2026-13-40"),
                ("assessment", "x' OR 1=1"),
                ("page", "-1"),
                ("actor", "a\u{0}b"),
            ]),
            chrono_tz::UTC,
        )
        .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            vec!["action", "actor", "from", "to", "assessment", "page"]
        );
        let problems = parse_filter(
            &input(&[("from", "2026-11-02"), ("to", "2026-11-01")]),
            chrono_tz::UTC,
        )
        .unwrap_err();
        assert_eq!(problems, vec![("to", "audit.filter.to_before_from")]);
    }

    #[test]
    fn dates_are_whole_days_in_the_forum_zone() {
        let panama = chrono_tz::America::Panama;
        let (filter, _) = parse_filter(
            &input(&[("from", "2026-07-03"), ("to", "2026-07-03")]),
            panama,
        )
        .unwrap();
        // Panama is UTC-5 all year: 3 July there runs from 05:00 UTC to 05:00 UTC the next day.
        assert_eq!(filter.from.unwrap().to_string(), "2026-07-03 05:00:00");
        assert_eq!(filter.until.unwrap().to_string(), "2026-07-04 05:00:00");
        assert_eq!(
            describe_filter(&filter, panama),
            "from=2026-07-03 to=2026-07-03"
        );
        // A day with a clock change is still one day, not "to before from".
        let new_york = chrono_tz::America::New_York;
        let (filter, _) = parse_filter(
            &input(&[("from", "2026-03-08"), ("to", "2026-03-08")]),
            new_york,
        )
        .unwrap();
        assert_eq!(
            filter.until.unwrap() - filter.from.unwrap(),
            Duration::hours(23)
        );
    }

    #[test]
    fn long_texts_are_clipped_on_a_character_boundary() {
        assert_eq!(clip("ñandú", 3), "ñan");
        assert_eq!(clip("abc", 10), "abc");
    }
}
