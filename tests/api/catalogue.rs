//! The product catalogue: lifecycle, permissions, Chinese search, and a fixed statement count.

use linli_domain::catalogue::{PriceTier, ProductInput, ProductReview};
use linli_domain::directory::{CommunityType, NewOrganisation, OrganisationKind, Review};
use linli_domain::identity::{Actor, NewUser, Role};
use linli_domain::types::OrganisationId;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, both_engines};

const CREATE: &str = "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id status } errors { field code message } } }";
const UPDATE: &str = "mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { id status title } errors { field code } } }";
const SUBMIT: &str = "mutation($id: ID!) { submitProduct(input: { productId: $id }) { product { status } errors { code } } }";
const REVIEW: &str = "mutation($input: ReviewProductInput!) { reviewProduct(input: $input) { product { status statusReason } errors { code } } }";
const SEARCH: &str = "query($text: String!) { products(filter: { text: $text }, first: 5) { totalCount edges { node { title organisation { name } category { id nameZh } communities { name } } } } }";

async fn organisation(app: &TestApp, owner: &str, name: &str) -> String {
    let data = app
        .ok(
            "mutation($input: RegisterOrganisationInput!) { registerOrganisation(input: $input) { organisation { id } errors { code } } }",
            json!({ "input": { "name": name, "kind": "SOCIAL_ORGANISATION", "description": "社区服务", "contact": "028-84000000" } }),
            Some(owner),
        )
        .await;
    data["registerOrganisation"]["organisation"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn verify(app: &TestApp, staff: &str, organisation: &str) {
    let data = app
        .ok(
            "mutation($input: ReviewOrganisationInput!) { reviewOrganisation(input: $input) { errors { code } } }",
            json!({ "input": { "organisationId": organisation, "decision": "VERIFY" } }),
            Some(staff),
        )
        .await;
    assert_eq!(data["reviewOrganisation"]["errors"], json!([]));
}

fn fields(title: &str, community: &str) -> Value {
    json!({
        "categoryId": "elder-canteen", "title": title, "summary": "为社区老年人提供营养午餐",
        "description": "长者食堂每天中午供应两荤两素，八十岁以上老人享受助餐补贴。",
        "priceTier": "LOW_COST", "priceYuan": "12.5", "pricePoints": 20, "communityIds": [community]
    })
}

both_engines!(a_product_goes_from_draft_to_search_results);

async fn a_product_goes_from_draft_to_search_results(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let community = app
        .ok("mutation { createCommunity(input: { name: \"和美社区\", street: \"猛追湾街道\", communityType: OLD_COMMUNITY }) { community { id } errors { code } } }", json!({}), Some(&staff))
        .await["createCommunity"]["community"]["id"].as_str().unwrap().to_owned();
    let owner = app.resident("owner@example.cn").await;
    let org = organisation(app, &owner, "和美长者食堂").await;
    verify(app, &staff, &org).await;

    let created = app.ok(CREATE, json!({ "input": { "organisationId": org, "product": fields("爱心午餐", &community) } }), Some(&owner)).await;
    let product = created["createProduct"]["product"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(created["createProduct"]["product"]["status"], "DRAFT");

    assert_eq!(
        app.ok(SUBMIT, json!({ "id": product }), Some(&owner)).await["submitProduct"]["product"]["status"],
        "IN_REVIEW"
    );
    let rejected = app.ok(REVIEW, json!({ "input": { "productId": product, "decision": "REJECT", "reason": "请写明供餐时间" } }), Some(&staff)).await;
    assert_eq!(rejected["reviewProduct"]["product"]["status"], "REJECTED");
    assert_eq!(
        rejected["reviewProduct"]["product"]["statusReason"],
        "请写明供餐时间"
    );

    let edited = app.ok(UPDATE, json!({ "input": { "productId": product, "product": fields("爱心午餐（每日 11:30–13:00）", &community) } }), Some(&owner)).await;
    assert_eq!(edited["updateProduct"]["errors"], json!([]));
    assert_eq!(
        app.ok(SUBMIT, json!({ "id": product }), Some(&owner)).await["submitProduct"]["product"]["status"],
        "IN_REVIEW"
    );
    let published = app
        .ok(
            REVIEW,
            json!({ "input": { "productId": product, "decision": "PUBLISH" } }),
            Some(&staff),
        )
        .await;
    assert_eq!(published["reviewProduct"]["product"]["status"], "PUBLISHED");

    // A resident finds it by a Chinese keyword, with its organisation, category, community.
    let resident = app.resident("resident@example.cn").await;
    let found = app
        .ok(SEARCH, json!({ "text": "助餐" }), Some(&resident))
        .await;
    let first = &found["products"]["edges"][0]["node"];
    assert_eq!(first["title"], "爱心午餐（每日 11:30–13:00）");
    assert_eq!(first["organisation"]["name"], "和美长者食堂");
    assert_eq!(first["category"]["id"], "elder-canteen");
    assert_eq!(first["communities"][0]["name"], "和美社区");
    let again = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Product { title priceYuan pricePoints } } }",
            json!({ "id": product }),
            None,
        )
        .await;
    assert_eq!(again["node"]["priceYuan"], "12.50");
    assert_eq!(again["node"]["pricePoints"], 20);
    let filtered = app.ok("query($c: ID!) { products(filter: { communityId: $c, categories: [\"meals\"], priceTiers: [LOW_COST] }) { totalCount } }", json!({ "c": community }), None).await;
    assert_eq!(filtered["products"]["totalCount"], 1);
}

