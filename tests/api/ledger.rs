//! The points ledger over HTTP: budgets, donations, reversals, adjustments, idempotency,
//! history, authorisation, and concurrency with invariants checked afterwards.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::ledger::{ADJUST_BALANCE, ALLOCATE_BUDGET};
use crate::support::{
    TestApp, accepted, both_engines, tally, text_at, texts_at, user_error, user_error_field,
};

const ORGANISATION_BUDGET: &str = r"
    query ($id: ID!) {
        node(id: $id) {
            ... on Organisation {
                budget {
                    balance
                    history {
                        totalCount
                        edges {
                            node {
                                direction
                                change
                                counterpart { kind name }
                                transfer { reason }
                            }
                        }
                    }
                }
            }
        }
    }
";

const WALLET_HISTORY: &str = r"
    query ($after: String, $codes: [TransferCode!]) {
        me {
            wallet {
                history(first: 2, after: $after, filter: { codes: $codes }) {
                    totalCount
                    pageInfo { hasNextPage endCursor }
                    edges {
                        node {
                            change
                            direction
                            counterpart { name kind }
                            transfer { code }
                        }
                    }
                }
            }
        }
    }
";

const ACCOUNT: &str = r"
    query ($id: ID!) {
        node(id: $id) {
            ... on Account { balance history { totalCount } }
        }
    }
";

const REVERSE_TRANSFER: &str = r"
    mutation ($input: ReverseTransferInput!) {
        reverseTransfer(input: $input) {
            transfer { id code amount reversesId }
            errors { code }
        }
    }
";

const AUDIT_EVENTS: &str = r"
    {
        auditEvents(first: 10) { edges { node { action } } }
    }
";

/// Staff allocate the organisation its budget for 2026: 5000 points.
async fn allocate_the_yearly_budget(app: &TestApp, organisation: &str) -> Value {
    let allocation = json!({
        "organisationId": organisation,
        "amount": 5000,
        "reason": "2026 年度志愿积分预算",
        "idempotencyKey": "budget-2026-hemei"
    });
    app.ok(
        ALLOCATE_BUDGET,
        json!({ "input": allocation }),
        Some(&app.staff().await),
    )
    .await
}

/// Alice, given 100 points, gives Bob 10, 11 and 12: Alice's token.
async fn alice_gives_bob_three_gifts(app: &TestApp) -> String {
    let alice = app.resident("alice@example.cn").await;
    app.resident("bob@example.cn").await;
    app.fund(&alice, 100).await;
    for i in 0..3 {
        let key = format!("gift-{i}-abcdefgh");
        let gift = app.donate(&alice, "bob@example.cn", 10 + i, &key).await;
        accepted(&gift, "donatePoints");
    }
    alice
}

/// A verified organisation with its yearly budget, and Alice's gifts to Bob.
async fn a_budget_and_gifts(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;
    accepted(
        &allocate_the_yearly_budget(app, &organisation).await,
        "allocateBudget",
    );
    alice_gives_bob_three_gifts(app).await;
}

both_engines!(
    staff_allocate_a_budget_to_a_verified_organisation,
    an_owner_sees_the_budget_and_where_it_came_from,
    donations_move_points_from_the_giver,
    the_history_pages_newest_first_and_names_the_counterpart,
    the_history_filters_by_transfer_code,
    the_wallet_screen_costs_the_same_statements_whatever_its_history,
    the_totals_count_every_point_issued,
    allocations_adjustments_and_verifications_are_audited,
);

async fn staff_allocate_a_budget_to_a_verified_organisation(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;

    let allocated = allocate_the_yearly_budget(app, &organisation).await;

    let transfer = &accepted(&allocated, "allocateBudget")["transfer"];
    assert_eq!(transfer["code"], "ALLOCATE_BUDGET");
}

async fn an_owner_sees_the_budget_and_where_it_came_from(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;
    allocate_the_yearly_budget(app, &organisation).await;

    let seen = app
        .ok(
            ORGANISATION_BUDGET,
            json!({ "id": organisation }),
            Some(&owner),
        )
        .await;

    let budget = &seen["node"]["budget"];
    assert_eq!(budget["balance"], 5000);
    let entry = &budget["history"]["edges"][0]["node"];
    assert_eq!(entry["direction"], "IN");
    assert_eq!(entry["counterpart"]["kind"], "ISSUANCE");
    assert_eq!(entry["transfer"]["reason"], "2026 年度志愿积分预算");
}

