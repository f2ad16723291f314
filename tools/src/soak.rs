//! `capacity-survey-tools soak`: many representatives save sections at once for a bounded time
//! against the real server (this binary's hidden `serve`, started as a child process on loopback,
//! on a fresh SQLite file or a fresh PostgreSQL database), each remembering the last save the
//! server acknowledged; then the database is read back to prove that no acknowledged save was
//! lost or overwritten.
//!
//! The seeding, the save plan and the ledger of acknowledged saves (`saves`, re-exported here)
//! are public so that the durability and several-instances tests check saves the same way.

mod saves;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};

use crate::cli::{SoakArgs, SoakMix};
use crate::http::{HttpClient, field};
use capacity_survey::domain::instrument;
use capacity_survey::service;
use capacity_survey::store;

pub use saves::{
    Ledger, PASSWORD, Save, Seat, SectionPlan, Seeded, StoredAnswers, Values, Verdict, plan,
    representative_email, save_body, seed, stored_section, values,
};

/// How long a soak client waits for one answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// Most representatives and seconds a soak accepts (it is bounded in count and time).
pub const MAX_REPRESENTATIVES: usize = 1000;
pub const MAX_SECONDS: u64 = 3600;

/// What the soak measured.
#[derive(Debug, Default)]
struct Tally {
    saves: u64,
    /// Mechanism creations, changes and removals (`--mix writes`).
    mechanism_writes: u64,
    other_requests: u64,
    errors: u64,
    first_errors: Vec<String>,
    latencies_us: Vec<u32>,
}

pub fn run(args: &SoakArgs) -> Result<(), String> {
    if !(1..=MAX_REPRESENTATIVES).contains(&args.representatives) {
        return Err(format!(
            "--representatives must be between 1 and {MAX_REPRESENTATIVES}"
        ));
    }
    if !(1..=MAX_SECONDS).contains(&args.seconds) {
        return Err(format!("--seconds must be between 1 and {MAX_SECONDS}"));
    }
    let scratch =
        std::env::temp_dir().join(format!("capacity-survey-soak-{}", &store::new_id()[..12]));
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let result = fresh_database(args.database.as_deref(), &scratch).and_then(|(url, drop_db)| {
        let result = soak(args, &url, &scratch);
        drop_db();
        result
    });
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

type Cleanup = Box<dyn FnOnce()>;

fn fresh_database(server: Option<&str>, scratch: &Path) -> Result<(String, Cleanup), String> {
    let Some(server) = server else {
        return Ok((
            format!("sqlite://{}/soak.db", scratch.display()),
            Box::new(|| {}),
        ));
    };
    if !matches!(
        store::DatabaseUrl::parse(server),
        Ok(store::DatabaseUrl::Postgres(_))
    ) {
        return Err(
            "--database takes a PostgreSQL URL (postgres://user@host/database); without it \
             the soak uses a fresh SQLite file"
                .to_owned(),
        );
    }
    let (base, _) = server
        .trim()
        .rsplit_once('/')
        .ok_or("--database must be a URL ending with /database")?;
    let admin_url = format!("{base}/postgres");
    let name = format!("cs_soak_{}", &store::new_id()[..12]);
    let mut admin = diesel::PgConnection::establish(&admin_url).map_err(|e| {
        format!(
            "cannot connect to {}: {e}",
            capacity_survey::domain::text::redact_url(&admin_url)
        )
    })?;
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .map_err(|e| e.to_string())?;
    let url = format!("{base}/{name}");
    Ok((
        url,
        Box::new(move || {
            if let Ok(mut admin) = diesel::PgConnection::establish(&admin_url) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin);
            }
        }),
    ))
}

