//! Suspension stops money where it moves: a suspended organisation pays no more points, a
//! suspended merchant captures nothing, a cancelled activity's sign-ups are never paid.

use serde_json::json;

use crate::support::directory::SUSPEND_ORGANISATION;
use crate::support::volunteering::{
    Activity, CANCEL_ACTIVITY, Organiser, VERIFY_ACTIVITY_ATTENDANCE,
};
use crate::support::{TestApp, accepted, both_engines, text_at, user_error};

const SUSPEND_MERCHANT: &str = r#"
    mutation ($id: ID!) {
        suspendMerchant(input: { merchantId: $id, reason: "多次违规确认兑换" }) {
            merchant { status }
        }
    }
"#;

/// A volunteer attended an hour of a verified organisation's activity, not yet verified:
/// (the organiser, the activity, the volunteer).
async fn attended(app: &TestApp) -> (Organiser, Activity, String) {
    let organiser = app.organiser(500).await;
    let activity = app.activity(&organiser).await;
    let volunteer = app.resident("volunteer@example.cn").await;
    accepted(
        &app.sign_up(&activity, &volunteer).await,
        "signUpForActivity",
    );
    app.attend(&activity, &[&volunteer], 60).await;
    (organiser, activity, volunteer)
}

/// The organiser's verifier verifies every participation at once: the whole response.
async fn verify_all(app: &TestApp, organiser: &Organiser, activity: &Activity) -> String {
    let (_, body) = app
        .post(
            VERIFY_ACTIVITY_ATTENDANCE,
            json!({ "id": activity.id }),
            Some(&organiser.verifier),
        )
        .await;
    body.to_string()
}

both_engines!(
    a_suspended_organisation_pays_no_more_points,
    a_cancelled_activity_is_never_paid,
    a_suspended_merchant_captures_nothing,
);

async fn a_suspended_organisation_pays_no_more_points(app: &TestApp) {
    let (organiser, activity, volunteer) = attended(app).await;
    let suspension = json!({ "input": {
        "organisationId": organiser.organisation,
        "reason": "违规"
    } });
    let suspended = app
        .ok(SUSPEND_ORGANISATION, suspension, Some(&app.staff().await))
        .await;
    accepted(&suspended, "suspendOrganisation");

    let bulk = verify_all(app, &organiser, &activity).await;
    let participation = &app.attendance_sheet(&activity).await[0]["id"];
    let one = app
        .verify_attendance(participation, &organiser.verifier)
        .await;

    assert!(
        bulk.contains("ORGANISATION_SUSPENDED"),
        "bulk verification stops: {bulk}"
    );
    assert_eq!(
        user_error(&one, "verifyAttendance"),
        "ORGANISATION_SUSPENDED"
    );
    assert_eq!(app.balance(&volunteer).await, 0);
}

async fn a_cancelled_activity_is_never_paid(app: &TestApp) {
    let (organiser, activity, volunteer) = attended(app).await;
    let cancelled = app
        .ok(
            CANCEL_ACTIVITY,
            json!({ "id": activity.id }),
            Some(&organiser.owner),
        )
        .await;
    accepted(&cancelled, "cancelActivity");

    let bulk = verify_all(app, &organiser, &activity).await;

    assert!(bulk.contains("ACTIVITY_CANCELLED"), "{bulk}");
    assert_eq!(app.balance(&volunteer).await, 0);
}

async fn a_suspended_merchant_captures_nothing(app: &TestApp) {
    let shop = app.merchant().await;
    let haircut = app.reward(&shop).points_price(30).await;
    let resident = app.funded_resident(100).await;
    let redemption = app
        .redemption(&resident, &haircut, "before-suspension")
        .await;
    let code = text_at(&redemption, "/code");
    let suspended = app
        .ok(
            SUSPEND_MERCHANT,
            json!({ "id": shop.id }),
            Some(&app.staff().await),
        )
        .await;
    assert_eq!(
        suspended["suspendMerchant"]["merchant"]["status"],
        "SUSPENDED"
    );

    let data = app.confirm(&shop, &code).await;

    assert_eq!(user_error(&data, "confirmRedemption"), "MERCHANT_SUSPENDED");
    assert_eq!(app.balance(&resident).await, 70, "held, not captured");
}
