//! Creations made once: a product, an activity, a reward, a need or a group sent again with the
//! same idempotency key (after a lost answer) is the first one, never a second; racing copies
//! of one request make one object; the key with a different request is refused.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::support::catalogue::CREATE_PRODUCT;
use crate::support::incubation::{FOUND_GROUP, POST_NEED};
use crate::support::rewards::CREATE_REWARD;
use crate::support::volunteering::CREATE_ACTIVITY;
use crate::support::{TestApp, accepted, both_engines, tally, text_at, user_error};

fn product(title: &str) -> Value {
    json!({
        "categoryId": "elder-canteen", "title": title, "summary": "每日上门送餐",
        "description": "为独居老人提供午餐配送", "priceTier": "FREE"
    })
}

/// `createProduct` sent three times with one key: one draft, the same id each time; the key
/// with another title is `IDEMPOTENCY_KEY_REUSED`; without a key, two sends make two.
async fn a_product_sent_again_with_its_key_is_made_once(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;
    let send = |title: &str, key: Option<&str>| {
        let input = json!({
            "organisationId": organisation, "product": product(title), "idempotencyKey": key
        });
        let owner = owner.clone();
        async move {
            app.ok(CREATE_PRODUCT, json!({ "input": input }), Some(&owner))
                .await
        }
    };
    let first = send("长者助餐", Some("draft-meal-0001")).await;
    let id = text_at(accepted(&first, "createProduct"), "/product/id");
    for _ in 0..2 {
        let again = send("长者助餐", Some("draft-meal-0001")).await;
        assert_eq!(
            text_at(accepted(&again, "createProduct"), "/product/id"),
            id
        );
    }
    let changed = send("长者助餐（改）", Some("draft-meal-0001")).await;
    assert_eq!(
        user_error(&changed, "createProduct"),
        "IDEMPOTENCY_KEY_REUSED"
    );
    let bad = send("长者助餐", Some("short")).await;
    assert_eq!(user_error(&bad, "createProduct"), "INVALID_INPUT");

    let drafts = r"query ($id: ID!) { node(id: $id) { ... on Organisation {
        products(status: DRAFT) { totalCount } } } }";
    let count = |data: Value| data["node"]["products"]["totalCount"].as_i64().unwrap();
    let before = count(
        app.ok(drafts, json!({ "id": organisation }), Some(&owner))
            .await,
    );
    assert_eq!(before, 1, "one product for three sends");
    accepted(&send("社区理发", None).await, "createProduct");
    accepted(&send("社区理发", None).await, "createProduct");
    let after = count(
        app.ok(drafts, json!({ "id": organisation }), Some(&owner))
            .await,
    );
    assert_eq!(after, 3, "without a key every send is a new product");
}

/// Twenty copies of one `createReward` in flight together make one reward.
async fn racing_copies_of_one_reward_make_one(app: &TestApp) {
    let merchant = app.merchant().await;
    let input = json!({
        "merchantId": merchant.id, "title": "免费理发一次", "description": "洗剪吹",
        "pointsPrice": 30, "idempotencyKey": "reward-haircut-2026"
    });
    let answers = app
        .concurrently(20, |_| {
            let variables = json!({ "input": input });
            let operator = merchant.operator.clone();
            async move { app.ok(CREATE_REWARD, variables, Some(&operator)).await }
        })
        .await;
    assert_eq!(
        tally(&answers, "createReward").get("OK"),
        Some(&20),
        "{answers:?}"
    );
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|a| text_at(&a["createReward"], "/reward/id"))
        .collect();
    assert_eq!(ids.len(), 1, "one reward: {ids:?}");
    let all = r"query ($id: ID!) { node(id: $id) { ... on Merchant {
        allRewards { totalCount } } } }";
    let data = app
        .ok(all, json!({ "id": merchant.id }), Some(&merchant.operator))
        .await;
    assert_eq!(data["node"]["allRewards"]["totalCount"], 1);
}

