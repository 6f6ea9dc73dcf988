//! The product catalogue: lifecycle, permissions, Chinese search, and a fixed statement count.

use linli_domain::catalogue::{PriceTier, ProductInput, ProductReview};
use linli_domain::directory::{CommunityType, NewOrganisation, OrganisationKind, Review};
use linli_domain::identity::{Actor, NewUser, Role};
use linli_domain::types::{CommunityId, OrganisationId};
use serde_json::{Value, json};

use crate::support::catalogue::{REVIEW_PRODUCT, canteen_lunch};
use crate::support::{
    PASSWORD, TestApp, accepted, both_engines, text_at, user_error, user_error_field,
};

const UPDATE_PRODUCT: &str = r"
    mutation ($input: UpdateProductInput!) {
        updateProduct(input: $input) {
            product { id status title }
            errors { field code }
        }
    }
";

const SEARCH: &str = r"
    query ($text: String!) {
        products(filter: { text: $text }, first: 5) {
            totalCount
            edges {
                node {
                    title
                    organisation { name }
                    category { slug nameZh }
                    communities { name }
                }
            }
        }
    }
";

const PRODUCT_PRICES: &str = r"
    query ($id: ID!) {
        node(id: $id) {
            ... on Product { title priceYuan pricePoints }
        }
    }
";

const LOW_COST_MEALS_IN: &str = r#"
    query ($community: ID!) {
        products(
            filter: { communityId: $community, categories: ["meals"], priceTiers: [LOW_COST] }
        ) {
            totalCount
        }
    }
"#;

const NODE_ID: &str = "query ($id: ID!) { node(id: $id) { id } }";

const ALL_DRAFTS: &str = "{ products(filter: { status: DRAFT }) { totalCount } }";

const DRAFTS_OF: &str = r"
    query ($organisation: ID!) {
        products(filter: { organisationId: $organisation, status: DRAFT }) { totalCount }
    }
";

const PAGE_OF_PRODUCTS: &str = r"
    query ($n: Int!) {
        products(first: $n) {
            totalCount
            edges {
                node {
                    title
                    organisation { name status }
                    category { nameZh }
                    communities { name street }
                }
            }
        }
    }
";

/// 和美长者食堂, a verified organisation serving 和美社区.
struct Canteen {
    owner: String,
    organisation: String,
    community: String,
}

async fn a_canteen(app: &TestApp) -> Canteen {
    let community = app.community("和美社区", "猛追湾街道").await;
    let owner = app.resident("owner@example.cn").await;
    let organisation = app
        .verified_organisation_named(&owner, "和美长者食堂")
        .await;
    Canteen {
        owner,
        organisation,
        community,
    }
}

/// The canteen's lunch 爱心午餐, drafted and submitted: its id.
async fn a_lunch_in_review(app: &TestApp, canteen: &Canteen) -> String {
    let lunch = canteen_lunch("爱心午餐", &canteen.community);
    let product = app
        .draft_product(&canteen.owner, &canteen.organisation, lunch)
        .await;
    let submitted = app.submit_product(&canteen.owner, &product).await;
    accepted(&submitted, "submitProduct");
    product
}

/// Staff send `product` back with a reason; returns the answer.
async fn send_back(app: &TestApp, product: &str) -> Value {
    let review = json!({ "productId": product, "decision": "REJECT", "reason": "请写明供餐时间" });
    app.ok(
        REVIEW_PRODUCT,
        json!({ "input": review }),
        Some(&app.staff().await),
    )
    .await
}

both_engines!(
    a_new_product_is_a_draft,
    submitting_a_draft_sends_it_to_review,
    staff_send_a_product_back_with_a_reason,
    a_product_sent_back_is_edited_and_submitted_again,
    staff_publish_a_product_in_review,
    residents_find_a_published_product_by_a_chinese_keyword,
    a_published_product_shows_its_price_in_yuan_and_points,
    products_filter_by_community_category_and_price_tier,
);

async fn a_new_product_is_a_draft(app: &TestApp) {
    let canteen = a_canteen(app).await;

    let created = app
        .create_product(
            &canteen.owner,
            &canteen.organisation,
            canteen_lunch("爱心午餐", &canteen.community),
        )
        .await;

    assert_eq!(
        accepted(&created, "createProduct")["product"]["status"],
        "DRAFT"
    );
}

