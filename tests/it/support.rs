//! `TestApp`: the real application on a random port with a fresh database (a SQLite file, or a
//! fresh PostgreSQL database when `TEST_DATABASE_URL` is set), and a cookie-keeping client.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use capacity_survey::app::App;
use capacity_survey::config::Config;
use capacity_survey::domain::account::{EmailAddress, NewPassword, PersonName, Role};
use capacity_survey::server;
use capacity_survey::service::{self, ManualClock, accounts};
use capacity_survey::store::users::{self, NewUser};
use capacity_survey::store::{self, DbConnection, Pool};
use diesel::Connection;
use diesel::RunQueryDsl;
use reqwest::redirect::Policy;

pub const PASSWORD: &str = "correct horse battery";

/// Where the test's database lives, so it can be removed afterwards.
pub enum TestDb {
    Sqlite { dir: PathBuf },
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub fn create() -> (TestDb, String) {
        let suffix = store::new_id();
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let (base, _) = url
                    .trim()
                    .rsplit_once('/')
                    .expect("TEST_DATABASE_URL must end with /database");
                let admin_url = format!("{base}/postgres");
                let name = format!("cs_test_{}", &suffix[..16]);
                let mut admin = diesel::PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot connect to {admin_url}: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create the test database");
                let db_url = format!("{base}/{name}");
                (TestDb::Postgres { admin_url, name }, db_url)
            }
            _ => {
                let dir = std::env::temp_dir().join(format!("capacity-survey-test-{suffix}"));
                std::fs::create_dir_all(&dir).expect("create temp dir");
                let url = format!("sqlite://{}/test.db", dir.display());
                (TestDb::Sqlite { dir }, url)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres { admin_url, name } => {
                if let Ok(mut admin) = diesel::PgConnection::establish(admin_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin);
                }
            }
        }
    }
}

/// Whether the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.trim().is_empty())
}

pub struct TestApp {
    /// The app's clock: starts at the real time and moves only when a test moves it.
    pub clock: Arc<ManualClock>,
    pub base: String,
    pub client: reqwest::Client,
    pub state: Arc<App>,
    pub setup_token: Option<String>,
    pub database_url: String,
    handle: actix_web::dev::ServerHandle,
    // Dropped last: the database outlives the server using it.
    _db: TestDb,
}

impl TestApp {
    /// A fresh app with an empty database.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A fresh app whose database `seed` prepared before the server started.
    pub async fn spawn_with(seed: impl FnOnce(&mut DbConnection)) -> TestApp {
        Self::spawn_configured(seed, |_| {}).await
    }

    pub async fn spawn_configured(
        seed: impl FnOnce(&mut DbConnection),
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        Self::spawn_pooled(seed, configure, store::PoolOptions::default()).await
    }

