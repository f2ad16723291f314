//! The capacity matrix, gaps, reconciliation and exports checked against a fixture with known
//! answers: every number below is worked out by hand in the comments.

use capacity_survey::domain::account::Role;
use capacity_survey::service::invitations::ensure_response;
use capacity_survey::store::{self, mechanisms::Mechanism};

use crate::forum;
use crate::support::{self, PASSWORD, TestApp};

struct Fixture {
    assessment: String,
    inec: String,
    snm: String,
    onpar: String,
}

/// Writes answers straight into a response (the questionnaire pages are tested elsewhere).
fn answer(app: &TestApp, response: &str, pairs: &[(&str, &str)], evidence: &[(&str, &str)]) {
    let mut conn = app.conn();
    let now = capacity_survey::service::now();
    let user = store::users::find_by_email(&mut conn, forum::ORGANIZER)
        .unwrap()
        .unwrap()
        .id;
    for (key, value) in pairs {
        let ev = evidence.iter().find(|(k, _)| k == key).map(|(_, e)| *e);
        store::responses::put_answer(&mut conn, response, key, value, ev, &user, now).unwrap();
    }
}

#[allow(clippy::too_many_arguments)]
fn mechanism(
    app: &TestApp,
    response: &str,
    name: &str,
    partner: Option<&str>,
    outside: Option<&str>,
    direction: &str,
    domains: &str,
    status: &str,
) {
    let now = capacity_survey::service::now();
    store::mechanisms::insert(
        &mut app.conn(),
        &Mechanism {
            id: store::new_id(),
            response_id: response.to_owned(),
            version: 1,
            name: name.to_owned(),
            description: None,
            partner_organization_id: partner.map(str::to_owned),
            partner_name: outside.map(str::to_owned),
            direction: Some(direction.to_owned()),
            domains: Some(domains.to_owned()),
            level: Some("aggregates".into()),
            legal_basis: Some("agreement".into()),
            legal_reference: Some("=HYPERLINK(\"http://evil.example\")".into()),
            channel: Some("email".into()),
            format: Some("xlsx".into()),
            frequency: Some("monthly".into()),
            delay_days: Some(10),
            disaggregations: None,
            personal_data: Some(false),
            protection: None,
            status: Some(status.to_owned()),
            problems: None,
            created_at: now,
            updated_at: now,
            updated_by: None,
        },
    )
    .unwrap();
}

/// A representative of a response's organization, logged in.
async fn representative(app: &TestApp, response: &str, email: &str) -> reqwest::Client {
    support::create_account(&mut app.conn(), email, email, Role::Representative);
    let user = store::users::find_by_email(&mut app.conn(), email)
        .unwrap()
        .unwrap()
        .id;
    store::responses::add_member(
        &mut app.conn(),
        response,
        &user,
        capacity_survey::service::now(),
    )
    .unwrap();
    let client = app.new_client();
    assert_eq!(
        support::login(&client, &app.base, email, PASSWORD)
            .await
            .status(),
        303
    );
    client
}

/// The organizations a dimension page lists at level 0 or 1 for an item.
fn low_of(page: &str, item: &str) -> String {
    let at = page.find(item).unwrap_or_else(|| panic!("{item}"));
    let marker = "Organizaciones en nivel 0 o 1:</strong> ";
    let start = at + page[at..].find(marker).unwrap() + marker.len();
    let end = start + page[start..].find("</p>").unwrap();
    page[start..end].to_owned()
}

