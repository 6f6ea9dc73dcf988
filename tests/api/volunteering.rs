//! Volunteer activities: the whole chain from sign-up to points, the waitlist under a race,
//! and every way attendance can be refused.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::support::volunteering::CANCEL_SIGN_UP;
use crate::support::volunteering::{Activity, Organiser, RECORD_ATTENDANCE};
use crate::support::{
    TestApp, accepted, both_engines, tally, text_at, top_level_error, user_error,
};

const MY_POINTS_AND_HOURS: &str = r"
    {
        me {
            wallet {
                balance
                history(first: 1) {
                    edges { node { transfer { code rule cause { kind id } } } }
                }
            }
            serviceRecord {
                totalMinutes
                activities
                byCategory { category { slug } minutes }
                byOrganisation { organisation { id } minutes hours }
            }
        }
    }
";

fn count_with_status(sheet: &[Value], status: &str) -> usize {
    sheet.iter().filter(|p| p["status"] == status).count()
}

async fn my_points_and_hours(app: &TestApp, token: &str) -> Value {
    app.ok(MY_POINTS_AND_HOURS, json!({}), Some(token)).await["me"].clone()
}

/// `volunteers` residents sign up for the organiser's home visits (10 points an hour up to 30)
/// and serve 90 minutes.
async fn ninety_minutes_of_home_visits(
    app: &TestApp,
    volunteers: usize,
) -> (Organiser, Activity, Vec<String>) {
    let organiser = app.organiser(1000).await;
    let activity = app
        .activity(&organiser)
        .points_per_hour(10)
        .points_cap(30)
        .await;
    let residents = app.residents(volunteers).await;
    for resident in &residents {
        accepted(&app.sign_up(&activity, resident).await, "signUpForActivity");
    }
    app.attend(&activity, &residents, 90).await;
    (organiser, activity, residents)
}

both_engines!(
    signing_up_takes_a_seat,
    verified_attendance_earns_points_by_the_hour,
    earned_points_reach_the_wallet_with_their_rule_and_cause,
    verified_hours_count_in_the_service_record_by_category_and_organisation,
    earned_points_come_out_of_the_organisations_budget,
    verifying_again_changes_nothing,
    earning_issues_no_new_points,
);

async fn signing_up_takes_a_seat(app: &TestApp) {
    let organiser = app.organiser(0).await;
    let activity = app.activity(&organiser).await;
    let resident = app.new_resident().await;

    let signed = app.sign_up(&activity, &resident).await;

    let participation = &accepted(&signed, "signUpForActivity")["participation"];
    assert_eq!(participation["status"], "REGISTERED");
}

