//! The record itself: hours recorded by hand are checked by someone else, the trail of staff
//! actions cannot be edited, and small inputs cannot crash or mislead the server.

use diesel::connection::SimpleConnection;
use serde_json::json;

use super::fixtures::{
    ALLOCATE, Runner, VERIFY, activity, allocate, id_at, start, user_error, verified_organisation,
};
use crate::support::{TestApp, both_engines};

const RECORD_ATTENDANCE: &str = r#"
mutation($input: RecordAttendanceInput!) {
  recordAttendance(input: $input) { participation { id } errors { code } }
}"#;

const AUDIT: &str = "{ auditEvents(first: 50) { edges { node { action } } } }";

const TOTALS: &str = "{ ledgerTotals { issued outstanding } }";

const BUDGET: &str = r#"
query($id: ID!) { node(id: $id) { ... on Organisation { budget { balance } } } }"#;

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
    let staff = app.staff("staff@example.cn").await;
    let owner = app.resident("owner@example.cn").await;
    let checker = app.resident("checker@example.cn").await;
    app.resident("elder@example.cn").await;
    let organisation =
        verified_organisation(app, &staff, &owner, "和美志愿队", &["checker@example.cn"]).await;
    allocate(app, &staff, &organisation, 500, "budget-record-1").await;
    let activity = activity(app, &owner, Runner::Organisation(&organisation), 10).await;
    start(app);
    let from = app.services.clock.now().and_utc();
    let input = json!({ "input": {
        "activityId": activity, "resident": "elder@example.cn",
        "from": from.to_rfc3339(), "until": (from + chrono::TimeDelta::hours(1)).to_rfc3339()
    } });
    let recorded = app.ok(RECORD_ATTENDANCE, input, Some(&owner)).await;
    let participation = id_at(&recorded, &["recordAttendance", "participation", "id"]);

    let by_recorder = app
        .ok(VERIFY, json!({ "id": participation }), Some(&owner))
        .await;
    let by_colleague = app
        .ok(VERIFY, json!({ "id": participation }), Some(&checker))
        .await;

    assert_eq!(
        user_error(&by_recorder, "verifyAttendance").as_deref(),
        Some("SELF_VERIFICATION")
    );
    assert_eq!(by_colleague["verifyAttendance"]["errors"], json!([]));
    assert_eq!(
        by_colleague["verifyAttendance"]["verified"][0]["points"], 0,
        "hand-recorded hours never earn points"
    );
}

async fn audit_events_cannot_be_edited_or_deleted(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let owner = app.resident("owner@example.cn").await;
    let organisation = verified_organisation(app, &staff, &owner, "和美志愿队", &[]).await;
    allocate(app, &staff, &organisation, 100, "budget-audit-01").await;
    let before = app.ok(AUDIT, json!({}), Some(&staff)).await;
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
    assert_eq!(app.ok(AUDIT, json!({}), Some(&staff)).await, before);
}

async fn a_month_far_outside_the_books_is_a_clear_error(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let operator = app.resident("barber@example.cn").await;
    let shop = super::fixtures::merchant(app, &staff, &operator, "和美理发店").await;

    let response = app
        .client
        .get(format!(
            "{}/statements/{}/-262143-01.csv",
            app.base,
            raw(&shop)
        ))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    let code = app
        .top_level_code(
            "query($m: ID!) { merchantStatement(merchantId: $m, month: \"-262143-01\") { redemptions } }",
            json!({ "m": shop }),
            Some(&operator),
        )
        .await;

    assert_eq!(response.status(), 404);
    assert_eq!(code, "INVALID_INPUT");
}

async fn balances_beyond_a_32_bit_int_read_back_exactly(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let second = app.staff("second@example.cn").await;
    let owner = app.resident("owner@example.cn").await;
    let organisation = verified_organisation(app, &staff, &owner, "和美志愿队", &[]).await;
    // 22 allocations of 100 million: above 2^31 in total, each approved by a second person.
    for i in 0..22 {
        let input = json!({ "input": {
            "organisationId": organisation, "amount": 100_000_000, "reason": "大额预算",
            "idempotencyKey": format!("large-budget-{i:02}")
        } });
        let asked = app.ok(ALLOCATE, input, Some(&staff)).await;
        let request = id_at(&asked, &["allocateBudget", "approvalRequest", "id"]);
        super::dual_control::approve(app, &second, &request).await;
    }

    let budget = app
        .ok(BUDGET, json!({ "id": organisation }), Some(&owner))
        .await;
    let totals = app.ok(TOTALS, json!({}), Some(&staff)).await;

    assert_eq!(budget["node"]["budget"]["balance"], 2_200_000_000_i64);
    assert_eq!(totals["ledgerTotals"]["issued"], 2_200_000_000_i64);
}

async fn a_free_product_cannot_carry_a_price(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let owner = app.resident("owner@example.cn").await;
    let organisation = verified_organisation(app, &staff, &owner, "和美志愿队", &[]).await;
    let input = json!({
        "organisationId": organisation,
        "product": {
            "categoryId": "elder-canteen", "title": "长者助餐", "summary": "每日午餐",
            "description": "", "priceTier": "FREE", "pricePoints": 10, "communityIds": []
        }
    });

    let data = app
        .ok(
            "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } errors { code field } } }",
            json!({ "input": input }),
            Some(&owner),
        )
        .await;

    assert_eq!(
        user_error(&data, "createProduct").as_deref(),
        Some("INVALID_INPUT")
    );
    assert_eq!(data["createProduct"]["errors"][0]["field"], "priceTier");
}