async fn donations_move_points_from_the_giver(app: &TestApp) {
    let alice = alice_gives_bob_three_gifts(app).await;

    assert_eq!(app.balance(&alice).await, 100 - 33);
}

async fn the_history_pages_newest_first_and_names_the_counterpart(app: &TestApp) {
    let alice = alice_gives_bob_three_gifts(app).await;

    let first = app.ok(WALLET_HISTORY, json!({}), Some(&alice)).await;
    let first = &first["me"]["wallet"]["history"];
    let after = &first["pageInfo"]["endCursor"];
    let second = app
        .ok(WALLET_HISTORY, json!({ "after": after }), Some(&alice))
        .await;
    let second = &second["me"]["wallet"]["history"];

    assert_eq!(first["totalCount"], 4);
    assert_eq!(first["edges"][0]["node"]["change"], -12);
    assert_eq!(first["edges"][0]["node"]["counterpart"]["name"], "居民");
    assert_eq!(first["edges"][1]["node"]["change"], -11);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(second["edges"][0]["node"]["change"], -10);
    assert_eq!(second["edges"][1]["node"]["change"], 100);
    assert_eq!(second["edges"][1]["node"]["transfer"]["code"], "ADJUST");
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
}

async fn the_wallet_screen_costs_the_same_statements_whatever_its_history(app: &TestApp) {
    const SCREEN: &str = "{ me { displayName wallet { balance history(first: 20) { COUNT edges { node { \
                          change counterpart { name } transfer { reason createdAt } } } } } } }";
    let alice = alice_gives_bob_three_gifts(app).await;
    let cost = |counted: bool| {
        let query = SCREEN.replace("COUNT", if counted { "totalCount" } else { "" });
        let alice = alice.clone();
        async move {
            let before = app.services.db.statements_executed();
            let data = app.ok(&query, json!({}), Some(&alice)).await;
            let cost = app.services.db.statements_executed() - before;
            (
                cost,
                data["me"]["wallet"]["history"]["edges"]
                    .as_array()
                    .map(Vec::len),
            )
        }
    };
    let (few, seen) = cost(false).await;
    assert_eq!(seen, Some(4));
    for i in 0..30 {
        app.donate(&alice, "bob@example.cn", 1, &format!("more-{i}-abcdefgh"))
            .await;
    }
    let (many, seen) = cost(false).await;
    assert_eq!(seen, Some(20));
    assert_eq!(few, many, "the screen's statements grew with the history");
    // `me` and the wallet one statement each, outside a transaction; the history in one
    // snapshot: BEGIN, the account, each side's page, the counterparts' accounts and their
    // owners' names, COMMIT.
    assert_eq!(many, 9, "the wallet screen costs {many} statements");
    // `totalCount` counts each side: two statements, only when asked for.
    assert_eq!(cost(true).await.0, many + 2);
}

async fn the_history_filters_by_transfer_code(app: &TestApp) {
    let alice = alice_gives_bob_three_gifts(app).await;

    let donations = app
        .ok(WALLET_HISTORY, json!({ "codes": ["DONATE"] }), Some(&alice))
        .await;

    assert_eq!(donations["me"]["wallet"]["history"]["totalCount"], 3);
}

async fn the_totals_count_every_point_issued(app: &TestApp) {
    a_budget_and_gifts(app).await;

    let totals = app.ledger_totals().await;

    assert_eq!(
        totals,
        json!({
            "issued": 5100, "outstanding": 5100, "held": 0, "redeemed": 0, "settled": 0,
            "expired": 0
        })
    );
}

async fn allocations_adjustments_and_verifications_are_audited(app: &TestApp) {
    a_budget_and_gifts(app).await;

    let audit = app
        .ok(AUDIT_EVENTS, json!({}), Some(&app.staff().await))
        .await;

    let actions = texts_at(&audit["auditEvents"]["edges"], "/node/action");
    assert!(actions.contains(&"ledger.allocate_budget"), "{actions:?}");
    assert!(actions.contains(&"ledger.adjust"), "{actions:?}");
    assert!(actions.contains(&"organisation.verified"), "{actions:?}");
}

