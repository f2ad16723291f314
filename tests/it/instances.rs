//! Two server processes on one PostgreSQL database, behind nothing (the test talks to both): a
//! session made by one is accepted by the other, saves through both interleave without loss,
//! and with both outbox workers running every queued email is delivered exactly once.
//! Needs PostgreSQL: skipped with a message unless `TEST_DATABASE_URL` is set (the PostgreSQL
//! pass of `.ci/run` sets it).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use capacity_survey::domain::account::Role;
use capacity_survey::store::outbox;

use crate::durability::{Representative, SeededDb, ServerProcess, check_ledgers, free_port};
use crate::email::SmtpSink;
use crate::support::{self, PASSWORD};

const ORGANIZER: &str = "olga@mire.gob.pa";
const INVITATIONS: usize = 30;

#[actix_web::test]
async fn two_instances_share_sessions_interleave_saves_and_send_each_email_once() {
    if !support::on_postgres() {
        eprintln!(
            "skipped: two instances need one shared PostgreSQL database; set TEST_DATABASE_URL \
             (e.g. postgres://postgres@127.0.0.1:5432/postgres), as the PostgreSQL pass of \
             .ci/run does"
        );
        return;
    }
    let db = SeededDb::create_with(INVITATIONS, |conn| {
        support::create_account(conn, ORGANIZER, "Olga Organizer", Role::Organizer);
    });
    // Migrations run once, before the instances start (they find nothing to do).
    let migrate = Command::new(env!("CARGO_BIN_EXE_capacity-survey"))
        .args(["migrate", "--database", &db.url])
        .output()
        .unwrap();
    assert!(migrate.status.success(), "{migrate:?}");
    let smtp = SmtpSink::start();
    let smtp_url = smtp.url();
    let extra = ["--smtp-url", smtp_url.as_str()];
    let mut a = ServerProcess::start(&db.url, free_port(), &extra).await;
    let mut b = ServerProcess::start(&db.url, free_port(), &extra).await;
    let plan = db.plan.clone();

    // A session made by A is accepted by B; without it B sends the visitor to log in.
    let seats = &db.seeded.seats;
    let first = Representative::log_in(&a.base, &seats[0], &plan).await;
    assert_eq!(first.cookie(&a.base), first.cookie(&b.base));
    first.section_state(&b.base, &plan[0]).await; // asserts 200
    let anonymous = support::get(
        &support::client(),
        &b.url(&format!("/responses/{}", seats[0].response_id)),
    )
    .await;
    assert_eq!(anonymous.status(), 303);
    assert!(support::location(&anonymous).starts_with("/login"));

    // Saves of four representatives, each alternating between the instances, all at once.
    let mut reps = vec![first];
    for (no, seat) in seats.iter().enumerate().take(4).skip(1) {
        let base = if no % 2 == 0 { &a.base } else { &b.base };
        reps.push(Representative::log_in(base, seat, &plan).await);
    }
    let mut tasks = Vec::new();
    for (no, mut rep) in reps.into_iter().enumerate() {
        let (a_base, b_base, plan) = (a.base.clone(), b.base.clone(), plan.clone());
        tasks.push(actix_web::rt::spawn(async move {
            for seq in 1..=24u64 {
                let base = if seq % 2 == 0 { &a_base } else { &b_base };
                let s = seq as usize % plan.len();
                if let Err(e) = rep.save(base, &plan, s, no, seq).await {
                    panic!("save {seq} of representative {no} through {base}: {e}");
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
    for rep in &reps {
        assert_eq!(rep.ledgers.iter().map(|l| l.acks).sum::<u64>(), 24);
    }
    // A second browser still holding an old version, on the other instance, gets a conflict
    // instead of overwriting.
    let mut stale = Representative::log_in(&b.base, &seats[0], &plan).await;
    stale.versions[1] -= 1;
    let refused = stale.save(&b.base, &plan, 1, 0, 777).await.unwrap_err();
    assert!(refused.starts_with("409"), "{refused}");
    assert_eq!(check_ledgers(&db, &reps), 0);

    // Thirty invitations queued through both instances, delivered by both outbox workers.
    let organizer = support::client();
    assert_eq!(
        support::login(&organizer, &a.base, ORGANIZER, PASSWORD)
            .await
            .status(),
        303
    );
    let assessment = &db.seeded.assessment_id;
    for (i, seat) in seats.iter().enumerate() {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let token = support::csrf_of(
            &organizer,
            &format!("{base}/organizer/assessments/{assessment}/invite"),
        )
        .await;
        let email = format!("invitee{i:02}@example.org");
        let name = format!("Invitada {i:02}");
        let response = support::post_form(
            &organizer,
            &format!("{base}/organizer/assessments/{assessment}/invitations"),
            &[
                ("csrf_token", &token),
                ("organization", &seat.organization_id),
                ("name_0", &name),
                ("email_0", &email),
                ("lang_0", "es"),
            ],
        )
        .await;
        assert_eq!(response.status(), 200, "invitation {i}");
    }
    let deadline = Instant::now() + Duration::from_secs(90);
    while smtp.count() < INVITATIONS {
        assert!(
            Instant::now() < deadline,
            "only {} of {INVITATIONS} emails arrived",
            smtp.count()
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    // Both workers poll every 5 s: give them another round to send anything twice.
    actix_web::rt::time::sleep(Duration::from_secs(6)).await;
    let mut per_recipient: BTreeMap<String, usize> = BTreeMap::new();
    for mail in smtp.received() {
        for to in mail.envelope_to {
            *per_recipient.entry(to).or_default() += 1;
        }
    }
    assert_eq!(per_recipient.len(), INVITATIONS, "{per_recipient:?}");
    assert!(per_recipient.values().all(|&n| n == 1), "{per_recipient:?}");
    let rows = outbox::all(&mut db.conn()).unwrap();
    assert_eq!(rows.len(), INVITATIONS);
    assert!(rows.iter().all(|m| m.sent_at.is_some() && m.attempts == 1));

    assert_eq!(a.stop().await.code(), Some(0));
    assert_eq!(b.stop().await.code(), Some(0));
    let delivered = |log: &str| log.matches("outbox delivery").count();
    eprintln!(
        "delivery passes that sent mail: instance A {}, instance B {}",
        delivered(&a.log()),
        delivered(&b.log())
    );
    for log in [a.log(), b.log()] {
        assert!(!log.contains("ERROR") && !log.contains("panicked"), "{log}");
    }
}