async fn submitting_a_draft_sends_it_to_review(app: &TestApp) {
    let canteen = a_canteen(app).await;
    let lunch = canteen_lunch("爱心午餐", &canteen.community);
    let product = app
        .draft_product(&canteen.owner, &canteen.organisation, lunch)
        .await;

    let submitted = app.submit_product(&canteen.owner, &product).await;

    assert_eq!(submitted["submitProduct"]["product"]["status"], "IN_REVIEW");
}

async fn staff_send_a_product_back_with_a_reason(app: &TestApp) {
    let canteen = a_canteen(app).await;
    let product = a_lunch_in_review(app, &canteen).await;

    let rejected = send_back(app, &product).await;

    let product = &rejected["reviewProduct"]["product"];
    assert_eq!(product["status"], "REJECTED");
    assert_eq!(product["statusReason"], "请写明供餐时间");
}

async fn a_product_sent_back_is_edited_and_submitted_again(app: &TestApp) {
    let canteen = a_canteen(app).await;
    let product = a_lunch_in_review(app, &canteen).await;
    send_back(app, &product).await;
    let edit = json!({ "input": {
        "productId": product,
        "product": canteen_lunch("爱心午餐（每日 11:30–13:00）", &canteen.community)
    } });

    let edited = app.ok(UPDATE_PRODUCT, edit, Some(&canteen.owner)).await;
    let resubmitted = app.submit_product(&canteen.owner, &product).await;

    let edited = &accepted(&edited, "updateProduct")["product"];
    assert_eq!(edited["title"], "爱心午餐（每日 11:30–13:00）");
    assert_eq!(
        resubmitted["submitProduct"]["product"]["status"],
        "IN_REVIEW"
    );
}

async fn staff_publish_a_product_in_review(app: &TestApp) {
    let canteen = a_canteen(app).await;
    let product = a_lunch_in_review(app, &canteen).await;

    let published = app.publish_product(&product).await;

    assert_eq!(published["reviewProduct"]["product"]["status"], "PUBLISHED");
}

async fn residents_find_a_published_product_by_a_chinese_keyword(app: &TestApp) {
    let canteen = a_canteen(app).await;
    let lunch = canteen_lunch("爱心午餐（每日 11:30–13:00）", &canteen.community);
    app.published_product(&canteen.owner, &canteen.organisation, lunch)
        .await;
    let resident = app.new_resident().await;

    let found = app
        .ok(SEARCH, json!({ "text": "助餐" }), Some(&resident))
        .await;

    let first = &found["products"]["edges"][0]["node"];
    assert_eq!(first["title"], "爱心午餐（每日 11:30–13:00）");
    assert_eq!(first["organisation"]["name"], "和美长者食堂");
    assert_eq!(first["category"]["slug"], "elder-canteen");
    assert_eq!(first["communities"][0]["name"], "和美社区");
}

async fn a_published_product_shows_its_price_in_yuan_and_points(app: &TestApp) {
    let canteen = a_canteen(app).await;
    let lunch = canteen_lunch("爱心午餐", &canteen.community);
    let product = app
        .published_product(&canteen.owner, &canteen.organisation, lunch)
        .await;

    let seen = app.ok(PRODUCT_PRICES, json!({ "id": product }), None).await;

    assert_eq!(seen["node"]["priceYuan"], "12.50");
    assert_eq!(seen["node"]["pricePoints"], 20);
}

async fn products_filter_by_community_category_and_price_tier(app: &TestApp) {
    let canteen = a_canteen(app).await;
    let lunch = canteen_lunch("爱心午餐", &canteen.community);
    app.published_product(&canteen.owner, &canteen.organisation, lunch)
        .await;

    let filtered = app
        .ok(
            LOW_COST_MEALS_IN,
            json!({ "community": canteen.community }),
            None,
        )
        .await;

    assert_eq!(filtered["products"]["totalCount"], 1);
}

/// An organisation staff have not verified yet, serving 致强社区, with a draft.
struct Unverified {
    owner: String,
    organisation: String,
    community: String,
    draft: String,
}

async fn a_draft_of_an_unverified_organisation(app: &TestApp) -> Unverified {
    let community = app.community("致强社区", "双水碾街道").await;
    let owner = app.resident("owner@example.cn").await;
    let organisation = app.register_organisation(&owner, "尚未认证的组织").await;
    let draft = app
        .draft_product(&owner, &organisation, canteen_lunch("上门理发", &community))
        .await;
    Unverified {
        owner,
        organisation,
        community,
        draft,
    }
}

