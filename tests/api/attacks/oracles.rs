//! Answers that would tell a stranger who has an account, and mail that would flood someone
//! else's mailbox: each is throttled per caller and answers the same way for everyone.

use serde_json::json;

use super::fixtures::{fund, user_error};
use crate::support::{PASSWORD, TestApp, both_engines};

const DONATE: &str = r#"
mutation($to: String!, $key: String!) {
  donatePoints(input: { recipient: $to, amount: 1, idempotencyKey: $key }) {
    transfer { id } errors { code }
  }
}"#;

const REGISTER: &str = r#"
mutation($input: RegisterResidentInput!) {
  registerResident(input: $input) { user { id } errors { code field } }
}"#;

const REQUEST_VERIFICATION: &str = "mutation { requestEmailVerification { ok errors { code } } }";

both_engines!(
    an_empty_wallet_learns_nothing_about_a_phone_number,
    walking_phone_numbers_is_throttled,
    an_address_with_a_display_name_is_refused,
    verification_mail_cannot_flood_a_mailbox,
);

async fn an_empty_wallet_learns_nothing_about_a_phone_number(app: &TestApp) {
    let probe = app.resident("probe@example.cn").await;
    app.resident("known@example.cn").await;

    let known = app
        .ok(
            DONATE,
            json!({ "to": "known@example.cn", "key": "probe-known-1" }),
            Some(&probe),
        )
        .await;
    let unknown = app
        .ok(
            DONATE,
            json!({ "to": "13900000001", "key": "probe-unknown-1" }),
            Some(&probe),
        )
        .await;

    assert_eq!(known, unknown, "both answer INSUFFICIENT_POINTS");
    assert_eq!(
        user_error(&known, "donatePoints").as_deref(),
        Some("INSUFFICIENT_POINTS")
    );
}

async fn walking_phone_numbers_is_throttled(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let walker = app.resident("walker@example.cn").await;
    fund(app, &staff, &walker, 100, "fund-walker-01").await;

    let mut codes = Vec::new();
    for i in 0..11 {
        let vars = json!({ "to": format!("139000000{i:02}"), "key": format!("walk-{i:04}") });
        let (status, body) = app.post(DONATE, vars, Some(&walker)).await;
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .or(body["data"]["donatePoints"]["errors"][0]["code"].as_str())
            .unwrap_or_default()
            .to_owned();
        codes.push((status, code));
    }

    assert!(
        codes[..10].iter().all(|(_, c)| c == "RECIPIENT_NOT_FOUND"),
        "{codes:?}"
    );
    assert_eq!(codes[10], (429, "RATE_LIMITED".to_owned()), "{codes:?}");
}

async fn an_address_with_a_display_name_is_refused(app: &TestApp) {
    let input = json!({ "input": {
        "email": "x<victim@corp.cn>", "password": PASSWORD, "displayName": "冒名"
    } });

    let data = app.ok(REGISTER, input, None).await;

    assert_eq!(
        user_error(&data, "registerResident").as_deref(),
        Some("INVALID_INPUT")
    );
    assert_eq!(data["registerResident"]["errors"][0]["field"], "email");
}

async fn verification_mail_cannot_flood_a_mailbox(app: &TestApp) {
    let resident = app.resident("careful@example.cn").await;

    let mut answers = Vec::new();
    for _ in 0..4 {
        let (status, body) = app
            .post(REQUEST_VERIFICATION, json!({}), Some(&resident))
            .await;
        answers.push((status, body["errors"][0]["extensions"]["code"].clone()));
    }

    assert!(answers[..3].iter().all(|(s, _)| *s == 200), "{answers:?}");
    assert_eq!(answers[3].0, 429, "{answers:?}");
    assert_eq!(answers[3].1, "RATE_LIMITED");
}
