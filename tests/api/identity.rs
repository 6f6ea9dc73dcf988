//! Registration, sign-in, sessions and throttling.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, both_engines};

const REGISTER: &str = "mutation($input: RegisterResidentInput!) { registerResident(input: $input) { user { id displayName role } errors { field code message } } }";
const SIGN_IN: &str = "mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken refreshToken user { id } } errors { field code message } } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(input: { refreshToken: $t }) { session { accessToken refreshToken } errors { code message } } }";
const SIGN_OUT: &str =
    "mutation($t: String!) { signOut(input: { refreshToken: $t }) { signedOut errors { code } } }";
const ME: &str = "{ me { displayName email phone role wallet { balance } } }";

async fn register(app: &TestApp, input: Value) -> Value {
    app.ok(REGISTER, json!({ "input": input }), None).await["registerResident"].clone()
}

async fn sign_in(app: &TestApp, login: &str, password: &str) -> (u16, Value) {
    app.post(
        SIGN_IN,
        json!({ "input": { "login": login, "password": password } }),
        None,
    )
    .await
}

both_engines!(full_session_lifecycle);

async fn full_session_lifecycle(app: &TestApp) {
    let registered = register(
        app,
        json!({
            "email": "Wang.Fang@Example.cn", "phone": "138 0000 1111",
            "password": PASSWORD, "displayName": "王芳"
        }),
    )
    .await;
    assert_eq!(registered["errors"], json!([]));
    assert_eq!(registered["user"]["role"], "RESIDENT");

    // Email is matched case-insensitively; the phone without spaces.
    let (_, body) = sign_in(app, "wang.fang@example.cn", PASSWORD).await;
    let session = body["data"]["signIn"]["session"].clone();
    let access = session["accessToken"].as_str().unwrap().to_owned();
    let refresh = session["refreshToken"].as_str().unwrap().to_owned();
    let (_, by_phone) = sign_in(app, "13800001111", PASSWORD).await;
    assert!(
        by_phone["data"]["signIn"]["session"]["accessToken"].is_string(),
        "{by_phone}"
    );

    let me = app.ok(ME, json!({}), Some(&access)).await;
    assert_eq!(me["me"]["displayName"], "王芳");
    assert_eq!(me["me"]["email"], "wang.fang@example.cn");
    assert_eq!(me["me"]["wallet"]["balance"], 0);

    let refreshed = app.ok(REFRESH, json!({ "t": refresh }), None).await;
    let next = refreshed["refreshSession"]["session"].clone();
    let next_access = next["accessToken"].as_str().unwrap();
    let next_refresh = next["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(next_refresh, refresh);
    app.ok(ME, json!({}), Some(next_access)).await;

    let out = app.ok(SIGN_OUT, json!({ "t": next_refresh }), None).await;
    assert_eq!(out["signOut"]["signedOut"], true);
    let after = app.ok(REFRESH, json!({ "t": next_refresh }), None).await;
    assert_eq!(
        after["refreshSession"]["errors"][0]["code"],
        "INVALID_REFRESH_TOKEN"
    );
}

both_engines!(reused_refresh_token_revokes_the_family);

async fn reused_refresh_token_revokes_the_family(app: &TestApp) {
    app.resident("reuse@example.cn").await;
    let (_, body) = sign_in(app, "reuse@example.cn", PASSWORD).await;
    let first = body["data"]["signIn"]["session"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let rotated = app.ok(REFRESH, json!({ "t": first }), None).await;
    let second = rotated["refreshSession"]["session"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // The first token again: someone replayed it. Everything in the family ends.
    let replay = app.ok(REFRESH, json!({ "t": first }), None).await;
    assert_eq!(
        replay["refreshSession"]["errors"][0]["code"],
        "REFRESH_TOKEN_REUSED"
    );
    assert!(replay["refreshSession"]["session"].is_null());
    let revoked = app.ok(REFRESH, json!({ "t": second }), None).await;
    assert_eq!(
        revoked["refreshSession"]["errors"][0]["code"],
        "INVALID_REFRESH_TOKEN"
    );

    // Other sessions of the same person are other families and keep working.
    let (_, other) = sign_in(app, "reuse@example.cn", PASSWORD).await;
    let other = other["data"]["signIn"]["session"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let fine = app.ok(REFRESH, json!({ "t": other }), None).await;
    assert_eq!(fine["refreshSession"]["errors"], json!([]));
}

both_engines!(wrong_passwords_are_throttled_and_look_like_unknown_accounts);

async fn wrong_passwords_are_throttled_and_look_like_unknown_accounts(app: &TestApp) {
    app.resident("target@example.cn").await;

    let (_, unknown) = sign_in(app, "nobody@example.cn", "whatever password").await;
    let (_, wrong) = sign_in(app, "target@example.cn", "wrong password!").await;
    let unknown_error = &unknown["data"]["signIn"]["errors"][0];
    let wrong_error = &wrong["data"]["signIn"]["errors"][0];
    assert_eq!(unknown_error["code"], "INVALID_CREDENTIALS");
    assert_eq!(
        unknown_error, wrong_error,
        "unknown account and wrong password must look alike"
    );

    let mut throttled = 0;
    for _ in 0..19 {
        let (status, body) = sign_in(app, "target@example.cn", "wrong password!").await;
        if body["errors"][0]["extensions"]["code"] == "RATE_LIMITED" {
            assert_eq!(status, 429);
            assert!(
                body["errors"][0]["extensions"]["retryAfter"]
                    .as_i64()
                    .unwrap()
                    > 0
            );
            throttled += 1;
        } else {
            assert_eq!(
                body["data"]["signIn"]["errors"][0]["code"],
                "INVALID_CREDENTIALS"
            );
        }
    }
    assert!(
        throttled >= 14,
        "only {throttled} of 19 attempts were throttled"
    );

    // The right password is refused too while the account is locked, with Retry-After.
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": SIGN_IN, "variables": { "input": { "login": "target@example.cn", "password": PASSWORD } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60);

    // Once the lock has passed, the right password works again.
    app.services.clock.advance(Duration::from_secs(16 * 60));
    let (status, body) = sign_in(app, "target@example.cn", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["signIn"]["session"]["accessToken"].is_string(),
        "{body}"
    );
}

both_engines!(registration_rejects_bad_input_with_typed_errors);

async fn registration_rejects_bad_input_with_typed_errors(app: &TestApp) {
    let weak = register(
        app,
        json!({ "email": "weak@example.cn", "password": "short", "displayName": "李" }),
    )
    .await;
    assert_eq!(weak["errors"][0]["code"], "WEAK_PASSWORD");
    assert_eq!(weak["errors"][0]["field"], "password");

    let nothing = register(app, json!({ "password": PASSWORD, "displayName": "李" })).await;
    assert_eq!(nothing["errors"][0]["code"], "INVALID_INPUT");

    let bad_phone = register(
        app,
        json!({ "phone": "12345", "password": PASSWORD, "displayName": "李" }),
    )
    .await;
    assert_eq!(bad_phone["errors"][0]["code"], "INVALID_INPUT");
    assert_eq!(bad_phone["errors"][0]["field"], "phone");

    let bad_community = register(app, json!({ "email": "c@example.cn", "password": PASSWORD, "displayName": "李", "communityId": "bm9wZQ" })).await;
    assert_eq!(bad_community["errors"][0]["field"], "communityId");

    assert_eq!(
        register(
            app,
            json!({ "email": "dup@example.cn", "password": PASSWORD, "displayName": "李" })
        )
        .await["errors"],
        json!([])
    );
    let dup = register(
        app,
        json!({ "email": "DUP@example.cn", "password": PASSWORD, "displayName": "李" }),
    )
    .await;
    assert_eq!(dup["errors"][0]["code"], "EMAIL_TAKEN");
}

both_engines!(bad_tokens_are_refused_with_401);

async fn bad_tokens_are_refused_with_401(app: &TestApp) {
    let token = app.resident("tokens@example.cn").await;
    let me = app.ok("{ me { id } }", json!({}), Some(&token)).await;
    let id = me["me"]["id"].as_str().unwrap().to_owned();

    let mut tampered = token.clone().into_bytes();
    let i = tampered.len() - 5;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let expired = app.token_issued_ago(&id, Duration::from_secs(3600));

    for bad in [tampered.as_str(), expired.as_str(), "not-a-jwt"] {
        let (status, body) = app.post("{ me { id } }", json!({}), Some(bad)).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
    // No token at all: anonymous, and `me` says to sign in.
    assert_eq!(
        app.top_level_code("{ me { id } }", json!({}), None).await,
        "UNAUTHENTICATED"
    );
}
