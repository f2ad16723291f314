//! The stories of issue 6, in a real browser: the organizer sets up and invites; the
//! representative joins, fills two sections with the keyboard only, adds mechanisms, goes
//! offline and comes back, submits; the organizer reads the matrix and the network. Both move
//! by clicking links and buttons from the login page (an inner address is opened only when it
//! comes from an email or the console: the setup link, the invitation link). The pages only a
//! story reaches (answers to a form, errors, conflicts) are checked with axe-core (es and en)
//! and kept for the Nu checker; every other page is checked by tests/e2e/pages.rs.

use std::time::Duration;

use fantoccini::key::Key;

use crate::browser::{Browser, Checks, Driver, Source};
use crate::forum;
use crate::support::{self, PASSWORD, TestApp};

const REP_EMAIL: &str = "ana@inec.gob.pa";

/// Levels chosen with the arrow keys: (item, level). Legal averages 2.5, collection 2.0.
const LEGAL: [(&str, u8); 4] = [
    ("legal.mandate", 3),
    ("legal.confidentiality", 2),
    ("legal.sharing", 4),
    ("legal.coordination", 1),
];
const COLLECTION: [(&str, u8); 4] = [
    ("collection.inventory", 2),
    ("collection.concepts", 2),
    ("collection.disaggregation", 3),
    ("collection.digital_capture", 1),
];

fn html_id(key: &str) -> String {
    format!("q-{}", key.replace('.', "-"))
}

fn key(k: Key) -> String {
    k.to_string()
}

/// Answers the maturity items of the open section with the keyboard only: Tab to the item's
/// radio group, Space to choose the first level, the right arrow up to the wanted level, Tab to
/// the evidence field and type. Finishes on the "Save and continue" button, without pressing it.
async fn fill_by_keyboard(b: &Browser, items: &[(&str, u8)], evidence: &str) {
    b.focus_top().await;
    for (item, level) in items {
        let id = html_id(item);
        b.tab_to(&format!("#{id}-0")).await;
        b.press(&key(Key::Space)).await;
        for _ in 0..*level {
            b.press(&key(Key::Right)).await;
        }
        b.press(&key(Key::Tab)).await;
        assert_eq!(b.active_id().await, format!("{id}-evidence"));
        b.press(&format!("{evidence} ({item})")).await;
    }
    // Every level really is the one chosen.
    for (item, level) in items {
        let radio = b.find(&format!("#{}-{level}", html_id(item))).await;
        assert!(
            radio.is_selected().await.unwrap(),
            "{item} should be at level {level}"
        );
    }
    b.tab_to("button[value=continue]").await;
}

