//! The centre's queues and directory: merchant applications decided with a reason, people
//! and organisations found by what staff know of them, and suspension that really stops an
//! account — tried with a still-valid access token, since that is how it would be abused.

use serde_json::{Value, json};

use crate::support::identity::{SIGN_IN, global_raw_id, unique_email};
use crate::support::{TestApp, accepted, both_engines, text_at, texts_at, user_error};

const APPLICATIONS: &str = r"
    { merchantApplications { totalCount nodes { id shopName status createdAt
        organisation { name contact } } } }
";

const REVIEW_MERCHANT: &str = r"
    mutation ($id: ID!, $decision: MerchantReview!, $reason: String) {
        reviewMerchant(input: { merchantId: $id, decision: $decision, reason: $reason }) {
            merchant { status statusReason }
            errors { code field }
        }
    }
";

const SUSPEND_MERCHANT: &str = r"
    mutation ($id: ID!, $reason: String!) {
        suspendMerchant(input: { merchantId: $id, reason: $reason }) {
            merchant { status statusReason }
            errors { code field }
        }
    }
";

const RESTORE_MERCHANT: &str = r"
    mutation ($id: ID!, $reason: String!) {
        restoreMerchant(input: { merchantId: $id, reason: $reason }) {
            merchant { status statusReason }
            errors { code field }
        }
    }
";

const RESTORE_ORGANISATION: &str = r"
    mutation ($id: ID!, $reason: String!) {
        restoreOrganisation(input: { organisationId: $id, reason: $reason }) {
            organisation { status statusReason }
            errors { code field }
        }
    }
";

const SUSPEND_USER: &str = r"
    mutation ($id: ID!, $reason: String!) {
        suspendUser(input: { userId: $id, reason: $reason }) {
            user { status statusReason }
            errors { code field }
        }
    }
";

const RESTORE_USER: &str = r"
    mutation ($id: ID!, $reason: String!) {
        restoreUser(input: { userId: $id, reason: $reason }) {
            user { status statusReason }
            errors { code field }
        }
    }
";

const RESIDENTS: &str = r"
    query ($filter: ResidentFilterInput) {
        residents(filter: $filter) { totalCount nodes { id displayName phone email status } }
    }
";

const ORGANISATIONS: &str = r"
    query ($filter: OrganisationFilterInput) {
        organisations(filter: $filter) { totalCount nodes { id name status } }
    }
";

const MERCHANTS: &str = r"
    query ($filter: MerchantFilterInput) {
        merchants(filter: $filter) { totalCount nodes { id shopName status } }
    }
";

const AUDIT: &str = r"
    query ($subject: String!) {
        auditEvents(subjectId: $subject) { nodes { action detail } }
    }
";

const REFRESH: &str = r"
    mutation ($token: String!) {
        refreshSession(input: { refreshToken: $token }) { errors { code } }
    }
";

const SIGN_UP: &str = r#"
    mutation ($phone: String!) {
        registerResident(input: {
            phone: $phone, password: "correct-horse-battery", displayName: "张阿姨"
        }) { user { id } errors { code } }
    }
"#;

/// The actions recorded about `subject`, newest first, as `action: detail`.
async fn audit_of(app: &TestApp, subject: &str) -> Vec<String> {
    let data = app
        .ok(
            AUDIT,
            json!({ "subject": global_raw_id(subject) }),
            Some(&app.staff().await),
        )
        .await;
    data["auditEvents"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["action"].as_str().unwrap(),
                e["detail"].as_str().unwrap()
            )
        })
        .collect()
}

/// An organisation verified and applying for `shop`: (the operator, the merchant's id).
async fn application(app: &TestApp, shop: &str) -> (String, String) {
    let operator = app.new_resident().await;
    let organisation = app
        .register_organisation_of_kind(&operator, &format!("{shop}公司"), "ENTERPRISE")
        .await;
    app.verify_organisation(&organisation).await;
    let applied = app.apply_for_merchant(&operator, &organisation, shop).await;
    let id = text_at(accepted(&applied, "applyForMerchant"), "/merchant/id");
    (operator, id)
}

