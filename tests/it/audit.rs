//! The audit log: every recorded action writes exactly one row with who, what and from where, in
//! the action's own transaction; refused actions and rollbacks write none; the organizers' page
//! filters and pages it; the CSV export is escaped and itself recorded. Also the throttling of
//! password-reset requests.

use std::collections::HashSet;

use capacity_survey::domain::account::{EmailAddress, NewPassword, PersonName};
use capacity_survey::service::audit::{self, Action, Actor, Object};
use capacity_survey::service::{Clock, accounts};
use capacity_survey::store::audit::{AuditEntry, AuditFilter};
use chrono::Duration;
use diesel::RunQueryDsl;

use crate::forum;
use crate::support::{self, PASSWORD, TestApp, location};

const LOOPBACK: &str = "127.0.0.1";

fn all_rows(app: &TestApp) -> Vec<AuditEntry> {
    capacity_survey::store::audit::list(&mut app.conn(), &AuditFilter::default(), 0, 100_000)
        .unwrap()
}

/// Remembers the rows seen so far; `one_new` asserts that exactly one row appeared since.
struct Seen(HashSet<String>);

impl Seen {
    fn now(app: &TestApp) -> Seen {
        Seen(all_rows(app).into_iter().map(|r| r.id).collect())
    }

    fn fresh(&mut self, app: &TestApp) -> Vec<AuditEntry> {
        let fresh: Vec<AuditEntry> = all_rows(app)
            .into_iter()
            .filter(|r| !self.0.contains(&r.id))
            .collect();
        self.0.extend(fresh.iter().map(|r| r.id.clone()));
        fresh
    }

    /// Exactly one new row, of this action; returns it.
    fn one_new(&mut self, app: &TestApp, action: Action) -> AuditEntry {
        let fresh = self.fresh(app);
        let actions: Vec<&str> = fresh.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(actions, vec![action.key()], "new audit rows: {fresh:#?}");
        fresh.into_iter().next().unwrap()
    }

    fn none_new(&mut self, app: &TestApp, what: &str) {
        let fresh = self.fresh(app);
        assert!(fresh.is_empty(), "{what} wrote audit rows: {fresh:#?}");
    }
}

fn user_id(app: &TestApp, email: &str) -> String {
    capacity_survey::store::users::find_by_email(&mut app.conn(), email)
        .unwrap()
        .unwrap()
        .id
}

async fn post_with_token(
    client: &reqwest::Client,
    app: &TestApp,
    page: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let token = support::csrf_of(client, &app.url(page)).await;
    let mut fields = vec![("csrf_token", token.as_str())];
    fields.extend_from_slice(form);
    support::post_form(client, &app.url(path), &fields).await
}

/// The secret of the last password-reset link queued for `email`.
fn reset_link(app: &TestApp, email: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Body {
        #[diesel(sql_type = diesel::sql_types::Text)]
        body_text: String,
    }
    let bodies = diesel::sql_query(format!(
        "SELECT body_text FROM outbox WHERE kind = 'password_reset' AND recipient = '{email}' \
         ORDER BY created_at DESC"
    ))
    .load::<Body>(&mut *app.conn())
    .unwrap();
    let text = &bodies.first().expect("a reset email").body_text;
    let start = text.find("/password/reset/").unwrap();
    text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(['.', ')', '>'])
        .to_owned()
}