both_engines!(
    an_unverified_organisation_cannot_submit_a_product,
    nobody_edits_another_organisations_product,
    an_unpublished_product_is_invisible_to_other_residents,
    residents_cannot_list_drafts,
    owners_see_their_own_drafts,
    a_bad_price_or_category_is_refused_on_its_field,
    each_price_tier_keeps_its_rule,
    staff_cannot_publish_the_draft_of_an_unverified_organisation,
);

async fn an_unverified_organisation_cannot_submit_a_product(app: &TestApp) {
    let unverified = a_draft_of_an_unverified_organisation(app).await;

    let submitted = app
        .submit_product(&unverified.owner, &unverified.draft)
        .await;

    assert_eq!(
        user_error(&submitted, "submitProduct"),
        "ORGANISATION_NOT_VERIFIED"
    );
}

async fn nobody_edits_another_organisations_product(app: &TestApp) {
    let unverified = a_draft_of_an_unverified_organisation(app).await;
    let other = app.new_resident().await;
    let edit = json!({ "input": {
        "productId": unverified.draft,
        "product": canteen_lunch("改掉别人的产品", &unverified.community)
    } });

    let code = app.top_level_code(UPDATE_PRODUCT, edit, Some(&other)).await;

    assert_eq!(code, "FORBIDDEN");
}

async fn an_unpublished_product_is_invisible_to_other_residents(app: &TestApp) {
    let unverified = a_draft_of_an_unverified_organisation(app).await;
    let other = app.new_resident().await;

    let seen = app
        .ok(NODE_ID, json!({ "id": unverified.draft }), Some(&other))
        .await;

    assert!(seen["node"].is_null());
}

async fn residents_cannot_list_drafts(app: &TestApp) {
    a_draft_of_an_unverified_organisation(app).await;
    let other = app.new_resident().await;

    let code = app
        .top_level_code(ALL_DRAFTS, json!({}), Some(&other))
        .await;

    assert_eq!(code, "FORBIDDEN");
}

async fn owners_see_their_own_drafts(app: &TestApp) {
    let unverified = a_draft_of_an_unverified_organisation(app).await;

    let own = app
        .ok(
            DRAFTS_OF,
            json!({ "organisation": unverified.organisation }),
            Some(&unverified.owner),
        )
        .await;

    assert_eq!(own["products"]["totalCount"], 1);
}

async fn a_bad_price_or_category_is_refused_on_its_field(app: &TestApp) {
    let unverified = a_draft_of_an_unverified_organisation(app).await;
    let mut bad_price = canteen_lunch("价格不对", &unverified.community);
    bad_price["priceYuan"] = json!("12.345");
    let mut bad_category = canteen_lunch("分类不对", &unverified.community);
    bad_category["categoryId"] = json!("no-such-category");

    for (product, field) in [
        (bad_price, "input.product.priceYuan"),
        (bad_category, "input.product.categoryId"),
    ] {
        let created = app
            .create_product(&unverified.owner, &unverified.organisation, product)
            .await;

        assert_eq!(user_error_field(&created, "createProduct"), field);
    }
}

/// FREE carries no price; LOW_COST a yuan price below its market price; only LOW_COST states a
/// market price.
async fn each_price_tier_keeps_its_rule(app: &TestApp) {
    let unverified = a_draft_of_an_unverified_organisation(app).await;
    let lunch = || canteen_lunch("长者午餐", &unverified.community);
    let mut at_market = lunch();
    at_market["marketPriceYuan"] = json!("12.50");
    let mut no_market = lunch();
    no_market["marketPriceYuan"] = json!(null);
    let mut no_price = lunch();
    no_price["priceYuan"] = json!(null);
    let mut priced_free = lunch();
    priced_free["priceTier"] = json!("FREE");
    priced_free["marketPriceYuan"] = json!(null);
    priced_free["pricePoints"] = json!(null);
    let mut market_with_market = lunch();
    market_with_market["priceTier"] = json!("MARKET");

    for (product, field) in [
        (at_market, "input.product.marketPriceYuan"),
        (no_market, "input.product.marketPriceYuan"),
        (no_price, "input.product.priceYuan"),
        (priced_free, "input.product.priceTier"),
        (market_with_market, "input.product.marketPriceYuan"),
    ] {
        let created = app
            .create_product(&unverified.owner, &unverified.organisation, product)
            .await;

        assert_eq!(user_error_field(&created, "createProduct"), field);
    }
    let fine = app
        .create_product(&unverified.owner, &unverified.organisation, lunch())
        .await;
    let id = text_at(accepted(&fine, "createProduct"), "/product/id");
    let read = app
        .ok(
            "query ($id: ID!) { node(id: $id) { ... on Product { priceYuan marketPriceYuan } } }",
            json!({ "id": id }),
            Some(&unverified.owner),
        )
        .await;
    assert_eq!(
        read["node"],
        json!({ "priceYuan": "12.50", "marketPriceYuan": "25.00" })
    );
}

