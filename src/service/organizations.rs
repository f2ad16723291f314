//! Registering organizations: by hand, or many at once from a CSV file (all or nothing).

use std::collections::HashSet;

use chrono::NaiveDateTime;

use crate::domain::instrument::Instrument;
use crate::domain::organization::{ImportRow, OrganizationDraft, OrganizationField, SectorOption};
use crate::error::AppError;
use crate::service::audit::{self, Action, Actor, Written};
use crate::store::organizations::{
    self as rows, NewOrganization, Organization, OrganizationChanges,
};
use crate::store::{self, DbConnection};

/// The sectors organizations are filed under: the `sectors` code list of the instrument.
pub fn sectors(instrument: &Instrument) -> Vec<SectorOption> {
    instrument
        .code_list("sectors")
        .map(|list| {
            list.options
                .iter()
                .map(|o| SectorOption {
                    key: o.key.clone(),
                    label_es: o.label.es.clone(),
                    label_en: o.label.en.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Debug)]
pub enum SaveError {
    /// Another organization already has this name or acronym.
    Duplicate(Vec<OrganizationField>),
    Other(AppError),
}

impl From<diesel::result::Error> for SaveError {
    fn from(e: diesel::result::Error) -> Self {
        SaveError::Other(e.into())
    }
}

/// Which of name and acronym another organization (not `except`) already uses.
fn duplicates(
    conn: &mut DbConnection,
    draft: &OrganizationDraft,
    except: Option<&str>,
) -> Result<Vec<OrganizationField>, diesel::result::Error> {
    let (name_key, acronym_key) = (draft.name_key(), draft.acronym_key());
    let mut found = Vec::new();
    for (id, name, acronym) in rows::keys(conn)? {
        if Some(id.as_str()) == except {
            continue;
        }
        if name == name_key && !found.contains(&OrganizationField::Name) {
            found.push(OrganizationField::Name);
        }
        if acronym == acronym_key && !found.contains(&OrganizationField::Acronym) {
            found.push(OrganizationField::Acronym);
        }
    }
    Ok(found)
}

pub fn create(
    conn: &mut DbConnection,
    draft: &OrganizationDraft,
    now: NaiveDateTime,
) -> Result<String, SaveError> {
    crate::store::write(conn, |conn| {
        let found = duplicates(conn, draft, None)?;
        if !found.is_empty() {
            return Err(SaveError::Duplicate(found));
        }
        let id = store::new_id();
        insert(conn, &id, draft, now)?;
        Ok(id)
    })
}

fn insert(
    conn: &mut DbConnection,
    id: &str,
    draft: &OrganizationDraft,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    rows::insert(
        conn,
        &NewOrganization {
            id,
            name: &draft.name,
            acronym: &draft.acronym,
            name_key: &draft.name_key(),
            acronym_key: &draft.acronym_key(),
            sector: &draft.sector,
            contact_name: draft.contact_name.as_deref(),
            contact_email: draft.contact_email.as_deref(),
            created_at: now,
            updated_at: now,
        },
    )
}

pub fn update(
    conn: &mut DbConnection,
    id: &str,
    draft: &OrganizationDraft,
    now: NaiveDateTime,
) -> Result<(), SaveError> {
    crate::store::write(conn, |conn| {
        rows::find(conn, id)?;
        let found = duplicates(conn, draft, Some(id))?;
        if !found.is_empty() {
            return Err(SaveError::Duplicate(found));
        }
        rows::update(
            conn,
            id,
            &OrganizationChanges {
                name: &draft.name,
                acronym: &draft.acronym,
                name_key: &draft.name_key(),
                acronym_key: &draft.acronym_key(),
                sector: &draft.sector,
                contact_name: draft.contact_name.as_deref(),
                contact_email: draft.contact_email.as_deref(),
                updated_at: now,
            },
        )?;
        Ok(())
    })
}

/// What an import does (in its review) or did.
#[derive(Debug, Default)]
pub struct ImportOutcome {
    pub imported: Vec<ImportRow>,
    /// Rows naming an organization already registered, not imported again, each with the field
    /// it shares with it.
    pub skipped: Vec<(ImportRow, OrganizationField)>,
}

/// Splits checked rows into those to create and those that match a registered organization
/// (same name, else same acronym).
fn plan(
    conn: &mut DbConnection,
    rows_to_import: Vec<ImportRow>,
) -> Result<ImportOutcome, AppError> {
    let existing = rows::keys(conn)?;
    let names: HashSet<String> = existing.iter().map(|(_, n, _)| n.clone()).collect();
    let acronyms: HashSet<String> = existing.iter().map(|(_, _, a)| a.clone()).collect();
    let mut outcome = ImportOutcome::default();
    for row in rows_to_import {
        if names.contains(&row.draft.name_key()) {
            outcome.skipped.push((row, OrganizationField::Name));
        } else if acronyms.contains(&row.draft.acronym_key()) {
            outcome.skipped.push((row, OrganizationField::Acronym));
        } else {
            outcome.imported.push(row);
        }
    }
    Ok(outcome)
}

/// What importing the rows would do now; nothing is written.
pub fn review_import(
    conn: &mut DbConnection,
    rows_to_import: Vec<ImportRow>,
) -> Result<ImportOutcome, AppError> {
    plan(conn, rows_to_import)
}

/// Imports checked rows in one transaction; rows that match a registered organization are
/// skipped and reported rather than doubled.
pub fn import(
    conn: &mut DbConnection,
    rows_to_import: Vec<ImportRow>,
    now: NaiveDateTime,
) -> Result<ImportOutcome, AppError> {
    crate::store::write(conn, |conn| {
        let outcome = plan(conn, rows_to_import.clone())?;
        for row in &outcome.imported {
            insert(conn, &store::new_id(), &row.draft, now)?;
        }
        Ok(outcome)
    })
}

/// Every registered organization.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Organization>, AppError> {
    Ok(rows::list(conn)?)
}

/// One organization.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<Organization, AppError> {
    Ok(rows::find(conn, id)?)
}

/// Creates (no `id`) or updates an organization by `actor`, with its audit row, in one
/// transaction.
pub fn save_by(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Option<&str>,
    draft: &OrganizationDraft,
    now: NaiveDateTime,
) -> Result<Result<(), SaveError>, AppError> {
    let write = |conn: &mut DbConnection| {
        Ok(match id {
            None => create(conn, draft, now),
            Some(id) => update(conn, id, draft, now).map(|()| id.to_owned()),
        })
    };
    let action = match id {
        None => Action::OrganizationCreated,
        Some(_) => Action::OrganizationUpdated,
    };
    let row = |saved: &Result<String, SaveError>| {
        let id = saved.as_ref().ok()?;
        Some(Written::new(action, audit::kind::ORGANIZATION, id))
    };
    audit::recorded(conn, actor, now, write, row).map(|saved| saved.map(|_| ()))
}

/// [`import`] by `actor`, with its audit row (how many rows were imported and skipped), in one
/// transaction.
pub fn import_by(
    conn: &mut DbConnection,
    actor: &Actor,
    rows_to_import: Vec<ImportRow>,
    now: NaiveDateTime,
) -> Result<ImportOutcome, AppError> {
    let row = |done: &ImportOutcome| {
        let counts = format!(
            "imported={} skipped={}",
            done.imported.len(),
            done.skipped.len()
        );
        let row = Written::new(Action::OrganizationsImported, audit::kind::ORGANIZATION, "");
        Some(row.details(counts))
    };
    let write = |conn: &mut DbConnection| import(conn, rows_to_import.clone(), now);
    audit::recorded(conn, actor, now, write, row)
}
