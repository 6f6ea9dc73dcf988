//! Merchant settlement: a month of captures closes into one settlement per merchant, the
//! merchant's points move to the SETTLED account by a SETTLE transfer, a capture that comes
//! after the close settles in the next month, closing again changes nothing, and a closed
//! month's statement never changes. Staff approve (a second person) and record the payment;
//! merchants see their own settlements only.

use serde_json::{Value, json};

use crate::support::rewards::Merchant;
use crate::support::settlement::{
    APPROVE_SETTLEMENT, CLOSE_SETTLEMENTS, MARK_SETTLEMENT_PAID, MERCHANT_SETTLEMENTS, SETTLEMENTS,
    chengdu,
};
use crate::support::{
    TestApp, accepted, both_engines, text_at, texts_at, top_level_error, user_error,
};

/// A merchant with a reward of `price` points, and a resident with points to redeem it.
struct Shop {
    merchant: Merchant,
    reward: String,
    resident: String,
}

impl Shop {
    async fn open(app: &TestApp, name: &str, price: i64) -> Self {
        let merchant = app.merchant_named(name).await;
        let reward = app.reward(&merchant).points_price(price).await;
        let resident = app.funded_resident(500).await;
        Self {
            merchant,
            reward,
            resident,
        }
    }

    /// The resident redeems the reward with `key`: the pending redemption.
    async fn redeemed(&self, app: &TestApp, key: &str) -> Value {
        app.redemption(&self.resident, &self.reward, key).await
    }

    /// The operator confirms `redemption` at the counter.
    async fn confirm(&self, app: &TestApp, redemption: &Value) {
        let answer = app
            .confirm(&self.merchant, &text_at(redemption, "/code"))
            .await;
        accepted(&answer, "confirmRedemption");
    }

    /// The resident redeems the reward with `key` and the operator confirms it at once.
    async fn captured(&self, app: &TestApp, key: &str) {
        let redemption = self.redeemed(app, key).await;
        self.confirm(app, &redemption).await;
    }
}

/// Three shops with October captures of 30, 2 × 20 and 10 points, made in Chengdu's October.
async fn october_at_three_shops(app: &TestApp) -> [Shop; 3] {
    app.clock_at(chengdu(2026, 10, 15, 12, 0));
    let barber = Shop::open(app, "和美理发店", 30).await;
    let canteen = Shop::open(app, "长者食堂", 20).await;
    let repairs = Shop::open(app, "致强便民维修", 10).await;
    barber.captured(app, "october-barber-1").await;
    canteen.captured(app, "october-canteen-1").await;
    canteen.captured(app, "october-canteen-2").await;
    repairs.captured(app, "october-repairs-1").await;
    [barber, canteen, repairs]
}

/// `staff` approves the settlement `id`; returns the answer.
async fn approve(app: &TestApp, staff: &str, id: &str) -> Value {
    app.ok(APPROVE_SETTLEMENT, json!({ "id": id }), Some(staff))
        .await
}

/// `staff` records the payment of the settlement `id` under `reference`; returns the answer.
async fn pay(app: &TestApp, staff: &str, id: &str, reference: &str) -> Value {
    app.ok(
        MARK_SETTLEMENT_PAID,
        json!({ "id": id, "reference": reference }),
        Some(staff),
    )
    .await
}

/// Points of each merchant's settlement in `settlements` (an answer's `nodes`), by merchant.
fn points_of(settlements: &Value, shop: &Shop) -> Option<i64> {
    settlements["nodes"]
        .as_array()?
        .iter()
        .find(|s| s["merchant"]["id"] == shop.merchant.id.as_str())
        .and_then(|s| s["points"].as_i64())
}

