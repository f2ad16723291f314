//! Setting up a forum and reading it back (issue 15, points 4, 7, 9 and 10): national averages
//! that never expose a peer, times in the assessment's zone, the invite and import journeys, and
//! the small defects of wording, exports and progress.

use capacity_survey::domain::account::Role;
use capacity_survey::domain::instrument::ItemKind;
use capacity_survey::domain::{Lang, time};
use capacity_survey::service::invitations::ensure_response;
use capacity_survey::service::outbox;
use capacity_survey::store;
use chrono::{NaiveDate, NaiveDateTime};

use crate::forum;
use crate::support::{self, PASSWORD, TestApp};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap()
}

fn organizer_id(app: &TestApp) -> String {
    store::users::find_by_email(&mut app.conn(), forum::ORGANIZER)
        .unwrap()
        .unwrap()
        .id
}

/// Saves the assessment's edit form with some fields changed (the rest as the form shows them).
async fn save_settings(
    app: &TestApp,
    assessment: &str,
    changes: &[(&str, &str)],
) -> reqwest::Response {
    let form = app
        .get(&format!("/organizer/assessments/{assessment}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let token = support::csrf_in(&form).unwrap();
    let today = capacity_survey::service::Clock::today(&*app.clock);
    let opens = (today - chrono::Duration::days(1)).to_string();
    let closes = (today + chrono::Duration::days(30)).to_string();
    let mut fields: Vec<(&str, &str)> = vec![
        ("csrf_token", &token),
        ("title_es", "Foro"),
        ("title_en", "Forum"),
        ("instrument", "forum@2023.1"),
        ("opens_on", &opens),
        ("closes_on", &closes),
        ("time_zone", "America/Panama"),
        ("averages_min_peers", "4"),
    ];
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        fields.push((name, value));
    }
    app.post_form(&format!("/organizer/assessments/{assessment}"), &fields)
        .await
}

/// A representative of a response, logged in on a client of their own.
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

#[actix_web::test]
async fn the_assessment_form_refuses_an_averages_threshold_below_three() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    let assessment = forum::create_assessment(&app).await;
    let refused = save_settings(
        &app,
        &assessment,
        &[
            ("show_national_averages", "on"),
            ("averages_min_peers", "2"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    // The message stands next to the field, and the typed value comes back.
    let field = &page[page
        .find("id=\"averages_min_peers-error\"")
        .expect("a message")..];
    assert!(
        field.contains("Escriba un número igual o mayor que 3."),
        "{field}"
    );
    assert!(page.contains("name=\"averages_min_peers\" type=\"number\" inputmode=\"numeric\" min=\"3\" step=\"1\" value=\"2\""));
    let stored = store::assessments::find(&mut app.conn(), &assessment).unwrap();
    assert_eq!(stored.averages_min_peers, 4, "nothing saved");
    assert!(!stored.show_national_averages);
    assert_eq!(
        save_settings(&app, &assessment, &[("averages_min_peers", "3")])
            .await
            .status(),
        303
    );
    assert_eq!(
        store::assessments::find(&mut app.conn(), &assessment)
            .unwrap()
            .averages_min_peers,
        3
    );
}

#[actix_web::test]
async fn national_averages_appear_only_once_enough_other_organizations_submitted_and_print_n() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    let csv = "name,acronym,sector,contact name,contact email\n\
               Instituto Nacional de Estadística y Censo,INEC,statistics,,\n\
               Servicio Nacional de Migración,SNM,immigration_borders,,\n\
               Oficina Nacional para la Atención de Refugiados,ONPAR,refugee_asylum,,\n\
               Ministerio de Salud,MINSA,health,,\n";
    assert_eq!(forum::import_csv(&app, csv).await.status(), 200);
    let assessment = forum::create_assessment(&app).await;
    // N = 3 other organizations.
    assert_eq!(
        save_settings(
            &app,
            &assessment,
            &[
                ("show_national_averages", "on"),
                ("averages_min_peers", "3")
            ],
        )
        .await
        .status(),
        303
    );
    let now = capacity_survey::service::now();
    let mut responses = Vec::new();
    for acronym in ["SNM", "INEC", "ONPAR", "MINSA"] {
        let org = forum::organization_id(&app, acronym);
        responses.push(
            ensure_response(&mut app.conn(), &assessment, &org, now)
                .unwrap()
                .id,
        );
    }
    let user = organizer_id(&app);
    // Everyone answers the legal mandate: SNM 0, INEC 2, ONPAR 4, MINSA 3.
    for (response, level) in responses.iter().zip(["0", "2", "4", "3"]) {
        store::responses::put_answer(
            &mut app.conn(),
            response,
            "legal.mandate",
            level,
            None,
            &user,
            now,
        )
        .unwrap();
    }
    let submit = |response: &str| {
        assert!(store::responses::submit(&mut app.conn(), response, &user, now).unwrap());
    };
    let snm = responses[0].clone();
    submit(&snm);
    submit(&responses[1]);
    submit(&responses[2]);
    let rep = representative(&app, &snm, "rep@snm.gob.pa").await;
    let scores = format!("/responses/{snm}/scores");

    // N - 1 = 2 others submitted: hidden, and the page says why.
    let page = support::text(&rep, &app.url(&scores)).await;
    assert!(page.contains("id=\"national-hidden\""), "{page}");
    assert!(page.contains("al menos 3 otras organizaciones"), "{page}");
    assert!(page.contains("Hasta ahora lo han hecho 2."), "{page}");
    assert!(!page.contains("n = "), "{page}");
    let cell = support::text(&rep, &app.url(&format!("{scores}/legal"))).await;
    assert!(cell.contains("Hasta ahora lo han hecho 2."), "{cell}");
    assert!(!cell.contains("Promedio nacional</dt>"), "{cell}");

    // N = 3 others: shown, each with its n. Legal mandate means over 4 submitted: the legal
    // dimension of SNM 0, INEC 2, ONPAR 4, MINSA 3 -> (0 + 2 + 4 + 3) / 4 = 2.25 -> 2.3.
    submit(&responses[3]);
    let page = support::text(&rep, &app.url(&scores)).await;
    assert!(!page.contains("id=\"national-hidden\""), "{page}");
    assert!(page.contains("Promedio nacional"), "{page}");
    assert!(
        page.contains("2.3<br><span class=\"muted\">n = 4</span>"),
        "{page}"
    );
    let cell = support::text(&rep, &app.url(&format!("{scores}/legal"))).await;
    assert!(cell.contains("(n = 4)"), "{cell}");
    // Never a peer's name.
    assert!(!page.contains("INEC") && !page.contains("ONPAR"));

    // Not offered at all: hidden with that reason, however many submitted.
    assert_eq!(
        save_settings(&app, &assessment, &[("averages_min_peers", "3")])
            .await
            .status(),
        303
    );
    let page = support::text(&rep, &app.url(&scores)).await;
    assert!(
        page.contains(
            "La organización del foro no muestra los promedios nacionales en esta evaluación."
        ),
        "{page}"
    );
}

#[actix_web::test]
async fn times_are_shown_in_the_assessments_zone_on_pages_and_exports() {
    let app = TestApp::spawn().await;
    let f = forum::forum(&app).await;
    // The create form offers the configured zone (America/Panama) selected.
    let form = app
        .get("/organizer/assessments/new")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("<option value=\"America/Panama\" selected>"),
        "{form}"
    );
    assert!(form.contains("<option value=\"America/New_York\">"));
    assert_eq!(
        save_settings(&app, &f.assessment, &[("time_zone", "America/New_York")])
            .await
            .status(),
        303
    );
    // An unknown zone is refused next to its field.
    let refused = save_settings(&app, &f.assessment, &[("time_zone", "Mars/Olympus")]).await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("id=\"time_zone-error\"")
    );

    // Submitted at 14:05 UTC on 7 July 2026: 10:05 EDT in New York.
    let at = utc(2026, 7, 7, 14, 5);
    assert!(
        store::responses::submit(&mut app.conn(), &f.response, &organizer_id(&app), at).unwrap()
    );
    let review = app
        .get(&format!("/responses/{}/review", f.response))
        .await
        .text()
        .await
        .unwrap();
    assert!(review.contains("7 de julio de 2026, 10:05 EDT"), "{review}");
    assert!(!review.contains("UTC"));
    let english = app
        .get(&format!("/responses/{}/review?lang=en", f.response))
        .await
        .text()
        .await
        .unwrap();
    assert!(english.contains("7 July 2026, 10:05 EDT"), "{english}");
    // The assessment page writes its dates as people do.
    let page = app
        .get(&format!("/organizer/assessments/{}?lang=es", f.assessment))
        .await
        .text()
        .await
        .unwrap();
    let closes = capacity_survey::service::Clock::today(&*app.clock) + chrono::Duration::days(30);
    assert!(page.contains(&time::date(closes, Lang::Es)), "{page}");
    // Exports keep ISO 8601 with the offset.
    let json = app
        .get(&format!(
            "/organizer/assessments/{}/export/assessment.json",
            f.assessment
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        json.contains("\"submitted_at\": \"2026-07-07T10:05:00-04:00\""),
        "{json}"
    );
}

#[actix_web::test]
async fn pages_of_no_assessment_use_the_configured_zone_and_say_which() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    let audit = app.get("/organizer/audit").await.text().await.unwrap();
    assert!(audit.contains("Fecha y hora (America/Panama)"), "{audit}");
    // The login just recorded, in Panama's time (EST, all year).
    assert!(audit.contains(" EST</td>"), "{audit}");
    assert!(!audit.contains("UTC</td>"));
    let csv = app.get("/organizer/audit.csv").await.bytes().await.unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(csv.to_vec()).unwrap();
    assert!(text.contains("-05:00,"), "ISO 8601 with the offset: {text}");
    let failed = app.get("/organizer/emails").await.text().await.unwrap();
    assert!(
        failed.contains("Las horas están en la zona America/Panama."),
        "{failed}"
    );
}