async fn staff_cannot_publish_the_draft_of_an_unverified_organisation(app: &TestApp) {
    let unverified = a_draft_of_an_unverified_organisation(app).await;

    let review = app.publish_product(&unverified.draft).await;

    assert_eq!(
        user_error(&review, "reviewProduct"),
        "ORGANISATION_NOT_VERIFIED"
    );
}

/// Publishes products straight through the services (the HTTP path is tested above).
fn publish_products(
    app: &TestApp,
    products: &[(&str, &str, &str)],
    organisations: usize,
) -> Vec<String> {
    let s = &app.services;
    let staff = s
        .identity()
        .create_staff(
            NewUser {
                email: Some("seed-staff@example.cn".into()),
                password: PASSWORD.into(),
                display_name: "工作人员".into(),
                ..NewUser::default()
            },
            Role::Staff,
        )
        .unwrap();
    let staff = Actor::User {
        id: staff.id,
        role: Role::Staff,
    };
    let owner = s
        .identity()
        .register_resident(
            NewUser {
                email: Some("seed-owner@example.cn".into()),
                password: PASSWORD.into(),
                display_name: "负责人".into(),
                ..NewUser::default()
            },
            "127.0.0.1",
        )
        .unwrap();
    let owner = Actor::User {
        id: owner.id,
        role: Role::Resident,
    };
    let communities: Vec<CommunityId> = ["和美社区", "致强社区", "双桥子社区"]
        .iter()
        .map(|name| {
            s.directory()
                .create_community(&staff, name, "成华区街道", CommunityType::OldCommunity)
                .unwrap()
                .id
        })
        .collect();
    let orgs: Vec<OrganisationId> = (0..organisations)
        .map(|i| {
            let org = s
                .directory()
                .register_organisation(
                    &owner,
                    NewOrganisation {
                        name: format!("社创伙伴{i}号"),
                        kind: OrganisationKind::SocialOrganisation,
                        description: String::new(),
                        community_id: None,
                        contact: "028-1234567".into(),
                    },
                )
                .unwrap();
            s.directory()
                .review_organisation(&staff, &org.id, Review::Verify)
                .unwrap();
            org.id
        })
        .collect();
    let mut ids = Vec::new();
    for (i, (category, title, description)) in products.iter().enumerate() {
        let input = ProductInput {
            category_id: (*category).to_owned(),
            title: (*title).to_owned(),
            summary: "社区服务".to_owned(),
            description: (*description).to_owned(),
            price_tier: PriceTier::Free,
            price_yuan: None,
            market_price_yuan: None,
            price_points: None,
            community_ids: communities.iter().take(1 + i % 3).cloned().collect(),
        };
        let product = s
            .catalogue()
            .create_product(&owner, &orgs[i % orgs.len()], input, None)
            .unwrap()
            .product;
        s.catalogue().submit_product(&owner, &product.id).unwrap();
        s.catalogue()
            .review_product(&staff, &product.id, ProductReview::Publish)
            .unwrap();
        ids.push(product.id.to_string());
    }
    ids
}

// The database's own path: with the page cache, the second page would cost no statement.
both_engines!(
    with [("LINLI_CATALOGUE_CACHE_MS", "0")]:
    a_page_costs_the_same_statements_whatever_its_size
);

