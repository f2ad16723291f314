//! The representative's questionnaire in a real browser (issue 15): follow-up questions appear as
//! the answer they depend on changes, with scripts and (after a save) without; the save bar stays
//! in view with an honest status, the server's time of the save and live progress; a save of
//! one's own from another tab is not blamed on someone else, and the restore offer shows once;
//! removing a mechanism asks first; the browser's copies of drafts are dropped at submission and
//! at logout. Each story starts at the login page and moves by clicking; the states are
//! photographed at 1280 and 360 px and checked with axe-core and the Nu checker.

use std::time::Duration;

use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::browser::{Browser, Checks, Driver, Source};
use crate::forum::{self, Forum};
use crate::support::{PASSWORD, TestApp};

const REP_EMAIL: &str = "ana@inec.gob.pa";
const WAIT: Duration = Duration::from_secs(15);

fn key(k: Key) -> String {
    k.to_string()
}

/// Logs in from the login page and opens the response by its link: the representative's start.
async fn log_in_to_the_response(app: &TestApp, b: &Browser) {
    b.goto(&app.url("/login")).await;
    b.fill("#email", REP_EMAIL).await;
    b.fill("#password", PASSWORD).await;
    b.click_and_wait("main button[type=submit]").await;
    if !b.path().await.starts_with("/responses/") {
        b.click_and_wait(".card-list a").await;
    }
}

/// Follows a link of the page by its text.
async fn follow(b: &Browser, text: &str) {
    let marker = b.mark_page().await;
    b.click_xpath(&format!("//main//a[normalize-space()='{text}']"))
        .await;
    b.wait_new_page(marker).await;
}

/// From the response's overview, the section titled `title`.
async fn open_section(b: &Browser, title: &str) {
    follow(b, title).await;
    b.find("form.questionnaire").await;
}

async fn shown(b: &Browser, css: &str) -> bool {
    b.find(css).await.is_displayed().await.unwrap()
}

async fn run(b: &Browser, script: &str, args: Vec<Value>) -> Value {
    b.client
        .execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("run {script}: {e}"))
}

/// The drafts this browser keeps (keys of its local storage under the draft prefix).
async fn drafts(b: &Browser) -> Vec<String> {
    let keys = run(
        b,
        "var out = []; for (var i = 0; i < localStorage.length; i++) { \
           var k = localStorage.key(i); if (k.indexOf('capacity-survey:draft:') === 0) out.push(k); } \
         return out.sort();",
        vec![],
    )
    .await;
    serde_json::from_value(keys).unwrap()
}

/// Keeps a draft as the page's script keeps one (a copy of a section's fields).
async fn keep_draft(b: &Browser, key: &str) {
    run(
        b,
        "localStorage.setItem(arguments[0], JSON.stringify({ at: Date.now(), fields: [['v.x', '1']] }));",
        vec![json!(key)],
    )
    .await;
}

async fn status(b: &Browser) -> String {
    b.text("#save-status").await
}

async fn wait_status(b: &Browser, what: &str, starts: &str) {
    b.wait_until(what, WAIT, || async { status(b).await.starts_with(starts) })
        .await;
}

/// Screenshots of the window (not the whole page) at 1280 and 360 px with `css` in view, into
/// `screenshots/<name>-<width>-view.png`: the states that happen far down a long page.
async fn view_shots(b: &Browser, name: &str, css: &str) {
    for width in [1280u32, 360] {
        b.client.set_window_size(width, 900).await.unwrap();
        run(
            b,
            "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });",
            vec![json!(css)],
        )
        .await;
        crate::browser::tokio_sleep(Duration::from_millis(200)).await;
        let png = b.client.screenshot().await.unwrap();
        std::fs::write(
            crate::browser::screenshots_dir().join(format!("{name}-{width}-view.png")),
            png,
        )
        .unwrap();
    }
    b.client.set_window_size(1280, 900).await.unwrap();
}

/// The section's last save as the (Spanish) page writes times, read from the database: in the
/// assessment's time zone, by the app's clock.
fn saved_time(app: &TestApp, response: &str, section: &str) -> String {
    use capacity_survey::service::Clock;
    let mut conn = app.conn();
    let saved = capacity_survey::store::responses::section_saved(&mut conn, response, section)
        .unwrap()
        .expect("the section was saved");
    let assessment_id = capacity_survey::store::responses::find(&mut conn, response)
        .unwrap()
        .assessment_id;
    let zone = capacity_survey::store::assessments::find(&mut conn, &assessment_id)
        .unwrap()
        .zone();
    capacity_survey::web::responses::saved_time(
        saved.at,
        app.clock.now(),
        zone,
        capacity_survey::domain::lang::Lang::Es,
    )
}

