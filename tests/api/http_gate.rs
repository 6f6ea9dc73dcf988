//! The gate in front of GraphQL: every kind of bad request gets a typed error, and the server
//! keeps serving afterwards.

use serde_json::{Value, json};

use crate::support::{Engine, JWT_SECRET, TestApp};

async fn raw(
    app: &TestApp,
    content_type: &str,
    body: Vec<u8>,
    accept: Option<&str>,
) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", content_type)
        .body(body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_requests_get_typed_errors_and_the_server_keeps_serving() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let json_type = "application/json";

    let (status, body) = raw(&app, json_type, b"{\"query\": ".to_vec(), None).await;
    assert_eq!(
        (status, code(&body)),
        (400, "BAD_REQUEST"),
        "malformed JSON: {body}"
    );

    let (status, body) = raw(&app, json_type, b"{\"variables\": {}}".to_vec(), None).await;
    assert_eq!(
        (status, code(&body)),
        (400, "BAD_REQUEST"),
        "no query: {body}"
    );

    let huge = format!(
        "{{\"query\": \"{{ me {{ id }} }}\", \"pad\": \"{}\"}}",
        "x".repeat(1024 * 1024)
    );
    let (status, body) = raw(&app, json_type, huge.into_bytes(), None).await;
    assert_eq!(
        (status, code(&body)),
        (413, "PAYLOAD_TOO_LARGE"),
        "1 MB body: {body}"
    );

    let (status, body) = raw(&app, "text/plain", b"{ me { id } }".to_vec(), None).await;
    assert_eq!((status, code(&body)), (415, "UNSUPPORTED_MEDIA_TYPE"));

    let batch = json!([{ "query": "{ me { id } }" }, { "query": "{ me { id } }" }]).to_string();
    let (status, body) = raw(&app, json_type, batch.into_bytes(), None).await;
    assert_eq!((status, code(&body)), (400, "BATCH_NOT_SUPPORTED"));

    let response = app
        .client
        .get(format!("{}/graphql?query=%7Bme%7Bid%7D%7D", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");

    let deep = format!("{{ {}id{} }}", "me { ".repeat(500), " }".repeat(500));
    let (status, body) = app.post(&deep, json!({}), None).await;
    assert_eq!(
        (status, code(&body)),
        (200, "QUERY_TOO_COMPLEX"),
        "500 levels: {body}"
    );

    let aliases: String = (0..100)
        .map(|i| format!("a{i}: communities {{ totalCount }} "))
        .collect();
    let (status, body) = app.post(&format!("{{ {aliases} }}"), json!({}), None).await;
    assert_eq!(
        (status, code(&body)),
        (200, "QUERY_TOO_COMPLEX"),
        "100 aliases: {body}"
    );

    // The newer media type gets 400 for documents GraphQL refuses, as the spec asks.
    let bad = json!({ "query": "{ me { id " }).to_string().into_bytes();
    let (status, body) = raw(
        &app,
        json_type,
        bad.clone(),
        Some("application/graphql-response+json"),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "GRAPHQL_PARSE_FAILED"));
    let (status, body) = raw(&app, json_type, bad, None).await;
    assert_eq!((status, code(&body)), (200, "GRAPHQL_PARSE_FAILED"));
    let unknown = json!({ "query": "{ noSuchField }" })
        .to_string()
        .into_bytes();
    let (_, body) = raw(&app, json_type, unknown, None).await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED");

    // Still serving.
    let data = app
        .ok("{ communities { totalCount } }", json!({}), None)
        .await;
    assert_eq!(data["communities"]["totalCount"], 0);
    app.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_readiness_metrics_and_graphiql() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.ok("{ communities { totalCount } }", json!({}), None)
        .await;

    let get = |path: &str| app.client.get(format!("{}{path}", app.base)).send();
    assert_eq!(get("/healthz").await.unwrap().status().as_u16(), 200);
    assert_eq!(get("/readyz").await.unwrap().status().as_u16(), 200);

    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(
            "linli_graphql_requests_total{operation=\"query:communities\",outcome=\"ok\"}"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("linli_graphql_request_duration_seconds_bucket"),
        "{metrics}"
    );
    assert!(
        metrics.contains("linli_db_pool_connections{state=\"idle\"}"),
        "{metrics}"
    );

    let page = get("/graphiql").await.unwrap().text().await.unwrap();
    assert!(page.contains("/graphiql/assets/graphiql.min.js"));
    for asset in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "linli.js",
    ] {
        let response = get(&format!("/graphiql/assets/{asset}")).await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{asset}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn production_hides_graphiql() {
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        &[
            ("LINLI_ENV", "production"),
            ("LINLI_JWT_SECRET", JWT_SECRET),
            ("LINLI_SMTP_URL", "smtp://127.0.0.1:1"),
        ],
    )
    .await;
    let response = app
        .client
        .get(format!("{}/graphiql", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    app.ok("{ communities { totalCount } }", json!({}), None)
        .await;
}