async fn decide(app: &TestApp, query: &str, id: &str, reason: &str, extra: Value) -> Value {
    let mut variables = json!({ "id": id, "reason": reason });
    if let (Some(vars), Some(more)) = (variables.as_object_mut(), extra.as_object()) {
        vars.extend(more.clone());
    }
    app.ok(query, variables, Some(&app.staff().await)).await
}

/// The queue lists applications oldest first with who applied; turning one down needs a
/// reason, which the shop sees and the audit trail keeps; a decided application leaves the
/// queue, and each later step (suspend, restore) applies only where it fits.
async fn merchant_applications_are_decided_with_reasons(app: &TestApp) {
    let staff = app.staff().await;
    let (_, first) = application(app, "建设路修鞋铺").await;
    let (florist, second) = application(app, "猛追湾花店").await;

    let queue = app.ok(APPLICATIONS, json!({}), Some(&staff)).await;
    assert_eq!(queue["merchantApplications"]["totalCount"], 2);
    let shops = texts_at(&queue["merchantApplications"]["nodes"], "/shopName");
    assert_eq!(shops, ["建设路修鞋铺", "猛追湾花店"], "oldest first");
    let applicant = &queue["merchantApplications"]["nodes"][0]["organisation"];
    assert_eq!(applicant["name"], "建设路修鞋铺公司");

    let silent = decide(
        app,
        REVIEW_MERCHANT,
        &first,
        "",
        json!({ "decision": "REJECT" }),
    )
    .await;
    assert_eq!(user_error(&silent, "reviewMerchant"), "INVALID_INPUT");
    assert_eq!(
        silent["reviewMerchant"]["errors"][0]["field"],
        json!(["input", "reason"])
    );

    let why = "营业执照与申请主体不一致";
    let rejected = decide(
        app,
        REVIEW_MERCHANT,
        &first,
        why,
        json!({ "decision": "REJECT" }),
    )
    .await;
    let merchant = &accepted(&rejected, "reviewMerchant")["merchant"];
    assert_eq!(merchant["status"], "REJECTED");
    assert_eq!(merchant["statusReason"], why);
    let again = decide(
        app,
        REVIEW_MERCHANT,
        &first,
        "",
        json!({ "decision": "ADMIT" }),
    )
    .await;
    assert_eq!(user_error(&again, "reviewMerchant"), "INVALID_STATE");

    let admitted = decide(
        app,
        REVIEW_MERCHANT,
        &second,
        "",
        json!({ "decision": "ADMIT" }),
    )
    .await;
    assert_eq!(
        accepted(&admitted, "reviewMerchant")["merchant"]["status"],
        "ACTIVE"
    );
    let queue = app.ok(APPLICATIONS, json!({}), Some(&staff)).await;
    assert_eq!(queue["merchantApplications"]["totalCount"], 0);

    let till = r"query ($id: ID!) { node(id: $id) { ... on Merchant { account { balance } } } }";
    for reader in [&staff, &florist] {
        let data = app.ok(till, json!({ "id": second }), Some(reader)).await;
        assert_eq!(
            data["node"]["account"]["balance"], 0,
            "staff and operators see the till"
        );
    }
    let stranger = app.new_resident().await;
    let code = app
        .top_level_code(till, json!({ "id": second }), Some(&stranger))
        .await;
    assert_eq!(code, "FORBIDDEN");

    let restore_active = decide(app, RESTORE_MERCHANT, &second, "误操作恢复", json!({})).await;
    assert_eq!(
        user_error(&restore_active, "restoreMerchant"),
        "INVALID_STATE"
    );
    let suspended = decide(app, SUSPEND_MERCHANT, &second, "顾客投诉核实中", json!({})).await;
    assert_eq!(
        accepted(&suspended, "suspendMerchant")["merchant"]["status"],
        "SUSPENDED"
    );
    let restored = decide(app, RESTORE_MERCHANT, &second, "投诉已核实处理", json!({})).await;
    let merchant = &accepted(&restored, "restoreMerchant")["merchant"];
    assert_eq!(merchant["status"], "ACTIVE");
    assert_eq!(merchant["statusReason"], "投诉已核实处理");

    assert_eq!(
        audit_of(app, &first).await,
        [format!("merchant.rejected: {why}")]
    );
    assert_eq!(
        audit_of(app, &second).await,
        [
            "merchant.restored: 投诉已核实处理",
            "merchant.suspended: 顾客投诉核实中",
            "merchant.admitted: ",
        ]
    );
}