#[actix_web::test]
#[ignore = "needs chromium; .ci/run runs it"]
async fn follow_up_questions_appear_as_the_answer_changes_and_the_save_bar_tells_the_truth() {
    let app = TestApp::spawn().await;
    let Forum { response, .. } = forum::forum(&app).await;
    let driver = Driver::start();
    let mut checks = Checks::new("questionnaire-live");
    let b = Browser::open(&driver, true).await;
    log_in_to_the_response(&app, &b).await;
    open_section(&b, "Dominios de datos migratorios").await;

    // Nothing answered: the follow-ups are on the page but not shown; the bar says so.
    let follow_ups = [
        "#q-domains-asylum-source-block",
        "#q-domains-asylum-disaggregations-block",
        "#q-domains-asylum-frequency-block",
        "#q-domains-asylum-published-block",
    ];
    for css in follow_ups {
        assert!(!shown(&b, css).await, "{css} is hidden before an answer");
    }
    assert_eq!(status(&b).await, "Sin guardar todavía");
    assert_eq!(b.text("#progress-text").await, "Avance: 0 de 17");
    b.screenshots("questionnaire-domains-unanswered").await;

    // "Yes" with the keyboard: the follow-ups appear at once, below, announced politely; the
    // focus stays on the answer and Tab goes on into them.
    b.focus_top().await;
    b.tab_to("#q-domains-asylum-collects-no").await;
    b.press(&key(Key::Right)).await;
    assert_eq!(b.active_id().await, "q-domains-asylum-collects-yes");
    for css in follow_ups {
        assert!(
            shown(&b, css).await,
            "{css} shows as soon as the answer is yes"
        );
    }
    let announced = b.text("#relevance-status").await;
    assert!(
        announced.contains("Tipo de fuente") && announced.contains("¿Se publican?"),
        "{announced}"
    );
    let live = b
        .find("#relevance-status")
        .await
        .attr("aria-live")
        .await
        .unwrap();
    assert_eq!(live.as_deref(), Some("polite"));
    assert_eq!(status(&b).await, "Cambios sin guardar");
    assert_eq!(b.text("#progress-text").await, "Avance: 1 de 17");
    b.press(&key(Key::Tab)).await;
    assert_eq!(
        b.active_id().await,
        "q-domains-asylum-source-admin_register",
        "Tab goes into the follow-ups"
    );
    b.press(&key(Key::Space)).await;
    b.screenshots("questionnaire-domains-follow-ups-unsaved")
        .await;
    view_shots(&b, "questionnaire-domains-follow-ups-unsaved", "#d-asylum").await;

    // The autosave: saving, then saved at the server's time of the save (the same text the page
    // writes after a reload).
    wait_status(&b, "the autosave", "Guardado: ").await;
    let at = saved_time(&app, &response, "domains");
    assert_eq!(status(&b).await, format!("Guardado: {at}"));
    b.screenshots("questionnaire-domains-saved").await;
    view_shots(
        &b,
        "questionnaire-domains-saved",
        "#q-domains-asylum-frequency",
    )
    .await;

    // "No": the follow-ups go away (and are not posted), the focus stays on the answer.
    run(
        &b,
        "document.getElementById('q-domains-asylum-collects-yes').focus();",
        vec![],
    )
    .await;
    b.press(&key(Key::Left)).await;
    assert_eq!(b.active_id().await, "q-domains-asylum-collects-no");
    for css in follow_ups {
        assert!(!shown(&b, css).await, "{css} goes away with a no");
    }
    let announced = b.text("#relevance-status").await;
    assert!(announced.contains("ya no corresponden"), "{announced}");
    assert_eq!(b.text("#progress-text").await, "Avance: 1 de 17");
    wait_status(&b, "the autosave of no", "Guardado: ").await;
    let stored = capacity_survey::store::responses::answer(
        &mut app.conn(),
        &response,
        "domains.asylum.source",
    )
    .unwrap();
    assert!(
        stored.is_none(),
        "a follow-up that no longer applies is cleared"
    );

    // The bar stays in view at the bottom of the page, at both widths, and a question reached
    // with Tab is never under it.
    for width in [1280u32, 360] {
        b.client.set_window_size(width, 800).await.unwrap();
        let measured = run(
            &b,
            "window.scrollTo(0, document.documentElement.scrollHeight);\
             var bar = document.querySelector('.save-bar').getBoundingClientRect();\
             return [Math.round(bar.top), Math.round(bar.bottom), window.innerHeight];",
            vec![],
        )
        .await;
        let top = measured[0].as_i64().unwrap();
        let bottom = measured[1].as_i64().unwrap();
        let height = measured[2].as_i64().unwrap();
        assert!(
            top.abs() <= 1 && bottom < height / 3,
            "the bar sticks to the top at {width} px: {measured}"
        );
        // Put a question right under the bar, then reach it with Tab from the one before.
        run(
            &b,
            "var target = document.getElementById('q-domains-returns-collects-no');\
             var before = document.getElementById('q-domains-statelessness-needed-no');\
             window.scrollTo(0, window.scrollY + target.getBoundingClientRect().top - 10);\
             before.focus({ preventScroll: true });",
            vec![],
        )
        .await;
        b.press(&key(Key::Tab)).await;
        let focused = run(
            &b,
            "var bar = document.querySelector('.save-bar').getBoundingClientRect();\
             var el = document.activeElement.getBoundingClientRect();\
             return [document.activeElement.id, Math.round(el.top), Math.round(bar.bottom)];",
            vec![],
        )
        .await;
        assert!(
            focused[1].as_i64().unwrap() >= focused[2].as_i64().unwrap(),
            "the focused question is below the bar at {width} px: {focused}"
        );
        let png = b.client.screenshot().await.unwrap();
        std::fs::write(
            crate::browser::screenshots_dir()
                .join(format!("questionnaire-save-bar-scrolled-{width}.png")),
            png,
        )
        .unwrap();
    }
    b.client.set_window_size(1280, 900).await.unwrap();
    b.client.refresh().await.unwrap();
    checks.page(&b, "section-domains", Source::Http).await;
    b.close().await;
    checks.finish().await;
}

