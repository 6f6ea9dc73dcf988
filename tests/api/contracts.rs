//! Files that promise something about the code: `schema.graphql` and `docs/ERRORS.md`.

use std::path::Path;

fn repo_file(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn committed_schema_matches_the_live_schema() {
    let committed = repo_file("schema.graphql");
    let live = linli_api::graphql::sdl();
    assert!(
        committed == live,
        "schema.graphql is stale: run `cargo run -p linli-api -- export-schema`"
    );
}

#[test]
fn every_error_code_is_documented() {
    let doc = repo_file("docs/ERRORS.md");
    let domain = linli_domain::ErrorCode::ALL.iter().map(|c| c.as_str());
    let protocol = linli_api::http::PROTOCOL_CODES.iter().copied();
    let missing: Vec<&str> = domain
        .chain(protocol)
        .filter(|code| !doc.contains(&format!("`{code}`")))
        .collect();
    assert!(missing.is_empty(), "docs/ERRORS.md lacks {missing:?}");
}
