//! Guessing the rotating check-in code from afar: wrong codes are throttled per sign-up and
//! per activity, a sign-up is locked after ten, and the organiser sees every refused attempt.

use serde_json::json;

use super::fixtures::{
    CHECK_IN, Runner, activity, allocate, check_in_code, sign_up, start, user_error,
    verified_organisation,
};
use crate::support::{TestApp, both_engines};

const SHEET: &str = r#"
query($id: ID!) {
  node(id: $id) {
    ... on Activity { attendanceSheet { displayName refusedCodes checkInLockedAt checkedInAt } }
  }
}"#;

/// A wrong code: one that is not this minute's or the last.
fn wrong(code: &str, i: u32) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 500_000 + i) % 1_000_000)
}

struct Scene {
    organiser: String,
    activity: String,
}

async fn scene(app: &TestApp) -> Scene {
    let staff = app.staff("staff@example.cn").await;
    let organiser = app.resident("owner@example.cn").await;
    app.resident("checker@example.cn").await;
    let organisation = verified_organisation(
        app,
        &staff,
        &organiser,
        "猛追湾志愿服务队",
        &["checker@example.cn"],
    )
    .await;
    allocate(app, &staff, &organisation, 500, "budget-checkin-1").await;
    let activity = activity(app, &organiser, Runner::Organisation(&organisation), 10).await;
    Scene {
        organiser,
        activity,
    }
}

both_engines!(
    five_wrong_codes_pause_a_sign_up_and_the_right_code_then_waits,
    ten_wrong_codes_lock_a_sign_up_for_good,
    thirty_aliased_guesses_in_one_request_are_throttled_like_thirty_requests,
    many_accounts_guessing_one_activity_are_throttled_together,
);

async fn five_wrong_codes_pause_a_sign_up_and_the_right_code_then_waits(app: &TestApp) {
    let s = scene(app).await;
    let guesser = app.resident("guesser@example.cn").await;
    sign_up(app, &guesser, &s.activity).await;
    start(app);
    let code = check_in_code(app, &s.organiser, &s.activity).await;

    for i in 0..5 {
        let vars = json!({ "id": s.activity, "code": wrong(&code, i) });
        let data = app.ok(CHECK_IN, vars, Some(&guesser)).await;
        assert_eq!(
            user_error(&data, "checkIn").as_deref(),
            Some("INVALID_CODE")
        );
    }
    let vars = json!({ "id": s.activity, "code": code });
    let (status, body) = app.post(CHECK_IN, vars, Some(&guesser)).await;

    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    let sheet = app
        .ok(SHEET, json!({ "id": s.activity }), Some(&s.organiser))
        .await;
    let row = &sheet["node"]["attendanceSheet"][0];
    assert_eq!(
        row["refusedCodes"], 5,
        "the organiser sees the refused attempts"
    );
    assert!(row["checkedInAt"].is_null());
}

async fn ten_wrong_codes_lock_a_sign_up_for_good(app: &TestApp) {
    let s = scene(app).await;
    let guesser = app.resident("guesser@example.cn").await;
    sign_up(app, &guesser, &s.activity).await;
    start(app);
    let code = check_in_code(app, &s.organiser, &s.activity).await;

    for round in 0..2 {
        for i in 0..5 {
            let vars = json!({ "id": s.activity, "code": wrong(&code, round * 5 + i) });
            app.post(CHECK_IN, vars, Some(&guesser)).await;
        }
        // Wait out the short pause between the two rounds.
        app.services
            .clock
            .advance(std::time::Duration::from_secs(11 * 60));
    }
    let code = check_in_code(app, &s.organiser, &s.activity).await;
    let vars = json!({ "id": s.activity, "code": code });
    let data = app.ok(CHECK_IN, vars, Some(&guesser)).await;

    assert_eq!(
        user_error(&data, "checkIn").as_deref(),
        Some("CHECK_IN_LOCKED")
    );
    let sheet = app
        .ok(SHEET, json!({ "id": s.activity }), Some(&s.organiser))
        .await;
    let row = &sheet["node"]["attendanceSheet"][0];
    assert_eq!(row["refusedCodes"], 10);
    assert!(row["checkInLockedAt"].is_string(), "{row}");
}

async fn thirty_aliased_guesses_in_one_request_are_throttled_like_thirty_requests(app: &TestApp) {
    let s = scene(app).await;
    let guesser = app.resident("guesser@example.cn").await;
    sign_up(app, &guesser, &s.activity).await;
    start(app);
    let code = check_in_code(app, &s.organiser, &s.activity).await;
    let guesses: String = (0..30)
        .map(|i| {
            format!(
                "g{i}: checkIn(input: {{ activityId: $id, code: \"{}\" }}) {{ errors {{ code }} }} ",
                wrong(&code, i)
            )
        })
        .collect();
    let document = format!("mutation($id: ID!) {{ {guesses} }}");

    let (_, body) = app
        .post(&document, json!({ "id": s.activity }), Some(&guesser))
        .await;

    let refused_by_rule = (0..30)
        .filter(|i| body["data"][format!("g{i}")]["errors"][0]["code"] == "INVALID_CODE")
        .count();
    assert!(
        refused_by_rule <= 5,
        "only five guesses were judged: {body}"
    );
    let vars = json!({ "id": s.activity, "code": code });
    let (status, _) = app.post(CHECK_IN, vars, Some(&guesser)).await;
    assert_eq!(status, 429);
}

async fn many_accounts_guessing_one_activity_are_throttled_together(app: &TestApp) {
    let s = scene(app).await;
    let mut guessers = Vec::new();
    for i in 0..15 {
        let guesser = app.resident(&format!("guesser{i}@example.cn")).await;
        sign_up(app, &guesser, &s.activity).await;
        guessers.push(guesser);
    }
    let honest = app.resident("honest@example.cn").await;
    sign_up(app, &honest, &s.activity).await;
    start(app);
    let code = check_in_code(app, &s.organiser, &s.activity).await;

    let mut n = 0;
    for guesser in &guessers {
        for _ in 0..4 {
            let vars = json!({ "id": s.activity, "code": wrong(&code, n) });
            app.post(CHECK_IN, vars, Some(guesser)).await;
            n += 1;
        }
    }
    let vars = json!({ "id": s.activity, "code": code });
    let (status, body) = app.post(CHECK_IN, vars, Some(&honest)).await;

    assert_eq!(
        status, 429,
        "60 wrong codes on one activity pause it: {body}"
    );
}