async fn a_month_of_captures_at_three_merchants_closes_into_three_settlements(app: &TestApp) {
    let shops = october_at_three_shops(app).await;
    let staff = app.staff().await;
    app.clock_at(chengdu(2026, 11, 1, 0, 5));

    let closed = app.close_month(&staff, "2026-10").await;

    let answer = accepted(&closed, "closeSettlements");
    assert_eq!(
        (answer["closed"].as_i64(), answer["alreadyClosed"].as_i64()),
        (Some(3), Some(0))
    );
    let settlements = app.settlements(&staff, json!({ "month": "2026-10" })).await;
    assert_eq!(settlements["totalCount"], 3);
    let points: Vec<Option<i64>> = shops.iter().map(|s| points_of(&settlements, s)).collect();
    assert_eq!(points, [Some(30), Some(40), Some(10)]);
    for settlement in settlements["nodes"].as_array().unwrap() {
        assert_eq!(settlement["status"], "CLOSED");
        assert_eq!(settlement["transfer"]["code"], "SETTLE");
        assert_eq!(settlement["transfer"]["amount"], settlement["points"]);
        assert_eq!(
            settlement["pointValueFen"], 100,
            "the default: 1 yuan a point"
        );
        assert_eq!(settlement["rule"], "每积分 1.00 元");
        assert_eq!(
            settlement["amountFen"].as_i64(),
            settlement["points"].as_i64().map(|p| p * 100)
        );
    }
    let owed = app
        .settlement_totals(&staff, json!({ "month": "2026-10" }))
        .await;
    assert_eq!(
        (owed["points"].as_i64(), owed["owedFen"].as_i64()),
        (Some(80), Some(8_000))
    );
    assert_eq!(owed["owedYuan"], "80.00");
    let totals = app.ledger_totals().await;
    assert_eq!(
        (totals["redeemed"].as_i64(), totals["settled"].as_i64()),
        (Some(80), Some(80))
    );
    for shop in &shops {
        let statement = app.month_statement(&shop.merchant, "2026-10").await;
        assert_eq!(statement["settlement"]["points"], statement["totalPoints"]);
    }
}

/// A counter confirmation that started before midnight and committed after the close carries
/// an October time; it settles in November, and October's statement — in the API and byte for
/// byte in its CSV — stays what the close froze.
async fn a_late_capture_lands_in_the_next_month_and_the_closed_statement_is_unchanged(
    app: &TestApp,
) {
    app.clock_at(chengdu(2026, 10, 31, 23, 40));
    let shop = Shop::open(app, "和美理发店", 30).await;
    shop.captured(app, "october-on-time").await;
    let late = shop.redeemed(app, "october-late").await;
    let staff = app.staff().await;
    app.clock_at(chengdu(2026, 11, 1, 0, 1));
    accepted(
        &app.close_month(&staff, "2026-10").await,
        "closeSettlements",
    );
    let frozen = app.month_statement(&shop.merchant, "2026-10").await;
    let (_, csv_before) = app.download_bytes(&text_at(&frozen, "/csvUrl")).await;

    app.clock_at(chengdu(2026, 10, 31, 23, 59));
    shop.confirm(app, &late).await;
    app.clock_at(chengdu(2026, 11, 1, 0, 2));

    let october = app.month_statement(&shop.merchant, "2026-10").await;
    let (status, csv_after) = app.download_bytes(&text_at(&october, "/csvUrl")).await;
    let november = app.month_statement(&shop.merchant, "2026-11").await;
    assert_eq!(status, 200);
    assert_eq!(csv_after, csv_before, "a closed month's CSV never changes");
    assert_eq!(
        (
            october["totalPoints"].as_i64(),
            october["redemptions"].as_i64()
        ),
        (Some(30), Some(1))
    );
    assert_eq!(
        (
            november["totalPoints"].as_i64(),
            november["redemptions"].as_i64()
        ),
        (Some(30), Some(1)),
        "the late capture is November's"
    );
    assert!(november["settlement"].is_null(), "November is still open");

    app.clock_at(chengdu(2026, 12, 1, 0, 1));
    accepted(
        &app.close_month(&staff, "2026-11").await,
        "closeSettlements",
    );
    let settled = app.settlements(&staff, json!({ "month": "2026-11" })).await;
    assert_eq!(points_of(&settled, &shop), Some(30));
    let (_, csv_later) = app
        .download_bytes(&text_at(
            &app.month_statement(&shop.merchant, "2026-10").await,
            "/csvUrl",
        ))
        .await;
    assert_eq!(csv_later, csv_before);
}

