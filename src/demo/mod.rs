//! The Panama demo forum (Foro de Estadísticas Migratorias 2023): sixteen institutions, their
//! responses to the forum instrument and about thirty exchange mechanisms, loaded in one
//! transaction and idempotent, so that a new installation shows a capacity matrix, an inventory,
//! reconciled exchanges and gaps at once.
//!
//! Figures and levels are invented but plausible (orders of magnitude from public reporting);
//! every value is fixed, so two loads always give the same forum. Dates are historical (July
//! 2023): the assessment is closed, and drafts stay drafts. The data lives in `forum.toml`
//! (read by [`data`]); this module loads it through the service and store layers.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::account::Role;
use crate::domain::answers::AnswerValue;
use crate::domain::assessment::{AssessmentInput, parse_assessment};
use crate::domain::instrument::{Instrument, forum_instrument, grid_cell_key};
use crate::domain::organization::{OrganizationInput, normalize_key, parse_organization};
use crate::error::AppError;
use crate::service::{accounts, assessments, instruments, invitations, organizations};
use crate::store::mechanisms::{self as mechanism_rows, Mechanism};
use crate::store::responses::{self as response_rows, Response};
use crate::store::users::{self, NewUser};
use crate::store::{self, DbConnection};

mod data;

use data::{Exchange, Org, Partner, Stage};

/// The demo organizer's email.
pub const ORGANIZER_EMAIL: &str = "demo@forum.example";
/// The demo organizer's name.
pub const ORGANIZER_NAME: &str = "Organizador de demostración";
/// The password of every demo account (the organizer and each institution's representative).
pub const PASSWORD: &str = "demo-forum-2023";
/// The assessment's title in Spanish; the demo finds its assessment by it.
pub const ASSESSMENT_TITLE_ES: &str = "Foro de Estadísticas Migratorias 2023";
/// The assessment's title in English.
pub const ASSESSMENT_TITLE_EN: &str = "Migration Statistics Forum 2023";
const OPENS_ON: &str = "2023-07-03";
const CLOSES_ON: &str = "2023-07-28";

/// What the demo forum holds after a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Demo organizations registered.
    pub organizations: usize,
    /// Their responses in the demo assessment.
    pub responses: usize,
    /// Demo mechanism entries across those responses.
    pub mechanisms: usize,
    /// Whether this load added anything (false: the demo was already there).
    pub created: bool,
}

/// Loads the demo forum into the database, adding only what is missing: the organizer by email,
/// organizations by acronym (or name), the assessment by its Spanish title, one response per
/// organization, its answers when the response has none yet, and mechanisms by name.
pub fn load(conn: &mut DbConnection, now: NaiveDateTime) -> Result<DemoSummary, AppError> {
    let instrument = forum_instrument().map_err(|problems| {
        AppError::Internal(format!(
            "the bundled forum instrument does not load: {} problem(s)",
            problems.len()
        ))
    })?;
    let forum = data::forum()?;
    // Slow on purpose (argon2), so once for every demo account and outside the transaction.
    let password_hash = accounts::hash_password(PASSWORD)?;
    crate::store::write::<_, AppError, _>(conn, |conn| {
        instruments::install_bundled(conn, now).map_err(AppError::Internal)?;
        let mut loader = Loader {
            forum,
            instrument: &instrument,
            password_hash: &password_hash,
            now,
            created: false,
            written: Vec::new(),
        };
        loader.ensure_organizer(conn)?;
        let org_ids = loader.ensure_organizations(conn)?;
        let assessment_id = loader.ensure_assessment(conn)?;
        let mut responses = BTreeMap::new();
        for (index, org) in forum.organizations.iter().enumerate() {
            let organization_id = org_id(&org_ids, &org.acronym)?;
            let (response, user_id) =
                loader.ensure_response(conn, &assessment_id, organization_id, index, org)?;
            responses.insert(org.acronym.as_str(), (response, user_id));
        }
        let mut mechanisms = 0;
        for entry in &forum.mechanisms {
            let (response, user_id) = responses.get(entry.reporter.as_str()).ok_or_else(|| {
                AppError::internal(format!("unknown reporter {}", entry.reporter))
            })?;
            loader.ensure_mechanism(conn, &org_ids, response, user_id, entry)?;
            mechanisms += 1;
        }
        // Submit last, so that the mechanisms are in before the response becomes read-only.
        for (index, org) in forum.organizations.iter().enumerate() {
            if let (Some((response, user_id)), Stage::Submitted { day }) =
                (responses.get(org.acronym.as_str()), org.stage)
                && response.status == response_rows::STATUS_DRAFT
                && loader.written.contains(&response.id)
            {
                let at = at(day, 15 + (index as u32 % 6));
                response_rows::submit(conn, &response.id, user_id, at)?;
            }
        }
        Ok(DemoSummary {
            organizations: org_ids.len(),
            responses: responses.len(),
            mechanisms,
            created: loader.created,
        })
    })
}

