//! The review queue: each rule opens a case for the pattern built through the API, and not for
//! a near miss; runs are incremental and idempotent, one case however many instances run at
//! once; only staff read and close cases, once, with a reason.

use serde_json::{Value, json};

use crate::support::{SWEEP_ON_DEMAND, TestApp, accepted, both_engines, text_at, user_error};

const CASES: &str = r"
    query ($status: ReviewCaseStatus) {
        reviewCases(status: $status, first: 50) {
            totalCount
            nodes { id rule explanation evidence subjectKind subjectId status decision }
        }
    }
";

const CLOSE: &str = r"
    mutation ($input: CloseReviewCaseInput!) {
        closeReviewCase(input: $input) { case { id status decision } errors { code } }
    }
";

/// Runs the rules once, as the sweeper does: cases opened.
async fn run_rules(app: &TestApp) -> usize {
    let services = app.services.clone();
    tokio::task::spawn_blocking(move || services.reviews().run().unwrap())
        .await
        .unwrap()
}

async fn open_cases(app: &TestApp) -> Vec<Value> {
    let staff = app.staff().await;
    let data = app.ok(CASES, json!({}), Some(&staff)).await;
    data["reviewCases"]["nodes"].as_array().unwrap().clone()
}

/// `n` residents sign up for one activity, are checked in and out at the same instant (as one
/// hand checking in for all of them does) and verified.
async fn attended_together(app: &TestApp, n: usize) -> String {
    let name = format!("建设路第{n}志愿服务队");
    let organiser = app.organiser_named(&name, 1000).await;
    let activity = app.activity(&organiser).await;
    let residents = app.residents(n).await;
    for resident in &residents {
        accepted(&app.sign_up(&activity, resident).await, "signUpForActivity");
    }
    // One hand checks everyone in, and an hour later out, each time in the same instant.
    app.activity_begins(&activity);
    let clock = &app.services.clock;
    let start = clock.now();
    clock.travel_to(Some(start));
    for resident in &residents {
        app.check_in(&activity, resident).await;
    }
    app.minutes_pass(60);
    clock.travel_to(Some(start + chrono::TimeDelta::minutes(60)));
    for resident in &residents {
        app.check_out(&activity, resident).await;
    }
    clock.travel_to(None);
    app.verify_all(&activity, &organiser.verifier).await;
    activity.id
}

both_engines!(with SWEEP_ON_DEMAND:
    five_check_ins_at_the_same_second_open_a_case_and_four_do_not,
    points_donated_around_a_loop_open_a_case_and_a_chain_does_not,
    instances_running_the_rules_at_once_open_one_case,
    staff_close_a_case_once_with_a_reason,
);

async fn five_check_ins_at_the_same_second_open_a_case_and_four_do_not(app: &TestApp) {
    attended_together(app, 4).await;
    assert_eq!(run_rules(app).await, 0, "four is below the threshold");

    let activity = attended_together(app, 5).await;

    assert_eq!(run_rules(app).await, 1);
    let cases = open_cases(app).await;
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case["rule"], "IDENTICAL_ATTENDANCE");
    assert_eq!(case["subjectKind"], "activity");
    assert_eq!(case["subjectId"], activity.as_str());
    assert!(
        text_at(case, "/explanation").contains("5 人的签到和签退时间完全相同"),
        "{case}"
    );
    assert_eq!(case["evidence"].as_array().unwrap().len(), 5);
    assert_eq!(run_rules(app).await, 0, "running again opens nothing new");
}

