//! Every page a role may use is reachable by links from its landing page (DESIGN.md). The crawler
//! logs in as the demo forum's organizer and as a representative, follows every same-origin link
//! from the login page and then from the landing page, and the test fails when a page answers
//! 4xx or 5xx, or when a route of the app's route table that the role may use is never reached.

use capacity_survey::demo;
use capacity_survey::store;
use capacity_survey::web::route_table::Who;

use crate::crawler::{Crawl, crawl, demo_forum, draft_representative, links, local_url, unreached};
use crate::support::{self, TestApp};

/// A person's crawl: first the login page as a visitor, then, logged in, the landing page.
async fn crawl_as(app: &TestApp, email: &str) -> (Crawl, Crawl) {
    let client = app.new_client();
    let visitor = crawl(&client, &app.base, "/login").await;
    assert_eq!(
        support::login(&client, &app.base, email, demo::PASSWORD)
            .await
            .status(),
        303
    );
    let signed_in = crawl(&client, &app.base, "/").await;
    (visitor, signed_in)
}

fn check(who: Who, visitor: &Crawl, signed_in: &Crawl) {
    let mut failures = visitor.failures();
    failures.extend(signed_in.failures());
    assert!(
        failures.is_empty(),
        "{who:?}: pages that failed:\n{}",
        failures.join("\n")
    );
    let mut reached = visitor.patterns();
    reached.extend(signed_in.patterns());
    let missing = unreached(who, &reached);
    assert!(
        missing.is_empty(),
        "{who:?} cannot reach by links: {missing:?} ({} pages visited)",
        visitor.visits.len() + signed_in.visits.len()
    );
}

#[actix_web::test]
async fn the_organizer_reaches_every_organizer_page_by_links_and_none_fails() {
    let app = demo_forum().await;
    let (visitor, organizer) = crawl_as(&app, demo::ORGANIZER_EMAIL).await;
    check(Who::Organizer, &visitor, &organizer);
    // The results are among them, one click from the dashboard.
    let assessment = store::assessments::list(&mut app.conn()).unwrap()[0]
        .id
        .clone();
    let dashboard = organizer
        .visits
        .iter()
        .position(|v| v.url == "/organizer")
        .expect("the dashboard");
    for view in [
        "matrix",
        "mechanisms",
        "network",
        "domains",
        "exports",
        "annex",
    ] {
        let url = format!("/organizer/assessments/{assessment}/{view}");
        let visit = organizer.visits.iter().find(|v| v.url == url).unwrap();
        assert_eq!(
            visit.from.as_ref().map(|(i, _)| *i),
            Some(dashboard),
            "{view} is linked from the dashboard"
        );
    }
}

#[actix_web::test]
async fn a_representative_reaches_every_representative_page_by_links_and_none_fails() {
    let app = demo_forum().await;
    let email = draft_representative(&app);
    let (visitor, representative) = crawl_as(&app, email).await;
    check(Who::Representative, &visitor, &representative);
    // Nothing of the organizer's is linked for a representative.
    let organizer_only: Vec<&str> = representative
        .visits
        .iter()
        .filter(|v| v.url.starts_with("/organizer"))
        .map(|v| v.url.as_str())
        .collect();
    assert!(organizer_only.is_empty(), "{organizer_only:?}");
}

#[test]
fn links_are_read_as_a_browser_reads_them() {
    let html = r#"<a class="button" href="/organizer/assessments/a1/matrix?sort=legal&#38;dir=desc">x</a>
        <link rel="stylesheet" href="/static/app.css"><a href="https://example.org/">out</a>
        <a href="/login?lang=en">English</a><a href="/responses/r1/sections/legal#q-legal-mandate">"#;
    let found: Vec<Option<String>> = links(html)
        .iter()
        .map(|h| local_url(h, "http://127.0.0.1:1"))
        .collect();
    assert_eq!(
        found,
        [
            Some("/organizer/assessments/a1/matrix?sort=legal&dir=desc".to_owned()),
            None,
            Some("/login".to_owned()),
            Some("/responses/r1/sections/legal".to_owned()),
        ]
    );
}
