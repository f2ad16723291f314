//! Headless Chromium driven through chromedriver, and the checks run on every page a story
//! visits: axe-core in the page, the page's HTML kept for the Nu checker, screenshots.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Where the tools live; each can be moved with an environment variable.
fn chromedriver_path() -> String {
    std::env::var("E2E_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned())
}

fn chromium_path() -> String {
    std::env::var("E2E_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn axe_path() -> PathBuf {
    std::env::var("E2E_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join(".ci/tools/node_modules/axe-core/axe.min.js"))
}

pub fn vnu_path() -> PathBuf {
    std::env::var("E2E_VNU")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join(".ci/tools/node_modules/vnu-jar/build/dist/vnu.jar"))
}

pub fn screenshots_dir() -> PathBuf {
    repo_root().join("screenshots")
}

/// A fresh, empty folder under the system's temporary folder.
pub fn fresh_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "capacity-survey-e2e-{label}-{}-{}",
        std::process::id(),
        capacity_survey::store::new_id()
    ));
    std::fs::create_dir_all(&dir).expect("create a temporary folder");
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// chromedriver on a free loopback port, stopped (by its process id) when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
    home: PathBuf,
}

impl Driver {
    pub fn start() -> Driver {
        let port = free_port();
        let home = fresh_dir("driver");
        let child = Command::new(chromedriver_path())
            .arg(format!("--port={port}"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("HOME", &home)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", chromedriver_path()));
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            home,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// One browser session with its own fresh profile.
pub struct Browser {
    pub client: Client,
    pub javascript: bool,
    profile: PathBuf,
}

impl Browser {
    pub async fn open(driver: &Driver, javascript: bool) -> Browser {
        let profile = fresh_dir("profile");
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut prefs = json!({ "intl.accept_languages": "es" });
        if !javascript {
            args.push("--blink-settings=scriptEnabled=false".to_owned());
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": chromium_path(), "args": args, "prefs": prefs }),
        );
        // A dialog (the unsaved-changes warning) must fail the test, not hang it.
        caps.insert("unhandledPromptBehavior".to_owned(), json!("dismiss"));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("start a Chromium session: {e}"));
        Browser {
            client,
            javascript,
            profile,
        }
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        self.assert_script_state().await;
    }

    /// The site's script ran if and only if this browser has scripts (it marks `<html>`).
    pub async fn assert_script_state(&self) {
        let ran = self
            .client
            .execute(
                "return document.documentElement.classList.contains('js');",
                vec![],
            )
            .await
            .ok();
        if let Some(Value::Bool(ran)) = ran {
            assert_eq!(
                ran, self.javascript,
                "app.js ran: {ran}, scripts on: {}",
                self.javascript
            );
        }
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        url.path().to_owned()
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no element {css} on {}: {e}", self.here().await),
        }
    }

    pub async fn click_xpath(&self, xpath: &str) {
        self.client
            .find(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("no element {xpath}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {xpath}: {e}"));
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    pub async fn here(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    /// Types into a field found by CSS (clicking it first).
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field.clear().await.ok();
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks a button or link and waits until the browser has left the current page.
    pub async fn click_and_wait(&self, css: &str) {
        let marker = self.mark_page().await;
        self.click(css).await;
        self.wait_new_page(marker).await;
    }

    /// Leaves a marker in the current document: gone once another document has loaded.
    pub async fn mark_page(&self) -> String {
        let mut marker = capacity_survey::store::new_id();
        if self.javascript {
            self.client
                .execute(
                    "document.documentElement.setAttribute('data-e2e-page', arguments[0]);",
                    vec![json!(marker)],
                )
                .await
                .expect("mark the page");
        } else {
            // Without scripts, the current URL and the absence of the old body stand in.
            marker.clone_from(&self.here().await);
        }
        marker
    }

    pub async fn wait_new_page(&self, marker: String) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let gone = if self.javascript {
                matches!(
                    self.client
                        .execute(
                            "return document.readyState === 'complete' && \
                             document.documentElement.getAttribute('data-e2e-page') !== arguments[0];",
                            vec![json!(marker)],
                        )
                        .await,
                    Ok(Value::Bool(true))
                )
            } else {
                // Submitting a form without scripts always lands on a new document; wait for
                // the navigation to settle.
                tokio_sleep(Duration::from_millis(300)).await;
                true
            };
            if gone {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no new page after 20 s (still on {})",
                self.here().await
            );
            tokio_sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the page still has the marker (no reload happened).
    pub async fn still_marked(&self, marker: &str) -> bool {
        matches!(
            self.client
                .execute(
                    "return document.documentElement.getAttribute('data-e2e-page') === arguments[0];",
                    vec![json!(marker)],
                )
                .await,
            Ok(Value::Bool(true))
        )
    }

    /// Waits until `check` says yes (polling), or panics with `what`.
    pub async fn wait_until<F, Fut>(&self, what: &str, timeout: Duration, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + timeout;
        while !check().await {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} on {}",
                self.here().await
            );
            tokio_sleep(Duration::from_millis(150)).await;
        }
    }

    // ---- keyboard ----------------------------------------------------------------------

    /// Presses keys on whatever has the focus.
    pub async fn press(&self, keys: &str) {
        let active = self.client.active_element().await.expect("active element");
        active
            .send_keys(keys)
            .await
            .unwrap_or_else(|e| panic!("press keys: {e}"));
    }

    pub async fn active_id(&self) -> String {
        match self.client.active_element().await {
            Ok(element) => element.attr("id").await.ok().flatten().unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Presses Tab until the focus is on the element `css` finds (at most 80 presses).
    pub async fn tab_to(&self, css: &str) {
        let target = self.find(css).await.element_id();
        for _ in 0..80 {
            if let Ok(active) = self.client.active_element().await
                && active.element_id() == target
            {
                return;
            }
            self.press(&Key::Tab.to_string()).await;
        }
        panic!(
            "Tab never reached {css} on {} (focus on #{})",
            self.here().await,
            self.active_id().await
        );
    }

    /// Moves the focus to the top of the document, as a fresh page load does.
    pub async fn focus_top(&self) {
        if self.javascript {
            self.client
                .execute(
                    "if (document.activeElement) { document.activeElement.blur(); } \
                     window.scrollTo(0, 0);",
                    vec![],
                )
                .await
                .ok();
        }
    }

    // ---- cookies and raw HTML ------------------------------------------------------------

    /// The browser's cookies as one `Cookie` header value.
    pub async fn cookie_header(&self) -> String {
        self.client
            .get_all_cookies()
            .await
            .unwrap_or_default()
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The page as the DOM has it now, with its doctype.
    pub async fn dom_html(&self) -> String {
        let html = self
            .client
            .execute(
                "return '<!DOCTYPE html>\\n' + document.documentElement.outerHTML;",
                vec![],
            )
            .await
            .expect("read the DOM");
        html.as_str().unwrap_or_default().to_owned()
    }

    // ---- screenshots ---------------------------------------------------------------------

    /// Full-page screenshots at 1280 and 360 px wide into `screenshots/<name>-<width>.png`.
    pub async fn screenshots(&self, name: &str) {
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).expect("create screenshots/");
        for width in [1280u32, 360] {
            self.client
                .set_window_size(width, 900)
                .await
                .expect("resize the window");
            if width == 360 {
                // What a phone shows first, readable at full size.
                tokio_sleep(Duration::from_millis(120)).await;
                let png = self.client.screenshot().await.expect("screenshot");
                std::fs::write(dir.join(format!("{name}-{width}-top.png")), png)
                    .expect("write a screenshot");
            }
            let height = if self.javascript {
                self.client
                    .execute("return document.documentElement.scrollHeight;", vec![])
                    .await
                    .ok()
                    .and_then(|v| v.as_u64())
                    .unwrap_or(900)
            } else {
                1800
            };
            let height = u32::try_from(height).unwrap_or(900).clamp(600, 6000);
            self.client
                .set_window_size(width, height + 140)
                .await
                .expect("resize the window");
            tokio_sleep(Duration::from_millis(120)).await;
            if self.javascript {
                self.assert_no_page_overflow(name, width).await;
            }
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::write(dir.join(format!("{name}-{width}.png")), png)
                .expect("write a screenshot");
        }
        self.client
            .set_window_size(1280, 900)
            .await
            .expect("resize the window");
    }
}

impl Browser {
    /// The page itself never scrolls sideways (wide tables scroll inside their own box); the
    /// message names the elements that stick out of the page, leaving out those inside a box
    /// that scrolls or clips.
    async fn assert_no_page_overflow(&self, name: &str, width: u32) {
        let found = self
            .client
            .execute(
                "var root = document.documentElement;\
                 if (root.scrollWidth <= root.clientWidth) { return ''; }\
                 var out = [];\
                 function boxed(el) {\
                   for (var p = el.parentElement; p && p !== document.body; p = p.parentElement) {\
                     if (getComputedStyle(p).overflowX !== 'visible') { return true; }\
                   }\
                   return false;\
                 }\
                 document.querySelectorAll('body *').forEach(function (el) {\
                   var r = el.getBoundingClientRect();\
                   if (r.right > root.clientWidth + 1 && !boxed(el)) {\
                     out.push(el.tagName + '.' + el.className + ' right=' + Math.round(r.right));\
                   }\
                 });\
                 return 'scrollWidth ' + root.scrollWidth + ' > ' + root.clientWidth + ': ' +\
                   out.slice(0, 12).join('; ');",
                vec![],
            )
            .await
            .expect("measure the page");
        let found = found.as_str().unwrap_or_default();
        assert!(
            found.is_empty(),
            "{name} at {width} px overflows sideways: {found}"
        );
    }
}

pub async fn tokio_sleep(duration: Duration) {
    actix_web::rt::time::sleep(duration).await;
}

/// Where a page's HTML for the Nu checker comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Fetch the same URL again over HTTP with the browser's cookies: the server's own HTML.
    Http,
    /// The page answered a POST and cannot be fetched again: serialize the DOM.
    Dom,
}

/// The checks collected over a story: axe violations found, pages kept for vnu.
pub struct Checks {
    pub pages_dir: PathBuf,
    pub checked: BTreeSet<String>,
    seer: Option<Browser>,
    axe_source: String,
    http: reqwest::Client,
    failures: Vec<String>,
}

impl Checks {
    pub fn new(label: &str) -> Checks {
        let axe = axe_path();
        let axe_source = std::fs::read_to_string(&axe)
            .unwrap_or_else(|e| panic!("read axe-core at {} ({e}); run .ci/e2e", axe.display()));
        let pages_dir = repo_root().join("target").join("e2e-pages").join(label);
        let _ = std::fs::remove_dir_all(&pages_dir);
        std::fs::create_dir_all(&pages_dir).expect("create the pages folder");
        Checks {
            pages_dir,
            checked: BTreeSet::new(),
            seer: None,
            axe_source,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            failures: Vec::new(),
        }
    }

    /// Runs axe on the page the browser shows now and keeps its HTML; then switches to the other
    /// language with the header's language links, does the same, and switches back.
    pub async fn page(&mut self, browser: &Browser, name: &str, source: Source) {
        let lang = browser
            .client
            .execute("return document.documentElement.lang;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "es".to_owned());
        self.one(browser, &format!("{name}.{lang}"), source).await;
        if source == Source::Dom {
            // A POST's answer cannot be loaded again in the other language.
            return;
        }
        let other = if lang == "en" { "es" } else { "en" };
        browser
            .click_and_wait(&format!(".lang-switch a[hreflang={other}]"))
            .await;
        self.one(browser, &format!("{name}.{other}"), source).await;
        browser
            .click_and_wait(&format!(".lang-switch a[hreflang={lang}]"))
            .await;
    }

    /// Runs axe on the page the browser shows now, in its language only, and keeps its HTML.
    pub async fn page_in_its_language(&mut self, browser: &Browser, name: &str) {
        let lang = browser
            .client
            .execute("return document.documentElement.lang;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "es".to_owned());
        self.one(browser, &format!("{name}.{lang}"), Source::Http)
            .await;
    }

    async fn one(&mut self, browser: &Browser, label: &str, source: Source) {
        self.checked
            .insert(format!("{label} {}", browser.path().await));
        if browser.javascript {
            self.axe(browser, label).await;
        } else {
            self.axe_through_seer(browser, label, source).await;
        }
        let html = match source {
            Source::Http => {
                let url = browser.here().await;
                let cookies = browser.cookie_header().await;
                // A kept-alive connection the server just closed fails once; try again.
                let mut attempt = 0;
                let response = loop {
                    attempt += 1;
                    match self.http.get(&url).header("Cookie", &cookies).send().await {
                        Ok(response) => break response,
                        Err(e) if attempt < 3 => {
                            eprintln!("fetch {url}: {e}; again");
                            tokio_sleep(Duration::from_millis(200)).await;
                        }
                        Err(e) => panic!("fetch {url}: {e}"),
                    }
                };
                assert_eq!(response.status(), 200, "fetch {url} for vnu");
                response.text().await.expect("page body")
            }
            Source::Dom => browser.dom_html().await,
        };
        let file = label.replace(['/', ' '], "_");
        std::fs::write(self.pages_dir.join(format!("{file}.html")), html).expect("keep the page");
    }

    /// axe-core needs timers, which a page without scripts does not run: the same page is shown
    /// in a second browser with scripts (the seer), with the same cookies, and checked there.
    async fn axe_through_seer(&mut self, browser: &Browser, label: &str, source: Source) {
        let seer = self
            .seer
            .take()
            .expect("pages without scripts are checked through Checks::with_seer");
        let url = browser.client.current_url().await.expect("url");
        let origin = format!(
            "{}://{}:{}",
            url.scheme(),
            url.host_str().unwrap_or("127.0.0.1"),
            url.port().unwrap_or(80)
        );
        seer.goto(&format!("{origin}/login")).await;
        seer.client.delete_all_cookies().await.ok();
        for cookie in browser.client.get_all_cookies().await.unwrap_or_default() {
            seer.client
                .add_cookie(cookie)
                .await
                .unwrap_or_else(|e| panic!("copy a cookie to the seer: {e}"));
        }
        match source {
            Source::Http => seer.goto(url.as_str()).await,
            Source::Dom => {
                // The answer to a POST: the seer shows the same document.
                let html = browser.dom_html().await;
                seer.client
                    .execute(
                        "document.open(); document.write(arguments[0]); document.close();",
                        vec![json!(html)],
                    )
                    .await
                    .expect("show the page in the seer");
            }
        }
        self.axe(&seer, label).await;
        self.seer = Some(seer);
    }

    async fn axe(&mut self, browser: &Browser, label: &str) {
        browser
            .client
            .execute(&self.axe_source, vec![])
            .await
            .unwrap_or_else(|e| panic!("inject axe-core on {label}: {e}"));
        let result = browser
            .client
            .execute_async(
                "var done = arguments[arguments.length - 1];\
                 axe.run(document, { runOnly: { type: 'tag', values: \
                   ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })\
                   .then(function (r) { done(JSON.stringify(r.violations)); })\
                   .catch(function (e) { done('axe failed: ' + e); });",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("run axe-core on {label}: {e}"));
        let text = result.as_str().unwrap_or_default();
        let violations: Vec<Value> = serde_json::from_str(text)
            .unwrap_or_else(|_| panic!("axe on {label} answered: {text}"));
        for v in violations {
            let mut lines = format!(
                "[{label}] {} ({}): {}",
                v["id"].as_str().unwrap_or_default(),
                v["impact"].as_str().unwrap_or_default(),
                v["help"].as_str().unwrap_or_default()
            );
            for node in v["nodes"].as_array().into_iter().flatten().take(6) {
                lines.push_str(&format!(
                    "\n    at {}\n       {}",
                    node["target"],
                    node["failureSummary"]
                        .as_str()
                        .unwrap_or_default()
                        .replace('\n', "\n       ")
                ));
            }
            self.failures.push(lines);
        }
    }

    /// A browser with scripts, used to run axe-core on the pages of a browser without them.
    pub fn with_seer(mut self, seer: Browser) -> Checks {
        self.seer = Some(seer);
        self
    }

    /// Fails with every axe violation found, then runs the Nu checker once over all the pages
    /// kept and fails with its errors.
    pub async fn finish(mut self) {
        if let Some(seer) = self.seer.take() {
            seer.close().await;
        }
        let listed: Vec<&String> = self.checked.iter().collect();
        eprintln!("pages checked ({}):", listed.len());
        for page in &listed {
            eprintln!("  {page}");
        }
        assert!(
            self.failures.is_empty(),
            "axe-core found {} violation(s):\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        let errors = vnu(&self.pages_dir);
        assert!(errors.is_empty(), "the Nu checker found errors:\n{errors}");
        eprintln!("axe: 0 violations; vnu: 0 errors");
    }
}

/// Runs the Nu checker over every `.html` file of a folder; returns its error lines.
pub fn vnu(dir: &Path) -> String {
    let jar = vnu_path();
    assert!(
        jar.exists(),
        "no vnu.jar at {} (run .ci/e2e)",
        jar.display()
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the pages folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    files.sort();
    let output = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "gnu"])
        .args(&files)
        .output()
        .expect("run java -jar vnu.jar");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text.trim().to_owned()
}