#[actix_web::test]
async fn the_invite_form_offers_the_organizations_contact_and_takes_more_people() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    assert_eq!(
        forum::import_csv(&app, forum::ORGANIZATIONS_CSV)
            .await
            .status(),
        200
    );
    let assessment = forum::create_assessment(&app).await;
    let inec = forum::organization_id(&app, "INEC");
    let form_url = format!("/organizer/assessments/{assessment}/invite");
    // Chosen by link: the registered contact is already in the first row.
    let page = app
        .get(&format!("{form_url}?organization={inec}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("name=\"name_0\" type=\"text\" autocomplete=\"off\" value=\"Ana Pérez\""),
        "{page}"
    );
    assert!(page.contains("value=\"ana@inec.gob.pa\""));
    // Chosen in the form: one button fills the contact in, without scripts.
    let token = app.csrf(&form_url).await;
    let snm = forum::organization_id(&app, "SNM");
    let post = format!("/organizer/assessments/{assessment}/invitations");
    let filled = app
        .post_form(
            &post,
            &[
                ("csrf_token", &token),
                ("organization", &snm),
                ("rows", "3"),
                ("action", "contact"),
            ],
        )
        .await;
    assert_eq!(filled.status(), 200);
    let page = filled.text().await.unwrap();
    assert!(page.contains("value=\"luis@migracion.gob.pa\""), "{page}");
    // "More rows" adds three, keeping what was typed.
    let more = app
        .post_form(
            &post,
            &[
                ("csrf_token", &token),
                ("organization", &snm),
                ("rows", "3"),
                ("name_0", "Luis Gómez"),
                ("email_0", "luis@migracion.gob.pa"),
                ("lang_0", "es"),
                ("action", "more"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(more.contains("name=\"name_5\""), "{more}");
    assert!(!more.contains("name=\"name_6\""));
    assert!(more.contains("value=\"luis@migracion.gob.pa\""));
    // Five people at once.
    let mut fields: Vec<(String, String)> = vec![
        ("csrf_token".into(), token.clone()),
        ("organization".into(), snm.clone()),
        ("rows".into(), "6".into()),
    ];
    for i in 0..5 {
        fields.push((format!("name_{i}"), format!("Persona {i}")));
        fields.push((format!("email_{i}"), format!("p{i}@migracion.gob.pa")));
        fields.push((format!("lang_{i}"), "es".into()));
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let created = app.post_form(&post, &borrowed).await;
    assert_eq!(created.status(), 200);
    assert_eq!(
        store::invitations::list_for_assessment(&mut app.conn(), &assessment)
            .unwrap()
            .len(),
        5
    );
}

#[actix_web::test]
async fn every_organizations_contact_is_invited_with_one_click_after_a_preview() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    assert_eq!(
        forum::import_csv(&app, forum::ORGANIZATIONS_CSV)
            .await
            .status(),
        200
    );
    let assessment = forum::create_assessment(&app).await;
    let inec = forum::organization_id(&app, "INEC");
    forum::invite(&app, &assessment, &inec, "Ana Pérez", "ana@inec.gob.pa").await;
    let outbox = |app: &TestApp| store::outbox::all(&mut app.conn()).unwrap().len();
    let before = outbox(&app);

    // The assessment page links to the preview.
    let page = app
        .get(&format!("/organizer/assessments/{assessment}"))
        .await
        .text()
        .await
        .unwrap();
    let preview_url = format!("/organizer/assessments/{assessment}/invite-contacts");
    assert!(page.contains(&format!("href=\"{preview_url}\"")));
    let preview = app.get(&preview_url).await.text().await.unwrap();
    let row = |acronym: &str| {
        let at = preview
            .find(&format!("<th scope=\"row\">{acronym}<br>"))
            .unwrap();
        preview[at..at + preview[at..].find("</tr>").unwrap()].to_owned()
    };
    assert!(row("SNM").contains("Recibirá una invitación en luis@migracion.gob.pa"));
    assert!(row("ONPAR").contains("no tiene un correo de contacto registrado"));
    assert!(row("INEC").contains("ya tiene representantes o una invitación vigente"));
    assert!(preview.contains("Enviar 1 invitación"), "{preview}");
    assert_eq!(outbox(&app), before, "the preview sends nothing");

    let token = support::csrf_in(&preview).unwrap();
    let sent = app
        .post_form(
            &preview_url,
            &[("csrf_token", &token), ("lang_invited", "en")],
        )
        .await;
    assert_eq!(sent.status(), 200);
    let page = sent.text().await.unwrap();
    assert!(page.contains("Se creó 1 invitación."), "{page}");
    assert!(page.contains(&format!("{}/invite/", app.base)));
    assert_eq!(outbox(&app), before + 1);
    let invitations =
        store::invitations::list_for_assessment(&mut app.conn(), &assessment).unwrap();
    let luis = invitations
        .iter()
        .find(|i| i.email == "luis@migracion.gob.pa")
        .unwrap();
    assert_eq!(luis.lang, "en");
    assert_eq!(luis.name, "Luis Gómez");
    // A second time, nobody is left.
    let again = app.get(&preview_url).await.text().await.unwrap();
    assert!(
        again.contains("No hay nadie a quién invitar")
            || again.contains("No hay nadie a quien invitar"),
        "{again}"
    );
}

#[actix_web::test]
async fn the_import_shows_what_it_will_do_and_imports_only_that_file_on_confirm() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    let count = |app: &TestApp| store::organizations::list(&mut app.conn()).unwrap().len();
    // The review lists the rows and imports nothing.
    let review = forum::review_csv(&app, forum::ORGANIZATIONS_CSV).await;
    assert_eq!(review.status(), 200);
    let html = review.text().await.unwrap();
    assert!(html.contains("3 organizaciones nuevas"), "{html}");
    assert!(html.contains("<td>INEC</td>") && html.contains("<td>ana@inec.gob.pa</td>"));
    assert!(html.contains("Importar 3 organizaciones"));
    assert_eq!(count(&app), 0, "nothing before the confirm");

    // Another file posted as if reviewed is refused: nothing imported.
    let forged = html.replace("ONPAR", "OTRA");
    let refused = forum::confirm_import(&app, &forged).await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("La revisión ya no es válida")
    );
    assert_eq!(count(&app), 0);

    let done = forum::confirm_import(&app, &html).await;
    assert_eq!(done.status(), 200);
    assert!(
        done.text()
            .await
            .unwrap()
            .contains("Importación terminada: 3 organizaciones nuevas.")
    );
    assert_eq!(count(&app), 3);
    // The same confirmation again imports nothing more (the review was used).
    assert_eq!(forum::confirm_import(&app, &html).await.status(), 422);
    assert_eq!(count(&app), 3);

    // Known rows are skipped, each with why.
    let again = "name,acronym,sector,contact name,contact email\n\
                 Instituto Nacional de Estadística y Censo,INEC,statistics,,\n\
                 Otro nombre,SNM,health,,\n\
                 Ministerio de Salud,MINSA,health,,\n";
    let html = forum::review_csv(&app, again).await.text().await.unwrap();
    assert!(html.contains("1 organización nueva"), "{html}");
    assert!(html.contains("2 filas que se omitirán"), "{html}");
    assert!(html.contains(
        "INEC, Instituto Nacional de Estadística y Censo: ya hay una organización registrada con este nombre."
    ));
    assert!(html.contains("SNM, Otro nombre: ya hay una organización registrada con esta sigla."));
    assert_eq!(forum::confirm_import(&app, &html).await.status(), 200);
    assert_eq!(count(&app), 4);
}

