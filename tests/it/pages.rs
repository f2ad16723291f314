//! Languages, error pages, limits, health and static files.

use crate::support::{self, TestApp};

fn html_lang(html: &str) -> &str {
    let start = html.find("<html lang=\"").expect("html lang") + "<html lang=\"".len();
    &html[start..start + 2]
}

/// The login page as a new visitor whose browser sends `accept_language`.
async fn page_with_accept_language(app: &TestApp, accept_language: &str) -> String {
    app.new_client()
        .get(app.url("/login"))
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[actix_web::test]
async fn spanish_by_default_english_by_parameter_cookie_or_header() {
    let app = TestApp::spawn().await;

    let default = app.get("/login").await.text().await.unwrap();
    assert_eq!(html_lang(&default), "es");
    assert!(default.contains("Iniciar sesión"));

    // ?lang=en answers in English and remembers the choice in a cookie.
    let chosen = app.get("/login?lang=en").await;
    let cookie = chosen
        .cookies()
        .find(|c| c.name() == "lang")
        .map(|c| c.value().to_owned());
    assert_eq!(cookie.as_deref(), Some("en"));
    let chosen = chosen.text().await.unwrap();
    assert_eq!(html_lang(&chosen), "en");
    assert!(chosen.contains("Log in"));
    // The switch links back to Spanish, named in Spanish.
    assert!(chosen.contains("href=\"/login?lang=es\" lang=\"es\""));

    // The cookie alone keeps English on the next page.
    let remembered = app.get("/login").await.text().await.unwrap();
    assert_eq!(html_lang(&remembered), "en");
    let not_found = app.get("/no-such-page").await.text().await.unwrap();
    assert!(not_found.contains("Page not found"));

    // Accept-Language decides for a new visitor without cookie or parameter.
    let english_browser = page_with_accept_language(&app, "en-GB,en;q=0.9,es;q=0.5").await;
    assert_eq!(html_lang(&english_browser), "en");
    let french_browser = page_with_accept_language(&app, "fr-FR,fr;q=0.9").await;
    assert_eq!(html_lang(&french_browser), "es");

    // The parameter beats the header, and back to Spanish by parameter.
    let back = app.get("/login?lang=es").await.text().await.unwrap();
    assert_eq!(html_lang(&back), "es");
    assert_eq!(
        html_lang(&app.get("/login").await.text().await.unwrap()),
        "es"
    );
}

#[actix_web::test]
async fn a_bad_lang_value_is_ignored() {
    let app = TestApp::spawn().await;
    for bad in ["fr", "en-US", "%ZZ", "<script>", ""] {
        let response = app.get(&format!("/login?lang={bad}")).await;
        assert_eq!(response.status(), 200, "lang={bad}");
        assert!(response.cookies().all(|c| c.name() != "lang"));
        let html = response.text().await.unwrap();
        assert_eq!(html_lang(&html), "es");
        assert!(!html.contains("<script>"));
    }
}

#[actix_web::test]
async fn not_found_page_in_both_languages() {
    let app = TestApp::spawn().await;
    let es = app.get("/no/such/page").await;
    assert_eq!(es.status(), 404);
    assert!(
        es.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let es = es.text().await.unwrap();
    assert!(es.contains("Página no encontrada"));
    assert!(
        es.contains("class=\"site-header\""),
        "rendered in the layout"
    );
    let en = app.get("/no/such/page?lang=en").await;
    assert_eq!(en.status(), 404);
    assert!(en.text().await.unwrap().contains("Page not found"));
}

#[actix_web::test]
async fn oversized_body_gets_413() {
    let app = TestApp::spawn().await;
    let token = app.csrf("/login").await;
    let huge = "x".repeat(capacity_survey::config::DEFAULT_MAX_BODY_BYTES + 10);
    let response = app
        .post_form(
            "/login",
            &[("csrf_token", &token), ("email", &huge), ("password", "x")],
        )
        .await;
    assert_eq!(response.status(), 413);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("supera el tamaño permitido")
    );

    // Also without a Content-Length (chunked), the limit holds.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let status_line = actix_web::rt::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let head = "POST /login HTTP/1.1\r\nHost: test\r\n\
                    Content-Type: application/x-www-form-urlencoded\r\n\
                    Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        stream.write_all(head.as_bytes()).unwrap();
        let chunk = vec![b'a'; 8 * 1024];
        for _ in 0..64 {
            let header = format!("{:x}\r\n", chunk.len());
            if stream.write_all(header.as_bytes()).is_err()
                || stream.write_all(&chunk).is_err()
                || stream.write_all(b"\r\n").is_err()
            {
                break; // The server may close as soon as it has seen enough.
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer.lines().next().unwrap_or_default().to_owned()
    })
    .await
    .unwrap();
    assert!(status_line.contains(" 413 "), "{status_line}");
}

#[actix_web::test]
async fn malformed_and_missing_form_fields_get_a_4xx_page() {
    let app = TestApp::spawn().await;
    let token = app.csrf("/login").await;
    // Missing fields: the form comes back with a message, no crash.
    let missing = app.post_form("/login", &[("csrf_token", &token)]).await;
    assert_eq!(missing.status(), 422);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("Escriba su correo electrónico")
    );
    // Invalid UTF-8 in the body.
    let bad = app
        .client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-csrf-token", &token)
        .body(b"email=%FF%FE&password=\xff".to_vec())
        .send()
        .await
        .unwrap();
    assert!(bad.status().is_client_error(), "{}", bad.status());
    // An over-long email is refused like any wrong login.
    let long = "a".repeat(5000);
    let response = app
        .post_form(
            "/login",
            &[("csrf_token", &token), ("email", &long), ("password", "x")],
        )
        .await;
    assert_eq!(response.status(), 422);
    // A wrong method on a known path.
    let put = app.client.put(app.url("/login")).send().await.unwrap();
    assert!(put.status().is_client_error(), "{}", put.status());
    // A broken or foreign `next` is dropped, not followed.
    let odd = app.get("/login?next=%ZZ&x=1").await;
    assert_eq!(odd.status(), 200);
    assert!(
        odd.text()
            .await
            .unwrap()
            .contains("name=\"next\" value=\"\"")
    );
}

