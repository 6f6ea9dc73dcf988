//! Email through the outbox, delivered to a real SMTP server on loopback.

use std::time::{Duration, Instant};

use linli_domain::identity::{Actor, NewUser, Role};
use serde_json::json;

use crate::rewards::{alliance, funded_resident, redeem, reward};
use crate::smtp::SmtpSink;
use crate::support::{Engine, PASSWORD, TestApp, both_engines, postgres_available};

const REQUEST_RESET: &str =
    "mutation($e: String!) { requestPasswordReset(input: { email: $e }) { ok errors { code } } }";
const RESET: &str = "mutation($t: String!, $p: String!) { resetPassword(input: { token: $t, newPassword: $p }) { ok errors { code field } } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(input: { refreshToken: $t }) { session { accessToken } errors { code } } }";

fn token_in(body: &str) -> String {
    let start = body.find("token=").expect("a link with a token") + "token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The text of the first `.eml` file the relay wrote for `to` with `subject` in its subject,
/// waiting for the relay's next run.
async fn delivered_file(app: &TestApp, to: &str, subject: &str) -> String {
    let linli_api::config::MailTransport::Files(dir) = &app.config.mail else {
        panic!("this app sends over SMTP");
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let data = std::fs::read(entry.path()).unwrap();
            let message = mail_parser::MessageParser::default().parse(&data).unwrap();
            let to_matches = message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .is_some_and(|a| a == to);
            if to_matches && message.subject().unwrap_or_default().contains(subject) {
                return message.body_text(0).unwrap_or_default().into_owned();
            }
        }
        assert!(Instant::now() < deadline, "no mail to {to} about {subject}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn with_smtp(engine: Engine, sink: &SmtpSink) -> TestApp {
    TestApp::spawn_with(
        engine,
        &[
            ("LINLI_SMTP_URL", &sink.url()),
            ("LINLI_RELAY_INTERVAL_SECS", "1"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn password_reset_end_to_end() {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if engine == Engine::Postgres && !postgres_available() {
            continue;
        }
        let sink = SmtpSink::start().await;
        let app = with_smtp(engine, &sink).await;
        app.resident("forgetful@example.cn").await;
        let signed = app
            .ok("mutation($l: String!, $p: String!) { signIn(input: { login: $l, password: $p }) { session { refreshToken } } }", json!({ "l": "forgetful@example.cn", "p": PASSWORD }), None)
            .await;
        let old_refresh = signed["signIn"]["session"]["refreshToken"]
            .as_str()
            .unwrap()
            .to_owned();

        let known = app
            .post(REQUEST_RESET, json!({ "e": "forgetful@example.cn" }), None)
            .await;
        let unknown = app
            .post(REQUEST_RESET, json!({ "e": "nobody@example.cn" }), None)
            .await;
        // Everything but the caller's own remaining budget is the same.
        assert_eq!(
            (known.0, &known.1["data"], &known.1["errors"]),
            (unknown.0, &unknown.1["data"], &unknown.1["errors"]),
            "an unknown address looks exactly like a known one"
        );
        assert_eq!(known.1["data"]["requestPasswordReset"]["ok"], true);

        let mail = sink.wait_for(1).await;
        assert_eq!(mail[0].to, ["forgetful@example.cn"]);
        let (subject, body) = mail[0].parsed();
        assert!(subject.contains("重置密码"), "{subject}");
        assert!(body.contains("所有设备上的登录都会退出"), "{body}");
        let token = token_in(&body);

        let new_password = "新的密码 much longer";
        let reset = app
            .ok(RESET, json!({ "t": token, "p": new_password }), None)
            .await;
        assert_eq!(reset["resetPassword"]["ok"], true, "{reset}");
        let old = app.ok(REFRESH, json!({ "t": old_refresh }), None).await;
        assert_eq!(
            old["refreshSession"]["errors"][0]["code"],
            "INVALID_REFRESH_TOKEN"
        );
        let again = app
            .ok(
                RESET,
                json!({ "t": token, "p": "yet another password" }),
                None,
            )
            .await;
        assert_eq!(again["resetPassword"]["errors"][0]["code"], "INVALID_TOKEN");
        let signed = app
            .ok("mutation($l: String!, $p: String!) { signIn(input: { login: $l, password: $p }) { session { accessToken } errors { code } } }", json!({ "l": "forgetful@example.cn", "p": new_password }), None)
            .await;
        assert!(
            signed["signIn"]["session"]["accessToken"].is_string(),
            "{signed}"
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            sink.messages().len(),
            1,
            "nothing was sent for the unknown address"
        );
    }
}

both_engines!(email_confirmation_and_preferences);

async fn email_confirmation_and_preferences(app: &TestApp) {
    let token = app.resident("careful@example.cn").await;
    let done = app
        .ok(
            "mutation { requestEmailVerification { ok } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(done["requestEmailVerification"]["ok"], true);
    // Read the message from the outbox (the relay here writes files; SMTP is tested above).
    let staff = app.staff("staff@example.cn").await;
    let outbox = app
        .ok(
            "{ outboxMessages(first: 5) { edges { node { id template recipient subject } } } }",
            json!({}),
            Some(&staff),
        )
        .await;
    let message = outbox["outboxMessages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["template"] == "VERIFY_EMAIL")
        .unwrap()["node"]
        .clone();
    assert_eq!(message["recipient"], "careful@example.cn");
    assert_eq!(
        app.top_level_code("{ outboxMessages { totalCount } }", json!({}), Some(&token))
            .await,
        "FORBIDDEN"
    );
    let body = delivered_file(app, "careful@example.cn", "请确认你的邮箱").await;
    let verified = app
        .ok(
            "mutation($t: String!) { verifyEmail(input: { token: $t }) { ok errors { code } } }",
            json!({ "t": token_in(&body) }),
            None,
        )
        .await;
    assert_eq!(verified["verifyEmail"]["ok"], true);
    let me = app
        .ok(
            "{ me { emailVerified notificationsOff } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(me["me"]["emailVerified"], true);

    let off = app.ok("mutation { setNotificationPreference(input: { kind: \"ANNOUNCEMENT\", enabled: false }) { ok } }", json!({}), Some(&token)).await;
    assert_eq!(off["setNotificationPreference"]["ok"], true);
    let essential = app.ok("mutation { setNotificationPreference(input: { kind: \"RESET_PASSWORD\", enabled: false }) { errors { code } } }", json!({}), Some(&token)).await;
    assert_eq!(
        essential["setNotificationPreference"]["errors"][0]["code"],
        "INVALID_INPUT"
    );
    let announced = app.ok("mutation { announce(input: { subject: \"爱邻议事日\", body: \"本月20日晚7点，院落议事。\" }) { queued } }", json!({}), Some(&staff)).await;
    assert_eq!(
        announced["announce"]["queued"], 1,
        "only the staff member gets it; the resident opted out"
    );
}

/// With the SMTP server down, a redemption still succeeds at once; when the server comes back,
/// the queued code email is delivered exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_smtp_outage_delays_mail_and_loses_nothing() {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if engine == Engine::Postgres && !postgres_available() {
            continue;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let url = format!("smtp://{port}");
        let app = TestApp::spawn_with(
            engine,
            &[("LINLI_SMTP_URL", &url), ("LINLI_RELAY_INTERVAL_SECS", "1")],
        )
        .await;
        app.staff("staff@example.cn").await;
        let a = alliance(&app, "和美理发店", "barber@example.cn").await;
        let reward_id = reward(&app, &a, 30, Some(5), None).await;
        let resident = funded_resident(&app, &a.staff, "resident@example.cn", 100).await;

        let started = Instant::now();
        let redeemed = redeem(&app, &resident, &reward_id, "outage-0001").await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the redemption waited for mail"
        );
        let code = redeemed["redemption"]["code"].as_str().unwrap().to_owned();

        // The relay tries, fails (connection refused) and backs off.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let failed = app
            .ok(
                "{ outboxMessages(status: QUEUED) { edges { node { attempts lastError } } } }",
                json!({}),
                Some(&a.staff),
            )
            .await;
        let waiting = failed["outboxMessages"]["edges"]
            .as_array()
            .unwrap()
            .clone();
        assert!(
            !waiting.is_empty()
                && waiting
                    .iter()
                    .all(|e| e["node"]["attempts"].as_i64() >= Some(1)),
            "{failed}"
        );

        let sink = SmtpSink::start_on(port).await;
        app.services.clock.advance(Duration::from_secs(3600));
        let for_resident = sink
            .wait_for_recipient(Some("resident@example.cn"), 1)
            .await;
        assert_eq!(for_resident.len(), 1);
        let (subject, body) = for_resident[0].parsed();
        assert!(
            !subject.contains(&code),
            "codes stay out of subjects: {subject}"
        );
        assert!(body.contains(&code), "{body}");
        assert!(body.contains("到店出示兑换码"), "{body}");
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(
            sink.messages()
                .iter()
                .filter(|m| m.to == ["resident@example.cn"])
                .count(),
            1,
            "exactly once"
        );
        app.assert_ledger_ok().await;
    }
}

/// Two relays on one PostgreSQL share a backlog of 500 messages: none twice, none missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_relays_deliver_a_backlog_exactly_once() {
    if !postgres_available() {
        return;
    }
    let sink = std::sync::Arc::new(SmtpSink::start().await);
    let app = TestApp::spawn_with(
        Engine::Postgres,
        &[
            ("LINLI_SMTP_URL", &sink.url()),
            ("LINLI_RELAY_INTERVAL_SECS", "3600"),
        ],
    )
    .await;
    let services = app.services.clone();
    tokio::task::spawn_blocking(move || {
        let staff = services
            .identity()
            .create_staff(
                NewUser {
                    email: Some("staff@example.cn".into()),
                    password: PASSWORD.into(),
                    display_name: "工作人员".into(),
                    ..NewUser::default()
                },
                Role::Staff,
            )
            .unwrap();
        let staff = Actor::User {
            id: staff.id,
            role: Role::Staff,
        };
        let people: Vec<NewUser> = (0..499)
            .map(|i| NewUser {
                email: Some(format!("neighbour{i:03}@example.cn")),
                display_name: format!("邻居{i}"),
                ..NewUser::default()
            })
            .collect();
        services
            .identity()
            .import_residents(&staff, &people, PASSWORD)
            .unwrap();
        assert_eq!(
            services
                .outbox()
                .announce(&staff, "停水通知", "明日 9:00–12:00 停水检修。")
                .unwrap(),
            500
        );
    })
    .await
    .unwrap();

    let relays: Vec<_> = (0..2)
        .map(|_| linli_api::email::Relay::new(&app.config, app.services.clone()).unwrap())
        .collect();
    let mut tasks = Vec::new();
    for relay in relays {
        let sink = sink.clone();
        tasks.push(tokio::spawn(async move {
            let mut handled = 0;
            // Until everything arrived (or a minute passed): an idle round only means the other
            // relay holds the remaining messages.
            for _ in 0..1200 {
                let n = relay.run_once().await.unwrap();
                handled += n;
                if n == 0 {
                    if sink.messages().len() >= 500 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            handled
        }));
    }
    let mut per_relay = Vec::new();
    for task in tasks {
        per_relay.push(task.await.unwrap());
    }
    let mail = sink.messages();
    let mut recipients: Vec<String> = mail.iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    let total = recipients.len();
    recipients.dedup();
    assert_eq!(
        (total, recipients.len()),
        (500, 500),
        "no duplicate, none missing"
    );
    assert_eq!(per_relay.iter().sum::<usize>(), 500);
    assert!(
        per_relay.iter().all(|n| *n > 0),
        "both relays took part: {per_relay:?}"
    );
}

/// A permanent refusal parks the message as failed with the reason; staff retry it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn permanent_failures_are_parked_and_staff_retry_them() {
    let sink = SmtpSink::start().await;
    sink.reject_everything(true);
    let app = with_smtp(Engine::Sqlite, &sink).await;
    let staff = app.staff("staff@example.cn").await;
    app.resident("bounce@example.cn").await;
    app.ok(REQUEST_RESET, json!({ "e": "bounce@example.cn" }), None)
        .await;
    let failed =
        "{ outboxMessages(status: FAILED) { edges { node { id recipient attempts lastError } } } }";
    let mut parked = serde_json::Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        parked = app.ok(failed, json!({}), Some(&staff)).await;
        if !parked["outboxMessages"]["edges"]
            .as_array()
            .unwrap()
            .is_empty()
        {
            break;
        }
    }
    let message = parked["outboxMessages"]["edges"][0]["node"].clone();
    assert_eq!(message["recipient"], "bounce@example.cn", "{parked}");
    assert_eq!(
        message["attempts"], 1,
        "a permanent failure is not retried by itself"
    );
    assert!(
        message["lastError"].as_str().unwrap().contains("550"),
        "{message}"
    );

    sink.reject_everything(false);
    let retried = app
        .ok("mutation($id: ID!) { retryEmail(input: { messageId: $id }) { message { status } errors { code } } }", json!({ "id": message["id"] }), Some(&staff))
        .await;
    assert_eq!(retried["retryEmail"]["message"]["status"], "QUEUED");
    let delivered = sink.wait_for_recipient(Some("bounce@example.cn"), 1).await;
    assert_eq!(delivered.len(), 1);
    let resident = app.sign_in("bounce@example.cn").await;
    assert_eq!(
        app.top_level_code(
            "mutation($id: ID!) { retryEmail(input: { messageId: $id }) { errors { code } } }",
            json!({ "id": message["id"] }),
            Some(&resident)
        )
        .await,
        "FORBIDDEN"
    );
}
