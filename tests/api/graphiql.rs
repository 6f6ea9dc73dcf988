//! GraphiQL, the first thing a developer opens: on a fresh demo server in headless Chromium,
//! its Docs panel lists `Query`'s fields and the editor autocompletes them. Both need the
//! schema through the standard introspection query, priced like any other request.

use std::time::{Duration, Instant};

use crate::browser::{Browser, Driver, Screen, browser_available};
use crate::support::{Engine, TestApp};

const WAIT: Duration = Duration::from_secs(20);

/// The text of the element matching `selector` once it contains `expected`; fails with what
/// it shows instead.
async fn text_once_it_shows(browser: &Browser, selector: &str, expected: &str) -> String {
    let started = Instant::now();
    loop {
        let text = browser.element(selector).await.text().await.unwrap();
        if text.contains(expected) {
            return text;
        }
        assert!(
            started.elapsed() < WAIT,
            "{selector} never showed «{expected}»; it shows:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn graphiql_lists_the_query_fields_and_autocompletes_them() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.seed_demo().await;
    let driver = Driver::start().await;
    let browser = Browser::open_on(&driver, &app.base, Screen::Desk).await;
    browser.visit("/graphiql").await;

    // Docs: the root types, then Query's fields.
    browser
        .element("button[aria-label='Show Documentation Explorer']")
        .await
        .click()
        .await
        .unwrap();
    text_once_it_shows(&browser, ".graphiql-doc-explorer", "Query").await;
    browser
        .element(".graphiql-doc-explorer a.graphiql-doc-explorer-type-name")
        .await
        .click()
        .await
        .unwrap();
    let fields = text_once_it_shows(&browser, ".graphiql-doc-explorer", "products").await;
    for field in ["communities", "activities", "rewards", "node", "nodes"] {
        assert!(fields.contains(field), "Docs lack {field}:\n{fields}");
    }
    browser.screenshot("graphiql-docs").await;

    // Autocomplete: an empty editor, then `{ prod`.
    browser
        .client
        .execute(
            "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('')",
            vec![],
        )
        .await
        .unwrap();
    let editor = browser.element(".graphiql-query-editor textarea").await;
    editor.send_keys("{ prod").await.unwrap();
    let hints = text_once_it_shows(&browser, ".CodeMirror-hints", "products").await;
    assert!(!hints.contains("communities"), "{hints}");
    browser.screenshot("graphiql-autocomplete").await;
    browser.close().await;
}
