//! Hostile requests: invalid UTF-8 in bodies and queries, huge numbers in answers and ids,
//! repeated, deeply nested and very long keys, NUL bytes, wrong content types and malformed
//! multipart. Each one gets a 4xx answer (never a 5xx), and nothing saved changes.

use reqwest::header::CONTENT_TYPE;

use crate::forum::{self, Forum};
use crate::support::{self, TestApp};

const FORM: &str = "application/x-www-form-urlencoded";

/// Everything a hostile request could have changed, as text to compare.
fn saved_state(app: &TestApp, assessment: &str, response: &str) -> String {
    use capacity_survey::store;
    let mut conn = app.conn();
    let answers = store::responses::answers(&mut conn, response).unwrap();
    let versions = store::responses::section_versions(&mut conn, response).unwrap();
    let mechanisms = store::mechanisms::list_for_response(&mut conn, response).unwrap();
    let organizations = store::organizations::list(&mut conn).unwrap();
    let assessments = store::assessments::list(&mut conn).unwrap();
    let invitations = store::invitations::list_for_assessment(&mut conn, assessment)
        .unwrap()
        .len();
    let users = store::users::count(&mut conn).unwrap();
    format!(
        "{answers:#?}\n{versions:#?}\n{mechanisms:#?}\n{organizations:#?}\n{assessments:#?}\n\
         invitations: {invitations}\nusers: {users}"
    )
}

/// One hostile request and what it is.
struct Attempt {
    what: String,
    request: reqwest::RequestBuilder,
}

fn attempt(what: impl Into<String>, request: reqwest::RequestBuilder) -> Attempt {
    Attempt {
        what: what.into(),
        request,
    }
}

/// A url-encoded body sent as is (so it can hold bytes a browser would never send).
fn raw_form(
    client: &reqwest::Client,
    url: &str,
    body: impl Into<Vec<u8>>,
) -> reqwest::RequestBuilder {
    client
        .post(url)
        .header(CONTENT_TYPE, FORM)
        .body(body.into())
}

fn multipart_body(boundary: &str, parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, data) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"{name}.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

