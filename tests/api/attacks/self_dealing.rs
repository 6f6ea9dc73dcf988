//! Nobody acts on money they own: a shop's people never redeem or confirm at their own shop,
//! a convenor never pays themself from the fund, staff never move points into or out of an
//! account of their own.

use serde_json::json;

use crate::support::ledger::ALLOCATE_BUDGET;
use crate::support::rewards::CONFIRM_REDEMPTION;
use crate::support::{TestApp, accepted, both_engines, text_at, user_error};

both_engines!(
    an_operator_cannot_redeem_at_their_own_shop,
    an_operator_cannot_confirm_a_redemption_of_their_own,
    the_counter_confirms_by_the_scanned_qr_payload,
    a_convenor_cannot_reward_themself_from_the_fund,
    staff_cannot_adjust_their_own_wallet,
    staff_cannot_allocate_a_budget_to_their_own_organisation,
);

async fn an_operator_cannot_redeem_at_their_own_shop(app: &TestApp) {
    let shop = app.merchant().await;
    let haircut = app.reward(&shop).points_price(30).await;
    app.fund(&shop.operator, 100).await;

    let data = app
        .redeem(&shop.operator, &haircut, "self-redeem-0001")
        .await;

    assert_eq!(user_error(&data, "redeemReward"), "SELF_DEALING");
    assert_eq!(app.balance(&shop.operator).await, 100, "nothing was held");
    assert_eq!(app.statement(&shop).await["redemptions"], 0);
}

async fn an_operator_cannot_confirm_a_redemption_of_their_own(app: &TestApp) {
    let shop = app.merchant().await;
    let haircut = app.reward(&shop).points_price(30).await;
    // A resident redeems, then becomes a member of the shop (a new shop assistant).
    let assistant = app.resident("assistant@example.cn").await;
    app.fund(&assistant, 100).await;
    let redemption = app
        .redemption(&assistant, &haircut, "assistant-redeem-1")
        .await;
    let code = text_at(&redemption, "/code");
    let hired = app
        .add_member(
            &shop.operator,
            &shop.organisation,
            "assistant@example.cn",
            "MEMBER",
        )
        .await;
    accepted(&hired, "addOrganisationMember");

    let by_self = app
        .ok(
            CONFIRM_REDEMPTION,
            json!({ "merchant": shop.id, "code": code }),
            Some(&assistant),
        )
        .await;
    let by_colleague = app.confirm(&shop, &code).await;

    for data in [by_self, by_colleague] {
        assert_eq!(
            user_error(&data, "confirmRedemption"),
            "SELF_DEALING",
            "{data}"
        );
    }
    assert_eq!(
        app.balance(&assistant).await,
        70,
        "still held, not captured"
    );
}

async fn the_counter_confirms_by_the_scanned_qr_payload(app: &TestApp) {
    let shop = app.merchant().await;
    let haircut = app.reward(&shop).points_price(30).await;
    let resident = app.funded_resident(100).await;
    let redemption = app.redemption(&resident, &haircut, "qr-redeem-0001").await;
    let code = text_at(&redemption, "/code");

    // A USB scanner types the QR's whole text, then Enter.
    let data = app.confirm(&shop, &format!("linli:redeem:{code}\n")).await;

    assert_eq!(
        data["confirmRedemption"]["redemption"]["status"],
        "CONFIRMED"
    );
}

async fn a_convenor_cannot_reward_themself_from_the_fund(app: &TestApp) {
    let group = app.growing_group().await;
    let donor = app.funded_resident(100).await;
    let gift = app
        .donate_to_group(&donor, &group.id, 50, "gift-to-fund-1")
        .await;
    accepted(&gift, "donateToGroup");
    let convenor = app.user_id(&group.convenor).await;

    let data = app
        .reward_group_member(&group.convenor, &group.id, &convenor, "pay-myself-01")
        .await;

    assert_eq!(user_error(&data, "rewardGroupMember"), "SELF_DEALING");
    assert_eq!(app.balance(&group.convenor).await, 0);
}

async fn staff_cannot_adjust_their_own_wallet(app: &TestApp) {
    let staff = app.staff().await;
    let own_wallet = app.wallet_id(&staff).await;

    let data = app.adjust(&staff, &own_wallet, 50, "own-adjust-1").await;

    assert_eq!(user_error(&data, "adjustBalance"), "SELF_DEALING");
    assert_eq!(app.balance(&staff).await, 0);
}

async fn staff_cannot_allocate_a_budget_to_their_own_organisation(app: &TestApp) {
    let staff = app.staff().await;
    let organisation = app
        .register_organisation(&staff, "工作人员自己的协会")
        .await;
    let reviewer = app.another_staff_member("reviewer@example.cn").await;
    app.verify_organisation_as(&reviewer, &organisation).await;
    let allocation = json!({
        "organisationId": organisation,
        "amount": 100,
        "reason": "预算",
        "idempotencyKey": "own-budget-01"
    });

    let data = app
        .ok(
            ALLOCATE_BUDGET,
            json!({ "input": allocation }),
            Some(&staff),
        )
        .await;

    assert_eq!(user_error(&data, "allocateBudget"), "SELF_DEALING");
}
