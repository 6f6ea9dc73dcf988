//! The app's checks that need Node and no browser. Every GraphQL document the app sends is one
//! named operation, named as its export, and valid against the committed `schema.graphql`: a
//! schema change that breaks the app fails here (Node imports the operation modules as they
//! are, no build step, and prints them). And the app writes times, points and money as
//! residents read them, whatever the device's time zone.

use std::path::PathBuf;
use std::process::{Command, Output};

use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `node` with `args` in the repository; `None` (with a loud notice) when there is no
/// Node, which fails instead in CI.
fn node(args: &[&str], env: &[(&str, &str)]) -> Option<Output> {
    let mut command = Command::new("node");
    command.current_dir(root()).args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    match command.output() {
        Ok(output) => Some(output),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "node is required in CI for the app's checks: {e}"
            );
            eprintln!("\n*** node not found ({e}): the app's Node checks are SKIPPED ***\n");
            None
        }
    }
}

/// The app's documents by export name, from `tests/browser/documents.mjs`.
fn app_documents() -> Option<serde_json::Map<String, Value>> {
    let output = node(&["tests/browser/documents.mjs"], &[])?;
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    match serde_json::from_slice(&output.stdout).unwrap() {
        Value::Object(documents) => Some(documents),
        other => panic!("expected an object of documents, got {other}"),
    }
}

fn schema() -> apollo_compiler::validation::Valid<Schema> {
    let path = root().join("schema.graphql");
    let sdl = std::fs::read_to_string(&path).unwrap();
    Schema::parse_and_validate(sdl, "schema.graphql").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_app_document_is_one_named_operation_valid_against_the_schema() {
    let Some(documents) = app_documents() else {
        return;
    };
    let schema = schema();
    assert!(documents.len() > 40, "only {} documents", documents.len());
    let mut problems = Vec::new();
    for (name, text) in &documents {
        let text = text.as_str().unwrap();
        match ExecutableDocument::parse_and_validate(&schema, text, format!("{name}.graphql")) {
            Err(errors) => problems.push(format!("{name}: {}", errors.errors)),
            Ok(document) => {
                let named: Vec<String> = document
                    .operations
                    .named
                    .keys()
                    .map(ToString::to_string)
                    .collect();
                if document.operations.anonymous.is_some() || named != [name.clone()] {
                    problems.push(format!(
                        "{name}: operations {named:?}, expected only {name}"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_document_that_does_not_fit_the_schema_is_caught() {
    let schema = schema();
    let broken = "query Wallet { me { wallet { balanceInYuan } } }";
    assert!(ExecutableDocument::parse_and_validate(&schema, broken, "broken.graphql").is_err());
}

#[test]
fn the_app_writes_times_points_and_money_as_residents_read_them() {
    // A device far from Chengdu: the app must still show China Standard Time.
    let Some(output) = node(
        &["--test", "tests/browser/format.test.mjs"],
        &[("TZ", "America/New_York")],
    ) else {
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