const REVERSE_TRANSFER: &str = r"
    mutation ($input: ReverseTransferInput!) {
        reverseTransfer(input: $input) { transfer { id } errors { code } }
    }
";

const TILL: &str = r"
    query ($id: ID!) { node(id: $id) { ... on Merchant { account { id balance } } } }
";

/// A SETTLE is the record of a month the centre pays for: it is never reversed, and a later
/// correction of the merchant's till changes no closed statement.
async fn a_closed_month_survives_corrections_of_the_till(app: &TestApp) {
    let [barber, ..] = october_at_three_shops(app).await;
    let staff = app.staff().await;
    app.clock_at(chengdu(2026, 11, 1, 9, 0));
    accepted(
        &app.close_month(&staff, "2026-10").await,
        "closeSettlements",
    );
    let statement = app.month_statement(&barber.merchant, "2026-10").await;
    let (_, csv_before) = app.download_bytes(&text_at(&statement, "/csvUrl")).await;
    let settled = app
        .settlements(&staff, json!({ "merchantId": barber.merchant.id }))
        .await;
    let settle = text_at(&settled, "/nodes/0/transfer/id");
    let till = app
        .ok(TILL, json!({ "id": barber.merchant.id }), Some(&staff))
        .await;
    let till = text_at(&till, "/node/account/id");

    let reversal =
        json!({ "transferId": settle, "reason": "结算有误", "idempotencyKey": "reverse-settle-1" });
    let reversed = app
        .ok(REVERSE_TRANSFER, json!({ "input": reversal }), Some(&staff))
        .await;
    accepted(
        &app.adjust(&staff, &till, 50, "till-correction-1").await,
        "adjustBalance",
    );

    assert_eq!(user_error(&reversed, "reverseTransfer"), "NOT_REVERSIBLE");
    let after = app.month_statement(&barber.merchant, "2026-10").await;
    let (_, csv_after) = app.download_bytes(&text_at(&after, "/csvUrl")).await;
    assert_eq!(csv_after, csv_before);
    assert_eq!(after["totalPoints"], 30);
}

async fn a_second_close_changes_nothing(app: &TestApp) {
    let shops = october_at_three_shops(app).await;
    let staff = app.staff().await;
    app.clock_at(chengdu(2026, 11, 2, 9, 0));
    accepted(
        &app.close_month(&staff, "2026-10").await,
        "closeSettlements",
    );
    let first = app.settlements(&staff, json!({ "month": "2026-10" })).await;
    let totals_first = app.ledger_totals().await;

    let again = app.close_month(&staff, "2026-10").await;

    let answer = accepted(&again, "closeSettlements");
    assert_eq!(
        (answer["closed"].as_i64(), answer["alreadyClosed"].as_i64()),
        (Some(0), Some(3))
    );
    assert_eq!(
        app.settlements(&staff, json!({ "month": "2026-10" })).await,
        first
    );
    assert_eq!(app.ledger_totals().await, totals_first);
    for shop in &shops {
        let till = app.month_statement(&shop.merchant, "2026-10").await;
        assert!(till["settlement"]["id"].is_string());
    }
}