/// The representative account of each demo organization: (acronym, email).
pub fn representatives() -> impl Iterator<Item = (&'static str, &'static str)> {
    data::forum().ok().into_iter().flat_map(|forum| {
        forum
            .organizations
            .iter()
            .map(|org| (org.acronym.as_str(), org.login.as_str()))
    })
}

struct Loader<'a> {
    forum: &'static data::Forum,
    instrument: &'a Instrument,
    password_hash: &'a str,
    now: NaiveDateTime,
    created: bool,
    /// Responses whose answers this load wrote; only those are submitted by it.
    written: Vec<String>,
}

impl Loader<'_> {
    fn ensure_organizer(&mut self, conn: &mut DbConnection) -> Result<(), AppError> {
        self.ensure_user(conn, ORGANIZER_EMAIL, ORGANIZER_NAME, Role::Organizer)
            .map(|_| ())
    }

    /// The id of the account with `email`, created with the demo password when missing.
    fn ensure_user(
        &mut self,
        conn: &mut DbConnection,
        email: &str,
        name: &str,
        role: Role,
    ) -> Result<String, AppError> {
        if let Some(user) = users::find_by_email(conn, email)? {
            return Ok(user.id);
        }
        let id = store::new_id();
        users::insert(
            conn,
            &NewUser {
                id: &id,
                email,
                name,
                role: role.as_str(),
                password_hash: self.password_hash,
                created_at: self.now,
            },
        )?;
        self.created = true;
        Ok(id)
    }

    /// Registers the demo organizations that are missing; returns every demo organization's id
    /// by acronym.
    fn ensure_organizations(
        &mut self,
        conn: &mut DbConnection,
    ) -> Result<BTreeMap<&'static str, String>, AppError> {
        let sectors = organizations::sectors(self.instrument);
        let mut ids = BTreeMap::new();
        for org in &self.forum.organizations {
            let input = OrganizationInput {
                name: org.name.to_owned(),
                acronym: org.acronym.to_owned(),
                sector: org.sector.to_owned(),
                contact_name: org.contact.to_owned(),
                contact_email: org.contact_email.to_owned(),
            };
            let draft = parse_organization(&input, &sectors).map_err(|problems| {
                AppError::internal(format!("demo organization {}: {problems:?}", org.acronym))
            })?;
            let (name_key, acronym_key) = (draft.name_key(), draft.acronym_key());
            let existing = store::organizations::keys(conn)?
                .into_iter()
                .find(|(_, name, acronym)| *acronym == acronym_key || *name == name_key)
                .map(|(id, _, _)| id);
            let id = match existing {
                Some(id) => id,
                None => {
                    self.created = true;
                    organizations::create(conn, &draft, self.now).map_err(|e| match e {
                        organizations::SaveError::Duplicate(fields) => AppError::internal(format!(
                            "demo organization {}: duplicate {fields:?}",
                            org.acronym
                        )),
                        organizations::SaveError::Other(e) => e,
                    })?
                }
            };
            ids.insert(org.acronym.as_str(), id);
        }
        Ok(ids)
    }

    /// The demo assessment (found by its Spanish title), created pinned to the bundled
    /// instrument when missing.
    fn ensure_assessment(&mut self, conn: &mut DbConnection) -> Result<String, AppError> {
        let wanted = normalize_key(ASSESSMENT_TITLE_ES);
        if let Some(found) = store::assessments::list(conn)?
            .into_iter()
            .find(|a| normalize_key(&a.title_es) == wanted)
        {
            if found.instrument_key != self.instrument.key
                || found.instrument_version != self.instrument.version
            {
                return Err(AppError::internal(format!(
                    "an assessment titled {ASSESSMENT_TITLE_ES:?} already uses instrument {} {}; \
                     the demo needs {} {}",
                    found.instrument_key,
                    found.instrument_version,
                    self.instrument.key,
                    self.instrument.version
                )));
            }
            return Ok(found.id);
        }
        let draft = parse_assessment(&AssessmentInput {
            title_es: ASSESSMENT_TITLE_ES.to_owned(),
            title_en: ASSESSMENT_TITLE_EN.to_owned(),
            opens_on: OPENS_ON.to_owned(),
            closes_on: CLOSES_ON.to_owned(),
            time_zone: crate::config::DEFAULT_TIME_ZONE.to_owned(),
            averages_min_peers: crate::domain::assessment::AVERAGES_MIN_PEERS_DEFAULT.to_string(),
            ..AssessmentInput::default()
        })
        .map_err(|problems| AppError::internal(format!("demo assessment: {problems:?}")))?;
        self.created = true;
        // Set up a week before the forum opened.
        let created_at = NaiveDate::from_ymd_opt(2023, 6, 26)
            .and_then(|d| d.and_hms_opt(14, 0, 0))
            .unwrap_or(self.now);
        assessments::create(
            conn,
            &draft,
            (&self.instrument.key, &self.instrument.version),
            created_at,
        )
        .map_err(|e| match e {
            assessments::SaveError::Other(e) => e,
            other => AppError::internal(format!("demo assessment: {other:?}")),
        })
    }

    /// The organization's response with its representative as a member; answers are written
    /// only into a response that has none yet (never over someone's work).
    fn ensure_response(
        &mut self,
        conn: &mut DbConnection,
        assessment_id: &str,
        organization_id: &str,
        index: usize,
        org: &Org,
    ) -> Result<(Response, String), AppError> {
        let opened = at(3 + (index as u32 % 5), 14 + (index as u32 % 4));
        let invited = at(3, 13);
        if response_rows::find_for(conn, assessment_id, organization_id)?.is_none() {
            self.created = true;
        }
        let response = invitations::ensure_response(conn, assessment_id, organization_id, invited)?;
        let user_id = self.ensure_user(conn, &org.login, &org.contact, Role::Representative)?;
        if !response_rows::is_member(conn, &response.id, &user_id)? {
            self.created = true;
            response_rows::add_member(conn, &response.id, &user_id, opened)?;
        }
        let untouched = response_rows::answers(conn, &response.id)?.is_empty()
            && response_rows::section_versions(conn, &response.id)?.is_empty();
        if untouched {
            self.created = true;
            let last = match org.stage {
                Stage::Submitted { day } => at(day, 14 + (index as u32 % 6)),
                Stage::Draft { day, .. } => at(day, 16),
            };
            response_rows::touch_opened(conn, &response.id, opened)?;
            self.write_answers(conn, &response.id, &user_id, index, org, last)?;
            response_rows::touch_activity(conn, &response.id, last)?;
            self.written.push(response.id.clone());
        }
        Ok((response_rows::find(conn, &response.id)?, user_id))
    }

    fn write_answers(
        &self,
        conn: &mut DbConnection,
        response_id: &str,
        user_id: &str,
        index: usize,
        org: &Org,
        at: NaiveDateTime,
    ) -> Result<(), AppError> {
        let (dimensions_answered, grid_answered) = match org.stage {
            Stage::Submitted { .. } => (usize::MAX, true),
            Stage::Draft {
                dimensions, grid, ..
            } => (dimensions, grid),
        };
        let put = |conn: &mut DbConnection,
                   key: &str,
                   value: AnswerValue,
                   evidence: Option<&str>|
         -> Result<(), AppError> {
            Ok(response_rows::put_answer(
                conn,
                response_id,
                key,
                &value.encode(),
                evidence,
                user_id,
                at,
            )?)
        };
        let mut sections: Vec<String> = Vec::new();

        // Part D: about the institution.
        let text = |s: &str| AnswerValue::Text(s.to_owned());
        put(
            conn,
            "about.sector",
            AnswerValue::Choice(org.sector.clone()),
            None,
        )?;
        if let Some(other) = &org.sector_other {
            put(conn, "about.sector_other", text(other), None)?;
        }
        put(conn, "about.focal_point_name", text(&org.contact), None)?;
        put(
            conn,
            "about.focal_point_position",
            text(&org.position),
            None,
        )?;
        put(
            conn,
            "about.focal_point_email",
            text(&org.contact_email),
            None,
        )?;
        put(conn, "about.units", text(&org.units), None)?;
        put(
            conn,
            "about.staff",
            AnswerValue::Number(org.staff.into()),
            None,
        )?;
        put(conn, "about.priorities", text(&org.priorities), None)?;
        sections.push("about".to_owned());

        // Part A: maturity levels by dimension.
        let mut item_index = 0usize;
        for (dimension_index, section) in self.instrument.dimensions().enumerate() {
            let answered = dimension_index < dimensions_answered;
            let base = self
                .forum
                .dimensions
                .iter()
                .position(|key| *key == section.key)
                .map_or(2, |i| org.levels[i]);
            for item in section.items().iter().filter(|item| item.is_maturity()) {
                item_index += 1;
                if !answered {
                    continue;
                }
                let value = match special(self.forum, &org.acronym, &item.key) {
                    Some(value) => value,
                    None => AnswerValue::Level(level(base, index, item_index)),
                };
                put(
                    conn,
                    &item.key,
                    value,
                    evidence(self.forum, &org.acronym, &item.key),
                )?;
            }
            if answered {
                sections.push(section.key.clone());
            }
        }

        // Part B: the data-domain grid.
        if grid_answered && let Some((section, grid)) = self.instrument.grid() {
            let domains: Vec<String> = self
                .instrument
                .code_list(&grid.list)
                .map(|list| list.options.iter().map(|o| o.key.clone()).collect())
                .unwrap_or_default();
            for domain in &domains {
                let cell = |column: &str| grid_cell_key(&section.key, domain, column);
                let produced = org.produces.iter().find(|p| p.domain == *domain);
                let needed = org.needs.contains(domain);
                match produced {
                    Some(p) => {
                        put(conn, &cell("collects"), choice(&p.collects), None)?;
                        put(conn, &cell("source"), choices(&p.sources), None)?;
                        if !p.disaggregations.is_empty() {
                            put(
                                conn,
                                &cell("disaggregations"),
                                choices(&p.disaggregations),
                                None,
                            )?;
                        }
                        put(conn, &cell("frequency"), choice(&p.frequency), None)?;
                        put(
                            conn,
                            &cell("published"),
                            AnswerValue::Bool(p.published),
                            None,
                        )?;
                    }
                    None => put(conn, &cell("collects"), choice("no"), None)?,
                }
                put(conn, &cell("needed"), AnswerValue::Bool(needed), None)?;
            }
            sections.push(section.key.clone());
        }

        for section in sections {
            response_rows::bump_section_version(conn, response_id, &section, 0, user_id, at)?;
        }
        Ok(())
    }

    /// Adds a mechanism entry unless the response already has one with the same name.
    fn ensure_mechanism(
        &mut self,
        conn: &mut DbConnection,
        org_ids: &BTreeMap<&'static str, String>,
        response: &Response,
        user_id: &str,
        entry: &Exchange,
    ) -> Result<(), AppError> {
        let exists = mechanism_rows::list_for_response(conn, &response.id)?
            .iter()
            .any(|m| normalize_key(&m.name) == normalize_key(&entry.name));
        if exists {
            return Ok(());
        }
        let (partner_organization_id, partner_name) = match &entry.partner {
            Partner::Forum(acronym) => (Some(org_id(org_ids, acronym)?.clone()), None),
            Partner::Outside(name) => (None, Some(name.clone())),
        };
        let joined = |list: &[String]| (!list.is_empty()).then(|| list.join("|"));
        let legal_reference = matches!(entry.legal_basis.as_str(), "law" | "decree" | "agreement")
            .then(|| entry.legal_reference.clone())
            .flatten();
        let created_at = at(entry.day, 17);
        self.created = true;
        mechanism_rows::insert(
            conn,
            &Mechanism {
                id: store::new_id(),
                response_id: response.id.clone(),
                version: 1,
                name: entry.name.clone(),
                description: Some(entry.description.clone()),
                partner_organization_id,
                partner_name,
                direction: Some(entry.direction.clone()),
                domains: joined(&entry.domains),
                level: Some(entry.level.clone()),
                legal_basis: Some(entry.legal_basis.clone()),
                legal_reference,
                channel: Some(entry.channel.clone()),
                format: Some(entry.format.clone()),
                frequency: Some(entry.frequency.clone()),
                delay_days: Some(entry.delay_days),
                disaggregations: joined(&entry.disaggregations),
                personal_data: Some(!entry.protection.is_empty()),
                protection: joined(&entry.protection),
                status: Some(entry.status.clone()),
                problems: entry.problems.clone(),
                created_at,
                updated_at: created_at,
                updated_by: Some(user_id.to_owned()),
            },
        )?;
        Ok(())
    }
}