#[actix_web::test]
async fn every_recorded_action_writes_one_row_with_its_actor_object_and_address() {
    let app = TestApp::spawn().await;
    let mut seen = Seen::now(&app);

    // Setup: the first organizer, through the one-time link.
    let setup_token = app.setup_token.clone().unwrap();
    let setup_page = format!("/setup?token={setup_token}");
    let done = post_with_token(
        &app.client,
        &app,
        &setup_page,
        "/setup",
        &[
            ("token", &setup_token),
            ("name", "Olga Organizer"),
            ("email", forum::ORGANIZER),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    let olga = user_id(&app, forum::ORGANIZER);
    let row = seen.one_new(&app, Action::Setup);
    assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));
    assert_eq!(row.actor_email, forum::ORGANIZER);
    assert_eq!(row.object_type.as_deref(), Some("user"));
    assert_eq!(row.object_id.as_deref(), Some(olga.as_str()));
    assert_eq!(row.client_address.as_deref(), Some(LOOPBACK));

    // Logout, a failed login (known account, then unknown email), a login.
    let out = post_with_token(&app.client, &app, "/organizer", "/logout", &[]).await;
    assert_eq!(out.status(), 303);
    let row = seen.one_new(&app, Action::Logout);
    assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));
    assert_eq!(row.client_address.as_deref(), Some(LOOPBACK));

    let wrong = app.login(forum::ORGANIZER, "not the password").await;
    assert_eq!(wrong.status(), 422);
    let row = seen.one_new(&app, Action::LoginFailed);
    assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));
    assert_eq!(row.details, forum::ORGANIZER);
    assert!(!row.details.contains("not the password"));
    let wrong = app.login("Nobody@Example.org", "guess").await;
    assert_eq!(wrong.status(), 422);
    let row = seen.one_new(&app, Action::LoginFailed);
    assert_eq!(row.actor_user_id, None);
    assert_eq!(row.actor_email, "nobody@example.org");
    assert_eq!(row.details, "Nobody@Example.org");
    assert_eq!(row.client_address.as_deref(), Some(LOOPBACK));
    // No password anywhere in the log.
    assert!(
        all_rows(&app)
            .iter()
            .all(|r| !format!("{r:?}").contains("guess"))
    );

    assert_eq!(app.login(forum::ORGANIZER, PASSWORD).await.status(), 303);
    let row = seen.one_new(&app, Action::Login);
    assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));
    assert_eq!(row.object_id.as_deref(), Some(olga.as_str()));

    // An import (its review writes nothing), then an assessment.
    let review = forum::review_csv(&app, forum::ORGANIZATIONS_CSV).await;
    assert_eq!(review.status(), 200);
    let review = review.text().await.unwrap();
    seen.none_new(&app, "reviewing an import");
    assert_eq!(forum::confirm_import(&app, &review).await.status(), 200);
    let row = seen.one_new(&app, Action::OrganizationsImported);
    assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));
    assert_eq!(row.object_type.as_deref(), Some("organization"));
    assert_eq!(row.object_id, None);
    assert_eq!(row.details, "imported=3 skipped=0");
    assert_eq!(row.client_address.as_deref(), Some(LOOPBACK));
    let assessment = forum::create_assessment(&app).await;
    let row = seen.one_new(&app, Action::AssessmentCreated);
    assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));
    assert_eq!(row.object_type.as_deref(), Some("assessment"));
    assert_eq!(row.object_id.as_deref(), Some(assessment.as_str()));
    assert_eq!(row.assessment_id.as_deref(), Some(assessment.as_str()));
    assert_eq!(row.client_address.as_deref(), Some(LOOPBACK));

    // Invitations: sent, resent, revoked (once; a second revoke changes nothing).
    let inec = forum::organization_id(&app, "INEC");
    let snm = forum::organization_id(&app, "SNM");
    let luis_link = forum::invite(&app, &assessment, &snm, "Luis", "luis@migracion.gob.pa").await;
    let row = seen.one_new(&app, Action::InvitationSent);
    assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));
    assert_eq!(row.actor_email, forum::ORGANIZER);
    assert_eq!(row.object_type.as_deref(), Some("invitation"));
    assert_eq!(row.assessment_id.as_deref(), Some(assessment.as_str()));
    assert_eq!(row.details, "luis@migracion.gob.pa");
    let first_invitation = row.object_id.clone().unwrap();
    assert!(luis_link.starts_with("/invite/"));

    let invite_page = format!("/organizer/assessments/{assessment}/invite");
    let resent = post_with_token(
        &app.client,
        &app,
        &invite_page,
        &format!("/organizer/invitations/{first_invitation}/resend"),
        &[],
    )
    .await;
    assert_eq!(resent.status(), 200);
    let row = seen.one_new(&app, Action::InvitationResent);
    let second_invitation = row.object_id.clone().unwrap();
    assert_ne!(second_invitation, first_invitation);
    assert_eq!(row.assessment_id.as_deref(), Some(assessment.as_str()));
    assert!(row.details.contains(&first_invitation), "{}", row.details);

    for attempt in 0..2 {
        let revoked = post_with_token(
            &app.client,
            &app,
            &invite_page,
            &format!("/organizer/invitations/{second_invitation}/revoke"),
            &[],
        )
        .await;
        assert_eq!(revoked.status(), 303);
        if attempt == 0 {
            let row = seen.one_new(&app, Action::InvitationRevoked);
            assert_eq!(row.object_id.as_deref(), Some(second_invitation.as_str()));
            assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));
        } else {
            seen.none_new(&app, "revoking a revoked invitation");
        }
    }

    // Accepting an invitation (a new account).
    let ana_link = forum::invite(&app, &assessment, &inec, "Ana Pérez", "ana@inec.gob.pa").await;
    seen.one_new(&app, Action::InvitationSent);
    let (ana, response) = forum::accept(&app, &ana_link, "Ana Pérez").await;
    let ana_id = user_id(&app, "ana@inec.gob.pa");
    let row = seen.one_new(&app, Action::InvitationAccepted);
    assert_eq!(row.actor_user_id.as_deref(), Some(ana_id.as_str()));
    assert_eq!(row.actor_email, "ana@inec.gob.pa");
    assert_eq!(row.assessment_id.as_deref(), Some(assessment.as_str()));
    assert_eq!(row.details, "new account");
    assert_eq!(row.client_address.as_deref(), Some(LOOPBACK));

    // A refused submission (answers missing) writes nothing; the real one writes one row.
    let review = format!("/responses/{response}/review");
    let submit = format!("/responses/{response}/submit");
    let early = post_with_token(&ana, &app, &review, &submit, &[]).await;
    assert_eq!(early.status(), 422);
    seen.none_new(&app, "a refused submission");
    let instrument = forum::instrument();
    for section in &instrument.sections {
        if matches!(
            section.body,
            capacity_survey::domain::instrument::SectionBody::Mechanisms(_)
        ) {
            continue;
        }
        let answers = forum::complete_answers(&instrument, &section.key);
        let saved = forum::save_section(&ana, &app, &response, &section.key, &answers, &[]).await;
        assert_eq!(saved.status(), 303);
        // One row per save: the section's code and the response, never the values.
        let row = seen.one_new(&app, Action::SectionSaved);
        assert_eq!(row.actor_user_id.as_deref(), Some(ana_id.as_str()));
        assert_eq!(row.object_type.as_deref(), Some("response"));
        assert_eq!(row.object_id.as_deref(), Some(response.as_str()));
        assert_eq!(row.assessment_id.as_deref(), Some(assessment.as_str()));
        assert_eq!(row.details, section.key);
        assert_eq!(row.client_address.as_deref(), Some(LOOPBACK));
    }
    let submitted = post_with_token(&ana, &app, &review, &submit, &[]).await;
    assert_eq!(submitted.status(), 303);
    let row = seen.one_new(&app, Action::ResponseSubmitted);
    assert_eq!(row.actor_user_id.as_deref(), Some(ana_id.as_str()));
    assert_eq!(row.object_type.as_deref(), Some("response"));
    assert_eq!(row.object_id.as_deref(), Some(response.as_str()));
    assert_eq!(row.assessment_id.as_deref(), Some(assessment.as_str()));

    // Reopening: a blank reason is refused (no row), a reason is recorded.
    let reopen = format!("/organizer/responses/{response}/reopen");
    let refused = post_with_token(&app.client, &app, &review, &reopen, &[("reason", " ")]).await;
    assert_eq!(refused.status(), 422);
    seen.none_new(&app, "a refused reopening");
    let reopened = post_with_token(
        &app.client,
        &app,
        &review,
        &reopen,
        &[("reason", "Falta la evidencia del mandato")],
    )
    .await;
    assert_eq!(reopened.status(), 303);
    let row = seen.one_new(&app, Action::ResponseReopened);
    assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));
    assert_eq!(row.details, "Falta la evidencia del mandato");
    assert_eq!(row.object_id.as_deref(), Some(response.as_str()));
    assert_eq!(row.assessment_id.as_deref(), Some(assessment.as_str()));
    // Reopening what is not submitted is refused and writes nothing.
    let again = post_with_token(
        &app.client,
        &app,
        &review,
        &reopen,
        &[("reason", "Otra vez")],
    )
    .await;
    assert_eq!(again.status(), 409);
    seen.none_new(&app, "reopening a reopened response");

    // Exports: each file kind once; an unknown file or assessment writes nothing.
    for file in [
        "matrix.csv",
        "mechanisms.csv",
        "flows.csv",
        "domains.csv",
        "answers.csv",
        "workbook.xlsx",
        "assessment.json",
    ] {
        let export = app
            .get(&format!(
                "/organizer/assessments/{assessment}/export/{file}"
            ))
            .await;
        assert_eq!(export.status(), 200, "{file}");
        let _ = export.bytes().await.unwrap();
        let row = seen.one_new(&app, Action::Export);
        assert_eq!(row.details, file);
        assert_eq!(row.assessment_id.as_deref(), Some(assessment.as_str()));
        assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));
    }
    let unknown = app
        .get(&format!(
            "/organizer/assessments/{assessment}/export/secrets.txt"
        ))
        .await;
    assert_eq!(unknown.status(), 404);
    let unknown = app
        .get("/organizer/assessments/nope/export/matrix.csv")
        .await;
    assert_eq!(unknown.status(), 404);
    seen.none_new(&app, "exports that do not exist");

    // Password reset: asked (for an account, and for an unknown email), then completed.
    let visitor = app.new_client();
    for email in ["ana@inec.gob.pa", "ghost@example.org"] {
        let asked = post_with_token(
            &visitor,
            &app,
            "/password/forgot",
            "/password/forgot",
            &[("email", email)],
        )
        .await;
        assert_eq!(asked.status(), 200);
        let row = seen.one_new(&app, Action::PasswordResetRequested);
        assert_eq!(row.actor_email, email);
        assert_eq!(row.client_address.as_deref(), Some(LOOPBACK));
        if email == "ana@inec.gob.pa" {
            assert_eq!(row.actor_user_id.as_deref(), Some(ana_id.as_str()));
            assert_eq!(row.details, "link sent");
        } else {
            assert_eq!(row.actor_user_id, None);
            assert_eq!(row.details, "unknown account");
        }
    }
    let link = reset_link(&app, "ana@inec.gob.pa");
    let new_password = "a brand new passphrase";
    let reset = post_with_token(
        &visitor,
        &app,
        &link,
        &link,
        &[
            ("password", new_password),
            ("password_confirm", new_password),
        ],
    )
    .await;
    assert_eq!(reset.status(), 303);
    let row = seen.one_new(&app, Action::PasswordResetCompleted);
    assert_eq!(row.actor_user_id.as_deref(), Some(ana_id.as_str()));
    assert!(row.details.ends_with("sessions ended"), "{}", row.details);
    assert_eq!(row.object_id.as_deref(), Some(ana_id.as_str()));
    assert!(!format!("{row:?}").contains(new_password));

    // The audit CSV export is itself recorded (and does not list itself).
    let csv = app.get("/organizer/audit.csv?action=setup").await;
    assert_eq!(csv.status(), 200);
    let body = csv.text().await.unwrap();
    assert!(!body.contains("audit_exported"));
    let row = seen.one_new(&app, Action::AuditExported);
    assert_eq!(row.details, "action=setup");
    assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));

    // An organizer ends every session of an account.
    let token = app.csrf("/organizer").await;
    let ended = app
        .post_form(
            &format!("/organizer/users/{ana_id}/sessions/end"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(ended.status(), 303);
    let row = seen.one_new(&app, Action::SessionEnded);
    assert_eq!(row.actor_user_id.as_deref(), Some(olga.as_str()));
    assert_eq!(row.object_id.as_deref(), Some(ana_id.as_str()));
    assert_eq!(row.client_address.as_deref(), Some(LOOPBACK));

    // Reading the log is not an action.
    assert_eq!(app.get("/organizer/audit").await.status(), 200);
    seen.none_new(&app, "reading the audit page");

    // Every action of the list was seen at least once, except the command line's, the session
    // ends (written by the session module) and the writes of the next test.
    let recorded: HashSet<String> = all_rows(&app).into_iter().map(|r| r.action).collect();
    let elsewhere = [
        Action::OrganizerCreated,
        Action::MechanismCreated,
        Action::MechanismUpdated,
        Action::MechanismDeleted,
        Action::AssessmentUpdated,
        Action::OrganizationCreated,
        Action::OrganizationUpdated,
        Action::ReminderPolicySaved,
        Action::RemindersSent,
        Action::EmailRetried,
    ];
    for action in Action::ALL {
        if !elsewhere.contains(&action) {
            assert!(recorded.contains(action.key()), "{action:?} never recorded");
        }
    }
}

#[actix_web::test]
async fn an_organizer_created_on_the_command_line_is_recorded_without_an_actor() {
    let app = TestApp::spawn().await;
    let email = EmailAddress::parse("cli@mire.gob.pa").unwrap();
    let name = PersonName::parse("Carlos Consola").unwrap();
    let password = NewPassword::parse(PASSWORD).unwrap();
    let now = app.clock.now();
    let user =
        accounts::create_organizer(&mut app.conn(), &email, &name, &password, false, None, now)
            .unwrap();
    let rows = all_rows(&app);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0].action, Action::OrganizerCreated.key());
    assert_eq!(rows[0].actor_user_id, None);
    assert_eq!(rows[0].object_id.as_deref(), Some(user.id.as_str()));
    assert_eq!(rows[0].details, "command line");
    assert_eq!(rows[0].client_address, None);
}

