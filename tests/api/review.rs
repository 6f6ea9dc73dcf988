//! The review queue: each rule opens a case for the pattern built through the API, and not for
//! a near miss; runs are incremental and idempotent, one case however many instances run at
//! once; only staff read and close cases, once, with a reason.

use serde_json::{Value, json};

use crate::support::rewards::Merchant;
use crate::support::{
    SWEEP_ON_DEMAND, TestApp, accepted, both_engines, text_at, unique_email, user_error,
    user_error_field,
};

const CASES: &str = r"
    query ($status: ReviewCaseStatus) {
        reviewCases(status: $status, first: 50) {
            totalCount
            nodes {
                id rule explanation evidence subjectKind subjectId status decision
                heldPoints transferIds userIds
            }
        }
    }
";

const CLOSE: &str = r"
    mutation ($input: CloseReviewCaseInput!) {
        closeReviewCase(input: $input) {
            case { id status decision heldPoints }
            errors { code field }
        }
    }
";

/// Thresholds low enough to build each pattern with a few residents, and sign-ins that carry
/// the client address a proxy on loopback forwards.
const REVIEW: [(&str, &str); 5] = [
    ("LINLI_SWEEP_INTERVAL_SECS", "3600"),
    ("LINLI_TRUSTED_PROXIES", "127.0.0.1/32"),
    ("LINLI_REVIEW_ADDRESS_ACCOUNTS", "3"),
    ("LINLI_REVIEW_MERCHANT_FACTOR", "3"),
    ("LINLI_REVIEW_MERCHANT_MIN", "3"),
];

