//! The front door: every request is priced before it runs — on the parse juniper executes — and
//! paid from the client's budget; introspection works within the same model.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Engine, TestApp, both_engines, postgres_available};

/// `getIntrospectionQuery()` of graphql-js, exactly as tools send it (kept by tests/js).
const INTROSPECTION: &str = include_str!("../js/fixtures/introspection-query.graphql");

const NESTED_FAN_OUT: &str = r#"
{ products(first: 100) { edges { node { organisation { products(first: 100) { edges { node {
  organisation { products(first: 100) { edges { node { id } } } } } } } } } } } }"#;

fn thirty_impacts() -> String {
    let aliases: String = (0..30)
        .map(|i| format!("i{i}: impact(by: COMMUNITY) {{ name }} "))
        .collect();
    format!("{{ {aliases} }}")
}

/// The top-level error of a refused request: (HTTP status, code, extensions).
async fn refusal(app: &TestApp, query: &str) -> (u16, String, Value) {
    let (status, body) = app.post(query, json!({}), None).await;
    let extensions = body["errors"][0]["extensions"].clone();
    let code = extensions["code"].as_str().unwrap_or_default().to_owned();
    (status, code, extensions)
}

both_engines!(
    a_fan_out_of_a_million_objects_is_refused_before_any_sql,
    thirty_aliases_of_an_aggregate_are_refused_before_any_sql,
    caps_hold_on_documents_with_unicode_escapes,
    the_standard_introspection_query_is_answered_and_priced,
    every_answer_reports_its_cost_and_the_budget,
);

async fn a_fan_out_of_a_million_objects_is_refused_before_any_sql(app: &TestApp) {
    let before = app.services.db.statements_executed();

    let (status, code, extensions) = refusal(app, NESTED_FAN_OUT).await;

    assert_eq!((status, code.as_str()), (200, "QUERY_TOO_COMPLEX"));
    assert!(
        extensions["requested"].as_u64() > extensions["allowed"].as_u64(),
        "{extensions}"
    );
    assert!(
        extensions["cost"]["nodes"].as_u64() > Some(1_000_000),
        "{extensions}"
    );
    assert_eq!(app.services.db.statements_executed(), before, "no SQL ran");
}

async fn thirty_aliases_of_an_aggregate_are_refused_before_any_sql(app: &TestApp) {
    let before = app.services.db.statements_executed();

    let (_, code, extensions) = refusal(app, &thirty_impacts()).await;

    assert_eq!(code, "QUERY_TOO_COMPLEX", "{extensions}");
    assert_eq!(extensions["measure"], "cost");
    assert_eq!(app.services.db.statements_executed(), before, "no SQL ran");
}

async fn caps_hold_on_documents_with_unicode_escapes(app: &TestApp) {
    // Variable-width and surrogate-pair escapes: valid GraphQL that a second parser might not
    // read, which must never let a document past the caps.
    for escape in [r#""\u{8001}""#, r#""\uD83D\uDE00""#] {
        let query = NESTED_FAN_OUT.replacen(
            "products(first: 100)",
            &format!("products(first: 100, filter: {{ text: {escape} }})"),
            1,
        );

        let (_, code, _) = refusal(app, &query).await;

        assert_eq!(code, "QUERY_TOO_COMPLEX", "{escape}");
    }
    let accepted = app
        .ok(
            r#"{ products(first: 1, filter: { text: "\u{8001}\uD83D\uDE00" }) { totalCount } }"#,
            json!({}),
            None,
        )
        .await;
    assert!(accepted["products"]["totalCount"].is_number(), "{accepted}");
}

async fn the_standard_introspection_query_is_answered_and_priced(app: &TestApp) {
    let (status, body) = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": INTROSPECTION, "operationName": "IntrospectionQuery" }))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    let body: Value = body.json().await.unwrap();

    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let types = body["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Product"));
    assert!(body["extensions"]["cost"]["requested"].is_u64(), "{body}");
}