both_engines!(
    a_donation_that_cannot_be_made_is_refused_with_a_named_code,
    a_donation_with_a_short_idempotency_key_is_refused_on_that_field,
);

async fn a_donation_that_cannot_be_made_is_refused_with_a_named_code(app: &TestApp) {
    let alice = app.resident("alice@example.cn").await;
    app.resident("bob@example.cn").await;
    app.fund(&alice, 50).await;
    let cases = [
        ("bob@example.cn", 51, "INSUFFICIENT_POINTS"),
        ("alice@example.cn", 5, "SAME_ACCOUNT"),
        ("nobody@example.cn", 5, "RECIPIENT_NOT_FOUND"),
        ("bob@example.cn", 0, "INVALID_INPUT"),
        ("bob@example.cn", -5, "INVALID_INPUT"),
    ];

    for (i, (to, amount, code)) in cases.into_iter().enumerate() {
        let refused = app
            .donate(&alice, to, amount, &format!("checked-{i}-key"))
            .await;

        assert_eq!(user_error(&refused, "donatePoints"), code, "{to} {amount}");
        assert!(refused["donatePoints"]["transfer"].is_null());
    }
    assert_eq!(app.balance(&alice).await, 50);
}

async fn a_donation_with_a_short_idempotency_key_is_refused_on_that_field(app: &TestApp) {
    let alice = app.resident("alice@example.cn").await;
    app.resident("bob@example.cn").await;
    app.fund(&alice, 50).await;

    let refused = app.donate(&alice, "bob@example.cn", 5, "short").await;

    assert_eq!(
        user_error_field(&refused, "donatePoints"),
        "input.idempotencyKey"
    );
    assert_eq!(app.balance(&alice).await, 50);
}

both_engines!(
    a_replayed_donation_returns_the_first_answer_and_moves_nothing,
    reusing_a_key_for_a_different_donation_is_refused,
    idempotency_keys_are_scoped_to_the_caller,
);

/// Alice, given 100 points, gives Bob 30 with the key `same-key-0001`: Alice's token and the
/// answer.
async fn alice_gives_bob_30(app: &TestApp) -> (String, Value) {
    let alice = app.resident("alice@example.cn").await;
    app.resident("bob@example.cn").await;
    app.fund(&alice, 100).await;
    let gift = app
        .donate(&alice, "bob@example.cn", 30, "same-key-0001")
        .await;
    (alice, gift)
}

async fn a_replayed_donation_returns_the_first_answer_and_moves_nothing(app: &TestApp) {
    let (alice, first) = alice_gives_bob_30(app).await;

    let again = app
        .donate(&alice, "bob@example.cn", 30, "same-key-0001")
        .await;

    assert_eq!(first, again, "a replay returns the original answer");
    assert_eq!(app.balance(&alice).await, 70, "and moves nothing");
}

async fn reusing_a_key_for_a_different_donation_is_refused(app: &TestApp) {
    let (alice, _) = alice_gives_bob_30(app).await;

    let changed = app
        .donate(&alice, "bob@example.cn", 31, "same-key-0001")
        .await;

    assert_eq!(
        user_error(&changed, "donatePoints"),
        "IDEMPOTENCY_KEY_REUSED"
    );
}

async fn idempotency_keys_are_scoped_to_the_caller(app: &TestApp) {
    alice_gives_bob_30(app).await;
    let bob = app.sign_in("bob@example.cn").await;

    let bobs = app
        .donate(&bob, "alice@example.cn", 5, "same-key-0001")
        .await;

    accepted(&bobs, "donatePoints");
}

both_engines!(
    residents_cannot_reverse_transfers,
    staff_reverse_a_transfer_and_the_points_go_back,
    a_second_reversal_of_the_same_transfer_is_refused,
    a_reversal_cannot_itself_be_reversed,
    a_gift_already_spent_cannot_be_reversed,
);

struct Gift {
    alice: String,
    bob: String,
    transfer: String,
}