#[actix_web::test]
#[ignore = "needs chromium; .ci/run runs it"]
async fn without_script_save_and_continue_stays_for_the_questions_it_opened() {
    let app = TestApp::spawn().await;
    let Forum { response, .. } = forum::forum(&app).await;
    let driver = Driver::start();
    let mut checks =
        Checks::new("questionnaire-no-script").with_seer(Browser::open(&driver, true).await);
    let b = Browser::open(&driver, false).await;
    log_in_to_the_response(&app, &b).await;
    open_section(&b, "Dominios de datos migratorios").await;
    assert!(!shown(&b, "#q-domains-asylum-source-block").await);
    b.click("#q-domains-asylum-collects-partly").await;
    // Without a script nothing changes until the save.
    assert!(!shown(&b, "#q-domains-asylum-source-block").await);
    b.click("button[value=continue]").await;
    b.wait_new_page(String::new()).await;
    assert_eq!(
        b.path().await,
        format!("/responses/{response}/sections/domains"),
        "the save opened questions: the section stays"
    );
    let flash = b.text(".flash").await;
    assert!(flash.contains("abrieron preguntas nuevas"), "{flash}");
    assert!(shown(&b, "#q-domains-asylum-source-block").await);
    let list = b.text(".notice.opened").await;
    assert!(list.contains("Solicitudes de asilo"), "{list}");
    b.screenshots("questionnaire-no-script-opened").await;
    b.click(".notice.opened a").await;
    let png = b.client.screenshot().await.unwrap();
    std::fs::write(
        crate::browser::screenshots_dir().join("questionnaire-no-script-opened-link-1280.png"),
        png,
    )
    .unwrap();
    checks.page(&b, "section-opened", Source::Dom).await;

    // Answered (or not), "Save and continue" now moves on.
    b.click("#q-domains-asylum-disaggregations-sex").await;
    b.click("button[value=continue]").await;
    b.wait_new_page(String::new()).await;
    assert_eq!(b.path().await, format!("/responses/{response}/mechanisms"));

    // Removing a mechanism asks on a page of its own.
    let rep_http = app.new_client();
    crate::support::login(&rep_http, &app.base, REP_EMAIL, PASSWORD).await;
    forum::add_mechanism(&rep_http, &app, &response, "Registro de asilo", "", "OIM").await;
    b.client.refresh().await.unwrap();
    b.click("a.mechanism-remove").await;
    b.wait_new_page(String::new()).await;
    assert!(b.path().await.ends_with("/delete"));
    assert!(b.text("h1").await.contains("Registro de asilo"));
    b.screenshots("questionnaire-mechanism-delete-page").await;
    checks.page(&b, "mechanism-delete", Source::Http).await;
    b.click("main form button[type=submit]").await;
    b.wait_new_page(String::new()).await;
    assert_eq!(b.path().await, format!("/responses/{response}/mechanisms"));
    assert!(
        capacity_survey::store::mechanisms::list_for_response(&mut app.conn(), &response)
            .unwrap()
            .is_empty()
    );
    b.close().await;
    checks.finish().await;
}

