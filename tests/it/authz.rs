//! The authorization matrix: every route the app registers, for an anonymous visitor, a
//! representative of organization A, one of organization B, and an organizer. It reads the routes
//! from the app's route table (src/web/route_table.rs, which also registers them), so a new route
//! that is missing from the table below fails the test. Each route and role has its exact status
//! (a 404 or a 422 where a page was expected fails), and the running server must answer each
//! route with something other than the default service's 404 for someone, while a method and
//! path it does not register gets that 404 from everyone.

use std::collections::BTreeSet;

use diesel::RunQueryDsl;

use crate::forum::{self, Forum};
use crate::support::{self, TestApp, location};

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Anyone (the route's own checks, tested elsewhere, may still refuse): never a 5xx.
    Anyone,
    /// Any logged-in user; visitors are sent to log in.
    LoggedIn,
    /// Organizers only: visitors are sent to log in, representatives get 403.
    Organizer,
    /// Reading organization A's response: its representatives and organizers.
    ReadA,
    /// Changing organization A's response: its representatives only (organizers read).
    WriteA,
}

/// The exact status each role gets, in the order [anonymous, representative of A, representative
/// of B, organizer], with valid ids (organization A's response and objects) and a valid CSRF
/// token of the client's own session on an otherwise empty form. 303 for an anonymous visitor on
/// a protected route is checked to go to the login page.
type Expect = [u16; 4];

