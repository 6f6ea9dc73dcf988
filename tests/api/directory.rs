//! Partner organisations: verification, suspension and membership.

use serde_json::json;

use crate::support::{TestApp, both_engines};

const MEMBERS: &str = "query($id: ID!) { node(id: $id) { ... on Organisation { members { displayName role userId } } } }";
const ADD: &str = "mutation($input: AddOrganisationMemberInput!) { addOrganisationMember(input: $input) { members { role } errors { code field } } }";
const REMOVE: &str = "mutation($input: RemoveOrganisationMemberInput!) { removeOrganisationMember(input: $input) { members { role } errors { code } } }";

async fn registered(app: &TestApp, owner: &str) -> String {
    let data = app
        .ok(
            "mutation { registerOrganisation(input: { name: \"双桥子邻里互助会\", kind: SOCIAL_ORGANISATION, description: \"互助\", contact: \"028-84001234\" }) { organisation { id status } errors { code } } }",
            json!({}),
            Some(owner),
        )
        .await;
    assert_eq!(
        data["registerOrganisation"]["organisation"]["status"],
        "PENDING"
    );
    data["registerOrganisation"]["organisation"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

both_engines!(owners_manage_members);

async fn owners_manage_members(app: &TestApp) {
    let owner = app.resident("owner@example.cn").await;
    let member = app.resident("member@example.cn").await;
    let org = registered(app, &owner).await;

    let added = app.ok(ADD, json!({ "input": { "organisationId": org, "member": "member@example.cn", "role": "MANAGER" } }), Some(&owner)).await;
    assert_eq!(
        added["addOrganisationMember"]["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let again = app.ok(ADD, json!({ "input": { "organisationId": org, "member": "member@example.cn", "role": "MEMBER" } }), Some(&owner)).await;
    assert_eq!(
        again["addOrganisationMember"]["errors"][0]["code"],
        "ALREADY_MEMBER"
    );
    let unknown = app.ok(ADD, json!({ "input": { "organisationId": org, "member": "ghost@example.cn", "role": "MEMBER" } }), Some(&owner)).await;
    assert_eq!(
        unknown["addOrganisationMember"]["errors"][0]["field"],
        "member"
    );

    // A manager is not an owner: membership is the owners' to change.
    let by_manager = json!({ "input": { "organisationId": org, "member": "owner@example.cn", "role": "MEMBER" } });
    assert_eq!(
        app.top_level_code(ADD, by_manager, Some(&member)).await,
        "FORBIDDEN"
    );

    let members = app.ok(MEMBERS, json!({ "id": org }), Some(&member)).await;
    let list = members["node"]["members"].as_array().unwrap().clone();
    let owner_id = list.iter().find(|m| m["role"] == "OWNER").unwrap()["userId"].clone();
    let manager_id = list.iter().find(|m| m["role"] == "MANAGER").unwrap()["userId"].clone();
    let last = app
        .ok(
            REMOVE,
            json!({ "input": { "organisationId": org, "userId": owner_id } }),
            Some(&owner),
        )
        .await;
    assert_eq!(
        last["removeOrganisationMember"]["errors"][0]["code"],
        "LAST_OWNER"
    );
    let removed = app
        .ok(
            REMOVE,
            json!({ "input": { "organisationId": org, "userId": manager_id } }),
            Some(&owner),
        )
        .await;
    assert_eq!(
        removed["removeOrganisationMember"]["members"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A former member no longer sees the (still unverified) organisation at all.
    let hidden = app.ok(MEMBERS, json!({ "id": org }), Some(&member)).await;
    assert!(hidden["node"].is_null(), "{hidden}");
}

both_engines!(staff_verify_reject_and_suspend);

async fn staff_verify_reject_and_suspend(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let owner = app.resident("owner@example.cn").await;
    let org = registered(app, &owner).await;

    let queue = app
        .ok(
            "{ organisationReviewQueue { totalCount edges { node { id } } } }",
            json!({}),
            Some(&staff),
        )
        .await;
    assert_eq!(queue["organisationReviewQueue"]["totalCount"], 1);
    assert_eq!(
        app.top_level_code(
            "{ organisationReviewQueue { totalCount } }",
            json!({}),
            Some(&owner)
        )
        .await,
        "FORBIDDEN"
    );

    let review = "mutation($input: ReviewOrganisationInput!) { reviewOrganisation(input: $input) { organisation { status statusReason } errors { code } } }";
    let verified = app
        .ok(
            review,
            json!({ "input": { "organisationId": org, "decision": "VERIFY" } }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        verified["reviewOrganisation"]["organisation"]["status"],
        "VERIFIED"
    );
    let twice = app.ok(review, json!({ "input": { "organisationId": org, "decision": "REJECT", "reason": "重复审核" } }), Some(&staff)).await;
    assert_eq!(
        twice["reviewOrganisation"]["errors"][0]["code"],
        "INVALID_INPUT"
    );

    let suspend = "mutation($input: SuspendOrganisationInput!) { suspendOrganisation(input: $input) { organisation { status statusReason } errors { code } } }";
    let suspended = app
        .ok(
            suspend,
            json!({ "input": { "organisationId": org, "reason": "资质过期" } }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        suspended["suspendOrganisation"]["organisation"]["status"],
        "SUSPENDED"
    );
    assert_eq!(
        suspended["suspendOrganisation"]["organisation"]["statusReason"],
        "资质过期"
    );
    let again = app
        .ok(
            suspend,
            json!({ "input": { "organisationId": org, "reason": "资质过期" } }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        again["suspendOrganisation"]["errors"][0]["code"],
        "INVALID_STATE"
    );

    // A suspended organisation cannot draft products.
    let create = "mutation($input: CreateProductInput!) { createProduct(input: $input) { errors { code } } }";
    let product = json!({ "categoryId": "repair", "title": "家电维修", "summary": "上门维修", "description": "", "priceTier": "MARKET" });
    let refused = app
        .ok(
            create,
            json!({ "input": { "organisationId": org, "product": product } }),
            Some(&owner),
        )
        .await;
    assert_eq!(
        refused["createProduct"]["errors"][0]["code"],
        "ORGANISATION_NOT_VERIFIED"
    );
}
