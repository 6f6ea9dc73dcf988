//! Balance and history reads must not slow down as the transfer table grows: the balance is
//! cached on the account, history is read along an index with keyset pagination.
//!
//! `cargo bench -p linli-tests --bench ledger_reads` measures, on each engine, a resident's
//! `wallet` + first 20 history entries with 1,000 and with 1,000,000 other transfers in the
//! table, and prints the ratio (the 1,000 run is the baseline of the same run). PostgreSQL is
//! used when `LINLI_TEST_POSTGRES_URL` (default: the local server) is reachable.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark: a failed setup step must stop it loudly"
)]

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use linli_domain::db::{Database, DatabaseSettings, DatabaseUrl};
use linli_domain::identity::{Actor, NewUser, Role};
use linli_domain::ledger::{Adjustment, HistoryFilter};
use linli_domain::page::PageRequest;
use linli_domain::types::IdempotencyKey;
use linli_domain::{Services, Settings};

const READS: u32 = 2_000;
const OWN_HISTORY: i64 = 200;
const ISSUANCE: &str = "00000000-0000-7000-8000-000000000001";

fn admin_url() -> String {
    std::env::var("LINLI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn open(url: &str) -> Services {
    let db = Database::connect(DatabaseSettings {
        url: DatabaseUrl::parse(url).unwrap(),
        max_connections: 2,
        checkout_timeout: Duration::from_secs(5),
        statement_timeout: Duration::from_secs(600),
        lock_timeout: Duration::from_secs(5),
    })
    .unwrap();
    db.migrate().unwrap();
    Services::new(db.clone(), db, Settings::default())
}

/// Adds `count` transfers between two other accounts, with the matching balance changes, in
/// one statement per engine (a fixture for size, not a path any user takes).
fn add_other_transfers(services: &Services, postgres: bool, sink: &str, count: i64) {
    let select = format!(
        "SELECT 'bulk-' || CAST(n AS TEXT), '{ISSUANCE}', '{sink}', 1, 'ADJUST', 'bulk', \
         'bulk:' || CAST(n AS TEXT), 'bulk', CURRENT_TIMESTAMP"
    );
    let insert = "INSERT INTO transfer (id, debit_account_id, credit_account_id, amount, code, \
                  reason, idempotency_key, request_hash, created_at)";
    let sql = if postgres {
        format!("{insert} {select} FROM generate_series(1, {count}) AS g(n);")
    } else {
        format!(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {count}) \
             {insert} {select} FROM g;"
        )
    };
    let mut conn = services.db.conn().unwrap();
    conn.batch_execute(&format!(
        "BEGIN; {sql} \
         UPDATE account SET balance = balance - {count} WHERE id = '{ISSUANCE}'; \
         UPDATE account SET balance = balance + {count} WHERE id = '{sink}'; COMMIT; ANALYZE;"
    ))
    .unwrap();
}

/// Mean time of one balance read plus one history page, after a warm-up.
fn measure(services: &Services, postgres: bool, others: i64) -> Duration {
    let make = |email: &str, role: Role| {
        let user = NewUser {
            email: Some(email.to_owned()),
            password: "长安街 correct horse".to_owned(),
            display_name: "居民".to_owned(),
            ..NewUser::default()
        };
        let user = if role == Role::Resident {
            services
                .identity()
                .register_resident(user, "127.0.0.1")
                .unwrap()
        } else {
            services.identity().create_staff(user, role).unwrap()
        };
        Actor::User { id: user.id, role }
    };
    let staff = make("staff@example.cn", Role::Staff);
    let resident = make("resident@example.cn", Role::Resident);
    let sink = make("sink@example.cn", Role::Resident);
    let id_of = |a: &Actor| a.user_id().unwrap().clone();
    let wallet = services
        .ledger()
        .wallet(&staff, &id_of(&resident))
        .unwrap()
        .id;
    let sink_wallet = services.ledger().wallet(&staff, &id_of(&sink)).unwrap().id;
    for i in 0..OWN_HISTORY {
        let adjustment = Adjustment {
            account_id: wallet.clone(),
            change: 5,
            reason: "志愿服务".to_owned(),
        };
        let key = IdempotencyKey::parse(&format!("bench-own-{i:05}")).unwrap();
        services.ledger().adjust(&staff, &adjustment, &key).unwrap();
    }
    add_other_transfers(services, postgres, sink_wallet.as_str(), others);
    assert!(services.ledger().verify().unwrap().is_ok());

    let me = id_of(&resident);
    let page = PageRequest::new(Some(20), None).unwrap();
    let read = || {
        let balance = services.ledger().wallet(&resident, &me).unwrap().balance;
        let history = services
            .ledger()
            .history(&resident, &wallet, &HistoryFilter::default(), &page)
            .unwrap();
        assert_eq!(balance, 5 * OWN_HISTORY);
        assert_eq!(history.items.len(), 20);
    };
    for _ in 0..READS / 10 {
        read();
    }
    let started = Instant::now();
    for _ in 0..READS {
        read();
    }
    started.elapsed() / READS
}

fn run_engine(name: &str, postgres: bool) {
    let mut results = Vec::new();
    for others in [1_000_i64, 1_000_000] {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let (url, cleanup): (String, Box<dyn Fn()>) = if postgres {
            let db = format!("linli_bench_{tag}");
            let mut admin = PgConnection::establish(&admin_url()).unwrap();
            diesel::sql_query(format!("CREATE DATABASE {db}"))
                .execute(&mut admin)
                .unwrap();
            let base = admin_url();
            let url = format!("{}/{db}", &base[..base.rfind('/').unwrap()]);
            let drop_db = move || {
                let mut admin = PgConnection::establish(&admin_url()).unwrap();
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                    .execute(&mut admin)
                    .unwrap();
            };
            (url, Box::new(drop_db))
        } else {
            let path = std::env::temp_dir().join(format!("linli-bench-{tag}.sqlite3"));
            let url = format!("sqlite://{}", path.display());
            let remove = move || {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            };
            (url, Box::new(remove))
        };
        let services = open(&url);
        let mean = measure(&services, postgres, others);
        drop(services);
        cleanup();
        println!(
            "{name:>10}  {others:>9} other transfers: \
             {:>8.1} µs per balance + 20-entry history read",
            mean.as_secs_f64() * 1e6
        );
        results.push(mean);
    }
    let ratio = results[1].as_secs_f64() / results[0].as_secs_f64();
    println!("{name:>10}  ratio 1,000,000 ÷ 1,000 = {ratio:.2}  (1.00 = no slowdown)");
}

fn main() {
    println!(
        "ledger reads: {READS} reads per size, \
         {OWN_HISTORY} transfers in the resident's own history"
    );
    run_engine("sqlite", false);
    if PgConnection::establish(&admin_url()).is_ok() {
        run_engine("postgres", true);
    } else {
        println!("  postgres  skipped: {} is not reachable", admin_url());
    }
}
