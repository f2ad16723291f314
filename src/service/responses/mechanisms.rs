//! A response's mechanism entries: their values as answers, the partners they may name, and
//! adding, changing and removing them.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::ResponseContext;
use crate::domain::answers::{AnswerValue, PartnerRef};
use crate::error::AppError;
use crate::service::audit::{self, Action, Written};
use crate::store::mechanisms::{self as mechanism_rows, Mechanism};
use crate::store::organizations::Organization;
use crate::store::responses as rows;
use crate::store::{self, DbConnection};

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
/// is still at `expected_version`. A saved entry gets an audit row in the same transaction.
#[allow(clippy::too_many_arguments)]
pub fn save_mechanism(
    conn: &mut DbConnection,
    ctx: &ResponseContext,
    id: Option<&str>,
    expected_version: i64,
    values: &BTreeMap<String, AnswerValue>,
    user_id: &str,
    by: &audit::Actor,
    now: NaiveDateTime,
) -> Result<MechanismOutcome, AppError> {
    let action = match id {
        None => Action::MechanismCreated,
        Some(_) => Action::MechanismUpdated,
    };
    let (response_id, assessment_id) = (&ctx.response.id, &ctx.assessment.id);
    let row = |o: &MechanismOutcome| match o {
        MechanismOutcome::Saved { id } => Some(
            Written::new(action, audit::kind::MECHANISM, id)
                .in_assessment(assessment_id)
                .details(format!("response={response_id}")),
        ),
        MechanismOutcome::Conflict { .. } => None,
    };
    let write = |conn: &mut DbConnection| {
        write_mechanism(conn, ctx, id, expected_version, values, user_id, now)
    };
    audit::recorded(conn, by, now, write, row)
}

fn write_mechanism(
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
        rows::touch_opened(conn, &ctx.response.id, now)?;
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

/// Removes a mechanism entry; false when it was not there. A removal gets an audit row in the
/// same transaction.
pub fn delete_mechanism(
    conn: &mut DbConnection,
    ctx: &ResponseContext,
    id: &str,
    by: &audit::Actor,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let (response_id, assessment_id) = (&ctx.response.id, &ctx.assessment.id);
    let row = |deleted: &bool| {
        deleted.then(|| {
            Written::new(Action::MechanismDeleted, audit::kind::MECHANISM, id)
                .in_assessment(assessment_id)
                .details(format!("response={response_id}"))
        })
    };
    let write = |conn: &mut DbConnection| {
        crate::store::write(conn, |conn| {
            let deleted = mechanism_rows::delete(conn, &ctx.response.id, id)?;
            rows::touch_activity(conn, &ctx.response.id, now)?;
            Ok(deleted)
        })
    };
    audit::recorded(conn, by, now, write, row)
}