#[actix_web::test]
async fn a_failed_or_rolled_back_action_leaves_no_audit_row() {
    let app = TestApp::spawn().await;
    app.create_organizer(forum::ORGANIZER, "Olga Organizer");
    let before = all_rows(&app).len();
    // The same email again: the account is refused, and so is its audit row.
    let email = EmailAddress::parse(forum::ORGANIZER).unwrap();
    let name = PersonName::parse("Otra Olga").unwrap();
    let password = NewPassword::parse(PASSWORD).unwrap();
    let now = app.clock.now();
    let refused =
        accounts::create_organizer(&mut app.conn(), &email, &name, &password, false, None, now);
    assert!(matches!(
        refused,
        Err(accounts::CreateAccountError::EmailTaken)
    ));
    assert_eq!(all_rows(&app).len(), before);

    // A row recorded inside a transaction that then fails is gone with it.
    let actor = Actor::anonymous("someone@example.org", Some("192.0.2.1".into()));
    let mut conn = app.conn();
    let result: Result<(), capacity_survey::error::AppError> =
        capacity_survey::store::write(&mut conn, |conn| {
            audit::record(conn, &actor, Action::Logout, Object::default(), "", now)?;
            assert_eq!(
                capacity_survey::store::audit::count(conn, &AuditFilter::default()).unwrap(),
                i64::try_from(before).unwrap() + 1,
                "visible inside the transaction"
            );
            Err(capacity_survey::error::AppError::Internal(
                "the action failed".into(),
            ))
        });
    assert!(result.is_err());
    drop(conn);
    assert_eq!(all_rows(&app).len(), before);
}

