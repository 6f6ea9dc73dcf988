//! The two migration folders must describe the same tables and columns.

use std::collections::BTreeSet;

use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::support::{Engine, TestApp, postgres_available};

#[derive(QueryableByName, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

fn columns(rows: Vec<Column>) -> BTreeSet<(String, String)> {
    rows.into_iter()
        .filter(|c| !c.table_name.starts_with("__diesel") && !c.table_name.starts_with("sqlite_"))
        // Full-text search is the one intended difference: SQLite's FTS5 table (and its shadow
        // tables) stands in for PostgreSQL's stored `product.search_vector`.
        .filter(|c| !c.table_name.starts_with("product_search"))
        .filter(|c| !(c.table_name == "product" && c.column_name == "search_vector"))
        .map(|c| (c.table_name, c.column_name))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_have_the_same_tables_and_columns() {
    let sqlite = TestApp::spawn(Engine::Sqlite).await;
    let path = sqlite.url.trim_start_matches("sqlite://").to_owned();
    let mut conn = SqliteConnection::establish(&path).unwrap();
    let lite = columns(
        diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'",
        )
        .load(&mut conn)
        .unwrap(),
    );
    assert!(lite.contains(&("transfer".into(), "idempotency_key".into())));
    if !postgres_available() {
        return;
    }
    let pg = TestApp::spawn(Engine::Postgres).await;
    let mut conn = PgConnection::establish(&pg.url).unwrap();
    let postgres = columns(
        diesel::sql_query(
            "SELECT CAST(table_name AS TEXT) AS table_name, CAST(column_name AS TEXT) AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public'",
        )
        .load(&mut conn)
        .unwrap(),
    );
    let only_sqlite: Vec<_> = lite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&lite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "migrations drifted: only on SQLite {only_sqlite:?}, only on PostgreSQL {only_postgres:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_cannot_be_edited_or_deleted() {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if engine == Engine::Postgres && !postgres_available() {
            continue;
        }
        let app = TestApp::spawn(engine).await;
        let staff = app.staff("staff@example.cn").await;
        let resident = app.resident("resident@example.cn").await;
        let me = app
            .ok(
                "{ me { wallet { id } } }",
                serde_json::json!({}),
                Some(&resident),
            )
            .await;
        let wallet = me["me"]["wallet"]["id"].as_str().unwrap();
        app.ok(
            "mutation($input: AdjustBalanceInput!) { adjustBalance(input: $input) { errors { code } } }",
            serde_json::json!({ "input": { "accountId": wallet, "change": 5, "reason": "测试", "idempotencyKey": "immutable-1" } }),
            Some(&staff),
        )
        .await;
        let mut conn = app.services.db.conn().unwrap();
        use diesel::connection::SimpleConnection;
        assert!(
            conn.batch_execute("UPDATE transfer SET amount = 500")
                .is_err(),
            "{engine:?}"
        );
        assert!(
            conn.batch_execute("DELETE FROM transfer").is_err(),
            "{engine:?}"
        );
        drop(conn);
        app.assert_ledger_ok().await;
    }
}
