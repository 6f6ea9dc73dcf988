//! Answers that would tell a stranger who has an account, and mail that would flood someone
//! else's mailbox: each is throttled per caller and answers the same way for everyone.

use serde_json::json;

use crate::support::identity::{REGISTER_RESIDENT, REQUEST_EMAIL_VERIFICATION};
use crate::support::ledger::DONATE_POINTS;
use crate::support::{
    PASSWORD, TestApp, both_engines, response_outcome, user_error, user_error_field,
};

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
        .donate(&probe, "known@example.cn", 1, "probe-known-1")
        .await;
    let unknown = app
        .donate(&probe, "13900000001", 1, "probe-unknown-1")
        .await;

    assert_eq!(known, unknown, "both answer INSUFFICIENT_POINTS");
    assert_eq!(user_error(&known, "donatePoints"), "INSUFFICIENT_POINTS");
}

async fn walking_phone_numbers_is_throttled(app: &TestApp) {
    let walker = app.funded_resident(100).await;

    let mut codes = Vec::new();
    for i in 0..11 {
        let donation = json!({
            "recipient": format!("139000000{i:02}"),
            "amount": 1,
            "idempotencyKey": format!("walk-{i:04}")
        });
        let (status, body) = app
            .post(DONATE_POINTS, json!({ "input": donation }), Some(&walker))
            .await;
        codes.push((status, response_outcome(&body, "donatePoints").to_owned()));
    }

    assert!(
        codes[..10].iter().all(|(_, c)| c == "RECIPIENT_NOT_FOUND"),
        "{codes:?}"
    );
    assert_eq!(codes[10], (429, "RATE_LIMITED".to_owned()), "{codes:?}");
}

async fn an_address_with_a_display_name_is_refused(app: &TestApp) {
    let input = json!({ "input": {
        "email": "x<victim@corp.cn>",
        "password": PASSWORD,
        "displayName": "冒名"
    } });

    let data = app.ok(REGISTER_RESIDENT, input, None).await;

    assert_eq!(user_error(&data, "registerResident"), "INVALID_INPUT");
    assert_eq!(user_error_field(&data, "registerResident"), "input.email");
}

async fn verification_mail_cannot_flood_a_mailbox(app: &TestApp) {
    let resident = app.resident("careful@example.cn").await;

    let mut answers = Vec::new();
    for _ in 0..4 {
        let (status, body) = app
            .post(REQUEST_EMAIL_VERIFICATION, json!({}), Some(&resident))
            .await;
        answers.push((status, body["errors"][0]["extensions"]["code"].clone()));
    }

    assert!(answers[..3].iter().all(|(s, _)| *s == 200), "{answers:?}");
    assert_eq!(answers[3].0, 429, "{answers:?}");
    assert_eq!(answers[3].1, "RATE_LIMITED");
}
