//! Throttles that count every failure and lock out only the guilty: concurrent failures are
//! all counted, one account's email and phone share one counter, and the client address is
//! taken from `X-Forwarded-For` only when a trusted proxy sends it.

use serde_json::json;

use crate::support::identity::{REGISTER_RESIDENT, SIGN_IN};
use crate::support::{PASSWORD, TestApp, accepted, both_engines, response_outcome};

/// Signs in as `login` with `password`: the status and what the answer ended in.
async fn sign_in_status(app: &TestApp, login: &str, password: &str) -> (u16, String) {
    let credentials = json!({ "input": { "login": login, "password": password } });
    let (status, body) = app.post(SIGN_IN, credentials, None).await;
    (status, response_outcome(&body, "signIn").to_owned())
}

/// Signs in (the right password for `neighbour@…`, a wrong one for anyone else) through a
/// proxy that says the client is `client`: the status.
async fn forwarded_sign_in(app: &TestApp, client: &str, login: &str) -> u16 {
    let password = if login.starts_with("nobody") {
        "wrong password 3"
    } else {
        PASSWORD
    };
    app.client
        .post(format!("{}/graphql", app.base))
        .header("X-Forwarded-For", client)
        .json(&json!({
            "query": SIGN_IN,
            "variables": { "input": { "login": login, "password": password } }
        }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

both_engines!(
    concurrent_wrong_passwords_are_all_counted,
    an_accounts_email_and_phone_share_one_counter,
    without_a_trusted_proxy_a_forged_header_picks_nothing,
);

both_engines!(
    with [("LINLI_TRUSTED_PROXIES", "127.0.0.1")]:
    behind_a_trusted_proxy_a_guessing_client_does_not_lock_out_the_next,
);

async fn concurrent_wrong_passwords_are_all_counted(app: &TestApp) {
    app.resident("target@example.cn").await;

    app.concurrently(5, |_| {
        sign_in_status(app, "target@example.cn", "wrong password 1")
    })
    .await;
    let (status, code) = sign_in_status(app, "target@example.cn", PASSWORD).await;

    assert_eq!((status, code.as_str()), (429, "RATE_LIMITED"));
}

async fn an_accounts_email_and_phone_share_one_counter(app: &TestApp) {
    let both = json!({ "input": {
        "email": "both@example.cn",
        "phone": "13800138000",
        "password": PASSWORD,
        "displayName": "两个登录名"
    } });
    accepted(
        &app.ok(REGISTER_RESIDENT, both, None).await,
        "registerResident",
    );

    for _ in 0..3 {
        sign_in_status(app, "both@example.cn", "wrong password 2").await;
    }
    for _ in 0..2 {
        sign_in_status(app, "13800138000", "wrong password 2").await;
    }
    let (status, _) = sign_in_status(app, "both@example.cn", PASSWORD).await;

    assert_eq!(
        status, 429,
        "five failures across email and phone lock the account"
    );
}

/// Behind a trusted load balancer, twenty failures from one client do not lock out the next
/// client.
async fn behind_a_trusted_proxy_a_guessing_client_does_not_lock_out_the_next(app: &TestApp) {
    app.resident("neighbour@example.cn").await;
    for i in 0..20 {
        forwarded_sign_in(app, "203.0.113.7", &format!("nobody{i}@example.cn")).await;
    }

    let guilty = forwarded_sign_in(app, "203.0.113.7", "neighbour@example.cn").await;
    let innocent = forwarded_sign_in(app, "198.51.100.9", "neighbour@example.cn").await;

    assert_eq!(guilty, 429, "the guessing client is locked out");
    assert_eq!(innocent, 200, "the next client behind the proxy is not");
}

/// From an untrusted peer, the header is ignored: twenty failures lock out the peer, whatever
/// client each request claims.
async fn without_a_trusted_proxy_a_forged_header_picks_nothing(app: &TestApp) {
    app.resident("neighbour@example.cn").await;
    for i in 0..20 {
        let login = format!("nobody{i}@example.cn");
        forwarded_sign_in(app, &format!("203.0.113.{i}"), &login).await;
    }

    let spoofed = forwarded_sign_in(app, "198.51.100.9", "neighbour@example.cn").await;

    assert_eq!(
        spoofed, 429,
        "without a trusted proxy, a forged header picks nothing"
    );
}
