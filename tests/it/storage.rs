//! The storage layer on whichever backend the tests run (SQLite, or PostgreSQL with
//! TEST_DATABASE_URL).

use capacity_survey::store::{self, DbConnection};
use diesel::prelude::*;

use crate::support::{self, TestApp};

#[actix_web::test]
async fn migrations_run_and_a_row_round_trips() {
    let app = TestApp::spawn().await;
    let mut conn = app.conn();
    if support::on_postgres() {
        assert!(
            matches!(&*conn, DbConnection::Postgres(_)),
            "TEST_DATABASE_URL is set"
        );
    } else {
        assert!(matches!(&*conn, DbConnection::Sqlite(_)));
    }
    // Running the migrations again finds nothing to do.
    assert!(store::run_migrations(&mut conn).unwrap().is_empty());

    app.create_representative("Rep@SNM.gob.pa", "Renée Ñáñez 'O\"Brien'");
    let row = store::users::find_by_email(&mut conn, "rep@snm.gob.pa")
        .unwrap()
        .expect("the row just written");
    assert_eq!(row.name, "Renée Ñáñez 'O\"Brien'");
    assert_eq!(row.role, "representative");
    assert!(row.last_login_at.is_none());
    let at = chrono::NaiveDate::from_ymd_opt(2023, 7, 20)
        .unwrap()
        .and_hms_micro_opt(10, 42, 7, 123_456)
        .unwrap();
    store::users::record_login(&mut conn, &row.id, at).unwrap();
    assert_eq!(
        store::users::find(&mut conn, &row.id)
            .unwrap()
            .last_login_at,
        Some(at)
    );
    // A missing row is NotFound, which the web layer turns into 404.
    assert!(matches!(
        store::users::find(&mut conn, "nope"),
        Err(diesel::result::Error::NotFound)
    ));
}

#[actix_web::test]
async fn email_uniqueness_is_enforced_by_the_database() {
    let app = TestApp::spawn().await;
    app.create_representative("rep@snm.gob.pa", "One");
    let mut conn = app.conn();
    let duplicate = store::users::insert(
        &mut conn,
        &store::users::NewUser {
            id: &store::new_id(),
            email: "rep@snm.gob.pa",
            name: "Two",
            role: "representative",
            password_hash: "x",
            created_at: capacity_survey::service::now(),
        },
    );
    assert!(matches!(
        duplicate,
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _
        ))
    ));
    let count: i64 = store::schema::users::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(count, 1);
}
