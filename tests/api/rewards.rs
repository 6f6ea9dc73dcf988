//! The business alliance: redeem, confirm, cancel, expire; stock and limits under races;
//! statements that match the ledger.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::rewards::{CONFIRM_REDEMPTION, MERCHANT_STATEMENT, Merchant};
use crate::support::{
    TestApp, accepted, both_engines, tally, text_at, texts_at, top_level_error, user_error,
};

const CANCEL_REDEMPTION: &str = r"
    mutation ($id: ID!) {
        cancelRedemption(input: { redemptionId: $id }) {
            redemption { status }
            errors { code }
        }
    }
";

const MY_REDEMPTIONS: &str = r"
    {
        myRedemptions { totalCount edges { node { status code } } }
    }
";

const DISTRICT_OVERVIEW: &str = r"
    query ($month: String!) {
        districtOverview(month: $month) {
            totalPoints
            topMerchants { merchant { shopName } points }
        }
    }
";

/// 和美理发店 offers 长者理发一次 for 30 points, 5 in stock, 2 per resident a period; a
/// resident holds 100 points.
struct Offer {
    merchant: Merchant,
    reward: String,
    resident: String,
}

async fn a_haircut_offer(app: &TestApp) -> Offer {
    let merchant = app.merchant().await;
    let reward = app
        .reward(&merchant)
        .points_price(30)
        .stock(5)
        .limit_per_period(2)
        .await;
    let resident = app.funded_resident(100).await;
    Offer {
        merchant,
        reward,
        resident,
    }
}

impl Offer {
    /// The resident redeems the haircut with `key`: the redemption.
    async fn redeemed(&self, app: &TestApp, key: &str) -> Value {
        app.redemption(&self.resident, &self.reward, key).await
    }

    /// The resident redeems the haircut and the barber confirms the code.
    async fn confirmed(&self, app: &TestApp, key: &str) {
        let redemption = self.redeemed(app, key).await;
        let confirmed = app
            .confirm(&self.merchant, &text_at(&redemption, "/code"))
            .await;
        accepted(&confirmed, "confirmRedemption");
    }

    /// The resident redeems the haircut and cancels.
    async fn cancelled(&self, app: &TestApp, key: &str) {
        let redemption = self.redeemed(app, key).await;
        accepted(&self.cancel(app, &redemption).await, "cancelRedemption");
    }

    /// The resident cancels `redemption`; returns the answer.
    async fn cancel(&self, app: &TestApp, redemption: &Value) -> Value {
        app.ok(
            CANCEL_REDEMPTION,
            json!({ "id": redemption["id"] }),
            Some(&self.resident),
        )
        .await
    }
}

/// The redemption codes are valid for thirty minutes.
const PAST_EXPIRY_MINUTES: u64 = 31;

both_engines!(
    an_applying_merchant_waits_for_admission,
    staff_admit_a_merchant_to_the_alliance,
);

async fn an_applying_merchant_waits_for_admission(app: &TestApp) {
    let operator = app.new_resident().await;
    let organisation = app.verified_organisation(&operator).await;

    let applied = app
        .apply_for_merchant(&operator, &organisation, "和美理发店")
        .await;

    let merchant = &accepted(&applied, "applyForMerchant")["merchant"];
    assert_eq!(merchant["status"], "PENDING");
}

async fn staff_admit_a_merchant_to_the_alliance(app: &TestApp) {
    let operator = app.new_resident().await;
    let organisation = app.verified_organisation(&operator).await;
    let applied = app
        .apply_for_merchant(&operator, &organisation, "和美理发店")
        .await;

    let admitted = app
        .admit_merchant(&text_at(&applied, "/applyForMerchant/merchant/id"))
        .await;

    assert_eq!(admitted["reviewMerchant"]["merchant"]["status"], "ACTIVE");
}

both_engines!(
    redeeming_holds_the_points_takes_stock_and_issues_a_code,
    a_replayed_redemption_returns_the_same_redemption,
    a_replay_gets_its_first_answer_after_the_limit_is_reached_and_the_reward_paused,
    a_code_is_refused_at_another_merchant,
    an_operator_cannot_confirm_at_a_merchant_they_do_not_run,
    the_merchant_confirms_a_code_whatever_its_case,
    a_confirmed_redemption_cannot_be_confirmed_again,
    a_confirmed_redemption_cannot_be_cancelled,
    confirming_turns_the_held_points_into_redeemed_points,
    cancelling_gives_back_the_points_and_the_stock,
    the_limit_per_period_counts_pending_and_confirmed_redemptions_but_not_cancelled_ones,
    an_expired_code_is_refused_at_the_counter,
    the_sweep_gives_back_the_points_and_the_stock_of_expired_redemptions,
    a_resident_lists_their_redemptions_newest_first_without_finished_codes,
);