    /// Like [`TestApp::spawn_configured`], with the pool's options (e.g. a small pool).
    pub async fn spawn_pooled(
        seed: impl FnOnce(&mut DbConnection),
        configure: impl FnOnce(&mut Config),
        pool_options: store::PoolOptions,
    ) -> TestApp {
        let (db, database_url) = TestDb::create();
        let pool = store::open(&database_url, &pool_options)
            .unwrap_or_else(|e| panic!("open {database_url}: {e}"));
        seed(&mut pool.get().expect("connection"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Config::for_database(&database_url);
        config.base_url = format!("http://{addr}");
        config.workers = Some(1);
        // Tests move the clock by days while logged in; tests/it/sessions.rs sets the real limits.
        config.session_idle_hours = 24 * 400;
        config.session_max_days = 400;
        configure(&mut config);
        let clock = Arc::new(ManualClock::new(service::now()));
        let running =
            server::start_with_clock(config, pool, listener, clock.clone()).expect("start the app");
        let handle = running.handle.clone();
        actix_web::rt::spawn(running.server);
        TestApp {
            clock,
            base: format!("http://{addr}"),
            client: client(),
            state: running.state,
            setup_token: running.setup_token,
            database_url,
            handle,
            _db: db,
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.state.pool
    }

    pub fn conn(&self) -> store::PooledConnection {
        self.pool().get().expect("connection")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A second browser: its own cookies.
    pub fn new_client(&self) -> reqwest::Client {
        client()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        get(&self.client, &self.url(path)).await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        post_form(&self.client, &self.url(path), form).await
    }

    /// Reads the CSRF token from the form on `page`.
    pub async fn csrf(&self, page: &str) -> String {
        csrf_of(&self.client, &self.url(page)).await
    }

    /// Logs the default client in; returns the response to the login post.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        login(&self.client, &self.base, email, password).await
    }

    pub fn create_organizer(&self, email: &str, name: &str) {
        create_account(&mut self.conn(), email, name, Role::Organizer);
    }

    pub fn create_representative(&self, email: &str, name: &str) {
        create_account(&mut self.conn(), email, name, Role::Representative);
    }

    pub fn user_count(&self) -> i64 {
        users::count(&mut self.conn()).expect("count users")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent when `stop` is called; the returned future only waits for it.
        drop(self.handle.stop(false));
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

pub async fn get(client: &reqwest::Client, url: &str) -> reqwest::Response {
    client.get(url).send().await.expect("GET")
}

/// The body of a page.
pub async fn text(client: &reqwest::Client, url: &str) -> String {
    get(client, url).await.text().await.expect("body")
}

pub async fn post_form(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client.post(url).form(form).send().await.expect("POST")
}

pub async fn csrf_of(client: &reqwest::Client, url: &str) -> String {
    let html = get(client, url).await.text().await.expect("body");
    csrf_in(&html).unwrap_or_else(|| panic!("no CSRF token on {url}:\n{html}"))
}

/// The value of the first `csrf_token` field in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

pub async fn login(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let token = csrf_of(client, &format!("{base}/login")).await;
    post_form(
        client,
        &format!("{base}/login"),
        &[
            ("csrf_token", &token),
            ("email", email),
            ("password", password),
        ],
    )
    .await
}

pub fn create_account(conn: &mut DbConnection, email: &str, name: &str, role: Role) {
    let email = EmailAddress::parse(email).expect("email");
    let name = PersonName::parse(name).expect("name");
    match role {
        Role::Organizer => {
            let password = NewPassword::parse(PASSWORD).expect("password");
            accounts::create_organizer(conn, &email, &name, &password, false, None, service::now())
                .expect("create organizer");
        }
        Role::Representative => {
            let hash = accounts::hash_password(PASSWORD).expect("hash");
            users::insert(
                conn,
                &NewUser {
                    id: &store::new_id(),
                    email: email.as_str(),
                    name: name.as_str(),
                    role: role.as_str(),
                    password_hash: &hash,
                    created_at: service::now(),
                },
            )
            .expect("insert representative");
        }
    }
}

/// The `Location` header of a redirect.
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

// Stopping and restarting the server (the browser tests in tests/e2e take the site "offline"
// and back; this binary does not use them).
#[allow(dead_code)]
impl TestApp {
    /// Stops the server and waits until it no longer accepts connections; the database stays.
    pub async fn stop_server(&self) {
        self.handle.stop(false).await;
    }

    /// Starts the application again on the same address, database, clock and session key, so a
    /// browser that was on the site keeps its session.
    pub async fn restart_server(&mut self) {
        let addr = self
            .base
            .strip_prefix("http://")
            .expect("base starts with http://")
            .to_owned();
        let listener = TcpListener::bind(&addr).expect("bind the same address again");
        let running = server::start_with_clock(
            self.state.config.clone(),
            self.state.pool.clone(),
            listener,
            self.clock.clone(),
        )
        .expect("restart the app");
        self.handle = running.handle.clone();
        self.state = running.state;
        actix_web::rt::spawn(running.server);
    }
}
