//! A group's fund is residents' gifts: only the convenor spends it, never from a dissolved
//! group, and a group-run activity paying more than the district's rule needs staff.

use serde_json::json;

use crate::support::volunteering::{PUBLISH_ACTIVITY, VERIFY_ACTIVITY_ATTENDANCE};
use crate::support::{TestApp, accepted, both_engines, text_at, top_level_error, user_error};

const APPROVE_ACTIVITY_RATE: &str = r"
    mutation ($id: ID!) {
        approveActivityRate(input: { activityId: $id }) {
            activity { rateApproved }
            errors { code }
        }
    }
";

both_engines!(
    a_plain_member_cannot_run_an_activity_paid_from_the_fund,
    a_plain_member_cannot_verify_a_group_activity,
    a_dissolved_group_neither_receives_nor_pays,
    a_rate_above_the_district_rule_needs_staff_approval,
);

async fn a_plain_member_cannot_run_an_activity_paid_from_the_fund(app: &TestApp) {
    let group = app.growing_group().await;

    let created = app
        .group_activity(&group.id, &group.members[0])
        .points_per_hour(5)
        .draft()
        .await;

    assert_eq!(top_level_error(&created), "FORBIDDEN", "{created}");
}

async fn a_plain_member_cannot_verify_a_group_activity(app: &TestApp) {
    let group = app.growing_group().await;
    let donor = app.funded_resident(500).await;
    let gift = app
        .donate_to_group(&donor, &group.id, 300, "gift-to-fund-2")
        .await;
    accepted(&gift, "donateToGroup");
    let activity = app.group_activity(&group.id, &group.convenor).await;
    let volunteers = &group.members[1..3];
    for volunteer in volunteers {
        accepted(
            &app.sign_up(&activity, volunteer).await,
            "signUpForActivity",
        );
    }
    app.attend(&activity, volunteers, 60).await;

    let code = app
        .top_level_code(
            VERIFY_ACTIVITY_ATTENDANCE,
            json!({ "id": activity.id }),
            Some(&group.members[0]),
        )
        .await;

    assert_eq!(code, "FORBIDDEN");
    assert_eq!(
        app.the_group(&group.id).await["fund"]["balance"],
        300,
        "nothing left the fund"
    );
}

async fn a_dissolved_group_neither_receives_nor_pays(app: &TestApp) {
    let group = app.growing_group().await;
    let donor = app.funded_resident(500).await;
    let gift = app
        .donate_to_group(&donor, &group.id, 100, "gift-before-end")
        .await;
    accepted(&gift, "donateToGroup");
    app.move_stage(&group.id, "DISSOLVE", "按培育标准决定", "DISSOLVED")
        .await;
    let member = app.user_id(&group.members[0]).await;

    let gift = app
        .donate_to_group(&donor, &group.id, 50, "gift-after-end")
        .await;
    let payment = app
        .reward_group_member(&group.convenor, &group.id, &member, "pay-after-end")
        .await;

    assert_eq!(user_error(&gift, "donateToGroup"), "GROUP_DISSOLVED");
    assert_eq!(user_error(&payment, "rewardGroupMember"), "GROUP_DISSOLVED");
    assert_eq!(app.balance(&donor).await, 400);
    assert_eq!(app.balance(&group.members[0]).await, 0);
}

async fn a_rate_above_the_district_rule_needs_staff_approval(app: &TestApp) {
    let group = app.growing_group().await;
    let drafted = app
        .group_activity(&group.id, &group.convenor)
        .points_per_hour(1_000)
        .draft()
        .await;
    let id = text_at(&drafted, "/data/createActivity/activity/id");
    let activity = json!({ "id": id });

    let before = app
        .ok(PUBLISH_ACTIVITY, activity.clone(), Some(&group.convenor))
        .await;
    let by_convenor = app
        .top_level_code(
            APPROVE_ACTIVITY_RATE,
            activity.clone(),
            Some(&group.convenor),
        )
        .await;
    let approved = app
        .ok(
            APPROVE_ACTIVITY_RATE,
            activity.clone(),
            Some(&app.staff().await),
        )
        .await;
    let after = app
        .ok(PUBLISH_ACTIVITY, activity, Some(&group.convenor))
        .await;

    assert_eq!(
        user_error(&before, "publishActivity"),
        "RATE_NEEDS_APPROVAL"
    );
    assert_eq!(by_convenor, "FORBIDDEN");
    assert_eq!(
        approved["approveActivityRate"]["activity"]["rateApproved"],
        true
    );
    assert_eq!(after["publishActivity"]["activity"]["status"], "PUBLISHED");
}