#[actix_web::test]
async fn hostile_requests_get_a_4xx_and_change_nothing() {
    let app = TestApp::spawn().await;
    let Forum {
        assessment,
        rep,
        response,
    } = forum::forum(&app).await;
    // Something saved that a hostile request must not touch.
    let saved = forum::save_section(
        &rep,
        &app,
        &response,
        "legal",
        &[("legal.mandate".to_owned(), vec!["3".to_owned()])],
        &[("legal.mandate", "Ley 3 de 2008")],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let mechanism = forum::add_mechanism(&rep, &app, &response, "Entradas", "", "ACNUR").await;
    assert_eq!(mechanism.status(), 303);
    let before = saved_state(&app, &assessment, &response);

    let (t, legal_version) = forum::section_state(&rep, &app, &response, "legal").await;
    let (_, about_version) = forum::section_state(&rep, &app, &response, "about").await;
    let org_token = app.csrf("/organizer").await;
    let legal = app.url(&format!("/responses/{response}/sections/legal"));
    let about = app.url(&format!("/responses/{response}/sections/about"));
    let mechanisms = app.url(&format!("/responses/{response}/mechanisms"));
    let organizations = app.url("/organizer/organizations");
    let import = app.url("/organizer/organizations/import");
    let invitations = app.url(&format!("/organizer/assessments/{assessment}/invitations"));
    let legal_form = |rest: &str| -> Vec<u8> {
        format!("csrf_token={t}&version={legal_version}&{rest}").into_bytes()
    };
    let about_form = |rest: &str| -> Vec<u8> {
        format!("csrf_token={t}&version={about_version}&{rest}").into_bytes()
    };
    let nested = format!("a{}", "[b]".repeat(1000));
    let long_key = "k".repeat(100_000);
    let org = &app.client;

    let mut attempts = vec![
        // Invalid UTF-8, percent-encoded or raw, in values and in keys.
        attempt(
            "invalid UTF-8 in an answer",
            raw_form(
                &rep,
                &legal,
                legal_form("_items=legal.mandate&v.legal.mandate=%FF"),
            ),
        ),
        attempt(
            "invalid UTF-8 in evidence",
            raw_form(
                &rep,
                &legal,
                legal_form("_items=legal.mandate&v.legal.mandate=1&e.legal.mandate=%C3%28"),
            ),
        ),
        attempt("raw invalid bytes in evidence", {
            let mut body = legal_form("_items=legal.mandate&v.legal.mandate=1&e.legal.mandate=");
            body.extend_from_slice(b"\xff\xfe\xfd");
            raw_form(&rep, &legal, body)
        }),
        attempt(
            "invalid UTF-8 in a key",
            raw_form(
                &rep,
                &legal,
                legal_form("_items=legal.mandate&v.legal.mandate=1&e.legal.%FF=x"),
            ),
        ),
        attempt(
            "a UTF-16 surrogate in an organization name",
            raw_form(
                org,
                &organizations,
                format!("csrf_token={org_token}&name=%ED%A0%80&acronym=SUR&sector=statistics"),
            ),
        ),
        attempt(
            "invalid UTF-8 in a mechanism name",
            raw_form(
                &rep,
                &mechanisms,
                format!(
                    "csrf_token={t}&version=0&v.name=%FF%FE&partner_name=X&v.direction=provide\
                     &v.domains=asylum&v.status=active"
                ),
            ),
        ),
        attempt(
            "invalid UTF-8 in an invitation",
            raw_form(
                org,
                &invitations,
                format!("csrf_token={org_token}&organization=x&name_0=%C0%AF&email_0=a%40b.pa"),
            ),
        ),
        // Huge numbers in numeric answers and in ids.
        attempt(
            "1e400 staff",
            raw_form(
                &rep,
                &about,
                about_form("_items=about.staff&v.about.staff=1e400"),
            ),
        ),
        attempt(
            "99999999999999999999 staff",
            raw_form(
                &rep,
                &about,
                about_form("_items=about.staff&v.about.staff=99999999999999999999"),
            ),
        ),
        attempt(
            "-99999999999999999999 staff",
            raw_form(
                &rep,
                &about,
                about_form("_items=about.staff&v.about.staff=-99999999999999999999"),
            ),
        ),
        attempt(
            "huge delay in a mechanism",
            raw_form(
                &rep,
                &mechanisms,
                format!(
                    "csrf_token={t}&version=0&v.name=Huge&partner_name=X&v.direction=provide\
                     &v.domains=asylum&v.status=active&v.delay_days=99999999999999999999"
                ),
            ),
        ),
        attempt(
            "huge section version",
            raw_form(
                &rep,
                &legal,
                format!(
                    "csrf_token={t}&version=99999999999999999999&_items=legal.mandate\
                     &v.legal.mandate=1"
                ),
            ),
        ),
        attempt(
            "1e400 section version",
            raw_form(
                &rep,
                &legal,
                format!("csrf_token={t}&version=1e400&_items=legal.mandate&v.legal.mandate=1"),
            ),
        ),
        attempt(
            "huge partner organization id",
            raw_form(
                &rep,
                &mechanisms,
                format!(
                    "csrf_token={t}&version=0&v.name=Huge&partner_org=99999999999999999999\
                     &v.direction=provide&v.domains=asylum&v.status=active"
                ),
            ),
        ),
        attempt(
            "huge invitation id",
            raw_form(
                org,
                &app.url("/organizer/invitations/99999999999999999999/revoke"),
                format!("csrf_token={org_token}"),
            ),
        ),
        attempt(
            "huge mechanism id",
            raw_form(
                &rep,
                &app.url(&format!(
                    "/responses/{response}/mechanisms/99999999999999999999/delete"
                )),
                format!("csrf_token={t}"),
            ),
        ),
        attempt(
            "huge organization id",
            raw_form(
                org,
                &app.url("/organizer/organizations/1e400"),
                format!("csrf_token={org_token}&name=X&acronym=X&sector=statistics"),
            ),
        ),
        // Repeated keys.
        attempt(
            "two values for one maturity item",
            raw_form(
                &rep,
                &legal,
                legal_form("_items=legal.mandate&v.legal.mandate=1&v.legal.mandate=2"),
            ),
        ),
        attempt(
            "a repeated organization name",
            raw_form(
                org,
                &organizations,
                format!(
                    "csrf_token={org_token}&name=A&name=B&acronym=REP&acronym=REP2\
                     &sector=statistics"
                ),
            ),
        ),
        attempt(
            "a repeated CSRF token, the first one wrong",
            raw_form(
                &rep,
                &legal,
                format!(
                    "csrf_token=wrong&csrf_token={t}&version={legal_version}\
                     &_items=legal.mandate&v.legal.mandate=1"
                ),
            ),
        ),
        // Deeply nested, bracketed and very long keys.
        attempt(
            "a nested value key",
            raw_form(
                &rep,
                &legal,
                legal_form(&format!(
                    "_items=legal.mandate&v.legal.mandate=1&v.{nested}=1"
                )),
            ),
        ),
        attempt(
            "a nested item listed",
            raw_form(&rep, &legal, legal_form(&format!("_items={nested}"))),
        ),
        attempt(
            "a very long key",
            raw_form(
                &rep,
                &legal,
                legal_form(&format!(
                    "_items=legal.mandate&v.legal.mandate=1&e.{long_key}=1"
                )),
            ),
        ),
        attempt(
            "only nested keys for an organization",
            raw_form(
                org,
                &organizations,
                format!("csrf_token={org_token}&{nested}=1&name[0][1]=X&{long_key}=2"),
            ),
        ),
        // NUL bytes.
        attempt(
            "a NUL in a level",
            raw_form(
                &rep,
                &legal,
                legal_form("_items=legal.mandate&v.legal.mandate=3%00"),
            ),
        ),
        attempt("a raw NUL in a level", {
            let mut body = legal_form("_items=legal.mandate&v.legal.mandate=3");
            body.push(0);
            raw_form(&rep, &legal, body)
        }),
        attempt(
            "a NUL in an organization name",
            raw_form(
                org,
                &organizations,
                format!("csrf_token={org_token}&name=Nul%00Org&acronym=NUL&sector=statistics"),
            ),
        ),
        attempt(
            "a NUL in a mechanism name",
            raw_form(
                &rep,
                &mechanisms,
                format!(
                    "csrf_token={t}&version=0&v.name=%00&partner_name=X&v.direction=provide\
                     &v.domains=asylum&v.status=active"
                ),
            ),
        ),
        // Wrong content types: a valid save in a body that is not declared as a form.
        attempt(
            "a form body sent as text/plain",
            rep.post(&legal)
                .header(CONTENT_TYPE, "text/plain")
                .header("x-csrf-token", &t)
                .body(legal_form("_items=legal.mandate&v.legal.mandate=1")),
        ),
        attempt(
            "a form body without a content type",
            rep.post(&legal)
                .header("x-csrf-token", &t)
                .body(legal_form("_items=legal.mandate&v.legal.mandate=1")),
        ),
        attempt(
            "JSON instead of a form",
            rep.post(&legal)
                .header(CONTENT_TYPE, "application/json")
                .header("x-csrf-token", &t)
                .body(format!(
                    "{{\"version\":{legal_version},\"_items\":\"legal.mandate\",\
                     \"v.legal.mandate\":\"1\"}}"
                )),
        ),
        attempt(
            "JSON instead of an organization form",
            org.post(&organizations)
                .header(CONTENT_TYPE, "application/json")
                .header("x-csrf-token", &org_token)
                .body("{\"name\":\"J\",\"acronym\":\"J\",\"sector\":\"statistics\"}"),
        ),
        attempt(
            "a section sent as multipart",
            rep.post(&legal).multipart(
                reqwest::multipart::Form::new()
                    .text("csrf_token", t.clone())
                    .text("version", legal_version.clone())
                    .text("_items", "legal.mandate")
                    .text("v.legal.mandate", "1"),
            ),
        ),
        attempt(
            "a CSV file sent as a form",
            raw_form(
                org,
                &import,
                format!("csrf_token={org_token}&file=name,acronym,sector%0AX,X,statistics"),
            ),
        ),
        // Malformed multipart.
        attempt(
            "multipart with garbage",
            org.post(&import)
                .header(CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .header("x-csrf-token", &org_token)
                .body("this is not multipart at all"),
        ),
        attempt(
            "multipart without a boundary",
            org.post(&import)
                .header(CONTENT_TYPE, "multipart/form-data")
                .header("x-csrf-token", &org_token)
                .body(multipart_body("XyZ", &[("file", b"name,acronym,sector\n")])),
        ),
        attempt("multipart cut short", {
            let mut body = multipart_body(
                "XyZ",
                &[("file", b"name,acronym,sector\nCut,CUT,statistics\n")],
            );
            body.truncate(body.len() / 2);
            org.post(&import)
                .header(CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .header("x-csrf-token", &org_token)
                .body(body)
        }),
        attempt(
            "a CSV file that is not UTF-8",
            org.post(&import)
                .header(CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .header("x-csrf-token", &org_token)
                .body(multipart_body(
                    "XyZ",
                    &[("file", b"name,acronym,sector\nCaf\xe9,CAF,statistics\n")],
                )),
        ),
        attempt(
            "a CSV file with a NUL in a name",
            org.post(&import)
                .header(CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .header("x-csrf-token", &org_token)
                .body(multipart_body(
                    "XyZ",
                    &[("file", b"name,acronym,sector\nNul\0Org,NUL,statistics\n")],
                )),
        ),
        attempt(
            "multipart with nested field names and no file",
            org.post(&import)
                .header(CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .header("x-csrf-token", &org_token)
                .body(multipart_body(
                    "XyZ",
                    &[(nested.as_str(), b"name,acronym,sector\nN,N,statistics\n")],
                )),
        ),
    ];

    // Hostile queries and paths on pages of both roles.
    for (client, path) in [
        (
            org,
            format!("/organizer/assessments/{assessment}/matrix?page=99999999999999999999"),
        ),
        (
            org,
            format!("/organizer/assessments/{assessment}/matrix?page=1e400"),
        ),
        (
            org,
            format!("/organizer/assessments/{assessment}/matrix?page=-1"),
        ),
        (
            org,
            format!("/organizer/assessments/{assessment}/matrix?sort=%FF"),
        ),
        (
            org,
            format!("/organizer/assessments/{assessment}/matrix?sort=a&sort=b"),
        ),
        (
            org,
            format!("/organizer/assessments/{assessment}/mechanisms?page=1e400"),
        ),
        (
            org,
            format!("/organizer/assessments/{assessment}?status=%C3%28"),
        ),
        (
            org,
            format!("/organizer/assessments/{assessment}?sort=x&sort=y"),
        ),
        (
            org,
            "/organizer/assessments/99999999999999999999".to_owned(),
        ),
        (org, "/organizer/assessments/1e400/matrix".to_owned()),
        (org, "/organizer/assessments/%FF/network".to_owned()),
        (org, "/organizer/organizations/%00/edit".to_owned()),
        (org, "/organizer?lang=%FF".to_owned()),
        (&rep, format!("/responses/{response}?lang=%ED%A0%80")),
        (&rep, "/responses/99999999999999999999".to_owned()),
        (&rep, format!("/responses/{response}/sections/{nested}")),
        (&rep, format!("/responses/{response}/sections/%FF")),
        (&rep, format!("/responses/{response}/mechanisms/1e400")),
        (&rep, format!("/responses/{response}/scores/%00")),
    ] {
        attempts.push(attempt(format!("GET {path}"), client.get(app.url(&path))));
    }

    let count = attempts.len();
    let mut wrong = Vec::new();
    for Attempt { what, request } in attempts {
        let answer = request.send().await.expect("an answer");
        let status = answer.status();
        if !status.is_client_error() {
            wrong.push(format!("{what}: {status}"));
        }
    }
    assert!(wrong.is_empty(), "not a 4xx:\n{}", wrong.join("\n"));
    assert!(count > 40, "{count} attempts");
    assert_eq!(saved_state(&app, &assessment, &response), before);
    // The server is still up and the representative's work still there.
    assert_eq!(app.get("/healthz").await.status(), 200);
    let page = support::text(&rep, &legal).await;
    assert!(page.contains("Ley 3 de 2008"));
}

#[actix_web::test]
async fn invalid_utf8_is_refused_even_where_lossy_decoding_would_have_saved_it() {
    let app = TestApp::spawn().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;
    let (t, version) = forum::section_state(&rep, &app, &response, "legal").await;
    let legal = app.url(&format!("/responses/{response}/sections/legal"));
    // The same save, once with valid and once with invalid UTF-8 in the evidence.
    let body = |evidence: &str| {
        format!(
            "csrf_token={t}&version={version}&_items=legal.mandate&v.legal.mandate=2\
             &e.legal.mandate={evidence}"
        )
    };
    let bad = raw_form(&rep, &legal, body("Ley%C3%28"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(
        capacity_survey::store::responses::answers(&mut app.conn(), &response)
            .unwrap()
            .is_empty()
    );
    let good = raw_form(&rep, &legal, body("Ley%C3%B1"))
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), 303);
    let stored = capacity_survey::store::responses::answers(&mut app.conn(), &response).unwrap();
    assert_eq!(stored[0].evidence.as_deref(), Some("Leyñ"));
}
