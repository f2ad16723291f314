//! Stories of the questionnaire: an organizer sets up an assessment, a representative fills it in
//! over several visits and submits; conflicts, access and bad input.

use capacity_survey::domain::instrument::SectionBody;
use capacity_survey::store::schema::users;
use diesel::prelude::*;

use crate::forum::{self, Forum};
use crate::support::{self, PASSWORD, TestApp};

fn one(key: &str, value: &str) -> (String, Vec<String>) {
    (key.to_owned(), vec![value.to_owned()])
}

#[actix_web::test]
async fn a_representative_fills_in_the_whole_questionnaire_over_several_visits_and_submits() {
    let app = TestApp::spawn().await;
    let Forum {
        assessment,
        rep,
        response,
    } = forum::forum(&app).await;
    let instrument = forum::instrument();

    // The response page lists the sections with their progress.
    let overview = support::get(&rep, &app.url(&format!("/responses/{response}"))).await;
    assert_eq!(overview.status(), 200);
    let overview = overview.text().await.unwrap();
    assert!(overview.contains("Instituto Nacional de Estadística y Censo"));
    for section in &instrument.sections {
        assert!(overview.contains(&section.title.es), "{}", section.key);
    }

    // A partial save keeps what was filled and says when.
    let saved = forum::save_section(
        &rep,
        &app,
        &response,
        "legal",
        &[one("legal.mandate", "3")],
        &[("legal.mandate", "Ley 3 de 2008, artículo 12")],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let page = support::text(
        &rep,
        &app.url(&format!("/responses/{response}/sections/legal")),
    )
    .await;
    assert!(page.contains("id=\"q-legal-mandate-3\" name=\"v.legal.mandate\" value=\"3\" checked"));
    assert!(page.contains("Ley 3 de 2008, artículo 12"));
    assert!(page.contains("Cambios guardados."));
    // The five level descriptions are the choices, with not applicable and don't know.
    let mandate = instrument.item("legal.mandate").unwrap();
    if let capacity_survey::domain::instrument::ItemKind::Maturity { levels } = &mandate.kind {
        for level in levels {
            assert!(page.contains(&level.es), "level text missing: {}", level.es);
        }
    }
    assert!(page.contains("No aplica") && page.contains("No sabe"));

    // The review page lists what is still missing, with links.
    let review = support::text(&rep, &app.url(&format!("/responses/{response}/review"))).await;
    assert!(review.contains("respuestas obligatorias"));
    assert!(review.contains(&format!(
        "/responses/{response}/sections/legal#q-legal-sharing"
    )));

    // Log out, log in again (a new device): the saved answer is there.
    let token = support::csrf_of(&rep, &app.url(&format!("/responses/{response}"))).await;
    support::post_form(&rep, &app.url("/logout"), &[("csrf_token", &token)]).await;
    assert_eq!(
        support::get(&rep, &app.url(&format!("/responses/{response}")))
            .await
            .status(),
        303
    );
    let other_device = app.new_client();
    assert_eq!(
        support::login(&other_device, &app.base, "ana@inec.gob.pa", PASSWORD)
            .await
            .status(),
        303
    );
    let home = support::text(&other_device, &app.url("/")).await;
    assert!(home.contains(&format!("/responses/{response}")));
    let page = support::text(
        &other_device,
        &app.url(&format!("/responses/{response}/sections/legal")),
    )
    .await;
    assert!(page.contains("value=\"3\" checked"));
    let rep = other_device;

    // Submitting now is refused and lists the missing answers.
    let token = support::csrf_of(&rep, &app.url(&format!("/responses/{response}/review"))).await;
    let early = support::post_form(
        &rep,
        &app.url(&format!("/responses/{response}/submit")),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(early.status(), 422);

    // Fill every section; the domain grid too.
    for section in &instrument.sections {
        if matches!(section.body, SectionBody::Mechanisms(_)) {
            continue;
        }
        let answers = forum::complete_answers(&instrument, &section.key);
        let saved = forum::save_section(&rep, &app, &response, &section.key, &answers, &[]).await;
        assert_eq!(saved.status(), 303, "section {}", section.key);
    }
    // Two mechanisms: one with a forum organization, one with an outside body.
    let snm = forum::organization_id(&app, "SNM");
    let link = forum::invite(
        &app,
        &assessment,
        &snm,
        "Luis Gómez",
        "luis@migracion.gob.pa",
    )
    .await;
    assert!(link.starts_with("/invite/"));
    let added = forum::add_mechanism(
        &rep,
        &app,
        &response,
        "Entradas y salidas mensuales",
        &snm,
        "",
    )
    .await;
    assert_eq!(added.status(), 303);
    let added = forum::add_mechanism(
        &rep,
        &app,
        &response,
        "Informe a la OIM",
        "",
        "Organización Internacional para las Migraciones",
    )
    .await;
    assert_eq!(added.status(), 303);
    let list = support::text(&rep, &app.url(&format!("/responses/{response}/mechanisms"))).await;
    assert!(list.contains("Entradas y salidas mensuales"));
    assert!(list.contains("SNM · Servicio Nacional de Migración"));
    assert!(list.contains("Organización Internacional para las Migraciones"));

    // Nothing is missing now: submit.
    let review = support::text(&rep, &app.url(&format!("/responses/{response}/review"))).await;
    assert!(
        !review.contains("id=\"missing-title\""),
        "still missing: {review}"
    );
    let token = support::csrf_in(&review).unwrap();
    let submitted = support::post_form(
        &rep,
        &app.url(&format!("/responses/{response}/submit")),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(submitted.status(), 303);
    let review = support::text(&rep, &app.url(&format!("/responses/{response}/review"))).await;
    assert!(review.contains("Enviada el"));
    assert!(review.contains("Ana Pérez"), "who submitted");

    // After submission the response is read-only.
    let page = support::text(
        &rep,
        &app.url(&format!("/responses/{response}/sections/legal")),
    )
    .await;
    assert!(page.contains("disabled"));
    assert!(!page.contains("Guardar y continuar"));
    let late = forum::post_section(
        &rep,
        &app,
        &response,
        "legal",
        &token,
        "2",
        &[one("legal.mandate", "0")],
        &[],
    )
    .await;
    assert_eq!(late.status(), 409);
    let stored = capacity_survey::store::responses::answers(&mut app.conn(), &response).unwrap();
    let mandate = stored
        .iter()
        .find(|a| a.item_key == "legal.mandate")
        .unwrap();
    assert_eq!(mandate.value, "2");

    // The organizer sees it submitted, and reopens it with a reason.
    let progress = app
        .get(&format!("/organizer/assessments/{assessment}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(progress.contains("stage-submitted"));
    let token = app.csrf(&format!("/responses/{response}/review")).await;
    let refused = app
        .post_form(
            &format!("/organizer/responses/{response}/reopen"),
            &[("csrf_token", &token), ("reason", "  ")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let reopened = app
        .post_form(
            &format!("/organizer/responses/{response}/reopen"),
            &[
                ("csrf_token", &token),
                ("reason", "Corregir la sección legal"),
            ],
        )
        .await;
    assert_eq!(reopened.status(), 303);
    let again = forum::save_section(
        &rep,
        &app,
        &response,
        "legal",
        &[one("legal.mandate", "4")],
        &[],
    )
    .await;
    assert_eq!(again.status(), 303);
    let review = support::text(&rep, &app.url(&format!("/responses/{response}/review"))).await;
    assert!(review.contains("Reabierta"));
    assert!(review.contains("Corregir la sección legal"));
}

#[actix_web::test]
async fn a_csv_with_errors_imports_nothing_and_duplicates_are_not_doubled() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    let bad = "nombre;sigla;sector;correo de contacto\n\
               Instituto Nacional de Estadística y Censo;INEC;statistics;ana@inec.gob.pa\n\
               ;SNM;immigration_borders;\n\
               Ministerio de Salud;MINSA;farming;x@minsa.gob.pa\n\
               Ministerio de Trabajo;MITRADEL;labour;not-an-email\n";
    let response = forum::import_csv(&app, bad).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("No se importó ninguna fila"));
    for line in ["<td>3</td>", "<td>4</td>", "<td>5</td>"] {
        assert!(html.contains(line), "row {line} reported");
    }
    assert!(
        capacity_survey::store::organizations::list(&mut app.conn())
            .unwrap()
            .is_empty()
    );

    let ok = forum::import_csv(&app, forum::ORGANIZATIONS_CSV).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        capacity_survey::store::organizations::list(&mut app.conn())
            .unwrap()
            .len(),
        3
    );
    // The same file again (with a BOM and one new row): known ones are skipped, not doubled.
    let again = format!(
        "\u{feff}{}Ministerio de Salud,MINSA,health,,\n",
        forum::ORGANIZATIONS_CSV
    );
    let response = forum::import_csv(&app, &again).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("1 organización nueva."), "{html}");
    assert!(html.contains("Ya registradas"));
    assert_eq!(
        capacity_survey::store::organizations::list(&mut app.conn())
            .unwrap()
            .len(),
        4
    );

    // By hand: a duplicate acronym is refused next to the field, typed values kept.
    let token = app.csrf("/organizer/organizations/new").await;
    let dup = app
        .post_form(
            "/organizer/organizations",
            &[
                ("csrf_token", &token),
                ("name", "Otro nombre"),
                ("acronym", "inec"),
                ("sector", "statistics"),
            ],
        )
        .await;
    assert_eq!(dup.status(), 422);
    let html = dup.text().await.unwrap();
    assert!(html.contains("id=\"acronym-error\""));
    assert!(html.contains("value=\"Otro nombre\""));
}

#[actix_web::test]
async fn two_representatives_saving_from_stale_pages_see_the_conflict_and_lose_nothing() {
    let app = TestApp::spawn().await;
    let Forum {
        assessment,
        rep: first,
        response,
    } = forum::forum(&app).await;
    let inec = forum::organization_id(&app, "INEC");
    let link = forum::invite(&app, &assessment, &inec, "Beto Ruiz", "beto@inec.gob.pa").await;
    let (second, same_response) = forum::accept(&app, &link, "Beto Ruiz").await;
    assert_eq!(
        same_response, response,
        "both work on the organization's one response"
    );

    // Both open the legal section at the same version.
    let (first_token, first_version) = forum::section_state(&first, &app, &response, "legal").await;
    let (second_token, second_version) =
        forum::section_state(&second, &app, &response, "legal").await;
    assert_eq!(first_version, second_version);

    let saved = forum::post_section(
        &first,
        &app,
        &response,
        "legal",
        &first_token,
        &first_version,
        &[one("legal.mandate", "3"), one("legal.sharing", "1")],
        &[("legal.mandate", "Decreto 40")],
    )
    .await;
    assert_eq!(saved.status(), 303);

    let stale = forum::post_section(
        &second,
        &app,
        &response,
        "legal",
        &second_token,
        &second_version,
        &[one("legal.mandate", "1"), one("legal.sharing", "1")],
        &[("legal.mandate", "Según la ley orgánica")],
    )
    .await;
    assert_eq!(stale.status(), 409);
    let html = stale.text().await.unwrap();
    // Who saved, and a link that really reloads (a GET of the section, not the form again).
    assert!(
        html.contains("Ana Pérez guardó esta sección ("),
        "the colleague is named:\n{html}"
    );
    assert!(html.contains(&format!(
        "<a href=\"/responses/{response}/sections/legal\">Volver a cargar la sección</a>"
    )));
    // Their value for the differing item, and the user's own typed values kept.
    assert!(html.contains("Versión guardada:"));
    assert!(html.contains("Decreto 40"));
    assert!(html.contains("id=\"q-legal-mandate-1\" name=\"v.legal.mandate\" value=\"1\" checked"));
    assert!(html.contains("Según la ley orgánica"));
    // The first save is intact.
    let stored = capacity_survey::store::responses::answers(&mut app.conn(), &response).unwrap();
    let mandate = stored
        .iter()
        .find(|a| a.item_key == "legal.mandate")
        .unwrap();
    assert_eq!(mandate.value, "3");
    assert_eq!(mandate.evidence.as_deref(), Some("Decreto 40"));

    // Saving again from the conflict page (it carries the new version) applies the user's choice.
    let token = support::csrf_in(&html).unwrap();
    let marker = "name=\"version\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let version = &html[start..start + html[start..].find('"').unwrap()];
    let resolved = forum::post_section(
        &second,
        &app,
        &response,
        "legal",
        &token,
        version,
        &[one("legal.mandate", "1")],
        &[("legal.mandate", "Según la ley orgánica")],
    )
    .await;
    assert_eq!(resolved.status(), 303);
    let stored = capacity_survey::store::responses::answers(&mut app.conn(), &response).unwrap();
    assert_eq!(
        stored
            .iter()
            .find(|a| a.item_key == "legal.mandate")
            .unwrap()
            .value,
        "1"
    );
    // legal.sharing was not on the last form: untouched.
    assert_eq!(
        stored
            .iter()
            .find(|a| a.item_key == "legal.sharing")
            .unwrap()
            .value,
        "1"
    );
}

#[actix_web::test]
async fn a_representative_cannot_read_or_write_another_organizations_response() {
    let app = TestApp::spawn().await;
    let Forum {
        assessment,
        rep: inec_rep,
        response: inec,
    } = forum::forum(&app).await;
    let snm_id = forum::organization_id(&app, "SNM");
    let link = forum::invite(
        &app,
        &assessment,
        &snm_id,
        "Luis Gómez",
        "luis@migracion.gob.pa",
    )
    .await;
    let (snm_rep, snm) = forum::accept(&app, &link, "Luis Gómez").await;
    let saved = forum::save_section(
        &snm_rep,
        &app,
        &snm,
        "legal",
        &[one("legal.mandate", "4")],
        &[],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let added = forum::add_mechanism(&snm_rep, &app, &snm, "Secreto de SNM", "", "Otra").await;
    assert_eq!(added.status(), 303);
    let mechanism_id = capacity_survey::store::mechanisms::list_for_response(&mut app.conn(), &snm)
        .unwrap()[0]
        .id
        .clone();

    let token = support::csrf_of(&inec_rep, &app.url(&format!("/responses/{inec}"))).await;
    for path in [
        format!("/responses/{snm}"),
        format!("/responses/{snm}/review"),
        format!("/responses/{snm}/sections/legal"),
        format!("/responses/{snm}/mechanisms"),
        format!("/responses/{snm}/mechanisms/new"),
        format!("/responses/{snm}/mechanisms/{mechanism_id}"),
        format!("/responses/{inec}/mechanisms/{mechanism_id}"),
        "/responses/does-not-exist".to_owned(),
        format!("/organizer/assessments/{assessment}"),
        "/organizer/organizations".to_owned(),
    ] {
        let response = support::get(&inec_rep, &app.url(&path)).await;
        let status = response.status().as_u16();
        assert!(status == 403 || status == 404, "GET {path} gave {status}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("Secreto de SNM"), "GET {path} leaked");
    }
    for (path, fields) in [
        (
            format!("/responses/{snm}/sections/legal"),
            vec![
                ("version", "1"),
                ("_items", "legal.mandate"),
                ("v.legal.mandate", "0"),
            ],
        ),
        (format!("/responses/{snm}/submit"), vec![]),
        (
            format!("/responses/{snm}/mechanisms"),
            vec![("version", "0"), ("v.name", "Intruso")],
        ),
        (
            format!("/responses/{snm}/mechanisms/{mechanism_id}"),
            vec![("version", "1"), ("v.name", "Intruso")],
        ),
        (
            format!("/responses/{snm}/mechanisms/{mechanism_id}/delete"),
            vec![],
        ),
        (
            format!("/responses/{inec}/mechanisms/{mechanism_id}/delete"),
            vec![],
        ),
        (
            format!("/organizer/responses/{snm}/reopen"),
            vec![("reason", "x")],
        ),
    ] {
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend(fields);
        let response = support::post_form(&inec_rep, &app.url(&path), &form).await;
        let status = response.status().as_u16();
        assert!(status == 403 || status == 404, "POST {path} gave {status}");
    }
    // Nothing of SNM's changed.
    let stored = capacity_survey::store::responses::answers(&mut app.conn(), &snm).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].value, "4");
    let mechanisms =
        capacity_survey::store::mechanisms::list_for_response(&mut app.conn(), &snm).unwrap();
    assert_eq!(mechanisms.len(), 1);
    assert_eq!(mechanisms[0].name, "Secreto de SNM");
}

#[actix_web::test]
async fn bad_answers_come_back_with_messages_and_nothing_saved_is_lost() {
    let app = TestApp::spawn().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;
    let saved = forum::save_section(
        &rep,
        &app,
        &response,
        "about",
        &[
            one("about.focal_point_name", "Ana Pérez"),
            one("about.staff", "12"),
        ],
        &[],
    )
    .await;
    assert_eq!(saved.status(), 303);

    // Out of range, too long, not a number: 422, each message next to its item, typed values kept.
    let long = "x".repeat(5000);
    let bad = forum::save_section(
        &rep,
        &app,
        &response,
        "about",
        &[
            one("about.focal_point_name", "Ana María Pérez"),
            one("about.staff", "-3"),
            one("about.focal_point_position", &long),
        ],
        &[],
    )
    .await;
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("id=\"q-about-staff-error\""));
    assert!(html.contains("id=\"q-about-focal_point_position-error\""));
    assert!(html.contains("value=\"-3\""));
    assert!(html.contains("value=\"Ana María Pérez\""));
    let stored = capacity_survey::store::responses::answers(&mut app.conn(), &response).unwrap();
    let value = |key: &str| {
        stored
            .iter()
            .find(|a| a.item_key == key)
            .map(|a| a.value.clone())
    };
    assert_eq!(
        value("about.focal_point_name").as_deref(),
        Some("Ana Pérez")
    );
    assert_eq!(value("about.staff").as_deref(), Some("12"));

    // A level that does not exist, in English this time.
    let (token, version) = forum::section_state(&rep, &app, &response, "legal").await;
    let bad_level = rep
        .post(app.url(&format!("/responses/{response}/sections/legal?lang=en")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("version", version.as_str()),
            ("_items", "legal.mandate"),
            ("v.legal.mandate", "7"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_level.status(), 422);
    assert!(
        bad_level
            .text()
            .await
            .unwrap()
            .contains("<html lang=\"en\"")
    );

    // An unknown item, or an item of another section: refused, nothing saved.
    for key in ["legal.nope", "quality.revisions"] {
        let refused =
            forum::save_section(&rep, &app, &response, "about", &[one(key, "2")], &[]).await;
        assert_eq!(refused.status(), 422, "{key}");
    }
    // A missing version is a bad request, not a crash.
    let token = support::csrf_of(&rep, &app.url(&format!("/responses/{response}"))).await;
    let no_version = support::post_form(
        &rep,
        &app.url(&format!("/responses/{response}/sections/legal")),
        &[("csrf_token", &token), ("_items", "legal.mandate")],
    )
    .await;
    assert_eq!(no_version.status(), 400);
    assert_eq!(
        support::get(
            &rep,
            &app.url(&format!("/responses/{response}/sections/nope"))
        )
        .await
        .status(),
        404
    );

    // A save that lists one item never wipes the others.
    let partial = forum::save_section(
        &rep,
        &app,
        &response,
        "about",
        &[one("about.staff", "15")],
        &[],
    )
    .await;
    assert_eq!(partial.status(), 303);
    let stored = capacity_survey::store::responses::answers(&mut app.conn(), &response).unwrap();
    let value = |key: &str| {
        stored
            .iter()
            .find(|a| a.item_key == key)
            .map(|a| a.value.clone())
    };
    assert_eq!(
        value("about.focal_point_name").as_deref(),
        Some("Ana Pérez")
    );
    assert_eq!(value("about.staff").as_deref(), Some("15"));
}

#[actix_web::test]
async fn answers_are_refused_outside_the_assessment_period() {
    let app = TestApp::spawn().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;
    let (token, version) = forum::section_state(&rep, &app, &response, "legal").await;
    app.clock.advance(chrono::Duration::days(40));
    let closed = forum::post_section(
        &rep,
        &app,
        &response,
        "legal",
        &token,
        &version,
        &[one("legal.mandate", "2")],
        &[],
    )
    .await;
    assert_eq!(closed.status(), 409);
    assert!(
        closed
            .text()
            .await
            .unwrap()
            .contains("La evaluación está cerrada")
    );
    let page = support::text(
        &rep,
        &app.url(&format!("/responses/{response}/sections/legal")),
    )
    .await;
    assert!(page.contains("La evaluación está cerrada"));
    assert!(
        capacity_survey::store::responses::answers(&mut app.conn(), &response)
            .unwrap()
            .is_empty()
    );
}

#[actix_web::test]
async fn invitation_links_are_single_use_expire_and_can_be_revoked_and_resent() {
    let app = TestApp::spawn().await;
    forum::organizer(&app).await;
    assert_eq!(
        forum::import_csv(&app, forum::ORGANIZATIONS_CSV)
            .await
            .status(),
        200
    );
    let assessment = forum::create_assessment(&app).await;
    let onpar = forum::organization_id(&app, "ONPAR");

    // Used once, then dead.
    let link = forum::invite(
        &app,
        &assessment,
        &onpar,
        "Carla Díaz",
        "carla@onpar.gob.pa",
    )
    .await;
    let (_, _) = forum::accept(&app, &link, "Carla Díaz").await;
    let used = support::get(&app.new_client(), &app.url(&link)).await;
    assert_eq!(used.status(), 410);
    assert!(used.text().await.unwrap().contains("ya se utilizó"));
    assert_eq!(
        support::get(&app.new_client(), &app.url("/invite/0123456789abcdef"))
            .await
            .status(),
        404
    );

    // Revoked, then resent: the old link is dead, the new one works.
    let link = forum::invite(
        &app,
        &assessment,
        &onpar,
        "Dario Vega",
        "dario@onpar.gob.pa",
    )
    .await;
    let invitation =
        capacity_survey::store::invitations::list_for_assessment(&mut app.conn(), &assessment)
            .unwrap()
            .into_iter()
            .find(|i| i.email == "dario@onpar.gob.pa")
            .unwrap();
    let token = app
        .csrf(&format!("/organizer/assessments/{assessment}"))
        .await;
    let revoked = app
        .post_form(
            &format!("/organizer/invitations/{}/revoke", invitation.id),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(
        support::get(&app.new_client(), &app.url(&link))
            .await
            .status(),
        410
    );
    let resent = app
        .post_form(
            &format!("/organizer/invitations/{}/resend", invitation.id),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(resent.status(), 200);
    let new_link = forum::link_in(&resent.text().await.unwrap(), &app.base);
    assert_ne!(new_link, link);
    assert_eq!(
        support::get(&app.new_client(), &app.url(&new_link))
            .await
            .status(),
        200
    );

    // Expired after 30 days.
    app.clock.advance(chrono::Duration::days(31));
    let expired = support::get(&app.new_client(), &app.url(&new_link)).await;
    assert_eq!(expired.status(), 410);
    assert!(expired.text().await.unwrap().contains("venció"));
}

#[actix_web::test]
async fn an_existing_account_logs_in_to_accept_and_the_progress_page_follows_each_organization() {
    let app = TestApp::spawn().await;
    let Forum {
        assessment,
        rep,
        response,
    } = forum::forum(&app).await;
    // Ana is invited again, for SNM: she proves she owns the account with her password.
    let snm = forum::organization_id(&app, "SNM");
    let onpar = forum::organization_id(&app, "ONPAR");
    let link = forum::invite(&app, &assessment, &snm, "Ana Pérez", "ana@inec.gob.pa").await;
    let page = support::text(&rep, &app.url(&link)).await;
    assert!(page.contains("Ha iniciado sesión con la cuenta invitada"));
    let stranger = app.new_client();
    let token = support::csrf_of(&stranger, &app.url(&link)).await;
    let wrong = support::post_form(
        &stranger,
        &app.url(&link),
        &[("csrf_token", &token), ("password", "not her password")],
    )
    .await;
    assert_eq!(wrong.status(), 422);
    let right = support::post_form(
        &stranger,
        &app.url(&link),
        &[("csrf_token", &token), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(right.status(), 303);
    let home = support::text(&stranger, &app.url("/")).await;
    assert_eq!(
        home.matches("/responses/").count(),
        2,
        "one account, two organizations"
    );

    // ONPAR is invited but nobody opened the link yet; INEC is in progress.
    let _ = forum::invite(
        &app,
        &assessment,
        &onpar,
        "Carla Díaz",
        "carla@onpar.gob.pa",
    )
    .await;
    let saved = forum::save_section(
        &rep,
        &app,
        &response,
        "legal",
        &[one("legal.mandate", "2")],
        &[],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let progress = app
        .get(&format!(
            "/organizer/assessments/{assessment}?sort=progress&dir=desc"
        ))
        .await
        .text()
        .await
        .unwrap();
    let inec_at = progress.find(">INEC<").unwrap();
    let onpar_at = progress.find(">ONPAR<").unwrap();
    assert!(inec_at < onpar_at, "sorted by progress, highest first");
    assert!(progress.contains("stage-in_progress"));
    assert!(progress.contains("stage-invited"));
    assert!(progress.contains("aria-sort=\"descending\""));
    let filtered = app
        .get(&format!(
            "/organizer/assessments/{assessment}?status=invited"
        ))
        .await
        .text()
        .await
        .unwrap();
    let start = filtered.find("progress-table").unwrap();
    let table = &filtered[start..start + filtered[start..].find("</table>").unwrap()];
    assert!(table.contains(">ONPAR<"));
    assert!(!table.contains(">INEC<"));
}

#[actix_web::test]
async fn save_and_continue_moves_on_and_mechanism_entries_are_edited_removed_and_guarded() {
    let app = TestApp::spawn().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;

    // "Save and continue" goes to the next section of the instrument.
    let (token, version) = forum::section_state(&rep, &app, &response, "legal").await;
    let next = rep
        .post(app.url(&format!("/responses/{response}/sections/legal")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("version", version.as_str()),
            ("action", "continue"),
            ("_items", "legal.mandate"),
            ("v.legal.mandate", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), 303);
    assert_eq!(
        support::location(&next),
        format!("/responses/{response}/sections/collection")
    );

    // A mechanism without a name is refused; with one, it is added.
    let token = support::csrf_of(
        &rep,
        &app.url(&format!("/responses/{response}/mechanisms/new")),
    )
    .await;
    let nameless = support::post_form(
        &rep,
        &app.url(&format!("/responses/{response}/mechanisms")),
        &[
            ("csrf_token", &token),
            ("version", "0"),
            ("partner_name", "OIM"),
            ("v.delay_days", "abc"),
        ],
    )
    .await;
    assert_eq!(nameless.status(), 422);
    let html = nameless.text().await.unwrap();
    assert!(html.contains("id=\"m-name-error\""));
    assert!(html.contains("id=\"m-delay_days-error\""));
    assert!(html.contains("value=\"OIM\""), "typed values kept");
    let added = forum::add_mechanism(&rep, &app, &response, "Registro de asilo", "", "OIM").await;
    assert_eq!(added.status(), 303);
    let rows =
        capacity_survey::store::mechanisms::list_for_response(&mut app.conn(), &response).unwrap();
    assert_eq!(rows.len(), 1);
    let id = rows[0].id.clone();
    assert_eq!(rows[0].domains.as_deref(), Some("border_flows|asylum"));
    assert_eq!(rows[0].delay_days, Some(15));

    // Two edits from the same loaded version: the second is a conflict that changes nothing.
    let edit_url = app.url(&format!("/responses/{response}/mechanisms/{id}"));
    let page = support::text(&rep, &edit_url).await;
    let token = support::csrf_in(&page).unwrap();
    let edit = |name: &'static str| {
        let rep = rep.clone();
        let url = edit_url.clone();
        let token = token.clone();
        async move {
            rep.post(url)
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("version", "1"),
                    ("v.name", name),
                    ("partner_name", "OIM"),
                    ("v.status", "planned"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(edit("Registro de asilo (revisado)").await.status(), 303);
    let stale = edit("Otro nombre").await;
    assert_eq!(stale.status(), 409);
    let html = stale.text().await.unwrap();
    assert!(
        html.contains("Registro de asilo (revisado)"),
        "the colleague's version is shown"
    );
    assert!(
        html.contains("value=\"Otro nombre\""),
        "the user's typing is kept"
    );
    let rows =
        capacity_survey::store::mechanisms::list_for_response(&mut app.conn(), &response).unwrap();
    assert_eq!(rows[0].name, "Registro de asilo (revisado)");
    assert_eq!(rows[0].status.as_deref(), Some("planned"));
    assert_eq!(
        rows[0].domains, None,
        "fields left empty on the form are cleared"
    );

    // Removal.
    let removed = support::post_form(
        &rep,
        &app.url(&format!("/responses/{response}/mechanisms/{id}/delete")),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(removed.status(), 303);
    assert!(
        capacity_survey::store::mechanisms::list_for_response(&mut app.conn(), &response)
            .unwrap()
            .is_empty()
    );
    let again = support::post_form(
        &rep,
        &app.url(&format!("/responses/{response}/mechanisms/{id}/delete")),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(again.status(), 404);
}

#[actix_web::test]
async fn the_page_script_autosaves_through_json_answers() {
    let app = TestApp::spawn().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;
    let (token, version) = forum::section_state(&rep, &app, &response, "legal").await;
    let url = app.url(&format!("/responses/{response}/sections/legal"));
    let post = |version: String, value: &'static str| {
        let rep = rep.clone();
        let url = url.clone();
        let token = token.clone();
        async move {
            rep.post(url)
                .header("accept", "application/json")
                .header("x-csrf-token", token)
                .form(&[
                    ("version", version.as_str()),
                    ("_items", "legal.mandate"),
                    ("v.legal.mandate", value),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let saved = post(version.clone(), "2").await;
    assert_eq!(saved.status(), 200);
    let body: serde_json::Value = serde_json::from_str(&saved.text().await.unwrap()).unwrap();
    let next = body["version"].as_i64().unwrap();
    assert_eq!(next, version.parse::<i64>().unwrap() + 1);

    // A stale version is a conflict, answered in JSON with the colleague's values.
    let stale = post(version, "4").await;
    assert_eq!(stale.status(), 409);
    let body: serde_json::Value = serde_json::from_str(&stale.text().await.unwrap()).unwrap();
    assert_eq!(body["conflict"], true);
    assert_eq!(body["version"], next);
    assert!(
        body["theirs"]["legal.mandate"]
            .as_str()
            .unwrap()
            .starts_with("2 ·")
    );

    // Invalid values come back as messages by item.
    let invalid = post(next.to_string(), "9").await;
    assert_eq!(invalid.status(), 422);
    let body: serde_json::Value = serde_json::from_str(&invalid.text().await.unwrap()).unwrap();
    assert!(body["errors"]["legal.mandate"].is_string());
    let stored = capacity_survey::store::responses::answers(&mut app.conn(), &response).unwrap();
    assert_eq!(stored[0].value, "2");

    // The script is served, and the section form carries what it needs.
    let page = support::text(&rep, &url).await;
    assert!(page.contains("data-autosave=\""));
    assert!(
        page.contains(
            "id=\"save-status\" class=\"save-status\" role=\"status\" aria-live=\"polite\""
        )
    );
    let start = page.find("/static/app.js?v=").unwrap();
    let end = start + page[start..].find('"').unwrap();
    let script = app.get(&page[start..end]).await;
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
}

/// Whether a reply sends the session cookie again.
fn sets_session(reply: &reqwest::Response) -> bool {
    reply
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap_or_default().starts_with("cs_session="))
}

#[actix_web::test]
async fn a_section_view_leaves_the_session_alone_and_a_removed_account_is_logged_out() {
    let app = TestApp::spawn().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;
    let url = app.url(&format!("/responses/{response}/sections/legal"));

    // Once the message left by accepting the invitation has been shown, viewing a page changes
    // nothing in the session, so its cookie is not sent again.
    assert_eq!(support::get(&rep, &url).await.status(), 200);
    let view = support::get(&rep, &url).await;
    assert_eq!(view.status(), 200);
    assert!(!sets_session(&view));

    // A save leaves a one-time message; the next view shows it and takes it out of the session
    // (a new cookie), the view after that sends none.
    let saved = forum::save_section(
        &rep,
        &app,
        &response,
        "legal",
        &[one("legal.mandate", "2")],
        &[],
    )
    .await;
    assert_eq!(saved.status(), 303);
    assert!(sets_session(&saved));
    let shown = support::get(&rep, &url).await;
    assert!(sets_session(&shown));
    assert!(shown.text().await.unwrap().contains("Cambios guardados."));
    let again = support::get(&rep, &url).await;
    assert!(!sets_session(&again));
    assert!(!again.text().await.unwrap().contains("Cambios guardados."));

    // The account is checked on every questionnaire request, in the same database call as the
    // page's reads: a logged-in account that no longer exists is logged out and sent to log in.
    app.create_representative("luis@inec.gob.pa", "Luis Gómez");
    let luis = app.new_client();
    assert_eq!(
        support::login(&luis, &app.url(""), "luis@inec.gob.pa", PASSWORD)
            .await
            .status(),
        303
    );
    assert_eq!(support::get(&luis, &url).await.status(), 403);
    diesel::delete(users::table.filter(users::email.eq("luis@inec.gob.pa")))
        .execute(&mut app.conn())
        .unwrap();
    let gone = support::get(&luis, &url).await;
    assert_eq!(gone.status(), 303);
    assert!(support::location(&gone).starts_with("/login"));
    assert!(sets_session(&gone));
    // The forgotten session stays logged out.
    let after = support::get(&luis, &url).await;
    assert_eq!(after.status(), 303);
    assert!(support::location(&after).starts_with("/login"));
}

/// An app that also stores `source` as version `version` of the forum instrument, with the
/// organizer and the forum's organizations.
async fn with_forum_version(version: &'static str, source: String) -> TestApp {
    let app = TestApp::spawn_with(move |conn| {
        capacity_survey::store::instruments::insert(
            conn,
            &capacity_survey::store::instruments::NewInstrument {
                key: "forum",
                version,
                title_es: "Foro (otra versión)",
                title_en: "Forum (another version)",
                source: &source,
                created_at: chrono::Utc::now().naive_utc(),
            },
        )
        .unwrap();
    })
    .await;
    forum::organizer(&app).await;
    assert_eq!(
        forum::import_csv(&app, forum::ORGANIZATIONS_CSV)
            .await
            .status(),
        200
    );
    app
}

#[actix_web::test]
async fn a_condition_on_another_sections_answer_decides_what_a_section_shows_and_saves() {
    // The forum instrument with one item of "legal" asked only of the "other" sector, which is
    // answered in "about": the section's page and save read that answer from another section.
    let source = capacity_survey::domain::instrument::FORUM_INSTRUMENT
        .replacen("version = \"2023.1\"", "version = \"2023.1-sector\"", 1)
        .replacen(
            "key = \"legal.sharing\"\n",
            "key = \"legal.sharing\"\nrelevant_when = { item = \"about.sector\", equals = [\"other\"] }\n",
            1,
        );
    let app = with_forum_version("2023.1-sector", source).await;
    let assessment = forum::create_assessment_with(&app, "forum@2023.1-sector").await;
    let inec = forum::organization_id(&app, "INEC");
    let link = forum::invite(&app, &assessment, &inec, "Ana Pérez", "ana@inec.gob.pa").await;
    let (rep, response) = forum::accept(&app, &link, "Ana Pérez").await;
    let legal = app.url(&format!("/responses/{response}/sections/legal"));

    // No sector yet: the item is not asked, and a value sent for it is cleared, not stored.
    let page = support::text(&rep, &legal).await;
    assert!(page.contains("name=\"v.legal.mandate\""));
    assert!(!page.contains("name=\"v.legal.sharing\""));
    let (token, version) = forum::section_state(&rep, &app, &response, "legal").await;
    let saved = forum::post_section(
        &rep,
        &app,
        &response,
        "legal",
        &token,
        &version,
        &[one("legal.mandate", "2"), one("legal.sharing", "3")],
        &[],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let stored = |key: &str| {
        capacity_survey::store::responses::answer(&mut app.conn(), &response, key)
            .unwrap()
            .map(|row| row.value)
    };
    assert_eq!(stored("legal.mandate").as_deref(), Some("2"));
    assert_eq!(stored("legal.sharing"), None);

    // Once "about" says "other", the legal page asks the item and its save keeps the value.
    let saved = forum::save_section(
        &rep,
        &app,
        &response,
        "about",
        &[one("about.sector", "other")],
        &[],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let page = support::text(&rep, &legal).await;
    assert!(page.contains("name=\"v.legal.sharing\""));
    let saved = forum::save_section(
        &rep,
        &app,
        &response,
        "legal",
        &[one("legal.sharing", "3")],
        &[],
    )
    .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(stored("legal.sharing").as_deref(), Some("3"));
}

#[actix_web::test]
async fn an_assessment_with_responses_keeps_its_instrument() {
    let source = capacity_survey::domain::instrument::FORUM_INSTRUMENT.replacen(
        "version = \"2023.1\"",
        "version = \"2023.2\"",
        1,
    );
    let app = with_forum_version("2023.2", source).await;
    let assessment = forum::create_assessment(&app).await;
    let today = capacity_survey::service::Clock::today(&*app.clock);
    let opens = (today - chrono::Duration::days(1)).to_string();
    let closes = (today + chrono::Duration::days(30)).to_string();
    let edit = |instrument: &'static str| {
        let app = &app;
        let assessment = assessment.clone();
        let (opens, closes) = (opens.clone(), closes.clone());
        async move {
            let token = app
                .csrf(&format!("/organizer/assessments/{assessment}/edit"))
                .await;
            app.post_form(
                &format!("/organizer/assessments/{assessment}"),
                &[
                    ("csrf_token", token.as_str()),
                    ("title_es", "Foro"),
                    ("title_en", "Forum"),
                    ("instrument", instrument),
                    ("opens_on", opens.as_str()),
                    ("closes_on", closes.as_str()),
                ],
            )
            .await
        }
    };
    // No response yet: the instrument may change.
    assert_eq!(edit("forum@2023.2").await.status(), 303);
    let stored = || {
        capacity_survey::store::assessments::find(&mut app.conn(), &assessment)
            .unwrap()
            .instrument_version
    };
    assert_eq!(stored(), "2023.2");

    // Once an organization is invited it has a response, and the instrument stays.
    let inec = forum::organization_id(&app, "INEC");
    forum::invite(&app, &assessment, &inec, "Ana Pérez", "ana@inec.gob.pa").await;
    let refused = edit("forum@2023.1").await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Ya hay respuestas: el instrumento queda fijado en su versión."),
        "{page}"
    );
    assert_eq!(stored(), "2023.2");
    // The edit page says so before anyone tries.
    let form = app
        .get(&format!("/organizer/assessments/{assessment}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains("queda fijado"), "{form}");
}

/// The slots a page without script posts for the domain grid before anything is saved: the
/// questions that apply to no answer (the follow-ups are on the page, hidden and not posted).
fn grid_without_follow_ups(
    instrument: &capacity_survey::domain::instrument::Instrument,
    collects: &[(&str, &str)],
) -> Vec<(String, Vec<String>)> {
    let list = instrument.code_list("domains").unwrap();
    let mut values = Vec::new();
    for domain in &list.options {
        let answer = collects
            .iter()
            .find(|(key, _)| *key == domain.key)
            .map_or("no", |(_, answer)| *answer);
        values.push(one(&format!("domains.{}.collects", domain.key), answer));
        values.push(one(&format!("domains.{}.needed", domain.key), "no"));
    }
    values
}

/// Posts a section form with "Save and continue".
async fn save_and_continue(
    client: &reqwest::Client,
    app: &TestApp,
    response: &str,
    section: &str,
    values: &[(String, Vec<String>)],
) -> reqwest::Response {
    let (token, version) = forum::section_state(client, app, response, section).await;
    let state = (token.as_str(), version.as_str());
    forum::post_section_as(
        client,
        app,
        response,
        section,
        state,
        "continue",
        values,
        &[],
    )
    .await
}

/// The markup of one item's block on a section page, up to its first control.
fn item_block<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{id}-block\""))
        .unwrap_or_else(|| panic!("no {id} on the page"));
    let rest = &page[start..];
    &rest[..rest
        .find("<legend")
        .or_else(|| rest.find("<label"))
        .unwrap()]
}

#[actix_web::test]
async fn save_and_continue_without_script_stays_on_a_section_whose_save_opened_questions() {
    let app = TestApp::spawn().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;
    let instrument = forum::instrument();
    let domains = app.url(&format!("/responses/{response}/sections/domains"));

    // Before any answer the follow-ups are on the page, hidden and not posted.
    let page = support::text(&rep, &domains).await;
    let source = item_block(&page, "q-domains-asylum-source");
    assert!(source.contains(" hidden>"), "{source}");
    assert!(source.contains("name=\"_items\" value=\"domains.asylum.source\" disabled"));
    assert!(source.contains("data-when=\"v.domains.asylum.collects\" data-equals=\"yes partly\""));

    // "Save and continue" with a producer: the save opened its follow-ups, so the page stays,
    // says why and lists them.
    let values = grid_without_follow_ups(&instrument, &[("asylum", "yes")]);
    let stayed = save_and_continue(&rep, &app, &response, "domains", &values).await;
    assert_eq!(stayed.status(), 303);
    assert_eq!(
        support::location(&stayed),
        format!("/responses/{response}/sections/domains")
    );
    let page = support::text(&rep, &domains).await;
    assert!(
        page.contains("Sus respuestas abrieron preguntas nuevas en esta sección"),
        "{page}"
    );
    assert!(page.contains("<a href=\"#q-domains-asylum-source\">Solicitudes de asilo y condición de refugiado</a>: Tipo de fuente, Desagregaciones disponibles, Frecuencia, ¿Se publican?"));
    assert!(
        !item_block(&page, "q-domains-asylum-source").contains(" hidden"),
        "the follow-ups of the producer are shown"
    );
    assert!(item_block(&page, "q-domains-border_flows-source").contains(" hidden>"));
    // The list is the answer to that save, not part of the page.
    let again = support::text(&rep, &domains).await;
    assert!(!again.contains("Sus respuestas abrieron preguntas nuevas"));
    assert!(!again.contains("href=\"#q-domains-asylum-source\""));

    // Saved again with the follow-ups on the form (answered or not): on to the next section.
    let mut values = grid_without_follow_ups(&instrument, &[("asylum", "yes")]);
    values.push(one("domains.asylum.frequency", "monthly"));
    values.push(("domains.asylum.source".into(), Vec::new()));
    let next = save_and_continue(&rep, &app, &response, "domains", &values).await;
    assert_eq!(
        support::location(&next),
        format!("/responses/{response}/mechanisms")
    );

    // The same in English, for an item of an items section.
    support::get(&rep, &app.url(&format!("/responses/{response}?lang=en"))).await;
    let stayed = save_and_continue(
        &rep,
        &app,
        &response,
        "about",
        &[one("about.sector", "other")],
    )
    .await;
    assert_eq!(
        support::location(&stayed),
        format!("/responses/{response}/sections/about")
    );
    let page = support::text(
        &rep,
        &app.url(&format!("/responses/{response}/sections/about")),
    )
    .await;
    assert!(page.contains("Your answers opened new questions in this section"));
    assert!(page.contains("<a href=\"#q-about-sector_other\">Specify the sector</a>"));
    // With the page's script the follow-up was shown as the answer changed and is posted: a save
    // that opens nothing new moves on.
    let next = save_and_continue(
        &rep,
        &app,
        &response,
        "about",
        &[
            one("about.sector", "other"),
            one("about.sector_other", "Academia"),
        ],
    )
    .await;
    assert_eq!(
        support::location(&next),
        format!("/responses/{response}/sections/legal")
    );
}

/// The gap card and the summary table of the domains page.
async fn domains_page(app: &TestApp, assessment: &str) -> (String, String) {
    let page = app
        .get(&format!(
            "/organizer/assessments/{assessment}/domains?drafts=1&lang=en"
        ))
        .await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let gaps_start = page.find("id=\"gaps-title\"").unwrap();
    let table_start = gaps_start + page[gaps_start..].find("<table").unwrap();
    let table_end = table_start + page[table_start..].find("</table>").unwrap();
    (
        page[gaps_start..table_start].to_owned(),
        page[table_start..table_end].to_owned(),
    )
}

#[actix_web::test]
async fn an_unanswered_disaggregation_question_is_not_a_missing_disaggregation() {
    let app = TestApp::spawn().await;
    let Forum {
        assessment,
        rep,
        response,
    } = forum::forum(&app).await;
    let instrument = forum::instrument();
    let (snm_rep, snm_response) = forum::join(
        &app,
        &assessment,
        "SNM",
        "Luis Gómez",
        "luis@migracion.gob.pa",
    )
    .await;

    // INEC produces asylum data and left its follow-ups unanswered; it produces work permit data
    // by nationality only. SNM produces border flows by sex only.
    let mut values =
        grid_without_follow_ups(&instrument, &[("asylum", "yes"), ("work_permits", "yes")]);
    values.push(one("domains.work_permits.disaggregations", "nationality"));
    let saved = forum::save_section(&rep, &app, &response, "domains", &values, &[]).await;
    assert_eq!(saved.status(), 303);
    let mut values = grid_without_follow_ups(&instrument, &[("border_flows", "partly")]);
    values.push(one("domains.border_flows.disaggregations", "sex"));
    let saved = forum::save_section(&snm_rep, &app, &snm_response, "domains", &values, &[]).await;
    assert_eq!(saved.status(), 303);

    // Worked out by hand: work permits lack sex and age among the producers that answered; border
    // flows lack age; asylum is produced, but nobody said which disaggregations: no gap, and its
    // row counts one producer without an answer.
    let check = |(gaps, table): (String, String)| {
        assert!(
            gaps.contains("Work permits and labour migration: missing Sex, Age"),
            "{gaps}"
        );
        assert!(
            gaps.contains("Border entries and exits: missing Age"),
            "{gaps}"
        );
        assert!(
            !gaps.contains("Asylum"),
            "an unanswered question is no gap:\n{gaps}"
        );
        let asylum = &table[table.find("Asylum applications").unwrap()..];
        let asylum = &asylum[..asylum.find("</tr>").unwrap()];
        // Producers 1, needers 0, by sex 0, by age 0, without an answer 1, publishers 0.
        assert!(
            asylum.contains("<td>1</td><td>0</td><td>0</td><td>0</td><td>1</td><td>0</td>"),
            "{asylum}"
        );
        assert!(table.contains("Disaggregations not answered by"));
    };
    check(domains_page(&app, &assessment).await);

    // The read model is rebuilt from the answers when its rows are gone (a database from before
    // it, or rows dropped to be recomputed): the same figures.
    diesel::RunQueryDsl::execute(
        diesel::delete(capacity_survey::store::schema::response_scores::table),
        &mut app.conn(),
    )
    .unwrap();
    check(domains_page(&app, &assessment).await);
}

#[actix_web::test]
async fn a_conflict_says_who_saved_and_ones_own_save_elsewhere_is_not_someone_elses() {
    let app = TestApp::spawn().await;
    let Forum {
        assessment,
        rep: first_tab,
        response,
    } = forum::forum(&app).await;
    // The same person in another tab (another session of the same account).
    let other_tab = app.new_client();
    assert_eq!(
        support::login(&other_tab, &app.base, "ana@inec.gob.pa", PASSWORD)
            .await
            .status(),
        303
    );
    let (token, version) = forum::section_state(&first_tab, &app, &response, "legal").await;
    let saved = forum::save_section(
        &other_tab,
        &app,
        &response,
        "legal",
        &[one("legal.mandate", "3")],
        &[],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let autosave = |client: reqwest::Client, token: String, version: String| {
        let url = app.url(&format!("/responses/{response}/sections/legal"));
        async move {
            let reply = client
                .post(url)
                .header("accept", "application/json")
                .header("x-csrf-token", token)
                .form(&[
                    ("version", version.as_str()),
                    ("_items", "legal.mandate"),
                    ("v.legal.mandate", "1"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), 409);
            serde_json::from_str::<serde_json::Value>(&reply.text().await.unwrap()).unwrap()
        }
    };
    let body = autosave(first_tab.clone(), token.clone(), version.clone()).await;
    assert_eq!(body["by_you"], true);
    assert_eq!(body["saved_by"], "Ana Pérez");
    let at = body["saved_at"].as_str().unwrap().to_owned();
    assert_eq!(
        at,
        page_time(
            &app,
            &response,
            capacity_survey::service::Clock::now(&*app.clock)
        ),
        "{at}"
    );

    // Without script, the page says the same, with a link that reloads the section by GET, and
    // offers no copy kept in the browser (the form holds what was typed).
    let page = forum::post_section(
        &first_tab,
        &app,
        &response,
        "legal",
        &token,
        &version,
        &[one("legal.mandate", "1")],
        &[],
    )
    .await;
    assert_eq!(page.status(), 409);
    let page = page.text().await.unwrap();
    assert!(page.contains(&format!(
        "Usted guardó esta sección en otra pestaña o en un guardado anterior ({at})"
    )));
    assert!(!page.contains("Otra persona"));
    assert!(page.contains(&format!(
        "<a href=\"/responses/{response}/sections/legal\">Volver a cargar la sección</a>"
    )));
    assert!(!page.contains("id=\"restore\""));
    assert!(page.contains("data-state=\"unsaved\">Cambios sin guardar</p>"));

    // A colleague's save is named as theirs.
    let (colleague, _) =
        forum::join(&app, &assessment, "INEC", "Beto Ruiz", "beto@inec.gob.pa").await;
    let (token, version) = forum::section_state(&first_tab, &app, &response, "legal").await;
    let saved = forum::save_section(
        &colleague,
        &app,
        &response,
        "legal",
        &[one("legal.mandate", "4")],
        &[],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let body = autosave(first_tab.clone(), token, version).await;
    assert_eq!(body["by_you"], false);
    assert_eq!(body["saved_by"], "Beto Ruiz");
}

#[actix_web::test]
async fn the_save_status_shows_the_servers_time_of_the_save_and_the_sections_progress() {
    let app = TestApp::spawn().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;
    let url = app.url(&format!("/responses/{response}/sections/legal"));
    let instrument = forum::instrument();
    let required = instrument
        .section("legal")
        .unwrap()
        .items()
        .iter()
        .filter(|item| item.required)
        .count();

    let page = support::text(&rep, &url).await;
    assert!(page.contains("data-state=\"never\">Sin guardar todavía</p>"));
    assert!(page.contains(&format!("Avance: 0 de {required}")));

    let (token, version) = forum::section_state(&rep, &app, &response, "legal").await;
    let saved = rep
        .post(&url)
        .header("accept", "application/json")
        .header("x-csrf-token", token)
        .form(&[
            ("version", version.as_str()),
            ("_items", "legal.mandate"),
            ("v.legal.mandate", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    let body: serde_json::Value = serde_json::from_str(&saved.text().await.unwrap()).unwrap();
    let at = body["saved_at"].as_str().unwrap();
    // The server's clock, as the page writes it: in the assessment's time zone.
    let expected = page_time(
        &app,
        &response,
        capacity_survey::service::Clock::now(&*app.clock),
    );
    assert!(expected.ends_with(" EST"), "Panama's time: {expected}");
    assert_eq!(at, expected);
    let page = support::text(&rep, &url).await;
    assert!(
        page.contains(&format!("data-state=\"saved\">Guardado: {at}</p>")),
        "one clock for the same save"
    );
    assert!(page.contains(&format!("Avance: 1 de {required}")));
    // The script's words for the other states come with the form.
    assert!(page.contains("data-msg-unsaved=\"Cambios sin guardar\""));
    assert!(page.contains("data-msg-saving=\"Guardando…\""));
    assert!(page.contains("data-msg-saved=\"Guardado: %{time}\""));
}

#[actix_web::test]
async fn removing_a_mechanism_asks_first() {
    let app = TestApp::spawn().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;
    let added = forum::add_mechanism(&rep, &app, &response, "Registro de asilo", "", "OIM").await;
    assert_eq!(added.status(), 303);
    let count = || {
        capacity_survey::store::mechanisms::list_for_response(&mut app.conn(), &response)
            .unwrap()
            .len()
    };
    let id = capacity_survey::store::mechanisms::list_for_response(&mut app.conn(), &response)
        .unwrap()[0]
        .id
        .clone();
    let confirm_url = format!("/responses/{response}/mechanisms/{id}/delete");

    // The list's "Remove" is a link to a page that asks; following it removes nothing.
    let list = support::text(&rep, &app.url(&format!("/responses/{response}/mechanisms"))).await;
    assert!(list.contains(&format!("href=\"{confirm_url}\"")));
    assert!(!list.contains(&format!("<form method=\"post\" action=\"{confirm_url}\"")));
    let asked = support::get(&rep, &app.url(&confirm_url)).await;
    assert_eq!(asked.status(), 200);
    let asked = asked.text().await.unwrap();
    assert!(asked.contains("¿Eliminar el mecanismo «Registro de asilo»?"));
    assert!(asked.contains(&format!("<form method=\"post\" action=\"{confirm_url}\"")));
    assert!(asked.contains(&format!(
        "href=\"/responses/{response}/mechanisms\">Cancelar</a>"
    )));
    assert_eq!(count(), 1);

    // Another organization's representative cannot even see the question.
    let outsider = app.new_client();
    app.create_representative("otra@snm.gob.pa", "Otra Persona");
    support::login(&outsider, &app.base, "otra@snm.gob.pa", PASSWORD).await;
    assert_eq!(
        support::get(&outsider, &app.url(&confirm_url))
            .await
            .status(),
        403
    );

    // Confirming removes it.
    let token = support::csrf_in(&asked).unwrap();
    let removed = support::post_form(&rep, &app.url(&confirm_url), &[("csrf_token", &token)]).await;
    assert_eq!(removed.status(), 303);
    assert_eq!(count(), 0);
    assert_eq!(
        support::get(&rep, &app.url(&confirm_url)).await.status(),
        404
    );
}

/// A save time as the (Spanish) section page writes it: the app's clock, the assessment's zone.
fn page_time(app: &TestApp, response: &str, at: chrono::NaiveDateTime) -> String {
    let mut conn = app.conn();
    let assessment_id = capacity_survey::store::responses::find(&mut conn, response)
        .unwrap()
        .assessment_id;
    let zone = capacity_survey::store::assessments::find(&mut conn, &assessment_id)
        .unwrap()
        .zone();
    let now = capacity_survey::service::Clock::now(&*app.clock);
    capacity_survey::web::responses::saved_time(
        at,
        now,
        zone,
        capacity_survey::domain::lang::Lang::Es,
    )
}

/// The period's last day ends at midnight where the forum is (the assessment's time zone,
/// America/Panama, UTC-5), not at midnight UTC: at 22:00 in Panama on the closing day (03:00 UTC
/// the next day) a representative still saves and the dashboard says open; at 00:30 in Panama
/// the next day the save is refused and the dashboard says closed.
#[actix_web::test]
async fn the_last_day_ends_at_midnight_in_the_assessments_time_zone() {
    let app = TestApp::spawn().await;
    let Forum {
        rep,
        response,
        assessment,
    } = forum::forum(&app).await;
    let stored = capacity_survey::store::assessments::find(&mut app.conn(), &assessment).unwrap();
    assert_eq!(stored.time_zone, "America/Panama");
    let next_day = stored.closes_on + chrono::Duration::days(1);
    // At a UTC hour of the day after the close: the save's status, the dashboard's badges
    // (open, closed) and the stored mandate answer.
    let try_at = async |hour: u32, minute: u32, value: &str| {
        app.clock
            .set(next_day.and_hms_opt(hour, minute, 0).unwrap());
        let (token, version) = forum::section_state(&rep, &app, &response, "legal").await;
        let status = forum::post_section(
            &rep,
            &app,
            &response,
            "legal",
            &token,
            &version,
            &[one("legal.mandate", value)],
            &[],
        )
        .await
        .status();
        let dashboard = app.get("/organizer").await.text().await.unwrap();
        let row = dashboard
            .split("<li")
            .find(|row| row.contains(&assessment))
            .unwrap_or_default()
            .to_owned();
        let stored = capacity_survey::store::responses::answers(&mut app.conn(), &response)
            .unwrap()
            .into_iter()
            .find(|a| a.item_key == "legal.mandate")
            .map(|a| a.value);
        (
            status.as_u16(),
            (row.contains("badge open"), row.contains("badge closed")),
            stored,
        )
    };
    assert_eq!(
        try_at(3, 0, "2").await,
        (303, (true, false), Some("2".to_owned())),
        "22:00 in Panama on the closing day"
    );
    assert_eq!(
        try_at(5, 30, "3").await,
        (409, (false, true), Some("2".to_owned())),
        "00:30 in Panama the next day"
    );
}
