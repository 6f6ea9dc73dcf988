//! Email through the outbox, delivered to a real SMTP server on loopback.

use std::time::{Duration, Instant};

use linli_api::email::Relay;
use serde_json::{Value, json};

use crate::smtp::SmtpSink;
use crate::support::identity::REQUEST_EMAIL_VERIFICATION;
use crate::support::{
    Engine, PASSWORD, TestApp, accepted, both_engines, postgres_available, text_at, texts_at,
    top_level_error, user_error,
};

const REQUEST_PASSWORD_RESET: &str = r"
    mutation ($email: String!) {
        requestPasswordReset(input: { email: $email }) {
            ok
            errors { code }
        }
    }
";

const RESET_PASSWORD: &str = r"
    mutation ($token: String!, $password: String!) {
        resetPassword(input: { token: $token, newPassword: $password }) {
            ok
            errors { code field }
        }
    }
";

const SIGN_IN: &str = r"
    mutation ($login: String!, $password: String!) {
        signIn(input: { login: $login, password: $password }) {
            session { accessToken refreshToken }
            errors { code }
        }
    }
";

const REFRESH_SESSION: &str = r"
    mutation ($token: String!) {
        refreshSession(input: { refreshToken: $token }) {
            session { accessToken }
            errors { code }
        }
    }
";

const VERIFY_EMAIL: &str = r"
    mutation ($token: String!) {
        verifyEmail(input: { token: $token }) {
            ok
            errors { code }
        }
    }
";

const MY_EMAIL_SETTINGS: &str = "{ me { emailVerified notificationsOff } }";

const SET_NOTIFICATION_PREFERENCE: &str = r"
    mutation ($kind: NotificationKind!, $enabled: Boolean!) {
        setNotificationPreference(input: { kind: $kind, enabled: $enabled }) {
            ok
            errors { code }
        }
    }
";

const ANNOUNCE: &str = r#"
    mutation {
        announce(input: { subject: "爱邻议事日", body: "本月20日晚7点，院落议事。" }) {
            queued
        }
    }
"#;

const OUTBOX: &str = r"
    query ($status: EmailStatus) {
        outboxMessages(first: 5, status: $status) {
            totalCount
            edges { node { id template recipient subject attempts lastError } }
        }
    }
";

const RETRY_EMAIL: &str = r"
    mutation ($id: ID!) {
        retryEmail(input: { messageId: $id }) {
            message { status }
            errors { code }
        }
    }
";

/// The token of the link in an email body.
fn token_in(body: &str) -> String {
    let start = body.find("token=").expect("a link with a token") + "token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn sign_in(app: &TestApp, login: &str, password: &str) -> Value {
    app.ok(
        SIGN_IN,
        json!({ "login": login, "password": password }),
        None,
    )
    .await
}

