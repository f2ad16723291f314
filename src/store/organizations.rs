//! Queries on organizations (the participating institutions).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::organizations;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub acronym: String,
    pub sector: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = organizations)]
pub struct NewOrganization<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub acronym: &'a str,
    pub name_key: &'a str,
    pub acronym_key: &'a str,
    pub sector: &'a str,
    pub contact_name: Option<&'a str>,
    pub contact_email: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
pub struct OrganizationChanges<'a> {
    pub name: &'a str,
    pub acronym: &'a str,
    pub name_key: &'a str,
    pub acronym_key: &'a str,
    pub sector: &'a str,
    pub contact_name: Option<&'a str>,
    pub contact_email: Option<&'a str>,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &NewOrganization<'_>) -> QueryResult<()> {
    diesel::insert_into(organizations::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn update(
    conn: &mut DbConnection,
    id: &str,
    changes: &OrganizationChanges<'_>,
) -> QueryResult<()> {
    let n = diesel::update(organizations::table.find(id))
        .set(changes)
        .execute(conn)?;
    if n == 0 {
        Err(diesel::result::Error::NotFound)
    } else {
        Ok(())
    }
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Organization> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .get_result(conn)
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Organization>> {
    organizations::table
        .order(organizations::name_key)
        .select(Organization::as_select())
        .load(conn)
}

/// (id, name key, acronym key) of every organization, for duplicate checks.
pub fn keys(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, String)>> {
    organizations::table
        .select((
            organizations::id,
            organizations::name_key,
            organizations::acronym_key,
        ))
        .load(conn)
}

/// The organizations of some ids, as the analysis views label them.
pub fn heads(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<super::responses::OrganizationHead>> {
    organizations::table
        .filter(organizations::id.eq_any(ids))
        .order(organizations::name_key)
        .select(super::responses::OrganizationHead::as_select())
        .load(conn)
}
