//! The bench's synthetic assessment: the organizer and the representative, organizations with
//! full responses, mechanisms between them and due invitations, seeded by bulk inserts.

use chrono::NaiveDateTime;

use super::{ORGANIZER, PASSWORD, REPRESENTATIVE, REPRESENTED};
use crate::seed::{self as bulk, AnswerRow, MemberRow, OrganizationRow, ResponseRow};
use capacity_survey::domain::account::{EmailAddress, NewPassword, PersonName, Role};
use capacity_survey::domain::answers::AnswerValue;
use capacity_survey::domain::instrument::{self, Instrument, ItemKind, SectionBody, grid_cell_key};
use capacity_survey::service::{self, accounts, instruments};
use capacity_survey::store::mechanisms::Mechanism;
use capacity_survey::store::{self, DbConnection};

/// What the seed made that the measurements need.
pub(super) struct Seeded {
    pub(super) assessment: String,
    pub(super) response: String,
    /// The responses the representative answers for (the first is `response`).
    pub(super) members: Vec<String>,
}

/// A number from two indexes, spread enough to vary answers without a random generator.
fn mix(a: usize, b: usize) -> usize {
    let mut x = (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (b as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 32;
    (x % 1_000_003) as usize
}

/// A valid answer for an item, varied by organization.
fn synthetic_answer(
    instrument: &Instrument,
    item: &capacity_survey::domain::instrument::Item,
    org: usize,
    j: usize,
) -> Option<AnswerValue> {
    let r = mix(org, j);
    let options = |list: &str| {
        instrument
            .code_list(list)
            .map(|l| l.options.iter().map(|o| o.key.clone()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    Some(match &item.kind {
        ItemKind::Maturity { .. } => match r % 100 {
            0..=2 => AnswerValue::NotApplicable,
            3..=4 => AnswerValue::DontKnow,
            _ => AnswerValue::Level(((r / 7 + org % 3) % 5) as u8),
        },
        ItemKind::SingleChoice { list } => {
            let o = options(list);
            AnswerValue::Choice(o.get(r % o.len().max(1))?.clone())
        }
        ItemKind::MultipleChoice { list } => {
            let o = options(list);
            let mut chosen: Vec<String> = o
                .iter()
                .enumerate()
                .filter(|(k, _)| mix(r, *k).is_multiple_of(3))
                .map(|(_, v)| v.clone())
                .collect();
            if chosen.is_empty() {
                chosen.push(o.first()?.clone());
            }
            AnswerValue::Choices(chosen)
        }
        ItemKind::YesNo => AnswerValue::Bool(r.is_multiple_of(2)),
        ItemKind::Number { min, max, .. } => {
            let lo = min.unwrap_or(0.0);
            let hi = max.unwrap_or(lo + 100.0).min(lo + 100.0);
            AnswerValue::Number((lo + (r % 100) as f64 * (hi - lo) / 100.0).round())
        }
        ItemKind::Text { .. } => AnswerValue::Text(format!("Texto de prueba {org}-{j}")),
        ItemKind::Partner => return None,
    })
}

/// Seeds the organizer, a representative, `n` organizations with full responses (20 % drafts),
/// and 5 mechanisms each, in a few transactions of bulk inserts.
pub(super) fn seed(
    conn: &mut DbConnection,
    n: usize,
    now: NaiveDateTime,
) -> Result<Seeded, String> {
    instruments::install_bundled(conn, now)?;
    let forum = instrument::forum_instrument().map_err(|_| "the forum instrument does not load")?;
    let err = |e: diesel::result::Error| e.to_string();
    let password = NewPassword::parse(PASSWORD).map_err(|e| format!("{e:?}"))?;
    for (email, role) in [
        (ORGANIZER, Role::Organizer),
        (REPRESENTATIVE, Role::Representative),
    ] {
        let email = EmailAddress::parse(email).map_err(|e| format!("{e:?}"))?;
        let name = PersonName::parse("Bench").map_err(|e| format!("{e:?}"))?;
        match role {
            Role::Organizer => {
                accounts::create_organizer(conn, &email, &name, &password, false, None, now)
                    .map_err(|e| format!("{e:?}"))?;
            }
            Role::Representative => {
                let hash = accounts::hash_password(PASSWORD).map_err(|e| e.to_string())?;
                store::users::insert(
                    conn,
                    &store::users::NewUser {
                        id: &store::new_id(),
                        email: email.as_str(),
                        name: name.as_str(),
                        role: role.as_str(),
                        password_hash: &hash,
                        created_at: now,
                    },
                )
                .map_err(err)?;
            }
        }
    }
    let today = now.date();
    let assessment_id = store::new_id();
    store::assessments::insert(
        conn,
        &store::assessments::NewAssessment {
            id: &assessment_id,
            title_es: "Evaluación sintética",
            title_en: "Synthetic assessment",
            instrument_key: &forum.key,
            instrument_version: &forum.version,
            opens_on: today - chrono::Duration::days(10),
            closes_on: today + chrono::Duration::days(30),
            created_at: now,
            updated_at: now,
            show_national_averages: true,
            time_zone: capacity_survey::config::DEFAULT_TIME_ZONE,
            averages_min_peers: capacity_survey::domain::assessment::AVERAGES_MIN_PEERS_DEFAULT,
        },
    )
    .map_err(err)?;
    let sectors: Vec<String> = forum
        .code_list("sectors")
        .map(|l| l.options.iter().map(|o| o.key.clone()).collect())
        .unwrap_or_default();
    let org_ids: Vec<String> = (0..n).map(|_| store::new_id()).collect();
    let response_ids: Vec<String> = (0..n).map(|_| store::new_id()).collect();
    let orgs: Vec<OrganizationRow> = (0..n)
        .map(|i| OrganizationRow {
            id: org_ids[i].clone(),
            name: format!("Institución sintética {i:05}"),
            acronym: format!("ORG{i:05}"),
            name_key: format!("institución sintética {i:05}"),
            acronym_key: format!("org{i:05}"),
            sector: sectors
                .get(i % sectors.len().max(1))
                .cloned()
                .unwrap_or_default(),
            contact_name: Some(format!("Enlace {i}")),
            contact_email: Some(format!("enlace{i}@example.org")),
            created_at: now,
            updated_at: now,
        })
        .collect();
    let responses: Vec<ResponseRow> = (0..n)
        .map(|i| {
            let submitted = !i.is_multiple_of(5);
            ResponseRow {
                id: response_ids[i].clone(),
                assessment_id: assessment_id.clone(),
                organization_id: org_ids[i].clone(),
                status: if submitted { "submitted" } else { "draft" }.to_owned(),
                first_opened_at: Some(now),
                last_activity_at: Some(now),
                submitted_at: submitted.then_some(now),
                created_at: now,
            }
        })
        .collect();
    capacity_survey::store::write::<_, diesel::result::Error, _>(conn, |conn| {
        bulk::organizations(conn, &orgs)?;
        bulk::responses(conn, &responses)
    })
    .map_err(err)?;
    let rep = store::users::find_by_email(conn, REPRESENTATIVE)
        .map_err(err)?
        .ok_or("the representative was not created")?;
    // The representative answers for several organizations, so that the HTTP load can have
    // many savers each saving its own response with one login.
    // Drafts only (every fifth organization): a submitted response takes no more saves.
    let members: Vec<String> = response_ids
        .iter()
        .step_by(5)
        .take(REPRESENTED)
        .cloned()
        .collect();
    let member_rows: Vec<MemberRow> = members
        .iter()
        .map(|id| MemberRow {
            response_id: id.clone(),
            user_id: rep.id.clone(),
            joined_at: now,
        })
        .collect();
    bulk::members(conn, &member_rows).map_err(err)?;

    // Answers, a few thousand organizations per transaction.
    let mut slots: Vec<(
        String,
        &capacity_survey::domain::instrument::Item,
        Option<&str>,
    )> = Vec::new();
    for section in &forum.sections {
        match &section.body {
            SectionBody::Items(items) => {
                slots.extend(
                    items
                        .iter()
                        .filter(|i| i.relevant_when.is_none())
                        .map(|i| (i.key.clone(), i, None)),
                );
            }
            SectionBody::DomainGrid(grid) => {
                if let Some(list) = forum.code_list(&grid.list) {
                    for d in &list.options {
                        for c in &grid.columns {
                            slots.push((
                                grid_cell_key(&section.key, &d.key, &c.key),
                                c,
                                Some(d.key.as_str()),
                            ));
                        }
                    }
                }
            }
            SectionBody::Mechanisms(_) => {}
        }
    }
    for chunk in (0..n).collect::<Vec<_>>().chunks(2000) {
        let mut rows = Vec::with_capacity(chunk.len() * slots.len());
        for &i in chunk {
            for (j, (key, item, _)) in slots.iter().enumerate() {
                // In the grid, only "collects" and "needed" are always answered; the rest follow.
                if let Some(value) = synthetic_answer(&forum, item, i, j) {
                    rows.push(AnswerRow {
                        response_id: response_ids[i].clone(),
                        item_key: key.clone(),
                        value: value.encode(),
                        evidence: (item.is_maturity() && mix(i, j).is_multiple_of(10))
                            .then(|| format!("Documento {i}-{j}")),
                        updated_at: now,
                    });
                }
            }
        }
        capacity_survey::store::write(conn, |conn| bulk::answers(conn, &rows)).map_err(err)?;
    }

    // Five mechanisms per organization; partners chosen so that many flows are reported by both.
    let directions = ["provide", "receive", "both"];
    let statuses = ["active", "active", "planned", "feasible", "suspended"];
    let domains: Vec<String> = forum
        .code_list("domains")
        .map(|l| l.options.iter().map(|o| o.key.clone()).collect())
        .unwrap_or_default();
    let mut mechanisms = Vec::with_capacity(n * 5);
    for i in 0..n {
        for k in 0..5 {
            let partner = (i + [1, n.saturating_sub(1), 7, 13, 31][k]) % n.max(1);
            let outside = k == 4 && i.is_multiple_of(3);
            mechanisms.push(Mechanism {
                id: store::new_id(),
                response_id: response_ids[i].clone(),
                version: 1,
                name: format!("Intercambio {i}-{k}"),
                description: None,
                partner_organization_id: (!outside && partner != i)
                    .then(|| org_ids[partner].clone()),
                partner_name: outside.then(|| "Organismo externo".to_owned()),
                direction: Some(directions[(i + k) % 3].to_owned()),
                domains: Some(
                    [
                        domains.get(k % domains.len().max(1)),
                        domains.get((k * 3 + i) % domains.len().max(1)),
                    ]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("|"),
                ),
                level: Some("aggregates".into()),
                legal_basis: Some("agreement".into()),
                legal_reference: None,
                channel: Some("email".into()),
                format: Some("csv".into()),
                frequency: Some("monthly".into()),
                delay_days: Some((i % 60) as i64),
                disaggregations: Some("sex|age".into()),
                personal_data: Some(i.is_multiple_of(2)),
                protection: None,
                status: Some(statuses[(i + k) % statuses.len()].to_owned()),
                problems: None,
                created_at: now,
                updated_at: now,
                updated_by: None,
            });
        }
    }
    capacity_survey::store::write(conn, |conn| bulk::mechanisms(conn, &mechanisms)).map_err(err)?;
    // Drafts were invited eight days ago, so the reminder scheduler finds them due.
    let invited = now - chrono::Duration::days(8);
    capacity_survey::store::write::<_, diesel::result::Error, _>(conn, |conn| {
        for i in (0..n).filter(|i| i.is_multiple_of(5)) {
            store::invitations::insert(
                conn,
                &store::invitations::NewInvitation {
                    id: &store::new_id(),
                    response_id: &response_ids[i],
                    email: &format!("enlace{i}@example.org"),
                    name: &format!("Enlace {i}"),
                    lang: "es",
                    token_hash: &store::new_id(),
                    created_at: invited,
                    created_by: None,
                    expires_at: now + chrono::Duration::days(30),
                },
            )?;
        }
        Ok(())
    })
    .map_err(err)?;
    // The scores a save would have stored with each response's answers.
    service::analysis::fill_missing_scores(conn, &forum, &assessment_id)
        .map_err(|e| e.to_string())?;
    Ok(Seeded {
        assessment: assessment_id,
        response: response_ids[0].clone(),
        members,
    })
}
