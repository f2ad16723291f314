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
        // Wrong content types: a valid save in a body that is not declared as a form (first:
        // an accepted save would bump the version and turn the later ones into conflicts).
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
        attempt(
            "a NUL as the organization of an invitation",
            raw_form(
                org,
                &invitations,
                format!(
                    "csrf_token={org_token}&organization=%00&name_0=Ana&email_0=ana%40x.pa\
                     &lang_0=es"
                ),
            ),
        ),
        attempt(
            "a NUL as a partner organization",
            raw_form(
                &rep,
                &mechanisms,
                format!(
                    "csrf_token={t}&version=0&v.name=Nul&partner_org=%00&v.direction=provide\
                     &v.domains=asylum&v.status=active"
                ),
            ),
        ),
        attempt(
            "a NUL as the organization of a reminder",
            raw_form(
                org,
                &app.url(&format!(
                    "/organizer/assessments/{assessment}/reminders/send"
                )),
                format!("csrf_token={org_token}&organization=%00"),
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
        (org, "/organizer/assessments/%00".to_owned()),
        (&rep, "/responses/%00/review".to_owned()),
        (&rep, format!("/responses/{response}/mechanisms/%00")),
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
    println!("hostile requests: {count}");
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

// ---------------------------------------------------------------------------------------------
// XSS sweep

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";
const SQL: &str = "'; DROP TABLE users; --";

/// What must never be in a page: the payloads as markup, or a double quote left unescaped in
/// front of escaped markup (which would end an attribute).
const RAW: [&str; 5] = [
    "<script>alert(1)",
    "<img src=x",
    "\"&gt;&lt;img src=x",
    "\"&#62;&#60;img src=x",
    "onerror=alert(1)>",
];

/// The script payload as a page shows it (askama writes `&#60;`, other escapers `&lt;`).
fn shows_script_escaped(body: &str) -> bool {
    body.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
        || body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
}

fn assert_escaped(what: &str, body: &str) {
    for raw in RAW {
        assert!(
            !body.contains(raw),
            "{what} holds the raw payload {raw:?}:\n{}",
            context_of(body, raw)
        );
    }
}

fn context_of(body: &str, needle: &str) -> String {
    let at = body.find(needle).unwrap_or(0);
    let start = body.floor_char_boundary(at.saturating_sub(200));
    let end = body.ceil_char_boundary((at + 200).min(body.len()));
    body[start..end].to_owned()
}

/// The organizations of the sweep: every free-text column carries a payload (and a formula).
fn payload_organizations() -> Vec<[String; 5]> {
    vec![
        [
            format!("{SCRIPT} Instituto \"A\" & Cía"),
            SCRIPT.to_owned(),
            "statistics".to_owned(),
            IMG.to_owned(),
            "ana@a.gob.pa".to_owned(),
        ],
        [
            format!("{IMG} {SQL}"),
            SQL.to_owned(),
            "immigration_borders".to_owned(),
            "=HYPERLINK(\"http://evil.example\",\"x\")".to_owned(),
            String::new(),
        ],
        [
            "=cmd|' /C calc'!A0".to_owned(),
            "@SUM(1+1)".to_owned(),
            "refugee_asylum".to_owned(),
            format!("+{SCRIPT}"),
            String::new(),
        ],
    ]
}

fn csv_of(rows: &[[String; 5]]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(["name", "acronym", "sector", "contact name", "contact email"])
        .unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// An app whose mail goes to a real SMTP server on loopback; delivery runs when the test says.
async fn app_with_mail(sink: &crate::email::SmtpSink) -> TestApp {
    use capacity_survey::mail::{MailConfig, TransportConfig};
    let url = sink.url();
    TestApp::spawn_configured(
        |_| {},
        move |config| {
            config.mail = MailConfig {
                transport: TransportConfig::Smtp(url),
                from: "Foro <foro@mire.gob.pa>".to_owned(),
                reply_to: None,
                background_jobs: false,
                poll_interval: std::time::Duration::from_millis(100),
            }
        },
    )
    .await
}

async fn post_ok(
    client: &reqwest::Client,
    app: &TestApp,
    page: &str,
    path: &str,
    form: &[(&str, &str)],
) {
    let token = support::csrf_of(client, &app.url(page)).await;
    let mut fields = vec![("csrf_token", token.as_str())];
    fields.extend_from_slice(form);
    let answer = support::post_form(client, &app.url(path), &fields).await;
    let status = answer.status();
    assert!(
        status == 303 || status == 200,
        "{path}: {status}\n{}",
        answer.text().await.unwrap()
    );
}

#[actix_web::test]
async fn payloads_in_every_free_text_field_come_back_escaped_on_every_page_email_and_export() {
    use capacity_survey::store;

    let sink = crate::email::SmtpSink::start();
    let app = app_with_mail(&sink).await;
    forum::organizer(&app).await;
    let orgs = payload_organizations();
    let imported = forum::import_csv(&app, &csv_of(&orgs)).await;
    assert_eq!(imported.status(), 200, "{}", imported.text().await.unwrap());
    let stored: Vec<_> = store::organizations::list(&mut app.conn()).unwrap();
    let id_of = |name: &str| {
        stored
            .iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("organization {name:?} stored as typed: {stored:#?}"))
            .id
            .clone()
    };
    let (a, b, c) = (id_of(&orgs[0][0]), id_of(&orgs[1][0]), id_of(&orgs[2][0]));
    // SQL metacharacters are data: stored as typed, nothing dropped.
    assert!(stored.iter().any(|o| o.acronym == SQL));

    // An assessment with payload titles.
    let today = capacity_survey::service::Clock::today(&*app.clock);
    let title_es = format!("{SCRIPT} Foro {SQL}");
    let title_en = format!("{IMG} Forum");
    let token = app.csrf("/organizer/assessments/new").await;
    let created = app
        .post_form(
            "/organizer/assessments",
            &[
                ("csrf_token", &token),
                ("title_es", &title_es),
                ("title_en", &title_en),
                ("instrument", "forum@2023.1"),
                ("opens_on", &(today - chrono::Duration::days(1)).to_string()),
                (
                    "closes_on",
                    &(today + chrono::Duration::days(30)).to_string(),
                ),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let assessment = support::location(&created)
        .strip_prefix("/organizer/assessments/")
        .unwrap()
        .to_owned();
    assert_eq!(
        store::assessments::find(&mut app.conn(), &assessment)
            .unwrap()
            .title_es,
        title_es
    );

    // Representatives with payload names, invited and joined.
    let link_a = forum::invite(
        &app,
        &assessment,
        &a,
        &format!("{SCRIPT} Ana"),
        "ana@a.gob.pa",
    )
    .await;
    let (rep_a, response_a) = forum::accept(&app, &link_a, &format!("{IMG} Ana")).await;
    let link_b = forum::invite(
        &app,
        &assessment,
        &b,
        &format!("{SQL} Luis"),
        "luis@b.gob.pa",
    )
    .await;
    let (rep_b, response_b) = forum::accept(&app, &link_b, &format!("{SQL} Luis")).await;
    // C takes part too (a mechanism's partner must be in the assessment); only invited.
    forum::invite(&app, &assessment, &c, "@Carla =1+1", "carla@c.gob.pa").await;

    // A fills everything, with payloads in every text answer and evidence, and two mechanisms.
    let instrument = forum::instrument();
    for section in &instrument.sections {
        if matches!(
            section.body,
            capacity_survey::domain::instrument::SectionBody::Mechanisms(_)
        ) {
            continue;
        }
        let mut answers = forum::complete_answers(&instrument, &section.key);
        let mut evidence = Vec::new();
        for (key, values) in &mut answers {
            if values[0] == "2" {
                evidence.push((key.clone(), format!("{SCRIPT} {IMG} {SQL} @evidence")));
            }
            if values[0] == "Texto de prueba" {
                values[0] = format!("{SCRIPT} {IMG} {SQL}");
            }
        }
        if section.key == "about" {
            answers.retain(|(k, _)| k != "about.sector");
            answers.push(("about.sector".to_owned(), vec!["other".to_owned()]));
            answers.push((
                "about.sector_other".to_owned(),
                vec![format!("{IMG} sector")],
            ));
            answers.push(("about.units".to_owned(), vec![format!("{SCRIPT}\n{SQL}")]));
        }
        let evidence: Vec<(&str, &str)> = evidence
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let saved =
            forum::save_section(&rep_a, &app, &response_a, &section.key, &answers, &evidence).await;
        assert_eq!(saved.status(), 303, "section {}", section.key);
    }
    let mechanism_name = format!("{SCRIPT} {SQL}");
    let outside = format!("{IMG} Banco");
    for (name, partner_org, partner_name) in [
        (mechanism_name.as_str(), c.as_str(), ""),
        ("=1+1 mecanismo", "", outside.as_str()),
    ] {
        post_ok(
            &rep_a,
            &app,
            &format!("/responses/{response_a}/mechanisms/new"),
            &format!("/responses/{response_a}/mechanisms"),
            &[
                ("version", "0"),
                ("v.name", name),
                ("v.description", &format!("{IMG}\n{SQL}")),
                ("partner_org", partner_org),
                ("partner_name", partner_name),
                ("v.direction", "provide"),
                ("v.domains", "asylum"),
                ("v.legal_reference", "-2+3 ley"),
                ("v.problems", &format!("{SCRIPT} problems")),
                ("v.status", "active"),
            ],
        )
        .await;
    }
    let mechanisms = store::mechanisms::list_for_response(&mut app.conn(), &response_a).unwrap();
    assert_eq!(mechanisms.len(), 2);
    assert!(mechanisms.iter().any(|m| m.name == mechanism_name));
    assert!(
        mechanisms
            .iter()
            .any(|m| m.partner_name.as_deref() == Some(outside.as_str()))
    );
    let token =
        support::csrf_of(&rep_a, &app.url(&format!("/responses/{response_a}/review"))).await;
    let submitted = support::post_form(
        &rep_a,
        &app.url(&format!("/responses/{response_a}/submit")),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(submitted.status(), 303);

    // B saves a draft with a payload; reminders go to B; A is reopened with a payload reason.
    let saved = forum::save_section(
        &rep_b,
        &app,
        &response_b,
        "legal",
        &[("legal.mandate".to_owned(), vec!["1".to_owned()])],
        &[("legal.mandate", &format!("{IMG} {SQL}"))],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let reminders = format!("/organizer/assessments/{assessment}/reminders");
    let preview_token = app.csrf(&reminders).await;
    let preview = app
        .post_form(
            &format!("{reminders}/preview"),
            &[("csrf_token", &preview_token), ("organization", &b)],
        )
        .await;
    assert_eq!(preview.status(), 200);
    let preview = preview.text().await.unwrap();
    assert_escaped("reminders preview", &preview);
    assert!(preview.contains("alert(1)"), "the preview shows the names");
    post_ok(
        &app.client,
        &app,
        &reminders,
        &format!("{reminders}/send"),
        &[("organization", &b)],
    )
    .await;
    let reason = format!("{SCRIPT} {IMG} {SQL}");
    post_ok(
        &app.client,
        &app,
        &format!("/responses/{response_a}/review"),
        &format!("/organizer/responses/{response_a}/reopen"),
        &[("reason", &reason)],
    )
    .await;

    // Every page of both roles.
    let dimensions: Vec<String> = instrument.dimensions().map(|d| d.key.clone()).collect();
    let base = format!("/organizer/assessments/{assessment}");
    let mut organizer_pages = vec![
        "/organizer".to_owned(),
        base.clone(),
        format!("{base}?sort=organization&dir=desc"),
        format!("{base}/edit"),
        format!("{base}/invite"),
        format!("{base}/exports"),
        reminders.clone(),
        "/organizer/emails".to_owned(),
        "/organizer/organizations".to_owned(),
        "/organizer/organizations/import".to_owned(),
        format!("/responses/{response_a}/review"),
        format!("/responses/{response_a}/scores"),
    ];
    for view in ["matrix", "mechanisms", "network", "domains", "annex"] {
        organizer_pages.push(format!("{base}/{view}"));
        organizer_pages.push(format!("{base}/{view}?drafts=1"));
    }
    for dimension in &dimensions {
        organizer_pages.push(format!("{base}/dimensions/{dimension}?drafts=1"));
        organizer_pages.push(format!("/responses/{response_a}/scores/{dimension}"));
    }
    for org in [&a, &b, &c] {
        organizer_pages.push(format!("/organizer/organizations/{org}/edit"));
        organizer_pages.push(format!("{base}/organizations/{org}/emails"));
    }
    let mut rep_pages = vec![
        "/".to_owned(),
        format!("/responses/{response_a}"),
        format!("/responses/{response_a}/review"),
        format!("/responses/{response_a}/mechanisms"),
        format!("/responses/{response_a}/mechanisms/new"),
        format!("/responses/{response_a}/scores"),
    ];
    for section in instrument.sections.iter().filter(|s| {
        !matches!(
            s.body,
            capacity_survey::domain::instrument::SectionBody::Mechanisms(_)
        )
    }) {
        rep_pages.push(format!("/responses/{response_a}/sections/{}", section.key));
    }
    for mechanism in &mechanisms {
        rep_pages.push(format!(
            "/responses/{response_a}/mechanisms/{}",
            mechanism.id
        ));
    }
    for dimension in &dimensions {
        rep_pages.push(format!("/responses/{response_a}/scores/{dimension}"));
    }
    let mut shown = 0;
    let mut swept = 0;
    for (client, pages) in [(&app.client, &organizer_pages), (&rep_a, &rep_pages)] {
        for lang in ["es", "en"] {
            for page in pages.iter() {
                let url = if page.contains('?') {
                    format!("{page}&lang={lang}")
                } else {
                    format!("{page}?lang={lang}")
                };
                let answer = support::get(client, &app.url(&url)).await;
                assert_eq!(answer.status(), 200, "{url}");
                let body = answer.text().await.unwrap();
                assert_escaped(&url, &body);
                swept += 1;
                if body.contains("alert(1)") {
                    shown += 1;
                }
            }
        }
    }
    println!("XSS sweep: {swept} page loads, payloads shown on {shown}");
    // The sweep is worth something only if the payloads were on the pages, escaped.
    assert!(
        shown * 10 >= swept * 8,
        "payloads shown on {shown} of {swept} pages"
    );
    for (page, client) in [
        (format!("{base}/matrix?drafts=1"), &app.client),
        (format!("{base}/mechanisms?drafts=1"), &app.client),
        (format!("{base}/network?drafts=1"), &app.client),
        (format!("/responses/{response_a}/review"), &rep_a),
        (format!("/responses/{response_a}/mechanisms"), &rep_a),
    ] {
        let body = support::text(client, &app.url(&page)).await;
        assert!(shows_script_escaped(&body), "{page}");
    }
    let review = support::text(&rep_a, &app.url(&format!("/responses/{response_a}/review"))).await;
    assert!(
        review.contains("alert(1)") && review.contains("DROP TABLE"),
        "the reopening reason"
    );

    // Every email: the HTML part escapes, the text part keeps the text as typed.
    let report = capacity_survey::jobs::delivery_pass(&app.state)
        .await
        .unwrap();
    assert!(report.sent >= 5, "{report:?}");
    let mails = sink.received();
    println!("XSS sweep: {} emails", mails.len());
    let mut kinds = std::collections::BTreeSet::new();
    for mail in &mails {
        let html = mail.html();
        assert_escaped(&format!("email {}", mail.subject()), &html);
        assert!(
            html.contains("alert(1)") || html.contains("DROP TABLE"),
            "{}",
            mail.subject()
        );
        kinds.insert(
            mail.subject()
                .split(':')
                .next()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let texts: String = mails.iter().map(|m| m.text()).collect();
    assert!(texts.contains(SCRIPT) && texts.contains(&reason), "{texts}");
    assert!(
        kinds.len() >= 3,
        "invitations, reminder, confirmation, reopening: {kinds:?}"
    );

    // Exports: no cell a spreadsheet would run; the text itself intact.
    let export = |file: &str| app.url(&format!("{base}/export/{file}?drafts=1"));
    let mut neutralised = 0;
    for file in [
        "matrix.csv",
        "mechanisms.csv",
        "flows.csv",
        "domains.csv",
        "answers.csv",
    ] {
        let answer = app.client.get(export(file)).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{file}");
        let body = answer.text().await.unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(body.as_bytes());
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{file}: {cell:?}"
                );
                if cell.starts_with("'=") || cell.starts_with("'@") || cell.starts_with("'+") {
                    neutralised += 1;
                }
            }
        }
        if file != "domains.csv" {
            assert!(body.contains("alert(1)"), "{file} holds the payloads");
        }
    }
    assert!(neutralised >= 3, "formulas neutralised: {neutralised}");
    let xlsx = app
        .client
        .get(export("workbook.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    {
        use calamine::Reader;
        let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut strings = Vec::new();
        for sheet in workbook.sheet_names() {
            let formulas = workbook.worksheet_formula(&sheet).unwrap();
            assert!(
                formulas.used_cells().all(|(_, _, f)| f.is_empty()),
                "{sheet}"
            );
            let range = workbook.worksheet_range(&sheet).unwrap();
            for cell in range.used_cells() {
                if let calamine::Data::String(text) = cell.2 {
                    assert!(!text.starts_with(['=', '+', '-', '@']), "{sheet}: {text:?}");
                    strings.push(text.clone());
                }
            }
        }
        assert!(
            strings.iter().any(|s| s == &orgs[0][1]),
            "the acronym as typed"
        );
        assert!(strings.iter().any(|s| s == &format!("'{}", orgs[2][0])));
    }
    let json = app
        .client
        .get(export("assessment.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let everything = json.to_string();
    for text in [
        &orgs[0][0],
        &orgs[1][0],
        &orgs[2][0],
        &mechanism_name,
        &outside,
        &title_es,
    ] {
        let quoted = serde_json::Value::String(text.clone()).to_string();
        assert!(everything.contains(&quoted), "JSON holds {text:?} as typed");
    }

    // Stored as typed, and the users table is still there.
    let answers = store::responses::answers(&mut app.conn(), &response_a).unwrap();
    assert!(
        answers
            .iter()
            .any(|r| r.evidence.as_deref() == Some(&format!("{SCRIPT} {IMG} {SQL} @evidence")))
    );
    assert!(
        answers
            .iter()
            .any(|r| r.value == format!("{SCRIPT}\n{SQL}"))
    );
    assert!(app.user_count() >= 3);
    assert_eq!(
        support::login(
            &app.new_client(),
            &app.base,
            forum::ORGANIZER,
            support::PASSWORD
        )
        .await
        .status(),
        303
    );
}