/// Seeds rows directly (one per minute, oldest first) for the page tests.
fn seed(app: &TestApp, rows: &[(&str, Action, Option<&str>, &str)]) -> chrono::NaiveDateTime {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 1)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    let mut conn = app.conn();
    for (i, (email, action, assessment, details)) in rows.iter().enumerate() {
        let at = start + Duration::minutes(i64::try_from(i).unwrap());
        let actor = Actor::anonymous(email, Some("198.51.100.4".into()));
        let object = Object {
            assessment_id: *assessment,
            ..Object::default()
        };
        audit::record(&mut conn, &actor, *action, object, details, at).unwrap();
    }
    start
}

async fn audit_page(app: &TestApp, query: &str) -> (u16, String) {
    let response = app.get(&format!("/organizer/audit?{query}")).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[actix_web::test]
async fn the_page_filters_by_action_actor_dates_and_assessment() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    let assessment = forum::create_assessment(&app).await;
    // Forget the rows the fixtures wrote.
    diesel::sql_query("DELETE FROM audit_log")
        .execute(&mut *app.conn())
        .unwrap();
    let start = seed(
        &app,
        &[
            ("ana@inec.gob.pa", Action::Login, None, "first-login"),
            ("luis@migracion.gob.pa", Action::Login, None, "second-login"),
            (
                "ana@inec.gob.pa",
                Action::Export,
                Some(&assessment),
                "matrix.csv",
            ),
            ("a_b@example.org", Action::LoginFailed, None, "underscore"),
        ],
    );
    // A day later.
    {
        let actor = Actor::anonymous("late@example.org", None);
        let at = start + Duration::days(1);
        audit::record(
            &mut app.conn(),
            &actor,
            Action::Logout,
            Object::default(),
            "next-day",
            at,
        )
        .unwrap();
    }
    let markers = [
        "first-login",
        "second-login",
        "matrix.csv",
        "underscore",
        "next-day",
    ];
    let shown = |html: &str| -> Vec<&str> {
        markers
            .iter()
            .copied()
            .filter(|m| html.contains(&format!("<td>{m}</td>")))
            .collect()
    };

    let (status, html) = audit_page(&app, "").await;
    assert_eq!(status, 200);
    assert_eq!(shown(&html), markers.to_vec());
    // Newest first.
    assert!(html.find("next-day").unwrap() < html.find("first-login").unwrap());
    assert!(
        html.contains("href=\"/organizer/audit\""),
        "in the navigation"
    );

    let (_, html) = audit_page(&app, "action=login").await;
    assert_eq!(shown(&html), vec!["first-login", "second-login"]);
    let (_, html) = audit_page(&app, "actor=ANA%40inec").await;
    assert_eq!(shown(&html), vec!["first-login", "matrix.csv"]);
    // LIKE wildcards typed in the actor filter are literal.
    let (_, html) = audit_page(&app, "actor=_").await;
    assert_eq!(shown(&html), vec!["underscore"]);
    let (_, html) = audit_page(&app, "actor=%25").await;
    assert_eq!(shown(&html), Vec::<&str>::new());
    assert!(html.contains("Ninguna entrada coincide"));
    let (_, html) = audit_page(&app, &format!("assessment={assessment}")).await;
    assert_eq!(shown(&html), vec!["matrix.csv"]);
    let day = start.date();
    let next = day + Duration::days(1);
    let (_, html) = audit_page(&app, &format!("from={next}")).await;
    assert_eq!(shown(&html), vec!["next-day"]);
    let (_, html) = audit_page(&app, &format!("to={day}")).await;
    assert_eq!(
        shown(&html),
        vec!["first-login", "second-login", "matrix.csv", "underscore"]
    );
    let (_, html) = audit_page(&app, &format!("from={day}&to={day}&action=export")).await;
    assert_eq!(shown(&html), vec!["matrix.csv"]);
    // The typed filter is kept in the form.
    assert!(html.contains(&format!("value=\"{day}\"")));

    // Bad values: a message next to the form in the user's language, never a 500.
    for (query, message) in [
        ("action=drop", "Elija una acción de la lista."),
        ("from=ayer", "Escriba la fecha como AAAA-MM-DD."),
        ("to=2026-02-30", "Escriba la fecha como AAAA-MM-DD."),
        ("from=2026-11-02&to=2026-11-01", "no puede ser anterior"),
        (
            "assessment=%27%20OR%201%3D1",
            "Elija una evaluación de la lista.",
        ),
        ("page=0", "El número de página no es válido."),
        (
            "page=99999999999999999999",
            "El número de página no es válido.",
        ),
    ] {
        let (status, html) = audit_page(&app, query).await;
        assert_eq!(status, 422, "{query}");
        assert!(html.contains(message), "{query}: {html}");
        assert_eq!(shown(&html), Vec::<&str>::new(), "{query}");
    }
    let (status, html) = audit_page(&app, "lang=en&from=yesterday").await;
    assert_eq!(status, 422);
    assert!(html.contains("Write the date as YYYY-MM-DD."));
    // The CSV refuses the same way.
    let csv = app.get("/organizer/audit.csv?from=ayer").await;
    assert_eq!(csv.status(), 422);
    // Repeated keys are a bad request, not a crash.
    let (status, _) = audit_page(&app, "action=login&action=logout").await;
    assert!((400..500).contains(&status), "{status}");
}