#[actix_web::test]
async fn a_mechanism_partner_may_be_any_organization_registered_for_the_forum() {
    let app = TestApp::spawn().await;
    let f = forum::forum(&app).await;
    // Only INEC was invited; SNM and ONPAR are registered.
    let form = support::text(
        &f.rep,
        &app.url(&format!("/responses/{}/mechanisms/new", f.response)),
    )
    .await;
    let onpar = forum::organization_id(&app, "ONPAR");
    let snm = forum::organization_id(&app, "SNM");
    let inec = forum::organization_id(&app, "INEC");
    assert!(
        form.contains(&format!("<option value=\"{onpar}\"")),
        "{form}"
    );
    assert!(form.contains(&format!("<option value=\"{snm}\"")));
    assert!(
        !form.contains(&format!("<option value=\"{inec}\"")),
        "not itself"
    );
    let saved = forum::add_mechanism(&f.rep, &app, &f.response, "Refugio", &onpar, "").await;
    assert_eq!(saved.status(), 303);
    // The organizer's views name it by its acronym, and draw it in the network.
    for view in ["mechanisms", "network"] {
        let page = app
            .get(&format!(
                "/organizer/assessments/{}/{view}?drafts=1",
                f.assessment
            ))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("ONPAR"), "{view}: {page}");
        assert!(!page.contains(&onpar), "{view} shows an id: {page}");
    }
}

