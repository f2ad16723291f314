//! Sessions kept on the server (issue 16, point 3): a copy of a session cookie stops working when
//! the session ends (logout, password reset, "sign out everywhere", an organizer), and sessions
//! end by themselves when idle or too old.

use std::sync::Arc;

use capacity_survey::service::Clock;
use chrono::Duration;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;

use crate::forum::{self, Forum};
use crate::support::{self, PASSWORD, TestApp, location};

const ANA: &str = "ana@inec.gob.pa";
const SECTION: &str = "legal";

/// An app with the default session limits (12 hours idle, 7 days in all), which `TestApp` widens
/// for the other tests.
async fn app() -> TestApp {
    let defaults = capacity_survey::config::Config::for_database("sqlite://unused");
    TestApp::spawn_configured(
        |_| {},
        |config| {
            config.session_idle_hours = defaults.session_idle_hours;
            config.session_max_days = defaults.session_max_days;
        },
    )
    .await
}

/// A browser whose cookies the test can read and copy.
struct Browser {
    client: reqwest::Client,
    jar: Arc<Jar>,
}

impl Browser {
    fn new() -> Browser {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .build()
            .unwrap();
        Browser { client, jar }
    }

    /// A browser logged in as `email`.
    async fn logged_in(app: &TestApp, email: &str) -> Browser {
        let browser = Browser::new();
        let done = support::login(&browser.client, &app.base, email, PASSWORD).await;
        assert_eq!(done.status(), 303, "login of {email}");
        browser
    }