async fn redeeming_holds_the_points_takes_stock_and_issues_a_code(app: &TestApp) {
    let offer = a_haircut_offer(app).await;

    let redeemed = app
        .redeem(&offer.resident, &offer.reward, "redeem-0001")
        .await;

    let redemption = &accepted(&redeemed, "redeemReward")["redemption"];
    assert_eq!(redemption["status"], "PENDING");
    assert!(text_at(redemption, "/qrSvg").contains("<svg"));
    assert!(redemption["code"].is_string(), "{redemption}");
    assert_eq!(app.balance(&offer.resident).await, 70);
    assert_eq!(app.stock(&offer.reward).await, 4);
    assert_eq!(app.ledger_totals().await["held"], 30);
}

async fn a_replayed_redemption_returns_the_same_redemption(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let first = app
        .redeem(&offer.resident, &offer.reward, "redeem-0001")
        .await;

    let replay = app
        .redeem(&offer.resident, &offer.reward, "redeem-0001")
        .await;

    assert_eq!(replay, first, "a replay returns the same redemption");
    assert_eq!(app.balance(&offer.resident).await, 70);
}

async fn a_replay_gets_its_first_answer_after_the_limit_is_reached_and_the_reward_paused(
    app: &TestApp,
) {
    let offer = a_haircut_offer(app).await;
    let first = app
        .redeem(&offer.resident, &offer.reward, "redeem-0001")
        .await;
    app.redemption(&offer.resident, &offer.reward, "redeem-0002")
        .await;
    // Two of two this period: a new request is refused, the first one sent again is not.
    let third = app
        .redeem(&offer.resident, &offer.reward, "redeem-0003")
        .await;
    assert_eq!(
        user_error(&third, "redeemReward"),
        "REDEMPTION_LIMIT_REACHED"
    );
    assert_eq!(
        app.redeem(&offer.resident, &offer.reward, "redeem-0001")
            .await,
        first
    );

    let paused = app
        .ok(
            SET_REWARD_STATUS,
            json!({ "id": offer.reward, "status": "PAUSED" }),
            Some(&offer.merchant.operator),
        )
        .await;
    assert_eq!(
        accepted(&paused, "setRewardStatus")["reward"]["status"],
        "PAUSED"
    );
    assert_eq!(
        app.redeem(&offer.resident, &offer.reward, "redeem-0001")
            .await,
        first,
        "a replay answers as the first time"
    );
    assert_eq!(app.balance(&offer.resident).await, 40);
    assert_eq!(app.stock(&offer.reward).await, 3);
}

async fn a_code_is_refused_at_another_merchant(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let other = app.merchant_named("致强便民维修").await;
    let code = text_at(&offer.redeemed(app, "redeem-0001").await, "/code");

    let wrong = app.confirm(&other, &code).await;

    assert_eq!(
        user_error(&wrong, "confirmRedemption"),
        "INVALID_REDEMPTION_CODE"
    );
}

async fn an_operator_cannot_confirm_at_a_merchant_they_do_not_run(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let other = app.merchant_named("致强便民维修").await;
    let code = text_at(&offer.redeemed(app, "redeem-0001").await, "/code");

    let refused = app
        .top_level_code(
            CONFIRM_REDEMPTION,
            json!({ "merchant": offer.merchant.id, "code": code }),
            Some(&other.operator),
        )
        .await;

    assert_eq!(refused, "FORBIDDEN");
}

async fn the_merchant_confirms_a_code_whatever_its_case(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let code = text_at(&offer.redeemed(app, "redeem-0001").await, "/code");

    let confirmed = app.confirm(&offer.merchant, &code.to_lowercase()).await;

    assert_eq!(
        confirmed["confirmRedemption"]["redemption"]["status"],
        "CONFIRMED"
    );
}

async fn a_confirmed_redemption_cannot_be_confirmed_again(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let code = text_at(&offer.redeemed(app, "redeem-0001").await, "/code");
    app.confirm(&offer.merchant, &code).await;

    let twice = app.confirm(&offer.merchant, &code).await;

    assert_eq!(
        user_error(&twice, "confirmRedemption"),
        "REDEMPTION_FINISHED"
    );
}

