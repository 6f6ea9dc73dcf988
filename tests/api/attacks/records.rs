//! The record itself: hours recorded by hand are checked by someone else, the trail of staff
//! actions cannot be edited, and small inputs cannot crash or mislead the server.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

use crate::support::directory::{ORGANISATION_MEMBERS, REMOVE_ORGANISATION_MEMBER};
use crate::support::identity::{REQUEST_EMAIL_VERIFICATION, SIGN_IN};
use crate::support::incubation::PROPOSE_MATCH;
use crate::support::ledger::ALLOCATE_BUDGET;
use crate::support::rewards::MERCHANT_STATEMENT;
use crate::support::volunteering::{CANCEL_ACTIVITY, RECORD_ATTENDANCE};
use crate::support::{TestApp, accepted, both_engines, text_at, user_error, user_error_field};

const AUDIT_EVENTS: &str = "{ auditEvents(first: 50) { edges { node { action } } } }";

const ANNOUNCE: &str = r#"
    mutation {
        announce(input: { subject: "议事日", body: "本月20日晚7点" }) { queued }
    }
"#;

/// A month no book will ever hold: the earliest year chrono can write.
const FAR_MONTH: &str = "-262143-01";

both_engines!(
    two_owners_removing_each_other_at_once_leave_one,
    staff_actions_on_people_and_mail_are_audited,
    one_time_links_are_not_kept_after_sending,
    expired_counters_and_tokens_are_swept,
    the_organiser_who_recorded_hours_cannot_verify_them,
    audit_events_cannot_be_edited_or_deleted,
    a_month_far_outside_the_books_is_a_clear_error,
    balances_beyond_a_32_bit_int_read_back_exactly,
    a_free_product_cannot_carry_a_price,
);

async fn the_organiser_who_recorded_hours_cannot_verify_them(app: &TestApp) {
    let organiser = app.organiser(500).await;
    let activity = app.activity(&organiser).await;
    app.resident("elder@example.cn").await;
    app.activity_begins(&activity);
    let from = app.services.clock.now().and_utc();
    let attendance = json!({ "input": {
        "activityId": activity.id,
        "resident": "elder@example.cn",
        "from": from.to_rfc3339(),
        "until": (from + TimeDelta::hours(1)).to_rfc3339()
    } });
    let recorded = app
        .ok(RECORD_ATTENDANCE, attendance, Some(&organiser.owner))
        .await;
    let participation = &accepted(&recorded, "recordAttendance")["participation"]["id"];

    let by_recorder = app.verify_attendance(participation, &organiser.owner).await;
    let by_colleague = app
        .verify_attendance(participation, &organiser.verifier)
        .await;

    assert_eq!(
        user_error(&by_recorder, "verifyAttendance"),
        "SELF_VERIFICATION"
    );
    assert_eq!(by_colleague["verifyAttendance"]["errors"], json!([]));
    assert_eq!(
        by_colleague["verifyAttendance"]["verified"][0]["points"], 0,
        "hand-recorded hours never earn points"
    );
}

async fn audit_events_cannot_be_edited_or_deleted(app: &TestApp) {
    let staff = app.staff().await;
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;
    app.allocate_budget(&organisation, 100).await;
    let before = app.ok(AUDIT_EVENTS, json!({}), Some(&staff)).await;
    assert!(
        before.to_string().contains("ledger.allocate_budget"),
        "{before}"
    );

    let mut conn = app.services.db.conn().unwrap();
    let edit = conn.batch_execute("UPDATE audit_event SET detail = '无'");
    let delete = conn.batch_execute("DELETE FROM audit_event");
    drop(conn);

    assert!(
        edit.is_err() && delete.is_err(),
        "the audit trail is append-only"
    );
    assert_eq!(app.ok(AUDIT_EVENTS, json!({}), Some(&staff)).await, before);
}

async fn a_month_far_outside_the_books_is_a_clear_error(app: &TestApp) {
    let shop = app.merchant().await;
    let path = format!("/statements/{}/{FAR_MONTH}.csv", shop.id);

    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    let code = app
        .top_level_code(
            MERCHANT_STATEMENT,
            json!({ "merchant": shop.id, "month": FAR_MONTH }),
            Some(&shop.operator),
        )
        .await;

    assert_eq!(response.status(), 404);
    assert_eq!(code, "INVALID_INPUT");
}

async fn balances_beyond_a_32_bit_int_read_back_exactly(app: &TestApp) {
    let staff = app.staff().await;
    let second = app.another_staff_member("second@example.cn").await;
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;
    // 22 allocations of 100 million: above 2^31 in total, each approved by a second person.
    for i in 0..22 {
        let allocation = json!({
            "organisationId": organisation,
            "amount": 100_000_000,
            "reason": "大额预算",
            "idempotencyKey": format!("large-budget-{i:02}")
        });
        let asked = app
            .ok(
                ALLOCATE_BUDGET,
                json!({ "input": allocation }),
                Some(&staff),
            )
            .await;
        let request = text_at(&asked, "/allocateBudget/approvalRequest/id");
        app.approve(&second, &request).await;
    }

    let budget = app.budget_balance(&organisation, &owner).await;
    let totals = app.ledger_totals().await;

    assert_eq!(budget, 2_200_000_000_i64);
    assert_eq!(totals["issued"], 2_200_000_000_i64);
}

