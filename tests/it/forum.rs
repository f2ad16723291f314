//! Helpers that set up a forum over HTTP the way an organizer would, and fill sections the way a
//! representative would.

use capacity_survey::domain::instrument::{
    Instrument, Item, ItemKind, SectionBody, forum_instrument, grid_cell_key,
};

use crate::support::{self, PASSWORD, TestApp, location};

pub const ORGANIZER: &str = "org@mire.gob.pa";

pub const ORGANIZATIONS_CSV: &str = "name,acronym,sector,contact name,contact email\n\
Instituto Nacional de Estadística y Censo,INEC,statistics,Ana Pérez,ana@inec.gob.pa\n\
Servicio Nacional de Migración,SNM,immigration_borders,Luis Gómez,luis@migracion.gob.pa\n\
Oficina Nacional para la Atención de Refugiados,ONPAR,refugee_asylum,,\n";

pub fn instrument() -> Instrument {
    forum_instrument().expect("the forum instrument loads")
}

/// An organizer logged in on the app's default client.
pub async fn organizer(app: &TestApp) {
    app.create_organizer(ORGANIZER, "Olga Organizer");
    assert_eq!(app.login(ORGANIZER, PASSWORD).await.status(), 303);
}

/// Creates an assessment open from yesterday to 30 days ahead; returns its id.
pub async fn create_assessment(app: &TestApp) -> String {
    create_assessment_with(app, "forum@2023.1").await
}

/// An assessment on a stored instrument (`key@version`), open from yesterday for a month.
pub async fn create_assessment_with(app: &TestApp, instrument: &str) -> String {
    let today = capacity_survey::service::Clock::today(&*app.clock);
    let token = app.csrf("/organizer/assessments/new").await;
    let response = app
        .post_form(
            "/organizer/assessments",
            &[
                ("csrf_token", &token),
                ("title_es", "Foro de Estadísticas Migratorias 2023"),
                ("title_en", "Migration Statistics Forum 2023"),
                ("instrument", instrument),
                ("opens_on", &(today - chrono::Duration::days(1)).to_string()),
                (
                    "closes_on",
                    &(today + chrono::Duration::days(30)).to_string(),
                ),
            ],
        )
        .await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    location(&response)
        .strip_prefix("/organizer/assessments/")
        .expect("redirect to the assessment")
        .to_owned()
}