/// Staff find a resident by any part of their phone, email or name, find organisations and
/// merchants by name and status, and `%` in the search text is a percent sign, not a
/// wildcard.
async fn the_directory_finds_people_and_organisations_by_what_staff_know(app: &TestApp) {
    let staff = app.staff().await;
    let signed_up = app
        .ok(SIGN_UP, json!({ "phone": "13912345678" }), None)
        .await;
    let aunt = text_at(accepted(&signed_up, "registerResident"), "/user/id");
    let email = unique_email("Wang.Li");
    app.resident(&email).await;
    let (_, shop) = application(app, "双水碾便民超市").await;
    let (_, bakery) = application(app, "Linli Bakery").await;

    let search = |query: &'static str, filter: Value| {
        let staff = staff.clone();
        async move {
            app.ok(query, json!({ "filter": filter }), Some(&staff))
                .await
        }
    };
    let by_phone = search(RESIDENTS, json!({ "text": "1234567" })).await;
    assert_eq!(by_phone["residents"]["totalCount"], 1, "{by_phone}");
    assert_eq!(by_phone["residents"]["nodes"][0]["id"], aunt);
    assert_eq!(by_phone["residents"]["nodes"][0]["phone"], "13912345678");
    let by_name = search(RESIDENTS, json!({ "text": "张阿" })).await;
    assert_eq!(
        texts_at(&by_name["residents"]["nodes"], "/id"),
        [aunt.as_str()]
    );
    let by_email = search(RESIDENTS, json!({ "text": email.to_uppercase() })).await;
    assert_eq!(
        by_email["residents"]["totalCount"], 1,
        "case-insensitive: {by_email}"
    );
    let wildcard = search(RESIDENTS, json!({ "text": "%" })).await;
    assert_eq!(
        wildcard["residents"]["totalCount"], 0,
        "% is literal: {wildcard}"
    );
    let everyone = search(RESIDENTS, json!({})).await;
    assert!(everyone["residents"]["totalCount"].as_i64().unwrap() >= 3);
    let too_long = app
        .post(
            RESIDENTS,
            json!({ "filter": { "text": "号".repeat(61) } }),
            Some(&staff),
        )
        .await
        .1;
    assert_eq!(
        too_long["errors"][0]["extensions"]["code"], "INVALID_INPUT",
        "{too_long}"
    );

    let organisations = search(ORGANISATIONS, json!({ "text": "便民超市" })).await;
    assert_eq!(
        texts_at(&organisations["organisations"]["nodes"], "/name"),
        ["双水碾便民超市公司"]
    );
    let verified = search(ORGANISATIONS, json!({ "status": "VERIFIED" })).await;
    assert!(verified["organisations"]["totalCount"].as_i64().unwrap() >= 1);
    let pending = search(
        ORGANISATIONS,
        json!({ "text": "便民超市", "status": "PENDING" }),
    )
    .await;
    assert_eq!(pending["organisations"]["totalCount"], 0);

    let merchants = search(MERCHANTS, json!({ "text": "便民", "status": "PENDING" })).await;
    assert_eq!(
        texts_at(&merchants["merchants"]["nodes"], "/id"),
        [shop.as_str()]
    );
    let capitals = search(MERCHANTS, json!({ "text": "linli bAKERY" })).await;
    assert_eq!(
        texts_at(&capitals["merchants"]["nodes"], "/id"),
        [bakery.as_str()]
    );
    let capitals = search(ORGANISATIONS, json!({ "text": "LINLI bakery" })).await;
    assert_eq!(
        capitals["organisations"]["totalCount"], 1,
        "any case: {capitals}"
    );
    let active = search(MERCHANTS, json!({ "status": "ACTIVE" })).await;
    assert_eq!(active["merchants"]["totalCount"], 0);
}