async fn a_confirmed_redemption_cannot_be_cancelled(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let redemption = offer.redeemed(app, "redeem-0001").await;
    app.confirm(&offer.merchant, &text_at(&redemption, "/code"))
        .await;

    let late_cancel = offer.cancel(app, &redemption).await;

    assert_eq!(
        user_error(&late_cancel, "cancelRedemption"),
        "REDEMPTION_FINISHED"
    );
}

async fn confirming_turns_the_held_points_into_redeemed_points(app: &TestApp) {
    let offer = a_haircut_offer(app).await;

    offer.confirmed(app, "redeem-0001").await;

    let totals = app.ledger_totals().await;
    assert_eq!(
        (totals["held"].as_i64(), totals["redeemed"].as_i64()),
        (Some(0), Some(30))
    );
}

async fn cancelling_gives_back_the_points_and_the_stock(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let redemption = offer.redeemed(app, "redeem-0001").await;
    assert_eq!(app.balance(&offer.resident).await, 70);

    let cancelled = offer.cancel(app, &redemption).await;

    assert_eq!(
        cancelled["cancelRedemption"]["redemption"]["status"],
        "CANCELLED"
    );
    assert_eq!(app.balance(&offer.resident).await, 100);
    assert_eq!(app.stock(&offer.reward).await, 5);
}

async fn the_limit_per_period_counts_pending_and_confirmed_redemptions_but_not_cancelled_ones(
    app: &TestApp,
) {
    let offer = a_haircut_offer(app).await;
    offer.confirmed(app, "redeem-0001").await;
    offer.cancelled(app, "redeem-0002").await;
    offer.redeemed(app, "redeem-0003").await;

    let over = app
        .redeem(&offer.resident, &offer.reward, "redeem-0004")
        .await;

    assert_eq!(
        user_error(&over, "redeemReward"),
        "REDEMPTION_LIMIT_REACHED"
    );
}

async fn an_expired_code_is_refused_at_the_counter(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let code = text_at(&offer.redeemed(app, "redeem-0001").await, "/code");
    app.minutes_pass(PAST_EXPIRY_MINUTES);

    let expired = app.confirm(&offer.merchant, &code).await;

    assert_eq!(
        user_error(&expired, "confirmRedemption"),
        "REDEMPTION_EXPIRED"
    );
}

async fn the_sweep_gives_back_the_points_and_the_stock_of_expired_redemptions(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    offer.redeemed(app, "redeem-0001").await;
    app.minutes_pass(PAST_EXPIRY_MINUTES);

    let swept = tokio::task::block_in_place(|| app.services.rewards().expire_due().unwrap());

    assert_eq!(swept, 1);
    assert_eq!(app.balance(&offer.resident).await, 100);
    assert_eq!(app.stock(&offer.reward).await, 5);
}

async fn a_resident_lists_their_redemptions_newest_first_without_finished_codes(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    offer.confirmed(app, "redeem-0001").await;
    offer.cancelled(app, "redeem-0002").await;
    offer.redeemed(app, "redeem-0003").await;
    app.minutes_pass(PAST_EXPIRY_MINUTES);
    tokio::task::block_in_place(|| app.services.rewards().expire_due().unwrap());

    let mine = app
        .ok(MY_REDEMPTIONS, json!({}), Some(&offer.resident))
        .await;

    let edges = &mine["myRedemptions"]["edges"];
    assert_eq!(
        texts_at(edges, "/node/status"),
        ["EXPIRED", "CANCELLED", "CONFIRMED"]
    );
    assert!(
        edges[0]["node"]["code"].is_null(),
        "finished codes are not shown"
    );
}

both_engines!(
    the_monthly_statement_matches_the_confirmed_redemptions_in_graphql_and_csv,
    another_merchants_operator_gets_no_statement_and_no_link,
    a_statement_link_opens_its_own_statement_only,
    the_district_overview_ranks_merchants_by_points,
);