const TABLE: &[(&str, &str, Rule, Expect)] = &[
    ("GET", "/", Rule::LoggedIn, [303, 200, 200, 303]),
    ("GET", "/healthz", Rule::Anyone, [200, 200, 200, 200]),
    ("GET", "/static/{name}", Rule::Anyone, [200, 200, 200, 200]),
    ("GET", "/login", Rule::Anyone, [200, 303, 303, 303]),
    ("POST", "/login", Rule::Anyone, [422, 422, 422, 422]),
    ("POST", "/logout", Rule::Anyone, [303, 303, 303, 303]),
    ("GET", "/setup", Rule::Anyone, [403, 403, 403, 403]),
    ("POST", "/setup", Rule::Anyone, [403, 403, 403, 403]),
    (
        "GET",
        "/password/forgot",
        Rule::Anyone,
        [200, 200, 200, 200],
    ),
    (
        "POST",
        "/password/forgot",
        Rule::Anyone,
        [200, 200, 200, 200],
    ),
    (
        "GET",
        "/password/reset/{token}",
        Rule::Anyone,
        [200, 200, 200, 200],
    ),
    (
        "POST",
        "/password/reset/{token}",
        Rule::Anyone,
        [422, 422, 422, 422],
    ),
    ("GET", "/invite/{token}", Rule::Anyone, [200, 200, 200, 200]),
    (
        "POST",
        "/invite/{token}",
        Rule::Anyone,
        [422, 422, 422, 422],
    ),
    ("GET", "/organizer", Rule::Organizer, [303, 403, 403, 200]),
    (
        "GET",
        "/organizer/assessments/new",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "POST",
        "/organizer/assessments",
        Rule::Organizer,
        [303, 403, 403, 422],
    ),
    (
        "GET",
        "/organizer/assessments/{id}",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "POST",
        "/organizer/assessments/{id}",
        Rule::Organizer,
        [303, 403, 403, 422],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/edit",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/annex.css",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/invite",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/invite-contacts",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "POST",
        "/organizer/assessments/{id}/invite-contacts",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "POST",
        "/organizer/assessments/{id}/invitations",
        Rule::Organizer,
        [303, 403, 403, 422],
    ),
    (
        "POST",
        "/organizer/invitations/{id}/revoke",
        Rule::Organizer,
        [303, 403, 403, 303],
    ),
    (
        "POST",
        "/organizer/invitations/{id}/resend",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/organizations",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "POST",
        "/organizer/organizations",
        Rule::Organizer,
        [303, 403, 403, 422],
    ),
    (
        "GET",
        "/organizer/organizations/new",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/organizations/import",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "POST",
        "/organizer/organizations/import",
        Rule::Organizer,
        [303, 403, 403, 400],
    ),
    (
        "POST",
        "/organizer/organizations/import/confirm",
        Rule::Organizer,
        [303, 403, 403, 400],
    ),
    (
        "POST",
        "/organizer/organizations/{id}",
        Rule::Organizer,
        [303, 403, 403, 422],
    ),
    (
        "GET",
        "/organizer/organizations/{id}/edit",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "POST",
        "/organizer/responses/{id}/reopen",
        Rule::Organizer,
        [303, 403, 403, 422],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/matrix",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/dimensions/{dimension}",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/mechanisms",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/network",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/domains",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/annex",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/exports",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/export/{file}",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/audit",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/audit.csv",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "GET",
        "/organizer/emails",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "POST",
        "/organizer/emails/{id}/retry",
        Rule::Organizer,
        [303, 403, 403, 303],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/reminders",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    (
        "POST",
        "/organizer/assessments/{id}/reminders/policy",
        Rule::Organizer,
        [303, 403, 403, 422],
    ),
    (
        "POST",
        "/organizer/assessments/{id}/reminders/preview",
        Rule::Organizer,
        [303, 403, 403, 303],
    ),
    (
        "POST",
        "/organizer/assessments/{id}/reminders/send",
        Rule::Organizer,
        [303, 403, 403, 303],
    ),
    (
        "GET",
        "/organizer/assessments/{id}/organizations/{organization}/emails",
        Rule::Organizer,
        [303, 403, 403, 200],
    ),
    ("GET", "/responses/{id}", Rule::ReadA, [303, 200, 403, 200]),
    (
        "GET",
        "/responses/{id}/review",
        Rule::ReadA,
        [303, 200, 403, 200],
    ),
    (
        "GET",
        "/responses/{id}/scores",
        Rule::ReadA,
        [303, 200, 403, 200],
    ),
    (
        "GET",
        "/responses/{id}/scores/{dimension}",
        Rule::ReadA,
        [303, 200, 403, 200],
    ),
    (
        "GET",
        "/responses/{id}/sections/{section}",
        Rule::ReadA,
        [303, 200, 403, 200],
    ),
    (
        "GET",
        "/responses/{id}/mechanisms",
        Rule::ReadA,
        [303, 200, 403, 200],
    ),
    (
        "GET",
        "/responses/{id}/mechanisms/{mechanism}",
        Rule::ReadA,
        [303, 200, 403, 200],
    ),
    (
        "GET",
        "/responses/{id}/mechanisms/new",
        Rule::WriteA,
        [303, 200, 403, 403],
    ),
    (
        "GET",
        "/account/sessions",
        Rule::LoggedIn,
        [303, 200, 200, 200],
    ),
    // Its answer is the login page for everyone (signed out everywhere); tests/it/sessions.rs.
    (
        "POST",
        "/account/sessions/end-all",
        Rule::Anyone,
        [303, 303, 303, 303],
    ),
    // With an id that is nobody's session: the person's own sessions only (tests/it/sessions.rs).
    (
        "POST",
        "/account/sessions/{id}/end",
        Rule::LoggedIn,
        [303, 404, 404, 404],
    ),
    // With an id that is no account's (ending real sessions here would log A out mid-table).
    (
        "POST",
        "/organizer/users/{id}/sessions/end",
        Rule::Organizer,
        [303, 403, 403, 404],
    ),
    (
        "GET",
        "/responses/{id}/mechanisms/{mechanism}/delete",
        Rule::WriteA,
        [303, 200, 403, 403],
    ),
    (
        "POST",
        "/responses/{id}/submit",
        Rule::WriteA,
        [303, 422, 403, 403],
    ),
    (
        "POST",
        "/responses/{id}/sections/{section}",
        Rule::WriteA,
        [303, 400, 403, 403],
    ),
    (
        "POST",
        "/responses/{id}/mechanisms",
        Rule::WriteA,
        [303, 422, 403, 403],
    ),
    (
        "POST",
        "/responses/{id}/mechanisms/{mechanism}",
        Rule::WriteA,
        [303, 422, 403, 403],
    ),
    (
        "POST",
        "/responses/{id}/mechanisms/{mechanism}/delete",
        Rule::WriteA,
        [303, 303, 403, 403],
    ),
];