async fn points_donated_around_a_loop_open_a_case_and_a_chain_does_not(app: &TestApp) {
    let mut people = Vec::new();
    for _ in 0..4 {
        let token = app.funded_resident(100).await;
        let email = app.email_of(&token).await;
        people.push((token, email));
    }
    let give = |from: usize, to: usize, key: &str| {
        let (token, email) = (people[from].0.clone(), people[to].1.clone());
        let key = key.to_owned();
        async move { accepted(&app.donate(&token, &email, 40, &key).await, "donatePoints").clone() }
    };
    give(0, 1, "gift-a-to-b").await;
    give(1, 2, "gift-b-to-c").await;
    give(2, 3, "gift-c-to-d").await;
    assert_eq!(run_rules(app).await, 0, "a chain is no loop");

    give(2, 0, "gift-c-to-a").await;

    assert_eq!(run_rules(app).await, 1);
    let cases = open_cases(app).await;
    let case = &cases[0];
    assert_eq!(case["rule"], "TRANSFER_CYCLE");
    assert_eq!(case["subjectKind"], "account");
    assert!(
        text_at(case, "/explanation").starts_with("3 个账户之间积分循环转赠"),
        "{case}"
    );
    assert_eq!(case["evidence"].as_array().unwrap().len(), 3);
    assert_eq!(run_rules(app).await, 0);
    app.assert_ledger_ok().await;
}

async fn instances_running_the_rules_at_once_open_one_case(app: &TestApp) {
    // Started first: an instance's sweeper runs once as it starts, then hourly.
    let other = app.another_instance(&SWEEP_ON_DEMAND).await;
    attended_together(app, 6).await;

    let (a, b) = tokio::join!(run_rules(app), run_rules(&other));

    assert_eq!(a + b, 1);
    assert_eq!(open_cases(app).await.len(), 1);
}

async fn staff_close_a_case_once_with_a_reason(app: &TestApp) {
    attended_together(app, 5).await;
    run_rules(app).await;
    let case = open_cases(app).await[0]["id"].clone();
    let resident = app.new_resident().await;
    let close = |reason: &str| json!({ "input": { "caseId": case, "outcome": "CLEARED", "reason": reason } });

    assert_eq!(
        app.top_level_code(CASES, json!({}), Some(&resident)).await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.top_level_code(CLOSE, close("不是工作人员"), Some(&resident))
            .await,
        "FORBIDDEN"
    );
    let staff = app.staff().await;
    let closed = app
        .ok(
            CLOSE,
            close("同一家人一起到场，由组织者统一签到"),
            Some(&staff),
        )
        .await;

    let closed = &accepted(&closed, "closeReviewCase")["case"];
    assert_eq!(closed["status"], "CLEARED");
    assert!(open_cases(app).await.is_empty());
    let again = app.ok(CLOSE, close("再关一次"), Some(&staff)).await;
    assert_eq!(user_error(&again, "closeReviewCase"), "ALREADY_DECIDED");
    let cleared = app
        .ok(CASES, json!({ "status": "CLEARED" }), Some(&staff))
        .await;
    assert_eq!(cleared["reviewCases"]["totalCount"], 1);
    assert_eq!(run_rules(app).await, 0, "a closed finding is not reopened");
}

/// A staff member at a desk opens 异常复核, reads the case with its rows, and clears it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_staff_member_clears_a_case_on_the_console() {
    if !crate::browser::browser_available() {
        return;
    }
    let app = TestApp::spawn_with(crate::support::Engine::Sqlite, &SWEEP_ON_DEMAND).await;
    attended_together(&app, 5).await;
    run_rules(&app).await;
    let driver = crate::browser::Driver::start().await;
    let browser =
        crate::console::staff_console(&driver, &app, crate::browser::Screen::Console).await;

    browser.press("异常复核").await;
    browser.wait_for_text("5 人的签到和签退时间完全相同").await;
    browser.wait_for_text("邻居0").await;
    browser.check_screen("console-reviews", false).await;
    browser
        .fill("处理说明", "同一家人一起到场，由组织者统一签到")
        .await;
    browser.press("无异常，关闭").await;
    browser.wait_for_text("没有待复核的案件").await;

    assert!(open_cases(&app).await.is_empty());
    browser.close().await;
}
