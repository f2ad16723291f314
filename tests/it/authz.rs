//! The authorization matrix: every route the app registers, for an anonymous visitor, a
//! representative of organization A, one of organization B, and an organizer. It reads the routes
//! from the app's route table (src/web/route_table.rs), so a new route that is missing from the
//! table below fails the test.

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

const TABLE: &[(&str, &str, Rule)] = &[
    ("GET", "/", Rule::LoggedIn),
    ("GET", "/healthz", Rule::Anyone),
    ("GET", "/static/{name}", Rule::Anyone),
    ("GET", "/login", Rule::Anyone),
    ("POST", "/login", Rule::Anyone),
    ("POST", "/logout", Rule::Anyone),
    ("GET", "/setup", Rule::Anyone),
    ("POST", "/setup", Rule::Anyone),
    ("GET", "/password/forgot", Rule::Anyone),
    ("POST", "/password/forgot", Rule::Anyone),
    ("GET", "/password/reset/{token}", Rule::Anyone),
    ("POST", "/password/reset/{token}", Rule::Anyone),
    ("GET", "/invite/{token}", Rule::Anyone),
    ("POST", "/invite/{token}", Rule::Anyone),
    ("GET", "/organizer", Rule::Organizer),
    ("GET", "/organizer/assessments/new", Rule::Organizer),
    ("POST", "/organizer/assessments", Rule::Organizer),
    ("GET", "/organizer/assessments/{id}", Rule::Organizer),
    ("POST", "/organizer/assessments/{id}", Rule::Organizer),
    ("GET", "/organizer/assessments/{id}/edit", Rule::Organizer),
    (
        "GET",
        "/organizer/assessments/{id}/annex.css",
        Rule::Organizer,
    ),
    ("GET", "/organizer/assessments/{id}/invite", Rule::Organizer),
    (
        "GET",
        "/organizer/assessments/{id}/invite-contacts",
        Rule::Organizer,
    ),
    (
        "POST",
        "/organizer/assessments/{id}/invite-contacts",
        Rule::Organizer,
    ),
    (
        "POST",
        "/organizer/assessments/{id}/invitations",
        Rule::Organizer,
    ),
    (
        "POST",
        "/organizer/invitations/{id}/revoke",
        Rule::Organizer,
    ),
    (
        "POST",
        "/organizer/invitations/{id}/resend",
        Rule::Organizer,
    ),
    ("GET", "/organizer/organizations", Rule::Organizer),
    ("POST", "/organizer/organizations", Rule::Organizer),
    ("GET", "/organizer/organizations/new", Rule::Organizer),
    ("GET", "/organizer/organizations/import", Rule::Organizer),
    ("POST", "/organizer/organizations/import", Rule::Organizer),
    (
        "POST",
        "/organizer/organizations/import/confirm",
        Rule::Organizer,
    ),
    ("POST", "/organizer/organizations/{id}", Rule::Organizer),
    ("GET", "/organizer/organizations/{id}/edit", Rule::Organizer),
    ("POST", "/organizer/responses/{id}/reopen", Rule::Organizer),
    ("GET", "/organizer/assessments/{id}/matrix", Rule::Organizer),
    (
        "GET",
        "/organizer/assessments/{id}/dimensions/{dimension}",
        Rule::Organizer,
    ),
    (
        "GET",
        "/organizer/assessments/{id}/mechanisms",
        Rule::Organizer,
    ),
    (
        "GET",
        "/organizer/assessments/{id}/network",
        Rule::Organizer,
    ),
    (
        "GET",
        "/organizer/assessments/{id}/domains",
        Rule::Organizer,
    ),
    ("GET", "/organizer/assessments/{id}/annex", Rule::Organizer),
    (
        "GET",
        "/organizer/assessments/{id}/exports",
        Rule::Organizer,
    ),
    (
        "GET",
        "/organizer/assessments/{id}/export/{file}",
        Rule::Organizer,
    ),
    ("GET", "/organizer/audit", Rule::Organizer),
    ("GET", "/organizer/audit.csv", Rule::Organizer),
    ("GET", "/organizer/emails", Rule::Organizer),
    ("POST", "/organizer/emails/{id}/retry", Rule::Organizer),
    (
        "GET",
        "/organizer/assessments/{id}/reminders",
        Rule::Organizer,
    ),
    (
        "POST",
        "/organizer/assessments/{id}/reminders/policy",
        Rule::Organizer,
    ),
    (
        "POST",
        "/organizer/assessments/{id}/reminders/preview",
        Rule::Organizer,
    ),
    (
        "POST",
        "/organizer/assessments/{id}/reminders/send",
        Rule::Organizer,
    ),
    (
        "GET",
        "/organizer/assessments/{id}/organizations/{organization}/emails",
        Rule::Organizer,
    ),
    ("GET", "/account/sessions", Rule::LoggedIn),
    // Its answer is the login page for everyone (signed out everywhere); tests/it/sessions.rs.
    ("POST", "/account/sessions/end-all", Rule::Anyone),
    ("POST", "/account/sessions/{id}/end", Rule::LoggedIn),
    (
        "POST",
        "/organizer/users/{id}/sessions/end",
        Rule::Organizer,
    ),
    ("GET", "/responses/{id}", Rule::ReadA),
    ("GET", "/responses/{id}/review", Rule::ReadA),
    ("GET", "/responses/{id}/scores", Rule::ReadA),
    ("GET", "/responses/{id}/scores/{dimension}", Rule::ReadA),
    ("GET", "/responses/{id}/sections/{section}", Rule::ReadA),
    ("GET", "/responses/{id}/mechanisms", Rule::ReadA),
    ("GET", "/responses/{id}/mechanisms/{mechanism}", Rule::ReadA),
    ("GET", "/responses/{id}/mechanisms/new", Rule::WriteA),
    (
        "GET",
        "/responses/{id}/mechanisms/{mechanism}/delete",
        Rule::WriteA,
    ),
    ("POST", "/responses/{id}/submit", Rule::WriteA),
    ("POST", "/responses/{id}/sections/{section}", Rule::WriteA),
    ("POST", "/responses/{id}/mechanisms", Rule::WriteA),
    (
        "POST",
        "/responses/{id}/mechanisms/{mechanism}",
        Rule::WriteA,
    ),
    (
        "POST",
        "/responses/{id}/mechanisms/{mechanism}/delete",
        Rule::WriteA,
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
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
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
            .replace("{token}", &token)
    };

    let anonymous = app.new_client();
    for (method, pattern, rule) in TABLE {
        for who in [Who::Anonymous, Who::RepA, Who::RepB, Who::Organizer] {
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
            let to_login = status == 303 && location(&response).starts_with("/login");
            let refused = status == 403 || status == 401;
            let context = format!(
                "{method} {pattern} as {who:?} gave {status} {}",
                location(&response)
            );
            assert!(status < 500, "{context}");
            let allowed = !to_login && !refused;
            match (rule, who) {
                (Rule::Anyone, _) => {}
                (_, Who::Anonymous) => assert!(to_login, "{context}"),
                (Rule::LoggedIn, _) => assert!(allowed, "{context}"),
                (Rule::Organizer, Who::Organizer) => assert!(allowed, "{context}"),
                (Rule::Organizer, _) => assert_eq!(status, 403, "{context}"),
                (Rule::ReadA | Rule::WriteA, Who::RepA) => {
                    assert!(allowed && status != 404, "{context}")
                }
                (Rule::ReadA | Rule::WriteA, Who::RepB) => {
                    assert!(status == 403 || status == 404, "{context}")
                }
                (Rule::ReadA, Who::Organizer) => assert!(allowed, "{context}"),
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
    }
}
