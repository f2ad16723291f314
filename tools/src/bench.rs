//! `capacity-survey-tools bench`: seeds a synthetic assessment of a chosen size into a fresh
//! database (SQLite file, or a fresh PostgreSQL database), times the reminder scheduler pass,
//! starts the real server as a child process (this same binary's hidden `serve`) and times the
//! main pages, a section save and the exports over loopback HTTP, with the median and the maximum
//! of several runs; and reads the server's memory: resident after start-up and after the runs,
//! peak during each export.

mod synthetic;

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};

use crate::cli::BenchArgs;
use crate::http::{HttpClient, field};
use capacity_survey::config::Config;
use capacity_survey::service::instruments::InstrumentRegistry;
use capacity_survey::service::{self, SystemClock};
use capacity_survey::store;
use synthetic::{Seeded, seed};

const PASSWORD: &str = "bench password 2023";
const ORGANIZER: &str = "bench-organizer@forum.example";
const REPRESENTATIVE: &str = "bench-rep@forum.example";
/// Responses the bench representative answers for (the load script's savers need 64).
const REPRESENTED: usize = 128;

/// One measured operation.
#[derive(Debug, Clone)]
pub struct Measure {
    pub name: &'static str,
    pub median_ms: f64,
    pub max_ms: f64,
    pub bytes: usize,
    /// The server's peak resident memory during this measure (exports only).
    pub peak_mb: Option<f64>,
    /// CPU time the server spent per run (all its threads), in ms: unlike the wall time it does
    /// not grow when other work shares the machine.
    pub cpu_ms: Option<f64>,
}