/// Every (method, path) registered in `web::routes`: the app's route table.
fn registered_routes() -> BTreeSet<(String, String)> {
    use capacity_survey::web::route_table::{ROUTES, Verb};
    ROUTES
        .iter()
        .map(|r| {
            let method = match r.verb {
                Verb::Get => "GET",
                Verb::Post => "POST",
            };
            (method.to_owned(), r.pattern.to_owned())
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    RepA,
    RepB,
    Organizer,
}

/// The secret of the last password-reset link queued.
fn reset_token(app: &TestApp) -> String {
    #[derive(diesel::QueryableByName)]
    struct Body {
        #[diesel(sql_type = diesel::sql_types::Text)]
        body_text: String,
    }
    let bodies = diesel::sql_query(
        "SELECT body_text FROM outbox WHERE kind = 'password_reset' ORDER BY created_at DESC",
    )
    .load::<Body>(&mut *app.conn())
    .unwrap();
    let text = &bodies.first().expect("a reset email").body_text;
    let start = text.find("/password/reset/").unwrap() + "/password/reset/".len();
    text[start..]
        .split(|c: char| c.is_whitespace() || matches!(c, '.' | ')' | '>'))
        .next()
        .unwrap()
        .to_owned()
}

fn first_id(app: &TestApp, table: &str) -> Option<String> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    diesel::sql_query(format!("SELECT id FROM {table} LIMIT 1"))
        .load::<Id>(&mut *app.conn())
        .ok()
        .and_then(|rows| rows.into_iter().next())
        .map(|r| r.id)
}

#[actix_web::test]
async fn every_route_answers_each_role_as_the_table_says() {
    // The table and the app agree on the routes.
    let registered = registered_routes();
    let tabled: BTreeSet<(String, String)> = TABLE
        .iter()
        .map(|(m, p, _, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let missing: Vec<_> = registered.difference(&tabled).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the authorization table: {missing:?}"
    );
    let stale: Vec<_> = tabled.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "routes in the table but not registered: {stale:?}"
    );

    let app = TestApp::spawn().await;
    let Forum {
        assessment,
        rep: rep_a,
        response: response_a,
    } = forum::forum(&app).await;
    let snm = forum::organization_id(&app, "SNM");
    let link_b = forum::invite(
        &app,
        &assessment,
        &snm,
        "Luis Gómez",
        "luis@migracion.gob.pa",
    )
    .await;
    let (rep_b, _) = forum::accept(&app, &link_b, "Luis Gómez").await;
    let onpar = forum::organization_id(&app, "ONPAR");
    let pending = forum::invite(
        &app,
        &assessment,
        &onpar,
        "Carla Díaz",
        "carla@onpar.gob.pa",
    )
    .await;
    let added = forum::add_mechanism(&rep_a, &app, &response_a, "Entradas", "", "OIM").await;
    assert_eq!(added.status(), 303);
    let mechanism =
        capacity_survey::store::mechanisms::list_for_response(&mut app.conn(), &response_a)
            .unwrap()[0]
            .id
            .clone();
    let inec = forum::organization_id(&app, "INEC");
    let invitation =
        capacity_survey::store::invitations::list_for_assessment(&mut app.conn(), &assessment)
            .unwrap()
            .into_iter()
            .find(|i| i.email == "carla@onpar.gob.pa")
            .unwrap()
            .id;
    let outbox = first_id(&app, "outbox").unwrap_or_else(|| "0".repeat(32));
    let token = pending.trim_start_matches("/invite/").to_owned();
    // A password-reset link of B's representative (a valid reset token).
    let forgot = app.new_client();
    let csrf = support::csrf_of(&forgot, &app.url("/password/forgot")).await;
    let asked = support::post_form(
        &forgot,
        &app.url("/password/forgot"),
        &[("csrf_token", &csrf), ("email", "luis@migracion.gob.pa")],
    )
    .await;
    assert_eq!(asked.status(), 200);
    let reset = reset_token(&app);

    let fill = |path: &str| -> String {
        let id = if path.starts_with("/organizer/assessments/") {
            assessment.as_str()
        } else if path.starts_with("/organizer/invitations/") {
            invitation.as_str()
        } else if path.starts_with("/organizer/organizations/") {
            inec.as_str()
        } else if path.starts_with("/organizer/emails/") {
            outbox.as_str()
        } else {
            response_a.as_str()
        };
        path.replace("{id}", id)
            .replace("{organization}", &inec)
            .replace("{section}", "legal")
            .replace("{dimension}", "legal")
            .replace("{mechanism}", &mechanism)
            .replace("{file}", "matrix.csv")
            .replace("{name}", "app.css")
            .replace(
                "{token}",
                if path.starts_with("/password/reset/") {
                    &reset
                } else {
                    &token
                },
            )
    };

    let anonymous = app.new_client();
    let mut wrong = Vec::new();
    let mut actual_table = String::new();
    for (method, pattern, rule, expected) in TABLE {
        let mut actual: Expect = [0; 4];
        // Organization A's representative last: their writes (a removed entry) do not change
        // what the others get.
        for who in [Who::Anonymous, Who::RepB, Who::Organizer, Who::RepA] {
            let slot = match who {
                Who::Anonymous => 0,
                Who::RepA => 1,
                Who::RepB => 2,
                Who::Organizer => 3,
            };
            let client = match who {
                Who::Anonymous => &anonymous,
                Who::RepA => &rep_a,
                Who::RepB => &rep_b,
                Who::Organizer => &app.client,
            };
            let path = fill(pattern);
            let response = if *method == "GET" {
                support::get(client, &app.url(&path)).await
            } else {
                // A valid CSRF token of the client's own session, so that authorization (not the
                // token) decides; an empty form otherwise.
                // The login page has a form for visitors; any page's header has the logout form
                // for a logged-in user.
                let page = if who == Who::Anonymous {
                    "/login"
                } else {
                    "/no-such-page"
                };
                let token = support::csrf_of(client, &app.url(page)).await;
                support::post_form(client, &app.url(&path), &[("csrf_token", &token)]).await
            };
            let status = response.status().as_u16();
            actual[slot] = status;
            let to_login = status == 303 && location(&response).starts_with("/login");
            let context = format!(
                "{method} {pattern} as {who:?} gave {status} {}",
                location(&response)
            );
            assert!(status < 500, "{context}");
            // The rule, whatever the exact status: visitors to log in, the wrong role refused.
            match (rule, who) {
                (Rule::Anyone, _) => {}
                (_, Who::Anonymous) => assert!(to_login, "{context}"),
                (Rule::LoggedIn, _) => assert!(!to_login && status != 403, "{context}"),
                (Rule::Organizer, Who::Organizer) => assert!(status != 403, "{context}"),
                (Rule::Organizer, _) => assert_eq!(status, 403, "{context}"),
                (Rule::ReadA | Rule::WriteA, Who::RepA) => {
                    assert!(!to_login && status != 403 && status != 404, "{context}")
                }
                (Rule::ReadA | Rule::WriteA, Who::RepB) => {
                    assert!(status == 403 || status == 404, "{context}")
                }
                (Rule::ReadA, Who::Organizer) => assert!(!to_login && status != 403, "{context}"),
                (Rule::WriteA, Who::Organizer) => assert_eq!(status, 403, "{context}"),
            }
            // Every request above may have logged someone out (POST /logout, signing out
            // everywhere): log back in.
            if *pattern == "/logout" || *pattern == "/account/sessions/end-all" {
                let email = match who {
                    Who::RepA => "ana@inec.gob.pa",
                    Who::RepB => "luis@migracion.gob.pa",
                    Who::Organizer => forum::ORGANIZER,
                    Who::Anonymous => continue,
                };
                let back = support::login(client, &app.base, email, support::PASSWORD).await;
                assert_eq!(back.status(), 303);
            }
        }
        if actual != *expected {
            wrong.push(format!(
                "{method} {pattern}: expected {expected:?}, got {actual:?}"
            ));
        }
        actual_table.push_str(&format!("{method} {pattern} {actual:?}\n"));
        // Each route is answered by its own handler for someone: the default service answers
        // every (method, path) it does not know with 404 (checked below).
        assert!(
            actual.iter().any(|s| *s != 404),
            "{method} {pattern} answers 404 to everyone: not registered?"
        );
    }
    // The control: what the app does not register gets the default service's 404, for every
    // role, so a status other than 404 above shows the route is registered.
    for (method, path) in [
        ("POST", "/organizer"),
        ("GET", "/responses/{id}/submit"),
        ("POST", "/healthz"),
        ("GET", "/organizer/assessments/{id}/nothing"),
    ] {
        let verb = match method {
            "GET" => capacity_survey::web::route_table::Verb::Get,
            _ => capacity_survey::web::route_table::Verb::Post,
        };
        let path = fill(path);
        assert!(capacity_survey::web::route_table::find(verb, &path).is_none());
        for client in [&app.client, &rep_a] {
            let response = if method == "GET" {
                support::get(client, &app.url(&path)).await
            } else {
                let token = support::csrf_of(client, &app.url("/no-such-page")).await;
                support::post_form(client, &app.url(&path), &[("csrf_token", &token)]).await
            };
            assert_eq!(response.status(), 404, "{method} {path}");
        }
    }
    assert!(
        wrong.is_empty(),
        "statuses differ from the table:\n{}\nall:\n{actual_table}",
        wrong.join("\n")
    );
}

/// actix's own resource map, as built by `web::routes` (the function the server configures):
/// each route of the table is a resource whose pattern is the one a request for its paths
/// matches, and paths the table does not have match no resource.
#[actix_web::test]
async fn the_resource_map_of_the_registered_routes_matches_the_table() {
    use actix_web::{App, HttpRequest, HttpResponse, test, web};
    use capacity_survey::web::route_table::ROUTES;

    fn sample(pattern: &str) -> String {
        pattern
            .split('/')
            .map(|s| if s.starts_with('{') { "x1" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    }
    // A request no route takes reaches the default service, which reads the app's resource map.
    let listing = |req: HttpRequest| async move {
        let map = req.resource_map();
        let mut lines: Vec<String> = ROUTES
            .iter()
            .map(|r| {
                let matched = map.match_pattern(&sample(r.pattern));
                format!("{} -> {}", r.pattern, matched.unwrap_or_default())
            })
            .collect();
        for stray in [
            "/no/such/page",
            "/organizer/assessments/x1/nothing",
            "/responses",
        ] {
            lines.push(format!("{stray} -> {}", map.has_resource(stray)));
        }
        HttpResponse::Ok().body(lines.join("\n"))
    };
    let app = test::init_service(
        App::new()
            .configure(capacity_survey::web::routes)
            .default_service(web::to(listing)),
    )
    .await;
    let request = test::TestRequest::get().uri("/no/such/page").to_request();
    let body = test::call_and_read_body(&app, request).await;
    let body = String::from_utf8(body.to_vec()).unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), ROUTES.len() + 3, "{body}");
    for (route, line) in ROUTES.iter().zip(&lines) {
        assert_eq!(*line, format!("{0} -> {0}", route.pattern), "{body}");
    }
    assert_eq!(
        lines[ROUTES.len()..],
        [
            "/no/such/page -> false",
            "/organizer/assessments/x1/nothing -> false",
            "/responses -> false",
        ],
        "{body}"
    );
}
