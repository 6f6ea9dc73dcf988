//! Every GraphQL document the app sends is one named operation, named as its export, and
//! valid against the committed `schema.graphql`: a schema change that breaks the app fails
//! here. Node imports the operation modules (as they are, no build step) and prints them.

use std::path::PathBuf;
use std::process::Command;

use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::Value;

/// The app's documents by export name, from `tests/browser/documents.mjs`.
fn app_documents() -> Option<serde_json::Map<String, Value>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = match Command::new("node")
        .arg(root.join("tests/browser/documents.mjs"))
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "node is required in CI to read the app's GraphQL documents: {e}"
            );
            eprintln!("\n*** node not found ({e}): the app's documents are NOT CHECKED ***\n");
            return None;
        }
    };
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
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
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