/// A number that is not one: the section page comes back (422) with the error summary at the
/// top linking to the field. With scripts, the summary has the focus and its link focuses the
/// field.
async fn invalid_answer_shows_the_summary(b: &Browser, checks: &mut Checks, response: &str) {
    open_from_overview(b, response, "/sections/about").await;
    b.fill("#q-about-staff", "muchos").await;
    let marker = b.mark_page().await;
    b.click("button[value=save]").await;
    b.wait_new_page(marker).await;
    let link = b.find(".error-summary a[href='#q-about-staff']").await;
    let field = b.find("#q-about-staff").await;
    assert_eq!(
        field.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    assert_eq!(
        field.prop("value").await.unwrap().as_deref(),
        Some("muchos")
    );
    if b.javascript {
        assert!(
            b.exists(".error-summary:focus").await,
            "the error summary has the focus"
        );
        link.click().await.unwrap();
        assert_eq!(b.active_id().await, "q-about-staff");
    }
    checks.page(b, "section-error", Source::Dom).await;
}

/// Chooses `value` in a field of the entry form, whether it shows radios or a list.
async fn choose(b: &Browser, id: &str, value: &str) {
    let radio = format!("#{id}-{value}");
    if b.exists(&radio).await {
        b.click(&radio).await;
    } else {
        b.select(&format!("#{id}"), value).await;
    }
}

/// Fills the mechanism entry form found under `scope`.
async fn fill_mechanism(b: &Browser, scope: &str, name: &str, partner: Partner<'_>) {
    b.fill(&format!("{scope} #m-name"), name).await;
    match partner {
        Partner::Organization(id) => b.select(&format!("{scope} #m-partner_org"), id).await,
        Partner::Outside(partner) => b.fill(&format!("{scope} #m-partner_name"), partner).await,
    }
    choose(b, "m-direction", "provide").await;
    b.click(&format!("{scope} #m-domains-border_flows")).await;
    choose(b, "m-status", "active").await;
}

enum Partner<'a> {
    Organization(&'a str),
    Outside(&'a str),
}

/// The representative's remaining sections, saved over HTTP with their own login (the story is
/// about two sections; submitting needs every required answer).
async fn fill_other_sections(app: &TestApp, response: &str, skip: &[&str]) {
    let client = app.new_client();
    assert_eq!(
        support::login(&client, &app.base, REP_EMAIL, PASSWORD)
            .await
            .status(),
        303
    );
    let instrument = forum::instrument();
    for section in &instrument.sections {
        if skip.contains(&section.key.as_str()) {
            continue;
        }
        let values = forum::complete_answers(&instrument, &section.key);
        if values.is_empty() {
            continue;
        }
        let saved = forum::save_section(&client, app, response, &section.key, &values, &[]).await;
        assert_eq!(saved.status(), 303, "save {}", section.key);
    }
}

/// Opens a page of the representative's response as a person does: the brand link to the
/// landing page, the response there, then the link to `path` (e.g. `/sections/legal`) on the
/// response's overview.
async fn open_from_overview(rep: &Browser, response: &str, path: &str) {
    rep.click_and_wait("a.brand").await;
    rep.click_and_wait(&format!("main a[href='/responses/{response}']"))
        .await;
    if !path.is_empty() {
        rep.click_and_wait(&format!("main a[href='/responses/{response}{path}']"))
            .await;
    }
    assert_eq!(rep.path().await, format!("/responses/{response}{path}"));
}

fn response_id_of(path: &str) -> String {
    path.strip_prefix("/responses/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("not on a response page: {path}"))
        .to_owned()
}

/// The organizer's part, in the browser: setup link, two organizations, an assessment, an
/// invitation. Returns the assessment id, the partner organization's id and the link.
async fn organizer_sets_up(
    app: &TestApp,
    org: &Browser,
    mut checks: Option<&mut Checks>,
) -> (String, String, String) {
    let token = app
        .setup_token
        .clone()
        .expect("a setup token on a fresh site");
    org.goto(&app.url(&format!("/setup?token={token}"))).await;
    if let Some(checks) = checks.as_deref_mut() {
        checks.page(org, "setup", Source::Http).await;
    }
    org.fill("#name", "Olga Organizer").await;
    org.fill("#email", forum::ORGANIZER).await;
    org.fill("#password", PASSWORD).await;
    org.fill("#password_confirm", PASSWORD).await;
    org.click_and_wait("main button[type=submit]").await;
    assert_eq!(org.path().await, "/organizer");

    for (name, acronym, sector) in [
        (
            "Instituto Nacional de Estadística y Censo",
            "INEC",
            "statistics",
        ),
        (
            "Servicio Nacional de Migración",
            "SNM",
            "immigration_borders",
        ),
    ] {
        org.click_and_wait(".main-nav a[href='/organizer/organizations']")
            .await;
        org.click_and_wait("main a[href='/organizer/organizations/new']")
            .await;
        org.fill("#name", name).await;
        org.fill("#acronym", acronym).await;
        org.select("#sector", sector).await;
        org.click_and_wait("main button[type=submit]").await;
    }
    let snm = forum::organization_id(app, "SNM");
    let inec = forum::organization_id(app, "INEC");

    org.click_and_wait(".main-nav a[href='/organizer']").await;
    org.click_and_wait("main a[href='/organizer/assessments/new']")
        .await;
    org.fill("#title_es", "Foro de Estadísticas Migratorias 2023")
        .await;
    org.fill("#title_en", "Migration Statistics Forum 2023")
        .await;
    org.click_and_wait("main button[type=submit]").await;
    let assessment = org
        .path()
        .await
        .strip_prefix("/organizer/assessments/")
        .expect("lands on the assessment")
        .to_owned();

    // SNM is invited too, so that it takes part and can be named as a partner.
    for (organization, name, email) in [
        (&snm, "Luis Gómez", "luis@migracion.gob.pa"),
        (&inec, "Ana Pérez", REP_EMAIL),
    ] {
        if org.path().await != format!("/organizer/assessments/{assessment}") {
            // From the page of the invitations just created, back to the assessment.
            org.click_and_wait(&format!(
                "main a[href='/organizer/assessments/{assessment}']"
            ))
            .await;
        }
        org.click_and_wait(&format!(
            "main a[href='/organizer/assessments/{assessment}/invite']"
        ))
        .await;
        org.select("#organization", organization).await;
        org.fill("#name_0", name).await;
        org.fill("#email_0", email).await;
        org.click_and_wait("main button[type=submit]").await;
    }
    if let Some(checks) = checks.as_deref_mut() {
        checks.page(org, "invitations-created", Source::Dom).await;
    }
    let link = org
        .find("#link-1")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("the invitation link");

    // A reminder to SNM, previewed: the preview answers a form, so this story checks it.
    org.click_and_wait(&format!(
        "main a[href='/organizer/assessments/{assessment}']"
    ))
    .await;
    org.click_and_wait(&format!(
        "main a[href='/organizer/assessments/{assessment}/reminders']"
    ))
    .await;
    org.click(&format!("#org-{snm}")).await;
    org.click_and_wait("form[action$='/reminders/preview'] button[type=submit]")
        .await;
    assert!(org.text("main").await.contains("luis@migracion.gob.pa"));
    if let Some(checks) = checks {
        checks.page(org, "reminders-preview", Source::Dom).await;
    }
    (assessment, snm, link)
}

/// The representative accepts the invitation in the browser; returns the response id.
async fn representative_joins(rep: &Browser, link: &str, checks: &mut Checks) -> String {
    rep.goto(link).await;
    checks.page(rep, "invitation", Source::Http).await;
    rep.fill("#name", "Ana Pérez").await;
    rep.fill("#password", PASSWORD).await;
    rep.fill("#password_confirm", PASSWORD).await;
    rep.click_and_wait("main button[type=submit]").await;
    let path = rep.path().await;
    let response = response_id_of(&path);
    assert_eq!(path, format!("/responses/{response}"));
    response
}

/// On a phone the matrix scrolls sideways in its own box while the organization column stays.
async fn matrix_scrolls_with_fixed_first_column(org: &Browser) {
    org.client.set_window_size(360, 900).await.unwrap();
    let measured = org
        .client
        .execute(
            "var box = document.querySelector('.matrix-scroll');\
             var first = box.querySelector('tbody th.sticky');\
             var before = first.getBoundingClientRect().left;\
             box.scrollLeft = 400;\
             box.scrollIntoView({ block: 'center' });\
             return [box.scrollWidth > box.clientWidth, box.scrollLeft > 0,\
                     Math.abs(first.getBoundingClientRect().left - before) < 1,\
                     document.documentElement.scrollWidth <= document.documentElement.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        measured,
        serde_json::json!([true, true, true, true]),
        "[matrix wider than its box, box scrolled, first column stayed, page not wider than the phone]"
    );
    let png = org.client.screenshot().await.unwrap();
    std::fs::write(
        crate::browser::screenshots_dir().join("matrix-scrolled-360.png"),
        png,
    )
    .unwrap();
    org.client.set_window_size(1280, 900).await.unwrap();
}

/// The organizer reads the matrix and the network with the representative's values.
async fn organizer_reads(org: &Browser, assessment: &str, mechanism: &str) {
    org.click_and_wait("a.brand").await;
    org.click_and_wait(&format!(
        "main h3 a[href='/organizer/assessments/{assessment}']"
    ))
    .await;
    assert!(
        org.text("main").await.contains("INEC"),
        "the progress lists INEC"
    );

    org.click_and_wait(&format!(
        ".tabs a[href='/organizer/assessments/{assessment}/matrix']"
    ))
    .await;
    assert_eq!(
        org.find(".tabs a[aria-current=page]")
            .await
            .attr("href")
            .await
            .unwrap()
            .as_deref(),
        Some(format!("/organizer/assessments/{assessment}/matrix").as_str()),
        "the matrix's tab is the current one"
    );
    org.click_and_wait(".lang-switch a[hreflang=en]").await;
    let matrix = org.text("main").await;
    assert!(matrix.contains("INEC"), "the matrix lists INEC:\n{matrix}");
    assert!(
        matrix.contains("2.5") && matrix.contains("2.0"),
        "the matrix shows legal 2.5 and collection 2.0:\n{matrix}"
    );
    org.click_and_wait(".lang-switch a[hreflang=es]").await;
    if org.javascript {
        matrix_scrolls_with_fixed_first_column(org).await;
    }

    org.click_and_wait(&format!(
        ".tabs a[href='/organizer/assessments/{assessment}/network']"
    ))
    .await;
    let network = org.text("main").await;
    assert!(
        network.contains(mechanism) && network.contains("SNM"),
        "the network shows the exchange with SNM:\n{network}"
    );
    let drawn = org.text("svg.network").await;
    assert!(
        drawn.contains("INEC") && drawn.contains("SNM") && org.exists("svg.network .edge").await,
        "the network draws INEC, SNM and the flow between them: {drawn}"
    );
    org.screenshots("network-story").await;

    // The audit log records the story: the representative's submission among the rest.
    org.click_and_wait(".main-nav a[href='/organizer/audit']")
        .await;
    let log = org.text("main").await;
    assert!(
        log.contains(REP_EMAIL)
            && (log.contains("Response submitted") || log.contains("Respuesta enviada")),
        "the audit log lists the submission: {log}"
    );
}

/// Puts a copy of the section form into the browser's storage, as the script keeps one while
/// offline, with `text` in the field `name` and the copy's time `at` (milliseconds; `None` for
/// now).
async fn keep_local_copy(rep: &Browser, name: &str, text: &str, at: Option<u64>) {
    let script = r#"
        var name = arguments[0], text = arguments[1], at = arguments[2];
        var form = document.querySelector('form[data-autosave]');
        var fields = [];
        new FormData(form).forEach(function (value, key) {
            if (key !== 'csrf_token' && key !== 'version' && key !== 'action') {
                fields.push([key, key === name ? text : String(value)]);
            }
        });
        localStorage.setItem('capacity-survey:draft:' + form.getAttribute('data-autosave'),
            JSON.stringify({ at: at === null ? Date.now() : at, fields: fields }));
    "#;
    let args = vec![
        serde_json::json!(name),
        serde_json::json!(text),
        serde_json::json!(at),
    ];
    rep.client.execute(script, args).await.unwrap();
}

async fn value_of(rep: &Browser, css: &str) -> String {
    rep.find(css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// On the collection section, saved: a local copy older than the server's is not offered; a
/// newer one is offered and applied only when asked. Then a colleague saves the same section
/// from another device: the autosave shows the conflict, "Save" shows both versions, and saving
/// again keeps the representative's values.
async fn restore_offer_and_conflict(
    app: &TestApp,
    rep: &Browser,
    checks: &mut Checks,
    response: &str,
    evidence: &str,
) {
    let name = rep
        .find(evidence)
        .await
        .attr("name")
        .await
        .unwrap()
        .unwrap();
    let saved = value_of(rep, evidence).await;

    keep_local_copy(rep, &name, "copia vieja", Some(1)).await;
    rep.client.refresh().await.unwrap();
    assert!(
        !rep.find("#restore").await.is_displayed().await.unwrap(),
        "a local copy older than the server's is not offered"
    );
    assert_eq!(value_of(rep, evidence).await, saved);

    let local = "copia guardada en este navegador";
    keep_local_copy(rep, &name, local, None).await;
    rep.client.refresh().await.unwrap();
    rep.wait_until("the restore offer", Duration::from_secs(10), || async {
        rep.find("#restore").await.is_displayed().await.unwrap()
    })
    .await;
    assert_eq!(
        value_of(rep, evidence).await,
        saved,
        "the local copy is offered, not applied silently"
    );
    rep.screenshots("section-restore").await;
    rep.click("#restore-apply").await;
    assert_eq!(value_of(rep, evidence).await, local);
    rep.wait_until(
        "the restored copy saved",
        Duration::from_secs(15),
        || async { rep.text("#save-status").await.starts_with("Guardado") },
    )
    .await;
    rep.client.refresh().await.unwrap();
    assert_eq!(
        value_of(rep, evidence).await,
        local,
        "the restored copy was saved"
    );

    // A colleague saves the same section from another device.
    let colleague = app.new_client();
    assert_eq!(
        support::login(&colleague, &app.base, REP_EMAIL, PASSWORD)
            .await
            .status(),
        303
    );
    let instrument = forum::instrument();
    let values = forum::complete_answers(&instrument, "collection");
    let theirs = "texto de la colega";
    let posted = forum::save_section(
        &colleague,
        app,
        response,
        "collection",
        &values,
        &[("collection.digital_capture", theirs)],
    )
    .await;
    assert_eq!(posted.status(), 303);

    // The representative, on the page loaded before, keeps typing: the autosave meets the
    // other device's version and says so (the same account: her own save, not someone else's).
    rep.tab_to(evidence).await;
    rep.press(&key(Key::End)).await;
    rep.press(" y revisada").await;
    rep.wait_until("the conflict status", Duration::from_secs(15), || async {
        rep.text("#save-status")
            .await
            .starts_with("Usted guardó esta sección")
    })
    .await;
    let mine = format!("{local} y revisada");
    assert_eq!(value_of(rep, evidence).await, mine, "nothing typed is lost");

    // "Save" shows both versions; saving again keeps the representative's values.
    rep.click_and_wait("button[name=action][value=save]").await;
    let page = rep.text("main").await;
    assert!(
        page.contains(theirs) && value_of(rep, evidence).await == mine,
        "the conflict page shows the colleague's text and keeps the typed one:\n{page}"
    );
    checks.page(rep, "section-conflict", Source::Dom).await;
    rep.click_and_wait("button[name=action][value=save]").await;
    open_from_overview(rep, response, "/sections/collection").await;
    assert_eq!(
        value_of(rep, evidence).await,
        mine,
        "the representative's text was kept"
    );
    for (item, level) in COLLECTION {
        let radio = rep.find(&format!("#{}-{level}", html_id(item))).await;
        assert!(
            radio.is_selected().await.unwrap(),
            "{item} kept level {level} after the conflict"
        );
    }
}

#[actix_web::test]
#[ignore = "needs chromium; .ci/run runs it"]
async fn the_forum_story_with_javascript_offline_included() {
    let mut app = TestApp::spawn().await;
    let driver = Driver::start();
    let mut checks = Checks::new("javascript");
    let org = Browser::open(&driver, true).await;
    let (assessment, snm, link) = organizer_sets_up(&app, &org, Some(&mut checks)).await;

    let rep = Browser::open(&driver, true).await;
    let response = representative_joins(&rep, &link, &mut checks).await;

    invalid_answer_shows_the_summary(&rep, &mut checks, &response).await;

    // Section 1, keyboard only, then "Save and continue" with Enter.
    open_from_overview(&rep, &response, "/sections/legal").await;
    fill_by_keyboard(&rep, &LEGAL, "Ley 3 de 2008").await;
    let marker = rep.mark_page().await;
    rep.press(&key(Key::Enter)).await;
    rep.wait_new_page(marker).await;
    assert_eq!(
        rep.path().await,
        format!("/responses/{response}/sections/collection")
    );
    // The confirmation took the focus.
    assert!(
        rep.exists(".flash:focus").await,
        "the saved message has the focus"
    );

    // Section 2, keyboard only; autosave does the saving.
    fill_by_keyboard(&rep, &COLLECTION, "Registro administrativo").await;
    rep.wait_until("the autosave", Duration::from_secs(15), || async {
        let status = rep.text("#save-status").await;
        status.starts_with("Guardado")
    })
    .await;

    // Offline: the server stops, the representative keeps typing.
    app.stop_server().await;
    let evidence = "#q-collection-digital_capture-evidence";
    rep.tab_to(evidence).await;
    rep.press(" escrito sin conexión").await;
    rep.wait_until("the offline status", Duration::from_secs(15), || async {
        rep.text("#save-status")
            .await
            .starts_with("Sin conexión: se guardará al volver")
    })
    .await;
    let status_live = rep
        .find("#save-status")
        .await
        .attr("aria-live")
        .await
        .unwrap();
    assert_eq!(status_live.as_deref(), Some("polite"));

    // Back online: same port, same database; the kept copy is sent.
    app.restart_server().await;
    rep.wait_until(
        "the save after coming back",
        Duration::from_secs(30),
        || async { rep.text("#save-status").await.starts_with("Guardado") },
    )
    .await;
    rep.client.refresh().await.unwrap();
    let kept = rep
        .find(evidence)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        kept.ends_with("escrito sin conexión"),
        "the text typed offline was saved: {kept:?}"
    );
    for (item, level) in COLLECTION {
        let radio = rep.find(&format!("#{}-{level}", html_id(item))).await;
        assert!(
            radio.is_selected().await.unwrap(),
            "{item} kept level {level}"
        );
    }
    assert!(
        !rep.find("#restore").await.is_displayed().await.unwrap(),
        "nothing left to restore once saved"
    );
    checks.page(&rep, "section-saved", Source::Http).await;
    rep.screenshots("section-saved").await;

    restore_offer_and_conflict(&app, &rep, &mut checks, &response, evidence).await;

    // Mechanisms: two added and one removed, without a reload.
    open_from_overview(&rep, &response, "/mechanisms").await;
    let marker = rep.mark_page().await;
    let entries = [
        (
            "Intercambio de registros de entradas",
            Partner::Organization(&snm),
        ),
        (
            "Reporte a la OIM",
            Partner::Outside("Organización Internacional para las Migraciones"),
        ),
        ("Entrada de prueba", Partner::Outside("Nadie")),
    ];
    for (name, partner) in entries {
        rep.click("#mechanism-add-link").await;
        rep.find("#mechanism-add form #m-name").await;
        assert_eq!(
            rep.active_id().await,
            "m-name",
            "the form's first field has the focus"
        );
        fill_mechanism(&rep, "#mechanism-add", name, partner).await;
        rep.click("#mechanism-add button[type=submit]").await;
        rep.wait_until(
            "the new entry in the list",
            Duration::from_secs(10),
            || async { rep.text("#mechanism-list").await.contains(name) },
        )
        .await;
        assert!(rep.text("#mechanism-status").await.len() > 3, "announced");
    }
    // An entry without a name: the error summary comes back in place and takes the focus.
    rep.click("#mechanism-add-link").await;
    rep.find("#mechanism-add form #m-name").await;
    rep.click("#mechanism-add button[type=submit]").await;
    rep.find("#mechanism-add .error-summary:focus").await;
    checks
        .page(&rep, "mechanism-inline-error", Source::Dom)
        .await;
    rep.click("#mechanism-add .form-actions a").await;
    // Remove the test entry.
    rep.click_xpath(
        "//div[@id='mechanism-list']//tr[th/a[normalize-space()='Entrada de prueba']]//a[contains(@class, 'mechanism-remove')]",
    )
    .await;
    rep.click(".inline-confirm button[type=submit]").await;
    rep.wait_until("the entry removed", Duration::from_secs(10), || async {
        !rep.text("#mechanism-list")
            .await
            .contains("Entrada de prueba")
    })
    .await;
    assert!(rep.still_marked(&marker).await, "the page never reloaded");
    assert_eq!(
        capacity_survey::store::mechanisms::list_for_response(&mut app.conn(), &response)
            .unwrap()
            .len(),
        2
    );
    rep.client.refresh().await.unwrap();
    checks.page(&rep, "mechanisms", Source::Http).await;

    // Reload shows everything: the first section too.
    open_from_overview(&rep, &response, "/sections/legal").await;
    for (item, level) in LEGAL {
        let radio = rep.find(&format!("#{}-{level}", html_id(item))).await;
        assert!(
            radio.is_selected().await.unwrap(),
            "{item} kept level {level}"
        );
    }

    fill_other_sections(&app, &response, &["legal", "collection"]).await;
    open_from_overview(&rep, &response, "/review").await;
    rep.click_and_wait("form.submit-box button[type=submit]")
        .await;
    checks.page(&rep, "submitted", Source::Http).await;
    let status = capacity_survey::store::responses::find(&mut app.conn(), &response)
        .unwrap()
        .status;
    assert_eq!(status, "submitted");

    organizer_reads(&org, &assessment, "Intercambio de registros de entradas").await;
    rep.close().await;
    org.close().await;
    checks.finish().await;
}

#[actix_web::test]
#[ignore = "needs chromium; .ci/run runs it"]
async fn the_fill_and_submit_story_without_javascript() {
    let app = TestApp::spawn().await;
    let driver = Driver::start();
    let mut checks = Checks::new("no-javascript").with_seer(Browser::open(&driver, true).await);
    let org = Browser::open(&driver, true).await;
    // The organizer's pages are the same as in the story with scripts, checked there.
    let (assessment, snm, link) = organizer_sets_up(&app, &org, None).await;

    let rep = Browser::open(&driver, false).await;
    let response = representative_joins(&rep, &link, &mut checks).await;

    for (section, items, next) in [
        ("legal", &LEGAL, "collection"),
        ("collection", &COLLECTION, "quality"),
    ] {
        open_from_overview(&rep, &response, &format!("/sections/{section}")).await;
        fill_by_keyboard(&rep, items, "Sin script").await;
        rep.press(&key(Key::Enter)).await;
        rep.wait_new_page(String::new()).await;
        assert_eq!(
            rep.path().await,
            format!("/responses/{response}/sections/{next}")
        );
    }
    checks.page(&rep, "section-after-save", Source::Http).await;
    invalid_answer_shows_the_summary(&rep, &mut checks, &response).await;
    // A mistake first: the page comes back with the summary, the values kept.
    open_from_overview(&rep, &response, "/mechanisms").await;
    rep.click_and_wait("#mechanism-add-link").await;
    assert_eq!(
        rep.path().await,
        format!("/responses/{response}/mechanisms/new")
    );
    rep.click("main form.questionnaire button[type=submit]")
        .await;
    rep.wait_new_page(String::new()).await;
    rep.find(".error-summary a[href='#m-name']").await;
    checks.page(&rep, "mechanism-error", Source::Dom).await;
    for (name, partner) in [
        (
            "Intercambio de registros de entradas",
            Partner::Organization(&snm),
        ),
        (
            "Reporte a la OIM",
            Partner::Outside("Organización Internacional para las Migraciones"),
        ),
    ] {
        open_from_overview(&rep, &response, "/mechanisms").await;
        rep.click_and_wait("#mechanism-add-link").await;
        assert_eq!(
            rep.path().await,
            format!("/responses/{response}/mechanisms/new")
        );
        fill_mechanism(&rep, "main", name, partner).await;
        rep.click("main form.questionnaire button[type=submit]")
            .await;
        rep.wait_new_page(String::new()).await;
        assert_eq!(
            rep.path().await,
            format!("/responses/{response}/mechanisms")
        );
        assert!(rep.text("#mechanism-list").await.contains(name));
    }

    fill_other_sections(&app, &response, &["legal", "collection"]).await;
    open_from_overview(&rep, &response, "/review").await;
    rep.click("form.submit-box button[type=submit]").await;
    rep.wait_new_page(String::new()).await;
    let status = capacity_survey::store::responses::find(&mut app.conn(), &response)
        .unwrap()
        .status;
    assert_eq!(status, "submitted");

    organizer_reads(&org, &assessment, "Intercambio de registros de entradas").await;
    rep.close().await;
    org.close().await;
    checks.finish().await;
}