pub fn run(args: &BenchArgs) -> Result<(), String> {
    if args.organizations == 0 || args.runs == 0 {
        return Err("--organizations and --runs must be at least 1".into());
    }
    let (url, cleanup) = fresh_database(args)?;
    if args.seed_only {
        let pool = store::open(&url, &store::PoolOptions::default()).map_err(|e| e.to_string())?;
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        let seeded = seed(&mut conn, args.organizations, service::now())?;
        println!("database: {url}");
        println!("organizer: {ORGANIZER}");
        println!("representative: {REPRESENTATIVE}");
        println!("password: {PASSWORD}");
        println!("assessment: {}", seeded.assessment);
        println!("representative responses: {}", seeded.members.join(","));
        return Ok(());
    }
    let result = bench(args, &url);
    if args.keep {
        println!(
            "kept the database: {url} (organizer {ORGANIZER}, representative {REPRESENTATIVE}, password \"{PASSWORD}\")"
        );
    } else {
        cleanup();
    }
    let outcome = result?;
    let backend = if args.postgres.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    println!(
        "capacity-survey bench: {} organizations, {backend}, {} runs each (seeded in {:.1} s)",
        args.organizations, args.runs, outcome.seed_secs
    );
    println!(
        "{:<34} {:>11} {:>11} {:>14} {:>11} {:>14}",
        "measure", "median ms", "max ms", "server CPU ms", "bytes", "server peak MB"
    );
    for m in &outcome.measures {
        let peak = m
            .peak_mb
            .map(|p| format!("{p:.1}"))
            .unwrap_or_else(|| "-".to_owned());
        let cpu = m
            .cpu_ms
            .map(|c| format!("{c:.2}"))
            .unwrap_or_else(|| "-".to_owned());
        println!(
            "{:<34} {:>11.2} {:>11.2} {:>14} {:>11} {:>14}",
            m.name, m.median_ms, m.max_ms, cpu, m.bytes, peak
        );
    }
    let mb = |v: Option<f64>| {
        v.map(|v| format!("{v:.1} MB"))
            .unwrap_or_else(|| "unknown".into())
    };
    println!(
        "server resident memory: {} after start-up, {} after the page runs; peak during the \
         exports (on a fresh server) {}",
        mb(outcome.idle_rss_mb),
        mb(outcome.final_rss_mb),
        mb(outcome.export_peak_mb)
    );
    println!(
        "scheduler pass: {} reminders queued by the first pass",
        outcome.reminders
    );
    if let Some(path) = &args.json {
        let json = serde_json::json!({
            "organizations": args.organizations,
            "backend": backend,
            "runs": args.runs,
            "seed_seconds": outcome.seed_secs,
            "measures": outcome.measures.iter().map(|m| serde_json::json!({
                "name": m.name, "median_ms": m.median_ms, "max_ms": m.max_ms, "bytes": m.bytes,
                "server_peak_mb": m.peak_mb, "server_cpu_ms": m.cpu_ms,
            })).collect::<Vec<_>>(),
            "server_rss_mb_after_start": outcome.idle_rss_mb,
            "server_rss_mb_after_runs": outcome.final_rss_mb,
            "server_peak_mb_during_exports": outcome.export_peak_mb,
            "reminders_queued": outcome.reminders,
        });
        let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

type Cleanup = Box<dyn FnOnce()>;

/// A fresh SQLite file in a temporary folder, or a fresh database on the PostgreSQL server.
fn fresh_database(args: &BenchArgs) -> Result<(String, Cleanup), String> {
    let suffix = &store::new_id()[..12];
    match &args.postgres {
        Some(server) => {
            let (base, _) = server
                .trim()
                .rsplit_once('/')
                .ok_or("--postgres must be a URL ending with /database")?;
            let admin_url = format!("{base}/postgres");
            let name = format!("cs_bench_{suffix}");
            let mut admin =
                diesel::PgConnection::establish(&admin_url).map_err(|e| e.to_string())?;
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .map_err(|e| e.to_string())?;
            let url = format!("{base}/{name}");
            Ok((
                url,
                Box::new(move || {
                    if let Ok(mut admin) = diesel::PgConnection::establish(&admin_url) {
                        let _ = diesel::sql_query(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        ))
                        .execute(&mut admin);
                    }
                }),
            ))
        }
        None => {
            let dir = std::env::temp_dir().join(format!("capacity-survey-bench-{suffix}"));
            let url = format!("sqlite://{}/bench.db", dir.display());
            Ok((
                url,
                Box::new(move || {
                    let _ = std::fs::remove_dir_all(dir);
                }),
            ))
        }
    }
}

/// What a bench run found.
struct Outcome {
    seed_secs: f64,
    measures: Vec<Measure>,
    idle_rss_mb: Option<f64>,
    final_rss_mb: Option<f64>,
    export_peak_mb: Option<f64>,
    reminders: usize,
}

fn bench(args: &BenchArgs, url: &str) -> Result<Outcome, String> {
    let pool = store::open(url, &store::PoolOptions::default()).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let seeded = {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        seed(&mut conn, args.organizations, service::now())?
    };
    let seed_secs = started.elapsed().as_secs_f64();
    let scratch = std::env::temp_dir().join(format!(
        "capacity-survey-bench-{}",
        &seeded.assessment[..12]
    ));
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let (scheduler, reminders) = time_scheduler(pool.clone(), url, &scratch, args.runs)?;
    drop(pool);

    // The pages on one server process; the exports on a fresh one, so that their peak memory is
    // their own and not what earlier pages left in the allocator.
    let server = Server::start(url, &scratch)?;
    let pages = (|| {
        let idle = server.memory("VmRSS");
        let measures = measure_pages(&server, args.runs, &seeded)?;
        Ok::<_, String>((idle, measures, server.memory("VmRSS")))
    })();
    server.stop();
    let exports = pages.and_then(|(idle_rss_mb, mut measures, final_rss_mb)| {
        measures.push(scheduler);
        let server = Server::start(url, &scratch)?;
        let exports = measure_exports(&server, args.runs, &seeded);
        server.stop();
        measures.extend(exports?);
        let export_peak_mb = measures.iter().filter_map(|m| m.peak_mb).reduce(f64::max);
        Ok(Outcome {
            seed_secs,
            measures,
            idle_rss_mb,
            final_rss_mb,
            export_peak_mb,
            reminders,
        })
    });
    let _ = std::fs::remove_dir_all(&scratch);
    exports
}

/// Times the reminder scheduler pass in this process: the first pass finds every draft due for
/// a reminder and queues it; the later ones find them all done. The queued emails are then
/// dropped so the server does not deliver them while pages are timed.
fn time_scheduler(
    pool: store::Pool,
    url: &str,
    scratch: &std::path::Path,
    runs: usize,
) -> Result<(Measure, usize), String> {
    let state = app(pool, url, scratch)?;
    let mut times = Vec::with_capacity(runs);
    let mut reminders = 0;
    for run in 0..runs {
        let started = Instant::now();
        let report = capacity_survey::jobs::scheduler_pass(&state).map_err(|e| e.to_string())?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if run == 0 {
            reminders = report.reminders;
        }
    }
    let first = times.first().copied().unwrap_or_default();
    let mut conn = state.pool.get().map_err(|e| e.to_string())?;
    diesel::sql_query("DELETE FROM outbox")
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    let mut measure = summarize("reminder scheduler pass", times, 0);
    // The first pass is the one with work: it is the maximum unless the machine hiccuped.
    measure.max_ms = measure.max_ms.max(first);
    Ok((measure, reminders))
}

/// The application the scheduler pass runs with: the seeded database, mail to a folder.
fn app(
    pool: store::Pool,
    url: &str,
    scratch: &std::path::Path,
) -> Result<capacity_survey::app::App, String> {
    let mut config = Config::for_database(url);
    config.mail = capacity_survey::mail::MailConfig::folder(scratch.join("outbox"));
    let mailer = Arc::new(capacity_survey::mail::Mailer::new(&config.mail)?);
    Ok(capacity_survey::app::App {
        config,
        pool,
        setup_token_hash: Mutex::new(None),
        instruments: InstrumentRegistry::default(),
        clock: Arc::new(SystemClock),
        mailer,
        hasher: capacity_survey::service::hashing::Hasher::for_this_machine(),
    })
}

/// The release server as a child process (this binary's hidden `serve`) on the seeded database.
struct Server {
    child: Mutex<Child>,
    pid: u32,
    addr: SocketAddr,
}

impl Server {
    fn start(url: &str, scratch: &std::path::Path) -> Result<Server, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        // A free port: bound, read, released for the child (loopback only).
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?;
        let log = std::fs::File::create(scratch.join("server.log")).map_err(|e| e.to_string())?;
        let child = Command::new(exe)
            .arg("serve")
            .args(["--bind", &addr.to_string()])
            .args(["--database", url])
            .args(["--base-url", &format!("http://{addr}")])
            .arg("--data-dir")
            .arg(scratch.join("data"))
            .arg("--outbox-dir")
            .arg(scratch.join("outbox"))
            .args(["--workers", "2"])
            .env_remove("CAPACITY_SURVEY_SMTP_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting the server: {e}"))?;
        let server = Server {
            pid: child.id(),
            child: Mutex::new(child),
            addr,
        };
        let probe = match HttpClient::new(addr, CLIENT_TIMEOUT) {
            Ok(probe) => probe,
            Err(e) => {
                server.stop();
                return Err(e);
            }
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if probe
                .request("GET", "/healthz", None, &[])
                .is_ok_and(|r| r.status == 200)
            {
                return Ok(server);
            }
            let exited = server
                .child
                .lock()
                .map_err(|e| e.to_string())?
                .try_wait()
                .map_err(|e| e.to_string())?;
            if exited.is_some() || Instant::now() > deadline {
                server.stop();
                return Err(format!(
                    "the server did not start; see {}",
                    scratch.join("server.log").display()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A memory figure of the server process in MB: `VmRSS` (now) or `VmHWM` (peak).
    fn memory(&self, field: &str) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }

    /// CPU time the server has run so far, read two ways (see [`CpuReading::spent_since`]).
    fn cpu_ms(&self) -> Option<CpuReading> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid)).ok()?;
        let mut ns: u64 = 0;
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            ns += stat.split_whitespace().next()?.parse::<u64>().ok()?;
        }
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // The fields after the command name (which ends with the last ')'): utime and stime are
        // the 12th and 13th, in clock ticks that Linux reports at 100 per second.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let user: u64 = fields.get(11)?.parse().ok()?;
        let system: u64 = fields.get(12)?.parse().ok()?;
        Some(CpuReading {
            live_ms: ns as f64 / 1e6,
            process_ms: (user + system) as f64 * 10.0,
        })
    }

    /// Resets the server's peak resident memory to its current value (Linux, "5" to
    /// clear_refs); false where the kernel does not allow it.
    fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").is_ok()
    }

    fn stop(&self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The server's CPU time at one moment, two ways: the live threads' schedstat (to the
/// nanosecond, but without the threads that have ended, such as the workbook's own) and the
/// whole process's clock ticks (every thread, to 10 ms).
#[derive(Debug, Clone, Copy)]
struct CpuReading {
    live_ms: f64,
    process_ms: f64,
}

impl CpuReading {
    /// The CPU ms spent since `before`: the process's ticks when they add up to a few of them
    /// (long measures, whose threads may have ended), the live threads' time otherwise (short
    /// ones, which ticks cannot resolve).
    fn spent_since(self, before: CpuReading) -> f64 {
        let process = self.process_ms - before.process_ms;
        if process >= 50.0 {
            process
        } else {
            self.live_ms - before.live_ms
        }
    }
}

/// How long the bench waits for one answer (a workbook of a large assessment takes seconds).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(300);

/// A client of the bench's server, logged in as `email`.
fn log_in(addr: SocketAddr, email: &str) -> Result<HttpClient, String> {
    let client = HttpClient::new(addr, CLIENT_TIMEOUT)?;
    let page = client.request("GET", "/login", None, &[])?;
    let token = field(&page.body, "name=\"csrf_token\" value=\"")?;
    let form = serde_urlencoded::to_string([
        ("csrf_token", token.as_str()),
        ("email", email),
        ("password", PASSWORD),
    ])
    .map_err(|e| e.to_string())?;
    let reply = client.request("POST", "/login", Some(&form), &[])?;
    if reply.status != 303 {
        return Err(format!("login as {email} gave {}", reply.status));
    }
    Ok(client)
}

fn summarize(name: &'static str, mut times: Vec<f64>, bytes: usize) -> Measure {
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    Measure {
        name,
        median_ms: median,
        max_ms: times.last().copied().unwrap_or_default(),
        bytes,
        peak_mb: None,
        cpu_ms: None,
    }
}

fn time_get(
    server: &Server,
    client: &mut HttpClient,
    name: &'static str,
    path: &str,
    runs: usize,
) -> Result<Measure, String> {
    let mut times = Vec::with_capacity(runs);
    let mut bytes = 0;
    let cpu_before = server.cpu_ms();
    for _ in 0..runs {
        let started = Instant::now();
        let reply = client.request("GET", path, None, &[])?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if reply.status != 200 {
            return Err(format!("{path} gave {}", reply.status));
        }
        bytes = reply.body.len();
    }
    let cpu = cpu_before
        .zip(server.cpu_ms())
        .map(|(before, after)| after.spent_since(before) / runs as f64);
    let mut measure = summarize(name, times, bytes);
    measure.cpu_ms = cpu;
    Ok(measure)
}

fn measure_pages(server: &Server, runs: usize, seeded: &Seeded) -> Result<Vec<Measure>, String> {
    let addr = server.addr;
    let mut organizer = log_in(addr, ORGANIZER)?;
    let mut rep = log_in(addr, REPRESENTATIVE)?;
    let a = &seeded.assessment;
    let r = &seeded.response;
    let mut measures = vec![time_get(
        server,
        &mut organizer,
        "healthz (bare route)",
        "/healthz",
        runs,
    )?];
    measures.push(time_get(
        server,
        &mut rep,
        "questionnaire section page",
        &format!("/responses/{r}/sections/legal"),
        runs,
    )?);

    // Section saves: load the page (not timed) for the version, then time the post.
    let mut times = Vec::new();
    let mut save_cpu: Option<f64> = None;
    for run in 0..runs {
        let page = rep.request("GET", &format!("/responses/{r}/sections/legal"), None, &[])?;
        let token = field(&page.body, "name=\"csrf_token\" value=\"")?;
        let version = field(&page.body, "name=\"version\" value=\"")?;
        let level = (run % 5).to_string();
        let form = serde_urlencoded::to_string([
            ("csrf_token", token.as_str()),
            ("version", version.as_str()),
            ("action", "save"),
            ("_items", "legal.mandate"),
            ("v.legal.mandate", level.as_str()),
        ])
        .map_err(|e| e.to_string())?;
        let cpu_before = server.cpu_ms();
        let started = Instant::now();
        let reply = rep.request(
            "POST",
            &format!("/responses/{r}/sections/legal"),
            Some(&form),
            &[],
        )?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if let Some(spent) = cpu_before
            .zip(server.cpu_ms())
            .map(|(b, a)| a.spent_since(b))
        {
            *save_cpu.get_or_insert(0.0) += spent;
        }
        if reply.status != 303 {
            return Err(format!(
                "section save gave {} ({:?})",
                reply.status, reply.location
            ));
        }
    }
    let mut save = summarize("section save", times, 0);
    save.cpu_ms = save_cpu.map(|total| total / runs as f64);
    measures.push(save);

    for (name, path) in [
        ("progress page", format!("/organizer/assessments/{a}")),
        (
            "capacity matrix",
            format!("/organizer/assessments/{a}/matrix"),
        ),
        (
            "dimension page",
            format!("/organizer/assessments/{a}/dimensions/legal"),
        ),
        (
            "inventory of mechanisms",
            format!("/organizer/assessments/{a}/mechanisms"),
        ),
        (
            "exchange network (SVG)",
            format!("/organizer/assessments/{a}/network"),
        ),
        (
            "domains and gaps",
            format!("/organizer/assessments/{a}/domains"),
        ),
    ] {
        measures.push(time_get(server, &mut organizer, name, &path, runs)?);
    }
    Ok(measures)
}

/// The exports, each with the server's peak resident memory while it ran.
fn measure_exports(server: &Server, runs: usize, seeded: &Seeded) -> Result<Vec<Measure>, String> {
    let mut organizer = log_in(server.addr, ORGANIZER)?;
    let a = &seeded.assessment;
    let mut measures = Vec::new();
    for (name, path) in [
        (
            "CSV export: matrix",
            format!("/organizer/assessments/{a}/export/matrix.csv"),
        ),
        (
            "CSV export: answers (streamed)",
            format!("/organizer/assessments/{a}/export/answers.csv"),
        ),
        (
            "XLSX export: workbook",
            format!("/organizer/assessments/{a}/export/workbook.xlsx"),
        ),
    ] {
        let reset = server.reset_peak();
        let mut measure = time_get(server, &mut organizer, name, &path, runs)?;
        measure.peak_mb = if reset { server.memory("VmHWM") } else { None };
        measures.push(measure);
    }
    Ok(measures)
}
