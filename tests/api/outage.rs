//! When the database cannot answer in time, the client is told to come back later: HTTP 503
//! with `SERVICE_UNAVAILABLE` and `Retry-After` — never `INTERNAL`, which pages whoever
//! watches the error rate — and nothing of the refused write was kept.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use serde_json::json;

use crate::support::identity::REGISTER_RESIDENT;
use crate::support::ledger::DONATE_POINTS;
use crate::support::{Engine, PASSWORD, Setup, TestApp, both_engines, run_on, unique_email};

/// Locks are given up after 200 ms, so the test waits a fraction of a second, not the
/// production 3 s.
const QUICK_LOCK_TIMEOUT: [(&str, &str); 1] = [("LINLI_DB_LOCK_TIMEOUT_MS", "200")];

both_engines!(
    with QUICK_LOCK_TIMEOUT:
    a_write_that_cannot_get_its_lock_is_a_503_with_retry_after,
);

/// Another connection holding the lock every registration needs, until released.
enum Holder {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Holder {
    fn release(self) {
        match self {
            Holder::Sqlite(mut conn) => conn.batch_execute("ROLLBACK").unwrap(),
            Holder::Postgres(mut conn) => conn.batch_execute("ROLLBACK").unwrap(),
        }
    }
}

fn hold_the_users_table(app: &TestApp) -> Holder {
    match app.url.strip_prefix("sqlite://") {
        Some(path) => {
            let mut conn = SqliteConnection::establish(path).unwrap();
            // The server's own background writes may hold the lock for a moment: wait for it.
            conn.batch_execute("PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE")
                .unwrap();
            Holder::Sqlite(conn)
        }
        None => {
            let mut conn = PgConnection::establish(&app.url).unwrap();
            conn.batch_execute("BEGIN; LOCK TABLE app_user IN ACCESS EXCLUSIVE MODE")
                .unwrap();
            Holder::Postgres(conn)
        }
    }
}

async fn a_write_that_cannot_get_its_lock_is_a_503_with_retry_after(app: &TestApp) {
    let email = unique_email("outage");
    let request = json!({
        "query": REGISTER_RESIDENT,
        "variables": { "input": { "email": email, "password": PASSWORD, "displayName": "王芳" } },
    });
    let holder = hold_the_users_table(app);

    let refused = app.send(&request, None).await;

    assert_eq!(refused.status().as_u16(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{body}"
    );
    holder.release();
    let (status, again) = app
        .post(REGISTER_RESIDENT, request["variables"].clone(), None)
        .await;
    assert_eq!(status, 200);
    assert!(
        again["data"]["registerResident"]["user"]["id"].is_string(),
        "nothing of the refused registration was kept: {again}"
    );
}

/// PostgreSQL only: SQLite runs inside the server's process, so its connection cannot be lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_lost_while_a_write_commits_is_outcome_unknown_and_the_retry_answers() {
    run_on(Engine::Postgres, Setup::Default, |app| {
        Box::pin(connection_lost_at_commit(app))
    })
    .await;
}

/// The database goes away at the instant of COMMIT (a deferred trigger ends its own backend,
/// as a primary failing over would): the client cannot be told that nothing was kept, so it
/// is told the outcome is unknown — 503 `OUTCOME_UNKNOWN` with `Retry-After` — and a retry
/// with the same idempotency key settles it, moving the points once.
async fn connection_lost_at_commit(app: &TestApp) {
    let giver = app.funded_resident(100).await;
    let recipient = unique_email("recipient");
    app.resident(&recipient).await;
    let mut db = PgConnection::establish(&app.url).unwrap();
    db.batch_execute(
        "CREATE FUNCTION cut_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF NEW.code = 'DONATE' THEN PERFORM pg_terminate_backend(pg_backend_pid()); \
           PERFORM pg_sleep(5); END IF; \
           RETURN NULL; END $$; \
         CREATE CONSTRAINT TRIGGER cut_at_commit AFTER INSERT ON transfer \
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cut_at_commit();",
    )
    .unwrap();
    let donation = json!({ "input": {
        "recipient": recipient, "amount": 30, "reason": "提交时断线", "idempotencyKey": "cut-at-commit-1",
    } });
    let request = json!({ "query": DONATE_POINTS, "variables": donation });

    let lost = app.send(&request, Some(&giver)).await;

    let status = lost.status().as_u16();
    let retry_after = lost.headers().contains_key("retry-after");
    let body: serde_json::Value = lost.json().await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(retry_after);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "OUTCOME_UNKNOWN",
        "{body}"
    );
    db.batch_execute("DROP TRIGGER cut_at_commit ON transfer")
        .unwrap();
    let (status, retried) = app.post(DONATE_POINTS, donation, Some(&giver)).await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(
        retried["data"]["donatePoints"]["transfer"]["amount"], 30,
        "{retried}"
    );
    assert_eq!(app.balance(&giver).await, 70, "the points moved once");
}
