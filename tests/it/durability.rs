//! Durability of the real binary: killed with SIGKILL in the middle of a burst of saves and
//! restarted on the same database, every save that got a success answer is there with its value;
//! on SIGTERM a request in flight completes and is stored, new connections are refused, the
//! background jobs stop and the process exits with code 0.
//!
//! Also the helpers that run the binary as a child process (shared with `instances.rs`).

use std::cell::Cell;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use capacity_survey::store::{self, DbConnection};
use diesel::RunQueryDsl;
use reqwest::cookie::CookieStore;
use tools::soak::{self, Ledger, Save, SectionPlan, Verdict};

use crate::support::{self, TestDb};

/// The session key every process of a test shares (128 hex characters).
pub const SESSION_KEY: &str = "5e55104b5e55104b5e55104b5e55104b5e55104b5e55104b5e55104b5e55104b\
                               5e55104b5e55104b5e55104b5e55104b5e55104b5e55104b5e55104b5e55104b";

/// A fresh database (SQLite file, or PostgreSQL when `TEST_DATABASE_URL` is set) seeded with
/// `n` organizations, each with a draft response and a representative.
pub struct SeededDb {
    pub url: String,
    pub seeded: soak::Seeded,
    pub plan: Vec<SectionPlan>,
    // Dropped last: removes the database.
    _db: TestDb,
}

impl SeededDb {
    pub fn create(n: usize) -> SeededDb {
        Self::create_with(n, |_| {})
    }

    /// Like [`SeededDb::create`], with more seeding of the caller's.
    pub fn create_with(n: usize, more: impl FnOnce(&mut DbConnection)) -> SeededDb {
        let (db, url) = TestDb::create();
        let pool = store::open(&url, &store::PoolOptions::default()).expect("open the database");
        let mut conn = pool.get().expect("connection");
        let seeded = soak::seed(&mut conn, n, capacity_survey::service::now()).expect("seed");
        more(&mut conn);
        let forum = capacity_survey::domain::instrument::forum_instrument().expect("instrument");
        SeededDb {
            url,
            seeded,
            plan: soak::plan(&forum),
            _db: db,
        }
    }

    /// A connection of its own (a fresh pool, so nothing is cached from before a restart).
    pub fn conn(&self) -> store::PooledConnection {
        let options = store::PoolOptions {
            max_size: 1,
            run_migrations: false,
            ..store::PoolOptions::default()
        };
        store::open(&self.url, &options)
            .expect("open the database")
            .get()
            .expect("connection")
    }
}

/// A free loopback port (bound and released; the server binds it a moment later).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `capacity-survey serve` as a child process.
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
    pub base: String,
    stderr: PathBuf,
    dir: PathBuf,
}