async fn verified_attendance_earns_points_by_the_hour(app: &TestApp) {
    let (organiser, activity, _) = ninety_minutes_of_home_visits(app, 3).await;

    let verified = app.verify_all(&activity, &organiser.verifier).await;

    let verified = accepted(&verified, "verifyActivityAttendance")["verified"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(verified.len(), 3);
    for v in &verified {
        assert_eq!(
            (v["minutes"].as_i64(), v["points"].as_i64()),
            (Some(90), Some(15))
        );
    }
}

async fn earned_points_reach_the_wallet_with_their_rule_and_cause(app: &TestApp) {
    let (organiser, activity, residents) = ninety_minutes_of_home_visits(app, 3).await;

    app.verify_all(&activity, &organiser.verifier).await;

    for resident in &residents {
        let me = my_points_and_hours(app, resident).await;
        assert_eq!(me["wallet"]["balance"], 15);
        let earn = &me["wallet"]["history"]["edges"][0]["node"]["transfer"];
        assert_eq!(earn["code"], "EARN");
        assert_eq!(earn["cause"]["kind"], "participation");
        assert!(text_at(earn, "/rule").contains("每小时 10 分"), "{earn}");
    }
}

async fn verified_hours_count_in_the_service_record_by_category_and_organisation(app: &TestApp) {
    let (organiser, activity, residents) = ninety_minutes_of_home_visits(app, 3).await;

    app.verify_all(&activity, &organiser.verifier).await;

    for resident in &residents {
        let record = &my_points_and_hours(app, resident).await["serviceRecord"];
        assert_eq!(record["totalMinutes"], 90);
        assert_eq!(record["byCategory"][0]["category"]["slug"], "home-visits");
        let with = &record["byOrganisation"][0];
        assert_eq!(with["organisation"]["id"], organiser.organisation.as_str());
        assert_eq!(
            (&with["minutes"], &with["hours"]),
            (&json!(90), &json!(1.5))
        );
    }
}

async fn earned_points_come_out_of_the_organisations_budget(app: &TestApp) {
    let (organiser, activity, _) = ninety_minutes_of_home_visits(app, 3).await;

    app.verify_all(&activity, &organiser.verifier).await;

    let budget = app
        .budget_balance(&organiser.organisation, &organiser.owner)
        .await;
    assert_eq!(budget, 1000 - 45);
}

async fn verifying_again_changes_nothing(app: &TestApp) {
    let (organiser, activity, residents) = ninety_minutes_of_home_visits(app, 1).await;
    app.verify_all(&activity, &organiser.verifier).await;

    let again = app.verify_all(&activity, &organiser.verifier).await;

    assert_eq!(again["verifyActivityAttendance"]["verified"], json!([]));
    assert_eq!(app.balance(&residents[0]).await, 15);
}

async fn earning_issues_no_new_points(app: &TestApp) {
    let (organiser, activity, _) = ninety_minutes_of_home_visits(app, 1).await;

    app.verify_all(&activity, &organiser.verifier).await;

    let totals = app.ledger_totals().await;
    assert_eq!(totals["issued"], 1000);
    assert_eq!(totals["outstanding"], 1000);
}

both_engines!(
    a_sign_up_race_fills_the_seats_then_the_waitlist_in_arrival_order,
    a_cancelled_seat_goes_to_the_first_in_line,
);

async fn a_sign_up_race_fills_the_seats_then_the_waitlist_in_arrival_order(app: &TestApp) {
    let organiser = app.organiser(0).await;
    let activity = app
        .activity(&organiser)
        .seats(10)
        .starting_in_hours(24)
        .await;
    let residents = app.residents(50).await;

    let answers = app
        .concurrently(50, |i| app.sign_up(&activity, &residents[i]))
        .await;

    assert_eq!(
        tally(&answers, "signUpForActivity"),
        BTreeMap::from([("OK", 50)])
    );
    let sheet = app.attendance_sheet(&activity).await;
    let waitlisted: Vec<i64> = sheet
        .iter()
        .filter(|p| p["status"] == "WAITLISTED")
        .map(|p| p["waitlistPosition"].as_i64().unwrap())
        .collect();
    assert_eq!(count_with_status(&sheet, "REGISTERED"), 10);
    assert_eq!(
        waitlisted,
        (1..=40).collect::<Vec<_>>(),
        "waitlist in arrival order"
    );
}

async fn a_cancelled_seat_goes_to_the_first_in_line(app: &TestApp) {
    let organiser = app.organiser(0).await;
    let activity = app.activity(&organiser).seats(2).await;
    let residents = app.residents(4).await;
    for resident in &residents {
        app.sign_up(&activity, resident).await;
    }
    let sheet = app.attendance_sheet(&activity).await;
    let first_in_line = sheet.iter().find(|p| p["waitlistPosition"] == 1).unwrap()["id"].clone();

    let cancelled = app
        .ok(
            CANCEL_SIGN_UP,
            json!({ "id": activity.id }),
            Some(&residents[0]),
        )
        .await;

    assert_eq!(
        cancelled["cancelSignUp"]["participation"]["status"],
        "CANCELLED"
    );
    let after = app.attendance_sheet(&activity).await;
    let promoted = after.iter().find(|p| p["id"] == first_in_line).unwrap();
    assert_eq!(promoted["status"], "REGISTERED");
    assert_eq!(count_with_status(&after, "REGISTERED"), 2);
    assert_eq!(count_with_status(&after, "WAITLISTED"), 1);
    let told = app
        .delivered_mail(&app.email_of(&residents[2]).await, "候补转正")
        .await;
    assert!(told.contains("已转为正式报名"), "{told}");
}

both_engines!(
    signing_up_twice_is_refused,
    checking_in_before_the_window_opens_is_refused,
    a_wrong_code_is_refused,
    a_code_from_three_minutes_ago_is_refused,
    nobody_verifies_their_own_attendance,
    a_verification_the_budget_cannot_pay_is_refused_and_moves_nothing,
    hand_recorded_attendance_cannot_ask_for_points,
    hand_recorded_attendance_earns_hours_only,
);

/// An hour's home visits paying 60 points an hour, by an organiser with only 10 to award, and
/// a resident signed up.
async fn an_underfunded_activity(app: &TestApp) -> (Organiser, Activity, String) {
    let organiser = app.organiser(10).await;
    let activity = app
        .activity(&organiser)
        .points_per_hour(60)
        .points_cap(60)
        .await;
    let resident = app.new_resident().await;
    accepted(
        &app.sign_up(&activity, &resident).await,
        "signUpForActivity",
    );
    (organiser, activity, resident)
}

async fn signing_up_twice_is_refused(app: &TestApp) {
    let (_, activity, resident) = an_underfunded_activity(app).await;

    let again = app.sign_up(&activity, &resident).await;

    assert_eq!(user_error(&again, "signUpForActivity"), "ALREADY_SIGNED_UP");
}

/// The window opens 15 minutes before the start.
async fn checking_in_before_the_window_opens_is_refused(app: &TestApp) {
    let (_, activity, resident) = an_underfunded_activity(app).await;
    let early = app.check_in_code(&activity).await;

    let refused = app.check_in_with(&activity, &resident, &early).await;

    assert_eq!(user_error(&refused, "checkIn"), "OUTSIDE_WINDOW");
}

async fn a_wrong_code_is_refused(app: &TestApp) {
    let (_, activity, resident) = an_underfunded_activity(app).await;
    app.minutes_pass(120);
    let shown = app.check_in_code(&activity).await;
    let wrong = if shown == "000000" {
        "111111"
    } else {
        "000000"
    };

    let refused = app.check_in_with(&activity, &resident, wrong).await;

    assert_eq!(user_error(&refused, "checkIn"), "INVALID_CODE");
}

async fn a_code_from_three_minutes_ago_is_refused(app: &TestApp) {
    let (_, activity, resident) = an_underfunded_activity(app).await;
    app.minutes_pass(120);
    let stale = app.check_in_code(&activity).await;
    app.minutes_pass(3);

    let refused = app.check_in_with(&activity, &resident, &stale).await;

    assert_eq!(
        user_error(&refused, "checkIn"),
        "INVALID_CODE",
        "a code from 3 minutes ago"
    );
}

async fn nobody_verifies_their_own_attendance(app: &TestApp) {
    let (organiser, activity, _) = an_underfunded_activity(app).await;
    accepted(
        &app.sign_up(&activity, &organiser.verifier).await,
        "signUpForActivity",
    );
    app.attend(&activity, &[&organiser.verifier], 60).await;
    let sheet = app.attendance_sheet(&activity).await;
    let own = &sheet.iter().find(|p| p["checkedInAt"].is_string()).unwrap()["id"];

    let refused = app.verify_attendance(own, &organiser.verifier).await;

    assert_eq!(
        user_error(&refused, "verifyAttendance"),
        "SELF_VERIFICATION"
    );
}

async fn a_verification_the_budget_cannot_pay_is_refused_and_moves_nothing(app: &TestApp) {
    let (organiser, activity, resident) = an_underfunded_activity(app).await;
    app.attend(&activity, &[&resident], 60).await;
    let sheet = app.attendance_sheet(&activity).await;

    let refused = app
        .verify_attendance(&sheet[0]["id"], &organiser.verifier)
        .await;

    assert_eq!(
        user_error(&refused, "verifyAttendance"),
        "INSUFFICIENT_BUDGET"
    );
    let me = my_points_and_hours(app, &resident).await;
    assert_eq!(
        me["wallet"]["balance"], 0,
        "a failed verification moves nothing"
    );
    assert_eq!(me["serviceRecord"]["totalMinutes"], 0);
}

/// The organiser records, by hand, the last hour of a resident without a phone, asking for
/// points or not.
fn hand_recorded(app: &TestApp, activity: &Activity, request_points: bool) -> Value {
    let now = app.services.clock.now().and_utc();
    json!({ "input": {
        "activityId": activity.id,
        "resident": "nophone@example.cn",
        "from": (now - TimeDelta::minutes(60)).to_rfc3339(),
        "until": now.to_rfc3339(),
        "requestPoints": request_points
    } })
}

/// An hour into the activity, after the resident who checked in and out by code.
async fn an_hour_into_the_activity(app: &TestApp) -> (Organiser, Activity) {
    let (organiser, activity, _) = an_underfunded_activity(app).await;
    app.resident("nophone@example.cn").await;
    app.minutes_pass(120 + 3 + 60);
    (organiser, activity)
}

async fn hand_recorded_attendance_cannot_ask_for_points(app: &TestApp) {
    let (organiser, activity) = an_hour_into_the_activity(app).await;

    let refused = app
        .ok(
            RECORD_ATTENDANCE,
            hand_recorded(app, &activity, true),
            Some(&organiser.owner),
        )
        .await;

    assert_eq!(
        user_error(&refused, "recordAttendance"),
        "NO_POINTS_FOR_MANUAL_ATTENDANCE"
    );
}

async fn hand_recorded_attendance_earns_hours_only(app: &TestApp) {
    let (organiser, activity) = an_hour_into_the_activity(app).await;

    let recorded = app
        .ok(
            RECORD_ATTENDANCE,
            hand_recorded(app, &activity, false),
            Some(&organiser.owner),
        )
        .await;
    let participation = &recorded["recordAttendance"]["participation"];
    let verified = app
        .verify_attendance(&participation["id"], &organiser.verifier)
        .await;

    assert_eq!(participation["manual"], true);
    assert_eq!(verified["verifyAttendance"]["verified"][0]["points"], 0);
    assert_eq!(verified["verifyAttendance"]["verified"][0]["minutes"], 60);
}

both_engines!(a_participation_earns_once_under_concurrent_verification);

async fn a_participation_earns_once_under_concurrent_verification(app: &TestApp) {
    let organiser = app.organiser(1000).await;
    let activity = app
        .activity(&organiser)
        .points_per_hour(10)
        .points_cap(30)
        .await;
    let resident = app.new_resident().await;
    app.sign_up(&activity, &resident).await;
    app.attend(&activity, &[&resident], 60).await;
    let participation = app.attendance_sheet(&activity).await[0]["id"].clone();
    let verifiers = [&organiser.owner, &organiser.verifier];

    let answers = app
        .concurrently(6, |i| {
            app.verify_attendance(&participation, verifiers[i % 2])
        })
        .await;

    assert_eq!(
        tally(&answers, "verifyAttendance"),
        BTreeMap::from([("ALREADY_VERIFIED", 5), ("OK", 1)])
    );
    assert_eq!(app.balance(&resident).await, 10);
}

both_engines!(
    with [("LINLI_DAILY_POINTS_CAP", "20")]:
    concurrent_verifications_stop_at_the_daily_points_cap_but_never_at_hours
);

/// Two activities on the same day, verified at the same moment for one resident: the daily
/// cap (20 here) holds for points, never for hours.
async fn concurrent_verifications_stop_at_the_daily_points_cap_but_never_at_hours(app: &TestApp) {
    let organiser = app.organiser(1000).await;
    let first = app
        .activity(&organiser)
        .points_per_hour(15)
        .points_cap(15)
        .await;
    let second = app
        .activity(&organiser)
        .points_per_hour(15)
        .points_cap(15)
        .await;
    let resident = app.new_resident().await;
    for activity in [&first, &second] {
        app.sign_up(activity, &resident).await;
    }
    app.minutes_pass(120);
    for activity in [&first, &second] {
        app.check_in(activity, &resident).await;
    }
    app.minutes_pass(60);
    for activity in [&first, &second] {
        app.check_out(activity, &resident).await;
    }
    let activities = [&first, &second];

    let answers = app
        .concurrently(2, |i| app.verify_all(activities[i], &organiser.verifier))
        .await;

    let points: i64 = answers
        .iter()
        .flat_map(|a| {
            a["verifyActivityAttendance"]["verified"]
                .as_array()
                .unwrap()
        })
        .map(|v| v["points"].as_i64().unwrap())
        .sum();
    assert_eq!(points, 20);
    let me = my_points_and_hours(app, &resident).await;
    assert_eq!(me["wallet"]["balance"], 20);
    assert_eq!(
        me["serviceRecord"]["totalMinutes"], 120,
        "hours are never capped"
    );
}

const ACTIVITIES_OF: &str = r"
    query ($org: ID!) {
        node(id: $org) {
            ... on Organisation { activities(first: 10) { nodes { id status } } }
        }
    }
";

both_engines!(an_organisation_lists_its_drafts_to_its_members_and_staff_only,);

async fn an_organisation_lists_its_drafts_to_its_members_and_staff_only(app: &TestApp) {
    let organiser = app.organiser(0).await;
    let drafted = app.activity(&organiser).draft().await;
    let draft = text_at(&drafted, "/data/createActivity/activity/id");
    let of = json!({ "org": organiser.organisation });

    let listed = app
        .ok(ACTIVITIES_OF, of.clone(), Some(&organiser.owner))
        .await;

    let first = &listed["node"]["activities"]["nodes"][0];
    assert_eq!(
        (&first["id"], &first["status"]),
        (&json!(draft), &json!("DRAFT"))
    );
    let staff = app.staff().await;
    let seen = app.ok(ACTIVITIES_OF, of.clone(), Some(&staff)).await;
    assert_eq!(seen["node"]["activities"]["nodes"][0]["status"], "DRAFT");
    let (_, refused) = app
        .post(ACTIVITIES_OF, of, Some(&app.new_resident().await))
        .await;
    assert_eq!(top_level_error(&refused), "FORBIDDEN", "{refused}");
}
