//! Registration, sign-in, sessions and throttling.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::identity::{REGISTER_RESIDENT, SIGN_IN};
use crate::support::{
    PASSWORD, TestApp, accepted, both_engines, text_at, top_level_error, user_error,
    user_error_field,
};

const REFRESH_SESSION: &str = r"
    mutation ($token: String!) {
        refreshSession(input: { refreshToken: $token }) {
            session { accessToken refreshToken }
            errors { code message }
        }
    }
";

const SIGN_OUT: &str = r"
    mutation ($token: String!) {
        signOut(input: { refreshToken: $token }) {
            signedOut
            errors { code }
        }
    }
";

const MY_PROFILE: &str = r"
    {
        me { displayName email phone role wallet { balance } }
    }
";

const MY_ID: &str = "{ me { id } }";

const TARGET: &str = "target@example.cn";
const WRONG_PASSWORD: &str = "wrong password!";

async fn register(app: &TestApp, input: Value) -> Value {
    app.ok(REGISTER_RESIDENT, json!({ "input": input }), None)
        .await
}

/// Wang Fang registers with an email in mixed case and a phone number written with spaces.
async fn wang_fang_registers(app: &TestApp) -> Value {
    register(
        app,
        json!({
            "email": "Wang.Fang@Example.cn",
            "phone": "138 0000 1111",
            "password": PASSWORD,
            "displayName": "王芳"
        }),
    )
    .await
}

async fn sign_in(app: &TestApp, login: &str, password: &str) -> (u16, Value) {
    app.post(
        SIGN_IN,
        json!({ "input": { "login": login, "password": password } }),
        None,
    )
    .await
}

