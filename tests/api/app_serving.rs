//! The app's files as the binary serves them: the app's screens, caching, compression and the
//! API routes beside them.

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH,
};

use crate::support::{Engine, TestApp};

const PREACT: &str = "/vendor/htm-preact-standalone-3.1.1.module.js";

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap()
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    response
        .headers()
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

#[tokio::test]
async fn every_screen_of_the_app_is_index_html_revalidated_on_each_use() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    for path in [
        "/",
        "/wallet",
        "/verify-email?token=abc",
        "/org/x/activities/y/check-in",
    ] {
        let response = get(&app, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(header(&response, CACHE_CONTROL), "no-cache");
        assert!(header(&response, CONTENT_SECURITY_POLICY).contains("script-src 'self'"));
        assert!(
            response.text().await.unwrap().contains("/src/main.js"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_unchanged_file_is_a_304_and_vendor_files_are_cached_for_a_year() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let first = get(&app, PREACT).await;
    assert_eq!(
        header(&first, CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        header(&first, CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    let etag = header(&first, ETAG).to_owned();
    let again = app
        .client
        .get(format!("{}{PREACT}", app.base))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let own = get(&app, "/src/api.js").await;
    assert_eq!(header(&own, CACHE_CONTROL), "no-cache");
}

#[tokio::test]
async fn files_are_compressed_for_browsers_that_accept_it() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    for encoding in ["br", "gzip"] {
        let response = app
            .client
            .get(format!("{}{PREACT}", app.base))
            .header(ACCEPT_ENCODING, encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(header(&response, CONTENT_ENCODING), encoding);
    }
}

#[tokio::test]
async fn missing_files_and_developer_files_are_not_found() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    for path in [
        "/src/missing.js",
        "/jsconfig.json",
        "/vendor/htm-preact-standalone-3.1.1.module.d.ts",
    ] {
        assert_eq!(
            get(&app, path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_api_routes_beside_the_app_keep_their_answers() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    assert_eq!(get(&app, "/healthz").await.status(), StatusCode::OK);
    assert_eq!(get(&app, "/readyz").await.status(), StatusCode::OK);
    assert_eq!(get(&app, "/metrics").await.status(), StatusCode::OK);
    assert_eq!(get(&app, "/graphiql").await.status(), StatusCode::OK);
    assert_eq!(
        get(&app, "/graphql").await.status(),
        StatusCode::BAD_REQUEST,
        "a GET without a query"
    );
    assert_eq!(
        get(&app, "/statements/x/2026-01.csv").await.status(),
        StatusCode::NOT_FOUND
    );
    let manifest = get(&app, "/manifest.webmanifest").await;
    assert_eq!(
        header(&manifest, CONTENT_TYPE),
        "application/manifest+json; charset=utf-8"
    );
}
