//! The password throttle under concurrency (many guesses at once get at most the limit's worth of
//! argon2 verifications, in one instance or two on one PostgreSQL database), one throttle for
//! every form that checks a password (login, accepting an invitation), password hashing that a
//! flood of anonymous posts cannot use to starve everyone else, and the language cookie's Secure
//! flag.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use capacity_survey::app::App;
use capacity_survey::config::Config;
use capacity_survey::server;
use capacity_survey::service::audit::Action;
use capacity_survey::service::throttle::{ACCOUNT_LIMIT, ADDRESS_LIMIT};
use capacity_survey::store;
use capacity_survey::store::audit::AuditFilter;

use crate::forum;
use crate::support::{self, PASSWORD, TestApp};

const GUESSES: usize = 40;
const ACCOUNT: &str = "org@mire.gob.pa";

/// Posts `GUESSES` logins at once from the default client (one address), the i-th with
/// `email(i)` and a wrong password, each to `bases[i % bases.len()]`; returns the statuses.
async fn parallel_wrong_logins(
    app: &TestApp,
    bases: &[String],
    email: impl Fn(usize) -> String,
) -> Vec<u16> {
    let mut forms = Vec::new();
    for i in 0..GUESSES {
        let base = bases[i % bases.len()].clone();
        // A CSRF token of the session each base knows (sessions are shared across instances).
        let token = support::csrf_of(&app.client, &format!("{base}/login")).await;
        forms.push((base, token, email(i)));
    }
    let tasks: Vec<_> = forms
        .into_iter()
        .map(|(base, token, email)| {
            let client = app.client.clone();
            actix_web::rt::spawn(async move {
                support::post_form(
                    &client,
                    &format!("{base}/login"),
                    &[
                        ("csrf_token", &token),
                        ("email", &email),
                        ("password", "not the password"),
                    ],
                )
                .await
                .status()
                .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[actix_web::test]
async fn forty_parallel_wrong_logins_for_one_account_verify_at_most_the_account_limit() {
    let app = TestApp::spawn().await;
    app.create_organizer(ACCOUNT, "Olga Organizer");
    let before = app.state.hasher.verifications();
    let statuses =
        parallel_wrong_logins(&app, std::slice::from_ref(&app.base), |_| ACCOUNT.into()).await;
    let verified = app.state.hasher.verifications() - before;
    assert!(
        verified <= ACCOUNT_LIMIT as u64,
        "{verified} verifications for {statuses:?}"
    );
    assert_eq!(count(&statuses, 422), ACCOUNT_LIMIT, "{statuses:?}");
    assert_eq!(
        count(&statuses, 429),
        GUESSES - ACCOUNT_LIMIT,
        "{statuses:?}"
    );
    // The right password is refused too until the window passes.
    assert_eq!(app.login(ACCOUNT, PASSWORD).await.status(), 429);
    app.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(app.login(ACCOUNT, PASSWORD).await.status(), 303);
}

#[actix_web::test]
async fn forty_parallel_wrong_logins_from_one_address_verify_at_most_the_address_limit() {
    let app = TestApp::spawn().await;
    let before = app.state.hasher.verifications();
    let statuses = parallel_wrong_logins(&app, std::slice::from_ref(&app.base), |i| {
        format!("guess{i}@mire.gob.pa")
    })
    .await;
    let verified = app.state.hasher.verifications() - before;
    assert!(
        verified <= ADDRESS_LIMIT as u64,
        "{verified} verifications for {statuses:?}"
    );
    assert_eq!(count(&statuses, 422), ADDRESS_LIMIT, "{statuses:?}");
    assert_eq!(
        count(&statuses, 429),
        GUESSES - ADDRESS_LIMIT,
        "{statuses:?}"
    );
}

#[actix_web::test]
async fn a_right_password_does_not_count_as_a_failure_and_forgets_the_accounts_failures() {
    let app = TestApp::spawn().await;
    app.create_organizer(ACCOUNT, "Olga Organizer");
    for _ in 0..ACCOUNT_LIMIT - 1 {
        assert_eq!(app.login(ACCOUNT, "not the password").await.status(), 422);
    }
    assert_eq!(app.login(ACCOUNT, PASSWORD).await.status(), 303);
    // Nothing is left under the account: its reservation and earlier failures are gone.
    let other = app.new_client();
    for attempt in 0..ACCOUNT_LIMIT {
        let response = support::login(&other, &app.base, ACCOUNT, "not the password").await;
        assert_eq!(response.status(), 422, "attempt {attempt}");
    }
    let blocked = support::login(&other, &app.base, ACCOUNT, "not the password").await;
    assert_eq!(blocked.status(), 429);
}

/// A second server on the test app's database (PostgreSQL), sharing its session key.
async fn second_instance(app: &TestApp) -> (String, Arc<App>, actix_web::dev::ServerHandle) {
    let pool = store::open(&app.database_url, &store::PoolOptions::default()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config::for_database(&app.database_url);
    config.base_url = format!("http://{addr}");
    config.workers = Some(1);
    config.session_key = app.state.config.session_key.clone();
    let running = server::start_with_clock(config, pool, listener, app.clock.clone()).unwrap();
    let handle = running.handle.clone();
    actix_web::rt::spawn(running.server);
    (format!("http://{addr}"), running.state, handle)
}

#[actix_web::test]
async fn two_instances_on_one_database_share_the_limit_under_parallel_guesses() {
    if !support::on_postgres() {
        eprintln!(
            "skipped: two instances need one shared PostgreSQL database; set TEST_DATABASE_URL \
             (e.g. postgres://postgres@127.0.0.1:5432/postgres)"
        );
        return;
    }
    let app = TestApp::spawn().await;
    app.create_organizer(ACCOUNT, "Olga Organizer");
    let (other, other_state, handle) = second_instance(&app).await;
    let before = app.state.hasher.verifications() + other_state.hasher.verifications();
    let bases = [app.base.clone(), other.clone()];
    let statuses = parallel_wrong_logins(&app, &bases, |_| ACCOUNT.into()).await;
    let verified = app.state.hasher.verifications() + other_state.hasher.verifications() - before;
    assert!(
        verified <= ACCOUNT_LIMIT as u64,
        "{verified} verifications for {statuses:?}"
    );
    assert_eq!(count(&statuses, 422), ACCOUNT_LIMIT, "{statuses:?}");
    assert_eq!(
        count(&statuses, 429),
        GUESSES - ACCOUNT_LIMIT,
        "{statuses:?}"
    );

    // The per-address limit holds across both too.
    let app = TestApp::spawn().await;
    let (other, other_state, handle2) = second_instance(&app).await;
    let before = app.state.hasher.verifications() + other_state.hasher.verifications();
    let bases = [app.base.clone(), other];
    let statuses = parallel_wrong_logins(&app, &bases, |i| format!("guess{i}@mire.gob.pa")).await;
    let verified = app.state.hasher.verifications() + other_state.hasher.verifications() - before;
    assert!(
        verified <= ADDRESS_LIMIT as u64,
        "{verified} verifications for {statuses:?}"
    );
    assert_eq!(count(&statuses, 422), ADDRESS_LIMIT, "{statuses:?}");
    assert_eq!(
        count(&statuses, 429),
        GUESSES - ADDRESS_LIMIT,
        "{statuses:?}"
    );
    handle.stop(false).await;
    handle2.stop(false).await;
}

/// An organizer logged in, an assessment, and an invitation to INEC for the email of an existing
/// representative account; returns the invitation link's path.
async fn invitation_for_an_existing_account(app: &TestApp, email: &str) -> String {
    app.create_representative(email, "Ana Pérez");
    forum::organizer(app).await;
    assert_eq!(
        forum::import_csv(app, forum::ORGANIZATIONS_CSV)
            .await
            .status(),
        200
    );
    let assessment = forum::create_assessment(app).await;
    let inec = forum::organization_id(app, "INEC");
    forum::invite(app, &assessment, &inec, "Ana Pérez", email).await
}

async fn post_invitation_password(
    client: &reqwest::Client,
    app: &TestApp,
    link: &str,
    token: &str,
    password: &str,
) -> reqwest::Response {
    support::post_form(
        client,
        &app.url(link),
        &[("csrf_token", token), ("password", password)],
    )
    .await
}

fn failed_logins(app: &TestApp, email: &str) -> Vec<capacity_survey::store::audit::AuditEntry> {
    capacity_survey::store::audit::list(&mut app.conn(), &AuditFilter::default(), 0, 100_000)
        .unwrap()
        .into_iter()
        .filter(|row| row.action == Action::LoginFailed.key() && row.actor_email == email)
        .collect()
}

#[actix_web::test]
async fn accepting_an_invitation_shares_the_login_throttle_and_audits_wrong_passwords() {
    let app = TestApp::spawn().await;
    let email = "ana@inec.gob.pa";
    let link = invitation_for_an_existing_account(&app, email).await;
    let guesser = app.new_client();
    let token = support::csrf_of(&guesser, &app.url(link.as_str())).await;
    // Two wrong passwords on the login form and three on the invitation: the shared limit.
    for _ in 0..2 {
        let response = support::login(&guesser, &app.base, email, "not the password").await;
        assert_eq!(response.status(), 422);
    }
    for attempt in 0..ACCOUNT_LIMIT - 2 {
        let response = post_invitation_password(&guesser, &app, &link, &token, "wrong").await;
        assert_eq!(response.status(), 422, "attempt {attempt}");
    }
    let failures = failed_logins(&app, email);
    assert_eq!(failures.len(), ACCOUNT_LIMIT, "{failures:#?}");
    assert_eq!(
        failures
            .iter()
            .filter(|row| row.details == "invitation")
            .count(),
        ACCOUNT_LIMIT - 2
    );
    assert!(failures.iter().all(|row| row.actor_user_id.is_some()));

    // Now even the right password is refused on both, with a delay to wait; nobody is logged in.
    let blocked = post_invitation_password(&guesser, &app, &link, &token, PASSWORD).await;
    assert_eq!(blocked.status(), 429);
    let retry: i64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    assert!(
        blocked
            .text()
            .await
            .unwrap()
            .contains("Demasiados intentos fallidos")
    );
    assert_eq!(
        support::login(&guesser, &app.base, email, PASSWORD)
            .await
            .status(),
        429
    );
    // The login page shows (it redirects a logged-in visitor away).
    let login_page = support::get(&guesser, &app.url("/login")).await;
    assert_eq!(login_page.status(), 200, "the guesser is not logged in");

    // After the window the right password accepts the invitation.
    app.clock.advance(chrono::Duration::minutes(16));
    let accepted = post_invitation_password(&guesser, &app, &link, &token, PASSWORD).await;
    assert_eq!(accepted.status(), 303);
    assert!(support::location(&accepted).starts_with("/responses/"));
}

#[actix_web::test]
async fn forty_parallel_invitation_guesses_verify_at_most_the_account_limit() {
    let app = TestApp::spawn().await;
    let email = "ana@inec.gob.pa";
    let link = invitation_for_an_existing_account(&app, email).await;
    let guesser = app.new_client();
    let token = support::csrf_of(&guesser, &app.url(link.as_str())).await;
    let before = app.state.hasher.verifications();
    let tasks: Vec<_> = (0..GUESSES)
        .map(|i| {
            let (client, url, token) = (guesser.clone(), app.url(&link), token.clone());
            actix_web::rt::spawn(async move {
                let password = format!("guess number {i}");
                support::post_form(
                    &client,
                    &url,
                    &[("csrf_token", token.as_str()), ("password", &password)],
                )
                .await
                .status()
                .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let verified = app.state.hasher.verifications() - before;
    assert!(
        verified <= ACCOUNT_LIMIT as u64,
        "{verified} verifications for {statuses:?}"
    );
    assert_eq!(count(&statuses, 422), ACCOUNT_LIMIT, "{statuses:?}");
    assert_eq!(
        count(&statuses, 429),
        GUESSES - ACCOUNT_LIMIT,
        "{statuses:?}"
    );
    assert_eq!(failed_logins(&app, email).len(), ACCOUNT_LIMIT);
}

/// The 99th percentile of `times`, in milliseconds.
fn p99(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    let index = ((times.len() as f64) * 0.99).ceil() as usize;
    times[index.clamp(1, times.len()) - 1]
}

const FLOOD: usize = 300;

#[actix_web::test]
async fn a_flood_of_reset_posts_with_random_tokens_hashes_nothing_and_starves_no_one() {
    let app = TestApp::spawn().await;
    let forum = forum::forum(&app).await;
    let section = forum::instrument().sections[0].key.clone();
    let page = app.url(&format!("/responses/{}/sections/{section}", forum.response));
    assert_eq!(support::get(&forum.rep, &page).await.status(), 200);
    let flooder = app.new_client();
    let token = support::csrf_of(&flooder, &app.url("/login")).await;
    let before = app.state.hasher.verifications();

    let started = Instant::now();
    let flood: Vec<_> = (0..FLOOD)
        .map(|_| {
            let (client, token) = (flooder.clone(), token.clone());
            let url = app.url(&format!(
                "/password/reset/{}",
                capacity_survey::domain::token::new_secret()
            ));
            actix_web::rt::spawn(async move {
                let sent = client
                    .post(url)
                    .form(&[
                        ("csrf_token", token.as_str()),
                        ("password", "a brand new password"),
                        ("password_confirm", "a brand new password"),
                    ])
                    .timeout(Duration::from_secs(60))
                    .send()
                    .await;
                sent.map(|r| r.status().as_u16()).map_err(|e| e.to_string())
            })
        })
        .collect();
    // Meanwhile the representative keeps working, and the health check answers.
    let mut times = Vec::new();
    let mut failures = Vec::new();
    while times.len() < 40 {
        let t = Instant::now();
        let status = support::get(&forum.rep, &page).await.status();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            failures.push(format!("section page: {status}"));
        }
        let health = app.get("/healthz").await.status();
        if health != 200 {
            failures.push(format!("healthz: {health}"));
        }
    }
    let mut answers = Vec::new();
    for task in flood {
        answers.push(task.await.unwrap());
    }
    let flood_seconds = started.elapsed().as_secs_f64();
    assert!(failures.is_empty(), "{failures:?}");
    for answer in &answers {
        match answer {
            Ok(status) => assert!(
                (400..500).contains(status) || *status == 503,
                "flood answer {status}"
            ),
            Err(e) => panic!("a flood request hung or failed: {e}"),
        }
    }
    assert_eq!(app.state.hasher.verifications(), before);
    let p99 = p99(&mut times);
    eprintln!(
        "reset flood: {FLOOD} posts answered in {flood_seconds:.2} s; the representative's \
         section page p99 {p99:.0} ms over {} loads (debug build)",
        times.len()
    );
}

#[actix_web::test]
async fn a_real_reset_link_still_sets_the_new_password() {
    let app = TestApp::spawn().await;
    app.create_representative("ana@inec.gob.pa", "Ana Pérez");
    // A link made as the forgot-password page makes it, its secret read from the stored email.
    let secret = capacity_survey::domain::token::new_secret();
    {
        use capacity_survey::store::password_resets::{NewPasswordReset, insert};
        let mut conn = app.conn();
        let user = capacity_survey::store::users::find_by_email(&mut conn, "ana@inec.gob.pa")
            .unwrap()
            .unwrap();
        let now = capacity_survey::service::Clock::now(app.clock.as_ref());
        insert(
            &mut conn,
            &NewPasswordReset {
                id: &store::new_id(),
                user_id: &user.id,
                token_hash: &capacity_survey::domain::token::hash(&secret),
                created_at: now,
                expires_at: now + chrono::Duration::minutes(60),
            },
        )
        .unwrap();
    }
    let link = app.url(&format!("/password/reset/{secret}"));
    let token = app.csrf(&format!("/password/reset/{secret}")).await;
    let mismatch = app
        .post_form(
            &format!("/password/reset/{secret}"),
            &[
                ("csrf_token", &token),
                ("password", "a brand new password"),
                ("password_confirm", "another one"),
            ],
        )
        .await;
    assert_eq!(mismatch.status(), 422);
    let done = support::post_form(
        &app.client,
        &link,
        &[
            ("csrf_token", &token),
            ("password", "a brand new password"),
            ("password_confirm", "a brand new password"),
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    let fresh = app.new_client();
    let login = support::login(&fresh, &app.base, "ana@inec.gob.pa", "a brand new password").await;
    assert_eq!(login.status(), 303);
    // Used once: the link now answers 410, before any hashing (the session was reset: a new
    // CSRF token).
    let token = app.csrf("/login").await;
    let again = support::post_form(
        &app.client,
        &link,
        &[
            ("csrf_token", &token),
            ("password", "a third password"),
            ("password_confirm", "a third password"),
        ],
    )
    .await;
    assert_eq!(again.status(), 410);
}

#[actix_web::test]
async fn with_every_hashing_slot_busy_a_password_post_gets_503_and_only_it() {
    let app = TestApp::spawn().await;
    let forum = forum::forum(&app).await;
    let section = forum::instrument().sections[0].key.clone();
    let page = app.url(&format!("/responses/{}/sections/{section}", forum.response));
    let guesser = app.new_client();
    let token = support::csrf_of(&guesser, &app.url("/login")).await;
    let mut held = Vec::new();
    for _ in 0..app.state.hasher.slots() {
        held.push(app.state.hasher.hold().await.unwrap());
    }
    let started = Instant::now();
    let refused = support::post_form(
        &guesser,
        &app.url("/login"),
        &[
            ("csrf_token", &token),
            ("email", forum::ORGANIZER),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it waited briefly"
    );
    // Everything that hashes nothing goes on.
    assert_eq!(support::get(&forum.rep, &page).await.status(), 200);
    assert_eq!(app.get("/healthz").await.status(), 200);
    drop(held);
    // The refused attempt was not counted: five wrong passwords are still allowed after it.
    for attempt in 0..ACCOUNT_LIMIT {
        let wrong = support::login(&guesser, &app.base, forum::ORGANIZER, "wrong").await;
        assert_eq!(wrong.status(), 422, "attempt {attempt}");
    }
}

fn lang_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lang="))
        .unwrap_or_else(|| panic!("no lang cookie in {:?}", response.headers()))
        .to_owned()
}

#[actix_web::test]
async fn the_language_cookie_is_secure_exactly_when_the_site_is_served_over_https() {
    let https = TestApp::spawn_configured(
        |_| {},
        |config| config.base_url = "https://forum.example.org".into(),
    )
    .await;
    let cookie = lang_cookie(&https.get("/login?lang=en").await);
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");

    let http = TestApp::spawn().await;
    let cookie = lang_cookie(&http.get("/login?lang=en").await);
    assert!(!cookie.contains("Secure"), "{cookie}");
}