/// A suspended resident's sessions end and their access token, still valid for minutes, can
/// no longer move a point out of the wallet; restoring gives the account back with its points.
async fn a_suspended_resident_cannot_sign_in_or_spend(app: &TestApp) {
    let email = unique_email("suspect");
    let token = app.resident(&email).await;
    app.fund(&token, 100).await;
    let neighbour = app.resident(&unique_email("neighbour")).await;
    let merchant = app.merchant().await;
    let reward = app.reward(&merchant).await;
    let session = app
        .ok(
            SIGN_IN,
            json!({ "input": { "login": email, "password": crate::support::PASSWORD } }),
            None,
        )
        .await;
    let refresh = text_at(&session, "/signIn/session/refreshToken");
    let user = app.user_id(&token).await;

    let suspended = decide(app, SUSPEND_USER, &user, "疑似批量注册刷积分", json!({})).await;
    let account = &accepted(&suspended, "suspendUser")["user"];
    assert_eq!(account["status"], "SUSPENDED");
    assert_eq!(account["statusReason"], "疑似批量注册刷积分");

    let refreshed = app.ok(REFRESH, json!({ "token": refresh }), None).await;
    assert_eq!(
        user_error(&refreshed, "refreshSession"),
        "INVALID_REFRESH_TOKEN",
        "revoked"
    );
    let signed_in = app
        .ok(
            SIGN_IN,
            json!({ "input": { "login": email, "password": crate::support::PASSWORD } }),
            None,
        )
        .await;
    assert_eq!(user_error(&signed_in, "signIn"), "ACCOUNT_SUSPENDED");
    let wrong_password = app
        .ok(
            SIGN_IN,
            json!({ "input": { "login": email, "password": "guess-guess-1" } }),
            None,
        )
        .await;
    assert_eq!(
        user_error(&wrong_password, "signIn"),
        "INVALID_CREDENTIALS",
        "the suspension is only told to whoever knows the password"
    );

    let redeemed = app.redeem(&token, &reward, "suspended-redeem").await;
    assert_eq!(user_error(&redeemed, "redeemReward"), "ACCOUNT_SUSPENDED");
    let neighbour_email = app.email_of(&neighbour).await;
    let donated = app
        .donate(&token, &neighbour_email, 10, "suspended-donate")
        .await;
    assert_eq!(user_error(&donated, "donatePoints"), "ACCOUNT_SUSPENDED");
    assert_eq!(app.balance(&token).await, 100, "nothing left the wallet");

    let restored = decide(app, RESTORE_USER, &user, "核实为本人正常使用", json!({})).await;
    assert_eq!(
        accepted(&restored, "restoreUser")["user"]["status"],
        "ACTIVE"
    );
    let again = decide(app, RESTORE_USER, &user, "核实为本人正常使用", json!({})).await;
    assert_eq!(user_error(&again, "restoreUser"), "INVALID_STATE");
    app.sign_in(&email).await;
    let donated = app
        .donate(&token, &neighbour_email, 10, "restored-donate")
        .await;
    accepted(&donated, "donatePoints");
    assert_eq!(app.balance(&token).await, 90);

    let staff_member = app.user_id(&app.staff().await).await;
    let colleague = app.another_staff_member("colleague@example.cn").await;
    let data = app
        .post(
            SUSPEND_USER,
            json!({ "id": staff_member, "reason": "同事之间不能暂停" }),
            Some(&colleague),
        )
        .await
        .1;
    assert_eq!(
        data["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{data}"
    );
}

/// A suspended organisation comes back verified, with the reason recorded.
async fn a_suspended_organisation_is_restored_with_a_reason(app: &TestApp) {
    let organiser = app.organiser(0).await;
    let staff = app.staff().await;
    let id = &organiser.organisation;
    let early = decide(app, RESTORE_ORGANISATION, id, "误操作恢复", json!({})).await;
    assert_eq!(user_error(&early, "restoreOrganisation"), "INVALID_STATE");
    let suspension = json!({ "input": { "organisationId": id, "reason": "活动安全隐患整改" } });
    app.ok(
        crate::support::directory::SUSPEND_ORGANISATION,
        suspension,
        Some(&staff),
    )
    .await;
    let restored = decide(
        app,
        RESTORE_ORGANISATION,
        id,
        "整改完成，复查通过",
        json!({}),
    )
    .await;
    let organisation = &accepted(&restored, "restoreOrganisation")["organisation"];
    assert_eq!(organisation["status"], "VERIFIED");
    assert_eq!(organisation["statusReason"], "整改完成，复查通过");
    assert_eq!(
        audit_of(app, id).await[..2],
        [
            "organisation.restored: 整改完成，复查通过",
            "organisation.suspended: 活动安全隐患整改",
        ]
    );
}

/// Every staff read and decision of the queues and the directory is refused to a resident,
/// an organiser and a merchant's operator, and changes nothing.
async fn the_queues_and_directory_are_for_staff_only(app: &TestApp) {
    let resident = app.new_resident().await;
    let organiser = app.organiser(0).await;
    let (operator, pending) = application(app, "府青路早餐店").await;
    let target = app.user_id(&resident).await;
    let reads = [APPLICATIONS, RESIDENTS, ORGANISATIONS, MERCHANTS];
    let writes: [(&str, &str, Value); 6] = [
        (REVIEW_MERCHANT, &pending, json!({ "decision": "ADMIT" })),
        (SUSPEND_MERCHANT, &pending, json!({})),
        (RESTORE_MERCHANT, &pending, json!({})),
        (RESTORE_ORGANISATION, &organiser.organisation, json!({})),
        (SUSPEND_USER, &target, json!({})),
        (RESTORE_USER, &target, json!({})),
    ];
    for caller in [&resident, &organiser.owner, &operator] {
        for query in reads {
            let code = app.top_level_code(query, json!({}), Some(caller)).await;
            assert_eq!(code, "FORBIDDEN", "{query}");
        }
        for (query, id, extra) in &writes {
            let mut variables = json!({ "id": id, "reason": "越权尝试" });
            variables
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            let code = app.top_level_code(query, variables, Some(caller)).await;
            assert_eq!(code, "FORBIDDEN", "{query}");
        }
    }
    for caller in [&organiser.owner, &operator] {
        let memberships = r"query ($id: ID!) { node(id: $id) { ... on User { memberships {
            role } } } }";
        let data = app
            .ok(memberships, json!({ "id": target }), Some(caller))
            .await;
        assert_eq!(
            data["node"],
            Value::Null,
            "another person is not visible at all"
        );
    }
    let queue = app
        .ok(APPLICATIONS, json!({}), Some(&app.staff().await))
        .await;
    assert_eq!(
        queue["merchantApplications"]["nodes"][0]["status"], "PENDING",
        "unchanged"
    );
}

both_engines!(
    merchant_applications_are_decided_with_reasons,
    the_directory_finds_people_and_organisations_by_what_staff_know,
    a_suspended_resident_cannot_sign_in_or_spend,
    a_suspended_organisation_is_restored_with_a_reason,
    the_queues_and_directory_are_for_staff_only,
);
