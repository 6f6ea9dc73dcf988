//! Guessing the rotating check-in code from afar: wrong codes are throttled per sign-up and
//! per activity, a sign-up is locked after ten, and the organiser sees every refused attempt.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::volunteering::{Activity, CHECK_IN};
use crate::support::{TestApp, accepted, both_engines, top_level_error, user_error};

/// A wrong code: one that is not this minute's or the last.
fn wrong(code: &str, i: u32) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 500_000 + i) % 1_000_000)
}

/// The organiser's home visits: 20 seats, 10 points an hour from a budget of 500.
async fn home_visits(app: &TestApp) -> Activity {
    let organiser = app.organiser(500).await;
    app.activity(&organiser).seats(20).await
}

/// A resident signed up for `activity` as `email`: their token.
async fn signed_up(app: &TestApp, activity: &Activity, email: &str) -> String {
    let resident = app.resident(email).await;
    accepted(&app.sign_up(activity, &resident).await, "signUpForActivity");
    resident
}

/// One aliased guess of a batched request, `g{i}: checkIn(…)`, with `code`.
fn aliased_guess(i: u32, code: &str) -> String {
    format!(
        "g{i}: checkIn(input: {{ activityId: $id, code: \"{code}\" }}) {{ errors {{ code }} }} "
    )
}

/// `volunteer` checks in with `code`: the whole response (status and body).
async fn try_code(app: &TestApp, activity: &Activity, volunteer: &str, code: &str) -> (u16, Value) {
    app.post(
        CHECK_IN,
        json!({ "id": activity.id, "code": code }),
        Some(volunteer),
    )
    .await
}

/// The row of the attendance sheet of the only one signed up.
async fn only_row(app: &TestApp, activity: &Activity) -> Value {
    app.attendance_sheet(activity).await[0].clone()
}

both_engines!(
    five_wrong_codes_pause_a_sign_up_and_the_right_code_then_waits,
    ten_wrong_codes_lock_a_sign_up_for_good,
    thirty_aliased_guesses_in_one_request_are_throttled_like_thirty_requests,
    many_accounts_guessing_one_activity_are_throttled_together,
);

async fn five_wrong_codes_pause_a_sign_up_and_the_right_code_then_waits(app: &TestApp) {
    let activity = home_visits(app).await;
    let guesser = signed_up(app, &activity, "guesser@example.cn").await;
    app.activity_begins(&activity);
    let code = app.check_in_code(&activity).await;

    for i in 0..5 {
        let data = app
            .check_in_with(&activity, &guesser, &wrong(&code, i))
            .await;
        assert_eq!(user_error(&data, "checkIn"), "INVALID_CODE");
    }
    let (status, body) = try_code(app, &activity, &guesser, &code).await;

    assert_eq!(status, 429, "{body}");
    assert_eq!(top_level_error(&body), "RATE_LIMITED");
    let row = only_row(app, &activity).await;
    assert_eq!(
        row["refusedCodes"], 5,
        "the organiser sees the refused attempts"
    );
    assert!(row["checkedInAt"].is_null());
}

async fn ten_wrong_codes_lock_a_sign_up_for_good(app: &TestApp) {
    let activity = home_visits(app).await;
    let guesser = signed_up(app, &activity, "guesser@example.cn").await;
    app.activity_begins(&activity);
    let code = app.check_in_code(&activity).await;

    for round in 0..2 {
        for i in 0..5 {
            try_code(app, &activity, &guesser, &wrong(&code, round * 5 + i)).await;
        }
        // Wait out the short pause between the two rounds.
        app.services.clock.advance(Duration::from_secs(11 * 60));
    }
    let code = app.check_in_code(&activity).await;
    let data = app.check_in_with(&activity, &guesser, &code).await;

    assert_eq!(user_error(&data, "checkIn"), "CHECK_IN_LOCKED");
    let row = only_row(app, &activity).await;
    assert_eq!(row["refusedCodes"], 10);
    assert!(row["checkInLockedAt"].is_string(), "{row}");
}

async fn thirty_aliased_guesses_in_one_request_are_throttled_like_thirty_requests(app: &TestApp) {
    let activity = home_visits(app).await;
    let guesser = signed_up(app, &activity, "guesser@example.cn").await;
    app.activity_begins(&activity);
    let code = app.check_in_code(&activity).await;
    let guesses: String = (0..30)
        .map(|i| aliased_guess(i, &wrong(&code, i)))
        .collect();
    let document = format!("mutation($id: ID!) {{ {guesses} }}");

    let (_, body) = app
        .post(&document, json!({ "id": activity.id }), Some(&guesser))
        .await;

    let refused_by_rule = (0..30)
        .filter(|i| body["data"][format!("g{i}")]["errors"][0]["code"] == "INVALID_CODE")
        .count();
    assert!(
        refused_by_rule <= 5,
        "only five guesses were judged: {body}"
    );
    let (status, _) = try_code(app, &activity, &guesser, &code).await;
    assert_eq!(status, 429);
}

async fn many_accounts_guessing_one_activity_are_throttled_together(app: &TestApp) {
    let activity = home_visits(app).await;
    let mut guessers = Vec::new();
    for i in 0..15 {
        guessers.push(signed_up(app, &activity, &format!("guesser{i}@example.cn")).await);
    }
    let honest = signed_up(app, &activity, "honest@example.cn").await;
    app.activity_begins(&activity);
    let code = app.check_in_code(&activity).await;

    let mut n = 0;
    for guesser in &guessers {
        for _ in 0..4 {
            try_code(app, &activity, guesser, &wrong(&code, n)).await;
            n += 1;
        }
    }
    let (status, body) = try_code(app, &activity, &honest, &code).await;

    assert_eq!(
        status, 429,
        "60 wrong codes on one activity pause it: {body}"
    );
}