const REMOVE_MEMBER: &str = r#"
mutation($org: ID!, $user: ID!) {
  removeOrganisationMember(input: { organisationId: $org, userId: $user }) { errors { code } }
}"#;

const ADD_OWNER: &str = r#"
mutation($org: ID!) {
  addOrganisationMember(input: {
    organisationId: $org, member: "second@example.cn", role: OWNER
  }) { errors { code } }
}"#;

const MEMBERS: &str = r#"
query($id: ID!) { node(id: $id) { ... on Organisation { members { role } } } }"#;

async fn two_owners_removing_each_other_at_once_leave_one(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let first = app.resident("first@example.cn").await;
    let second = app.resident("second@example.cn").await;
    let organisation = verified_organisation(app, &staff, &first, "和美志愿队", &[]).await;
    app.ok(ADD_OWNER, json!({ "org": organisation }), Some(&first))
        .await;
    let first_id = super::fixtures::wallet(app, &first).await.0;
    let second_id = super::fixtures::wallet(app, &second).await.0;

    let (a, b) = tokio::join!(
        app.post(
            REMOVE_MEMBER,
            json!({ "org": organisation, "user": second_id }),
            Some(&first)
        ),
        app.post(
            REMOVE_MEMBER,
            json!({ "org": organisation, "user": first_id }),
            Some(&second)
        ),
    );

    let members = app
        .ok(MEMBERS, json!({ "id": organisation }), Some(&staff))
        .await;
    let owners = members["node"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "OWNER")
        .count();
    assert_eq!(owners, 1, "{a:?} {b:?}");
}

async fn staff_actions_on_people_and_mail_are_audited(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let owner = app.resident("owner@example.cn").await;
    let organisation = verified_organisation(app, &staff, &owner, "和美志愿队", &[]).await;
    let activity = activity(app, &owner, Runner::Organisation(&organisation), 0).await;
    let community = app
        .ok(
            "mutation { createCommunity(input: { name: \"和美社区\", street: \"猛追湾街道\", communityType: NEW_COMMERCIAL_RESIDENTIAL }) { community { id } } }",
            json!({}),
            Some(&staff),
        )
        .await;
    let community = id_at(&community, &["createCommunity", "community", "id"]);
    let wanted_by = (app.services.clock.now().and_utc() + chrono::TimeDelta::days(7)).to_rfc3339();
    let need = app
        .ok(
            "mutation($input: PostNeedInput!) { postNeed(input: $input) { need { id } errors { code } } }",
            json!({ "input": {
                "communityId": community, "categoryId": "home-visits", "title": "独居老人探访",
                "description": "每周一次", "urgency": "MEDIUM", "wantedBy": wanted_by
            } }),
            Some(&owner),
        )
        .await;
    let need = id_at(&need, &["postNeed", "need", "id"]);

    app.ok(
        "mutation($id: ID!) { cancelActivity(input: { activityId: $id }) { errors { code } } }",
        json!({ "id": activity }),
        Some(&staff),
    )
    .await;
    app.ok(
        "mutation { announce(input: { subject: \"议事日\", body: \"本月20日晚7点\" }) { queued } }",
        json!({}),
        Some(&staff),
    )
    .await;
    app.ok(
        "mutation($n: ID!, $c: ID!) { proposeMatch(input: { needId: $n, candidateId: $c }) { errors { code } } }",
        json!({ "n": need, "c": organisation }),
        Some(&staff),
    )
    .await;

    let audit = app.ok(AUDIT, json!({}), Some(&staff)).await.to_string();
    for action in ["activity.cancelled", "email.announce", "match.propose"] {
        assert!(audit.contains(action), "{action} missing from {audit}");
    }
}

async fn one_time_links_are_not_kept_after_sending(app: &TestApp) {
    let resident = app.resident("careful@example.cn").await;
    app.ok(
        "mutation { requestEmailVerification { ok } }",
        json!({}),
        Some(&resident),
    )
    .await;
    let mail_dir = match &app.config.mail {
        linli_api::config::MailTransport::Files(dir) => dir.clone(),
        linli_api::config::MailTransport::Smtp(_) => unreachable!("tests write mail files"),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_dir(&mail_dir).map_or(0, |d| d.count()) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the relay sent nothing"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    let mut conn = app.services.db.conn().unwrap();
    use diesel::RunQueryDsl;
    let stored: Vec<Body> = diesel::sql_query(
        "SELECT body_text FROM outbox_message WHERE template = 'VERIFY_EMAIL' AND status = 'SENT'",
    )
    .load(&mut conn)
    .unwrap();
    drop(conn);

    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0].body_text.contains("token="),
        "{}",
        stored[0].body_text
    );
}

#[derive(diesel::QueryableByName)]
struct Body {
    #[diesel(sql_type = diesel::sql_types::Text)]
    body_text: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn expired_counters_and_tokens_are_swept(app: &TestApp) {
    app.resident("target@example.cn").await;
    app.post(
        "mutation { signIn(input: { login: \"target@example.cn\", password: \"wrong password\" }) { errors { code } } }",
        json!({}),
        None,
    )
    .await;
    app.services
        .clock
        .advance(std::time::Duration::from_secs(40 * 24 * 3600));
    let services = app.services.clone();

    let swept = tokio::task::spawn_blocking(move || services.retention().sweep())
        .await
        .unwrap()
        .unwrap();

    let mut conn = app.services.db.conn().unwrap();
    use diesel::RunQueryDsl;
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

/// The raw UUID inside a global id, as the statement download's path uses.
fn raw(global: &str) -> String {
    crate::support::global_raw_id(global)
}