#[actix_web::test]
async fn healthz_reports_the_database() {
    let app = TestApp::spawn().await;
    let ok = app.get("/healthz").await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "ok");

    if support::on_postgres() {
        return; // The damage below is a SQLite file; PostgreSQL is checked by the line above.
    }
    // Damage the database file under the running server: the check must notice.
    let path = app.database_url.trim_start_matches("sqlite://").to_owned();
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        if std::path::Path::new(&file).exists() {
            std::fs::write(&file, vec![0x42u8; 64 * 1024]).unwrap();
        }
    }
    let down = app.get("/healthz").await;
    assert_eq!(down.status(), 503);
    assert_eq!(down.text().await.unwrap(), "database unavailable");

    // A page that needs the damaged database answers 500 with a request id and no internals.
    let token = app.csrf("/login").await;
    let failed = app
        .post_form(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "a@b.pa"),
                ("password", "whatever it is"),
            ],
        )
        .await;
    assert_eq!(failed.status(), 500);
    let html = failed.text().await.unwrap();
    assert!(html.contains("Error interno"));
    assert!(html.contains("<code>"), "the request id is shown");
    for internal in [
        "database",
        "sqlite",
        "malformed",
        "diesel",
        "not a database",
    ] {
        assert!(!html.to_lowercase().contains(internal), "{internal} leaked");
    }
}

#[actix_web::test]
async fn static_files_are_served_with_cache_headers_and_a_strict_policy() {
    let app = TestApp::spawn().await;
    let page = app.get("/login").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    let start = html.find("/static/app.css?v=").unwrap();
    let end = start + html[start..].find('"').unwrap();
    let css = app.get(&html[start..end]).await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let etag = css.headers()["etag"].to_str().unwrap().to_owned();
    assert!(css.text().await.unwrap().contains("--brand"));
    let again = app
        .client
        .get(app.url("/static/app.css"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(app.get("/static/nothing.js").await.status(), 404);
    assert_eq!(app.get("/static/..%2FCargo.toml").await.status(), 404);
}

#[actix_web::test]
async fn a_stalled_request_head_is_answered_408_and_closed() {
    let app = TestApp::spawn().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let answer = actix_web::rt::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        // Well past the server's limit, so a server that never cuts the client fails the test.
        let limit = capacity_survey::web::REQUEST_HEAD_SECONDS * 3;
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(limit)))
            .unwrap();
        // The head never ends (no blank line).
        stream
            .write_all(b"GET /login HTTP/1.1\r\nHost: test\r\n")
            .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    })
    .await
    .unwrap();
    assert!(
        answer.lines().next().unwrap_or_default().contains(" 408 "),
        "a client that never finishes its request is cut off: {answer:?}"
    );
}