#[actix_web::test]
async fn the_log_is_paged_a_hundred_rows_at_a_time_newest_first() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    diesel::sql_query("DELETE FROM audit_log")
        .execute(&mut *app.conn())
        .unwrap();
    let details: Vec<String> = (0..250).map(|i| format!("row-{i:03}")).collect();
    let rows: Vec<(&str, Action, Option<&str>, &str)> = details
        .iter()
        .map(|d| ("ana@inec.gob.pa", Action::Login, None, d.as_str()))
        .collect();
    seed(&app, &rows);
    let cells = |html: &str| -> Vec<String> {
        html.split("<td>row-")
            .skip(1)
            .map(|rest| format!("row-{}", &rest[..3]))
            .collect()
    };
    let first = app
        .get("/organizer/audit?action=login")
        .await
        .text()
        .await
        .unwrap();
    let first_rows = cells(&first);
    assert_eq!(first_rows.len(), 100);
    assert_eq!(first_rows[0], "row-249");
    assert_eq!(first_rows[99], "row-150");
    // The pager links keep the filter.
    assert!(
        first.contains("href=\"/organizer/audit?action=login&#38;page=2\""),
        "{first}"
    );
    let third = app
        .get("/organizer/audit?action=login&page=3")
        .await
        .text()
        .await
        .unwrap();
    let third_rows = cells(&third);
    assert_eq!(third_rows.len(), 50);
    assert_eq!(third_rows[0], "row-049");
    assert_eq!(third_rows[49], "row-000");
    assert!(third.contains("201–250 / 250"), "{third}");
    // Past the end: the last page.
    let past = app
        .get("/organizer/audit?action=login&page=9")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(cells(&past), third_rows);
}

#[actix_web::test]
async fn the_csv_export_holds_the_filtered_rows_with_formulas_defused() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    diesel::sql_query("DELETE FROM audit_log")
        .execute(&mut *app.conn())
        .unwrap();
    let hostile = [
        "=HYPERLINK(\"http://evil.example\")",
        "+1+1",
        "-2",
        "@SUM(A1)",
        "\tTabbed",
        "\rReturn",
        "plain, with \"quotes\"\nand a new line",
    ];
    let rows: Vec<(&str, Action, Option<&str>, &str)> = hostile
        .iter()
        .map(|d| ("=evil@example.org", Action::LoginFailed, None, *d))
        .chain([("ana@inec.gob.pa", Action::Login, None, "not selected")])
        .collect();
    seed(&app, &rows);
    let response = app.get("/organizer/audit.csv?action=login_failed").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("audit.csv")
    );
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "at",
            "actor_user_id",
            "actor_email",
            "action",
            "object_type",
            "object_id",
            "assessment_id",
            "details",
            "client_address"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), hostile.len(), "only the filtered rows");
    // Newest first: the last seeded comes first.
    let details: Vec<&str> = records.iter().map(|r| &r[7]).collect();
    let expected: Vec<String> = hostile
        .iter()
        .rev()
        .map(|d| {
            if d.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{d}")
            } else {
                (*d).to_owned()
            }
        })
        .collect();
    assert_eq!(details, expected);
    for record in &records {
        assert_eq!(&record[2], "'=evil@example.org");
        assert_eq!(&record[3], "login_failed");
        assert_eq!(&record[8], "198.51.100.4");
        assert_eq!(&record[0][..10], "2026-11-01");
    }
    // The export itself is in the log now, with its filter.
    let exported = capacity_survey::store::audit::list(
        &mut app.conn(),
        &AuditFilter {
            action: Some("audit_exported".into()),
            ..AuditFilter::default()
        },
        0,
        10,
    )
    .unwrap();
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0].details, "action=login_failed");
}

#[actix_web::test]
async fn representatives_may_not_read_the_log_and_visitors_are_sent_to_log_in() {
    let app = TestApp::spawn().await;
    let forum::Forum { rep, .. } = forum::forum(&app).await;
    for path in ["/organizer/audit", "/organizer/audit.csv"] {
        assert_eq!(support::get(&rep, &app.url(path)).await.status(), 403);
        let visitor = support::get(&app.new_client(), &app.url(path)).await;
        assert_eq!(visitor.status(), 303);
        assert!(location(&visitor).starts_with("/login"));
        assert_eq!(app.get(path).await.status(), 200);
    }
}

async fn ask_reset(client: &reqwest::Client, app: &TestApp, email: &str) -> reqwest::Response {
    post_with_token(
        client,
        app,
        "/password/forgot",
        "/password/forgot",
        &[("email", email)],
    )
    .await
}

