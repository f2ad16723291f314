//! Stories of setup, login, logout, CSRF and role guards.

use crate::support::{self, PASSWORD, TestApp, location};

async fn setup_form(app: &TestApp, token: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf(&format!("/setup?token={token}")).await;
    let mut form = vec![("csrf_token", csrf.as_str()), ("token", token)];
    form.extend_from_slice(fields);
    app.post_form("/setup", &form).await
}

#[actix_web::test]
async fn setup_link_creates_the_first_organizer_once() {
    let app = TestApp::spawn().await;
    let token = app
        .setup_token
        .clone()
        .expect("a setup token on a fresh database");

    // A wrong token shows a refusal, not the form.
    let wrong = app.get("/setup?token=not-the-token").await;
    assert_eq!(wrong.status(), 403);
    assert!(!wrong.text().await.unwrap().contains("name=\"password\""));
    assert_eq!(app.get("/setup").await.status(), 403);

    // Invalid values come back with messages next to the fields and the typed values kept.
    let invalid = setup_form(
        &app,
        &token,
        &[
            ("name", "Ana Pérez"),
            ("email", "not-an-email"),
            ("password", "short"),
            ("password_confirm", "short"),
        ],
    )
    .await;
    assert_eq!(invalid.status(), 422);
    let html = invalid.text().await.unwrap();
    assert!(html.contains("value=\"Ana Pérez\""), "{html}");
    assert!(html.contains("value=\"not-an-email\""));
    assert!(html.contains("id=\"email-error\""));
    assert!(html.contains("id=\"password-error\""));
    assert!(html.contains("Escriba al menos 10 caracteres."));
    assert_eq!(app.user_count(), 0);

    let mismatch = setup_form(
        &app,
        &token,
        &[
            ("name", "Ana Pérez"),
            ("email", "ana@mire.gob.pa"),
            ("password", PASSWORD),
            ("password_confirm", "something else entirely"),
        ],
    )
    .await;
    assert_eq!(mismatch.status(), 422);
    assert!(
        mismatch
            .text()
            .await
            .unwrap()
            .contains("id=\"password_confirm-error\"")
    );

    let created = setup_form(
        &app,
        &token,
        &[
            ("name", "Ana Pérez"),
            ("email", "Ana@MIRE.gob.pa"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await;
    assert_eq!(created.status(), 303);
    assert_eq!(location(&created), "/organizer");
    let dashboard = app.get("/organizer").await;
    assert_eq!(dashboard.status(), 200);
    assert!(dashboard.text().await.unwrap().contains("Ana Pérez"));
    assert_eq!(app.user_count(), 1);

    // The same link is now dead, for the page and for a replayed post.
    let other = app.new_client();
    let again = support::get(&other, &app.url(&format!("/setup?token={token}"))).await;
    assert_eq!(again.status(), 403);
    let replay = setup_form(
        &app,
        &token,
        &[
            ("name", "Mallory"),
            ("email", "mallory@example.org"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await;
    assert_eq!(replay.status(), 403);
    assert_eq!(app.user_count(), 1);

    // The email was stored lower-cased: logging in with any case works.
    let fresh = app.new_client();
    let login = support::login(&fresh, &app.base, "ana@mire.gob.pa", PASSWORD).await;
    assert_eq!(login.status(), 303);
}

#[actix_web::test]
async fn no_setup_link_when_an_organizer_exists() {
    let app = TestApp::spawn_with(|conn| {
        support::create_account(
            conn,
            "org@mire.gob.pa",
            "Organizer",
            capacity_survey::domain::account::Role::Organizer,
        )
    })
    .await;
    assert!(app.setup_token.is_none());
    assert_eq!(app.get("/setup?token=anything").await.status(), 403);
}

#[actix_web::test]
async fn login_succeeds_and_failures_look_the_same() {
    let app = TestApp::spawn().await;
    app.create_organizer("org@mire.gob.pa", "Olga Organizer");

    let wrong_password = app.login("org@mire.gob.pa", "wrong password here").await;
    assert_eq!(wrong_password.status(), 422);
    let wrong_password = wrong_password.text().await.unwrap();
    let unknown_email = app.login("nobody@mire.gob.pa", "wrong password here").await;
    assert_eq!(unknown_email.status(), 422);
    let unknown_email = unknown_email.text().await.unwrap();
    let message = "El correo electrónico o la contraseña no son correctos.";
    assert!(wrong_password.contains(message));
    assert!(unknown_email.contains(message));
    // Apart from the CSRF token and the typed email, the two pages are identical.
    let normalise = |html: &str| {
        let token = support::csrf_in(html).unwrap();
        html.replace(&token, "TOKEN")
            .replace("org@mire.gob.pa", "EMAIL")
            .replace("nobody@mire.gob.pa", "EMAIL")
    };
    assert_eq!(normalise(&wrong_password), normalise(&unknown_email));
    assert_eq!(app.get("/organizer").await.status(), 303);

    let ok = app.login("ORG@mire.gob.pa", support::PASSWORD).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(location(&ok), "/");
    let home = app.get("/").await;
    assert_eq!(home.status(), 303);
    assert_eq!(location(&home), "/organizer");
    let dashboard = app.get("/organizer").await.text().await.unwrap();
    assert!(dashboard.contains("Olga Organizer"));
    assert!(dashboard.contains("action=\"/logout\""));
}

#[actix_web::test]
async fn login_returns_to_the_page_asked_for_and_only_on_this_site() {
    let app = TestApp::spawn().await;
    app.create_organizer("org@mire.gob.pa", "Olga Organizer");
    let anonymous = app.get("/organizer").await;
    assert_eq!(anonymous.status(), 303);
    assert_eq!(location(&anonymous), "/login?next=%2Forganizer");

    let token = app.csrf("/login?next=%2Forganizer").await;
    let ok = app
        .post_form(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "org@mire.gob.pa"),
                ("password", PASSWORD),
                ("next", "/organizer"),
            ],
        )
        .await;
    assert_eq!(location(&ok), "/organizer");

    let other = app.new_client();
    let token = support::csrf_of(&other, &app.url("/login")).await;
    let offsite = support::post_form(
        &other,
        &app.url("/login"),
        &[
            ("csrf_token", &token),
            ("email", "org@mire.gob.pa"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ],
    )
    .await;
    assert_eq!(location(&offsite), "/");
}

#[actix_web::test]
async fn login_starts_a_new_session_and_logout_ends_it() {
    let app = TestApp::spawn().await;
    app.create_organizer("org@mire.gob.pa", "Olga Organizer");
    let first = app.get("/login").await;
    let cookie_before = first
        .cookies()
        .find(|c| c.name() == "cs_session")
        .map(|c| c.value().to_owned())
        .expect("the login page starts a session for its CSRF token");
    let before = support::csrf_in(&first.text().await.unwrap()).unwrap();
    assert_eq!(app.login("org@mire.gob.pa", PASSWORD).await.status(), 303);

    // The token from before login no longer works.
    let stale = app.post_form("/logout", &[("csrf_token", &before)]).await;
    assert_eq!(stale.status(), 403);
    assert_eq!(app.get("/organizer").await.status(), 200);

    // A copy of the anonymous cookie from before login is not logged in.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/organizer"))
        .header("cookie", format!("cs_session={cookie_before}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303);

    let token = app.csrf("/organizer").await;
    let out = app.post_form("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(location(&out), "/login");
    let page = app.get("/login").await.text().await.unwrap();
    assert!(page.contains("Ha cerrado la sesión."));
    let after = app.get("/organizer").await;
    assert_eq!(after.status(), 303);
    assert!(location(&after).starts_with("/login"));
}

#[actix_web::test]
async fn post_without_a_valid_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.setup_token.clone().unwrap();
    let fields = [
        ("token", token.as_str()),
        ("name", "Mallory"),
        ("email", "mallory@example.org"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    // No token at all (and no session).
    let missing = app.post_form("/setup", &fields).await;
    assert_eq!(missing.status(), 403);
    let html = missing.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"es\""),
        "the 403 is a page in the layout"
    );
    assert!(html.contains("no se guardó nada"));
    // A session exists but the token is wrong.
    let _ = app.csrf(&format!("/setup?token={token}")).await;
    let mut wrong = vec![("csrf_token", "0".repeat(64))];
    wrong.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(app.post_form("/setup", &wrong).await.status(), 403);
    assert_eq!(app.user_count(), 0);

    // Another site's page cannot log a visitor out either.
    app.create_organizer("org@mire.gob.pa", "Olga Organizer");
    assert_eq!(app.login("org@mire.gob.pa", PASSWORD).await.status(), 303);
    assert_eq!(app.post_form("/logout", &[]).await.status(), 403);
    assert_eq!(app.get("/organizer").await.status(), 200);
}

#[actix_web::test]
async fn organizer_pages_refuse_representatives_and_send_visitors_to_login() {
    let app = TestApp::spawn().await;
    app.create_representative("rep@snm.gob.pa", "Rita Representative");
    let anonymous = app.get("/organizer").await;
    assert_eq!(anonymous.status(), 303);
    assert!(location(&anonymous).starts_with("/login"));
    let anonymous_home = app.get("/").await;
    assert_eq!(anonymous_home.status(), 303);

    assert_eq!(app.login("rep@snm.gob.pa", PASSWORD).await.status(), 303);
    let refused = app.get("/organizer").await;
    assert_eq!(refused.status(), 403);
    let html = refused.text().await.unwrap();
    assert!(html.contains("No tiene permiso"), "{html}");
    assert!(
        html.contains("Rita Representative"),
        "the layout still shows who is logged in"
    );
    let home = app.get("/").await;
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("Rita Representative"));
}

#[actix_web::test]
async fn a_tampered_session_cookie_is_treated_as_logged_out() {
    let app = TestApp::spawn().await;
    app.create_organizer("org@mire.gob.pa", "Olga Organizer");
    assert_eq!(app.login("org@mire.gob.pa", PASSWORD).await.status(), 303);
    let forged = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for value in ["garbage", "", "%%%", &"A".repeat(4000)] {
        let response = forged
            .get(app.url("/organizer"))
            .header("cookie", format!("cs_session={value}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "cookie {value:?}");
    }
}

#[actix_web::test]
async fn repeated_failures_are_throttled_with_retry_after_then_released() {
    let app = TestApp::spawn().await;
    app.create_organizer("org@mire.gob.pa", "Olga Organizer");
    for attempt in 0..5 {
        let wrong = app.login("org@mire.gob.pa", "not the password").await;
        assert_eq!(wrong.status(), 422, "attempt {attempt}");
    }
    // Even the right password is refused now, with a delay to wait.
    let blocked = app.login("ORG@mire.gob.pa", PASSWORD).await;
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
    assert_eq!(app.get("/organizer").await.status(), 303, "not logged in");

    // Another account from the same address still works (the address limit is higher).
    app.create_organizer("other@mire.gob.pa", "Otto Organizer");
    let other = app.new_client();
    assert_eq!(
        support::login(&other, &app.base, "other@mire.gob.pa", PASSWORD)
            .await
            .status(),
        303
    );

    // After the window, the account logs in again.
    app.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(app.login("org@mire.gob.pa", PASSWORD).await.status(), 303);
}

#[actix_web::test]
async fn one_address_failing_on_many_accounts_is_throttled() {
    let app = TestApp::spawn().await;
    app.create_organizer("org@mire.gob.pa", "Olga Organizer");
    for i in 0..capacity_survey::service::throttle::ADDRESS_LIMIT {
        let response = app
            .login(&format!("guess{i}@mire.gob.pa"), "whatever it is")
            .await;
        assert_eq!(response.status(), 422, "attempt {i}");
    }
    assert_eq!(app.login("org@mire.gob.pa", PASSWORD).await.status(), 429);
}
