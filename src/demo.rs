//! The Panama demo forum (Foro de Estadísticas Migratorias 2023): sixteen institutions, their
//! responses to the forum instrument and about thirty exchange mechanisms, loaded in one
//! transaction and idempotent, so that a new installation shows a capacity matrix, an inventory,
//! reconciled exchanges and gaps at once.
//!
//! Figures and levels are invented but plausible (orders of magnitude from public reporting);
//! every value is fixed, so two loads always give the same forum. Dates are historical (July
//! 2023): the assessment is closed, and drafts stay drafts.

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
    // Slow on purpose (argon2), so once for every demo account and outside the transaction.
    let password_hash = accounts::hash_password(PASSWORD)?;
    crate::store::write::<_, AppError, _>(conn, |conn| {
        instruments::install_bundled(conn, now).map_err(AppError::Internal)?;
        let mut loader = Loader {
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
        for (index, org) in ORGANIZATIONS.iter().enumerate() {
            let organization_id = org_id(&org_ids, org.acronym)?;
            let (response, user_id) =
                loader.ensure_response(conn, &assessment_id, organization_id, index, org)?;
            responses.insert(org.acronym, (response, user_id));
        }
        let mut mechanisms = 0;
        for entry in MECHANISMS {
            let (response, user_id) = responses.get(entry.reporter).ok_or_else(|| {
                AppError::internal(format!("unknown reporter {}", entry.reporter))
            })?;
            loader.ensure_mechanism(conn, &org_ids, response, user_id, entry)?;
            mechanisms += 1;
        }
        // Submit last, so that the mechanisms are in before the response becomes read-only.
        for (index, org) in ORGANIZATIONS.iter().enumerate() {
            if let (Some((response, user_id)), Stage::Submitted { day }) =
                (responses.get(org.acronym), org.stage)
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
    ORGANIZATIONS.iter().map(|org| (org.acronym, org.login))
}

struct Loader<'a> {
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
        for org in ORGANIZATIONS {
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
            ids.insert(org.acronym, id);
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
        let user_id = self.ensure_user(conn, org.login, org.contact, Role::Representative)?;
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
            AnswerValue::Choice(org.sector.into()),
            None,
        )?;
        if let Some(other) = org.sector_other {
            put(conn, "about.sector_other", text(other), None)?;
        }
        put(conn, "about.focal_point_name", text(org.contact), None)?;
        put(conn, "about.focal_point_position", text(org.position), None)?;
        put(
            conn,
            "about.focal_point_email",
            text(org.contact_email),
            None,
        )?;
        put(conn, "about.units", text(org.units), None)?;
        put(
            conn,
            "about.staff",
            AnswerValue::Number(org.staff.into()),
            None,
        )?;
        put(conn, "about.priorities", text(org.priorities), None)?;
        sections.push("about".to_owned());

        // Part A: maturity levels by dimension.
        let mut item_index = 0usize;
        for (dimension_index, section) in self.instrument.dimensions().enumerate() {
            let answered = dimension_index < dimensions_answered;
            let base = DIMENSIONS
                .iter()
                .position(|key| *key == section.key)
                .map_or(2, |i| org.levels[i]);
            for item in section.items().iter().filter(|item| item.is_maturity()) {
                item_index += 1;
                if !answered {
                    continue;
                }
                let value = match special(org.acronym, &item.key) {
                    Some(value) => value,
                    None => AnswerValue::Level(level(base, index, item_index)),
                };
                put(conn, &item.key, value, evidence(org.acronym, &item.key))?;
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
                let produced = org.produces.iter().find(|p| p.domain == domain);
                let needed = org.needs.contains(&domain.as_str());
                match produced {
                    Some(p) => {
                        put(conn, &cell("collects"), choice(p.collects), None)?;
                        put(conn, &cell("source"), choices(p.sources), None)?;
                        if !p.disaggregations.is_empty() {
                            put(
                                conn,
                                &cell("disaggregations"),
                                choices(p.disaggregations),
                                None,
                            )?;
                        }
                        put(conn, &cell("frequency"), choice(p.frequency), None)?;
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
            .any(|m| normalize_key(&m.name) == normalize_key(entry.name));
        if exists {
            return Ok(());
        }
        let (partner_organization_id, partner_name) = match entry.partner {
            Partner::Forum(acronym) => (Some(org_id(org_ids, acronym)?.clone()), None),
            Partner::Outside(name) => (None, Some(name.to_owned())),
        };
        let joined = |list: &[&str]| (!list.is_empty()).then(|| list.join("|"));
        let legal_reference = matches!(entry.legal_basis, "law" | "decree" | "agreement")
            .then_some(entry.legal_reference)
            .flatten()
            .map(str::to_owned);
        let created_at = at(entry.day, 17);
        self.created = true;
        mechanism_rows::insert(
            conn,
            &Mechanism {
                id: store::new_id(),
                response_id: response.id.clone(),
                version: 1,
                name: entry.name.to_owned(),
                description: Some(entry.description.to_owned()),
                partner_organization_id,
                partner_name,
                direction: Some(entry.direction.to_owned()),
                domains: joined(entry.domains),
                level: Some(entry.level.to_owned()),
                legal_basis: Some(entry.legal_basis.to_owned()),
                legal_reference,
                channel: Some(entry.channel.to_owned()),
                format: Some(entry.format.to_owned()),
                frequency: Some(entry.frequency.to_owned()),
                delay_days: Some(entry.delay_days),
                disaggregations: joined(entry.disaggregations),
                personal_data: Some(!entry.protection.is_empty()),
                protection: joined(entry.protection),
                status: Some(entry.status.to_owned()),
                problems: entry.problems.map(str::to_owned),
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

fn choices(keys: &[&str]) -> AnswerValue {
    AnswerValue::Choices(keys.iter().map(|k| (*k).to_owned()).collect())
}

/// An institution's level for one item: its level in the dimension, moved one up or down by a
/// fixed pattern so that items within a dimension differ.
fn level(base: u8, org_index: usize, item_index: usize) -> u8 {
    const SHIFT: [i8; 9] = [0, 1, -1, 0, 0, -1, 1, 0, 0];
    let shift = SHIFT[(org_index * 5 + item_index * 3) % SHIFT.len()];
    (i16::from(base) + i16::from(shift)).clamp(0, 4) as u8
}

fn special(acronym: &str, item: &str) -> Option<AnswerValue> {
    NOT_LEVELS
        .iter()
        .find(|(a, i, _)| *a == acronym && *i == item)
        .map(|(_, _, dont_know)| {
            if *dont_know {
                AnswerValue::DontKnow
            } else {
                AnswerValue::NotApplicable
            }
        })
}

fn evidence(acronym: &str, item: &str) -> Option<&'static str> {
    EVIDENCE
        .iter()
        .find(|(a, i, _)| *a == acronym && *i == item)
        .map(|(_, _, text)| *text)
}

// ---------------------------------------------------------------------------------------------
// The data.

/// The capacity dimensions, in the order of [`Org::levels`].
const DIMENSIONS: [&str; 8] = [
    "legal",
    "collection",
    "quality",
    "use",
    "dissemination",
    "exchange",
    "people",
    "technology",
];

#[derive(Debug, Clone, Copy)]
enum Stage {
    /// Submitted on this day of July 2023.
    Submitted { day: u32 },
    /// Still a draft: part D, the first `dimensions` dimensions and, with `grid`, the domain grid.
    Draft {
        day: u32,
        dimensions: usize,
        grid: bool,
    },
}

/// A data domain the institution produces (a row of the grid).
struct Produced {
    domain: &'static str,
    collects: &'static str,
    sources: &'static [&'static str],
    disaggregations: &'static [&'static str],
    frequency: &'static str,
    published: bool,
}

const fn produced(
    domain: &'static str,
    collects: &'static str,
    sources: &'static [&'static str],
    disaggregations: &'static [&'static str],
    frequency: &'static str,
    published: bool,
) -> Produced {
    Produced {
        domain,
        collects,
        sources,
        disaggregations,
        frequency,
        published,
    }
}

struct Org {
    acronym: &'static str,
    name: &'static str,
    sector: &'static str,
    sector_other: Option<&'static str>,
    /// The focal point, who is also the representative.
    contact: &'static str,
    position: &'static str,
    contact_email: &'static str,
    /// The representative's login.
    login: &'static str,
    units: &'static str,
    staff: u32,
    priorities: &'static str,
    /// Level by dimension, in the order of [`DIMENSIONS`].
    levels: [u8; 8],
    produces: &'static [Produced],
    needs: &'static [&'static str],
    stage: Stage,
}

const ADMIN: &[&str] = &["admin_register"];

const ORGANIZATIONS: &[Org] = &[
    Org {
        acronym: "SNM",
        name: "Servicio Nacional de Migración",
        sector: "immigration_borders",
        sector_other: None,
        contact: "María Isabel Castillo",
        position: "Jefa de la Oficina de Estadística",
        contact_email: "mcastillo@snm.gob.pa",
        login: "enlace@snm.gob.pa",
        units: "Oficina de Estadística\nDirección de Control Migratorio\nDepartamento de Tecnología e Informática\nEstaciones de Recepción Migratoria (Darién y Chiriquí)",
        staff: 38,
        priorities: "Publicar con calendario fijo las estadísticas de entradas, salidas y tránsito por el Darién, con metadatos; pasar del envío de hojas de cálculo por correo a un intercambio automatizado con INEC, MINSA y ONPAR.",
        levels: [3, 4, 3, 2, 1, 3, 2, 4],
        produces: &[
            produced(
                "border_flows",
                "yes",
                ADMIN,
                &["sex", "age", "nationality", "geography"],
                "continuous",
                true,
            ),
            produced(
                "irregular_transit",
                "yes",
                ADMIN,
                &["sex", "age", "nationality", "migration_status"],
                "continuous",
                true,
            ),
            produced(
                "residence_permits",
                "yes",
                ADMIN,
                &["sex", "nationality", "migration_status"],
                "monthly",
                false,
            ),
            produced(
                "returns",
                "yes",
                ADMIN,
                &["sex", "nationality"],
                "monthly",
                false,
            ),
        ],
        needs: &[
            "asylum",
            "trafficking_smuggling",
            "unaccompanied_children",
            "health",
        ],
        stage: Stage::Submitted { day: 19 },
    },
    Org {
        acronym: "SENAFRONT",
        name: "Servicio Nacional de Fronteras",
        sector: "security",
        sector_other: None,
        contact: "Subcomisionado Jorge Luis Rodríguez",
        position: "Jefe del Departamento de Análisis Operativo",
        contact_email: "jrodriguez@senafront.gob.pa",
        login: "enlace@senafront.gob.pa",
        units: "Departamento de Análisis Operativo\nBrigada Oriental (Darién)",
        staff: 12,
        priorities: "Registrar de forma digital los rescates y aprehensiones en la frontera con Colombia, con sexo y edad, y compartirlos a diario con SNM y CONATT sin transcribir planillas.",
        levels: [2, 3, 2, 1, 0, 2, 2, 2],
        produces: &[
            produced(
                "irregular_transit",
                "partly",
                ADMIN,
                &["sex", "nationality"],
                "continuous",
                false,
            ),
            produced(
                "trafficking_smuggling",
                "partly",
                ADMIN,
                &["nationality"],
                "occasional",
                false,
            ),
            produced(
                "unaccompanied_children",
                "partly",
                ADMIN,
                &["age", "nationality"],
                "continuous",
                false,
            ),
        ],
        needs: &["border_flows"],
        stage: Stage::Submitted { day: 24 },
    },
    Org {
        acronym: "ONPAR",
        name: "Oficina Nacional para la Atención de Refugiados",
        sector: "refugee_asylum",
        sector_other: None,
        contact: "Ana Lucía Méndez",
        position: "Coordinadora de Registro y Estadística",
        contact_email: "amendez@onpar.gob.pa",
        login: "enlace@onpar.gob.pa",
        units: "Unidad de Registro y Estadística\nDepartamento de Elegibilidad",
        staff: 6,
        priorities: "Sustituir el registro en hojas de cálculo por un sistema de casos, y conocer el estatus migratorio de los solicitantes sin esperar respuestas por nota.",
        levels: [3, 2, 2, 2, 1, 2, 1, 1],
        produces: &[
            produced(
                "asylum",
                "yes",
                ADMIN,
                &["sex", "age", "nationality", "country_of_birth"],
                "monthly",
                false,
            ),
            produced(
                "statelessness",
                "partly",
                ADMIN,
                &["sex", "nationality"],
                "occasional",
                false,
            ),
        ],
        needs: &["border_flows", "irregular_transit", "residence_permits"],
        stage: Stage::Submitted { day: 21 },
    },
    Org {
        acronym: "MITRADEL",
        name: "Ministerio de Trabajo y Desarrollo Laboral",
        sector: "labour",
        sector_other: None,
        contact: "Ricardo Samaniego",
        position: "Director de Migración Laboral",
        contact_email: "rsamaniego@mitradel.gob.pa",
        login: "enlace@mitradel.gob.pa",
        units: "Dirección de Migración Laboral\nOficina de Planificación (estadísticas)",
        staff: 9,
        priorities: "Consultar el estatus de residencia en línea al tramitar permisos de trabajo, y medir la inserción laboral de la población migrante con la Encuesta de Mercado Laboral.",
        levels: [3, 3, 2, 2, 2, 2, 2, 2],
        produces: &[produced(
            "work_permits",
            "yes",
            ADMIN,
            &["sex", "nationality", "geography"],
            "monthly",
            true,
        )],
        needs: &["residence_permits", "remittances", "census_surveys"],
        stage: Stage::Submitted { day: 20 },
    },
    Org {
        acronym: "MINSA",
        name: "Ministerio de Salud",
        sector: "health",
        sector_other: None,
        contact: "Dra. Gabriela Ortega",
        position: "Jefa del Departamento de Epidemiología",
        contact_email: "gortega@minsa.gob.pa",
        login: "enlace@minsa.gob.pa",
        units: "Departamento de Epidemiología\nDepartamento de Registros y Estadísticas de Salud\nRegión de Salud de Darién",
        staff: 15,
        priorities: "Enlazar las atenciones y vacunas en las Estaciones de Recepción Migratoria con el registro biométrico del SNM, para no contar dos veces a la misma persona.",
        levels: [2, 3, 2, 3, 2, 2, 3, 2],
        produces: &[
            produced(
                "health",
                "yes",
                ADMIN,
                &["sex", "age", "nationality", "geography"],
                "monthly",
                true,
            ),
            produced(
                "irregular_transit",
                "partly",
                ADMIN,
                &["sex", "age", "nationality"],
                "continuous",
                false,
            ),
        ],
        needs: &["irregular_transit", "displacement"],
        stage: Stage::Submitted { day: 26 },
    },
    Org {
        acronym: "INEC",
        name: "Instituto Nacional de Estadística y Censo",
        sector: "statistics",
        sector_other: None,
        contact: "Carlos Alberto Vega",
        position: "Subdirector de Estadísticas Sociales",
        contact_email: "cvega@inec.gob.pa",
        login: "enlace@inec.gob.pa",
        units: "Dirección de Estadísticas Sociales\nDepartamento de Estadísticas Vitales\nDepartamento de Censos\nDepartamento de Difusión",
        staff: 22,
        priorities: "Publicar los resultados del Censo de Población y Vivienda 2023 sobre población nacida en el extranjero y emigración, y recibir del SNM microdatos anonimizados en lugar de cuadros.",
        levels: [4, 3, 4, 4, 4, 3, 3, 3],
        produces: &[
            produced(
                "border_flows",
                "partly",
                ADMIN,
                &["sex", "nationality"],
                "monthly",
                true,
            ),
            produced(
                "civil_registration",
                "yes",
                ADMIN,
                &["sex", "age", "nationality", "geography"],
                "annual",
                true,
            ),
            produced(
                "census_surveys",
                "yes",
                &["census", "survey"],
                &[
                    "sex",
                    "age",
                    "nationality",
                    "country_of_birth",
                    "disability",
                    "geography",
                    "ethnicity",
                ],
                "annual",
                true,
            ),
            produced(
                "emigration_diaspora",
                "partly",
                &["census", "estimate"],
                &["sex", "age", "country_of_birth"],
                "occasional",
                true,
            ),
        ],
        needs: &[
            "border_flows",
            "residence_permits",
            "work_permits",
            "remittances",
        ],
        stage: Stage::Submitted { day: 14 },
    },
    Org {
        acronym: "TE",
        name: "Tribunal Electoral, Dirección Nacional del Registro Civil",
        sector: "civil_registry",
        sector_other: None,
        contact: "Luis Fernando Batista",
        position: "Jefe de Estadísticas del Registro Civil",
        contact_email: "lbatista@tribunal-electoral.gob.pa",
        login: "enlace@tribunal-electoral.gob.pa",
        units: "Dirección Nacional del Registro Civil\nDepartamento de Estadística",
        staff: 11,
        priorities: "Registrar la nacionalidad de los padres en todos los nacimientos y enviar al INEC las estadísticas vitales por un canal seguro en lugar de discos.",
        levels: [4, 3, 3, 2, 2, 3, 3, 3],
        produces: &[produced(
            "civil_registration",
            "yes",
            ADMIN,
            &["sex", "age", "nationality", "geography"],
            "continuous",
            false,
        )],
        needs: &["residence_permits"],
        stage: Stage::Submitted { day: 18 },
    },
    Org {
        acronym: "CONATT",
        name: "Ministerio de Seguridad Pública, Comisión Nacional contra la Trata de Personas",
        sector: "security",
        sector_other: None,
        contact: "Yolanda Herrera",
        position: "Secretaria Técnica",
        contact_email: "yherrera@minseg.gob.pa",
        login: "enlace@minseg.gob.pa",
        units: "Secretaría Técnica de la CONATT\nUnidad de Identificación y Atención a Víctimas",
        staff: 4,
        priorities: "Un registro único de víctimas identificadas por nacionalidad, sexo, edad y tipo de explotación, compartido con SENAFRONT, SNM y el Ministerio Público.",
        levels: [2, 2, 1, 2, 1, 1, 1, 1],
        produces: &[produced(
            "trafficking_smuggling",
            "yes",
            ADMIN,
            &["sex", "age", "nationality"],
            "annual",
            true,
        )],
        needs: &["irregular_transit", "unaccompanied_children"],
        stage: Stage::Submitted { day: 27 },
    },
    Org {
        acronym: "DP",
        name: "Defensoría del Pueblo",
        sector: "ombudsman",
        sector_other: None,
        contact: "Marta Elena Quintero",
        position: "Directora de Protección de Derechos Humanos",
        contact_email: "mquintero@defensoria.gob.pa",
        login: "enlace@defensoria.gob.pa",
        units: "Dirección de Protección de Derechos Humanos\nOficina Regional de Darién",
        staff: 5,
        priorities: "Conocer cuántas niñas, niños y adolescentes en movilidad pasan por las estaciones y en qué condiciones, y registrar las quejas con edad y nacionalidad.",
        levels: [2, 1, 1, 2, 2, 1, 1, 0],
        produces: &[
            produced(
                "complaints_rights",
                "yes",
                ADMIN,
                &["sex", "nationality"],
                "continuous",
                true,
            ),
            produced(
                "unaccompanied_children",
                "partly",
                ADMIN,
                &["age", "nationality"],
                "occasional",
                false,
            ),
        ],
        needs: &[
            "irregular_transit",
            "health",
            "displacement",
            "unaccompanied_children",
        ],
        stage: Stage::Submitted { day: 25 },
    },
    Org {
        acronym: "MIRE",
        name: "Ministerio de Relaciones Exteriores",
        sector: "foreign_affairs",
        sector_other: None,
        contact: "Ana Pérez Arosemena",
        position: "Directora de Asuntos Consulares y Migratorios",
        contact_email: "aperez@mire.gob.pa",
        login: "enlace@mire.gob.pa",
        units: "Dirección General de Asuntos Consulares\nDepartamento de Visas\nRed consular",
        staff: 8,
        priorities: "Unificar el registro consular de panameños en el exterior y conocer el monto de remesas por país, para la política de vinculación con la diáspora.",
        levels: [3, 2, 2, 2, 1, 2, 2, 2],
        produces: &[
            produced(
                "emigration_diaspora",
                "yes",
                ADMIN,
                &["sex", "age", "country_of_birth", "geography"],
                "continuous",
                false,
            ),
            produced(
                "residence_permits",
                "partly",
                ADMIN,
                &["nationality"],
                "monthly",
                false,
            ),
        ],
        needs: &["remittances", "border_flows", "census_surveys"],
        stage: Stage::Submitted { day: 17 },
    },
    Org {
        acronym: "SENNIAF",
        name: "Secretaría Nacional de Niñez, Adolescencia y Familia",
        sector: "other",
        sector_other: Some("Protección de la niñez y la adolescencia"),
        contact: "Rosa Delia Sánchez",
        position: "Jefa del Departamento de Protección Especial",
        contact_email: "rsanchez@senniaf.gob.pa",
        login: "enlace@senniaf.gob.pa",
        units: "Departamento de Protección Especial\nOficina de Darién",
        staff: 7,
        priorities: "Contar con un registro de niñas, niños y adolescentes no acompañados o separados que se comparta con SNM y la Defensoría, con protección de sus datos.",
        levels: [2, 1, 1, 1, 1, 1, 1, 1],
        produces: &[produced(
            "unaccompanied_children",
            "yes",
            ADMIN,
            &["sex", "age", "nationality"],
            "monthly",
            false,
        )],
        needs: &["irregular_transit", "education", "health"],
        stage: Stage::Submitted { day: 28 },
    },
    Org {
        acronym: "MEDUCA",
        name: "Ministerio de Educación",
        sector: "education",
        sector_other: None,
        contact: "Eduardo Caballero",
        position: "Jefe de Estadística Educativa",
        contact_email: "ecaballero@meduca.gob.pa",
        login: "enlace@meduca.gob.pa",
        units: "Dirección de Planificación Educativa, Departamento de Estadística",
        staff: 3,
        priorities: "Identificar a las y los estudiantes extranjeros en la matrícula y conocer su estatus migratorio para la convalidación de estudios.",
        levels: [2, 2, 2, 1, 2, 1, 2, 2],
        produces: &[produced(
            "education",
            "partly",
            ADMIN,
            &["sex", "age", "nationality", "geography"],
            "annual",
            false,
        )],
        needs: &["residence_permits", "unaccompanied_children"],
        stage: Stage::Draft {
            day: 24,
            dimensions: 5,
            grid: true,
        },
    },
    Org {
        acronym: "MIDES",
        name: "Ministerio de Desarrollo Social",
        sector: "other",
        sector_other: Some("Desarrollo social"),
        contact: "Patricia Montenegro",
        position: "Analista de la Dirección de Políticas Sociales",
        contact_email: "pmontenegro@mides.gob.pa",
        login: "enlace@mides.gob.pa",
        units: "Dirección de Políticas Sociales",
        staff: 2,
        priorities: "Saber cuántas personas migrantes y desplazadas viven en los distritos de los programas sociales, a partir del censo y de los registros.",
        levels: [2, 2, 2, 2, 1, 1, 2, 2],
        produces: &[],
        needs: &[
            "displacement",
            "remittances",
            "census_surveys",
            "irregular_transit",
        ],
        stage: Stage::Submitted { day: 26 },
    },
    Org {
        acronym: "CSS",
        name: "Caja de Seguro Social",
        sector: "health",
        sector_other: None,
        contact: "Iván Araúz",
        position: "Jefe de la Sección de Estadística",
        contact_email: "iarauz@css.gob.pa",
        login: "enlace@css.gob.pa",
        units: "Dirección Nacional de Planificación, Sección de Estadística\nDirección de Afiliación",
        staff: 6,
        priorities: "Verificar los permisos de trabajo al afiliar a trabajadores extranjeros y publicar la cobertura de seguridad social por nacionalidad.",
        levels: [2, 2, 3, 1, 1, 1, 2, 3],
        produces: &[
            produced(
                "health",
                "partly",
                ADMIN,
                &["sex", "age", "nationality"],
                "monthly",
                false,
            ),
            produced(
                "work_permits",
                "partly",
                ADMIN,
                &["sex", "nationality"],
                "monthly",
                false,
            ),
        ],
        needs: &["work_permits", "residence_permits"],
        stage: Stage::Submitted { day: 27 },
    },
    Org {
        acronym: "SINAPROC",
        name: "Sistema Nacional de Protección Civil",
        sector: "other",
        sector_other: Some("Protección civil y gestión de riesgos"),
        contact: "Omar Pinzón",
        position: "Jefe de Planificación",
        contact_email: "opinzon@sinaproc.gob.pa",
        login: "enlace@sinaproc.gob.pa",
        units: "Dirección de Planificación\nCentro de Operaciones de Emergencia",
        staff: 3,
        priorities: "Registrar a las personas desplazadas por inundaciones y deslizamientos con sexo, edad y nacionalidad, y atender con datos el flujo en Darién en temporada de lluvias.",
        levels: [2, 1, 1, 1, 1, 0, 1, 1],
        produces: &[],
        needs: &["displacement", "irregular_transit"],
        stage: Stage::Draft {
            day: 12,
            dimensions: 2,
            grid: false,
        },
    },
    Org {
        acronym: "OIM",
        name: "Organización Internacional para las Migraciones",
        sector: "international_organization",
        sector_other: None,
        contact: "Daniela Jiménez",
        position: "Oficial de Gestión de Información (DTM)",
        contact_email: "djimenez@iom.int",
        login: "enlace-panama@iom.int",
        units: "Unidad de Gestión de Información y Matriz de Seguimiento del Desplazamiento (DTM)\nPrograma de Retorno Voluntario Asistido",
        staff: 10,
        priorities: "Apoyar al país en un sistema de intercambio con códigos comunes y en el informe de los indicadores del Pacto Mundial, y contar con cifras oficiales de remesas y desplazamiento.",
        levels: [2, 3, 3, 4, 3, 2, 3, 3],
        produces: &[
            produced(
                "irregular_transit",
                "partly",
                &["survey", "estimate"],
                &["sex", "age", "nationality"],
                "monthly",
                true,
            ),
            produced(
                "returns",
                "partly",
                ADMIN,
                &["sex", "age", "nationality"],
                "monthly",
                true,
            ),
        ],
        needs: &["border_flows", "remittances", "displacement"],
        stage: Stage::Submitted { day: 13 },
    },
];

/// Answers that are "not applicable" (false) or "don't know" (true) instead of a level.
const NOT_LEVELS: &[(&str, &str, bool)] = &[
    ("OIM", "legal.mandate", false),
    ("DP", "technology.equipment", false),
    ("SENAFRONT", "dissemination.calendar", false),
    ("SENNIAF", "use.indicators", true),
    ("MIDES", "dissemination.users", true),
    ("CSS", "exchange.security", true),
    ("CONATT", "quality.revisions", true),
    ("MEDUCA", "quality.revisions", true),
];

/// Evidence texts that go with maturity answers.
const EVIDENCE: &[(&str, &str, &str)] = &[
    (
        "SNM",
        "legal.mandate",
        "Decreto Ley 3 de 2008 y Decreto Ejecutivo 320 de 2008",
    ),
    (
        "SNM",
        "legal.confidentiality",
        "Ley 81 de 2019 de protección de datos personales",
    ),
    (
        "SNM",
        "technology.equipment",
        "Registro biométrico en las Estaciones de Recepción Migratoria de Lajas Blancas y San Vicente",
    ),
    (
        "SNM",
        "dissemination.calendar",
        "Boletines en el sitio web sin fecha fija de publicación",
    ),
    (
        "INEC",
        "legal.mandate",
        "Ley 10 de 2009 (Sistema Estadístico Nacional)",
    ),
    (
        "INEC",
        "dissemination.calendar",
        "Calendario de publicaciones del INEC 2023",
    ),
    (
        "INEC",
        "quality.metadata",
        "Metadatos y cuestionario del Censo de Población y Vivienda 2023",
    ),
    (
        "ONPAR",
        "legal.mandate",
        "Decreto Ejecutivo 5 de 2018, que reglamenta la Ley 5 de 1977",
    ),
    (
        "TE",
        "legal.mandate",
        "Ley 31 de 2006 del Registro del Estado Civil",
    ),
    (
        "CONATT",
        "legal.mandate",
        "Ley 79 de 2011 sobre trata de personas",
    ),
    (
        "DP",
        "legal.mandate",
        "Ley 7 de 1997, que crea la Defensoría del Pueblo",
    ),
    (
        "SENNIAF",
        "legal.mandate",
        "Ley 285 de 2022 (Sistema de Garantías y Protección Integral de la Niñez y la Adolescencia)",
    ),
    (
        "MINSA",
        "exchange.formality",
        "Nota de coordinación MINSA-SNM para las Estaciones de Recepción Migratoria (2021)",
    ),
    (
        "OIM",
        "use.products",
        "Matriz de Seguimiento del Desplazamiento (DTM) en Darién, rondas mensuales",
    ),
    (
        "MITRADEL",
        "technology.information_system",
        "Sistema de trámite de permisos de trabajo en línea",
    ),
];

enum Partner {
    /// A forum organization, by acronym.
    Forum(&'static str),
    /// An outside body, by name.
    Outside(&'static str),
}

/// One mechanism entry as a reporter records it. Personal data: yes exactly when `protection`
/// lists measures.
struct Exchange {
    reporter: &'static str,
    name: &'static str,
    description: &'static str,
    partner: Partner,
    direction: &'static str,
    domains: &'static [&'static str],
    level: &'static str,
    legal_basis: &'static str,
    legal_reference: Option<&'static str>,
    channel: &'static str,
    format: &'static str,
    frequency: &'static str,
    delay_days: i64,
    disaggregations: &'static [&'static str],
    protection: &'static [&'static str],
    status: &'static str,
    problems: Option<&'static str>,
    /// Day of July 2023 the entry was recorded.
    day: u32,
}

const SEX_AGE_NAT: &[&str] = &["sex", "age", "nationality"];
const ACCESS: &[&str] = &["access_control"];
const ACCESS_ENCRYPTED: &[&str] = &["access_control", "encryption"];
const NONE: &[&str] = &[];

const MECHANISMS: &[Exchange] = &[
    // SNM -> INEC: entries and exits, both sides.
    Exchange {
        reporter: "SNM",
        name: "Estadísticas mensuales de entradas y salidas para el INEC",
        description: "Cuadros de entradas y salidas por puerto, nacionalidad, sexo y edad, enviados cada mes en hojas de cálculo.",
        partner: Partner::Forum("INEC"),
        direction: "provide",
        domains: &["border_flows"],
        level: "aggregates",
        legal_basis: "agreement",
        legal_reference: Some("Convenio de cooperación SNM-INEC de 2015"),
        channel: "email",
        format: "xlsx",
        frequency: "monthly",
        delay_days: 20,
        disaggregations: &["sex", "age", "nationality", "geography"],
        protection: NONE,
        status: "active",
        problems: Some("Los cuadros cambian de formato sin aviso cuando se actualiza el sistema."),
        day: 11,
    },
    Exchange {
        reporter: "INEC",
        name: "Movimiento migratorio recibido del SNM",
        description: "Recibe cada mes los cuadros de entradas y salidas y de permisos de residencia para la publicación de movimiento migratorio.",
        partner: Partner::Forum("SNM"),
        direction: "receive",
        domains: &["border_flows", "residence_permits"],
        level: "aggregates",
        legal_basis: "agreement",
        legal_reference: Some("Convenio de cooperación SNM-INEC de 2015"),
        channel: "email",
        format: "xlsx",
        frequency: "monthly",
        delay_days: 25,
        disaggregations: &["sex", "nationality"],
        protection: NONE,
        status: "active",
        problems: Some("Llegan sin metadatos; las cifras se revisan sin nota de revisión."),
        day: 12,
    },
    // SNM <-> MINSA: reception-station registrations.
    Exchange {
        reporter: "SNM",
        name: "Registros de las Estaciones de Recepción Migratoria con MINSA",
        description: "Listado diario de personas registradas en las estaciones de Lajas Blancas y San Vicente; MINSA devuelve atenciones y vacunas.",
        partner: Partner::Forum("MINSA"),
        direction: "both",
        domains: &["irregular_transit", "health"],
        level: "microdata",
        legal_basis: "agreement",
        legal_reference: Some("Protocolo interinstitucional de atención en las ERM (2021)"),
        channel: "sftp",
        format: "csv",
        frequency: "daily",
        delay_days: 1,
        disaggregations: SEX_AGE_NAT,
        protection: ACCESS_ENCRYPTED,
        status: "active",
        problems: None,
        day: 11,
    },
    Exchange {
        reporter: "MINSA",
        name: "Registro de atenciones en las ERM compartido con SNM",
        description: "Intercambio diario entre el registro biométrico del SNM y las atenciones de salud en las estaciones de recepción.",
        partner: Partner::Forum("SNM"),
        direction: "both",
        domains: &["irregular_transit", "health"],
        level: "microdata",
        legal_basis: "agreement",
        legal_reference: Some("Protocolo interinstitucional de atención en las ERM (2021)"),
        channel: "sftp",
        format: "csv",
        frequency: "daily",
        delay_days: 2,
        disaggregations: SEX_AGE_NAT,
        protection: ACCESS,
        status: "active",
        problems: Some(
            "Sin un identificador común; el enlace se hace por nombre y fecha de nacimiento.",
        ),
        day: 20,
    },
    // ONPAR -> SNM: asylum status.
    Exchange {
        reporter: "ONPAR",
        name: "Estado de las solicitudes de refugio para el SNM",
        description: "Comunicamos al SNM la admisión, reconocimiento o rechazo de cada solicitud para el trámite migratorio.",
        partner: Partner::Forum("SNM"),
        direction: "provide",
        domains: &["asylum"],
        level: "microdata",
        legal_basis: "decree",
        legal_reference: Some("Decreto Ejecutivo 5 de 2018"),
        channel: "email",
        format: "pdf",
        frequency: "weekly",
        delay_days: 7,
        disaggregations: &["sex", "nationality"],
        protection: ACCESS,
        status: "active",
        problems: Some("Se envían notas escaneadas; el SNM las transcribe a mano."),
        day: 15,
    },
    Exchange {
        reporter: "SNM",
        name: "Resoluciones de refugio recibidas de ONPAR",
        description: "Recibe las resoluciones sobre solicitudes de refugio para actualizar el estatus migratorio.",
        partner: Partner::Forum("ONPAR"),
        direction: "receive",
        domains: &["asylum", "residence_permits"],
        level: "microdata",
        legal_basis: "decree",
        legal_reference: Some("Decreto Ejecutivo 5 de 2018"),
        channel: "email",
        format: "pdf",
        frequency: "weekly",
        delay_days: 10,
        disaggregations: &["nationality"],
        protection: ACCESS,
        status: "active",
        problems: None,
        day: 12,
    },
    // SNM -> MITRADEL: residence status checks.
    Exchange {
        reporter: "SNM",
        name: "Consulta de estatus migratorio para MITRADEL",
        description: "MITRADEL consulta en línea el estatus de residencia de quien solicita un permiso de trabajo.",
        partner: Partner::Forum("MITRADEL"),
        direction: "provide",
        domains: &["residence_permits"],
        level: "microdata",
        legal_basis: "agreement",
        legal_reference: Some("Convenio SNM-MITRADEL de consulta de estatus (2019)"),
        channel: "database",
        format: "json",
        frequency: "real_time",
        delay_days: 0,
        disaggregations: &["nationality", "migration_status"],
        protection: ACCESS_ENCRYPTED,
        status: "active",
        problems: None,
        day: 13,
    },
    Exchange {
        reporter: "MITRADEL",
        name: "Verificación de residencia en el SNM",
        description: "Consultamos el estatus de residencia antes de otorgar o renovar un permiso de trabajo.",
        partner: Partner::Forum("SNM"),
        direction: "receive",
        domains: &["residence_permits", "work_permits"],
        level: "microdata",
        legal_basis: "agreement",
        legal_reference: Some("Convenio SNM-MITRADEL de consulta de estatus (2019)"),
        channel: "database",
        format: "json",
        frequency: "real_time",
        delay_days: 0,
        disaggregations: &["nationality"],
        protection: ACCESS,
        status: "active",
        problems: Some("La consulta falla con frecuencia en las oficinas regionales."),
        day: 18,
    },
    // TE -> INEC: vital statistics.
    Exchange {
        reporter: "TE",
        name: "Estadísticas vitales para el INEC",
        description: "Registros de nacimientos, defunciones y matrimonios, con la nacionalidad de los padres, para las estadísticas vitales.",
        partner: Partner::Forum("INEC"),
        direction: "provide",
        domains: &["civil_registration"],
        level: "microdata",
        legal_basis: "law",
        legal_reference: Some("Ley 31 de 2006 y Ley 10 de 2009"),
        channel: "physical_media",
        format: "csv",
        frequency: "monthly",
        delay_days: 45,
        disaggregations: &["sex", "age", "nationality", "geography"],
        protection: &["access_control", "anonymisation"],
        status: "active",
        problems: Some("Se entrega en disco; queremos pasar a SFTP."),
        day: 16,
    },
    Exchange {
        reporter: "INEC",
        name: "Registros de hechos vitales del Registro Civil",
        description: "Recibe los microdatos de hechos vitales para el anuario de estadísticas vitales.",
        partner: Partner::Forum("TE"),
        direction: "receive",
        domains: &["civil_registration"],
        level: "microdata",
        legal_basis: "law",
        legal_reference: Some("Ley 10 de 2009"),
        channel: "physical_media",
        format: "csv",
        frequency: "monthly",
        delay_days: 50,
        disaggregations: &["sex", "age", "nationality", "geography"],
        protection: ACCESS,
        status: "active",
        problems: None,
        day: 13,
    },
    // SENAFRONT -> SNM: daily Darién report.
    Exchange {
        reporter: "SENAFRONT",
        name: "Reporte diario de Darién para el SNM",
        description: "Cifras diarias de personas aprehendidas y rescatadas en la frontera con Colombia.",
        partner: Partner::Forum("SNM"),
        direction: "provide",
        domains: &["irregular_transit"],
        level: "aggregates",
        legal_basis: "ad_hoc",
        legal_reference: None,
        channel: "email",
        format: "xlsx",
        frequency: "daily",
        delay_days: 1,
        disaggregations: &["nationality"],
        protection: NONE,
        status: "active",
        problems: Some("Sin sexo ni edad; las planillas se llenan a mano en el puesto."),
        day: 21,
    },
    Exchange {
        reporter: "SNM",
        name: "Reporte diario de SENAFRONT",
        description: "Recibe las cifras diarias de aprehensiones y rescates en Darién para el conteo del flujo irregular.",
        partner: Partner::Forum("SENAFRONT"),
        direction: "receive",
        domains: &["irregular_transit"],
        level: "aggregates",
        legal_basis: "ad_hoc",
        legal_reference: None,
        channel: "email",
        format: "xlsx",
        frequency: "daily",
        delay_days: 1,
        disaggregations: &["nationality"],
        protection: NONE,
        status: "active",
        problems: None,
        day: 14,
    },
    // SENAFRONT -> CONATT: rescued victims.
    Exchange {
        reporter: "SENAFRONT",
        name: "Posibles víctimas de trata rescatadas",
        description: "Informe de cada rescate de posibles víctimas de trata o tráfico para su identificación y atención.",
        partner: Partner::Forum("CONATT"),
        direction: "provide",
        domains: &["trafficking_smuggling"],
        level: "microdata",
        legal_basis: "law",
        legal_reference: Some("Ley 79 de 2011"),
        channel: "email",
        format: "pdf",
        frequency: "on_request",
        delay_days: 3,
        disaggregations: &["sex", "nationality"],
        protection: ACCESS,
        status: "active",
        problems: None,
        day: 22,
    },
    Exchange {
        reporter: "CONATT",
        name: "Rescates informados por SENAFRONT",
        description: "Recibe los informes de rescate para abrir el caso de identificación de víctimas.",
        partner: Partner::Forum("SENAFRONT"),
        direction: "receive",
        domains: &["trafficking_smuggling", "unaccompanied_children"],
        level: "microdata",
        legal_basis: "law",
        legal_reference: Some("Ley 79 de 2011"),
        channel: "email",
        format: "pdf",
        frequency: "on_request",
        delay_days: 5,
        disaggregations: &["sex", "age", "nationality"],
        protection: ACCESS,
        status: "active",
        problems: Some("Los informes no indican el tipo de explotación."),
        day: 25,
    },
    // SNM -> SENNIAF: unaccompanied children.
    Exchange {
        reporter: "SNM",
        name: "Niñas, niños y adolescentes no acompañados en las ERM",
        description: "Aviso semanal a SENNIAF de menores no acompañados o separados registrados en las estaciones.",
        partner: Partner::Forum("SENNIAF"),
        direction: "provide",
        domains: &["unaccompanied_children", "irregular_transit"],
        level: "microdata",
        legal_basis: "law",
        legal_reference: Some("Ley 285 de 2022"),
        channel: "email",
        format: "xlsx",
        frequency: "weekly",
        delay_days: 7,
        disaggregations: SEX_AGE_NAT,
        protection: ACCESS_ENCRYPTED,
        status: "active",
        problems: None,
        day: 14,
    },
    Exchange {
        reporter: "SENNIAF",
        name: "Aviso de menores no acompañados del SNM",
        description: "Recibe cada semana la lista de niñas, niños y adolescentes no acompañados para activar la protección.",
        partner: Partner::Forum("SNM"),
        direction: "receive",
        domains: &["unaccompanied_children"],
        level: "microdata",
        legal_basis: "law",
        legal_reference: Some("Ley 285 de 2022"),
        channel: "email",
        format: "xlsx",
        frequency: "weekly",
        delay_days: 10,
        disaggregations: SEX_AGE_NAT,
        protection: ACCESS,
        status: "active",
        problems: Some("Llega con retraso cuando aumenta el flujo."),
        day: 27,
    },
    // ONPAR -> INEC: planned, both sides.
    Exchange {
        reporter: "ONPAR",
        name: "Estadísticas anuales de refugio para el anuario",
        description: "Cuadros anuales de solicitudes y reconocimientos por nacionalidad y sexo para el anuario estadístico.",
        partner: Partner::Forum("INEC"),
        direction: "provide",
        domains: &["asylum"],
        level: "aggregates",
        legal_basis: "ad_hoc",
        legal_reference: None,
        channel: "email",
        format: "xlsx",
        frequency: "annual",
        delay_days: 90,
        disaggregations: &["sex", "nationality"],
        protection: NONE,
        status: "planned",
        problems: None,
        day: 20,
    },
    Exchange {
        reporter: "INEC",
        name: "Cuadros de refugio de ONPAR",
        description: "Incorporar al anuario las solicitudes de refugio y los reconocimientos.",
        partner: Partner::Forum("ONPAR"),
        direction: "receive",
        domains: &["asylum"],
        level: "aggregates",
        legal_basis: "ad_hoc",
        legal_reference: None,
        channel: "email",
        format: "xlsx",
        frequency: "annual",
        delay_days: 90,
        disaggregations: &["sex", "nationality"],
        protection: NONE,
        status: "planned",
        problems: None,
        day: 13,
    },
    // SNM -> OIM: Darién flows for the DTM.
    Exchange {
        reporter: "SNM",
        name: "Cifras de tránsito por Darién para la OIM",
        description: "Cuadros semanales de ingresos irregulares por nacionalidad, sexo y edad para la Matriz de Seguimiento del Desplazamiento.",
        partner: Partner::Forum("OIM"),
        direction: "provide",
        domains: &["irregular_transit"],
        level: "aggregates",
        legal_basis: "agreement",
        legal_reference: Some("Memorando de entendimiento SNM-OIM (2022)"),
        channel: "email",
        format: "xlsx",
        frequency: "weekly",
        delay_days: 5,
        disaggregations: SEX_AGE_NAT,
        protection: NONE,
        status: "active",
        problems: None,
        day: 15,
    },
    Exchange {
        reporter: "OIM",
        name: "Datos oficiales de tránsito del SNM para la DTM",
        description: "Recibe las cifras oficiales de ingreso por Darién para contrastarlas con las encuestas de flujo.",
        partner: Partner::Forum("SNM"),
        direction: "receive",
        domains: &["irregular_transit", "border_flows"],
        level: "aggregates",
        legal_basis: "agreement",
        legal_reference: Some("Memorando de entendimiento SNM-OIM (2022)"),
        channel: "email",
        format: "xlsx",
        frequency: "weekly",
        delay_days: 6,
        disaggregations: SEX_AGE_NAT,
        protection: NONE,
        status: "active",
        problems: None,
        day: 10,
    },
    // MITRADEL -> CSS: work permits for affiliation; the two sides disagree on the status.
    Exchange {
        reporter: "MITRADEL",
        name: "Permisos de trabajo para la afiliación a la CSS",
        description: "Enviar a la CSS los permisos de trabajo otorgados para verificar la afiliación de trabajadores extranjeros.",
        partner: Partner::Forum("CSS"),
        direction: "provide",
        domains: &["work_permits"],
        level: "microdata",
        legal_basis: "agreement",
        legal_reference: Some("Borrador de convenio MITRADEL-CSS (2023)"),
        channel: "api",
        format: "json",
        frequency: "daily",
        delay_days: 1,
        disaggregations: &["sex", "nationality"],
        protection: ACCESS_ENCRYPTED,
        status: "planned",
        problems: None,
        day: 19,
    },
    Exchange {
        reporter: "CSS",
        name: "Consulta de permisos de trabajo en MITRADEL",
        description: "Verificar el permiso de trabajo al afiliar a un trabajador extranjero.",
        partner: Partner::Forum("MITRADEL"),
        direction: "receive",
        domains: &["work_permits"],
        level: "microdata",
        legal_basis: "none",
        legal_reference: None,
        channel: "api",
        format: "json",
        frequency: "real_time",
        delay_days: 0,
        disaggregations: &["nationality"],
        protection: ACCESS,
        status: "feasible",
        problems: Some("Sin convenio firmado todavía."),
        day: 26,
    },
    // MIRE -> INEC: consular registration.
    Exchange {
        reporter: "MIRE",
        name: "Registro consular para las estimaciones de emigración",
        description: "Totales anuales de panameños inscritos en los consulados, por país de residencia.",
        partner: Partner::Forum("INEC"),
        direction: "provide",
        domains: &["emigration_diaspora"],
        level: "aggregates",
        legal_basis: "ad_hoc",
        legal_reference: None,
        channel: "email",
        format: "xlsx",
        frequency: "annual",
        delay_days: 60,
        disaggregations: &["sex", "geography"],
        protection: NONE,
        status: "active",
        problems: Some("No todos los consulados reportan."),
        day: 16,
    },
    Exchange {
        reporter: "INEC",
        name: "Inscritos en el registro consular (MIRE)",
        description: "Totales de inscritos en consulados para contrastar con los datos censales de emigración.",
        partner: Partner::Forum("MIRE"),
        direction: "receive",
        domains: &["emigration_diaspora", "census_surveys"],
        level: "aggregates",
        legal_basis: "ad_hoc",
        legal_reference: None,
        channel: "email",
        format: "xlsx",
        frequency: "annual",
        delay_days: 60,
        disaggregations: &["sex"],
        protection: NONE,
        status: "active",
        problems: None,
        day: 14,
    },
    // Defensoría <-> SENNIAF: children in mobility.
    Exchange {
        reporter: "DP",
        name: "Casos de niñez en movilidad con SENNIAF",
        description: "Intercambio de casos de niñas, niños y adolescentes en movilidad que presentan quejas o requieren protección.",
        partner: Partner::Forum("SENNIAF"),
        direction: "both",
        domains: &["unaccompanied_children", "complaints_rights"],
        level: "microdata",
        legal_basis: "ad_hoc",
        legal_reference: None,
        channel: "email",
        format: "pdf",
        frequency: "on_request",
        delay_days: 15,
        disaggregations: &["age", "nationality"],
        protection: ACCESS,
        status: "active",
        problems: Some("Depende de contactos personales."),
        day: 24,
    },
    Exchange {
        reporter: "SENNIAF",
        name: "Casos de niñez en movilidad con la Defensoría",
        description: "Remitimos y recibimos casos de niñez migrante que requieren seguimiento de derechos.",
        partner: Partner::Forum("DP"),
        direction: "both",
        domains: &["unaccompanied_children"],
        level: "microdata",
        legal_basis: "ad_hoc",
        legal_reference: None,
        channel: "email",
        format: "pdf",
        frequency: "on_request",
        delay_days: 10,
        disaggregations: SEX_AGE_NAT,
        protection: ACCESS,
        status: "active",
        problems: None,
        day: 27,
    },
    // Reported by one side only.
    Exchange {
        reporter: "MINSA",
        name: "Proyecciones de población del INEC",
        description: "Usamos las proyecciones de población por distrito para calcular tasas de atención y cobertura de vacunación.",
        partner: Partner::Forum("INEC"),
        direction: "receive",
        domains: &["census_surveys"],
        level: "aggregates",
        legal_basis: "ad_hoc",
        legal_reference: None,
        channel: "portal",
        format: "xlsx",
        frequency: "annual",
        delay_days: 120,
        disaggregations: &["sex", "age", "geography"],
        protection: NONE,
        status: "active",
        problems: None,
        day: 21,
    },
    Exchange {
        reporter: "SNM",
        name: "Alertas de posibles víctimas de trata en puestos fronterizos",
        description: "Aviso a la CONATT de posibles víctimas detectadas en el control migratorio.",
        partner: Partner::Forum("CONATT"),
        direction: "provide",
        domains: &["trafficking_smuggling"],
        level: "microdata",
        legal_basis: "law",
        legal_reference: Some("Ley 79 de 2011"),
        channel: "email",
        format: "pdf",
        frequency: "on_request",
        delay_days: 2,
        disaggregations: &["sex", "nationality"],
        protection: ACCESS,
        status: "suspended",
        problems: Some("Suspendido en 2022 hasta acordar un protocolo de confidencialidad."),
        day: 16,
    },
    Exchange {
        reporter: "MEDUCA",
        name: "Estatus migratorio de estudiantes extranjeros",
        description: "Consultar al SNM el estatus de los estudiantes extranjeros matriculados para la convalidación de estudios.",
        partner: Partner::Forum("SNM"),
        direction: "receive",
        domains: &["residence_permits", "education"],
        level: "microdata",
        legal_basis: "none",
        legal_reference: None,
        channel: "email",
        format: "xlsx",
        frequency: "annual",
        delay_days: 30,
        disaggregations: &["nationality"],
        protection: ACCESS,
        status: "feasible",
        problems: None,
        day: 24,
    },
    // With outside bodies.
    Exchange {
        reporter: "SNM",
        name: "Flujo controlado con Costa Rica",
        description: "Intercambio diario de cifras de personas trasladadas a la frontera con Costa Rica.",
        partner: Partner::Outside("Dirección General de Migración y Extranjería de Costa Rica"),
        direction: "both",
        domains: &["irregular_transit", "border_flows"],
        level: "aggregates",
        legal_basis: "agreement",
        legal_reference: Some("Acuerdo binacional de flujo controlado Panamá-Costa Rica"),
        channel: "email",
        format: "xlsx",
        frequency: "daily",
        delay_days: 1,
        disaggregations: &["nationality", "sex"],
        protection: NONE,
        status: "active",
        problems: None,
        day: 17,
    },
    Exchange {
        reporter: "MIRE",
        name: "Remesas por país de origen",
        description: "Solicitar cifras de remesas enviadas y recibidas por país para la política de diáspora.",
        partner: Partner::Outside("Superintendencia de Bancos de Panamá"),
        direction: "receive",
        domains: &["remittances"],
        level: "aggregates",
        legal_basis: "none",
        legal_reference: None,
        channel: "email",
        format: "xlsx",
        frequency: "quarterly",
        delay_days: 90,
        disaggregations: &["geography"],
        protection: NONE,
        status: "planned",
        problems: None,
        day: 17,
    },
    Exchange {
        reporter: "OIM",
        name: "Informes de la Plataforma Regional R4V",
        description: "Entregamos indicadores mensuales de flujo por Darién al informe regional de la Plataforma R4V.",
        partner: Partner::Outside(
            "Plataforma de Coordinación Interagencial para Refugiados y Migrantes de Venezuela (R4V)",
        ),
        direction: "provide",
        domains: &["irregular_transit"],
        level: "indicators",
        legal_basis: "agreement",
        legal_reference: Some("Términos de referencia de la Plataforma R4V"),
        channel: "portal",
        format: "xlsx",
        frequency: "monthly",
        delay_days: 15,
        disaggregations: SEX_AGE_NAT,
        protection: NONE,
        status: "active",
        problems: None,
        day: 11,
    },
];
