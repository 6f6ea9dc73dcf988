//! A group's fund is residents' gifts: only the convenor spends it, never from a dissolved
//! group, and a group-run activity paying more than the district's rule needs staff.

use serde_json::json;

use super::fixtures::{
    DECIDE_STAGE, PUBLISH_ACTIVITY, Runner, VERIFY_ALL, activity, attend, draft_activity, fund,
    growing_group, id_at, sign_up, start, user_error, wallet,
};
use crate::support::{TestApp, both_engines};

const DONATE_TO_GROUP: &str = r#"
mutation($g: ID!, $amount: Points!, $key: String!) {
  donateToGroup(input: { groupId: $g, amount: $amount, idempotencyKey: $key }) {
    transfer { id } errors { code }
  }
}"#;

const REWARD_MEMBER: &str = r#"
mutation($g: ID!, $u: ID!, $key: String!) {
  rewardGroupMember(input: {
    groupId: $g, userId: $u, amount: 10, reason: "辛苦了", idempotencyKey: $key
  }) { transfer { id } errors { code } }
}"#;

const APPROVE_RATE: &str = r#"
mutation($id: ID!) {
  approveActivityRate(input: { activityId: $id }) { activity { rateApproved } errors { code } }
}"#;

const FUND: &str = "query($g: ID!) { node(id: $g) { ... on Group { fund { balance } } } }";

both_engines!(
    a_plain_member_cannot_run_an_activity_paid_from_the_fund,
    a_plain_member_cannot_verify_a_group_activity,
    a_dissolved_group_neither_receives_nor_pays,
    a_rate_above_the_district_rule_needs_staff_approval,
);

async fn a_plain_member_cannot_run_an_activity_paid_from_the_fund(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let group = growing_group(app, &staff).await;

    let created = draft_activity(app, &group.members[0], Runner::Group(&group.id), 5).await;

    assert_eq!(
        created["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{created}"
    );
}

async fn a_plain_member_cannot_verify_a_group_activity(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let group = growing_group(app, &staff).await;
    fund(app, &staff, &group.mentor, 500, "fund-mentor-2").await;
    let vars = json!({ "g": group.id, "amount": 300, "key": "gift-to-fund-2" });
    app.ok(DONATE_TO_GROUP, vars, Some(&group.mentor)).await;
    let activity = activity(app, &group.convenor, Runner::Group(&group.id), 10).await;
    let volunteers = [group.members[1].as_str(), group.members[2].as_str()];
    for v in volunteers {
        sign_up(app, v, &activity).await;
    }
    start(app);
    attend(app, &group.convenor, &activity, &volunteers, 60).await;

    let code = app
        .top_level_code(
            VERIFY_ALL,
            json!({ "id": activity }),
            Some(&group.members[0]),
        )
        .await;

    assert_eq!(code, "FORBIDDEN");
    let fund = app.ok(FUND, json!({ "g": group.id }), None).await;
    assert_eq!(
        fund["node"]["fund"]["balance"], 300,
        "nothing left the fund"
    );
}

async fn a_dissolved_group_neither_receives_nor_pays(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let group = growing_group(app, &staff).await;
    fund(app, &staff, &group.mentor, 500, "fund-mentor-3").await;
    let vars = json!({ "g": group.id, "amount": 100, "key": "gift-before-end" });
    app.ok(DONATE_TO_GROUP, vars, Some(&group.mentor)).await;
    let vars = json!({ "g": group.id, "decision": "DISSOLVE" });
    app.ok(DECIDE_STAGE, vars, Some(&staff)).await;
    let (member_id, _, _) = wallet(app, &group.members[0]).await;

    let vars = json!({ "g": group.id, "amount": 50, "key": "gift-after-end" });
    let gift = app.ok(DONATE_TO_GROUP, vars, Some(&group.mentor)).await;
    let vars = json!({ "g": group.id, "u": member_id, "key": "pay-after-end" });
    let payment = app.ok(REWARD_MEMBER, vars, Some(&group.convenor)).await;

    assert_eq!(
        user_error(&gift, "donateToGroup").as_deref(),
        Some("GROUP_DISSOLVED")
    );
    assert_eq!(
        user_error(&payment, "rewardGroupMember").as_deref(),
        Some("GROUP_DISSOLVED")
    );
    assert_eq!(wallet(app, &group.mentor).await.2, 400);
    assert_eq!(wallet(app, &group.members[0]).await.2, 0);
}

async fn a_rate_above_the_district_rule_needs_staff_approval(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let group = growing_group(app, &staff).await;
    let drafted = draft_activity(app, &group.convenor, Runner::Group(&group.id), 1_000).await;
    let id = id_at(&drafted, &["data", "createActivity", "activity", "id"]);

    let before = app
        .ok(PUBLISH_ACTIVITY, json!({ "id": id }), Some(&group.convenor))
        .await;
    let by_convenor = app
        .top_level_code(APPROVE_RATE, json!({ "id": id }), Some(&group.convenor))
        .await;
    let approved = app
        .ok(APPROVE_RATE, json!({ "id": id }), Some(&staff))
        .await;
    let after = app
        .ok(PUBLISH_ACTIVITY, json!({ "id": id }), Some(&group.convenor))
        .await;

    assert_eq!(
        user_error(&before, "publishActivity").as_deref(),
        Some("RATE_NEEDS_APPROVAL")
    );
    assert_eq!(by_convenor, "FORBIDDEN");
    assert_eq!(
        approved["approveActivityRate"]["activity"]["rateApproved"],
        true
    );
    assert_eq!(after["publishActivity"]["activity"]["status"], "PUBLISHED");
}
