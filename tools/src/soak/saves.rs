//! The soak's seeding, its plan of section saves, and the ledger of the saves the server
//! acknowledged, checked against the database; shared with the durability and reliability tests.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crate::seed::{self as bulk, MemberRow, OrganizationRow, ResponseRow};
use capacity_survey::domain::account::Role;
use capacity_survey::domain::answers::AnswerValue;
use capacity_survey::domain::instrument::{self, Instrument, SectionBody};
use capacity_survey::service::{accounts, instruments};
use capacity_survey::store::{self, DbConnection};

/// The password of every seeded representative.
pub const PASSWORD: &str = "soak password 2023";

/// One seeded representative and the response it answers alone.
#[derive(Debug, Clone)]
pub struct Seat {
    pub email: String,
    pub organization_id: String,
    pub response_id: String,
}

/// What [`seed`] made.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub assessment_id: String,
    pub seats: Vec<Seat>,
}

/// The email of the `i`th seeded representative.
pub fn representative_email(i: usize) -> String {
    format!("soak-rep-{i:04}@forum.example")
}

/// Seeds an open assessment of the forum instrument and `n` organizations, each with a draft
/// response and one representative (password [`PASSWORD`]), in one transaction.
pub fn seed(conn: &mut DbConnection, n: usize, now: NaiveDateTime) -> Result<Seeded, String> {
    instruments::install_bundled(conn, now)?;
    let forum = instrument::forum_instrument().map_err(|_| "the forum instrument does not load")?;
    // One hash for all: the same password, and 200 argon2 hashes would take seconds.
    let hash = accounts::hash_password(PASSWORD).map_err(|e| e.to_string())?;
    let today = now.date();
    let assessment_id = store::new_id();
    let seats: Vec<Seat> = (0..n)
        .map(|i| Seat {
            email: representative_email(i),
            organization_id: store::new_id(),
            response_id: store::new_id(),
        })
        .collect();
    let organizations: Vec<OrganizationRow> = seats
        .iter()
        .enumerate()
        .map(|(i, seat)| OrganizationRow {
            id: seat.organization_id.clone(),
            name: format!("Institución de carga {i:04}"),
            acronym: format!("SOAK{i:04}"),
            name_key: format!("institución de carga {i:04}"),
            acronym_key: format!("soak{i:04}"),
            sector: "statistics".to_owned(),
            contact_name: None,
            contact_email: None,
            created_at: now,
            updated_at: now,
        })
        .collect();
    let responses: Vec<ResponseRow> = seats
        .iter()
        .map(|seat| ResponseRow {
            id: seat.response_id.clone(),
            assessment_id: assessment_id.clone(),
            organization_id: seat.organization_id.clone(),
            status: "draft".to_owned(),
            first_opened_at: None,
            last_activity_at: None,
            submitted_at: None,
            created_at: now,
        })
        .collect();
    capacity_survey::store::write::<_, diesel::result::Error, _>(conn, |conn| {
        store::assessments::insert(
            conn,
            &store::assessments::NewAssessment {
                id: &assessment_id,
                title_es: "Evaluación de carga",
                title_en: "Load assessment",
                instrument_key: &forum.key,
                instrument_version: &forum.version,
                opens_on: today - chrono::Duration::days(1),
                closes_on: today + chrono::Duration::days(30),
                created_at: now,
                updated_at: now,
                show_national_averages: false,
                time_zone: capacity_survey::config::DEFAULT_TIME_ZONE,
                averages_min_peers: capacity_survey::domain::assessment::AVERAGES_MIN_PEERS_DEFAULT,
            },
        )?;
        bulk::organizations(conn, &organizations)?;
        bulk::responses(conn, &responses)?;
        let mut members = Vec::with_capacity(n);
        for (i, seat) in seats.iter().enumerate() {
            let user_id = store::new_id();
            store::users::insert(
                conn,
                &store::users::NewUser {
                    id: &user_id,
                    email: &seat.email,
                    name: &format!("Representante {i:04}"),
                    role: Role::Representative.as_str(),
                    password_hash: &hash,
                    created_at: now,
                },
            )?;
            members.push(MemberRow {
                response_id: seat.response_id.clone(),
                user_id,
                joined_at: now,
            });
        }
        bulk::members(conn, &members)
    })
    .map_err(|e| e.to_string())?;
    Ok(Seeded {
        assessment_id,
        seats,
    })
}

/// One section a client saves, and the maturity items it writes in it.
#[derive(Debug, Clone)]
pub struct SectionPlan {
    pub key: String,
    pub items: Vec<String>,
}

/// The sections the clients save: the first three sections with unconditional maturity items.
pub fn plan(instrument: &Instrument) -> Vec<SectionPlan> {
    instrument
        .sections
        .iter()
        .filter_map(|section| match &section.body {
            SectionBody::Items(items) => {
                let items: Vec<String> = items
                    .iter()
                    .filter(|i| i.is_maturity() && i.relevant_when.is_none())
                    .map(|i| i.key.clone())
                    .collect();
                (!items.is_empty()).then(|| SectionPlan {
                    key: section.key.clone(),
                    items,
                })
            }
            _ => None,
        })
        .take(3)
        .collect()
}

/// What one save writes: per item, the stored value and the evidence.
pub type Values = BTreeMap<String, (String, String)>;

/// What the database holds for a section's items: per item, the value and the evidence.
pub type StoredAnswers = BTreeMap<String, (String, Option<String>)>;