impl ServerProcess {
    /// Starts the binary on `database` and `port` with the shared session key and waits until
    /// `/healthz` answers.
    pub async fn start(database: &str, port: u16, extra: &[&str]) -> ServerProcess {
        let dir = std::env::temp_dir().join(format!(
            "capacity-survey-process-{}",
            capacity_survey::store::new_id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let stderr = dir.join("stderr.log");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new(env!("CARGO_BIN_EXE_capacity-survey"))
            .arg("serve")
            .args(["--bind", &addr.to_string()])
            .args(["--database", database])
            .args(["--session-key", SESSION_KEY])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .args(extra)
            .env_remove("CAPACITY_SURVEY_SMTP_URL")
            .env(
                "CAPACITY_SURVEY_LOG",
                "info,actix_server=warn,capacity_survey::jobs=debug",
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("start the binary");
        let mut server = ServerProcess {
            child,
            addr,
            base: format!("http://{addr}"),
            stderr,
            dir,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
                && r.status() == 200
            {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited at start ({status}):\n{}", server.log());
            }
            assert!(
                Instant::now() < deadline,
                "no /healthz within 60 s:\n{}",
                server.log()
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What the process wrote to stderr (its log).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn sigterm(&self) {
        let status = Command::new("sh")
            // The shell's own `kill`: no procps needed.
            .args(["-c", &format!("kill -TERM {}", self.child.id())])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits for the process to end, at most `limit`.
    pub async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {limit:?}:\n{}",
                self.log()
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then the exit status (within 45 s).
    pub async fn stop(&mut self) -> ExitStatus {
        self.sigterm();
        self.wait_exit(Duration::from_secs(45)).await
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A representative's browser: a cookie jar shared by every instance on 127.0.0.1 (cookies
/// are per host, not per port), its CSRF token and the versions of its sections.
pub struct Representative {
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub response_id: String,
    pub token: String,
    pub versions: Vec<i64>,
    pub ledgers: Vec<Ledger>,
}

impl Representative {
    /// Logs in at `base` and reads the token and section versions there.
    pub async fn log_in(base: &str, seat: &soak::Seat, plan: &[SectionPlan]) -> Representative {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let token = support::csrf_of(&client, &format!("{base}/login")).await;
        let login = support::post_form(
            &client,
            &format!("{base}/login"),
            &[
                ("csrf_token", &token),
                ("email", &seat.email),
                ("password", soak::PASSWORD),
            ],
        )
        .await;
        assert_eq!(login.status(), 303, "login of {}", seat.email);
        let mut rep = Representative {
            client,
            jar,
            response_id: seat.response_id.clone(),
            token: String::new(),
            versions: Vec::new(),
            ledgers: vec![Ledger::default(); plan.len()],
        };
        for section in plan {
            let (token, version) = rep.section_state(base, section).await;
            rep.token = token;
            rep.versions.push(version);
        }
        rep
    }

    /// The CSRF token and version on a section page (asserting the page is served, so the
    /// session is accepted there).
    pub async fn section_state(&self, base: &str, section: &SectionPlan) -> (String, i64) {
        let page = self
            .client
            .get(format!(
                "{base}/responses/{}/sections/{}",
                self.response_id, section.key
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "section page at {base}");
        let html = page.text().await.unwrap();
        let token = support::csrf_in(&html).expect("csrf token");
        let marker = "name=\"version\" value=\"";
        let start = html.find(marker).expect("version field") + marker.len();
        let end = html[start..].find('"').unwrap();
        (token, html[start..start + end].parse().unwrap())
    }

    /// The session cookie for `base`, as sent.
    pub fn cookie(&self, base: &str) -> Option<String> {
        self.jar
            .cookies(&base.parse().unwrap())
            .and_then(|v| v.to_str().ok().map(str::to_owned))
    }

    /// One save of section `s` at `base` (JSON, as the page's autosave does). Records the
    /// attempt as pending first and, when the server answers with the next version, as
    /// acknowledged. Returns whether it was acknowledged.
    pub async fn save(
        &mut self,
        base: &str,
        plan: &[SectionPlan],
        s: usize,
        client_no: usize,
        seq: u64,
    ) -> Result<(), String> {
        let values = soak::values(&plan[s], client_no, seq);
        let body = soak::save_body(self.versions[s], &values);
        self.ledgers[s].pending = Some(Save {
            version: self.versions[s] + 1,
            values,
        });
        let reply = self
            .client
            .post(format!(
                "{base}/responses/{}/sections/{}",
                self.response_id, plan[s].key
            ))
            .header("Accept", "application/json")
            .header("X-CSRF-Token", &self.token)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = reply.status();
        let bytes = reply.bytes().await.map_err(|e| format!("{status}: {e}"))?;
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| format!("{status}: {}", String::from_utf8_lossy(&bytes)))?;
        match json.get("version").and_then(serde_json::Value::as_i64) {
            Some(v) if status == 200 && v == self.versions[s] + 1 => {
                self.versions[s] = v;
                let ledger = &mut self.ledgers[s];
                ledger.acked = ledger.pending.take();
                ledger.acks += 1;
                Ok(())
            }
            _ => Err(format!("{status}: {json}")),
        }
    }
}

/// Checks every section of every representative against the database; returns how many
/// unanswered saves were found committed.
pub fn check_ledgers(db: &SeededDb, reps: &[Representative]) -> usize {
    let mut conn = db.conn();
    let mut pending_committed = 0;
    for rep in reps {
        for (section, ledger) in db.plan.iter().zip(&rep.ledgers) {
            let (version, stored) =
                soak::stored_section(&mut conn, &rep.response_id, section).unwrap();
            match ledger.verdict(version, &stored) {
                Verdict::Acknowledged => {}
                Verdict::PendingCommitted => pending_committed += 1,
                Verdict::Lost(why) => panic!(
                    "an acknowledged save of section {} of {} is gone: {why}",
                    section.key, rep.response_id
                ),
            }
        }
    }
    pending_committed
}

#[derive(diesel::QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

#[actix_web::test]
async fn every_acknowledged_save_survives_sigkill_in_the_middle_of_a_burst() {
    const CLIENTS: usize = 6;
    const KILL_AFTER_ACKS: u64 = 90;
    let db = SeededDb::create(CLIENTS);
    let port = free_port();
    let mut server = ServerProcess::start(&db.url, port, &[]).await;
    let mut reps = Vec::new();
    for seat in &db.seeded.seats {
        reps.push(Representative::log_in(&server.base, seat, &db.plan).await);
    }

    // The burst: every client saves as fast as it can; the process is killed once
    // KILL_AFTER_ACKS saves were acknowledged, while the others are in flight.
    let acks = Rc::new(Cell::new(0u64));
    let killed = Rc::new(Cell::new(false));
    let plan = Rc::new(db.plan.clone());
    let mut tasks = Vec::new();
    for (no, mut rep) in reps.into_iter().enumerate() {
        let (acks, killed, plan, base) = (
            acks.clone(),
            killed.clone(),
            plan.clone(),
            server.base.clone(),
        );
        tasks.push(actix_web::rt::spawn(async move {
            let mut failure = None;
            for seq in 1..=2000u64 {
                let s = (seq as usize + no) % plan.len();
                match rep.save(&base, &plan, s, no, seq).await {
                    Ok(()) => acks.set(acks.get() + 1),
                    Err(e) => {
                        assert!(killed.get(), "save {seq} of client {no} failed: {e}");
                        failure = Some(e);
                        break;
                    }
                }
            }
            (rep, failure)
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acks.get() < KILL_AFTER_ACKS {
        assert!(Instant::now() < deadline, "the burst is too slow");
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
    killed.set(true);
    server.child.kill().unwrap(); // SIGKILL
    let killed_at_acks = acks.get();
    server.child.wait().unwrap();
    let mut reps = Vec::new();
    for task in tasks {
        let (rep, failure) = task.await.unwrap();
        // Every client was cut off by the kill, none ran out of saves.
        assert!(failure.is_some(), "a client finished before the kill");
        reps.push(rep);
    }
    let acked: u64 = reps.iter().flat_map(|r| &r.ledgers).map(|l| l.acks).sum();
    assert!(acked >= killed_at_acks);
    assert!(
        reps.iter()
            .flat_map(|r| &r.ledgers)
            .any(|l| l.pending.is_some()),
        "some save was in flight when the process died"
    );

    // Restarted on the same database, it starts cleanly and everything acknowledged is there.
    let mut server = ServerProcess::start(&db.url, port, &[]).await;
    let pending_committed = check_ledgers(&db, &reps);
    eprintln!(
        "SIGKILL after {killed_at_acks} acknowledged saves; {acked} acknowledged in all, \
         {pending_committed} unanswered saves committed"
    );
    if !support::on_postgres() {
        let check: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut *db.conn())
            .unwrap();
        assert_eq!(check.len(), 1);
        assert_eq!(check[0].integrity_check, "ok");
    }
    // The sessions made before the kill still work (same key), and the pages show the values.
    for rep in &mut reps {
        for (s, section) in db.plan.iter().enumerate() {
            let (_, version) = rep.section_state(&server.base, section).await;
            let ledger = &rep.ledgers[s];
            let acked_version = ledger.acked.as_ref().map_or(0, |a| a.version);
            assert!(version == acked_version || version == acked_version + 1);
            rep.versions[s] = version;
        }
    }
    // And it keeps saving.
    let plan = db.plan.clone();
    reps[0].save(&server.base, &plan, 0, 0, 9999).await.unwrap();
    assert_eq!(server.stop().await.code(), Some(0));
    let log = server.log();
    assert!(!log.contains("ERROR") && !log.contains("panicked"), "{log}");
}

#[actix_web::test]
async fn many_first_saves_at_once_all_succeed() {
    // Each client's first save of a section creates its version row; on SQLite a transaction
    // that read before writing could not wait for the write lock ("database is locked").
    const CLIENTS: usize = 24;
    let db = SeededDb::create(CLIENTS);
    let mut server = ServerProcess::start(&db.url, free_port(), &[]).await;
    let mut reps = Vec::new();
    for seat in &db.seeded.seats {
        reps.push(Representative::log_in(&server.base, seat, &db.plan).await);
    }
    // Everyone logged in first, then all the first saves at once.
    let mut tasks = Vec::new();
    for (no, mut rep) in reps.into_iter().enumerate() {
        let (plan, base) = (db.plan.clone(), server.base.clone());
        tasks.push(actix_web::rt::spawn(async move {
            for s in 0..plan.len() {
                if let Err(e) = rep.save(&base, &plan, s, no, 1).await {
                    panic!("first save of section {} by client {no}: {e}", plan[s].key);
                }
            }
            rep
        }));
    }
    let mut reps = Vec::new();
    for task in tasks {
        reps.push(task.await.unwrap());
    }
    assert_eq!(check_ledgers(&db, &reps), 0);
    assert_eq!(server.stop().await.code(), Some(0));
    let log = server.log();
    assert!(!log.contains("database is locked"), "{log}");
}

#[actix_web::test]
async fn sigterm_lets_a_save_in_flight_finish_then_exits_with_code_0() {
    let db = SeededDb::create(1);
    let port = free_port();
    let mut server = ServerProcess::start(&db.url, port, &[]).await;
    let mut rep = Representative::log_in(&server.base, &db.seeded.seats[0], &db.plan).await;
    let cookie = rep.cookie(&server.base).expect("a session cookie");
    let section = &db.plan[0];
    let values = soak::values(section, 0, 1);
    let body = soak::save_body(rep.versions[0], &values);
    let head = format!(
        "POST /responses/{}/sections/{} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\n\
         X-CSRF-Token: {}\r\nAccept: application/json\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        rep.response_id,
        section.key,
        server.addr,
        rep.token,
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);

    // The client sends the head and half the body, then SIGTERM arrives.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(first.as_bytes()).unwrap();
    stream.flush().unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    server.sigterm();
    actix_web::rt::time::sleep(Duration::from_millis(700)).await;

    // Shutting down: new connections are refused, while the process waits for the request.
    assert!(
        TcpStream::connect_timeout(&server.addr, Duration::from_secs(2)).is_err(),
        "a new connection was accepted after SIGTERM"
    );
    assert!(server.child.try_wait().unwrap().is_none(), "exited early");

    // The rest of the body: the save completes with success.
    stream.write_all(rest.as_bytes()).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let expected = format!("\"version\":{}}}", rep.versions[0] + 1);
    assert!(reply.ends_with(&expected), "{reply}");

    // Then the process ends by itself, cleanly, with its background jobs stopped.
    let status = server.wait_exit(Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0), "{}", server.log());
    eprintln!("exited {:?} after SIGTERM", signalled.elapsed());
    let log = server.log();
    assert!(log.contains("background jobs stopped"), "{log}");
    assert!(!log.contains("ERROR") && !log.contains("panicked"), "{log}");

    // And the save is stored.
    rep.ledgers[0].acked = Some(Save {
        version: rep.versions[0] + 1,
        values,
    });
    assert_eq!(check_ledgers(&db, std::slice::from_ref(&rep)), 0);
}
