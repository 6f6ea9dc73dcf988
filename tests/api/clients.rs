//! Real GraphQL clients and tools against a real Linli, unmodified, at the versions locked in
//! `tests/js/package-lock.json`: graphql-js introspection as GraphiQL, Apollo DevTools and
//! codegen send it, the GraphQL-over-HTTP audit, graphql-schema-linter, Apollo Client's Relay
//! pagination both ways, graphql-js validation and TypeScript over the app's own code, so
//! a schema change that breaks the app fails here, and jose verifying a service certificate
//! with nothing but the district's published keys. Each script prints its report and exits 0
//! only when it passed (`tests/js/README.md`).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::support::{TestApp, both_engines};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Node with `tests/js`'s packages installed, once per run (`npm ci`, exactly the lock).
/// `false`, with a loud notice, when Node or npm is missing outside CI; in CI that fails.
fn js_tools() -> bool {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let js = root().join("tests/js");
        if !js.join("node_modules/.package-lock.json").exists() {
            let installed = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(&js)
                .output()
                .map_err(|e| format!("npm not found: {e}"))?;
            if !installed.status.success() {
                return Err(format!(
                    "npm ci failed: {}",
                    String::from_utf8_lossy(&installed.stderr)
                ));
            }
        }
        Ok(())
    });
    match ready {
        Ok(()) => true,
        Err(why) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "the GraphQL client checks need Node and npm in CI: {why}"
            );
            eprintln!("\n*** {why}: the GraphQL client checks are SKIPPED ***\n");
            false
        }
    }
}

/// Runs `node <script>` with `args`; panics with its report unless it passed.
fn passes(script: &str, args: &[&str]) {
    passes_in(script, args, &[]);
}

/// [`passes`] with environment variables set.
fn passes_in(script: &str, args: &[&str], env: &[(&str, &str)]) {
    let output = Command::new("node")
        .current_dir(root())
        .arg(script)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("node {script}: {e}"));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script} failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdict = report.lines().last().unwrap_or_default();
    if verdict.starts_with("SKIP") {
        eprintln!("\n*** {script}: {verdict} ***\n");
    }
}

both_engines!(
    a_third_party_verifies_a_certificate_with_a_standard_jose_library,
    graphiql_and_every_tool_load_the_schema_by_standard_introspection,
    the_graphql_over_http_audit_finds_nothing,
    apollo_client_pages_a_connection_forwards_and_backwards,
);

async fn graphiql_and_every_tool_load_the_schema_by_standard_introspection(app: &TestApp) {
    if !js_tools() {
        return;
    }
    // The default, GraphiQL's and the full variant, each rebuilt into a schema that must
    // equal schema.graphql.
    passes("tests/js/introspection.mjs", &["--url", &app.base]);
}

async fn a_third_party_verifies_a_certificate_with_a_standard_jose_library(app: &TestApp) {
    if !js_tools() {
        return;
    }
    let (_, _, resident) = crate::certificate::ninety_verified_minutes(app).await;
    let issued = crate::certificate::certificate(app, &resident, serde_json::json!({})).await;
    passes(
        "tests/js/verify-certificate.mjs",
        &[
            "--url",
            &app.base,
            "--document",
            issued["document"].as_str().unwrap(),
            "--number",
            issued["number"].as_str().unwrap(),
        ],
    );
}

async fn the_graphql_over_http_audit_finds_nothing(app: &TestApp) {
    if !js_tools() {
        return;
    }
    passes("tests/js/audit.mjs", &["--url", &app.base]);
}

async fn apollo_client_pages_a_connection_forwards_and_backwards(app: &TestApp) {
    if !js_tools() {
        return;
    }
    for i in 0..7 {
        app.community(&format!("建设路第{i}社区"), "建设路街道")
            .await;
    }
    passes(
        "tests/js/apollo-pagination.mjs",
        &[
            "--url",
            &app.base,
            "--connection",
            "communities",
            "--node",
            "id name",
            "--page-size",
            "2",
        ],
    );
}

#[test]
fn the_schema_has_every_description_and_complete_relay_connections() {
    if !js_tools() {
        return;
    }
    passes("tests/js/lint-schema.mjs", &[]);
}

#[test]
fn every_document_the_app_sends_is_valid_against_the_schema() {
    if !js_tools() {
        return;
    }
    passes("tests/js/validate-documents.mjs", &[]);
}

#[test]
fn the_apps_javascript_type_checks() {
    if !js_tools() {
        return;
    }
    passes(
        "tests/js/typecheck.mjs",
        &["--project", "app/jsconfig.json"],
    );
}

#[test]
fn the_app_writes_times_points_and_money_as_residents_read_them() {
    if !js_tools() {
        return;
    }
    // A device far from Chengdu: the app must still show China Standard Time.
    passes_in(
        "--test",
        &["tests/browser/format.test.mjs"],
        &[("TZ", "America/New_York")],
    );
}