/// The session a successful sign-in with the test password opens.
async fn session(app: &TestApp, login: &str) -> Value {
    let (status, body) = sign_in(app, login, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["signIn"]["session"].clone()
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Value {
    app.ok(REFRESH_SESSION, json!({ "token": refresh_token }), None)
        .await
}

both_engines!(
    registering_makes_a_resident,
    the_email_signs_in_whatever_its_case,
    the_phone_number_signs_in_without_its_spaces,
    the_profile_shows_the_name_the_lower_cased_email_and_an_empty_wallet,
    a_refresh_token_buys_a_new_session,
    a_signed_out_refresh_token_is_refused,
);

async fn registering_makes_a_resident(app: &TestApp) {
    let registered = wang_fang_registers(app).await;

    let payload = accepted(&registered, "registerResident");
    assert_eq!(payload["user"]["role"], "RESIDENT");
}

async fn the_email_signs_in_whatever_its_case(app: &TestApp) {
    wang_fang_registers(app).await;

    let session = session(app, "wang.fang@example.cn").await;

    assert!(session["accessToken"].is_string(), "{session}");
}

async fn the_phone_number_signs_in_without_its_spaces(app: &TestApp) {
    wang_fang_registers(app).await;

    let session = session(app, "13800001111").await;

    assert!(session["accessToken"].is_string(), "{session}");
}

async fn the_profile_shows_the_name_the_lower_cased_email_and_an_empty_wallet(app: &TestApp) {
    wang_fang_registers(app).await;
    let access = text_at(&session(app, "wang.fang@example.cn").await, "/accessToken");

    let me = app.ok(MY_PROFILE, json!({}), Some(&access)).await;

    assert_eq!(me["me"]["displayName"], "王芳");
    assert_eq!(me["me"]["email"], "wang.fang@example.cn");
    assert_eq!(me["me"]["wallet"]["balance"], 0);
}

async fn a_refresh_token_buys_a_new_session(app: &TestApp) {
    wang_fang_registers(app).await;
    let first = text_at(&session(app, "wang.fang@example.cn").await, "/refreshToken");

    let refreshed = refresh(app, &first).await;

    let next = &refreshed["refreshSession"]["session"];
    assert_ne!(text_at(next, "/refreshToken"), first);
    app.ok(MY_PROFILE, json!({}), Some(&text_at(next, "/accessToken")))
        .await;
}

async fn a_signed_out_refresh_token_is_refused(app: &TestApp) {
    wang_fang_registers(app).await;
    let first = text_at(&session(app, "wang.fang@example.cn").await, "/refreshToken");
    let next = text_at(
        &refresh(app, &first).await,
        "/refreshSession/session/refreshToken",
    );

    let out = app.ok(SIGN_OUT, json!({ "token": next }), None).await;

    assert_eq!(out["signOut"]["signedOut"], true);
    let after = refresh(app, &next).await;
    assert_eq!(
        user_error(&after, "refreshSession"),
        "INVALID_REFRESH_TOKEN"
    );
}

both_engines!(
    replaying_a_rotated_refresh_token_is_refused_as_reuse,
    a_replayed_refresh_token_ends_every_session_of_its_family,
    a_replay_leaves_the_persons_other_sessions_working,
);

/// Signs in and rotates the refresh token once: (the rotated-away token, its successor).
async fn rotated_refresh_tokens(app: &TestApp) -> (String, String) {
    app.resident("reuse@example.cn").await;
    let first = text_at(&session(app, "reuse@example.cn").await, "/refreshToken");
    let second = text_at(
        &refresh(app, &first).await,
        "/refreshSession/session/refreshToken",
    );
    (first, second)
}

async fn replaying_a_rotated_refresh_token_is_refused_as_reuse(app: &TestApp) {
    let (first, _) = rotated_refresh_tokens(app).await;

    let replay = refresh(app, &first).await;

    assert_eq!(
        user_error(&replay, "refreshSession"),
        "REFRESH_TOKEN_REUSED"
    );
    assert!(replay["refreshSession"]["session"].is_null());
}

async fn a_replayed_refresh_token_ends_every_session_of_its_family(app: &TestApp) {
    let (first, second) = rotated_refresh_tokens(app).await;

    refresh(app, &first).await;

    let revoked = refresh(app, &second).await;
    assert_eq!(
        user_error(&revoked, "refreshSession"),
        "INVALID_REFRESH_TOKEN"
    );
}

async fn a_replay_leaves_the_persons_other_sessions_working(app: &TestApp) {
    let (first, _) = rotated_refresh_tokens(app).await;
    let other = text_at(&session(app, "reuse@example.cn").await, "/refreshToken");

    refresh(app, &first).await;

    accepted(&refresh(app, &other).await, "refreshSession");
}

both_engines!(
    a_wrong_password_looks_like_an_unknown_account,
    repeated_wrong_passwords_are_throttled,
    a_locked_account_refuses_even_the_right_password_with_retry_after,
    the_right_password_works_again_once_the_lock_has_passed,
);

/// Someone tries an unknown account, then the target's with a wrong password 20 times;
/// returns the answers to the last 19 attempts.
async fn guess_the_targets_password(app: &TestApp) -> Vec<(u16, Value)> {
    app.resident(TARGET).await;
    sign_in(app, "nobody@example.cn", "whatever password").await;
    sign_in(app, TARGET, WRONG_PASSWORD).await;
    let mut answers = Vec::new();
    for _ in 0..19 {
        answers.push(sign_in(app, TARGET, WRONG_PASSWORD).await);
    }
    answers
}

async fn a_wrong_password_looks_like_an_unknown_account(app: &TestApp) {
    app.resident(TARGET).await;

    let (_, unknown) = sign_in(app, "nobody@example.cn", "whatever password").await;
    let (_, wrong) = sign_in(app, TARGET, WRONG_PASSWORD).await;

    let unknown_error = &unknown["data"]["signIn"]["errors"][0];
    let wrong_error = &wrong["data"]["signIn"]["errors"][0];
    assert_eq!(unknown_error["code"], "INVALID_CREDENTIALS");
    assert_eq!(
        unknown_error, wrong_error,
        "unknown account and wrong password must look alike"
    );
}

async fn repeated_wrong_passwords_are_throttled(app: &TestApp) {
    let answers = guess_the_targets_password(app).await;

    let mut throttled = 0;
    for (status, body) in &answers {
        if body["errors"][0]["extensions"]["code"] == "RATE_LIMITED" {
            assert_eq!(*status, 429);
            let retry_after = body["errors"][0]["extensions"]["retryAfter"].as_i64();
            assert!(retry_after.unwrap() > 0, "{body}");
            throttled += 1;
        } else {
            assert_eq!(user_error(&body["data"], "signIn"), "INVALID_CREDENTIALS");
        }
    }
    assert!(
        throttled >= 14,
        "only {throttled} of 19 attempts were throttled"
    );
}

async fn a_locked_account_refuses_even_the_right_password_with_retry_after(app: &TestApp) {
    guess_the_targets_password(app).await;

    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({
            "query": SIGN_IN,
            "variables": { "input": { "login": TARGET, "password": PASSWORD } }
        }))
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
}

async fn the_right_password_works_again_once_the_lock_has_passed(app: &TestApp) {
    guess_the_targets_password(app).await;

    app.services.clock.advance(Duration::from_secs(16 * 60));

    let (status, body) = sign_in(app, TARGET, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["signIn"]["session"]["accessToken"].is_string(),
        "{body}"
    );
}

both_engines!(
    registration_refuses_bad_input_with_a_typed_error,
    an_email_is_taken_whatever_its_case,
);

async fn registration_refuses_bad_input_with_a_typed_error(app: &TestApp) {
    let cases = [
        (
            json!({ "email": "weak@example.cn", "password": "short", "displayName": "李" }),
            "WEAK_PASSWORD",
            "input.password",
            "a weak password",
        ),
        (
            json!({ "password": PASSWORD, "displayName": "李" }),
            "INVALID_INPUT",
            "input.email",
            "neither an email nor a phone number",
        ),
        (
            json!({ "phone": "12345", "password": PASSWORD, "displayName": "李" }),
            "INVALID_INPUT",
            "input.phone",
            "a malformed phone number",
        ),
        (
            json!({
                "email": "c@example.cn",
                "password": PASSWORD,
                "displayName": "李",
                "communityId": "bm9wZQ"
            }),
            "INVALID_INPUT",
            "input.communityId",
            "an unknown community",
        ),
    ];
    for (input, code, field, case) in cases {
        let refused = register(app, input).await;

        assert_eq!(user_error(&refused, "registerResident"), code, "{case}");
        assert_eq!(
            user_error_field(&refused, "registerResident"),
            field,
            "{case}"
        );
    }
}

async fn an_email_is_taken_whatever_its_case(app: &TestApp) {
    let first = register(
        app,
        json!({ "email": "dup@example.cn", "password": PASSWORD, "displayName": "李" }),
    )
    .await;
    accepted(&first, "registerResident");

    let again = register(
        app,
        json!({ "email": "DUP@example.cn", "password": PASSWORD, "displayName": "李" }),
    )
    .await;

    assert_eq!(user_error(&again, "registerResident"), "EMAIL_TAKEN");
}

both_engines!(
    a_tampered_expired_or_malformed_token_is_refused_with_401,
    without_a_token_me_asks_to_sign_in,
);

async fn a_tampered_expired_or_malformed_token_is_refused_with_401(app: &TestApp) {
    let token = app.resident("tokens@example.cn").await;
    let id = app.user_id(&token).await;
    let mut tampered = token.clone().into_bytes();
    let i = tampered.len() - 5;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let expired = app.token_issued_ago(&id, Duration::from_secs(3600));

    for bad in [tampered.as_str(), expired.as_str(), "not-a-jwt"] {
        let (status, body) = app.post(MY_ID, json!({}), Some(bad)).await;

        assert_eq!(status, 401, "{body}");
        assert_eq!(top_level_error(&body), "UNAUTHENTICATED");
    }
}

async fn without_a_token_me_asks_to_sign_in(app: &TestApp) {
    let code = app.top_level_code(MY_ID, json!({}), None).await;

    assert_eq!(code, "UNAUTHENTICATED");
}