/// `createActivity` sent again with its key returns the first draft.
async fn an_activity_sent_again_with_its_key_is_made_once(app: &TestApp) {
    let organiser = app.organiser(0).await;
    let starts = Utc::now() + Duration::days(3);
    let input = json!({
        "organisationId": organiser.organisation, "categoryId": "home-visits",
        "title": "敬老院陪伴", "description": "陪老人聊天", "place": "和美社区养老院",
        "startsAt": starts.to_rfc3339(), "endsAt": (starts + Duration::hours(2)).to_rfc3339(),
        "capacity": 10, "pointsPerHour": 10, "pointsCap": 20,
        "idempotencyKey": "activity-visit-0001"
    });
    let mut ids = Vec::new();
    for _ in 0..2 {
        let data = app
            .ok(
                CREATE_ACTIVITY,
                json!({ "input": input }),
                Some(&organiser.owner),
            )
            .await;
        ids.push(text_at(accepted(&data, "createActivity"), "/activity/id"));
    }
    assert_eq!(ids[0], ids[1]);
    let other = app.new_resident().await;
    let stranger = app
        .top_level_code(CREATE_ACTIVITY, json!({ "input": input }), Some(&other))
        .await;
    assert_eq!(
        stranger, "FORBIDDEN",
        "keys are the sender's own: another person's send is judged on its own"
    );
}

/// Ten copies of one `postNeed` in flight together post one need; the key with another
/// title is `IDEMPOTENCY_KEY_REUSED`.
async fn racing_copies_of_one_need_post_one(app: &TestApp) {
    let resident = app.new_resident().await;
    let community = app.community("建设路社区", "建设路街道").await;
    let wanted_by = (Utc::now() + Duration::days(3)).to_rfc3339();
    let need = |title: &str| {
        json!({ "input": {
            "communityId": community, "categoryId": "meal-delivery", "title": title,
            "description": "独居老人需要每天中午送餐", "urgency": "HIGH",
            "wantedBy": wanted_by, "idempotencyKey": "need-meals-0001"
        } })
    };
    let answers = app
        .concurrently(10, |_| {
            let variables = need("独居老人助餐");
            let resident = resident.clone();
            async move { app.ok(POST_NEED, variables, Some(&resident)).await }
        })
        .await;
    assert_eq!(
        tally(&answers, "postNeed").get("OK"),
        Some(&10),
        "{answers:?}"
    );
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|a| text_at(&a["postNeed"], "/need/id"))
        .collect();
    assert_eq!(ids.len(), 1, "one need: {ids:?}");
    let changed = app
        .ok(POST_NEED, need("独居老人助浴"), Some(&resident))
        .await;
    assert_eq!(user_error(&changed, "postNeed"), "IDEMPOTENCY_KEY_REUSED");
    let staff = app.staff().await;
    let posted = app
        .ok(
            "query ($c: ID!) { needs(filter: { communityId: $c }) { totalCount } }",
            json!({ "c": community }),
            Some(&staff),
        )
        .await;
    assert_eq!(posted["needs"]["totalCount"], 1, "{posted}");
}

/// `foundGroup` sent again with its key returns the first group, founded once; another
/// resident's send with the same key is their own request.
async fn a_group_founded_again_with_its_key_is_founded_once(app: &TestApp) {
    let convenor = app.new_resident().await;
    let community = app.community("杉板桥社区", "双桥子街道").await;
    let input = json!({
        "name": "杉板桥助老队", "purpose": "为独居老人送餐上门，助餐志愿服务",
        "communityId": community, "categoryId": "meal-delivery",
        "idempotencyKey": "group-found-0001"
    });
    let mut ids = Vec::new();
    for _ in 0..3 {
        let data = app
            .ok(FOUND_GROUP, json!({ "input": input }), Some(&convenor))
            .await;
        ids.push(text_at(accepted(&data, "foundGroup"), "/group/id"));
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    let group = app.the_group(&ids[0]).await;
    let founded = group["timeline"]["nodes"].as_array().unwrap();
    assert_eq!(founded.len(), 1, "founded once: {group}");
    let other = app.new_resident().await;
    let mut their_input = input.clone();
    their_input["name"] = json!("杉板桥理发队");
    let theirs = app
        .ok(FOUND_GROUP, json!({ "input": their_input }), Some(&other))
        .await;
    assert_ne!(
        text_at(accepted(&theirs, "foundGroup"), "/group/id"),
        ids[0],
        "keys are the sender's own"
    );
}

both_engines!(
    a_product_sent_again_with_its_key_is_made_once,
    racing_copies_of_one_reward_make_one,
    an_activity_sent_again_with_its_key_is_made_once,
    racing_copies_of_one_need_post_one,
    a_group_founded_again_with_its_key_is_founded_once,
);