/// INEC and SNM submitted, ONPAR a draft. Known answers:
/// - legal: INEC 3, 1, na, dk -> 2.0 (share 100 %); SNM 0, 0, 1, 2 -> 0.75 -> 0.8; ONPAR 4 x4 -> 4.0
/// - collection: INEC 4 x4 -> 4.0; SNM 2, 2, 2, 3 -> 2.25 -> 2.3
/// - quality: INEC 1 x4 -> 1.0; SNM 0 x4 -> 0.0 (both <= 1: a weak dimension)
/// - overall: INEC (3+1+4*4+1*4)/10 = 2.4; SNM (0+0+1+2+2+2+2+3+0*4)/12 = 1.0
async fn fixture(app: &TestApp) -> Fixture {
    forum::organizer(app).await;
    assert_eq!(
        forum::import_csv(app, forum::ORGANIZATIONS_CSV)
            .await
            .status(),
        200
    );
    let assessment = forum::create_assessment(app).await;
    let now = capacity_survey::service::now();
    let mut ids = Vec::new();
    for acronym in ["INEC", "SNM", "ONPAR"] {
        let org = forum::organization_id(app, acronym);
        ids.push(
            ensure_response(&mut app.conn(), &assessment, &org, now)
                .unwrap()
                .id,
        );
    }
    let (inec, snm, onpar) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let legal = [
        "legal.mandate",
        "legal.confidentiality",
        "legal.sharing",
        "legal.coordination",
    ];
    let instrument = forum::instrument();
    let keys = |section: &str| -> Vec<String> {
        instrument
            .section(section)
            .unwrap()
            .items()
            .iter()
            .map(|i| i.key.clone())
            .collect()
    };
    let collection = keys("collection");
    let quality = keys("quality");
    let zip = |keys: &[String], values: &[&'static str]| -> Vec<(String, &'static str)> {
        keys.iter().cloned().zip(values.iter().copied()).collect()
    };
    let as_pairs = |v: &[(String, &'static str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.clone(), (*v).to_owned()))
            .collect()
    };
    let write = |response: &str, pairs: Vec<(String, String)>, evidence: &[(&str, &str)]| {
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        answer(app, response, &borrowed, evidence);
    };
    let legal_keys: Vec<String> = legal.iter().map(|s| s.to_string()).collect();
    let mut inec_answers = as_pairs(&zip(&legal_keys, &["3", "1", "na", "dk"]));
    inec_answers.extend(as_pairs(&zip(&collection, &["4", "4", "4", "4"])));
    inec_answers.extend(as_pairs(&zip(&quality, &["1", "1", "1", "1"])));
    inec_answers.extend([
        ("domains.census_surveys.collects".into(), "yes".into()),
        (
            "domains.census_surveys.disaggregations".into(),
            "sex|age".into(),
        ),
        ("domains.remittances.collects".into(), "no".into()),
        ("domains.remittances.needed".into(), "yes".into()),
    ]);
    write(
        &inec,
        inec_answers,
        &[("legal.mandate", "Ley 10 de 2009 <b>art. 5</b>")],
    );
    let mut snm_answers = as_pairs(&zip(&legal_keys, &["0", "0", "1", "2"]));
    snm_answers.extend(as_pairs(&zip(&collection, &["2", "2", "2", "3"])));
    snm_answers.extend(as_pairs(&zip(&quality, &["0", "0", "0", "0"])));
    snm_answers.extend([
        ("domains.border_flows.collects".into(), "yes".into()),
        (
            "domains.border_flows.disaggregations".into(),
            "nationality".into(),
        ),
    ]);
    write(
        &snm,
        snm_answers,
        &[("legal.mandate", "=cmd|' /C calc'!A0")],
    );
    write(
        &onpar,
        as_pairs(&zip(&legal_keys, &["4", "4", "4", "4"])),
        &[],
    );

    let inec_org = forum::organization_id(app, "INEC");
    let snm_org = forum::organization_id(app, "SNM");
    // SNM -> INEC reported by both (border_flows in common): confirmed.
    mechanism(
        app,
        &snm,
        "Entradas y salidas a INEC",
        Some(&inec_org),
        None,
        "provide",
        "border_flows",
        "active",
    );
    mechanism(
        app,
        &inec,
        "Recibe entradas del SNM",
        Some(&snm_org),
        None,
        "receive",
        "border_flows|census_surveys",
        "active",
    );
    // INEC -> SNM reported by INEC only.
    mechanism(
        app,
        &inec,
        "<script>alert(1)</script> Censo",
        Some(&snm_org),
        None,
        "provide",
        "census_surveys",
        "planned",
    );
    // An outside body: listed, never reconciled.
    mechanism(
        app,
        &snm,
        "Migración Costa Rica",
        None,
        Some("Dirección General de Migración de Costa Rica"),
        "both",
        "border_flows",
        "feasible",
    );

    let user = store::users::find_by_email(&mut app.conn(), forum::ORGANIZER)
        .unwrap()
        .unwrap()
        .id;
    for response in [&inec, &snm] {
        assert!(store::responses::submit(&mut app.conn(), response, &user, now).unwrap());
    }
    Fixture {
        assessment,
        inec,
        snm,
        onpar,
    }
}

fn read_csv(body: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn row<'a>(table: &'a [Vec<String>], first: &str) -> &'a [String] {
    table
        .iter()
        .find(|r| r[0] == first)
        .unwrap_or_else(|| panic!("no row {first} in {table:?}"))
}

