//! Suspension stops money where it moves: a suspended organisation pays no more points, a
//! suspended merchant captures nothing, a cancelled activity's sign-ups are never paid.

use serde_json::json;

use super::fixtures::{
    CONFIRM, REDEEM, Runner, VERIFY_ALL, activity, allocate, attend, fund, id_at, merchant, reward,
    sign_up, start, user_error, verified_organisation, wallet,
};
use crate::support::{TestApp, both_engines};

const SUSPEND_ORGANISATION: &str = r#"
mutation($id: ID!) {
  suspendOrganisation(input: { organisationId: $id, reason: "违规" }) { errors { code } }
}"#;

const SUSPEND_MERCHANT: &str = r#"
mutation($id: ID!) { suspendMerchant(input: { merchantId: $id }) { merchant { status } } }"#;

const CANCEL_ACTIVITY: &str = r#"
mutation($id: ID!) { cancelActivity(input: { activityId: $id }) { errors { code } } }"#;

const VERIFY_ONE: &str = r#"
mutation($id: ID!) {
  verifyAttendance(input: { participationId: $id }) { verified { points } errors { code } }
}"#;

struct Scene {
    staff: String,
    owner: String,
    checker: String,
    organisation: String,
    activity: String,
    volunteer: String,
}

/// A volunteer attended an hour of a verified organisation's activity, not yet verified.
async fn attended(app: &TestApp) -> Scene {
    let staff = app.staff("staff@example.cn").await;
    let owner = app.resident("owner@example.cn").await;
    let checker = app.resident("checker@example.cn").await;
    let organisation =
        verified_organisation(app, &staff, &owner, "和美志愿队", &["checker@example.cn"]).await;
    allocate(app, &staff, &organisation, 500, "budget-suspend-1").await;
    let activity = activity(app, &owner, Runner::Organisation(&organisation), 10).await;
    let volunteer = app.resident("volunteer@example.cn").await;
    sign_up(app, &volunteer, &activity).await;
    start(app);
    attend(app, &owner, &activity, &[volunteer.as_str()], 60).await;
    Scene {
        staff,
        owner,
        checker,
        organisation,
        activity,
        volunteer,
    }
}

both_engines!(
    a_suspended_organisation_pays_no_more_points,
    a_cancelled_activity_is_never_paid,
    a_suspended_merchant_captures_nothing,
);

async fn a_suspended_organisation_pays_no_more_points(app: &TestApp) {
    let s = attended(app).await;
    app.ok(
        SUSPEND_ORGANISATION,
        json!({ "id": s.organisation }),
        Some(&s.staff),
    )
    .await;

    let (_, body) = app
        .post(VERIFY_ALL, json!({ "id": s.activity }), Some(&s.checker))
        .await;
    let sheet = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Activity { attendanceSheet { id } } } }",
            json!({ "id": s.activity }),
            Some(&s.owner),
        )
        .await;
    let participation = id_at(&sheet, &["node", "attendanceSheet", "0", "id"]);
    let one = app
        .ok(VERIFY_ONE, json!({ "id": participation }), Some(&s.checker))
        .await;

    assert!(
        body.to_string().contains("ORGANISATION_SUSPENDED"),
        "bulk verification stops: {body}"
    );
    assert_eq!(
        user_error(&one, "verifyAttendance").as_deref(),
        Some("ORGANISATION_SUSPENDED")
    );
    assert_eq!(wallet(app, &s.volunteer).await.2, 0);
}

async fn a_cancelled_activity_is_never_paid(app: &TestApp) {
    let s = attended(app).await;
    app.ok(CANCEL_ACTIVITY, json!({ "id": s.activity }), Some(&s.owner))
        .await;

    let (_, body) = app
        .post(VERIFY_ALL, json!({ "id": s.activity }), Some(&s.checker))
        .await;

    assert!(body.to_string().contains("ACTIVITY_CANCELLED"), "{body}");
    assert_eq!(wallet(app, &s.volunteer).await.2, 0);
}

async fn a_suspended_merchant_captures_nothing(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let operator = app.resident("barber@example.cn").await;
    let shop = merchant(app, &staff, &operator, "和美理发店").await;
    let haircut = reward(app, &operator, &shop, 30).await;
    let resident = app.resident("resident@example.cn").await;
    fund(app, &staff, &resident, 100, "fund-resident-2").await;
    let redeemed = app
        .ok(
            REDEEM,
            json!({ "reward": haircut, "key": "before-suspension" }),
            Some(&resident),
        )
        .await;
    let code = id_at(&redeemed, &["redeemReward", "redemption", "code"]);
    app.ok(SUSPEND_MERCHANT, json!({ "id": shop }), Some(&staff))
        .await;

    let vars = json!({ "merchant": shop, "code": code });
    let data = app.ok(CONFIRM, vars, Some(&operator)).await;

    assert_eq!(
        user_error(&data, "confirmRedemption").as_deref(),
        Some("MERCHANT_SUSPENDED")
    );
    assert_eq!(wallet(app, &resident).await.2, 70, "held, not captured");
}