async fn two_staff_closing_the_same_month_at_once_make_one_settlement_per_merchant(app: &TestApp) {
    october_at_three_shops(app).await;
    let first = app.staff().await;
    let second = app.another_staff_member("second@example.cn").await;
    app.clock_at(chengdu(2026, 11, 1, 8, 0));

    let answers = app
        .concurrently(6, |i| {
            let staff = if i % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            async move { app.close_month(&staff, "2026-10").await }
        })
        .await;

    let made: i64 = answers
        .iter()
        .map(|a| accepted(a, "closeSettlements")["closed"].as_i64().unwrap())
        .sum();
    assert_eq!(made, 3, "{answers:?}");
    let settlements = app.settlements(&first, json!({ "month": "2026-10" })).await;
    assert_eq!(settlements["totalCount"], 3);
    assert_eq!(app.ledger_totals().await["settled"], 80);
}

async fn closing_a_month_that_has_not_ended_is_refused(app: &TestApp) {
    october_at_three_shops(app).await;
    app.clock_at(chengdu(2026, 10, 31, 23, 59));

    let early = app.close_month(&app.staff().await, "2026-10").await;

    assert_eq!(user_error(&early, "closeSettlements"), "MONTH_NOT_ENDED");
    assert_eq!(
        early["closeSettlements"]["errors"][0]["field"],
        json!(["input", "month"])
    );
    assert_eq!(app.ledger_totals().await["settled"], 0);
}

async fn a_second_staff_member_approves_and_the_payment_is_recorded_with_its_reference(
    app: &TestApp,
) {
    let [barber, ..] = october_at_three_shops(app).await;
    let closer = app.staff().await;
    let checker = app.another_staff_member("checker@example.cn").await;
    app.clock_at(chengdu(2026, 11, 3, 10, 0));
    accepted(
        &app.close_month(&closer, "2026-10").await,
        "closeSettlements",
    );
    let mine = app
        .settlements(
            &closer,
            json!({ "month": "2026-10", "merchantId": barber.merchant.id }),
        )
        .await;
    let id = text_at(&mine, "/nodes/0/id");

    let by_closer = approve(app, &closer, &id).await;
    let unapproved_payment = pay(app, &checker, &id, "ICBC-20261105-0001").await;
    let approved = approve(app, &checker, &id).await;
    let twice = approve(app, &checker, &id).await;
    let paid = pay(app, &closer, &id, "ICBC-20261105-0001").await;
    let retried = pay(app, &closer, &id, "ICBC-20261105-0001").await;
    let other_reference = pay(app, &closer, &id, "ICBC-20261105-0002").await;

    assert_eq!(
        user_error(&by_closer, "approveSettlement"),
        "SECOND_APPROVER_REQUIRED"
    );
    assert_eq!(
        user_error(&unapproved_payment, "markSettlementPaid"),
        "INVALID_STATE"
    );
    assert_eq!(
        accepted(&approved, "approveSettlement")["settlement"]["status"],
        "APPROVED"
    );
    assert_eq!(user_error(&twice, "approveSettlement"), "ALREADY_DECIDED");
    assert_eq!(
        accepted(&paid, "markSettlementPaid")["settlement"]["status"],
        "PAID"
    );
    assert_eq!(
        accepted(&retried, "markSettlementPaid")["settlement"]["paidReference"],
        "ICBC-20261105-0001"
    );
    assert_eq!(
        user_error(&other_reference, "markSettlementPaid"),
        "INVALID_STATE"
    );
    let owed = app
        .settlement_totals(&closer, json!({ "month": "2026-10" }))
        .await;
    assert_eq!(
        owed["owedFen"], 5_000,
        "the barber's 30 points are paid, 50 still owed"
    );
    let seen = app
        .ok(
            MERCHANT_SETTLEMENTS,
            json!({ "id": barber.merchant.id }),
            Some(&barber.merchant.operator),
        )
        .await;
    let statuses = texts_at(&seen["node"]["settlements"]["nodes"], "/status");
    assert_eq!(statuses, ["PAID"]);
}

