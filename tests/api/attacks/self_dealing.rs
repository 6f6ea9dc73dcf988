//! Nobody acts on money they own: a shop's people never redeem or confirm at their own shop,
//! a convenor never pays themself from the fund, staff never move points into or out of an
//! account of their own.

use serde_json::json;

use super::fixtures::{
    ADJUST, ALLOCATE, CONFIRM, REDEEM, fund, growing_group, id_at, merchant, reward, user_error,
    verified_organisation, wallet,
};
use crate::support::{TestApp, both_engines};

const STATEMENT: &str = r#"
query($merchant: ID!, $month: String!) {
  merchantStatement(merchantId: $merchant, month: $month) { redemptions totalPoints }
}"#;

const DONATE_TO_GROUP: &str = r#"
mutation($g: ID!, $key: String!) {
  donateToGroup(input: { groupId: $g, amount: 50, idempotencyKey: $key }) {
    transfer { id } errors { code }
  }
}"#;

const REWARD_MEMBER: &str = r#"
mutation($g: ID!, $u: ID!, $key: String!) {
  rewardGroupMember(input: {
    groupId: $g, userId: $u, amount: 10, reason: "辛苦了", idempotencyKey: $key
  }) { transfer { id } errors { code } }
}"#;

both_engines!(
    an_operator_cannot_redeem_at_their_own_shop,
    an_operator_cannot_confirm_a_redemption_of_their_own,
    the_counter_confirms_by_the_scanned_qr_payload,
    a_convenor_cannot_reward_themself_from_the_fund,
    staff_cannot_adjust_their_own_wallet,
    staff_cannot_allocate_a_budget_to_their_own_organisation,
);

async fn an_operator_cannot_redeem_at_their_own_shop(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let operator = app.resident("barber@example.cn").await;
    let shop = merchant(app, &staff, &operator, "和美理发店").await;
    let haircut = reward(app, &operator, &shop, 30).await;
    fund(app, &staff, &operator, 100, "fund-operator-1").await;

    let vars = json!({ "reward": haircut, "key": "self-redeem-0001" });
    let data = app.ok(REDEEM, vars, Some(&operator)).await;

    assert_eq!(
        user_error(&data, "redeemReward").as_deref(),
        Some("SELF_DEALING")
    );
    assert_eq!(wallet(app, &operator).await.2, 100, "nothing was held");
    let month = app.services.clock.now().format("%Y-%m").to_string();
    let statement = app
        .ok(
            STATEMENT,
            json!({ "merchant": shop, "month": month }),
            Some(&operator),
        )
        .await;
    assert_eq!(statement["merchantStatement"]["redemptions"], 0);
}

async fn an_operator_cannot_confirm_a_redemption_of_their_own(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let owner = app.resident("owner@example.cn").await;
    let shop = merchant(app, &staff, &owner, "和美理发店").await;
    let haircut = reward(app, &owner, &shop, 30).await;
    // A resident redeems, then becomes a member of the shop (a new shop assistant).
    let assistant = app.resident("assistant@example.cn").await;
    fund(app, &staff, &assistant, 100, "fund-assistant-1").await;
    let redeemed = app
        .ok(
            REDEEM,
            json!({ "reward": haircut, "key": "assistant-redeem-1" }),
            Some(&assistant),
        )
        .await;
    let code = id_at(&redeemed, &["redeemReward", "redemption", "code"]);
    let shop_org = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Merchant { organisation { id } } } }",
            json!({ "id": shop }),
            Some(&owner),
        )
        .await;
    let organisation = id_at(&shop_org, &["node", "organisation", "id"]);
    app.ok(
        "mutation($input: AddOrganisationMemberInput!) { addOrganisationMember(input: $input) { errors { code } } }",
        json!({ "input": { "organisationId": organisation, "member": "assistant@example.cn", "role": "MEMBER" } }),
        Some(&owner),
    )
    .await;

    let vars = json!({ "merchant": shop, "code": code });
    let by_self = app.ok(CONFIRM, vars.clone(), Some(&assistant)).await;
    let by_colleague = app.ok(CONFIRM, vars, Some(&owner)).await;

    for data in [by_self, by_colleague] {
        assert_eq!(
            user_error(&data, "confirmRedemption").as_deref(),
            Some("SELF_DEALING"),
            "{data}"
        );
    }
    assert_eq!(
        wallet(app, &assistant).await.2,
        70,
        "still held, not captured"
    );
}

async fn the_counter_confirms_by_the_scanned_qr_payload(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let operator = app.resident("barber@example.cn").await;
    let shop = merchant(app, &staff, &operator, "和美理发店").await;
    let haircut = reward(app, &operator, &shop, 30).await;
    let resident = app.resident("resident@example.cn").await;
    fund(app, &staff, &resident, 100, "fund-resident-1").await;
    let redeemed = app
        .ok(
            REDEEM,
            json!({ "reward": haircut, "key": "qr-redeem-0001" }),
            Some(&resident),
        )
        .await;
    let code = id_at(&redeemed, &["redeemReward", "redemption", "code"]);

    // A USB scanner types the QR's whole text, then Enter.
    let vars = json!({ "merchant": shop, "code": format!("linli:redeem:{code}\n") });
    let data = app.ok(CONFIRM, vars, Some(&operator)).await;

    assert_eq!(
        data["confirmRedemption"]["redemption"]["status"],
        "CONFIRMED"
    );
}

async fn a_convenor_cannot_reward_themself_from_the_fund(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let group = growing_group(app, &staff).await;
    fund(app, &staff, &group.mentor, 100, "fund-mentor-1").await;
    app.ok(
        DONATE_TO_GROUP,
        json!({ "g": group.id, "key": "gift-to-fund-1" }),
        Some(&group.mentor),
    )
    .await;
    let (convenor_id, _, _) = wallet(app, &group.convenor).await;

    let vars = json!({ "g": group.id, "u": convenor_id, "key": "pay-myself-01" });
    let data = app.ok(REWARD_MEMBER, vars, Some(&group.convenor)).await;

    assert_eq!(
        user_error(&data, "rewardGroupMember").as_deref(),
        Some("SELF_DEALING")
    );
    assert_eq!(wallet(app, &group.convenor).await.2, 0);
}

async fn staff_cannot_adjust_their_own_wallet(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let (_, own_wallet, _) = wallet(app, &staff).await;

    let input = json!({ "input": {
        "accountId": own_wallet, "change": 50, "reason": "自己加分", "idempotencyKey": "own-adjust-1"
    } });
    let data = app.ok(ADJUST, input, Some(&staff)).await;

    assert_eq!(
        user_error(&data, "adjustBalance").as_deref(),
        Some("SELF_DEALING")
    );
    assert_eq!(wallet(app, &staff).await.2, 0);
}

async fn staff_cannot_allocate_a_budget_to_their_own_organisation(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let other_staff = app.staff("reviewer@example.cn").await;
    let organisation =
        verified_organisation(app, &other_staff, &staff, "工作人员自己的协会", &[]).await;

    let input = json!({ "input": {
        "organisationId": organisation, "amount": 100, "reason": "预算",
        "idempotencyKey": "own-budget-01"
    } });
    let data = app.ok(ALLOCATE, input, Some(&staff)).await;

    assert_eq!(
        user_error(&data, "allocateBudget").as_deref(),
        Some("SELF_DEALING")
    );
}