#[actix_web::test]
async fn reset_requests_are_throttled_per_email_and_address_alike_for_unknown_emails() {
    let app = TestApp::spawn().await;
    app.create_representative("ana@inec.gob.pa", "Ana Pérez");
    let visitor = app.new_client();
    // The same answers for an account and for an email nobody has: 5 taken, then 429.
    for email in ["ana@inec.gob.pa", "ghost@example.org"] {
        for _ in 0..5 {
            let response = ask_reset(&visitor, &app, email).await;
            assert_eq!(response.status(), 200, "{email}");
        }
        let response = ask_reset(&visitor, &app, email).await;
        assert_eq!(response.status(), 429, "{email}");
        let wait: i64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&wait), "{wait}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Demasiadas solicitudes de enlace"), "{html}");
        assert!(
            html.contains(&format!("value=\"{email}\"")),
            "the email is kept"
        );
    }
    // Case and spaces do not make a new email.
    let response = ask_reset(&visitor, &app, " ANA@inec.gob.pa ").await;
    assert_eq!(response.status(), 429);
    // Only 3 links a hour are actually mailed to the account, as before.
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sent = diesel::sql_query("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'password_reset'")
        .get_result::<Count>(&mut *app.conn())
        .unwrap();
    assert_eq!(sent.n, 3);

    // Per address: 10 requests taken so far; 10 more for other emails, then the address is over.
    for i in 0..10 {
        let response = ask_reset(&visitor, &app, &format!("other{i}@example.org")).await;
        assert_eq!(response.status(), 200);
    }
    let response = ask_reset(&visitor, &app, "fresh@example.org").await;
    assert_eq!(response.status(), 429);
    // In English when the page is.
    let token = support::csrf_of(&visitor, &app.url("/password/forgot?lang=en")).await;
    let english = support::post_form(
        &visitor,
        &app.url("/password/forgot"),
        &[("csrf_token", &token), ("email", "fresh@example.org")],
    )
    .await;
    assert_eq!(english.status(), 429);
    assert!(
        english
            .text()
            .await
            .unwrap()
            .contains("Too many link requests")
    );
    // Login is counted apart: the account can still log in.
    let login = support::login(&visitor, &app.base, "ana@inec.gob.pa", PASSWORD).await;
    assert_eq!(login.status(), 303);

    // After the window, requests are taken again.
    app.clock.advance(Duration::minutes(16));
    let response = ask_reset(&app.new_client(), &app, "ana@inec.gob.pa").await;
    assert_eq!(response.status(), 200);
}

async fn failed_login(app: &TestApp, client: reqwest::Client) -> reqwest::Response {
    let url = app.url("/login");
    let token = support::csrf_of(&client, &url).await;
    client
        .post(&url)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "nobody@example.org"),
            ("password", "wrong"),
        ])
        .header("X-Forwarded-For", "6.6.6.6, 203.0.113.5")
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_forwarded_client_address_is_recorded_and_throttled() {
    // Not configured: the header is ignored, the peer is the client.
    let app = TestApp::spawn().await;
    assert_eq!(failed_login(&app, app.new_client()).await.status(), 422);
    let rows = all_rows(&app);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].client_address.as_deref(), Some(LOOPBACK));
    drop(app);

    // The loopback proxy trusted: the right-most untrusted hop is the client, for the log and for
    // the login throttle alike.
    let app = TestApp::spawn_configured(
        |_| {},
        |config| config.trusted_proxies = vec![LOOPBACK.parse().unwrap()],
    )
    .await;
    assert_eq!(failed_login(&app, app.new_client()).await.status(), 422);
    let rows = all_rows(&app);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].client_address.as_deref(), Some("203.0.113.5"));
    #[derive(diesel::QueryableByName)]
    struct Key {
        #[diesel(sql_type = diesel::sql_types::Text)]
        key: String,
    }
    let keys: Vec<String> = diesel::sql_query("SELECT key FROM throttle_events")
        .load::<Key>(&mut *app.conn())
        .unwrap()
        .into_iter()
        .map(|k| k.key)
        .collect();
    assert!(keys.contains(&"address:203.0.113.5".to_owned()), "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains("127.0.0.1")), "{keys:?}");
}

#[actix_web::test]
async fn the_date_filter_and_the_times_shown_are_in_the_forum_zone() {
    let app = TestApp::spawn_configured(
        |_| {},
        |config| config.time_zone = chrono_tz::America::Panama,
    )
    .await;
    forum::organizer(&app).await;
    diesel::sql_query("DELETE FROM audit_log")
        .execute(&mut *app.conn())
        .unwrap();
    // 03:00 UTC on 4 July is 22:00 on 3 July in Panama (UTC-5).
    let at = chrono::NaiveDate::from_ymd_opt(2026, 7, 4)
        .unwrap()
        .and_hms_opt(3, 0, 0)
        .unwrap();
    let actor = Actor::anonymous("late@example.org", Some("198.51.100.4".into()));
    audit::record(
        &mut app.conn(),
        &actor,
        Action::Logout,
        Object::default(),
        "late-evening",
        at,
    )
    .unwrap();
    let found = |html: &str| html.contains("<td>late-evening</td>");

    let (status, html) = audit_page(&app, "from=2026-07-03&to=2026-07-03").await;
    assert_eq!(status, 200);
    assert!(found(&html), "3 July in Panama: {html}");
    assert!(
        html.contains("3 de julio de 2026, 22:00:00 EST"),
        "the local time with its abbreviation: {html}"
    );
    assert!(html.contains("America/Panama"), "the zone is named");
    let (_, html) = audit_page(&app, "from=2026-07-04&to=2026-07-04").await;
    assert!(!found(&html), "not on 4 July in Panama");
    let (_, html) = audit_page(&app, "to=2026-07-03").await;
    assert!(found(&html));
    let (_, html) = audit_page(&app, "from=2026-07-04").await;
    assert!(!found(&html));

    // The CSV export keeps ISO 8601 with the offset, and its audit row names the local days.
    let csv = app
        .get("/organizer/audit.csv?from=2026-07-03&to=2026-07-03")
        .await;
    assert_eq!(csv.status(), 200);
    let body = csv.text().await.unwrap();
    assert!(body.contains("2026-07-03T22:00:00-05:00"), "{body}");
    assert!(body.contains("late-evening"), "{body}");
    let export = all_rows(&app)
        .into_iter()
        .find(|r| r.action == Action::AuditExported.key())
        .unwrap();
    assert_eq!(export.details, "from=2026-07-03 to=2026-07-03");
}

/// Text typed as answers, evidence, a mechanism's name, and a password: none may reach the log.
const TYPED_ANSWER: &str = "Respuesta-Confidencial-7391";
const TYPED_EVIDENCE: &str = "Evidencia-Confidencial-4410";
const TYPED_MECHANISM: &str = "Mecanismo-Confidencial-5521";
const TYPED_PASSWORD: &str = "Clave-Equivocada-8830";