async fn staff_never_settle_a_merchant_of_their_own_organisation(app: &TestApp) {
    let [barber, canteen, _] = october_at_three_shops(app).await;
    let insider = app.another_staff_member("insider@example.cn").await;
    let insider_email = app.email_of(&insider).await;
    app.add_member(
        &barber.merchant.operator,
        &barber.merchant.organisation,
        &insider_email,
        "MEMBER",
    )
    .await;
    app.clock_at(chengdu(2026, 11, 1, 9, 0));

    let closed = app.close_month(&insider, "2026-10").await;

    let answer = accepted(&closed, "closeSettlements");
    assert_eq!(answer["closed"], 2);
    assert_eq!(
        answer["refused"][0]["merchant"]["id"],
        barber.merchant.id.as_str()
    );
    assert_eq!(answer["refused"][0]["code"], "SELF_DEALING");
    let staff = app.staff().await;
    let by_other = app.close_month(&staff, "2026-10").await;
    assert_eq!(accepted(&by_other, "closeSettlements")["closed"], 1);
    let canteens = app
        .settlements(&staff, json!({ "merchantId": canteen.merchant.id }))
        .await;
    let id = text_at(&canteens, "/nodes/0/id");
    let barbers = app
        .settlements(&staff, json!({ "merchantId": barber.merchant.id }))
        .await;
    let own = text_at(&barbers, "/nodes/0/id");
    assert_eq!(
        user_error(&approve(app, &insider, &own).await, "approveSettlement"),
        "SELF_DEALING"
    );
    accepted(&approve(app, &staff, &id).await, "approveSettlement");
}

/// Residents, organisers and merchants' operators close, approve and pay nothing, and an
/// operator reads their own merchant's settlements only.
async fn settling_is_for_staff_and_an_operator_sees_only_their_own(app: &TestApp) {
    let [barber, canteen, _] = october_at_three_shops(app).await;
    let staff = app.staff().await;
    app.clock_at(chengdu(2026, 11, 1, 9, 0));
    accepted(
        &app.close_month(&staff, "2026-10").await,
        "closeSettlements",
    );
    let resident = app.new_resident().await;
    let organiser = app.new_resident().await;
    app.verified_organisation(&organiser).await;
    let operator = barber.merchant.operator.as_str();
    let theirs = app
        .settlements(&staff, json!({ "merchantId": canteen.merchant.id }))
        .await;
    let id = text_at(&theirs, "/nodes/0/id");

    for person in [resident.as_str(), organiser.as_str(), operator] {
        let (_, close) = app
            .post(
                CLOSE_SETTLEMENTS,
                json!({ "month": "2026-10" }),
                Some(person),
            )
            .await;
        assert_eq!(top_level_error(&close), "FORBIDDEN", "{close}");
        let (_, all) = app.post(SETTLEMENTS, json!({}), Some(person)).await;
        assert_eq!(top_level_error(&all), "FORBIDDEN", "{all}");
        let (_, approve) = app
            .post(APPROVE_SETTLEMENT, json!({ "id": id }), Some(person))
            .await;
        assert_eq!(top_level_error(&approve), "FORBIDDEN", "{approve}");
        let (_, pay) = app
            .post(
                MARK_SETTLEMENT_PAID,
                json!({ "id": id, "reference": "X-0001" }),
                Some(person),
            )
            .await;
        assert_eq!(top_level_error(&pay), "FORBIDDEN", "{pay}");
    }
    let (_, elsewhere) = app
        .post(
            SETTLEMENTS,
            json!({ "filter": { "merchantId": canteen.merchant.id } }),
            Some(operator),
        )
        .await;
    assert_eq!(top_level_error(&elsewhere), "FORBIDDEN");
    let (_, other_node) = app
        .post(
            MERCHANT_SETTLEMENTS,
            json!({ "id": canteen.merchant.id }),
            Some(operator),
        )
        .await;
    assert_eq!(top_level_error(&other_node), "FORBIDDEN");
    let own = app
        .settlements(operator, json!({ "merchantId": barber.merchant.id }))
        .await;
    assert_eq!(own["totalCount"], 1);
    assert_eq!(points_of(&own, &barber), Some(30));
}