both_engines!(products_are_guarded);

async fn products_are_guarded(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let community = app
        .ok("mutation { createCommunity(input: { name: \"致强社区\", street: \"双水碾街道\", communityType: RESETTLEMENT }) { community { id } } }", json!({}), Some(&staff))
        .await["createCommunity"]["community"]["id"].as_str().unwrap().to_owned();
    let owner = app.resident("owner@example.cn").await;
    let pending = organisation(app, &owner, "尚未认证的组织").await;
    let draft = app.ok(CREATE, json!({ "input": { "organisationId": pending, "product": fields("上门理发", &community) } }), Some(&owner)).await;
    let draft = draft["createProduct"]["product"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Publishing without verification.
    let submit = app.ok(SUBMIT, json!({ "id": draft }), Some(&owner)).await;
    assert_eq!(
        submit["submitProduct"]["errors"][0]["code"],
        "ORGANISATION_NOT_VERIFIED"
    );

    // Editing another organisation's product.
    let other = app.resident("other@example.cn").await;
    let edit =
        json!({ "input": { "productId": draft, "product": fields("改掉别人的产品", &community) } });
    assert_eq!(
        app.top_level_code(UPDATE, edit, Some(&other)).await,
        "FORBIDDEN"
    );

    // Reading an unpublished product as a resident: invisible, and refused when asked for.
    let seen = app
        .ok(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": draft }),
            Some(&other),
        )
        .await;
    assert!(seen["node"].is_null());
    assert_eq!(
        app.top_level_code(
            "{ products(filter: { status: DRAFT }) { totalCount } }",
            json!({}),
            Some(&other)
        )
        .await,
        "FORBIDDEN"
    );
    // The owner sees their own drafts.
    let own = app.ok("query($o: ID!) { products(filter: { organisationId: $o, status: DRAFT }) { totalCount } }", json!({ "o": pending }), Some(&owner)).await;
    assert_eq!(own["products"]["totalCount"], 1);

    // Bad input is typed.
    let mut bad = fields("价格不对", &community);
    bad["priceYuan"] = json!("12.345");
    let created = app
        .ok(
            CREATE,
            json!({ "input": { "organisationId": pending, "product": bad } }),
            Some(&owner),
        )
        .await;
    assert_eq!(created["createProduct"]["errors"][0]["field"], "priceYuan");
    let mut bad = fields("分类不对", &community);
    bad["categoryId"] = json!("no-such-category");
    let created = app
        .ok(
            CREATE,
            json!({ "input": { "organisationId": pending, "product": bad } }),
            Some(&owner),
        )
        .await;
    assert_eq!(created["createProduct"]["errors"][0]["field"], "categoryId");
    // Staff review of a draft is a lifecycle error, not a crash.
    let review = app
        .ok(
            REVIEW,
            json!({ "input": { "productId": draft, "decision": "PUBLISH" } }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        review["reviewProduct"]["errors"][0]["code"],
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
    let communities: Vec<String> = ["和美社区", "致强社区", "双桥子社区"]
        .iter()
        .map(|name| {
            s.directory()
                .create_community(&staff, name, "成华区街道", CommunityType::OldCommunity)
                .unwrap()
                .id
                .to_string()
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
            price_points: None,
            community_ids: communities.iter().take(1 + i % 3).cloned().collect(),
        };
        let product = s
            .catalogue()
            .create_product(&owner, &orgs[i % orgs.len()], input)
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

both_engines!(a_page_costs_the_same_statements_whatever_its_size);

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

    let page = "query($n: Int!) { products(first: $n) { totalCount edges { node { title organisation { name status } category { nameZh } communities { name street } } } } }";
    let mut costs = Vec::new();
    for n in [5, 50] {
        let before = app.services.db.statements_executed();
        let data = app.ok(page, json!({ "n": n }), None).await;
        costs.push(app.services.db.statements_executed() - before);
        assert_eq!(
            data["products"]["edges"].as_array().unwrap().len(),
            n as usize
        );
        assert_eq!(data["products"]["totalCount"], 60);
    }
    assert_eq!(
        costs[0], costs[1],
        "statement count grew with the page: {costs:?}"
    );
    assert!(
        (3..=10).contains(&costs[1]),
        "a page costs {} statements",
        costs[1]
    );
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