#[actix_web::test]
async fn exports_offer_drafts_as_a_control_and_csv_files_open_in_excel() {
    let app = TestApp::spawn().await;
    let f = forum::forum(&app).await;
    let exports = format!("/organizer/assessments/{}/exports", f.assessment);
    let page = app.get(&exports).await.text().await.unwrap();
    assert!(
        !page.contains("?drafts=1"),
        "no URL to edit by hand: {page}"
    );
    assert!(page.contains("<input type=\"checkbox\" id=\"drafts\" name=\"drafts\" value=\"1\">"));
    assert!(page.contains("Los enlaces de abajo incluyen solo las respuestas enviadas."));
    let with_drafts = app
        .get(&format!("{exports}?drafts=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(with_drafts.contains("name=\"drafts\" value=\"1\" checked"));
    assert!(with_drafts.contains("/export/matrix.csv?drafts=1\""));
    assert!(with_drafts.contains("Los enlaces de abajo incluyen los borradores."));
    for file in ["matrix.csv", "answers.csv", "mechanisms.csv"] {
        let body = app
            .get(&format!(
                "/organizer/assessments/{}/export/{file}?drafts=1",
                f.assessment
            ))
            .await
            .bytes()
            .await
            .unwrap();
        assert!(
            body.starts_with(b"\xEF\xBB\xBF"),
            "{file} starts with a BOM"
        );
        assert_eq!(
            body.windows(3).filter(|w| w == b"\xEF\xBB\xBF").count(),
            1,
            "{file}: one BOM"
        );
    }
}