async fn a_free_product_cannot_carry_a_price(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;
    let free_with_a_price = json!({
        "categoryId": "elder-canteen",
        "title": "长者助餐",
        "summary": "每日午餐",
        "description": "",
        "priceTier": "FREE",
        "pricePoints": 10,
        "communityIds": []
    });

    let data = app
        .create_product(&owner, &organisation, free_with_a_price)
        .await;

    assert_eq!(user_error(&data, "createProduct"), "INVALID_INPUT");
    assert_eq!(
        user_error_field(&data, "createProduct"),
        "input.product.priceTier"
    );
}

/// `remover` removes `user` (a global id) from `organisation`: the whole response.
async fn remove(app: &TestApp, remover: &str, organisation: &str, user: &str) -> (u16, Value) {
    app.post(
        REMOVE_ORGANISATION_MEMBER,
        json!({ "input": { "organisationId": organisation, "userId": user } }),
        Some(remover),
    )
    .await
}

async fn two_owners_removing_each_other_at_once_leave_one(app: &TestApp) {
    let first = app.resident("first@example.cn").await;
    let second = app.resident("second@example.cn").await;
    let organisation = app.verified_organisation(&first).await;
    let added = app
        .add_member(&first, &organisation, "second@example.cn", "OWNER")
        .await;
    accepted(&added, "addOrganisationMember");
    let first_id = app.user_id(&first).await;
    let second_id = app.user_id(&second).await;

    let (a, b) = tokio::join!(
        remove(app, &first, &organisation, &second_id),
        remove(app, &second, &organisation, &first_id),
    );

    let members = app
        .ok(
            ORGANISATION_MEMBERS,
            json!({ "id": organisation }),
            Some(&app.staff().await),
        )
        .await;
    let owners = members["node"]["members"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "OWNER")
        .count();
    assert_eq!(owners, 1, "{a:?} {b:?}");
}

async fn staff_actions_on_people_and_mail_are_audited(app: &TestApp) {
    let staff = app.staff().await;
    let organiser = app.organiser(0).await;
    let activity = app.activity(&organiser).points_per_hour(0).await;
    let community = app.community("和美社区", "猛追湾街道").await;
    let wanted_by = app.services.clock.now().and_utc() + TimeDelta::days(7);
    let need = json!({
        "communityId": community,
        "categoryId": "home-visits",
        "title": "独居老人探访",
        "description": "每周一次",
        "urgency": "MEDIUM",
        "wantedBy": wanted_by.to_rfc3339()
    });
    let need = app.post_need(&organiser.owner, need).await;

    app.ok(CANCEL_ACTIVITY, json!({ "id": activity.id }), Some(&staff))
        .await;
    app.ok(ANNOUNCE, json!({}), Some(&staff)).await;
    app.ok(
        PROPOSE_MATCH,
        json!({ "need": need, "candidate": organiser.organisation }),
        Some(&staff),
    )
    .await;

    let audit = app
        .ok(AUDIT_EVENTS, json!({}), Some(&staff))
        .await
        .to_string();
    for action in ["activity.cancelled", "email.announce", "match.propose"] {
        assert!(audit.contains(action), "{action} missing from {audit}");
    }
}

#[derive(diesel::QueryableByName)]
struct Body {
    #[diesel(sql_type = diesel::sql_types::Text)]
    body_text: String,
}

/// The stored bodies of the confirmation mail the relay has marked sent, waiting for it to
/// mark one (it writes the file first).
async fn sent_verification_mail(app: &TestApp) -> Vec<Body> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut conn = app.services.db.conn().unwrap();
        let stored: Vec<Body> = diesel::sql_query(
            "SELECT body_text FROM outbox_message \
             WHERE template = 'VERIFY_EMAIL' AND status = 'SENT'",
        )
        .load(&mut conn)
        .unwrap();
        drop(conn);
        if !stored.is_empty() || Instant::now() > deadline {
            return stored;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn one_time_links_are_not_kept_after_sending(app: &TestApp) {
    let resident = app.resident("careful@example.cn").await;
    let asked = app
        .ok(REQUEST_EMAIL_VERIFICATION, json!({}), Some(&resident))
        .await;
    assert_eq!(asked["requestEmailVerification"]["ok"], true);
    app.delivered_mail("careful@example.cn", "请确认你的邮箱")
        .await;

    let stored = sent_verification_mail(app).await;

    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0].body_text.contains("token="),
        "{}",
        stored[0].body_text
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn expired_counters_and_tokens_are_swept(app: &TestApp) {
    app.resident("target@example.cn").await;
    app.sign_in("target@example.cn").await;
    let wrong = json!({ "input": { "login": "target@example.cn", "password": "wrong password" } });
    app.post(SIGN_IN, wrong, None).await;
    app.services
        .clock
        .advance(Duration::from_secs(40 * 24 * 3600));
    let services = app.services.clone();

    let swept = tokio::task::spawn_blocking(move || services.retention().sweep())
        .await
        .unwrap()
        .unwrap();

    let mut conn = app.services.db.conn().unwrap();
    let left: Vec<Count> = diesel::sql_query(
        "SELECT (SELECT COUNT(*) FROM throttle) + (SELECT COUNT(*) FROM refresh_token) AS n",
    )
    .load(&mut conn)
    .unwrap();
    assert!(
        swept >= 2,
        "the failed sign-in's counters and the session token: {swept}"
    );
    assert_eq!(left[0].n, 0);
}