/// Alice, given 100 points, gives Bob 40.
async fn a_gift_of_40(app: &TestApp) -> Gift {
    let alice = app.resident("alice@example.cn").await;
    let bob = app.resident("bob@example.cn").await;
    app.fund(&alice, 100).await;
    let gift = app
        .donate(&alice, "bob@example.cn", 40, "gift-to-bob-1")
        .await;
    let transfer = text_at(accepted(&gift, "donatePoints"), "/transfer/id");
    Gift {
        alice,
        bob,
        transfer,
    }
}

fn reversal(transfer: &str, key: &str) -> Value {
    json!({ "input": {
        "transferId": transfer,
        "reason": "误操作，按居民申请冲正",
        "idempotencyKey": key
    } })
}

/// Staff reverse `transfer`; returns the answer.
async fn reverse(app: &TestApp, transfer: &str, key: &str) -> Value {
    app.ok(
        REVERSE_TRANSFER,
        reversal(transfer, key),
        Some(&app.staff().await),
    )
    .await
}

async fn residents_cannot_reverse_transfers(app: &TestApp) {
    let gift = a_gift_of_40(app).await;

    let code = app
        .top_level_code(
            REVERSE_TRANSFER,
            reversal(&gift.transfer, "rev-by-resident"),
            Some(&gift.alice),
        )
        .await;

    assert_eq!(code, "FORBIDDEN");
}

async fn staff_reverse_a_transfer_and_the_points_go_back(app: &TestApp) {
    let gift = a_gift_of_40(app).await;

    let reversed = reverse(app, &gift.transfer, "reverse-gift-1").await;

    let reversal = &reversed["reverseTransfer"]["transfer"];
    assert_eq!(reversal["code"], "REVERSE");
    assert_eq!(reversal["reversesId"], gift.transfer.as_str());
    assert_eq!(app.balance(&gift.alice).await, 100);
    assert_eq!(app.balance(&gift.bob).await, 0);
}

async fn a_second_reversal_of_the_same_transfer_is_refused(app: &TestApp) {
    let gift = a_gift_of_40(app).await;
    reverse(app, &gift.transfer, "reverse-gift-1").await;

    let twice = reverse(app, &gift.transfer, "reverse-gift-2").await;

    assert_eq!(user_error(&twice, "reverseTransfer"), "ALREADY_REVERSED");
}

async fn a_reversal_cannot_itself_be_reversed(app: &TestApp) {
    let gift = a_gift_of_40(app).await;
    let reversed = reverse(app, &gift.transfer, "reverse-gift-1").await;
    let reversal = text_at(&reversed, "/reverseTransfer/transfer/id");

    let of_reversal = reverse(app, &reversal, "reverse-rev-1").await;

    assert_eq!(
        user_error(&of_reversal, "reverseTransfer"),
        "NOT_REVERSIBLE"
    );
}

async fn a_gift_already_spent_cannot_be_reversed(app: &TestApp) {
    let gift = a_gift_of_40(app).await;
    let spent = app
        .donate(&gift.bob, "alice@example.cn", 30, "bob-spends-1")
        .await;
    accepted(&spent, "donatePoints");

    let uncovered = reverse(app, &gift.transfer, "reverse-gift-3").await;

    assert_eq!(
        user_error(&uncovered, "reverseTransfer"),
        "INSUFFICIENT_POINTS"
    );
}

both_engines!(
    a_resident_cannot_read_another_residents_wallet,
    a_resident_cannot_read_an_organisations_budget,
    only_staff_adjust_balances,
    neither_residents_nor_organisation_owners_allocate_budgets,
    an_anonymous_caller_is_asked_to_sign_in,
    staff_see_any_account,
);

/// Alice holding 100 points, and Mallory: (Alice's wallet, Mallory's token).
async fn alice_and_mallory(app: &TestApp) -> (String, String) {
    let alice = app.funded_resident(100).await;
    let mallory = app.resident("mallory@example.cn").await;
    (app.wallet_id(&alice).await, mallory)
}