/// Runs the rules once, as the sweeper does, after what the test did has settled: cases
/// opened.
async fn run_rules(app: &TestApp) -> usize {
    app.minutes_pass(2);
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
/// hand checking in for all of them does) and verified: the activity, and the residents.
async fn attended_together(app: &TestApp, n: usize) -> (String, Vec<String>) {
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
    (activity.id, residents)
}

both_engines!(with SWEEP_ON_DEMAND:
    five_check_ins_at_the_same_second_open_a_case_and_four_do_not,
    points_donated_around_a_loop_open_a_case_and_a_chain_does_not,
    instances_running_the_rules_at_once_open_one_case,
    staff_close_a_case_once_with_a_reason,
    a_held_case_stops_spending_and_clearing_it_gives_the_points_back,
    acting_on_a_case_reverses_its_points_and_suspends_its_residents,
    service_counted_twice_opens_a_case_and_a_short_overlap_does_not,
);

both_engines!(with REVIEW:
    more_accounts_than_allowed_from_one_address_open_a_case,
    a_merchant_confirming_far_above_its_median_opens_a_case,
    joining_a_shop_after_redeeming_there_opens_a_case,
);

async fn five_check_ins_at_the_same_second_open_a_case_and_four_do_not(app: &TestApp) {
    attended_together(app, 4).await;
    assert_eq!(run_rules(app).await, 0, "four is below the threshold");

    let (activity, _) = attended_together(app, 5).await;

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
    let staff = app.staff().await;
    let contradictory = json!({ "input": {
        "caseId": case, "outcome": "CLEARED", "reason": "无异常", "reverse": true
    } });
    let refused = app.ok(CLOSE, contradictory, Some(&staff)).await;
    assert_eq!(user_error(&refused, "closeReviewCase"), "INVALID_INPUT");
    assert_eq!(
        user_error_field(&refused, "closeReviewCase"),
        "input.reverse"
    );

    assert_eq!(
        app.top_level_code(CASES, json!({}), Some(&resident)).await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.top_level_code(CLOSE, close("不是工作人员"), Some(&resident))
            .await,
        "FORBIDDEN"
    );
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

/// A reward of `points` at a new shop, and the shop.
async fn shop_with_reward(app: &TestApp, shop: &str, points: i64) -> (Merchant, String) {
    let merchant = app.merchant_named(shop).await;
    let reward = app.reward(&merchant).points_price(points).await;
    (merchant, reward)
}

/// `resident` redeems `reward` and `merchant`'s operator confirms it at the counter.
async fn redeemed_at(app: &TestApp, merchant: &Merchant, reward: &str, resident: &str, key: &str) {
    let redemption = app.redemption(resident, reward, key).await;
    let confirmed = app.confirm(merchant, &text_at(&redemption, "/code")).await;
    accepted(&confirmed, "confirmRedemption");
}

async fn a_held_case_stops_spending_and_clearing_it_gives_the_points_back(app: &TestApp) {
    let (_, residents) = attended_together(app, 5).await;
    let earned = app.balance(&residents[0]).await;
    assert!(earned > 0, "an hour at 10 points an hour: {earned}");
    let (_, reward) = shop_with_reward(app, "建设路理发店", earned).await;

    assert_eq!(run_rules(app).await, 1);
    let case = &open_cases(app).await[0];
    assert_eq!(case["heldPoints"], 5 * earned, "{case}");
    assert_eq!(case["transferIds"].as_array().unwrap().len(), 5);
    assert_eq!(app.balance(&residents[0]).await, 0, "held from the wallet");
    let refused = app.redeem(&residents[0], &reward, "held-redeem-1").await;
    assert_eq!(user_error(&refused, "redeemReward"), "INSUFFICIENT_POINTS");
    app.assert_ledger_ok().await;

    let staff = app.staff().await;
    let cleared = app
        .ok(
            CLOSE,
            json!({ "input": { "caseId": case["id"], "outcome": "CLEARED", "reason": "一家人一起到场" } }),
            Some(&staff),
        )
        .await;

    assert_eq!(
        accepted(&cleared, "closeReviewCase")["case"]["heldPoints"],
        0
    );
    assert_eq!(app.balance(&residents[0]).await, earned, "released");
    app.redemption(&residents[0], &reward, "held-redeem-2")
        .await;
    app.assert_ledger_ok().await;
}

async fn acting_on_a_case_reverses_its_points_and_suspends_its_residents(app: &TestApp) {
    let (_, residents) = attended_together(app, 5).await;
    let (_, reward) = shop_with_reward(app, "二仙桥理发店", 10).await;
    run_rules(app).await;
    let case = open_cases(app).await[0]["id"].clone();
    let staff = app.staff().await;

    let acted = app
        .ok(
            CLOSE,
            json!({ "input": {
                "caseId": case, "outcome": "ACTED", "reason": "组织者承认代签",
                "reverse": true, "suspend": true
            } }),
            Some(&staff),
        )
        .await;

    let closed = &accepted(&acted, "closeReviewCase")["case"];
    assert_eq!(closed["status"], "ACTED");
    assert_eq!(closed["heldPoints"], 0);
    for resident in &residents {
        assert_eq!(app.balance(resident).await, 0, "the earnings were reversed");
    }
    let refused = app.redeem(&residents[1], &reward, "after-acting-1").await;
    assert_eq!(user_error(&refused, "redeemReward"), "ACCOUNT_SUSPENDED");
    app.assert_ledger_ok().await;
}

/// `resident` attends `first` from its start for `first_minutes`, and `second` (which starts an
/// hour after `first`) from its start for an hour: the minutes overlap by `first_minutes` − 60.
async fn served_twice(app: &TestApp, name: &str, first_minutes: u64) -> String {
    let resident = app.named_resident(name).await;
    let a = app
        .organiser_named(&format!("{name}的第一支服务队"), 500)
        .await;
    let b = app
        .organiser_named(&format!("{name}的第二支服务队"), 500)
        .await;
    let first = app.activity(&a).await;
    let second = app.activity(&b).starting_in_hours(3).await;
    accepted(&app.sign_up(&first, &resident).await, "signUpForActivity");
    accepted(&app.sign_up(&second, &resident).await, "signUpForActivity");
    app.activity_begins(&first);
    app.check_in(&first, &resident).await;
    app.activity_begins(&second);
    app.check_in(&second, &resident).await;
    app.minutes_pass(first_minutes - 60);
    app.check_out(&first, &resident).await;
    app.minutes_pass(60 - (first_minutes - 60));
    app.check_out(&second, &resident).await;
    app.verify_all(&first, &a.verifier).await;
    app.verify_all(&second, &b.verifier).await;
    resident
}

async fn service_counted_twice_opens_a_case_and_a_short_overlap_does_not(app: &TestApp) {
    served_twice(app, "赵六", 80).await;
    assert_eq!(run_rules(app).await, 0, "20 minutes overlap, below 30");

    served_twice(app, "钱七", 100).await;

    assert_eq!(run_rules(app).await, 1);
    let case = &open_cases(app).await[0];
    assert_eq!(case["rule"], "OVERLAPPING_MINUTES");
    assert_eq!(case["subjectKind"], "user");
    assert!(
        text_at(case, "/explanation").contains("钱七")
            && text_at(case, "/explanation").contains("重叠 40 分钟"),
        "{case}"
    );
    assert_eq!(case["transferIds"].as_array().unwrap().len(), 1);
    assert!(case["heldPoints"].as_i64().unwrap() > 0, "{case}");
    app.assert_ledger_ok().await;
}

async fn more_accounts_than_allowed_from_one_address_open_a_case(app: &TestApp) {
    for (address, accounts) in [("203.0.113.10", 3), ("203.0.113.11", 4)] {
        for _ in 0..accounts {
            let email = unique_email("same-phone");
            app.resident(&email).await;
            app.sign_in_from(&email, address).await;
        }
    }

    assert_eq!(run_rules(app).await, 1, "3 accounts are allowed, 4 are not");
    let case = &open_cases(app).await[0];
    assert_eq!(case["rule"], "ACCOUNTS_PER_ADDRESS");
    assert_eq!(case["subjectId"], "203.0.113.11");
    assert_eq!(case["userIds"].as_array().unwrap().len(), 4);
    assert_eq!(case["heldPoints"], 0, "this rule holds nothing");
    assert_eq!(run_rules(app).await, 0);
}

async fn a_merchant_confirming_far_above_its_median_opens_a_case(app: &TestApp) {
    let (usual, usual_reward) = shop_with_reward(app, "和美社区便利店", 10).await;
    let (surging, surging_reward) = shop_with_reward(app, "猛追湾水果店", 10).await;
    for i in 0..2 {
        let resident = app.funded_resident(100).await;
        redeemed_at(
            app,
            &usual,
            &usual_reward,
            &resident,
            &format!("usual-shop-{i}"),
        )
        .await;
    }
    for i in 0..3 {
        let resident = app.funded_resident(100).await;
        redeemed_at(
            app,
            &surging,
            &surging_reward,
            &resident,
            &format!("surge-shop-{i}"),
        )
        .await;
    }

    assert_eq!(run_rules(app).await, 1, "2 is below the minimum of 3");
    let case = &open_cases(app).await[0];
    assert_eq!(case["rule"], "MERCHANT_SURGE");
    assert_eq!(case["subjectKind"], "merchant");
    assert_eq!(case["subjectId"], surging.id.as_str());
    assert_eq!(case["evidence"].as_array().unwrap().len(), 3);
    assert!(
        text_at(case, "/explanation").contains("核销 3 笔"),
        "{case}"
    );
}

async fn joining_a_shop_after_redeeming_there_opens_a_case(app: &TestApp) {
    let (shop, reward) = shop_with_reward(app, "建设路面馆", 10).await;
    let (elsewhere, elsewhere_reward) = shop_with_reward(app, "二仙桥面馆", 10).await;
    let joins = |email: String| {
        let shop = &shop;
        async move {
            let added = app
                .add_member(&shop.operator, &shop.organisation, &email, "MEMBER")
                .await;
            accepted(&added, "addOrganisationMember");
        }
    };
    let insider = unique_email("insider");
    let token = app.resident(&insider).await;
    app.fund(&token, 100).await;
    redeemed_at(app, &shop, &reward, &token, "insider-redeem").await;
    let bystander = unique_email("bystander");
    let token = app.resident(&bystander).await;
    app.fund(&token, 100).await;
    redeemed_at(
        app,
        &elsewhere,
        &elsewhere_reward,
        &token,
        "bystander-redeem",
    )
    .await;
    joins(bystander).await;
    assert_eq!(
        run_rules(app).await,
        0,
        "they redeemed at another organisation's shop"
    );

    joins(insider).await;

    assert_eq!(run_rules(app).await, 1);
    let case = &open_cases(app).await[0];
    assert_eq!(case["rule"], "MEMBER_REDEMPTION");
    assert_eq!(case["subjectKind"], "user");
    assert!(
        text_at(case, "/explanation").contains("建设路面馆"),
        "{case}"
    );
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