fn soak(args: &SoakArgs, url: &str, scratch: &Path) -> Result<(), String> {
    let n = args.representatives;
    let pool = store::open(url, &store::PoolOptions::default()).map_err(|e| e.to_string())?;
    let seeded = {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        seed(&mut conn, n, service::now())?
    };
    let forum = instrument::forum_instrument().map_err(|_| "the forum instrument does not load")?;
    let plan = Arc::new(plan(&forum));
    if plan.is_empty() {
        return Err("the forum instrument has no maturity items to save".to_owned());
    }

    let mut server = Server::start(url, scratch)?;
    let addr = server.addr;
    println!(
        "capacity-survey soak: {n} representatives for {} s on {} ({} build), server pid {}",
        args.seconds,
        store::DatabaseUrl::parse(url)
            .map(|u| u.backend_name())
            .unwrap_or("?"),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        server.child.id()
    );

    // Everyone logs in and loads its sections, then all start together.
    let barrier = Arc::new(Barrier::new(n + 1));
    let logins = Arc::new(Gate::new(LOGINS_AT_ONCE));
    let seconds = args.seconds;
    let mut threads = Vec::with_capacity(n);
    for (client, seat) in seeded.seats.iter().cloned().enumerate() {
        let plan = plan.clone();
        let barrier = barrier.clone();
        let logins = logins.clone();
        // With `--mix writes`, each client's mechanisms name the next organization as partner.
        let partner = (args.mix == SoakMix::Writes)
            .then(|| seeded.seats[(client + 1) % n].organization_id.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("soak-{client}"))
            .stack_size(256 * 1024)
            .spawn(move || {
                let turns = Turns {
                    barrier: &barrier,
                    logins: &logins,
                    seconds,
                };
                client_run(addr, client, &seat, &plan, partner.as_deref(), turns)
            });
        match spawned {
            Ok(handle) => threads.push(handle),
            Err(e) => {
                server.stop();
                return Err(format!("cannot start client thread {client}: {e}"));
            }
        }
    }
    barrier.wait();
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut ledgers = Vec::with_capacity(n);
    let mut acked_mechanisms = Vec::with_capacity(n);
    for handle in threads {
        match handle.join() {
            Ok((t, ledger, mechanisms)) => {
                acked_mechanisms.push(mechanisms);
                tally.saves += t.saves;
                tally.mechanism_writes += t.mechanism_writes;
                tally.other_requests += t.other_requests;
                tally.errors += t.errors;
                if tally.first_errors.len() < 10 {
                    tally.first_errors.extend(t.first_errors);
                }
                tally.latencies_us.extend(t.latencies_us);
                ledgers.push(ledger);
            }
            Err(_) => {
                tally.errors += 1;
                tally
                    .first_errors
                    .push("a client thread panicked".to_owned());
                ledgers.push(Vec::new());
                acked_mechanisms.push(BTreeMap::new());
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let log = server.stop();

    // Read everything back.
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let mut lost = 0u64;
    let mut pending_committed = 0u64;
    let mut checked = 0u64;
    for (seat, ledger) in seeded.seats.iter().zip(&ledgers) {
        for (section, ledger) in plan.iter().zip(ledger) {
            let (version, stored) = stored_section(&mut conn, &seat.response_id, section)?;
            checked += 1;
            match ledger.verdict(version, &stored) {
                Verdict::Acknowledged => {}
                Verdict::PendingCommitted => pending_committed += 1,
                Verdict::Lost(why) => {
                    lost += 1;
                    if lost <= 5 {
                        eprintln!("lost: {} section {}: {why}", seat.email, section.key);
                    }
                }
            }
        }
    }
    // Every client's acknowledged mechanisms, and no others, with their last acknowledged name.
    if args.mix == SoakMix::Writes {
        for (seat, acked) in seeded.seats.iter().zip(&acked_mechanisms) {
            let stored: BTreeMap<String, String> =
                store::mechanisms::list_for_response(&mut conn, &seat.response_id)
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .map(|m| (m.id, m.name))
                    .collect();
            checked += 1;
            if &stored != acked {
                lost += 1;
                if lost <= 5 {
                    eprintln!(
                        "lost: {} mechanisms: acknowledged {acked:?}, stored {stored:?}",
                        seat.email
                    );
                }
            }
        }
    }
    let locked = log.matches("database is locked").count();
    let log_errors = log.lines().filter(|l| l.contains("ERROR")).count();

    tally.latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        let v = &tally.latencies_us;
        if v.is_empty() {
            return 0.0;
        }
        let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
        f64::from(v[i]) / 1000.0
    };
    let acked: u64 = ledgers.iter().flatten().map(|l| l.acks).sum();
    println!(
        "requests: {} ({} section saves, {} logins and pages)",
        tally.saves + tally.other_requests,
        tally.saves,
        tally.other_requests
    );
    println!(
        "throughput: {:.0} saves/s over {elapsed:.1} s",
        tally.saves as f64 / elapsed
    );
    if args.mix == SoakMix::Writes {
        println!(
            "mechanism writes (created with a partner, changed, removed): {} ({:.0}/s)",
            tally.mechanism_writes,
            tally.mechanism_writes as f64 / elapsed
        );
    }
    println!(
        "save latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "errors: {}; acknowledged saves: {acked}; sections checked: {checked}; lost or \
         overwritten: {lost}; unanswered saves found committed: {pending_committed}",
        tally.errors
    );
    println!("server log: {locked} \"database is locked\", {log_errors} error lines",);
    for e in &tally.first_errors {
        eprintln!("error: {e}");
    }
    if tally.errors > 0 || lost > 0 || locked > 0 || log_errors > 0 {
        if log_errors > 0 {
            for line in log.lines().filter(|l| l.contains("ERROR")).take(5) {
                eprintln!("server: {line}");
            }
        }
        return Err("the soak found errors or lost saves".to_owned());
    }
    println!("soak passed");
    Ok(())
}

/// The server under test: this same binary's hidden `serve`, on a free loopback port.
struct Server {
    child: Child,
    addr: SocketAddr,
    log_path: PathBuf,
}

impl Server {
    fn start(url: &str, scratch: &Path) -> Result<Server, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log_path = scratch.join("server.log");
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        let child = Command::new(exe)
            .arg("serve")
            .args(["--bind", &addr.to_string()])
            .args(["--database", url])
            // Every soak client comes from 127.0.0.1, like visitors behind one proxy.
            .args(["--max-connections-per-address", "0"])
            .arg("--data-dir")
            .arg(scratch.join("data"))
            .env("CAPACITY_SURVEY_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let mut server = Server {
            child,
            addr,
            log_path,
        };
        let probe = HttpClient::new(addr, CLIENT_TIMEOUT)?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if probe
                .request("GET", "/healthz", None, &[])
                .is_ok_and(|r| r.status == 200)
            {
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = std::fs::read_to_string(&server.log_path).unwrap_or_default();
                return Err(format!("the server exited ({status}) at start:\n{log}"));
            }
            if Instant::now() > deadline {
                server.stop();
                return Err("the server did not answer /healthz within 60 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server (SIGTERM where there is `kill`, else at once) and returns its log.
    fn stop(&mut self) -> String {
        let terminated = Command::new("sh")
            // The shell's own `kill`: no procps needed.
            .args(["-c", &format!("kill -TERM {}", self.child.id())])
            .status()
            .is_ok_and(|s| s.success());
        if terminated {
            let deadline = Instant::now() + Duration::from_secs(45);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client's tally, its section ledgers, and the mechanisms it knows to exist (id -> name).
type ClientResult = (Tally, Vec<Ledger>, BTreeMap<String, String>);

/// When a client may log in and start, and for how long it runs.
struct Turns<'a> {
    barrier: &'a Barrier,
    logins: &'a Gate,
    seconds: u64,
}

/// Logins at once before the soak starts. Each checks an argon2 hash (deliberately slow, ~19 MB):
/// a few at a time keep the start-up short and the memory low; the soak is about the saves.
const LOGINS_AT_ONCE: usize = 4;

/// A counting semaphore for threads.
struct Gate {
    free: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

struct Turn<'a>(&'a Gate);

impl Gate {
    fn new(n: usize) -> Gate {
        Gate {
            free: std::sync::Mutex::new(n),
            freed: std::sync::Condvar::new(),
        }
    }

    fn enter(&self) -> Turn<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Turn(self)
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.0.freed.notify_one();
    }
}

fn client_run(
    addr: SocketAddr,
    client: usize,
    seat: &Seat,
    plan: &[SectionPlan],
    partner: Option<&str>,
    turns: Turns<'_>,
) -> ClientResult {
    let Turns {
        barrier,
        logins,
        seconds,
    } = turns;
    let mut tally = Tally::default();
    let mut ledgers = vec![Ledger::default(); plan.len()];
    let mut mechanisms = BTreeMap::new();
    let prepared = {
        let _turn = logins.enter();
        HttpClient::new(addr, CLIENT_TIMEOUT).and_then(|mut http| {
            let prepared = prepare(&mut http, seat, plan, &mut tally)?;
            Ok((http, prepared))
        })
    };
    barrier.wait();
    let started = Instant::now();
    let (mut http, (token, mut versions)) = match prepared {
        Ok(p) => p,
        Err(e) => {
            tally.errors += 1;
            tally.first_errors.push(format!("{}: {e}", seat.email));
            return (tally, ledgers, mechanisms);
        }
    };
    let deadline = started + Duration::from_secs(seconds);
    let mut seq: u64 = 0;
    while Instant::now() < deadline {
        seq += 1;
        let s = (seq as usize + client) % plan.len();
        let section = &plan[s];
        let values = values(section, client, seq);
        let body = save_body(versions[s], &values);
        ledgers[s].pending = Some(Save {
            version: versions[s] + 1,
            values: values.clone(),
        });
        let path = format!("/responses/{}/sections/{}", seat.response_id, section.key);
        let sent = Instant::now();
        let reply = http.request(
            "POST",
            &path,
            Some(&body),
            &[("Accept", "application/json"), ("X-CSRF-Token", &token)],
        );
        let took = sent.elapsed();
        tally.saves += 1;
        tally
            .latencies_us
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        let version = reply.as_ref().ok().and_then(|r| {
            (r.status == 200)
                .then(|| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
                .flatten()
                .and_then(|v| v.get("version").and_then(serde_json::Value::as_i64))
        });
        match version {
            Some(v) if v == versions[s] + 1 => {
                versions[s] = v;
                let ledger = &mut ledgers[s];
                ledger.acked = ledger.pending.take();
                ledger.acks += 1;
            }
            _ => {
                tally.errors += 1;
                tally.first_errors.push(match reply {
                    Ok(r) => format!(
                        "{} save {seq} of section {}: status {} {}",
                        seat.email,
                        section.key,
                        r.status,
                        title(&r.body)
                    ),
                    Err(e) => format!("{} save {seq}: {e}", seat.email),
                });
                // The section's state is now uncertain; this client stops (the ledger still
                // knows the last acknowledged save and the unanswered one).
                break;
            }
        }
        if let Some(partner) = partner
            && let Err(e) = mechanism_round(
                &mut http,
                seat,
                partner,
                (client, seq),
                &token,
                &mut mechanisms,
                &mut tally,
            )
        {
            tally.errors += 1;
            tally.first_errors.push(format!("{}: {e}", seat.email));
            break;
        }
    }
    (tally, ledgers, mechanisms)
}

/// One round of mechanism writes: a new entry naming `partner` (its creation reads the
/// assessment's organizations before it writes), a change of it, and every other round its
/// removal. `mechanisms` keeps what the server acknowledged.
fn mechanism_round(
    http: &mut HttpClient,
    seat: &Seat,
    partner: &str,
    (client, seq): (usize, u64),
    token: &str,
    mechanisms: &mut BTreeMap<String, String>,
    tally: &mut Tally,
) -> Result<(), String> {
    let base = format!("/responses/{}/mechanisms", seat.response_id);
    let form = |version: &str, name: &str, direction: &str| {
        serde_urlencoded::to_string([
            ("version", version),
            ("v.name", name),
            ("partner_org", partner),
            ("partner_name", ""),
            ("v.direction", direction),
            ("v.status", "active"),
        ])
        .map_err(|e| e.to_string())
    };
    let json = [("Accept", "application/json"), ("X-CSRF-Token", token)];
    let name = format!("Intercambio {client}/{seq}");
    let created = http.request("POST", &base, Some(&form("0", &name, "provide")?), &json)?;
    tally.mechanism_writes += 1;
    if created.status != 201 {
        return Err(format!(
            "mechanism creation {seq}: status {} {}",
            created.status,
            title(&created.body)
        ));
    }
    let id = serde_json::from_slice::<serde_json::Value>(&created.body)
        .ok()
        .and_then(|v| v.get("id").and_then(|id| id.as_str().map(str::to_owned)))
        .ok_or("a created mechanism without its id")?;
    mechanisms.insert(id.clone(), name.clone());
    let renamed = format!("{name} (revisado)");
    let changed = http.request(
        "POST",
        &format!("{base}/{id}"),
        Some(&form("1", &renamed, "both")?),
        &[("X-CSRF-Token", token)],
    )?;
    tally.mechanism_writes += 1;
    if changed.status != 303 {
        return Err(format!(
            "mechanism change {seq}: status {} {}",
            changed.status,
            title(&changed.body)
        ));
    }
    mechanisms.insert(id.clone(), renamed);
    if seq % 2 == 0 {
        let removed = http.request("POST", &format!("{base}/{id}/delete"), Some(""), &json)?;
        tally.mechanism_writes += 1;
        if removed.status != 200 {
            return Err(format!(
                "mechanism removal {seq}: status {} {}",
                removed.status,
                title(&removed.body)
            ));
        }
        mechanisms.remove(&id);
    }
    Ok(())
}

/// Logs in and reads the CSRF token and each section's version.
fn prepare(
    http: &mut HttpClient,
    seat: &Seat,
    plan: &[SectionPlan],
    tally: &mut Tally,
) -> Result<(String, Vec<i64>), String> {
    let login = http.request("GET", "/login", None, &[])?;
    tally.other_requests += 1;
    let token = field(&login.body, "name=\"csrf_token\" value=\"")?;
    let form = serde_urlencoded::to_string([
        ("csrf_token", token.as_str()),
        ("email", seat.email.as_str()),
        ("password", PASSWORD),
    ])
    .map_err(|e| e.to_string())?;
    let reply = http.request("POST", "/login", Some(&form), &[])?;
    tally.other_requests += 1;
    if reply.status != 303 {
        return Err(format!("login gave {}", reply.status));
    }
    let mut token = String::new();
    let mut versions = Vec::with_capacity(plan.len());
    for section in plan {
        let page = http.request(
            "GET",
            &format!("/responses/{}/sections/{}", seat.response_id, section.key),
            None,
            &[],
        )?;
        tally.other_requests += 1;
        if page.status != 200 {
            return Err(format!("section {} gave {}", section.key, page.status));
        }
        token = field(&page.body, "name=\"csrf_token\" value=\"")?;
        versions.push(
            field(&page.body, "name=\"version\" value=\"")?
                .parse()
                .map_err(|_| "bad version field")?,
        );
    }
    Ok((token, versions))
}

/// What an answer is about: the title of an error page, or the start of a JSON body.
fn title(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match (text.find("<title>"), text.find("</title>")) {
        (Some(start), Some(end)) if start < end => text[start + 7..end].to_owned(),
        _ => text.chars().take(120).collect(),
    }
}