/// The XML of one part of an xlsx file.
fn xlsx_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut part = archive.by_name(name).unwrap();
    let mut xml = String::new();
    part.read_to_string(&mut xml).unwrap();
    xml
}

#[actix_web::test]
async fn the_workbook_freezes_its_headers_filters_sizes_columns_and_writes_labels() {
    let app = TestApp::spawn().await;
    let f = forum::forum(&app).await;
    let user = organizer_id(&app);
    let now = capacity_survey::service::now();
    // A flow, so that every sheet has rows.
    let snm = forum::organization_id(&app, "SNM");
    forum::add_mechanism(&f.rep, &app, &f.response, "Entradas", &snm, "").await;
    store::responses::put_answer(
        &mut app.conn(),
        &f.response,
        "legal.mandate",
        "na",
        None,
        &user,
        now,
    )
    .unwrap();
    let bytes = app
        .get(&format!(
            "/organizer/assessments/{}/export/workbook.xlsx?drafts=1",
            f.assessment
        ))
        .await
        .bytes()
        .await
        .unwrap();
    for sheet in 1..=6 {
        let xml = xlsx_part(&bytes, &format!("xl/worksheets/sheet{sheet}.xml"));
        assert!(
            xml.contains(
                "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
            ),
            "sheet {sheet}: {xml}"
        );
        // Filters and widths wherever there is a table (the gaps sheet may have none).
        if sheet < 6 || xml.contains("<row ") {
            assert!(
                xml.contains("<autoFilter ref=\"A1:"),
                "sheet {sheet}: {xml}"
            );
            assert!(
                xml.contains("<cols><col min=\"1\" max=\""),
                "sheet {sheet}: {xml}"
            );
        }
    }
    // "Not applicable" is written as its label, not its code.
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let answers = workbook.worksheet_range_at(1).unwrap().unwrap();
    let cells: Vec<String> = answers
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(cells.iter().any(|c| c == "No aplica"), "{cells:?}");
    assert!(!cells.iter().any(|c| c == "na"));
}