/// GETs `url` (a path on the server) as a plain link, with no bearer: the status and the body.
async fn download(app: &TestApp, url: &str) -> (u16, String) {
    let response = app
        .client
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn the_monthly_statement_matches_the_confirmed_redemptions_in_graphql_and_csv(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let redemption = offer.redeemed(app, "redeem-0001").await;
    let confirmed = app
        .confirm(&offer.merchant, &text_at(&redemption, "/code"))
        .await;
    accepted(&confirmed, "confirmRedemption");
    offer.cancelled(app, "redeem-0002").await;

    let statement = app.statement(&offer.merchant).await;
    let (status, csv) = download(app, &text_at(&statement, "/csvUrl")).await;

    assert_eq!(
        (
            statement["totalPoints"].as_i64(),
            statement["redemptions"].as_i64()
        ),
        (Some(30), Some(1))
    );
    assert_eq!(status, 200);
    assert!(csv.starts_with('\u{feff}'), "UTF-8 with BOM");
    let line = format!("{},", text_at(&redemption, "/id"));
    assert!(csv.contains(&line), "the API's own redemption id: {csv}");
    assert!(csv.contains(",长者理发一次,30\r\n"), "{csv}");
    assert!(csv.contains("合计,,1 笔,30"), "{csv}");
}

async fn another_merchants_operator_gets_no_statement_and_no_link(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let other = app.merchant_named("致强便民维修").await;
    offer.confirmed(app, "redeem-0001").await;

    let (_, body) = app
        .post(
            MERCHANT_STATEMENT,
            json!({ "merchant": offer.merchant.id, "month": app.this_month() }),
            Some(&other.operator),
        )
        .await;

    assert_eq!(top_level_error(&body), "FORBIDDEN");
    assert!(body["data"]["merchantStatement"].is_null(), "{body}");
}

async fn a_statement_link_opens_its_own_statement_only(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let other = app.merchant_named("致强便民维修").await;
    offer.confirmed(app, "redeem-0001").await;
    let url = text_at(&app.statement(&offer.merchant).await, "/csvUrl");
    let (path, token) = url.split_once("?token=").unwrap();
    let other_path = format!("/statements/{}/{}.csv", other.id, app.this_month());

    let elsewhere = download(app, &format!("{other_path}?token={token}")).await;
    let forged = download(app, &format!("{path}?token={token}x")).await;
    let bare = download(app, path).await;

    for (status, body) in [elsewhere, forged, bare] {
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("UNAUTHENTICATED"), "{body}");
    }
}

async fn the_district_overview_ranks_merchants_by_points(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    app.merchant_named("致强便民维修").await;
    offer.confirmed(app, "redeem-0001").await;

    let overview = app
        .ok(
            DISTRICT_OVERVIEW,
            json!({ "month": app.this_month() }),
            Some(&app.staff().await),
        )
        .await;

    let overview = &overview["districtOverview"];
    assert_eq!(
        overview["topMerchants"][0]["merchant"]["shopName"],
        "和美理发店"
    );
    assert_eq!(overview["totalPoints"], 30);
}

both_engines!(
    stock_is_never_oversold,
    the_per_resident_limit_holds_under_a_race,
);

async fn stock_is_never_oversold(app: &TestApp) {
    let merchant = app.merchant_named("双桥子长者食堂").await;
    let reward = app.reward(&merchant).points_price(20).stock(10).await;
    let diners = app.residents(100).await;
    app.concurrently(100, |i| app.fund(&diners[i], 50)).await;
    let keys: Vec<String> = (0..100).map(|i| format!("lunch-{i:03}-key")).collect();

    let answers = app
        .concurrently(100, |i| app.redeem(&diners[i], &reward, &keys[i]))
        .await;

    assert_eq!(
        tally(&answers, "redeemReward"),
        BTreeMap::from([("OK", 10), ("OUT_OF_STOCK", 90)])
    );
    assert_eq!(app.stock(&reward).await, 0);
    assert_eq!(
        app.ledger_totals().await["held"],
        10 * 20,
        "no points held for the failures"
    );
}

async fn the_per_resident_limit_holds_under_a_race(app: &TestApp) {
    let merchant = app.merchant_named("猛追湾理发").await;
    let reward = app
        .reward(&merchant)
        .points_price(10)
        .limit_per_period(2)
        .await;
    let resident = app.funded_resident(1000).await;
    let keys: Vec<String> = (0..10).map(|i| format!("eager-{i:02}-key")).collect();

    let answers = app
        .concurrently(10, |i| app.redeem(&resident, &reward, &keys[i]))
        .await;

    assert_eq!(
        tally(&answers, "redeemReward"),
        BTreeMap::from([("OK", 2), ("REDEMPTION_LIMIT_REACHED", 8)])
    );
    assert_eq!(app.balance(&resident).await, 1000 - 20);
}

both_engines!(
    with [("LINLI_SWEEP_INTERVAL_SECS", "1")]:
    the_servers_sweeper_releases_expired_holds_by_itself
);