async fn every_answer_reports_its_cost_and_the_budget(app: &TestApp) {
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": "{ categories { id children { id } } }" }))
        .send()
        .await
        .unwrap();
    let headers = response.headers().clone();
    let body: Value = response.json().await.unwrap();

    let cost = &body["extensions"]["cost"];
    assert!(cost["requested"].as_u64() > Some(0), "{body}");
    assert_eq!(cost["limit"], 5_000);
    assert!(
        cost["remaining"].as_u64() < cost["budget"].as_u64(),
        "{cost}"
    );
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(headers.contains_key(name), "{name} missing: {headers:?}");
    }
}

/// A client that spends its budget is refused with 429 until it refills — on both engines, and
/// across two instances sharing one PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spent_budget_is_refused_with_429_until_it_refills() {
    let small = [
        ("LINLI_COST_BUDGET", "100"),
        ("LINLI_COST_RESTORE_PER_SEC", "1"),
    ];
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if engine == Engine::Postgres && !postgres_available() {
            continue;
        }
        let app = TestApp::spawn_with(engine, &small).await;

        let statuses = spend(&app, 30).await;

        let refused_at = statuses.iter().position(|(s, _)| *s == 429);
        assert!(refused_at.is_some(), "{engine:?}: {statuses:?}");
        let (_, retry_after) = &statuses[refused_at.unwrap()];
        assert!(
            retry_after.is_some_and(|s| s >= 1),
            "{engine:?}: Retry-After"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_a_clients_budget() {
    if !postgres_available() {
        return;
    }
    let small = [
        ("LINLI_COST_BUDGET", "100"),
        ("LINLI_COST_RESTORE_PER_SEC", "1"),
    ];
    let a = TestApp::spawn_with(Engine::Postgres, &small).await;
    let b = a.another_instance(&small).await;

    // Spend most of the budget on A, let A tell the database, then ask B.
    let spent_on_a = spend(&a, 6).await;
    assert!(spent_on_a.iter().all(|(s, _)| *s == 200), "{spent_on_a:?}");
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let on_b = spend(&b, 8).await;

    assert!(
        on_b.iter().take(4).any(|(s, _)| *s == 429),
        "B must see what A spent: {on_b:?}"
    );
}

/// Sends `n` anonymous requests costing 13 each (1 for the query, 2 for the connection, 10
/// for its page); returns each status and Retry-After.
async fn spend(app: &TestApp, n: usize) -> Vec<(u16, Option<u64>)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let response = app
            .client
            .post(format!("{}/graphql", app.base))
            .json(&json!({ "query": "{ communities(first: 10) { edges { node { id } } } }" }))
            .send()
            .await
            .unwrap();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        out.push((response.status().as_u16(), retry_after));
    }
    out
}

/// A browser page on another origin: the preflight is answered for a configured origin (and
/// cached), and refused for any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn browsers_on_configured_origins_pass_the_preflight() {
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        &[("LINLI_CORS_ORIGINS", "https://app.chenghua.example.cn")],
    )
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
            .send()
    };

    let allowed = preflight("https://app.chenghua.example.cn").await.unwrap();
    let other = preflight("https://evil.example.com").await.unwrap();
    let post = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("Origin", "https://app.chenghua.example.cn")
        .json(&json!({ "query": "{ categories { id } }" }))
        .send()
        .await
        .unwrap();

    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        header(&allowed, "access-control-allow-origin").as_deref(),
        Some("https://app.chenghua.example.cn")
    );
    assert_eq!(
        header(&allowed, "access-control-max-age").as_deref(),
        Some("3600")
    );
    assert!(header(&other, "access-control-allow-origin").is_none());
    let exposed = header(&post, "access-control-expose-headers").unwrap_or_default();
    assert!(exposed.contains("x-ratelimit-remaining"), "{exposed}");
}
