//! The Panama demo forum: loads twice without doubling anything, its organizer logs in, and
//! every stored answer reads back against the forum instrument.

use std::collections::{BTreeMap, BTreeSet};

use capacity_survey::demo::{self, ORGANIZER_EMAIL, PASSWORD};
use capacity_survey::domain::answers::AnswerValue;
use capacity_survey::domain::instrument::ItemKind;
use capacity_survey::store::{self, mechanisms, responses};

use crate::forum::instrument;
use crate::support::{self, TestApp};

fn now() -> chrono::NaiveDateTime {
    capacity_survey::service::now()
}

/// The demo assessment's id.
fn demo_assessment(app: &TestApp) -> String {
    let all = store::assessments::list(&mut app.conn()).unwrap();
    assert_eq!(all.len(), 1, "one assessment");
    assert_eq!(all[0].title_es, demo::ASSESSMENT_TITLE_ES);
    all[0].id.clone()
}

#[actix_web::test]
async fn the_demo_loads_once_and_its_organizer_logs_in() {
    let app = TestApp::spawn().await;
    let started = std::time::Instant::now();
    let first = demo::load(&mut app.conn(), now()).unwrap();
    assert!(first.created);
    assert_eq!(first.organizations, 16);
    assert_eq!(first.responses, 16);
    assert!((28..=34).contains(&first.mechanisms), "{first:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the load took {:?}",
        started.elapsed()
    );

    let users_before = app.user_count();
    let second = demo::load(&mut app.conn(), now()).unwrap();
    assert!(!second.created, "the second load created something");
    assert_eq!(
        (second.organizations, second.responses, second.mechanisms),
        (first.organizations, first.responses, first.mechanisms)
    );
    assert_eq!(app.user_count(), users_before);
    // The organizer and one representative per organization.
    assert_eq!(users_before, 17);

    let mut conn = app.conn();
    assert_eq!(store::organizations::list(&mut conn).unwrap().len(), 16);
    let assessment_id = demo_assessment(&app);
    let rows = responses::list_for_assessment(&mut conn, &assessment_id).unwrap();
    assert_eq!(rows.len(), 16);
    let drafts: Vec<&str> = rows
        .iter()
        .filter(|(r, _)| r.status == responses::STATUS_DRAFT)
        .map(|(_, o)| o.acronym.as_str())
        .collect();
    let submitted = rows.iter().filter(|(r, _)| r.is_submitted()).count();
    assert!(
        !drafts.is_empty() && drafts.len() <= 2,
        "drafts: {drafts:?}"
    );
    assert_eq!(submitted + drafts.len(), 16);
    for (response, organization) in &rows {
        assert!(
            !responses::answers(&mut conn, &response.id)
                .unwrap()
                .is_empty(),
            "{} has no answers",
            organization.acronym
        );
        assert_eq!(
            responses::members(&mut conn, &response.id).unwrap().len(),
            1,
            "{} has one representative",
            organization.acronym
        );
        if response.is_submitted() {
            assert!(response.submitted_at.is_some() && response.submitted_by.is_some());
        }
    }

    // Mechanisms: no name twice in a response; most exchanges are reported by both sides.
    let org_of_response: BTreeMap<String, String> = rows
        .iter()
        .map(|(r, o)| (r.id.clone(), o.id.clone()))
        .collect();
    let mut all = Vec::new();
    for (response, _) in &rows {
        let list = mechanisms::list_for_response(&mut conn, &response.id).unwrap();
        let names: BTreeSet<&str> = list.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names.len(), list.len(), "a mechanism name is doubled");
        all.extend(list);
    }
    assert_eq!(all.len(), first.mechanisms);
    let pairs: BTreeSet<(String, String)> = all
        .iter()
        .filter_map(|m| {
            let reporter = org_of_response[&m.response_id].clone();
            m.partner_organization_id.clone().map(|p| (reporter, p))
        })
        .collect();
    let one_sided = pairs
        .iter()
        .filter(|(a, b)| !pairs.contains(&(b.clone(), a.clone())))
        .count();
    let outside = all.iter().filter(|m| m.partner_name.is_some()).count();
    assert!((2..=5).contains(&one_sided), "one-sided: {one_sided}");
    assert!(outside >= 2, "outside bodies: {outside}");
    assert!(pairs.len() - one_sided >= 20, "reported by both sides");
    assert!(all.iter().any(|m| m.status.as_deref() == Some("suspended")));
    drop(conn);

    assert_eq!(app.login(ORGANIZER_EMAIL, PASSWORD).await.status(), 303);
    assert_eq!(app.get("/organizer").await.status(), 200);
    let page = app
        .get(&format!("/organizer/assessments/{assessment_id}"))
        .await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("SENAFRONT"));

    // A representative reads the submitted response, its grid and its mechanisms.
    let (acronym, email) = demo::representatives().next().unwrap();
    let (snm, _) = rows.iter().find(|(_, o)| o.acronym == acronym).unwrap();
    let representative = app.new_client();
    let response = support::login(&representative, &app.base, email, PASSWORD).await;
    assert_eq!(response.status(), 303);
    for path in [
        "",
        "/sections/domains",
        "/sections/legal",
        "/mechanisms",
        "/review",
    ] {
        let url = app.url(&format!("/responses/{}{path}", snm.id));
        let page = support::get(&representative, &url).await;
        assert_eq!(page.status(), 200, "{url}");
    }
}