/// Nobody asks: the server's own sweeper, running every second here, releases the hold.
async fn the_servers_sweeper_releases_expired_holds_by_itself(app: &TestApp) {
    let merchant = app.merchant_named("建设路便民理发").await;
    let reward = app.reward(&merchant).points_price(25).stock(1).await;
    let resident = app.funded_resident(25).await;
    app.redemption(&resident, &reward, "sweep-0001").await;
    assert_eq!(app.balance(&resident).await, 0);

    app.minutes_pass(PAST_EXPIRY_MINUTES);

    let mut released = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if app.balance(&resident).await == 25 {
            released = true;
            break;
        }
    }
    assert!(released, "the hold was not released");
    assert_eq!(app.stock(&reward).await, 1);
}

both_engines!(
    ten_wrong_codes_lock_the_operator_out_even_for_the_right_code,
    the_lock_passes_after_ten_minutes_while_the_code_stays_valid,
);

/// The barber types ten wrong codes, each refused: the right one.
async fn ten_wrong_codes(app: &TestApp) -> (Merchant, String) {
    let merchant = app.merchant().await;
    let reward = app.reward(&merchant).points_price(10).await;
    let resident = app.funded_resident(100).await;
    let code = text_at(
        &app.redemption(&resident, &reward, "guess-0001").await,
        "/code",
    );
    for i in 0..10 {
        let wrong = app.confirm(&merchant, &format!("WRONG{i:03}")).await;
        assert_eq!(
            user_error(&wrong, "confirmRedemption"),
            "INVALID_REDEMPTION_CODE"
        );
    }
    (merchant, code)
}

async fn ten_wrong_codes_lock_the_operator_out_even_for_the_right_code(app: &TestApp) {
    let (merchant, code) = ten_wrong_codes(app).await;

    let (status, body) = app
        .post(
            CONFIRM_REDEMPTION,
            json!({ "merchant": merchant.id, "code": code }),
            Some(&merchant.operator),
        )
        .await;

    assert_eq!(status, 429, "{body}");
    assert_eq!(top_level_error(&body), "RATE_LIMITED");
}

/// The lock lasts ten minutes; the code itself is valid for thirty.
async fn the_lock_passes_after_ten_minutes_while_the_code_stays_valid(app: &TestApp) {
    let (merchant, code) = ten_wrong_codes(app).await;
    app.minutes_pass(11);

    let confirmed = app.confirm(&merchant, &code).await;

    assert_eq!(
        confirmed["confirmRedemption"]["redemption"]["status"],
        "CONFIRMED"
    );
}

const SET_REWARD_STATUS: &str = r"
    mutation ($id: ID!, $status: RewardStatus!) {
        setRewardStatus(input: { rewardId: $id, status: $status }) {
            reward { status }
            errors { code }
        }
    }
";

const ALL_REWARDS_OF: &str = r"
    query ($merchant: ID!) {
        node(id: $merchant) {
            ... on Merchant { allRewards(first: 10) { nodes { id status } } }
        }
    }
";

const ON_OFFER_AT: &str = r"
    query ($merchant: ID!) {
        rewards(filter: { merchantId: $merchant }) { totalCount }
    }
";

both_engines!(
    a_paused_reward_leaves_the_offers_but_stays_on_its_counter_to_be_resumed,
    only_the_shops_operators_and_staff_see_its_paused_rewards,
);

async fn a_paused_reward_leaves_the_offers_but_stays_on_its_counter_to_be_resumed(app: &TestApp) {
    let merchant = app.merchant().await;
    let reward = app.reward(&merchant).await;
    let of = json!({ "merchant": merchant.id });

    let paused = app
        .ok(
            SET_REWARD_STATUS,
            json!({ "id": reward, "status": "PAUSED" }),
            Some(&merchant.operator),
        )
        .await;

    assert_eq!(
        accepted(&paused, "setRewardStatus")["reward"]["status"],
        "PAUSED"
    );
    assert_eq!(
        app.ok(ON_OFFER_AT, of.clone(), None).await["rewards"]["totalCount"],
        0
    );
    let listed = app
        .ok(ALL_REWARDS_OF, of.clone(), Some(&merchant.operator))
        .await;
    let at_counter = &listed["node"]["allRewards"]["nodes"][0];
    assert_eq!(
        (&at_counter["id"], &at_counter["status"]),
        (&json!(reward), &json!("PAUSED"))
    );
    let resumed = app
        .ok(
            SET_REWARD_STATUS,
            json!({ "id": reward, "status": "ACTIVE" }),
            Some(&merchant.operator),
        )
        .await;
    assert_eq!(
        accepted(&resumed, "setRewardStatus")["reward"]["status"],
        "ACTIVE"
    );
    assert_eq!(
        app.ok(ON_OFFER_AT, of, None).await["rewards"]["totalCount"],
        1
    );
}

