//! Every page of each role on the demo forum, reached in the browser by the clicks the crawler
//! found from the login page and the landing page: axe-core, the Nu checker and screenshots at
//! 1280 and 360 px on each; on a phone, the header and the tabs leave the first data row of the
//! assessment's pages in view; the annex printed to PDF has every page numbered and the whole
//! matrix.

use std::collections::BTreeSet;

use capacity_survey::demo;
use capacity_survey::web::route_table::Who;
use fantoccini::wd::{PrintConfiguration, PrintSize};

use crate::browser::{Browser, Checks, Driver, screenshots_dir};
use crate::crawler::{self, Crawl, unreached};
use crate::support::TestApp;

/// A CSS selector for the links whose `href` is exactly `href`.
fn link_to(href: &str) -> String {
    format!(
        "a[href=\"{}\"]",
        href.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// A file name for a route's page: the role and the pattern's words.
fn page_name(who: Who, pattern: &str) -> String {
    let words: Vec<&str> = pattern
        .split('/')
        .map(|s| s.trim_matches(['{', '}']))
        .filter(|s| !s.is_empty())
        .collect();
    let role = match who {
        Who::Anonymous => "visitor",
        Who::Representative => "rep",
        Who::Organizer => "org",
    };
    if words.is_empty() {
        format!("{role}-home")
    } else {
        format!("{role}-{}", words.join("-").replace('.', "-"))
    }
}

/// Where a crawl started, and how the browser goes back there.
enum Start<'a> {
    /// The login page (a visitor's pages): opened by its address, as a person starts.
    Login(&'a str),
    /// The landing page of a logged-in person: the brand link in the header leads there.
    Landing,
}

/// Opens, by clicks from where the crawl started, the first page of each route the crawl met,
/// and checks each (axe, kept for vnu, screenshots); `shown` keeps a route from being checked
/// twice for the same kind of person.
async fn visit_each_route(
    b: &Browser,
    checks: &mut Checks,
    crawl: &Crawl,
    who: Who,
    start: Start<'_>,
    shown: &mut BTreeSet<(Who, &'static str)>,
) {
    for (pattern, index) in crawl.first_of_each_route() {
        if !shown.insert((who, pattern)) {
            continue;
        }
        // The clicks from the start; when the browser is already on a page along the way (the
        // last route's page often is), from there.
        let path = crawl.path_to(index);
        let current = b.client.current_url().await.unwrap();
        let here = match current.query() {
            Some(query) => format!("{}?{query}", current.path()),
            None => current.path().to_owned(),
        };
        let here = crawler::local_url(&here, "").unwrap_or_default();
        let from = match path
            .iter()
            .rposition(|(page, _)| crawl.visits[*page].url == here)
        {
            Some(at) => at,
            None => {
                match start {
                    Start::Login(url) => b.goto(url).await,
                    Start::Landing => b.click_and_wait("a.brand").await,
                }
                0
            }
        };
        for (_, href) in &path[from..] {
            b.click_and_wait(&link_to(href)).await;
        }
        let url = &crawl.visits[index].url;
        assert_eq!(
            b.path().await,
            url.split('?').next().unwrap_or_default(),
            "the clicks lead to {url}"
        );
        let name = page_name(who, pattern);
        checks.page_in_its_language(b, &name).await;
        b.screenshots(&name).await;
    }
}

/// Sets the size of the page's viewport: the window is larger by the browser's own bars, which
/// are measured (a resize takes effect a moment later).
async fn set_viewport(b: &Browser, width: u32, height: u32) {
    let mut window = height;
    for _ in 0..10 {
        b.client.set_window_size(width, window).await.unwrap();
        crate::browser::tokio_sleep(std::time::Duration::from_millis(150)).await;
        let inner = b
            .client
            .execute("return window.innerHeight;", vec![])
            .await
            .unwrap()
            .as_u64()
            .and_then(|h| u32::try_from(h).ok())
            .unwrap();
        if inner == height {
            return;
        }
        window = (window + height).saturating_sub(inner);
    }
    panic!("the viewport never became {width} x {height}");
}

/// On a 360 x 640 phone, the first row of the page's first data table is wholly in view without
/// scrolling.
async fn first_row_in_view_on_a_phone(b: &Browser, page: &str) {
    set_viewport(b, 360, 640).await;
    b.client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    let measured = b
        .client
        .execute(
            "var row = document.querySelector('main table tbody tr');\
             return [Math.round(row.getBoundingClientRect().bottom), window.innerHeight];",
            vec![],
        )
        .await
        .unwrap();
    let (bottom, height) = (measured[0].as_i64().unwrap(), measured[1].as_i64().unwrap());
    assert_eq!(height, 640);
    let png = b.client.screenshot().await.unwrap();
    std::fs::write(
        screenshots_dir().join(format!("{page}-phone-first-screen.png")),
        png,
    )
    .unwrap();
    assert!(
        bottom <= height,
        "{page}: the first data row ends at {bottom} px, below the phone's {height} px"
    );
    b.client.set_window_size(1280, 900).await.unwrap();
}

/// Logs in through the login page's form.
async fn log_in(b: &Browser, email: &str) {
    b.fill("#email", email).await;
    b.fill("#password", demo::PASSWORD).await;
    b.click_and_wait("main button[type=submit]").await;
}

/// The person's crawl over HTTP (which links lead where), then the same pages in the browser.
async fn every_page_of(
    app: &TestApp,
    b: &Browser,
    checks: &mut Checks,
    who: Who,
    email: &str,
    shown: &mut BTreeSet<(Who, &'static str)>,
) {
    let client = app.new_client();
    let visitor = crawler::crawl(&client, &app.base, "/login").await;
    crate::support::login(&client, &app.base, email, demo::PASSWORD).await;
    let signed_in = crawler::crawl(&client, &app.base, "/").await;
    let mut reached = visitor.patterns();
    reached.extend(signed_in.patterns());
    assert!(unreached(who, &reached).is_empty());

    let login = app.url("/login");
    visit_each_route(
        b,
        checks,
        &visitor,
        Who::Anonymous,
        Start::Login(&login),
        shown,
    )
    .await;
    b.goto(&login).await;
    log_in(b, email).await;
    visit_each_route(b, checks, &signed_in, who, Start::Landing, shown).await;
}

#[actix_web::test]
#[ignore = "needs chromium; .ci/run runs it"]
async fn every_page_of_the_organizer_and_a_representative_passes_the_checks() {
    let app = crawler::demo_forum().await;
    let driver = Driver::start();
    let mut checks = Checks::new("every-page").with_seer(Browser::open(&driver, true).await);

    // The routes checked, by whom: a visitor's page (the login page) is checked once.
    let mut shown = BTreeSet::new();
    let org = Browser::open(&driver, true).await;
    let organizer = demo::ORGANIZER_EMAIL;
    every_page_of(
        &app,
        &org,
        &mut checks,
        Who::Organizer,
        organizer,
        &mut shown,
    )
    .await;
    // The assessment's matrix and its progress, on a phone.
    org.click_and_wait("a.brand").await;
    org.click_and_wait(".view-links a[href$='/matrix']").await;
    first_row_in_view_on_a_phone(&org, "matrix").await;
    org.click_and_wait(".tabs li:first-child a").await;
    first_row_in_view_on_a_phone(&org, "assessment").await;
    org.close().await;

    // The representative's pages without scripts: a link is then always a new page (with
    // scripts, "Add a mechanism" opens its form in place; the stories check that).
    let rep = Browser::open(&driver, false).await;
    let email = crawler::draft_representative(&app);
    every_page_of(
        &app,
        &rep,
        &mut checks,
        Who::Representative,
        email,
        &mut shown,
    )
    .await;
    rep.close().await;
    checks.finish().await;
}

/// The lines of a PDF's text, page by page (`pdftotext -layout`).
fn pdf_pages(pdf: &std::path::Path) -> Vec<String> {
    let output = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("run pdftotext (poppler-utils; .ci/e2e installs it)");
    assert!(output.status.success(), "pdftotext failed");
    let text = String::from_utf8(output.stdout).unwrap();
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

#[actix_web::test]
#[ignore = "needs chromium and pdftotext; .ci/run runs it"]
async fn the_printed_annex_has_numbered_pages_and_the_whole_matrix() {
    let app = crawler::demo_forum().await;
    let driver = Driver::start();
    let org = Browser::open(&driver, true).await;
    org.goto(&app.url("/login")).await;
    log_in(&org, demo::ORGANIZER_EMAIL).await;
    org.click_and_wait(".view-links a[href$='/annex']").await;
    let title = org.text("h1").await;
    let forum = title.split(": ").nth(1).unwrap().to_owned();
    // The overall column as the page shows it: (organization, overall score).
    let overall: Vec<(String, String)> = org
        .client
        .execute(
            "return Array.from(document.querySelectorAll('.annex-matrix tbody tr')).map(\
               function (tr) { return [tr.querySelector('th').textContent.trim(),\
                 tr.querySelector('td.overall .score').textContent.trim()]; });",
            vec![],
        )
        .await
        .map(|v| serde_json::from_value(v).unwrap())
        .unwrap();
    assert_eq!(overall.len(), 14, "the demo's submitted responses");
    let headers: Vec<String> = org
        .client
        .execute(
            "return Array.from(document.querySelectorAll('.annex-matrix thead th'))\
               .map(function (th) { return th.textContent.trim(); });",
            vec![],
        )
        .await
        .map(|v| serde_json::from_value(v).unwrap())
        .unwrap();
    let partner_column = org.text(".annex-inventory thead th:nth-child(3)").await;

    let config = PrintConfiguration::builder()
        .size(PrintSize::A4)
        .background(true)
        .build()
        .unwrap();
    let pdf = org.client.print(config).await.unwrap();
    let file = screenshots_dir().join("annex.pdf");
    std::fs::create_dir_all(screenshots_dir()).unwrap();
    std::fs::write(&file, pdf).unwrap();
    let pages = pdf_pages(&file);
    let count = pages.len();
    assert!(
        (3..=10).contains(&count),
        "the demo annex takes a few pages, not {count}"
    );
    // The day by the app's clock in the demo assessment's time zone (Panama's), as people write it.
    let today = capacity_survey::domain::time::date(
        capacity_survey::domain::time::local_date(
            capacity_survey::service::Clock::now(&*app.clock),
            chrono_tz::America::Panama,
        ),
        capacity_survey::domain::lang::Lang::Es,
    );
    for (i, page) in pages.iter().enumerate() {
        let number = format!("Página {} de {count}", i + 1);
        assert!(
            page.contains(&forum) && page.contains(&today) && page.contains(&number),
            "page {} carries the forum's name, the date and its number:\n{page}",
            i + 1
        );
        let lines = page.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(
            i + 1 == count || lines >= 12,
            "page {} is nearly empty ({lines} lines):\n{page}",
            i + 1
        );
    }
    // Every organization's row ends with its overall score: the last column is printed.
    let text = pages.join("\n");
    // The matrix's column titles wrap between words: every word of them is printed whole, none
    // cut in two or run into the next column's.
    let words: BTreeSet<&str> = text.split_whitespace().collect();
    for title in &headers {
        for word in title.split_whitespace() {
            assert!(
                words.contains(word),
                "the column title {title:?} prints {word:?} whole:\n{text}"
            );
        }
    }
    // The inventory's header is repeated on each page the table runs over.
    let first = pages
        .iter()
        .position(|p| p.contains("5. Inventario de mecanismos"))
        .unwrap();
    let last = pages
        .iter()
        .position(|p| p.contains("6. Intercambios informados"))
        .unwrap();
    assert!(last > first, "the demo's inventory takes more than a page");
    for (i, page) in pages.iter().enumerate().take(last + 1).skip(first) {
        assert!(
            page.contains(&partner_column),
            "page {} repeats the inventory's header:\n{page}",
            i + 1
        );
    }
    for (organization, score) in &overall {
        assert!(
            text.lines().any(|line| {
                let line = line.trim();
                line.starts_with(organization.as_str()) && line.ends_with(score.as_str())
            }),
            "{organization}'s row with its overall {score} is printed:\n{text}"
        );
    }
    org.close().await;
}
