//! Throttles that count every failure and lock out only the guilty: concurrent failures are
//! all counted, one account's email and phone share one counter, and the client address is
//! taken from `X-Forwarded-For` only when a trusted proxy sends it.

use serde_json::json;

use crate::support::{Engine, PASSWORD, TestApp, both_engines, postgres_available};

const REGISTER: &str = r#"
mutation($input: RegisterResidentInput!) {
  registerResident(input: $input) { user { id } errors { code } }
}"#;

const SIGN_IN: &str = r#"
mutation($login: String!, $password: String!) {
  signIn(input: { login: $login, password: $password }) {
    session { accessToken } errors { code }
  }
}"#;

async fn sign_in_status(app: &TestApp, login: &str, password: &str) -> (u16, String) {
    let vars = json!({ "login": login, "password": password });
    let (status, body) = app.post(SIGN_IN, vars, None).await;
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .or(body["data"]["signIn"]["errors"][0]["code"].as_str())
        .unwrap_or("OK")
        .to_owned();
    (status, code)
}

both_engines!(
    concurrent_wrong_passwords_are_all_counted,
    an_accounts_email_and_phone_share_one_counter,
);

async fn concurrent_wrong_passwords_are_all_counted(app: &TestApp) {
    app.resident("target@example.cn").await;

    let attempts = (0..5).map(|_| sign_in_status(app, "target@example.cn", "wrong password 1"));
    futures_util::future::join_all(attempts).await;
    let (status, code) = sign_in_status(app, "target@example.cn", PASSWORD).await;

    assert_eq!((status, code.as_str()), (429, "RATE_LIMITED"));
}

async fn an_accounts_email_and_phone_share_one_counter(app: &TestApp) {
    let input = json!({ "input": {
        "email": "both@example.cn", "phone": "13800138000", "password": PASSWORD,
        "displayName": "两个登录名"
    } });
    app.ok(REGISTER, input, None).await;

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
/// client; from an untrusted peer, the header is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_client_address_comes_from_a_trusted_proxy_only() {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if engine == Engine::Postgres && !postgres_available() {
            continue;
        }
        let app = TestApp::spawn_with(engine, &[("LINLI_TRUSTED_PROXIES", "127.0.0.1")]).await;
        app.resident("neighbour@example.cn").await;
        for i in 0..20 {
            forwarded_sign_in(&app, "203.0.113.7", &format!("nobody{i}@example.cn")).await;
        }

        let guilty = forwarded_sign_in(&app, "203.0.113.7", "neighbour@example.cn").await;
        let innocent = forwarded_sign_in(&app, "198.51.100.9", "neighbour@example.cn").await;

        assert_eq!(guilty, 429, "{engine:?}: the guessing client is locked out");
        assert_eq!(
            innocent, 200,
            "{engine:?}: the next client behind the proxy is not"
        );
        app.assert_ledger_ok().await;

        let untrusted = TestApp::spawn(engine).await;
        untrusted.resident("neighbour@example.cn").await;
        for i in 0..20 {
            let login = format!("nobody{i}@example.cn");
            forwarded_sign_in(&untrusted, &format!("203.0.113.{i}"), &login).await;
        }
        let spoofed = forwarded_sign_in(&untrusted, "198.51.100.9", "neighbour@example.cn").await;
        assert_eq!(
            spoofed, 429,
            "{engine:?}: without a trusted proxy, a forged header picks nothing"
        );
    }
}

/// Signs in with the right password through a proxy that says the client is `client`.
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
            "query": SIGN_IN, "variables": { "login": login, "password": password }
        }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