#[actix_web::test]
#[ignore = "needs chromium; .ci/run runs it"]
async fn ones_own_save_from_another_tab_is_not_someone_elses_and_the_restore_offer_shows_once() {
    let app = TestApp::spawn().await;
    let Forum { response, .. } = forum::forum(&app).await;
    let driver = Driver::start();
    let mut checks = Checks::new("questionnaire-conflict");
    let b = Browser::open(&driver, true).await;
    log_in_to_the_response(&app, &b).await;
    open_section(&b, "Marco legal e institucional").await;
    let first = b.client.window().await.unwrap();

    // The same person opens the section in another tab, from the site's address, and answers
    // there.
    let second = b.client.new_window(true).await.unwrap();
    b.client
        .switch_to_window(second.handle.clone())
        .await
        .unwrap();
    b.goto(&app.url("/")).await;
    b.click_and_wait(".card-list a").await;
    open_section(&b, "Marco legal e institucional").await;
    b.click("#q-legal-mandate-3").await;
    wait_status(&b, "the other tab's autosave", "Guardado: ").await;
    let at = saved_time(&app, &response, "legal");

    // Back in the first tab, typing meets that save: the status names the person herself, with a
    // link that reloads the section.
    b.client.switch_to_window(first).await.unwrap();
    let evidence = "#q-legal-mandate-evidence";
    b.fill(evidence, "Ley 3 de 2008").await;
    wait_status(&b, "the conflict", "Usted guardó esta sección").await;
    let said = status(&b).await;
    assert!(
        said.contains("en otra pestaña o en un guardado anterior") && said.contains(&at),
        "{said}"
    );
    assert!(!said.contains("Otra persona"), "{said}");
    b.screenshots("questionnaire-conflict-own").await;
    view_shots(&b, "questionnaire-conflict-own", evidence).await;
    checks.page(&b, "section-conflict-own", Source::Dom).await;
    let link = b.find("#save-status a").await;
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some(format!("/responses/{response}/sections/legal").as_str())
    );

    // "Save" shows both versions on a page of its own, which says the same and offers no copy
    // from the browser (it holds what was typed: one banner, not two).
    b.click_and_wait("button[name=action][value=save]").await;
    let summary = b.text(".error-summary").await;
    assert!(
        summary.contains(&format!(
            "Usted guardó esta sección en otra pestaña o en un guardado anterior ({at})"
        )),
        "{summary}"
    );
    assert!(!b.exists("#restore").await, "no restore offer on this page");
    assert_eq!(status(&b).await, "Cambios sin guardar");
    assert_eq!(
        b.find(evidence)
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Ley 3 de 2008")
    );
    b.screenshots("questionnaire-conflict-own-page").await;
    checks
        .page(&b, "section-conflict-own-page", Source::Dom)
        .await;

    // Its link reloads by GET: no form sent again, no question from the browser.
    let marker = b.mark_page().await;
    b.click(".error-summary a").await;
    b.wait_new_page(marker).await;
    assert_eq!(
        b.path().await,
        format!("/responses/{response}/sections/legal")
    );
    assert_eq!(status(&b).await, format!("Guardado: {at}"));

    // The copy kept in this browser (newer, and different) is offered once; restored, it saves
    // over one's own save without any conflict.
    b.wait_until("the restore offer", WAIT, || async {
        shown(&b, "#restore").await
    })
    .await;
    assert_eq!(
        run(
            &b,
            "return document.querySelectorAll('#restore').length;",
            vec![]
        )
        .await,
        json!(1)
    );
    b.screenshots("questionnaire-restore-offer").await;
    b.click("#restore-apply").await;
    assert!(!shown(&b, "#restore").await);
    assert_eq!(
        b.find(evidence)
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Ley 3 de 2008")
    );
    wait_status(&b, "the restored copy saved", "Guardado: ").await;
    assert!(!shown(&b, "#restore").await, "the offer does not come back");
    b.client.refresh().await.unwrap();
    b.find("form.questionnaire").await;
    assert!(
        !shown(&b, "#restore").await,
        "nothing left to offer once saved"
    );
    assert_eq!(
        b.find(evidence)
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Ley 3 de 2008")
    );
    b.close().await;
    checks.finish().await;
}

