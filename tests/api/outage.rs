//! When the database cannot answer in time, the client is told to come back later: HTTP 503
//! with `SERVICE_UNAVAILABLE` and `Retry-After` — never `INTERNAL`, which pages whoever
//! watches the error rate — and nothing of the refused write was kept.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use serde_json::json;

use crate::support::identity::REGISTER_RESIDENT;
use crate::support::{PASSWORD, TestApp, both_engines, unique_email};

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