async fn only_the_shops_operators_and_staff_see_its_paused_rewards(app: &TestApp) {
    let merchant = app.merchant().await;
    app.reward(&merchant).await;
    let another_shop = app.merchant_named("下涧槽长者食堂").await;
    let staff = app.staff().await;
    let of = json!({ "merchant": merchant.id });

    for outsider in [app.new_resident().await, another_shop.operator] {
        let (_, refused) = app.post(ALL_REWARDS_OF, of.clone(), Some(&outsider)).await;
        assert_eq!(top_level_error(&refused), "FORBIDDEN", "{refused}");
    }
    let seen = app.ok(ALL_REWARDS_OF, of, Some(&staff)).await;
    assert_eq!(
        seen["node"]["allRewards"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

const RENEW_REDEMPTION: &str = r"
    mutation ($id: ID!) {
        renewRedemption(input: { redemptionId: $id }) {
            redemption { code expiresAt status points }
            errors { code }
        }
    }
";

both_engines!(
    a_renewed_redemption_has_a_fresh_code_and_more_time_and_moves_nothing,
    only_the_resident_renews_and_only_before_the_code_runs_out,
);

async fn a_renewed_redemption_has_a_fresh_code_and_more_time_and_moves_nothing(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let redemption = offer.redeemed(app, "redeem-0001").await;
    let old_code = text_at(&redemption, "/code");
    app.minutes_pass(25);
    let id = json!({ "id": redemption["id"] });

    let renewed = app.ok(RENEW_REDEMPTION, id, Some(&offer.resident)).await;

    let fresh = &accepted(&renewed, "renewRedemption")["redemption"];
    assert_ne!(text_at(fresh, "/code"), old_code);
    assert!(text_at(fresh, "/expiresAt") > text_at(&redemption, "/expiresAt"));
    assert_eq!(
        (
            app.balance(&offer.resident).await,
            app.stock(&offer.reward).await
        ),
        (70, json!(4))
    );
    app.minutes_pass(20);
    let refused = app.confirm(&offer.merchant, &old_code).await;
    assert_eq!(
        user_error(&refused, "confirmRedemption"),
        "INVALID_REDEMPTION_CODE"
    );
    accepted(
        &app.confirm(&offer.merchant, &text_at(fresh, "/code")).await,
        "confirmRedemption",
    );
}

async fn only_the_resident_renews_and_only_before_the_code_runs_out(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    let redemption = offer.redeemed(app, "redeem-0001").await;
    let id = json!({ "id": redemption["id"] });

    let (_, by_another) = app
        .post(
            RENEW_REDEMPTION,
            id.clone(),
            Some(&app.new_resident().await),
        )
        .await;
    app.minutes_pass(PAST_EXPIRY_MINUTES);
    let late = app.ok(RENEW_REDEMPTION, id, Some(&offer.resident)).await;

    assert_eq!(
        by_another["data"]["renewRedemption"]["errors"][0]["code"], "NOT_FOUND",
        "{by_another}"
    );
    assert_eq!(user_error(&late, "renewRedemption"), "REDEMPTION_FINISHED");
}

const CONFIRMED_TODAY: &str = r"
    query ($merchant: ID!) {
        node(id: $merchant) { ... on Merchant { confirmedToday { totalCount } } }
    }
";

both_engines!(the_counter_counts_todays_confirmations_by_the_day_in_chengdu);

async fn the_counter_counts_todays_confirmations_by_the_day_in_chengdu(app: &TestApp) {
    let offer = a_haircut_offer(app).await;
    offer.confirmed(app, "redeem-0001").await;
    let of = json!({ "merchant": offer.merchant.id });
    let today = |data: Value| data["node"]["confirmedToday"]["totalCount"].clone();

    let now = app
        .ok(CONFIRMED_TODAY, of.clone(), Some(&offer.merchant.operator))
        .await;
    app.days_pass(1);
    let tomorrow = app
        .ok(CONFIRMED_TODAY, of, Some(&offer.merchant.operator))
        .await;

    assert_eq!((today(now), today(tomorrow)), (json!(1), json!(0)));
}