#[actix_web::test]
async fn the_matrix_gives_the_known_means_and_column_statistics() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let csv_body = app
        .get(&format!(
            "/organizer/assessments/{}/export/matrix.csv?lang=en",
            f.assessment
        ))
        .await
        .text()
        .await
        .unwrap();
    let table = read_csv(&csv_body);
    let header = &table[0];
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    let legal = col("Legal and institutional framework");
    let collection = col("Data collection and sources");
    let quality = col("Processing and quality");
    let overall = col("Overall");
    let inec = row(&table, "INEC");
    let snm = row(&table, "SNM");
    assert_eq!(
        (
            inec[legal].as_str(),
            inec[collection].as_str(),
            inec[quality].as_str()
        ),
        ("2.0", "4.0", "1.0")
    );
    assert_eq!(
        (
            snm[legal].as_str(),
            snm[collection].as_str(),
            snm[quality].as_str()
        ),
        ("0.8", "2.3", "0.0")
    );
    assert_eq!(
        (inec[overall].as_str(), snm[overall].as_str()),
        ("2.4", "1.0")
    );
    // A dimension nobody answered has no mean.
    assert_eq!(inec[col("Human resources")], "");
    // The draft is left out by default.
    assert!(!table.iter().any(|r| r[0] == "ONPAR"));
    // Column statistics over INEC and SNM: legal mean (2.0+0.75)/2 = 1.375 -> 1.4, min 0.75 -> 0.8.
    assert_eq!(row(&table, "Mean")[legal], "1.4");
    assert_eq!(row(&table, "Median")[legal], "1.4");
    assert_eq!(row(&table, "Minimum")[legal], "0.8");
    assert_eq!(row(&table, "Maximum")[legal], "2.0");
    assert_eq!(row(&table, "n")[legal], "2");
    assert_eq!(row(&table, "n")[col("Human resources")], "0");

    // With drafts: ONPAR's 4.0 joins; legal mean (2.0+0.75+4.0)/3 = 2.25 -> 2.3, median 2.0.
    let with_drafts = read_csv(
        &app.get(&format!(
            "/organizer/assessments/{}/export/matrix.csv?lang=en&drafts=1",
            f.assessment
        ))
        .await
        .text()
        .await
        .unwrap(),
    );
    assert_eq!(row(&with_drafts, "ONPAR")[legal], "4.0");
    assert_eq!(row(&with_drafts, "Mean")[legal], "2.3");
    assert_eq!(row(&with_drafts, "Median")[legal], "2.0");

    // The page shows numbers with the colour class, sorts, and marks drafts clearly.
    let page = app
        .get(&format!(
            "/organizer/assessments/{}/matrix?sort=legal&dir=desc&drafts=1&lang=es",
            f.assessment
        ))
        .await
        .text()
        .await
        .unwrap();
    let onpar_at = page.find(">ONPAR<").unwrap();
    let inec_at = page.find(">INEC<").unwrap();
    let snm_at = page.find(">SNM<").unwrap();
    assert!(
        onpar_at < inec_at && inec_at < snm_at,
        "sorted by legal, highest first"
    );
    assert!(page.contains("heat heat-4"));
    assert!(page.contains("<span class=\"score\">0.8</span>"));
    assert!(page.contains("se incluyen respuestas no enviadas"));
    assert!(page.contains("badge draft"));

    // A cell opens the item answers with their evidence, escaped.
    let cell = app
        .get(&format!("/responses/{}/scores/legal", f.inec))
        .await
        .text()
        .await
        .unwrap();
    assert!(cell.contains("Ley 10 de 2009 &#60;b&#62;art. 5&#60;/b&#62;"));
    assert!(!cell.contains("<b>art. 5"));
    assert!(cell.contains("No aplica") && cell.contains("No sabe"));
    assert!(cell.contains("2.0"));

    // The dimension page: distribution of levels and who is at 0-1.
    let dimension = app
        .get(&format!(
            "/organizer/assessments/{}/dimensions/legal",
            f.assessment
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        dimension.matches("<svg class=\"bar\"").count(),
        4,
        "one bar per item"
    );
    // Who is at 0-1, item by item: mandate INEC 3 / SNM 0; confidentiality INEC 1 / SNM 0;
    // sharing INEC n/a / SNM 1; coordination INEC don't know / SNM 2.
    assert_eq!(low_of(&dimension, "Mandato legal"), "SNM");
    assert_eq!(low_of(&dimension, "Confidencialidad"), "INEC, SNM");
    assert_eq!(low_of(&dimension, "Base legal para compartir"), "SNM");
    assert_eq!(
        low_of(&dimension, "coordinación interinstitucional"),
        "Ninguna."
    );
}

