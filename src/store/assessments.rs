//! Queries on assessments.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::assessments;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = assessments)]
pub struct Assessment {
    pub id: String,
    pub title_es: String,
    pub title_en: String,
    pub instrument_key: String,
    pub instrument_version: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Representatives may compare their scores with the anonymous national averages.
    pub show_national_averages: bool,
    /// IANA name of the zone its times are shown in, e.g. `America/Panama`.
    pub time_zone: String,
    /// How many other organizations must have submitted before national averages are shown.
    pub averages_min_peers: i64,
}

impl Assessment {
    /// The zone its times are shown in (the default zone if the stored name is unknown).
    pub fn zone(&self) -> chrono_tz::Tz {
        crate::domain::time::parse_zone(&self.time_zone)
            .unwrap_or(crate::domain::time::DEFAULT_ZONE)
    }

    pub fn title(&self, lang: impl std::borrow::Borrow<crate::domain::Lang>) -> &str {
        match lang.borrow() {
            crate::domain::Lang::Es => &self.title_es,
            crate::domain::Lang::En => &self.title_en,
        }
    }

    /// Whether answers are accepted on `today`: from the opening to the closing date, inclusive.
    pub fn is_open_on(&self, today: impl std::borrow::Borrow<NaiveDate>) -> bool {
        let today = *today.borrow();
        self.opens_on <= today && today <= self.closes_on
    }

    /// The assessment's own calendar day at a UTC moment (its period is in local days).
    pub fn today(&self, now: impl std::borrow::Borrow<chrono::NaiveDateTime>) -> NaiveDate {
        crate::domain::time::local_date(*now.borrow(), self.zone())
    }

    /// Where the period stands at a UTC moment, in the assessment's local days.
    pub fn phase(&self, now: impl std::borrow::Borrow<chrono::NaiveDateTime>) -> Phase {
        let today = self.today(now);
        if today < self.opens_on {
            Phase::NotYetOpen
        } else if today > self.closes_on {
            Phase::Closed
        } else {
            Phase::Open
        }
    }
}

/// Where an assessment's answering period stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    NotYetOpen,
    Open,
    Closed,
}

impl Phase {
    pub fn is_open(&self) -> bool {
        *self == Phase::Open
    }

    pub fn is_not_yet_open(&self) -> bool {
        *self == Phase::NotYetOpen
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = assessments)]
pub struct NewAssessment<'a> {
    pub id: &'a str,
    pub title_es: &'a str,
    pub title_en: &'a str,
    pub instrument_key: &'a str,
    pub instrument_version: &'a str,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub show_national_averages: bool,
    pub time_zone: &'a str,
    pub averages_min_peers: i64,
}

/// What an organizer may change. The instrument stays pinned once responses exist.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = assessments)]
pub struct AssessmentChanges<'a> {
    pub title_es: &'a str,
    pub title_en: &'a str,
    pub instrument_key: Option<&'a str>,
    pub instrument_version: Option<&'a str>,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub updated_at: NaiveDateTime,
    pub show_national_averages: bool,
    pub time_zone: &'a str,
    pub averages_min_peers: i64,
}

pub fn insert(conn: &mut DbConnection, row: &NewAssessment<'_>) -> QueryResult<()> {
    diesel::insert_into(assessments::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn update(
    conn: &mut DbConnection,
    id: &str,
    changes: &AssessmentChanges<'_>,
) -> QueryResult<()> {
    let n = diesel::update(assessments::table.find(id))
        .set(changes)
        .execute(conn)?;
    if n == 0 {
        Err(diesel::result::Error::NotFound)
    } else {
        Ok(())
    }
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Assessment> {
    assessments::table
        .find(id)
        .select(Assessment::as_select())
        .get_result(conn)
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Assessment>> {
    assessments::table
        .order((assessments::opens_on.desc(), assessments::created_at.desc()))
        .select(Assessment::as_select())
        .load(conn)
}