#[actix_web::test]
async fn each_other_write_writes_exactly_its_row_and_never_a_typed_value() {
    use capacity_survey::domain::instrument::{ItemKind, SectionBody};
    let app = TestApp::spawn().await;
    let forum::Forum {
        assessment,
        rep: ana,
        response,
    } = forum::forum(&app).await;
    let ana_id = user_id(&app, "ana@inec.gob.pa");
    let olga = user_id(&app, forum::ORGANIZER);
    let mut seen = Seen::now(&app);
    let check = |row: &AuditEntry, who: &str, kind: &str, id: Option<&str>| {
        assert_eq!(row.actor_user_id.as_deref(), Some(who), "{row:#?}");
        assert_eq!(row.object_type.as_deref(), Some(kind), "{row:#?}");
        assert_eq!(row.object_id.as_deref(), id, "{row:#?}");
        assert_eq!(row.client_address.as_deref(), Some(LOOPBACK), "{row:#?}");
    };

    // Section saves: a typed text answer, then a maturity answer with typed evidence.
    let instrument = forum::instrument();
    let mut text_saved = false;
    let mut evidence_saved = false;
    for section in &instrument.sections {
        let SectionBody::Items(items) = &section.body else {
            continue;
        };
        let mut answers = forum::complete_answers(&instrument, &section.key);
        let text = items
            .iter()
            .find(|i| matches!(i.kind, ItemKind::Text { .. }) && i.relevant_when.is_none());
        let maturity = items
            .iter()
            .find(|i| matches!(i.kind, ItemKind::Maturity { .. }) && i.relevant_when.is_none());
        let mut evidence = Vec::new();
        if let Some(item) = text.filter(|_| !text_saved) {
            answers.retain(|(k, _)| *k != item.key);
            answers.push((item.key.clone(), vec![TYPED_ANSWER.to_owned()]));
            text_saved = true;
        } else if let Some(item) = maturity.filter(|_| !evidence_saved) {
            if !answers.iter().any(|(k, _)| *k == item.key) {
                answers.push((item.key.clone(), forum::valid_value(&instrument, item)));
            }
            evidence.push((item.key.as_str(), TYPED_EVIDENCE));
            evidence_saved = true;
        } else {
            continue;
        }
        let saved =
            forum::save_section(&ana, &app, &response, &section.key, &answers, &evidence).await;
        assert_eq!(saved.status(), 303, "{}", section.key);
        let row = seen.one_new(&app, Action::SectionSaved);
        check(&row, &ana_id, "response", Some(&response));
        assert_eq!(row.assessment_id.as_deref(), Some(assessment.as_str()));
        assert_eq!(row.details, section.key);
        // A save at a stale version is a conflict: nothing saved, nothing recorded.
        let stale = forum::post_section(
            &ana,
            &app,
            &response,
            &section.key,
            &forum::section_state(&ana, &app, &response, &section.key)
                .await
                .0,
            "0",
            &answers,
            &[],
        )
        .await;
        assert_eq!(stale.status(), 409, "{}", section.key);
        seen.none_new(&app, "a conflicting save");
    }
    assert!(text_saved && evidence_saved);

    // Mechanism entries: added, changed, removed (a second removal is a 404 and no row).
    let added = forum::add_mechanism(&ana, &app, &response, TYPED_MECHANISM, "", "OIM").await;
    assert_eq!(added.status(), 303);
    let row = seen.one_new(&app, Action::MechanismCreated);
    let mechanism = row.object_id.clone().unwrap();
    check(&row, &ana_id, "mechanism", Some(&mechanism));
    assert_eq!(row.assessment_id.as_deref(), Some(assessment.as_str()));
    assert_eq!(row.details, format!("response={response}"));
    let edit = format!("/responses/{response}/mechanisms/{mechanism}");
    let html = support::text(&ana, &app.url(&edit)).await;
    let token = forum::hidden_value(&html, "csrf_token").unwrap();
    let version = forum::hidden_value(&html, "version").unwrap();
    let changed_name = format!("{TYPED_MECHANISM}-2");
    let changed = support::post_form(
        &ana,
        &app.url(&edit),
        &[
            ("csrf_token", token.as_str()),
            ("version", version.as_str()),
            ("v.name", changed_name.as_str()),
            ("partner_org", ""),
            ("partner_name", "OIM"),
            ("v.direction", "provide"),
            ("v.domains", "asylum"),
            ("v.channel", "email"),
            ("v.frequency", "monthly"),
            ("v.delay_days", "15"),
            ("v.personal_data", "no"),
            ("v.status", "active"),
        ],
    )
    .await;
    assert_eq!(changed.status(), 303);
    let row = seen.one_new(&app, Action::MechanismUpdated);
    check(&row, &ana_id, "mechanism", Some(&mechanism));
    assert_eq!(row.details, format!("response={response}"));
    let delete = format!("{edit}/delete");
    for attempt in 0..2 {
        let token = support::csrf_of(&ana, &app.url(&format!("/responses/{response}"))).await;
        let removed =
            support::post_form(&ana, &app.url(&delete), &[("csrf_token", token.as_str())]).await;
        if attempt == 0 {
            assert_eq!(removed.status(), 303);
            let row = seen.one_new(&app, Action::MechanismDeleted);
            check(&row, &ana_id, "mechanism", Some(&mechanism));
        } else {
            assert_eq!(removed.status(), 404);
            seen.none_new(&app, "removing a removed entry");
        }
    }

    // Organizations: added, changed; a duplicate is refused without a row.
    let organization_form = |token: &str, name: &str| -> Vec<(String, String)> {
        [
            ("csrf_token", token),
            ("name", name),
            ("acronym", "OIMP"),
            ("sector", "statistics"),
            ("contact_name", ""),
            ("contact_email", ""),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let token = app.csrf("/organizer/organizations/new").await;
    let created = app
        .client
        .post(app.url("/organizer/organizations"))
        .form(&organization_form(&token, "Oficina de Migración Portuaria"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 303);
    let organization = forum::organization_id(&app, "OIMP");
    let row = seen.one_new(&app, Action::OrganizationCreated);
    check(&row, &olga, "organization", Some(&organization));
    let again = app
        .client
        .post(app.url("/organizer/organizations"))
        .form(&organization_form(&token, "Oficina de Migración Portuaria"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 422);
    seen.none_new(&app, "a duplicate organization");
    let updated = app
        .client
        .post(app.url(&format!("/organizer/organizations/{organization}")))
        .form(&organization_form(&token, "Oficina Portuaria de Migración"))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 303);
    let row = seen.one_new(&app, Action::OrganizationUpdated);
    check(&row, &olga, "organization", Some(&organization));

    // The assessment changed.
    let today = app.clock.today();
    let updated = app
        .post_form(
            &format!("/organizer/assessments/{assessment}"),
            &[
                ("csrf_token", &token),
                ("title_es", "Foro 2023 (revisado)"),
                ("title_en", "Forum 2023 (revised)"),
                ("instrument", "forum@2023.1"),
                ("opens_on", &(today - Duration::days(1)).to_string()),
                ("closes_on", &(today + Duration::days(40)).to_string()),
            ],
        )
        .await;
    assert_eq!(updated.status(), 303, "{}", updated.text().await.unwrap());
    let row = seen.one_new(&app, Action::AssessmentUpdated);
    check(&row, &olga, "assessment", Some(&assessment));
    assert_eq!(row.assessment_id.as_deref(), Some(assessment.as_str()));

    // Reminders: the policy saved (a bad one is refused without a row), then sent now.
    let reminders = format!("/organizer/assessments/{assessment}/reminders");
    let policy = |first: &'static str| {
        [
            ("csrf_token", token.clone()),
            ("enabled", "on".to_owned()),
            ("first_after_days", first.to_owned()),
            ("every_days", "5".to_owned()),
            ("max_reminders", "3".to_owned()),
            ("final_days_before", "2".to_owned()),
        ]
    };
    let saved = app
        .client
        .post(app.url(&format!("{reminders}/policy")))
        .form(&policy("3"))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    let row = seen.one_new(&app, Action::ReminderPolicySaved);
    check(&row, &olga, "assessment", Some(&assessment));
    assert_eq!(
        row.details,
        "enabled=true first_after_days=3 every_days=5 max_reminders=3 final_days_before=2"
    );
    let bad = app
        .client
        .post(app.url(&format!("{reminders}/policy")))
        .form(&policy("0"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    seen.none_new(&app, "a refused policy");
    let inec = forum::organization_id(&app, "INEC");
    let sent = app
        .post_form(
            &format!("{reminders}/send"),
            &[("csrf_token", &token), ("organization", &inec)],
        )
        .await;
    assert_eq!(sent.status(), 303);
    let row = seen.one_new(&app, Action::RemindersSent);
    check(&row, &olga, "assessment", Some(&assessment));
    assert_eq!(row.details, "organizations=1 messages=1 skipped=0");

    // A failed email queued again (once: a second retry changes nothing and writes nothing).
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let email = diesel::sql_query("SELECT id FROM outbox ORDER BY created_at LIMIT 1")
        .load::<Id>(&mut *app.conn())
        .unwrap()
        .remove(0)
        .id;
    diesel::sql_query(format!(
        "UPDATE outbox SET failed_at = created_at, sent_at = NULL WHERE id = '{email}'"
    ))
    .execute(&mut *app.conn())
    .unwrap();
    for attempt in 0..2 {
        let token = app.csrf("/organizer/emails").await;
        let retried = app
            .post_form(
                &format!("/organizer/emails/{email}/retry"),
                &[("csrf_token", &token)],
            )
            .await;
        assert_eq!(retried.status(), 303);
        if attempt == 0 {
            let row = seen.one_new(&app, Action::EmailRetried);
            check(&row, &olga, "email", Some(&email));
        } else {
            seen.none_new(&app, "retrying an email already queued");
        }
    }

    // Wrong passwords, on the login page and when accepting an invitation with an account.
    let stranger = app.new_client();
    let failed = support::login(&stranger, &app.base, "ana@inec.gob.pa", TYPED_PASSWORD).await;
    assert_eq!(failed.status(), 422);
    let row = seen.one_new(&app, Action::LoginFailed);
    assert_eq!(row.actor_user_id.as_deref(), Some(ana_id.as_str()));

    // The page and the export show the new rows with their translated labels.
    for (lang, label) in [
        ("es", "Sección guardada"),
        ("en", "Section saved"),
        ("es", "Entrada de mecanismo eliminada"),
        ("en", "Reminders sent now"),
    ] {
        let html = app
            .get(&format!("/organizer/audit?lang={lang}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!("<td>{label}</td>")),
            "{lang} {label}"
        );
    }
    let (status, html) = audit_page(&app, "action=section_saved&lang=es").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<td>Sección guardada</td>").count(), 2);
    assert!(html.contains("<option value=\"section_saved\" selected>"));
    let csv = app
        .get("/organizer/audit.csv?action=mechanism_updated")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(&format!(",mechanism_updated,mechanism,{mechanism},")));

    // No row anywhere holds a typed value or a password.
    let rows = all_rows(&app);
    for row in &rows {
        let text = format!("{row:?}");
        for secret in [
            TYPED_ANSWER,
            TYPED_EVIDENCE,
            TYPED_MECHANISM,
            TYPED_PASSWORD,
            PASSWORD,
        ] {
            assert!(!text.contains(secret), "{secret} in {row:#?}");
        }
    }
    let everything = app.get("/organizer/audit.csv").await.text().await.unwrap();
    for secret in [
        TYPED_ANSWER,
        TYPED_EVIDENCE,
        TYPED_MECHANISM,
        TYPED_PASSWORD,
        PASSWORD,
    ] {
        assert!(!everything.contains(secret), "{secret} in the export");
    }
    // The typed values were saved (the checks above could fail), and shown where they belong.
    let review = support::text(&ana, &app.url(&format!("/responses/{response}/review"))).await;
    assert!(review.contains(TYPED_ANSWER), "the answer was saved");
    assert!(review.contains(TYPED_EVIDENCE), "the evidence was saved");
}
