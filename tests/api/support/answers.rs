//! Reading GraphQL answers as sentences: a payload accepted or refused with a code, the
//! top-level error of a response, the outcomes of a race tallied.
//!
//! `data` is what `app.ok` returns (the response's `data`); `mutation` names the payload in it.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// The payload of `mutation`, which must report no errors; panics showing `data` otherwise.
pub fn accepted<'a>(data: &'a Value, mutation: &str) -> &'a Value {
    let payload = &data[mutation];
    assert_eq!(
        payload["errors"],
        json!([]),
        "{mutation} was refused: {data}"
    );
    payload
}

/// The code of the first error the `mutation` payload reports; panics showing `data` when it
/// reports none.
pub fn user_error<'a>(data: &'a Value, mutation: &str) -> &'a str {
    first_error_part(data, mutation, "code")
}

/// The path of the input field the first error of the `mutation` payload names, written
/// `input.product.title`.
pub fn user_error_field(data: &Value, mutation: &str) -> String {
    let path = data[mutation]["errors"][0]["field"]
        .as_array()
        .unwrap_or_else(|| panic!("expected {mutation} to report an error with a field: {data}"));
    let segments: Vec<&str> = path.iter().filter_map(Value::as_str).collect();
    segments.join(".")
}

/// The message of the first error of the `mutation` payload.
pub fn user_error_message<'a>(data: &'a Value, mutation: &str) -> &'a str {
    first_error_part(data, mutation, "message")
}

fn first_error_part<'a>(data: &'a Value, mutation: &str, part: &str) -> &'a str {
    data[mutation]["errors"][0][part]
        .as_str()
        .unwrap_or_else(|| panic!("expected {mutation} to report an error with a {part}: {data}"))
}

/// What one attempt ended in: `"OK"` when the payload was accepted, else its first error code.
pub fn outcome<'a>(data: &'a Value, mutation: &str) -> &'a str {
    match data[mutation]["errors"][0]["code"].as_str() {
        Some(code) => code,
        None => {
            accepted(data, mutation);
            "OK"
        }
    }
}

/// How many of `answers` ended in each outcome, e.g. `{"OK": 10, "OUT_OF_STOCK": 90}`.
pub fn tally<'a>(answers: &'a [Value], mutation: &str) -> BTreeMap<&'a str, usize> {
    let mut counts = BTreeMap::new();
    for data in answers {
        *counts.entry(outcome(data, mutation)).or_insert(0) += 1;
    }
    counts
}

/// What a whole response `body` ended in: its first top-level error's code (`RATE_LIMITED`),
/// else the first error code of the `mutation` payload, else `"OK"`.
pub fn response_outcome<'a>(body: &'a Value, mutation: &str) -> &'a str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .or(body["data"][mutation]["errors"][0]["code"].as_str())
        .unwrap_or("OK")
}

/// The `extensions.code` of the first top-level error of a response `body`.
pub fn top_level_error(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a top-level error: {body}"))
}

/// The string at `pointer` (`"/createProduct/product/id"`); panics showing `value` when absent.
pub fn text_at(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer}: {value}"))
        .to_owned()
}

/// The string at `pointer` inside each item of the array `list`, e.g. every edge's status.
pub fn texts_at<'a>(list: &'a Value, pointer: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected a list: {list}"))
        .iter()
        .map(|item| {
            item.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("no string at {pointer}: {item}"))
        })
        .collect()
}