/// Uploads a CSV file to the import page: its review (nothing imported yet), or its problems.
pub async fn review_csv(app: &TestApp, csv: &str) -> reqwest::Response {
    let token = app.csrf("/organizer/organizations/import").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                .file_name("organizations.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    app.client
        .post(app.url("/organizer/organizations/import"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Presses "Import" on a review page: posts back its hidden file as the browser would.
pub async fn confirm_import(app: &TestApp, review_html: &str) -> reqwest::Response {
    let file_text = hidden_value(review_html, "file_text").expect("a file under review");
    let token = hidden_value(review_html, "csrf_token").expect("a CSRF token");
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("file_text", file_text);
    app.client
        .post(app.url("/organizer/organizations/import/confirm"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads a CSV file and confirms its review; a file with problems answers with them (422).
pub async fn import_csv(app: &TestApp, csv: &str) -> reqwest::Response {
    let review = review_csv(app, csv).await;
    if review.status() != 200 {
        return review;
    }
    let html = review.text().await.unwrap();
    confirm_import(app, &html).await
}

/// The value of a hidden input of a page, unescaped.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some(unescape(&html[start..end]))
}

/// Text of an HTML attribute: named and numeric character references decoded, as a browser
/// reads them.
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The id of a registered organization, by acronym.
pub fn organization_id(app: &TestApp, acronym: &str) -> String {
    capacity_survey::store::organizations::list(&mut app.conn())
        .unwrap()
        .into_iter()
        .find(|o| o.acronym == acronym)
        .unwrap_or_else(|| panic!("no organization {acronym}"))
        .id
}

/// Invites one person; returns the personal link's path (`/invite/<token>`).
pub async fn invite(
    app: &TestApp,
    assessment: &str,
    organization: &str,
    name: &str,
    email: &str,
) -> String {
    let token = app
        .csrf(&format!("/organizer/assessments/{assessment}/invite"))
        .await;
    let response = app
        .post_form(
            &format!("/organizer/assessments/{assessment}/invitations"),
            &[
                ("csrf_token", &token),
                ("organization", organization),
                ("name_0", name),
                ("email_0", email),
                ("lang_0", "es"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    link_in(&html, &app.base)
}

/// The first invitation link on a page, as a path.
pub fn link_in(html: &str, base: &str) -> String {
    let marker = format!("{base}/invite/");
    let start = html.find(&marker).expect("an invitation link on the page");
    let rest = &html[start + base.len()..];
    let end = rest.find('"').unwrap();
    rest[..end].to_owned()
}

/// A new client that accepts an invitation with a new account; returns it and the response id.
pub async fn accept(app: &TestApp, link: &str, name: &str) -> (reqwest::Client, String) {
    let client = app.new_client();
    let token = support::csrf_of(&client, &app.url(link)).await;
    let response = support::post_form(
        &client,
        &app.url(link),
        &[
            ("csrf_token", &token),
            ("name", name),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let id = location(&response)
        .strip_prefix("/responses/")
        .expect("lands on the response")
        .to_owned();
    (client, id)
}

/// A whole forum: organizer logged in, three organizations, an assessment, and a representative
/// of INEC who accepted the invitation.
pub struct Forum {
    pub assessment: String,
    pub rep: reqwest::Client,
    pub response: String,
}

pub async fn forum(app: &TestApp) -> Forum {
    organizer(app).await;
    assert_eq!(import_csv(app, ORGANIZATIONS_CSV).await.status(), 200);
    let assessment = create_assessment(app).await;
    let inec = organization_id(app, "INEC");
    let link = invite(app, &assessment, &inec, "Ana Pérez", "ana@inec.gob.pa").await;
    let (rep, response) = accept(app, &link, "Ana Pérez").await;
    Forum {
        assessment,
        rep,
        response,
    }
}

/// A representative of another registered organization (by acronym) who accepted an invitation
/// to the assessment: their client and the organization's response id.
pub async fn join(
    app: &TestApp,
    assessment: &str,
    acronym: &str,
    name: &str,
    email: &str,
) -> (reqwest::Client, String) {
    let organization = organization_id(app, acronym);
    let link = invite(app, assessment, &organization, name, email).await;
    accept(app, &link, name).await
}

/// A valid raw value for an item (the first option, level 2, yes, ...).
pub fn valid_value(instrument: &Instrument, item: &Item) -> Vec<String> {
    let first = |list: &str| {
        instrument
            .code_list(list)
            .and_then(|l| l.options.first())
            .map(|o| o.key.clone())
            .unwrap()
    };
    vec![match &item.kind {
        ItemKind::Maturity { .. } => "2".to_owned(),
        ItemKind::SingleChoice { list } | ItemKind::MultipleChoice { list } => first(list),
        ItemKind::YesNo => "yes".to_owned(),
        ItemKind::Number { min, .. } => min.unwrap_or(1.0).max(1.0).to_string(),
        ItemKind::Text { .. } => "Texto de prueba".to_owned(),
        ItemKind::Partner => "ext:Otra institución".to_owned(),
    }]
}

/// The current CSRF token and section version of a section page.
pub async fn section_state(
    client: &reqwest::Client,
    app: &TestApp,
    response: &str,
    section: &str,
) -> (String, String) {
    let html = support::get(
        client,
        &app.url(&format!("/responses/{response}/sections/{section}")),
    )
    .await
    .text()
    .await
    .unwrap();
    let token = support::csrf_in(&html).expect("csrf");
    let marker = "name=\"version\" value=\"";
    let start = html.find(marker).expect("version field") + marker.len();
    let end = html[start..].find('"').unwrap();
    (token, html[start..start + end].to_owned())
}

/// Posts a section form with the given (slot, values) and evidence; returns the response.
pub async fn save_section(
    client: &reqwest::Client,
    app: &TestApp,
    response: &str,
    section: &str,
    values: &[(String, Vec<String>)],
    evidence: &[(&str, &str)],
) -> reqwest::Response {
    let (token, version) = section_state(client, app, response, section).await;
    post_section(
        client, app, response, section, &token, &version, values, evidence,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn post_section(
    client: &reqwest::Client,
    app: &TestApp,
    response: &str,
    section: &str,
    token: &str,
    version: &str,
    values: &[(String, Vec<String>)],
    evidence: &[(&str, &str)],
) -> reqwest::Response {
    let state = (token, version);
    post_section_as(
        client, app, response, section, state, "save", values, evidence,
    )
    .await
}

/// Posts a section form with the button `action` ("save" or "continue"), at `(token, version)`.
#[allow(clippy::too_many_arguments)]
pub async fn post_section_as(
    client: &reqwest::Client,
    app: &TestApp,
    response: &str,
    section: &str,
    (token, version): (&str, &str),
    action: &str,
    values: &[(String, Vec<String>)],
    evidence: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(String, String)> = vec![
        ("csrf_token".into(), token.to_owned()),
        ("version".into(), version.to_owned()),
        ("action".into(), action.to_owned()),
    ];
    for (key, raw) in values {
        form.push(("_items".into(), key.clone()));
        for value in raw {
            form.push((format!("v.{key}"), value.clone()));
        }
    }
    for (key, text) in evidence {
        form.push((format!("e.{key}"), (*text).to_owned()));
    }
    client
        .post(app.url(&format!("/responses/{response}/sections/{section}")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Valid answers for every required slot of an items or grid section.
pub fn complete_answers(instrument: &Instrument, section_key: &str) -> Vec<(String, Vec<String>)> {
    let section = instrument.section(section_key).unwrap();
    match &section.body {
        SectionBody::Items(items) => items
            .iter()
            .filter(|i| i.required && i.relevant_when.is_none())
            .map(|i| (i.key.clone(), valid_value(instrument, i)))
            .collect(),
        SectionBody::DomainGrid(grid) => {
            let list = instrument.code_list(&grid.list).unwrap();
            list.options
                .iter()
                .flat_map(|domain| {
                    [
                        (
                            grid_cell_key(section_key, &domain.key, "collects"),
                            vec!["yes".to_owned()],
                        ),
                        (
                            grid_cell_key(section_key, &domain.key, "disaggregations"),
                            vec!["sex".to_owned(), "age".to_owned()],
                        ),
                        (
                            grid_cell_key(section_key, &domain.key, "needed"),
                            vec!["no".to_owned()],
                        ),
                    ]
                })
                .collect()
        }
        SectionBody::Mechanisms(_) => Vec::new(),
    }
}

/// Adds a mechanism entry; `partner_org` is an organization id or empty for an outside body.
pub async fn add_mechanism(
    client: &reqwest::Client,
    app: &TestApp,
    response: &str,
    name: &str,
    partner_org: &str,
    partner_name: &str,
) -> reqwest::Response {
    let token = support::csrf_of(
        client,
        &app.url(&format!("/responses/{response}/mechanisms/new")),
    )
    .await;
    client
        .post(app.url(&format!("/responses/{response}/mechanisms")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("version", "0"),
            ("v.name", name),
            ("partner_org", partner_org),
            ("partner_name", partner_name),
            ("v.direction", "provide"),
            ("v.domains", "border_flows"),
            ("v.domains", "asylum"),
            ("v.channel", "email"),
            ("v.frequency", "monthly"),
            ("v.delay_days", "15"),
            ("v.personal_data", "no"),
            ("v.status", "active"),
        ])
        .send()
        .await
        .unwrap()
}