#[actix_web::test]
async fn the_overview_shows_the_reopen_reason_and_the_progress_the_organizer_sees() {
    let app = TestApp::spawn().await;
    let f = forum::forum(&app).await;
    // A complete mechanism entry is optional: it must not change the overall count.
    let snm = forum::organization_id(&app, "SNM");
    assert_eq!(
        forum::add_mechanism(&f.rep, &app, &f.response, "Entradas", &snm, "")
            .await
            .status(),
        303
    );
    // A text answer on two lines.
    let instrument = forum::instrument();
    let text_item = instrument
        .sections
        .iter()
        .flat_map(|s| s.items())
        .find(|i| {
            matches!(
                i.kind,
                ItemKind::Text {
                    multiline: true,
                    ..
                }
            )
        })
        .expect("a multi-line text item");
    let user = organizer_id(&app);
    let now = capacity_survey::service::now();
    store::responses::put_answer(
        &mut app.conn(),
        &f.response,
        &text_item.key,
        "Primera línea\nSegunda línea",
        None,
        &user,
        now,
    )
    .unwrap();

    let overview = support::text(&f.rep, &app.url(&format!("/responses/{}", f.response))).await;
    let progress_page = app
        .get(&format!("/organizer/assessments/{}", f.assessment))
        .await
        .text()
        .await
        .unwrap();
    // "(answered/required)" on the organizer's page; "% (answered/required)" on the overview.
    let organizers = {
        let at = progress_page
            .find("<span class=\"muted nowrap\">(")
            .unwrap()
            + "<span class=\"muted nowrap\">".len();
        progress_page[at..at + progress_page[at..].find(')').unwrap() + 1].to_owned()
    };
    assert!(
        overview.contains(&format!("% {organizers}</dd>")),
        "{organizers} in {overview}"
    );
    assert!(overview.contains("1 mecanismo registrado"));

    // Reopened with a reason on two lines: the overview shows it, lines kept.
    assert!(store::responses::submit(&mut app.conn(), &f.response, &user, now).unwrap());
    let review_url = format!("/responses/{}/review", f.response);
    let review = app.get(&review_url).await.text().await.unwrap();
    assert!(
        review.contains("<h1>Respuestas de la organización</h1>"),
        "organizer's title"
    );
    assert!(!review.contains("Revisión y envío"));
    assert!(
        review.contains("<span class=\"multiline\">Primera línea\nSegunda línea</span>"),
        "{review}"
    );
    let token = support::csrf_in(&review).unwrap();
    let reopened = app
        .post_form(
            &format!("/organizer/responses/{}/reopen", f.response),
            &[
                ("csrf_token", &token),
                ("reason", "Falta la evidencia de la sección 2."),
            ],
        )
        .await;
    assert_eq!(reopened.status(), 303);
    let overview = support::text(&f.rep, &app.url(&format!("/responses/{}", f.response))).await;
    assert!(
        overview.contains("La organización del foro reabrió esta respuesta"),
        "{overview}"
    );
    assert!(overview.contains("<p class=\"multiline\">Falta la evidencia de la sección 2.</p>"));
    let own_review = support::text(&f.rep, &app.url(&review_url)).await;
    assert!(own_review.contains("<h1>Revisión y envío</h1>"));
}

#[actix_web::test]
async fn an_invitation_says_reply_only_with_a_reply_to_the_inviting_organizer() {
    let app = TestApp::spawn().await;
    forum::forum(&app).await;
    // No reply-to address is configured: the invitation's replies go to the organizer.
    let messages = store::outbox::all(&mut app.conn()).unwrap();
    let invitation = messages.iter().find(|m| m.kind == "invitation").unwrap();
    assert_eq!(invitation.reply_to.as_deref(), Some(forum::ORGANIZER));
    assert!(invitation.body_text.contains("responda a este correo"));
    let built = app
        .state
        .mailer
        .build(&outbox::outgoing(invitation))
        .unwrap();
    let headers = String::from_utf8(built.formatted()).unwrap();
    assert!(
        headers.contains(&format!("Reply-To: {}", forum::ORGANIZER)),
        "{headers}"
    );

    // A message nobody in particular sent says nothing of replying, and has no Reply-To.
    let mut digest = invitation.clone();
    digest.reply_to = None;
    let built = app.state.mailer.build(&outbox::outgoing(&digest)).unwrap();
    assert!(
        !String::from_utf8(built.formatted())
            .unwrap()
            .contains("Reply-To:")
    );
}