/// `node` answers null for what the caller may not see, exactly as for what does not exist:
/// the answer does not even confirm the wallet is there.
async fn a_resident_cannot_read_another_residents_wallet(app: &TestApp) {
    let (alice_wallet, mallory) = alice_and_mallory(app).await;

    let (_, seen) = app
        .post(ACCOUNT, json!({ "id": alice_wallet }), Some(&mallory))
        .await;
    let (_, missing) = app
        .post(
            ACCOUNT,
            json!({ "id": "QWNjb3VudDpub3BlLW5vcGU" }),
            Some(&mallory),
        )
        .await;

    assert_eq!(seen["data"], json!({ "node": null }), "{seen}");
    assert_eq!(seen["data"], missing["data"]);
    assert!(seen.get("errors").is_none(), "{seen}");
}

async fn a_resident_cannot_read_an_organisations_budget(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;
    let mallory = app.resident("mallory@example.cn").await;

    let code = app
        .top_level_code(
            ORGANISATION_BUDGET,
            json!({ "id": organisation }),
            Some(&mallory),
        )
        .await;

    assert_eq!(code, "FORBIDDEN");
}

async fn only_staff_adjust_balances(app: &TestApp) {
    let alice = app.funded_resident(100).await;
    let mallory = app.resident("mallory@example.cn").await;
    let steal = json!({ "input": {
        "accountId": app.wallet_id(&alice).await,
        "change": -100,
        "reason": "想转走",
        "idempotencyKey": "steal-0001"
    } });

    let code = app
        .top_level_code(ADJUST_BALANCE, steal, Some(&mallory))
        .await;

    assert_eq!(code, "FORBIDDEN");
    assert_eq!(app.balance(&alice).await, 100);
}

async fn neither_residents_nor_organisation_owners_allocate_budgets(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;
    let mallory = app.resident("mallory@example.cn").await;
    let allocation = json!({ "input": {
        "organisationId": organisation,
        "amount": 10,
        "reason": "自己拨款",
        "idempotencyKey": "self-alloc-1"
    } });

    for token in [&mallory, &owner] {
        let code = app
            .top_level_code(ALLOCATE_BUDGET, allocation.clone(), Some(token))
            .await;

        assert_eq!(code, "FORBIDDEN");
    }
}

async fn an_anonymous_caller_is_asked_to_sign_in(app: &TestApp) {
    let (alice_wallet, _) = alice_and_mallory(app).await;

    let code = app
        .top_level_code(ACCOUNT, json!({ "id": alice_wallet }), None)
        .await;

    assert_eq!(code, "UNAUTHENTICATED");
}

async fn staff_see_any_account(app: &TestApp) {
    let (alice_wallet, _) = alice_and_mallory(app).await;

    let seen = app
        .ok(
            ACCOUNT,
            json!({ "id": alice_wallet }),
            Some(&app.staff().await),
        )
        .await;

    assert_eq!(seen["node"]["balance"], 100);
}

both_engines!(
    concurrent_spends_never_overdraw,
    concurrent_replays_make_one_transfer,
);

async fn concurrent_spends_never_overdraw(app: &TestApp) {
    let alice = app.funded_resident(1000).await;
    app.resident("bob@example.cn").await;
    let keys: Vec<String> = (0..200).map(|i| format!("spend-{i:04}-key")).collect();

    let answers = app
        .concurrently(200, |i| app.donate(&alice, "bob@example.cn", 10, &keys[i]))
        .await;

    assert_eq!(
        tally(&answers, "donatePoints"),
        BTreeMap::from([("INSUFFICIENT_POINTS", 100), ("OK", 100)])
    );
    assert_eq!(app.balance(&alice).await, 0);
}

async fn concurrent_replays_make_one_transfer(app: &TestApp) {
    let alice = app.funded_resident(100).await;
    let bob = app.resident("bob@example.cn").await;

    let answers = app
        .concurrently(50, |_| {
            app.donate(&alice, "bob@example.cn", 7, "one-replayed-key")
        })
        .await;

    assert!(
        answers[0]["donatePoints"]["transfer"]["id"].is_string(),
        "{}",
        answers[0]
    );
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "all 50 answers must be identical"
    );
    assert_eq!(app.balance(&alice).await, 93);
    assert_eq!(app.balance(&bob).await, 7);
}
