//! Reliability under load and hostile clients: write transactions that wait instead of failing,
//! request bodies with a deadline, forms that refuse what they do not know, and a pool that a
//! slow download cannot starve.

use capacity_survey::store::mechanisms;

use crate::forum::{self, Forum};
use crate::support::{self, TestApp};

/// Posts a mechanism form with the valid fields plus `extra`.
async fn post_mechanism_with(
    app: &TestApp,
    rep: &reqwest::Client,
    response: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let token = support::csrf_of(
        rep,
        &app.url(&format!("/responses/{response}/mechanisms/new")),
    )
    .await;
    let mut form = vec![
        ("csrf_token", token.as_str()),
        ("version", "0"),
        ("v.name", "Intercambio de registros"),
        ("partner_org", ""),
        ("partner_name", "Oficina externa"),
        ("v.direction", "provide"),
        ("v.status", "active"),
    ];
    form.extend_from_slice(extra);
    rep.post(app.url(&format!("/responses/{response}/mechanisms")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_mechanism_form_with_an_unknown_field_is_refused_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let Forum { rep, response, .. } = forum::forum(&app).await;

    for extra in [
        [("v.no_such_field", "x")],
        [("e.name", "evidence for a mechanism")],
        [("_items", "legal.mandate")],
        [("v.legal.mandate", "3")],
    ] {
        let refused = post_mechanism_with(&app, &rep, &response, &extra).await;
        assert_eq!(refused.status(), 422, "{extra:?}");
        let body = refused.text().await.unwrap();
        assert!(
            body.contains("un campo que un mecanismo no tiene"),
            "{extra:?}: {body}"
        );
    }
    assert!(
        mechanisms::list_for_response(&mut app.conn(), &response)
            .unwrap()
            .is_empty(),
        "a refused form saved an entry"
    );

    // The same form with only known fields (and the page's own `_items`) is saved.
    let saved = post_mechanism_with(&app, &rep, &response, &[("_items", "name")]).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(
        mechanisms::list_for_response(&mut app.conn(), &response)
            .unwrap()
            .len(),
        1
    );
}