/// The values of save number `seq` of client `client` in a section: levels that change from
/// save to save, and evidence that names the save, so any stale row is told apart.
pub fn values(section: &SectionPlan, client: usize, seq: u64) -> Values {
    section
        .items
        .iter()
        .enumerate()
        .map(|(j, item)| {
            let level = ((client as u64).wrapping_mul(7) + seq + j as u64) % 5;
            (
                item.clone(),
                (
                    AnswerValue::Level(level as u8).encode(),
                    format!("carga {client}/{seq}/{j}"),
                ),
            )
        })
        .collect()
}

/// The urlencoded body of a section save at `version` (the CSRF token goes in a header).
pub fn save_body(version: i64, values: &Values) -> String {
    let mut pairs: Vec<(String, String)> = vec![
        ("version".into(), version.to_string()),
        ("action".into(), "save".into()),
    ];
    for (item, (value, evidence)) in values {
        pairs.push(("_items".into(), item.clone()));
        pairs.push((format!("v.{item}"), value.clone()));
        pairs.push((format!("e.{item}"), evidence.clone()));
    }
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

/// One save: the section version it produced and what it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Save {
    pub version: i64,
    pub values: Values,
}

/// What a client knows about one section: the last save the server acknowledged, and the last
/// one sent without an answer (the server may or may not have committed it).
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub acked: Option<Save>,
    pub pending: Option<Save>,
    /// Acknowledged saves.
    pub acks: u64,
}

/// How a section in the database compares with a client's ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The last acknowledged save is there.
    Acknowledged,
    /// A save sent without an answer was committed too (it is newer than the acknowledged one).
    PendingCommitted,
    /// Neither: an acknowledged save was lost or overwritten.
    Lost(String),
}

impl Ledger {
    /// Compares the section's stored version and answers (item -> value, evidence) with this
    /// ledger. Every client is the only writer of its section, so the stored version must be the
    /// acknowledged one, or one more when the unanswered save was committed, with its values.
    pub fn verdict(&self, stored_version: i64, stored: &StoredAnswers) -> Verdict {
        let matches = |save: &Save| {
            save.version == stored_version
                && save.values.iter().all(|(item, (value, evidence))| {
                    stored
                        .get(item)
                        .is_some_and(|(v, e)| v == value && e.as_deref() == Some(evidence.as_str()))
                })
        };
        match (&self.acked, &self.pending) {
            (Some(acked), _) if matches(acked) => Verdict::Acknowledged,
            (_, Some(pending)) if matches(pending) => Verdict::PendingCommitted,
            (None, _) if stored_version == 0 => Verdict::Acknowledged,
            (Some(acked), _) => Verdict::Lost(format!(
                "acknowledged version {} with {:?}, stored version {stored_version} with {:?}",
                acked.version, acked.values, stored
            )),
            (None, _) => Verdict::Lost(format!(
                "nothing acknowledged, but stored version {stored_version} with {stored:?}"
            )),
        }
    }
}

/// A section's stored version and the answers to the given items, read from the database.
pub fn stored_section(
    conn: &mut DbConnection,
    response_id: &str,
    section: &SectionPlan,
) -> Result<(i64, StoredAnswers), String> {
    let version = store::responses::section_version(conn, response_id, &section.key)
        .map_err(|e| e.to_string())?;
    let answers = store::responses::answers(conn, response_id)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|a| section.items.contains(&a.item_key))
        .map(|a| (a.item_key, (a.value, a.evidence)))
        .collect();
    Ok((version, answers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section() -> SectionPlan {
        SectionPlan {
            key: "legal".into(),
            items: vec!["legal.mandate".into(), "legal.sharing".into()],
        }
    }

    fn stored(save: &Save) -> StoredAnswers {
        save.values
            .iter()
            .map(|(k, (v, e))| (k.clone(), (v.clone(), Some(e.clone()))))
            .collect()
    }

    #[test]
    fn the_plan_takes_maturity_items_of_three_sections() {
        let forum = instrument::forum_instrument().unwrap();
        let plan = plan(&forum);
        assert_eq!(plan.len(), 3);
        assert!(plan.iter().all(|s| s.items.len() >= 2));
    }

    #[test]
    fn successive_saves_write_different_values() {
        let s = section();
        assert_ne!(values(&s, 3, 1), values(&s, 3, 2));
        assert_ne!(values(&s, 3, 1), values(&s, 4, 1));
        let body = save_body(7, &values(&s, 3, 1));
        assert!(body.starts_with("version=7&action=save&_items=legal.mandate"));
    }

    #[test]
    fn the_ledger_tells_kept_from_lost() {
        let s = section();
        let first = Save {
            version: 1,
            values: values(&s, 0, 1),
        };
        let second = Save {
            version: 2,
            values: values(&s, 0, 2),
        };
        let ledger = Ledger {
            acked: Some(first.clone()),
            pending: Some(second.clone()),
            acks: 1,
        };
        assert_eq!(ledger.verdict(1, &stored(&first)), Verdict::Acknowledged);
        assert_eq!(
            ledger.verdict(2, &stored(&second)),
            Verdict::PendingCommitted
        );
        // Right version, older values: overwritten.
        assert!(matches!(
            ledger.verdict(1, &stored(&second)),
            Verdict::Lost(_)
        ));
        // Nothing stored although a save was acknowledged: lost.
        assert!(matches!(
            ledger.verdict(0, &BTreeMap::new()),
            Verdict::Lost(_)
        ));
        // Nothing acknowledged and nothing stored: fine.
        assert_eq!(
            Ledger::default().verdict(0, &BTreeMap::new()),
            Verdict::Acknowledged
        );
    }
}