#[actix_web::test]
async fn every_demo_answer_reads_back_with_the_instrument() {
    let app = TestApp::spawn().await;
    demo::load(&mut app.conn(), now()).unwrap();
    let instrument = instrument();
    let mut conn = app.conn();
    let assessment_id = demo_assessment(&app);
    let mut levels = BTreeSet::new();
    let mut not_levels = 0;
    let mut evidence = 0;
    let mut needed = BTreeSet::new();
    let mut produced = BTreeSet::new();
    for (response, organization) in
        responses::list_for_assessment(&mut conn, &assessment_id).unwrap()
    {
        for row in responses::answers(&mut conn, &response.id).unwrap() {
            let kind = instrument.slot_kind(&row.item_key).unwrap_or_else(|| {
                panic!("{}: unknown key {}", organization.acronym, row.item_key)
            });
            let value = AnswerValue::decode(kind, &row.value).unwrap_or_else(|| {
                panic!(
                    "{}: {} = {:?} does not decode",
                    organization.acronym, row.item_key, row.value
                )
            });
            let list = match kind {
                ItemKind::SingleChoice { list } | ItemKind::MultipleChoice { list } => {
                    instrument.code_list(list)
                }
                _ => None,
            };
            if let Some(list) = list {
                let keys = match &value {
                    AnswerValue::Choice(key) => vec![key.clone()],
                    AnswerValue::Choices(keys) => keys.clone(),
                    _ => Vec::new(),
                };
                for key in keys {
                    assert!(
                        list.contains(&key),
                        "{}: {} = {key}",
                        organization.acronym,
                        row.item_key
                    );
                }
            }
            match &value {
                AnswerValue::Level(level) => {
                    levels.insert(*level);
                }
                AnswerValue::NotApplicable | AnswerValue::DontKnow => not_levels += 1,
                _ => {}
            }
            if row.evidence.is_some() {
                evidence += 1;
            }
            if let Some(domain) = row
                .item_key
                .strip_prefix("domains.")
                .and_then(|rest| rest.strip_suffix(".needed"))
                && value == AnswerValue::Bool(true)
            {
                needed.insert(domain.to_owned());
            }
            if let Some(domain) = row
                .item_key
                .strip_prefix("domains.")
                .and_then(|rest| rest.strip_suffix(".collects"))
                && value != AnswerValue::Choice("no".into())
            {
                produced.insert(domain.to_owned());
            }
        }
        // Every mechanism field that holds code-list keys names options of the instrument.
        for m in mechanisms::list_for_response(&mut conn, &response.id).unwrap() {
            let values = capacity_survey::service::responses::mechanism_values(&m);
            let (_, group) = instrument.mechanisms().unwrap();
            assert!(
                capacity_survey::domain::answers::missing_mechanism_fields(group, &values)
                    .is_empty(),
                "{}: incomplete",
                m.name
            );
            for field in &group.fields {
                let Some(list) = instrument.list_of(field) else {
                    continue;
                };
                match values.get(&field.key) {
                    Some(AnswerValue::Choice(key)) => {
                        assert!(list.contains(key), "{}: {} = {key}", m.name, field.key)
                    }
                    Some(AnswerValue::Choices(keys)) => {
                        for key in keys {
                            assert!(list.contains(key), "{}: {} = {key}", m.name, field.key)
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    assert_eq!(levels, (0..=4).collect(), "every level is used");
    assert!(not_levels >= 3, "a few not applicable / don't know");
    assert!(evidence >= 5, "evidence texts");
    let gaps: Vec<&String> = needed.difference(&produced).collect();
    assert!(
        gaps.iter().any(|d| *d == "remittances") && gaps.iter().any(|d| *d == "displacement"),
        "gaps: {gaps:?}"
    );
}

/// The text of an HTML fragment: tags dropped, entities of digits and quotes decoded, spaces
/// folded.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#38;", "&")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The part of `html` from the element that `start` begins (e.g. `<p id="x"`) to the next `end`.
fn element<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in the page"));
    let to = from + html[from..].find(end).expect("the element's end") + end.len();
    &html[from..to]
}

/// The rows of a table fragment, each as its cells' texts.
fn rows_of(table: &str, section: &str) -> Vec<Vec<String>> {
    let body = element(table, &format!("<{section}"), &format!("</{section}>"));
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<t")
                .skip(1)
                .filter(|cell| cell.starts_with('d') || cell.starts_with('h'))
                .map(|cell| text_of(&format!("<t{cell}")))
                .collect()
        })
        .collect()
}

/// A matrix's rows as (organization, the scores of its cells), leaving out the share answered
/// and the hidden labels the page adds for screen readers.
fn scores_of(table: &str) -> Vec<(String, Vec<String>)> {
    let body = element(table, "<tbody", "</tbody>");
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let name = text_of(element(row, "<th", "</th>"));
            let scores = row
                .split("class=\"score\">")
                .skip(1)
                .map(|rest| rest[..rest.find('<').unwrap()].to_owned())
                .collect();
            (name, scores)
        })
        .collect()
}

#[actix_web::test]
async fn the_annex_prints_what_the_matrix_gaps_inventory_and_network_pages_show() {
    let app = TestApp::spawn_with(|conn| {
        demo::load(conn, now()).unwrap();
    })
    .await;
    let assessment = demo_assessment(&app);
    assert_eq!(app.login(ORGANIZER_EMAIL, PASSWORD).await.status(), 303);
    let page = |view: &str| {
        let url = format!("/organizer/assessments/{assessment}/{view}");
        let app = &app;
        async move {
            let response = app.get(&url).await;
            assert_eq!(response.status(), 200, "{url}");
            response.text().await.unwrap()
        }
    };
    let annex = page("annex").await;

    // The network's figures: the demo's 32 flows between forum organizations, 30 confirmed by
    // both sides and 2 reported by one side only (SNM -> CONATT, INEC -> MINSA).
    let network = page("network").await;
    let figures = text_of(element(
        &network,
        "<p class=\"lead\" id=\"flow-figures\"",
        "</p>",
    ));
    assert_eq!(
        figures,
        "32 flujos de datos entre organizaciones del foro. 30 confirmados por ambas partes. \
         Informados por una sola parte: 2."
    );
    assert_eq!(
        text_of(element(&annex, "<p id=\"flow-figures\"", "</p>")),
        figures
    );
    let one_sided = |html: &str| {
        let from = html
            .find("<caption>Intercambios informados por una sola parte")
            .unwrap();
        rows_of(&html[from..], "tbody")
    };
    assert_eq!(one_sided(&annex), one_sided(&network));
    assert_eq!(one_sided(&annex).len(), 2);
    assert!(!annex.contains("están confirmados por ambas partes"));

    // The capacity matrix: every organization's scores, the overall column included, and the
    // column statistics.
    let matrix = page("matrix").await;
    let on_page = element(&matrix, "<table class=\"data matrix\"", "</table>");
    let in_annex = element(
        &annex,
        "<table class=\"data matrix annex-matrix\"",
        "</table>",
    );
    let rows = scores_of(in_annex);
    assert_eq!(rows, scores_of(on_page));
    assert_eq!(rows.len(), 14, "the submitted responses");
    let columns = instrument().dimensions().count() + 1;
    assert!(
        rows.iter().all(|(_, scores)| scores.len() == columns),
        "every dimension and the overall column"
    );
    assert_eq!(rows_of(in_annex, "tfoot"), rows_of(on_page, "tfoot"));

    // The gaps, as the domains page lists them.
    let domains = page("domains").await;
    let gaps = |html: &str, start: &str| {
        let from = html.find(start).unwrap();
        let to = from + html[from..].find("</section>").unwrap();
        html[from..to]
            .split("<li>")
            .skip(1)
            .map(|item| text_of(&item[..item.find("</li>").unwrap()]))
            .collect::<Vec<_>>()
    };
    let listed = gaps(&domains, "id=\"gaps-title\"");
    assert!(listed.iter().any(|g| g == "Remesas"), "{listed:?}");
    assert_eq!(gaps(&annex, "id=\"annex-gap-list\""), listed);

    // The inventory: as many mechanisms as the inventory page counts.
    let inventory = page("mechanisms").await;
    let shown = text_of(element(
        &inventory,
        "<p class=\"muted\">Se muestran",
        "</p>",
    ));
    let total = shown.rsplit(' ').next().unwrap().to_owned();
    assert_eq!(
        text_of(element(&annex, "<p id=\"inventory-count\"", "</p>")),
        format!("Mecanismos informados: {total}.")
    );
    let listed = rows_of(
        element(&annex, "<table class=\"data annex-inventory\"", "</table>"),
        "tbody",
    );
    assert_eq!(listed.len().to_string(), total);
}