#[actix_web::test]
async fn reconciliation_gaps_and_the_inventory() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let network = app
        .get(&format!("/organizer/assessments/{}/network", f.assessment))
        .await
        .text()
        .await
        .unwrap();
    // Flows: SNM->INEC twice (one per side, confirmed) and INEC->SNM once (INEC only).
    assert!(network.contains("3 flujos de datos"), "{network}");
    assert!(network.contains("2 confirmados"));
    assert!(network.contains("Solo lo informa INEC"));
    assert!(network.contains("&#60;script&#62;alert(1)&#60;/script&#62; Censo"));
    assert!(!network.contains("<script>alert"));
    assert!(
        !network.contains("Costa Rica"),
        "outside bodies are not in the network"
    );
    assert!(network.contains("<svg class=\"network\""));

    let flows = read_csv(
        &app.get(&format!(
            "/organizer/assessments/{}/export/flows.csv?lang=en",
            f.assessment
        ))
        .await
        .text()
        .await
        .unwrap(),
    );
    let one_sided: Vec<_> = flows.iter().filter(|r| r[6].contains("only")).collect();
    assert_eq!(one_sided.len(), 1);
    assert_eq!(
        (one_sided[0][0].as_str(), one_sided[0][1].as_str()),
        ("INEC", "SNM")
    );
    assert_eq!(flows.iter().filter(|r| r[6] == "Confirmed").count(), 2);

    let gaps = app
        .get(&format!(
            "/organizer/assessments/{}/domains?lang=en",
            f.assessment
        ))
        .await
        .text()
        .await
        .unwrap();
    let section = |title: &str| {
        let start = gaps.find(title).unwrap_or_else(|| panic!("{title}"));
        let end = start + gaps[start..].find("</ul>").unwrap_or(gaps.len() - start);
        gaps[start..end].to_owned()
    };
    assert!(section("Data someone needs and nobody produces").contains("Remittances"));
    let without = section("Data produced without disaggregation by sex or age");
    assert!(without.contains("Border entries and exits"));
    assert!(
        !without.contains("Census"),
        "INEC gives sex and age for the census"
    );
    assert!(
        section("Dimensions where most organizations").contains("Processing and quality: 2 / 2")
    );
    assert!(!section("Dimensions where most organizations").contains("Legal"));

    let inventory = app
        .get(&format!(
            "/organizer/assessments/{}/mechanisms?status=active",
            f.assessment
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(inventory.contains("Entradas y salidas a INEC"));
    assert!(inventory.contains("Recibe entradas del SNM"));
    assert!(!inventory.contains("Costa Rica"));
    assert!(inventory.contains(&format!("/responses/{}/review", f.snm)));
    let outside = app
        .get(&format!(
            "/organizer/assessments/{}/mechanisms?partner=outside",
            f.assessment
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(outside.contains("Costa Rica"));
    assert!(!outside.contains("Recibe entradas"));

    let annex = app
        .get(&format!(
            "/organizer/assessments/{}/annex?lang=es",
            f.assessment
        ))
        .await
        .text()
        .await
        .unwrap();
    for part in [
        "Participación",
        "Matriz de capacidades",
        "Brechas",
        "Inventario de mecanismos",
        "Nota metodológica",
    ] {
        assert!(annex.contains(part), "{part}");
    }
    // Printed: the matrix and the tables on landscape pages, the forum's name, the date and
    // the page number in every page's margins (its own stylesheet, as the CSP allows no inline
    // style).
    assert!(annex.contains("class=\"annex-wide\""));
    let css_url = format!("/organizer/assessments/{}/annex.css", f.assessment);
    assert!(annex.contains(&css_url));
    let css = app.get(&css_url).await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let css = css.text().await.unwrap();
    assert!(css.contains("@top-left { content: \"Foro de Estadísticas Migratorias 2023\"; }"));
    assert!(css.contains("counter(page)") && css.contains("counter(pages)"));
}

#[actix_web::test]
async fn exports_read_back_and_neutralise_formulas() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let base = format!("/organizer/assessments/{}/export", f.assessment);

    let answers = read_csv(
        &app.get(&format!("{base}/answers.csv"))
            .await
            .text()
            .await
            .unwrap(),
    );
    // Header, then INEC's 16 answers and SNM's 14 (ONPAR's draft is left out).
    assert_eq!(answers.len(), 1 + 16 + 14);
    let snm_mandate = answers
        .iter()
        .find(|r| r[0] == "SNM" && r[3].starts_with("Mandato"))
        .expect("SNM's mandate answer");
    assert_eq!(snm_mandate[4], "0");
    assert!(
        snm_mandate[6].starts_with("'="),
        "formula neutralised: {:?}",
        snm_mandate[6]
    );

    let mechanisms = app
        .get(&format!("{base}/mechanisms.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(mechanisms.contains("'=HYPERLINK"));
    assert!(!mechanisms.contains(",=HYPERLINK"));

    let xlsx = app.get(&format!("{base}/workbook.xlsx?lang=en")).await;
    assert_eq!(xlsx.status(), 200);
    assert_eq!(
        xlsx.headers()["content-disposition"],
        "attachment; filename=\"assessment.xlsx\""
    );
    // Streamed from its temporary file with its length announced.
    let length = xlsx.content_length();
    let bytes = xlsx.bytes().await.unwrap();
    assert_eq!(length, Some(bytes.len() as u64));
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = workbook.sheet_names();
    assert_eq!(
        names,
        [
            "Matrix",
            "Answers",
            "Mechanisms",
            "Flows",
            "Domains",
            "Gaps"
        ]
    );
    let matrix = workbook.worksheet_range("Matrix").unwrap();
    let header: Vec<String> = matrix
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let legal = header
        .iter()
        .position(|h| h == "Legal and institutional framework")
        .unwrap();
    let inec = matrix
        .rows()
        .find(|r| r[0] == calamine::Data::String("INEC".into()))
        .unwrap();
    assert_eq!(inec[legal], calamine::Data::Float(2.0));
    let mechanisms = workbook.worksheet_range("Mechanisms").unwrap();
    let cells: Vec<String> = mechanisms
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(cells.iter().any(|c| c.starts_with("'=HYPERLINK")));
    assert!(!cells.iter().any(|c| c.starts_with("=HYPERLINK")));
    let answers_sheet = workbook.worksheet_range("Answers").unwrap();
    assert_eq!(answers_sheet.rows().count(), 3, "header + INEC + SNM");
    // The answers and domains sheets are read from each response's answers packed in one row and
    // built on the workbook's writer thread; the domains CSV builds the same table on its own:
    // both must say the same, and what the fixture answered.
    let inec_answers: Vec<String> = answers_sheet
        .rows()
        .find(|r| r[0] == calamine::Data::String("INEC".into()))
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    // Levels as numbers; "not applicable" and "don't know" as their labels, not their codes.
    for level in ["3", "1", "Not applicable", "Don't know", "4"] {
        assert!(
            inec_answers.iter().any(|c| c == level),
            "{level} in {inec_answers:?}"
        );
    }
    let domains_sheet: Vec<Vec<String>> = workbook
        .worksheet_range("Domains")
        .unwrap()
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let domains_csv = app
        .get(&format!("{base}/domains.csv?lang=en"))
        .await
        .text()
        .await
        .unwrap();
    let domains_csv: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(domains_csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(domains_sheet, domains_csv);
    // Header, INEC's two domains and SNM's one.
    assert_eq!(domains_sheet.len(), 4, "{domains_sheet:?}");
    assert!(
        domains_sheet
            .iter()
            .any(|r| r[0] == "INEC" && r[2] == "Yes" && r[4].contains("Sex")),
        "{domains_sheet:?}"
    );

    let json: serde_json::Value = serde_json::from_str(
        &app.get(&format!("{base}/assessment.json"))
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(json["format"], "capacity-survey/assessment");
    assert_eq!(json["statistics"]["legal"]["mean"], 1.4);
    assert_eq!(json["statistics"]["legal"]["n"], 2);
    let inec_json = json["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["acronym"] == "INEC")
        .unwrap();
    assert_eq!(inec_json["scores"]["legal"]["mean"], 2.0);
    assert_eq!(inec_json["scores"]["legal"]["excluded"], 2);
    assert_eq!(inec_json["overall"]["mean"], 2.4);
    assert_eq!(json["flows"].as_array().unwrap().len(), 3);
    assert_eq!(json["gaps"]["needed_not_produced"][0], "remittances");
    assert_eq!(app.get(&format!("{base}/nothing.csv")).await.status(), 404);
    let _ = f.onpar;
}

#[actix_web::test]
async fn representatives_see_only_their_own_scores_and_no_organizer_views() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let rep = representative(&app, &f.snm, "rep@snm.gob.pa").await;

    let own = support::get(&rep, &app.url(&format!("/responses/{}/scores", f.snm))).await;
    assert_eq!(own.status(), 200);
    let own = own.text().await.unwrap();
    assert!(own.contains("<span class=\"score\">0.8</span>"));
    assert!(
        !own.contains("Promedio nacional"),
        "averages are off unless the assessment shows them"
    );
    for path in [
        format!("/responses/{}/scores", f.inec),
        format!("/responses/{}/scores/legal", f.inec),
        format!("/organizer/assessments/{}/matrix", f.assessment),
        format!("/organizer/assessments/{}/dimensions/legal", f.assessment),
        format!("/organizer/assessments/{}/mechanisms", f.assessment),
        format!("/organizer/assessments/{}/network", f.assessment),
        format!("/organizer/assessments/{}/domains", f.assessment),
        format!("/organizer/assessments/{}/annex", f.assessment),
        format!("/organizer/assessments/{}/exports", f.assessment),
        format!("/organizer/assessments/{}/export/matrix.csv", f.assessment),
        format!("/organizer/assessments/{}/export/answers.csv", f.assessment),
        format!(
            "/organizer/assessments/{}/export/workbook.xlsx",
            f.assessment
        ),
        format!(
            "/organizer/assessments/{}/export/assessment.json",
            f.assessment
        ),
    ] {
        let response = support::get(&rep, &app.url(&path)).await;
        assert_eq!(response.status(), 403, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("INEC"), "{path} leaked another organization");
    }
    // With national averages switched on but only one other organization submitted, the
    // representative is told why they are hidden: an average of two would give INEC's away.
    let token = app
        .csrf(&format!("/organizer/assessments/{}/edit", f.assessment))
        .await;
    let today = capacity_survey::service::Clock::today(&*app.clock);
    let saved = app
        .post_form(
            &format!("/organizer/assessments/{}", f.assessment),
            &[
                ("csrf_token", &token),
                ("title_es", "Foro"),
                ("title_en", "Forum"),
                ("instrument", "forum@2023.1"),
                ("opens_on", &(today - chrono::Duration::days(1)).to_string()),
                (
                    "closes_on",
                    &(today + chrono::Duration::days(30)).to_string(),
                ),
                ("show_national_averages", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let own = support::text(&rep, &app.url(&format!("/responses/{}/scores", f.snm))).await;
    assert!(own.contains("Hasta ahora lo ha hecho 1."), "{own}");
    assert!(
        !own.contains("1.4"),
        "the legal national mean of two responses must not be shown"
    );
    assert!(!own.contains("INEC"));
}

/// The progress of each response as computed from all its answers.
fn progress_from_answers(
    app: &TestApp,
    instrument: &capacity_survey::domain::instrument::Instrument,
    response: &str,
) -> capacity_survey::domain::answers::Progress {
    let rows =
        store::responses::answers_of_responses(&mut app.conn(), &[response.to_owned()]).unwrap();
    let (answers, _) = capacity_survey::service::analysis::decode_answers(instrument, rows);
    capacity_survey::domain::answers::response_progress(
        instrument,
        answers.get(response).unwrap_or(&Default::default()),
    )
}

fn stored_progress(app: &TestApp, assessment: &str) -> Vec<(String, i64, i64)> {
    let mut rows = store::scores::progress_of_assessment(&mut app.conn(), assessment).unwrap();
    rows.sort();
    rows
}

#[actix_web::test]
async fn the_progress_page_reads_progress_from_the_read_model_and_rebuilds_what_is_missing() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let instrument = forum::instrument();
    let ids = [f.inec.clone(), f.snm.clone(), f.onpar.clone()];
    // Answers written outside a save leave no stored progress behind.
    assert!(stored_progress(&app, &f.assessment).is_empty());
    let expected: Vec<_> = ids
        .iter()
        .map(|id| progress_from_answers(&app, &instrument, id))
        .collect();
    assert!(
        expected
            .iter()
            .any(|p| p.answered > 0 && p.answered < p.required)
    );

    // The page rebuilds the missing progress from the answers, shows it and stores it.
    let page = app
        .get(&format!("/organizer/assessments/{}", f.assessment))
        .await
        .text()
        .await
        .unwrap();
    for p in &expected {
        assert!(
            page.contains(&format!("({}/{})", p.answered, p.required)),
            "{p:?} not on the page"
        );
    }
    let mut stored: Vec<(String, i64, i64)> = ids
        .iter()
        .zip(&expected)
        .map(|(id, p)| (id.clone(), p.required as i64, p.answered as i64))
        .collect();
    stored.sort();
    assert_eq!(stored_progress(&app, &f.assessment), stored);

    // A save rewrites it: one more answer, the stored progress follows.
    answer(&app, &f.onpar, &[("collection.inventory", "2")], &[]);
    let now = capacity_survey::service::now();
    capacity_survey::service::analysis::refresh_scores(&mut app.conn(), &instrument, &f.onpar, now)
        .unwrap();
    let onpar = progress_from_answers(&app, &instrument, &f.onpar);
    let row = stored_progress(&app, &f.assessment)
        .into_iter()
        .find(|(id, _, _)| *id == f.onpar)
        .unwrap();
    assert_eq!(
        row,
        (
            f.onpar.clone(),
            onpar.required as i64,
            onpar.answered as i64
        )
    );
}

#[actix_web::test]
async fn the_dimension_page_counts_what_a_save_stores() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let page = || async {
        app.get(&format!(
            "/organizer/assessments/{}/dimensions/legal?drafts=1",
            f.assessment
        ))
        .await
        .text()
        .await
        .unwrap()
    };
    // With the draft of ONPAR (4 everywhere): only SNM is low on the mandate.
    let before = page().await;
    assert_eq!(low_of(&before, "Mandato legal"), "SNM");
    assert_eq!(
        low_of(&before, "coordinación interinstitucional"),
        "Ninguna."
    );

    // ONPAR's representative saves the legal section: mandate 0, coordination 1.
    let rep = representative(&app, &f.onpar, "rep@onpar.gob.pa").await;
    let values: Vec<(String, Vec<String>)> = [
        ("legal.mandate", "0"),
        ("legal.confidentiality", "4"),
        ("legal.sharing", "na"),
        ("legal.coordination", "1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
    .collect();
    let saved = forum::save_section(&rep, &app, &f.onpar, "legal", &values, &[]).await;
    assert!(saved.status().is_redirection(), "{}", saved.status());

    // The page counts the answer marks the save stored with the scores.
    let after = page().await;
    let mandate = low_of(&after, "Mandato legal");
    assert!(
        mandate.contains("ONPAR") && mandate.contains("SNM"),
        "{mandate}"
    );
    assert_eq!(low_of(&after, "coordinación interinstitucional"), "ONPAR");
    assert_eq!(low_of(&after, "Base legal para compartir"), "SNM");
}

#[actix_web::test]
async fn the_progress_page_comes_a_hundred_organizations_at_a_time() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    let mut csv = String::from("name,acronym,sector\n");
    for i in 0..130 {
        csv.push_str(&format!("Institución {i:03},ORG{i:03},statistics\n"));
    }
    assert_eq!(forum::import_csv(&app, &csv).await.status(), 200);
    let assessment = forum::create_assessment(&app).await;
    let now = capacity_survey::service::now();
    for org in store::organizations::list(&mut app.conn()).unwrap() {
        ensure_response(&mut app.conn(), &assessment, &org.id, now).unwrap();
    }
    let rows = |page: &str| page.matches("<th scope=\"row\">").count();
    let page = |query: &'static str| {
        let url = format!("/organizer/assessments/{assessment}{query}");
        let app = &app;
        async move { app.get(&url).await.text().await.unwrap() }
    };
    let first = page("").await;
    assert_eq!(rows(&first), 100);
    assert!(first.contains(">ORG000<") && first.contains(">ORG099<"));
    assert!(!first.contains(">ORG100<"));
    assert!(
        first.contains("1–100 / 130"),
        "the pager tells where we are"
    );
    // The next link keeps the sort, in the order asked for.
    let next = format!(
        "href=\"/organizer/assessments/{assessment}?sort=organization&#38;dir=desc&#38;page=2\
         &#38;invitations_page=1#progress\""
    );
    let descending = page("?sort=organization&dir=desc").await;
    assert!(descending.contains(&next), "{descending}");
    assert!(descending.contains(">ORG129<") && !descending.contains(">ORG029<"));
    let second = page("?sort=organization&dir=desc&page=2").await;
    assert_eq!(rows(&second), 30);
    assert!(second.contains(">ORG029<") && second.contains(">ORG000<"));
    assert!(second.contains("101–130 / 130"));
    // A page past the end shows the last one; a page that is not a number is refused.
    let past = page("?page=9").await;
    assert_eq!(rows(&past), 30);
    // An invitation not used yet is counted on its organization's row, and listed below.
    let org000 = forum::organization_id(&app, "ORG000");
    forum::invite(&app, &assessment, &org000, "Ana", "ana@org000.example").await;
    let invited = page("").await;
    let row = &invited[invited.find(">ORG000<").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("1 invitación pendiente"), "{row}");
    assert!(invited.contains("ana@org000.example"));
    assert_eq!(invited.matches("invitación pendiente").count(), 1);
    let bad = app
        .get(&format!("/organizer/assessments/{assessment}?page=x"))
        .await;
    assert_eq!(bad.status(), 400);
}