fn org_id<'m>(
    ids: &'m BTreeMap<&'static str, String>,
    acronym: &str,
) -> Result<&'m String, AppError> {
    ids.get(acronym)
        .ok_or_else(|| AppError::internal(format!("unknown demo organization {acronym}")))
}

/// A time in July 2023, in UTC (Panama is UTC-5: 14:00 is 9 in the morning there).
fn at(day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2023, 7, day.clamp(1, 31))
        .and_then(|d| d.and_hms_opt(hour.min(23), (day * 7 + hour * 13) % 60, 0))
        .unwrap_or_default()
}

fn choice(key: &str) -> AnswerValue {
    AnswerValue::Choice(key.to_owned())
}

fn choices(keys: &[String]) -> AnswerValue {
    AnswerValue::Choices(keys.to_vec())
}

/// An institution's level for one item: its level in the dimension, moved one up or down by a
/// fixed pattern so that items within a dimension differ.
fn level(base: u8, org_index: usize, item_index: usize) -> u8 {
    const SHIFT: [i8; 9] = [0, 1, -1, 0, 0, -1, 1, 0, 0];
    let shift = SHIFT[(org_index * 5 + item_index * 3) % SHIFT.len()];
    (i16::from(base) + i16::from(shift)).clamp(0, 4) as u8
}

fn special(forum: &data::Forum, acronym: &str, item: &str) -> Option<AnswerValue> {
    forum
        .not_levels
        .iter()
        .find(|n| n.acronym == acronym && n.item == item)
        .map(|n| {
            if n.dont_know {
                AnswerValue::DontKnow
            } else {
                AnswerValue::NotApplicable
            }
        })
}

fn evidence<'f>(forum: &'f data::Forum, acronym: &str, item: &str) -> Option<&'f str> {
    forum
        .evidence
        .iter()
        .find(|e| e.acronym == acronym && e.item == item)
        .map(|e| e.text.as_str())
}
