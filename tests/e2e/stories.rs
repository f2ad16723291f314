//! The stories.
use crate::browser::{Browser, Checks, Driver, Source};
use crate::support::TestApp;

#[actix_web::test]
#[ignore = "needs chromium; .ci/run runs it"]
async fn smoke() {
    let app = TestApp::spawn().await;
    let driver = Driver::start();
    let b = Browser::open(&driver, true).await;
    b.goto(&app.url("/login")).await;
    let mut checks = Checks::new("smoke");
    checks.page(&b, "login", Source::Http).await;
    b.screenshots("login").await;
    b.close().await;
    checks.finish();
}