async fn a_page_costs_the_same_statements_whatever_its_size(app: &TestApp) {
    let catalogue: Vec<(String, String, String)> = (0..60)
        .map(|i| {
            (
                "home-visits".to_owned(),
                format!("上门探访服务{i}"),
                "志愿者定期探访独居老人".to_owned(),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str, &str)> = catalogue
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    let app_ref = app;
    tokio::task::block_in_place(|| publish_products(app_ref, &borrowed, 7));

    let mut costs = Vec::new();
    for n in [5, 50] {
        let before = app.services.db.statements_executed();
        let data = app.ok(PAGE_OF_PRODUCTS, json!({ "n": n }), None).await;
        costs.push(app.services.db.statements_executed() - before);
        assert_eq!(
            data["products"]["edges"].as_array().unwrap().len(),
            usize::try_from(n).unwrap()
        );
        assert_eq!(data["products"]["totalCount"], 60);
    }
    assert_eq!(
        costs[0], costs[1],
        "statement count grew with the page: {costs:?}"
    );
    // The products joined with their organisations and counted in a subquery, then their
    // communities joined with the links; no transaction around them, the taxonomy in memory.
    assert_eq!(costs[1], 2, "a page costs {} statements", costs[1]);

    // Later pages count the whole catalogue, not what is left after the cursor.
    let paged = "query ($after: String) { products(first: 10, after: $after) { totalCount \
                 pageInfo { endCursor } edges { node { title } } } }";
    let first = app.ok(paged, json!({ "after": null }), None).await;
    let cursor = first["products"]["pageInfo"]["endCursor"].clone();
    let second = app.ok(paged, json!({ "after": cursor }), None).await;
    assert_eq!(second["products"]["totalCount"], 60);
    assert_ne!(
        second["products"]["edges"][0],
        first["products"]["edges"][0]
    );

    // A page past the end has no row to carry the count, so it costs a statement of its own
    // only when `totalCount` is asked for; asked for under an alias or through a fragment,
    // it still is.
    let mut last = json!(null);
    loop {
        let page = app.ok(paged, json!({ "after": last }), None).await;
        let end = page["products"]["pageInfo"]["endCursor"].clone();
        if end.is_null() {
            break;
        }
        last = end;
    }
    let past = |counted: bool| {
        let query = if counted {
            paged.to_owned()
        } else {
            paged.replace("totalCount", "")
        };
        let last = last.clone();
        async move {
            let before = app.services.db.statements_executed();
            let page = app.ok(&query, json!({ "after": last }), None).await;
            assert_eq!(page["products"]["edges"].as_array().map(Vec::len), Some(0));
            if counted {
                assert_eq!(page["products"]["totalCount"], 60);
            }
            app.services.db.statements_executed() - before
        }
    };
    assert_eq!(past(false).await, 1, "an uncounted page runs no count");
    assert_eq!(past(true).await, 2, "the count is one statement");
    let aliased = PAGE_OF_PRODUCTS.replace("totalCount", "all: totalCount");
    let data = app.ok(&aliased, json!({ "n": 5 }), None).await;
    assert_eq!(data["products"]["all"], 60);
    let fragment = "query ($n: Int!) { products(first: $n) { ...Counted } } \
                    fragment Counted on ProductConnection { totalCount }";
    let data = app.ok(fragment, json!({ "n": 5 }), None).await;
    assert_eq!(data["products"]["totalCount"], 60);
}

both_engines!(chinese_search_puts_the_matching_service_first);

async fn chinese_search_puts_the_matching_service_first(app: &TestApp) {
    let products = [
        (
            "elder-day-care",
            "日间照料中心助老服务",
            "为失能半失能老人提供日间照料、康复训练和助老陪伴",
        ),
        (
            "elder-canteen",
            "长者食堂老年人助餐",
            "老年人每天可在社区食堂用餐，享受助餐补贴",
        ),
        (
            "nursery",
            "社区托幼托育班",
            "为三岁以下婴幼儿提供托幼服务，家长安心上班",
        ),
        (
            "elder-haircut",
            "银发理发日",
            "每月一次，理发师志愿者为长者免费理发",
        ),
        (
            "pet-boarding",
            "云寄养宠物之家",
            "出差旅行时把宠物交给邻居照看",
        ),
        (
            "appliance-repair",
            "家电维修便民点",
            "空调冰箱洗衣机上门维修，收费透明",
        ),
        (
            "legal-consultation",
            "社区法律咨询",
            "律师每周坐班，提供免费法律咨询",
        ),
        ("fitness", "全民健身操", "广场健身操教学，强身健体"),
    ];
    let app_ref = app;
    tokio::task::block_in_place(|| publish_products(app_ref, &products, 2));
    for (query, expected) in [
        ("助老", "日间照料中心助老服务"),
        ("托幼", "社区托幼托育班"),
        ("理发", "银发理发日"),
        ("老年人 助餐", "长者食堂老年人助餐"),
        ("宠物", "云寄养宠物之家"),
        ("维修", "家电维修便民点"),
        ("法律咨询", "社区法律咨询"),
    ] {
        let found = app.ok(SEARCH, json!({ "text": query }), None).await;
        assert_eq!(
            found["products"]["edges"][0]["node"]["title"], expected,
            "query {query}: {found}"
        );
    }
    let none = app.ok(SEARCH, json!({ "text": "火箭发射" }), None).await;
    assert_eq!(none["products"]["totalCount"], 0);
}