/// The outbox messages with `status` (any, when `null`), as staff see them.
async fn outbox(app: &TestApp, status: Value) -> Vec<Value> {
    let data = app
        .ok(
            OUTBOX,
            json!({ "status": status }),
            Some(&app.staff().await),
        )
        .await;
    data["outboxMessages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// The resident `forgetful@example.cn`, signed in once: their refresh token.
async fn forgetful_signed_in(app: &TestApp) -> String {
    app.resident("forgetful@example.cn").await;
    let signed = sign_in(app, "forgetful@example.cn", PASSWORD).await;
    text_at(&signed, "/signIn/session/refreshToken")
}

/// Forgetful asks for a reset: the email the SMTP server received, as (subject, body).
async fn the_reset_email(app: &TestApp) -> (String, String) {
    app.ok(
        REQUEST_PASSWORD_RESET,
        json!({ "email": "forgetful@example.cn" }),
        None,
    )
    .await;
    let mail = app.mailbox().wait_for(1).await;
    assert_eq!(mail[0].to, ["forgetful@example.cn"]);
    mail[0].parsed()
}

const NEW_PASSWORD: &str = "新的密码 much longer";

async fn reset_password(app: &TestApp, token: &str, password: &str) -> Value {
    app.ok(
        RESET_PASSWORD,
        json!({ "token": token, "password": password }),
        None,
    )
    .await
}

both_engines!(
    with mail:
    asking_to_reset_an_unknown_address_looks_like_asking_for_a_known_one,
    the_reset_email_says_every_device_will_be_signed_out,
    the_emailed_link_sets_a_new_password,
    resetting_the_password_ends_every_session,
    a_reset_link_works_once,
);

async fn asking_to_reset_an_unknown_address_looks_like_asking_for_a_known_one(app: &TestApp) {
    app.resident("forgetful@example.cn").await;

    let known = app
        .post(
            REQUEST_PASSWORD_RESET,
            json!({ "email": "forgetful@example.cn" }),
            None,
        )
        .await;
    let unknown = app
        .post(
            REQUEST_PASSWORD_RESET,
            json!({ "email": "nobody@example.cn" }),
            None,
        )
        .await;

    // Everything but the caller's own remaining budget (`extensions.cost`) is the same.
    assert_eq!(
        (known.0, &known.1["data"], &known.1["errors"]),
        (unknown.0, &unknown.1["data"], &unknown.1["errors"]),
        "an unknown address looks exactly like a known one"
    );
    assert_eq!(known.1["data"]["requestPasswordReset"]["ok"], true);
    let queued = outbox(app, Value::Null).await;
    assert_eq!(
        texts_at(&json!(queued), "/recipient"),
        ["forgetful@example.cn"],
        "nothing is sent for the unknown address"
    );
}

async fn the_reset_email_says_every_device_will_be_signed_out(app: &TestApp) {
    app.resident("forgetful@example.cn").await;

    let (subject, body) = the_reset_email(app).await;

    assert!(subject.contains("重置密码"), "{subject}");
    assert!(body.contains("所有设备上的登录都会退出"), "{body}");
}

async fn the_emailed_link_sets_a_new_password(app: &TestApp) {
    app.resident("forgetful@example.cn").await;
    let (_, body) = the_reset_email(app).await;

    let reset = reset_password(app, &token_in(&body), NEW_PASSWORD).await;

    assert_eq!(reset["resetPassword"]["ok"], true, "{reset}");
    let signed = sign_in(app, "forgetful@example.cn", NEW_PASSWORD).await;
    assert!(
        signed["signIn"]["session"]["accessToken"].is_string(),
        "{signed}"
    );
}

async fn resetting_the_password_ends_every_session(app: &TestApp) {
    let old_refresh = forgetful_signed_in(app).await;
    let (_, body) = the_reset_email(app).await;

    reset_password(app, &token_in(&body), NEW_PASSWORD).await;

    let old = app
        .ok(REFRESH_SESSION, json!({ "token": old_refresh }), None)
        .await;
    assert_eq!(user_error(&old, "refreshSession"), "INVALID_REFRESH_TOKEN");
}

async fn a_reset_link_works_once(app: &TestApp) {
    app.resident("forgetful@example.cn").await;
    let (_, body) = the_reset_email(app).await;
    reset_password(app, &token_in(&body), NEW_PASSWORD).await;

    let again = reset_password(app, &token_in(&body), "yet another password").await;

    assert_eq!(user_error(&again, "resetPassword"), "INVALID_TOKEN");
}

both_engines!(
    asking_to_confirm_an_email_queues_a_message_to_it,
    residents_cannot_read_the_outbox,
    the_emailed_link_confirms_the_address,
    a_resident_who_turned_announcements_off_gets_none,
    essential_email_cannot_be_turned_off,
);

/// The resident `careful@example.cn` asks to confirm their address: their token.
async fn careful_asks_for_confirmation(app: &TestApp) -> String {
    let token = app.resident("careful@example.cn").await;
    let done = app
        .ok(REQUEST_EMAIL_VERIFICATION, json!({}), Some(&token))
        .await;
    assert_eq!(done["requestEmailVerification"]["ok"], true);
    token
}

async fn asking_to_confirm_an_email_queues_a_message_to_it(app: &TestApp) {
    careful_asks_for_confirmation(app).await;

    let messages = outbox(app, Value::Null).await;

    let message = messages
        .iter()
        .find(|m| m["template"] == "VERIFY_EMAIL")
        .unwrap();
    assert_eq!(message["recipient"], "careful@example.cn");
}

async fn residents_cannot_read_the_outbox(app: &TestApp) {
    let token = careful_asks_for_confirmation(app).await;

    let code = app.top_level_code(OUTBOX, json!({}), Some(&token)).await;

    assert_eq!(code, "FORBIDDEN");
}

async fn the_emailed_link_confirms_the_address(app: &TestApp) {
    let token = careful_asks_for_confirmation(app).await;
    let body = app
        .delivered_mail("careful@example.cn", "请确认你的邮箱")
        .await;

    let verified = app
        .ok(VERIFY_EMAIL, json!({ "token": token_in(&body) }), None)
        .await;

    assert_eq!(verified["verifyEmail"]["ok"], true);
    let me = app.ok(MY_EMAIL_SETTINGS, json!({}), Some(&token)).await;
    assert_eq!(me["me"]["emailVerified"], true);
}

async fn a_resident_who_turned_announcements_off_gets_none(app: &TestApp) {
    let token = app.resident("careful@example.cn").await;
    let off = app
        .ok(
            SET_NOTIFICATION_PREFERENCE,
            json!({ "kind": "ANNOUNCEMENT", "enabled": false }),
            Some(&token),
        )
        .await;
    assert_eq!(off["setNotificationPreference"]["ok"], true);

    let announced = app.ok(ANNOUNCE, json!({}), Some(&app.staff().await)).await;

    assert_eq!(
        announced["announce"]["queued"], 1,
        "only the staff member gets it; the resident opted out"
    );
}

/// Account and redemption-code emails are not even values of `NotificationKind`: asking to
/// turn one off is refused before anything runs.
async fn essential_email_cannot_be_turned_off(app: &TestApp) {
    let token = app.resident("careful@example.cn").await;

    let (_, essential) = app
        .post(
            SET_NOTIFICATION_PREFERENCE,
            json!({ "kind": "RESET_PASSWORD", "enabled": false }),
            Some(&token),
        )
        .await;

    assert_eq!(top_level_error(&essential), "GRAPHQL_VALIDATION_FAILED");
}

both_engines!(with mail: an_smtp_outage_delays_mail_and_loses_nothing);

/// With the SMTP server down, a redemption still succeeds at once; when the server comes
/// back, the queued code email is delivered exactly once.
async fn an_smtp_outage_delays_mail_and_loses_nothing(app: &TestApp) {
    let mailbox = app.mailbox();
    mailbox.go_down().await;
    let merchant = app.merchant().await;
    let reward = app.reward(&merchant).points_price(30).stock(5).await;
    let resident = app.resident("resident@example.cn").await;
    app.fund(&resident, 100).await;

    let started = Instant::now();
    let redemption = app.redemption(&resident, &reward, "outage-0001").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the redemption waited for mail"
    );
    // The relay tries, fails (connection refused) and backs off.
    let mut waiting = Vec::new();
    for _ in 0..50 {
        waiting = outbox(app, json!("QUEUED")).await;
        if !waiting.is_empty() && waiting.iter().all(|m| m["attempts"].as_i64() >= Some(1)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !waiting.is_empty() && waiting.iter().all(|m| m["attempts"].as_i64() >= Some(1)),
        "{waiting:?}"
    );
    mailbox.come_back().await;
    app.minutes_pass(60);

    let for_resident = mailbox
        .wait_for_recipient(Some("resident@example.cn"), 1)
        .await;

    assert_eq!(for_resident.len(), 1);
    let (subject, body) = for_resident[0].parsed();
    let code = text_at(&redemption, "/code");
    assert!(
        !subject.contains(&code),
        "codes stay out of subjects: {subject}"
    );
    assert!(body.contains(&code), "{body}");
    assert!(body.contains("到店出示兑换码"), "{body}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        mailbox
            .messages()
            .iter()
            .filter(|m| m.to == ["resident@example.cn"])
            .count(),
        1,
        "exactly once"
    );
}

/// 499 imported residents and the staff member: staff announce to all 500.
async fn a_backlog_of_500_announcements(app: &TestApp) {
    app.residents(499).await;
    let announced = app.ok(ANNOUNCE, json!({}), Some(&app.staff().await)).await;
    assert_eq!(announced["announce"]["queued"], 500);
}

/// Runs `relay` until `sink` holds `expected` messages (or a minute passed): an idle round only
/// means another relay holds the remaining messages. Returns how many this relay handled.
async fn relay_until(relay: &Relay, sink: &SmtpSink, expected: usize) -> usize {
    let mut handled = 0;
    for _ in 0..1200 {
        let n = relay.run_once().await.unwrap();
        handled += n;
        if n == 0 {
            if sink.messages().len() >= expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    handled
}

/// Two relays on one PostgreSQL share a backlog of 500 messages: none twice, none missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_relays_deliver_a_backlog_exactly_once() {
    if !postgres_available() {
        return;
    }
    // The server's own relay waits an hour between rounds: the two below do the work.
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(
        Engine::Postgres,
        &[
            ("LINLI_SMTP_URL", &sink.url()),
            ("LINLI_RELAY_INTERVAL_SECS", "3600"),
        ],
    )
    .await;
    a_backlog_of_500_announcements(&app).await;
    let relays: Vec<Relay> = (0..2)
        .map(|_| Relay::new(&app.config, app.services.clone()).unwrap())
        .collect();

    let handled = app
        .concurrently(2, |i| relay_until(&relays[i], &sink, 500))
        .await;

    let mut recipients: Vec<String> = sink.messages().iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    let total = recipients.len();
    recipients.dedup();
    assert_eq!(
        (total, recipients.len()),
        (500, 500),
        "no duplicate, none missing"
    );
    assert_eq!(handled.iter().sum::<usize>(), 500);
    assert!(
        handled.iter().all(|n| *n > 0),
        "both relays took part: {handled:?}"
    );
}

/// The SMTP server refuses everything; `bounce@example.cn` asks for a reset, and the relay
/// parks the message: the parked message.
async fn a_parked_message(app: &TestApp) -> Value {
    app.mailbox().reject_everything(true);
    app.resident("bounce@example.cn").await;
    app.ok(
        REQUEST_PASSWORD_RESET,
        json!({ "email": "bounce@example.cn" }),
        None,
    )
    .await;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Some(message) = outbox(app, json!("FAILED")).await.first() {
            return message.clone();
        }
    }
    panic!("no message was parked");
}

/// A permanent refusal parks the message as failed with the reason; it is not retried by
/// itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_permanently_refused_message_is_parked_with_the_reason() {
    let app = TestApp::spawn_with_mail(Engine::Sqlite).await;

    let message = a_parked_message(&app).await;

    assert_eq!(message["recipient"], "bounce@example.cn", "{message}");
    assert_eq!(
        message["attempts"], 1,
        "a permanent failure is not retried by itself"
    );
    assert!(text_at(&message, "/lastError").contains("550"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_retry_a_parked_message_and_it_is_delivered() {
    let app = TestApp::spawn_with_mail(Engine::Sqlite).await;
    let message = a_parked_message(&app).await;
    app.mailbox().reject_everything(false);

    let retried = app
        .ok(
            RETRY_EMAIL,
            json!({ "id": message["id"] }),
            Some(&app.staff().await),
        )
        .await;

    assert_eq!(
        accepted(&retried, "retryEmail")["message"]["status"],
        "QUEUED"
    );
    let delivered = app
        .mailbox()
        .wait_for_recipient(Some("bounce@example.cn"), 1)
        .await;
    assert_eq!(delivered.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn residents_cannot_retry_email() {
    let app = TestApp::spawn_with_mail(Engine::Sqlite).await;
    let message = a_parked_message(&app).await;
    let resident = app.sign_in("bounce@example.cn").await;

    let code = app
        .top_level_code(RETRY_EMAIL, json!({ "id": message["id"] }), Some(&resident))
        .await;

    assert_eq!(code, "FORBIDDEN");
}