#[actix_web::test]
#[ignore = "needs chromium; .ci/run runs it"]
async fn removing_a_mechanism_asks_in_its_row_first() {
    let app = TestApp::spawn().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;
    forum::add_mechanism(&rep, &app, &response, "Registro de asilo", "", "OIM").await;
    forum::add_mechanism(&rep, &app, &response, "Reporte a la OIM", "", "OIM").await;
    let driver = Driver::start();
    let mut checks = Checks::new("questionnaire-remove");
    let b = Browser::open(&driver, true).await;
    log_in_to_the_response(&app, &b).await;
    follow(&b, "Mecanismos de intercambio").await;
    let marker = b.mark_page().await;
    let remove = "//div[@id='mechanism-list']//tr[th/a[normalize-space()='Registro de asilo']]//a[contains(@class,'mechanism-remove')]";
    let count = || {
        capacity_survey::store::mechanisms::list_for_response(&mut app.conn(), &response)
            .unwrap()
            .len()
    };

    // The question comes in the row, with the focus on "Yes, remove"; Escape takes it back.
    b.click_xpath(remove).await;
    let row = b.text(".inline-confirm").await;
    assert!(row.contains("¿Eliminar «Registro de asilo»?"), "{row}");
    let link = b
        .client
        .find(fantoccini::Locator::XPath(remove))
        .await
        .unwrap();
    assert!(
        !link.is_displayed().await.unwrap(),
        "the question takes the link's place"
    );
    assert_eq!(
        run(&b, "return document.activeElement.textContent;", vec![]).await,
        json!("Sí, eliminar")
    );
    b.screenshots("questionnaire-mechanism-remove-ask").await;
    view_shots(&b, "questionnaire-mechanism-remove-ask", ".inline-confirm").await;
    checks.page(&b, "mechanisms-ask", Source::Dom).await;
    b.press(&key(Key::Escape)).await;
    assert!(!b.exists(".inline-confirm").await);
    assert_eq!(
        run(
            &b,
            "return document.activeElement.classList.contains('mechanism-remove');",
            vec![]
        )
        .await,
        json!(true),
        "the focus is back on the link"
    );
    assert_eq!(count(), 2, "nothing removed without a yes");

    // Asked again and confirmed: removed without a reload.
    b.click_xpath(remove).await;
    b.press(&key(Key::Enter)).await;
    b.wait_until("the entry removed", WAIT, || async {
        !b.text("#mechanism-list")
            .await
            .contains("Registro de asilo")
    })
    .await;
    assert!(b.still_marked(&marker).await, "no reload");
    assert_eq!(count(), 1);
    b.screenshots("questionnaire-mechanism-removed").await;
    b.close().await;
    checks.finish().await;
}

#[actix_web::test]
#[ignore = "needs chromium; .ci/run runs it"]
async fn the_browsers_copies_of_drafts_go_at_submission_and_at_logout() {
    let app = TestApp::spawn().await;
    let Forum {
        rep,
        response,
        assessment,
    } = forum::forum(&app).await;
    let instrument = forum::instrument();
    for section in &instrument.sections {
        let values = forum::complete_answers(&instrument, &section.key);
        if !values.is_empty() {
            let saved =
                forum::save_section(&rep, &app, &response, &section.key, &values, &[]).await;
            assert_eq!(saved.status(), 303, "{}", section.key);
        }
    }
    let driver = Driver::start();
    let b = Browser::open(&driver, true).await;
    log_in_to_the_response(&app, &b).await;

    // A typed answer is kept in this browser until it is saved.
    open_section(&b, "Marco legal e institucional").await;
    b.fill("#q-legal-mandate-evidence", "Decreto 40").await;
    let ours = format!("capacity-survey:draft:{response}:legal");
    assert_eq!(drafts(&b).await, vec![ours.clone()]);
    wait_status(&b, "the autosave", "Guardado: ").await;
    assert!(drafts(&b).await.is_empty(), "saved: the copy goes");

    // Copies left over (say, typed offline) for this response and for another one.
    let elsewhere = format!("capacity-survey:draft:{assessment}-other:legal");
    keep_draft(&b, &ours).await;
    keep_draft(&b, &format!("capacity-survey:draft:{response}:about")).await;
    keep_draft(&b, &elsewhere).await;
    b.click_and_wait(".breadcrumb a").await;
    follow(&b, "Revisar y enviar").await;
    b.click_and_wait("form.submit-box button[type=submit]")
        .await;
    assert_eq!(
        capacity_survey::store::responses::find(&mut app.conn(), &response)
            .unwrap()
            .status,
        "submitted"
    );
    assert_eq!(
        drafts(&b).await,
        vec![elsewhere.clone()],
        "the submitted response's copies are gone, another's stay"
    );

    // Logging out leaves no copy at all.
    b.click_and_wait("form[action='/logout'] button").await;
    assert_eq!(b.path().await, "/login");
    assert!(drafts(&b).await.is_empty());
    b.close().await;
}