    /// The `Cookie` header this browser sends now: what someone could copy and keep.
    fn cookie(&self, app: &TestApp) -> String {
        let url = reqwest::Url::parse(&app.base).unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
}

/// A client without a cookie store: each request carries the cookie it is given.
fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn get_with(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    bare()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn post_with(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    bare()
        .post(app.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

fn section_path(response: &str) -> String {
    format!("/responses/{response}/sections/{SECTION}")
}

/// The form of a section save with complete answers, at `(token, version)`.
fn section_form(token: &str, version: &str) -> Vec<(String, String)> {
    let mut form = vec![
        ("csrf_token".to_owned(), token.to_owned()),
        ("version".to_owned(), version.to_owned()),
        ("action".to_owned(), "save".to_owned()),
    ];
    for (key, values) in forum::complete_answers(&forum::instrument(), SECTION) {
        form.push(("_items".to_owned(), key.clone()));
        for value in values {
            form.push((format!("v.{key}"), value));
        }
    }
    form
}

fn to_login(response: &reqwest::Response) -> bool {
    response.status() == 303 && location(response).starts_with("/login")
}

/// The section's saved version as a logged-in representative sees it.
async fn saved_version(app: &TestApp, response: &str) -> String {
    let ana = Browser::logged_in(app, ANA).await;
    forum::section_state(&ana.client, app, response, SECTION)
        .await
        .1
}

/// A kept cookie of the representative, with the CSRF token and section version of its session;
/// checked to read the section while the session is on.
async fn kept_session(app: &TestApp, ana: &Browser, response: &str) -> (String, String, String) {
    let (token, version) = forum::section_state(&ana.client, app, response, SECTION).await;
    let kept = ana.cookie(app);
    assert!(kept.contains(capacity_survey::web::SESSION_COOKIE));
    let before = get_with(app, &kept, &section_path(response)).await;
    assert_eq!(
        before.status(),
        200,
        "the copy works while the session is on"
    );
    (kept, token, version)
}

#[actix_web::test]
async fn a_cookie_kept_from_before_logout_neither_reads_nor_saves() {
    let app = app().await;
    let Forum { response, .. } = forum::forum(&app).await;
    let ana = Browser::logged_in(&app, ANA).await;
    let (kept, token, version) = kept_session(&app, &ana, &response).await;

    let logout =
        support::post_form(&ana.client, &app.url("/logout"), &[("csrf_token", &token)]).await;
    assert_eq!(logout.status(), 303);

    let read = get_with(&app, &kept, &section_path(&response)).await;
    assert!(to_login(&read), "read after logout: {}", read.status());
    let save = post_with(
        &app,
        &kept,
        &section_path(&response),
        &section_form(&token, &version),
    )
    .await;
    assert!(to_login(&save), "save after logout: {}", save.status());
    assert_eq!(
        saved_version(&app, &response).await,
        version,
        "nothing was saved"
    );

    // The same save from a session that is on is stored (so the refusal above is the session's).
    let again = Browser::logged_in(&app, ANA).await;
    let (token, version) = forum::section_state(&again.client, &app, &response, SECTION).await;
    let saved = post_with(
        &app,
        &again.cookie(&app),
        &section_path(&response),
        &section_form(&token, &version),
    )
    .await;
    assert_eq!(saved.status(), 303);
    assert!(!to_login(&saved));
    assert_ne!(saved_version(&app, &response).await, version);
}

/// The secret of the last password-reset link queued for `email`, as a path.
fn reset_link(app: &TestApp, email: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Body {
        #[diesel(sql_type = diesel::sql_types::Text)]
        body_text: String,
    }
    let bodies: Vec<Body> = diesel::RunQueryDsl::load(
        diesel::sql_query(format!(
            "SELECT body_text FROM outbox WHERE kind = 'password_reset' AND recipient = '{email}' \
             ORDER BY created_at DESC"
        )),
        &mut *app.conn(),
    )
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
async fn a_cookie_from_before_a_password_reset_neither_reads_nor_saves() {
    let app = app().await;
    let Forum { response, .. } = forum::forum(&app).await;
    let ana = Browser::logged_in(&app, ANA).await;
    let (kept, token, version) = kept_session(&app, &ana, &response).await;

    // Someone (Ana on another device) resets the password through the emailed link.
    let other = app.new_client();
    let forgot_token = support::csrf_of(&other, &app.url("/password/forgot")).await;
    let asked = support::post_form(
        &other,
        &app.url("/password/forgot"),
        &[("csrf_token", &forgot_token), ("email", ANA)],
    )
    .await;
    assert_eq!(asked.status(), 200);
    let link = reset_link(&app, ANA);
    let reset_token = support::csrf_of(&other, &app.url(&link)).await;
    let new_password = "another long passphrase";
    let reset = support::post_form(
        &other,
        &app.url(&link),
        &[
            ("csrf_token", &reset_token),
            ("password", new_password),
            ("password_confirm", new_password),
        ],
    )
    .await;
    assert_eq!(reset.status(), 303);
    assert_eq!(location(&reset), "/login");

    let read = get_with(&app, &kept, &section_path(&response)).await;
    assert!(to_login(&read), "read after the reset: {}", read.status());
    let save = post_with(
        &app,
        &kept,
        &section_path(&response),
        &section_form(&token, &version),
    )
    .await;
    assert!(to_login(&save), "save after the reset: {}", save.status());
    // The browser that kept the cookie is logged out too.
    let home = support::get(&ana.client, &app.url("/")).await;
    assert!(to_login(&home));

    let fresh = Browser::new();
    let login = support::login(&fresh.client, &app.base, ANA, new_password).await;
    assert_eq!(login.status(), 303);
    let (_, now) = forum::section_state(&fresh.client, &app, &response, SECTION).await;
    assert_eq!(now, version, "nothing was saved");
}

#[actix_web::test]
async fn sign_out_everywhere_ends_the_other_browsers_session() {
    let app = app().await;
    let Forum { response, .. } = forum::forum(&app).await;
    let laptop = Browser::logged_in(&app, ANA).await;
    let phone = Browser::logged_in(&app, ANA).await;
    let section = section_path(&response);
    assert_eq!(
        support::get(&phone.client, &app.url(&section))
            .await
            .status(),
        200
    );

    let page = support::get(&laptop.client, &app.url("/account/sessions")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    // The forum's invitation, the laptop and the phone: three sessions of Ana, this one marked.
    assert_eq!(
        html.matches("/end\" class=\"inline-form\"").count(),
        3,
        "{html}"
    );
    assert_eq!(html.matches("esta sesión").count(), 1);
    let token = support::csrf_in(&html).unwrap();

    let out = support::post_form(
        &laptop.client,
        &app.url("/account/sessions/end-all"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(out.status(), 303);
    assert_eq!(location(&out), "/login");
    let login_page = support::get(&laptop.client, &app.url("/login")).await;
    assert_eq!(login_page.status(), 200);
    assert!(
        login_page
            .text()
            .await
            .unwrap()
            .contains("Se cerró la sesión en todas partes")
    );

    let phone_read = support::get(&phone.client, &app.url(&section)).await;
    assert!(to_login(&phone_read), "{}", phone_read.status());
    let laptop_read = support::get(&laptop.client, &app.url(&section)).await;
    assert!(to_login(&laptop_read));
}

#[actix_web::test]
async fn one_session_can_be_ended_from_the_list() {
    let app = app().await;
    forum::organizer(&app).await;
    let laptop = Browser::logged_in(&app, forum::ORGANIZER).await;
    let phone = Browser::logged_in(&app, forum::ORGANIZER).await;
    let phone_html = support::text(&phone.client, &app.url("/account/sessions")).await;
    // The phone's own session: the form in the row marked "this session".
    let marked = phone_html.find("esta sesión").unwrap();
    let start = phone_html[marked..].find("/account/sessions/").unwrap() + marked;
    let end = phone_html[start..].find('"').unwrap() + start;
    let phone_end = phone_html[start..end].to_owned();

    let token = support::csrf_of(&laptop.client, &app.url("/account/sessions")).await;
    let ended = support::post_form(
        &laptop.client,
        &app.url(&phone_end),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(ended.status(), 303);
    assert_eq!(location(&ended), "/account/sessions");
    assert!(to_login(
        &support::get(&phone.client, &app.url("/organizer")).await
    ));
    assert_eq!(
        support::get(&laptop.client, &app.url("/organizer"))
            .await
            .status(),
        200
    );
}

#[actix_web::test]
async fn an_organizer_ends_every_session_of_a_representative() {
    let app = app().await;
    let Forum {
        assessment,
        rep,
        response,
    } = forum::forum(&app).await;
    let overview = format!("/responses/{response}");
    assert_eq!(support::get(&rep, &app.url(&overview)).await.status(), 200);

    let page = format!("/organizer/assessments/{assessment}");
    let html = support::text(&app.client, &app.url(&page)).await;
    let start = html
        .find("/organizer/users/")
        .expect("an end-sessions form");
    let end = html[start..].find('"').unwrap() + start;
    let action = html[start..end].to_owned();
    let token = support::csrf_in(&html).unwrap();
    let back = format!("{page}#invitations");
    let ended = support::post_form(
        &app.client,
        &app.url(&action),
        &[("csrf_token", &token), ("back", &back)],
    )
    .await;
    assert_eq!(ended.status(), 303);
    assert_eq!(location(&ended), back);

    let read = support::get(&rep, &app.url(&overview)).await;
    assert!(to_login(&read), "{}", read.status());
    // The organizer is still logged in, and the audit log says who ended what.
    let audit = support::text(
        &app.client,
        &app.url("/organizer/audit?action=session_ended"),
    )
    .await;
    assert!(
        audit.contains("all sessions, by an organizer; 1 ended"),
        "{audit}"
    );
}

#[actix_web::test]
async fn a_representative_cannot_end_someone_elses_sessions() {
    let app = app().await;
    let Forum { rep, .. } = forum::forum(&app).await;
    let organizer_id =
        capacity_survey::store::users::find_by_email(&mut app.conn(), forum::ORGANIZER)
            .unwrap()
            .unwrap()
            .id;
    let organizer_page = support::text(&app.client, &app.url("/account/sessions")).await;
    // The first per-session form: the organizer's only session.
    let start = organizer_page.find("/account/sessions/").unwrap();
    let end = organizer_page[start..].find('"').unwrap() + start;
    let organizer_session = organizer_page[start..end].to_owned();
    assert!(organizer_session.ends_with("/end"), "{organizer_session}");

    let token = support::csrf_of(&rep, &app.url("/account/sessions")).await;
    let by_organizer_route = support::post_form(
        &rep,
        &app.url(&format!("/organizer/users/{organizer_id}/sessions/end")),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(by_organizer_route.status(), 403);
    let by_id = support::post_form(
        &rep,
        &app.url(&organizer_session),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(by_id.status(), 404);

    assert_eq!(
        support::get(&app.client, &app.url("/organizer"))
            .await
            .status(),
        200,
        "the organizer is still logged in"
    );
}

#[actix_web::test]
async fn a_session_ends_after_twelve_hours_unused() {
    let app = app().await;
    let Forum { response, .. } = forum::forum(&app).await;
    let ana = Browser::logged_in(&app, ANA).await;
    let overview = format!("/responses/{response}");
    // Used every 11 hours it goes on (each use counts)...
    for _ in 0..3 {
        app.clock.advance(Duration::hours(11));
        let read = support::get(&ana.client, &app.url(&overview)).await;
        assert_eq!(read.status(), 200);
    }
    // ...12 hours unused, it is over.
    app.clock.advance(Duration::hours(12));
    let read = support::get(&ana.client, &app.url(&overview)).await;
    assert!(to_login(&read), "{}", read.status());
}

#[actix_web::test]
async fn a_session_ends_seven_days_after_login_even_in_use() {
    let app = app().await;
    let Forum { response, .. } = forum::forum(&app).await;
    let ana = Browser::logged_in(&app, ANA).await;
    let overview = format!("/responses/{response}");
    // 15 × 11 h = 6 days 21 hours, used all along.
    for _ in 0..15 {
        app.clock.advance(Duration::hours(11));
        let read = support::get(&ana.client, &app.url(&overview)).await;
        assert_eq!(read.status(), 200);
    }
    app.clock.advance(Duration::hours(3));
    let read = support::get(&ana.client, &app.url(&overview)).await;
    assert!(to_login(&read), "{}", read.status());
}

#[actix_web::test]
async fn logging_in_again_ends_the_session_it_replaces() {
    let app = app().await;
    forum::organizer(&app).await;
    let olga = Browser::logged_in(&app, forum::ORGANIZER).await;
    let kept = olga.cookie(&app);
    assert_eq!(get_with(&app, &kept, "/organizer").await.status(), 200);
    // Logged in, the login form is not shown: the token of any page's logout form will do.
    let token = support::csrf_of(&olga.client, &app.url("/account/sessions")).await;
    let again = support::post_form(
        &olga.client,
        &app.url("/login"),
        &[
            ("csrf_token", token.as_str()),
            ("email", forum::ORGANIZER),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(again.status(), 303);
    assert!(to_login(&get_with(&app, &kept, "/organizer").await));
    assert_eq!(
        support::get(&olga.client, &app.url("/organizer"))
            .await
            .status(),
        200
    );
}

/// Ana's sessions as stored: (started, last used).
fn stored(app: &TestApp) -> Vec<(chrono::NaiveDateTime, chrono::NaiveDateTime)> {
    let ana = capacity_survey::store::users::find_by_email(&mut app.conn(), ANA)
        .unwrap()
        .unwrap()
        .id;
    let long_ago = app.clock.now() - Duration::days(365);
    capacity_survey::store::sessions::active_of_user(&mut app.conn(), &ana, long_ago, long_ago)
        .unwrap()
        .into_iter()
        .map(|s| (s.created_at, s.last_seen_at))
        .collect()
}

#[actix_web::test]
async fn the_last_use_is_written_at_most_once_a_minute() {
    let app = app().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;
    let section = app.url(&section_path(&response));
    let [(started, seen)] = stored(&app)[..] else {
        panic!("one session of Ana: {:?}", stored(&app));
    };
    assert_eq!(started, seen);

    app.clock.advance(Duration::seconds(30));
    for _ in 0..5 {
        assert_eq!(support::get(&rep, &section).await.status(), 200);
    }
    assert_eq!(stored(&app), vec![(started, seen)], "not within the minute");

    app.clock.advance(Duration::seconds(31));
    assert_eq!(support::get(&rep, &section).await.status(), 200);
    // Written now (to PostgreSQL's microsecond).
    let [(again, last)] = stored(&app)[..] else {
        panic!("one session of Ana");
    };
    assert_eq!(again, started);
    assert!(app.clock.now() - last < Duration::milliseconds(1), "{last}");
}

#[actix_web::test]
async fn the_organizer_goes_back_only_to_a_page_of_this_site() {
    let app = app().await;
    forum::forum(&app).await;
    let ana = capacity_survey::store::users::find_by_email(&mut app.conn(), ANA)
        .unwrap()
        .unwrap()
        .id;
    let token = app.csrf("/organizer").await;
    let path = format!("/organizer/users/{ana}/sessions/end");
    for back in ["https://evil.example/", "//evil.example", ""] {
        let ended = app
            .post_form(&path, &[("csrf_token", &token), ("back", back)])
            .await;
        assert_eq!(ended.status(), 303);
        assert_eq!(location(&ended), "/organizer", "back={back}");
    }
    let unknown = app
        .post_form(
            "/organizer/users/no-such-account/sessions/end",
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(unknown.status(), 404);
}