/// The staff's CSV holds every merchant of the month with the total owed; a merchant's holds
/// its own settlements only.
async fn the_settlements_download_as_csv_for_staff_and_for_each_merchant(app: &TestApp) {
    let [barber, canteen, repairs] = october_at_three_shops(app).await;
    let staff = app.staff().await;
    app.clock_at(chengdu(2026, 11, 1, 9, 0));
    accepted(
        &app.close_month(&staff, "2026-10").await,
        "closeSettlements",
    );

    let owed = app
        .settlement_totals(&staff, json!({ "month": "2026-10" }))
        .await;
    let (status, all) = app.download_bytes(&text_at(&owed, "/csvUrl")).await;
    let mine = app
        .ok(
            MERCHANT_SETTLEMENTS,
            json!({ "id": barber.merchant.id }),
            Some(&barber.merchant.operator),
        )
        .await;
    let (own_status, own) = app
        .download_bytes(&text_at(&mine["node"], "/settlementsCsvUrl"))
        .await;

    assert_eq!((status, own_status), (200, 200));
    let all = String::from_utf8(all).unwrap();
    let own = String::from_utf8(own).unwrap();
    assert!(all.starts_with('\u{feff}'), "UTF-8 with BOM");
    for shop in ["和美理发店", "长者食堂", "致强便民维修"] {
        assert!(all.contains(shop), "{all}");
    }
    assert!(
        all.contains("合计,,3 笔结算,,80,,80.00,未付 80.00 元"),
        "{all}"
    );
    assert!(
        own.contains("和美理发店") && own.contains(",30,每积分 1.00 元,30.00,CLOSED,"),
        "{own}"
    );
    assert!(
        !own.contains("长者食堂") && !own.contains("致强便民维修"),
        "{own}"
    );
    let _ = (canteen, repairs);
}

/// The point value is recorded when the month closes: a server started later with another
/// value reads the same amounts.
async fn the_point_value_is_fixed_when_the_month_closes(app: &TestApp) {
    let [barber, ..] = october_at_three_shops(app).await;
    let staff = app.staff().await;
    app.clock_at(chengdu(2026, 11, 1, 9, 0));
    accepted(
        &app.close_month(&staff, "2026-10").await,
        "closeSettlements",
    );
    let later = app
        .another_instance(&[("LINLI_POINT_VALUE_FEN", "250")])
        .await;

    let read = later
        .settlements(&staff, json!({ "merchantId": barber.merchant.id }))
        .await;

    assert_eq!(read["nodes"][0]["pointValueFen"], 150);
    assert_eq!(read["nodes"][0]["amountFen"], 4_500);
    assert_eq!(read["nodes"][0]["amountYuan"], "45.00");
    assert_eq!(read["nodes"][0]["rule"], "每积分 1.50 元");
}

const PRICED_AT_150_FEN: [(&str, &str); 1] = [("LINLI_POINT_VALUE_FEN", "150")];

both_engines!(
    a_month_of_captures_at_three_merchants_closes_into_three_settlements,
    a_late_capture_lands_in_the_next_month_and_the_closed_statement_is_unchanged,
    a_second_close_changes_nothing,
    a_closed_month_survives_corrections_of_the_till,
    two_staff_closing_the_same_month_at_once_make_one_settlement_per_merchant,
    closing_a_month_that_has_not_ended_is_refused,
    a_second_staff_member_approves_and_the_payment_is_recorded_with_its_reference,
    staff_never_settle_a_merchant_of_their_own_organisation,
    settling_is_for_staff_and_an_operator_sees_only_their_own,
    the_settlements_download_as_csv_for_staff_and_for_each_merchant,
);

both_engines!(with PRICED_AT_150_FEN: the_point_value_is_fixed_when_the_month_closes);
