//! Partner organisations: verification, suspension and membership.

use serde_json::{Value, json};

use crate::support::directory::{
    ADD_ORGANISATION_MEMBER, ORGANISATION_MEMBERS, ORGANISATION_REVIEW_QUEUE,
    REGISTER_ORGANISATION, REMOVE_ORGANISATION_MEMBER, REVIEW_ORGANISATION, SUSPEND_ORGANISATION,
};
use crate::support::{TestApp, accepted, both_engines, tally, user_error, user_error_field};

/// An owner registers 双桥子邻里互助会 and adds `member@example.cn` as a manager:
/// (the organisation, the owner's token, the manager's token).
async fn an_organisation_with_a_manager(app: &TestApp) -> (String, String, String) {
    let owner = app.resident("owner@example.cn").await;
    let manager = app.resident("member@example.cn").await;
    let organisation = app.register_organisation(&owner, "双桥子邻里互助会").await;
    let added = app
        .add_member(&owner, &organisation, "member@example.cn", "MANAGER")
        .await;
    accepted(&added, "addOrganisationMember");
    (organisation, owner, manager)
}

/// The user id of the member of `organisation` holding `role`, as `reader` sees the list.
async fn member_with_role(app: &TestApp, organisation: &str, reader: &str, role: &str) -> Value {
    let members = app
        .ok(
            ORGANISATION_MEMBERS,
            json!({ "id": organisation }),
            Some(reader),
        )
        .await;
    let list = members["node"]["members"]["nodes"].as_array().unwrap();
    list.iter()
        .find(|m| m["role"] == role)
        .unwrap_or_else(|| panic!("no {role}: {members}"))["userId"]
        .clone()
}

async fn remove_member(app: &TestApp, owner: &str, organisation: &str, user: &Value) -> Value {
    app.ok(
        REMOVE_ORGANISATION_MEMBER,
        json!({ "input": { "organisationId": organisation, "userId": user } }),
        Some(owner),
    )
    .await
}

both_engines!(
    a_registered_organisation_awaits_review,
    an_owner_adds_a_member_with_a_role,
    adding_a_member_twice_is_refused,
    adding_someone_without_an_account_is_refused_on_the_member_field,
    a_manager_cannot_change_the_membership,
    the_last_owner_cannot_be_removed,
    an_owner_removes_a_manager,
    a_removed_member_no_longer_sees_an_unverified_organisation,
);

async fn a_registered_organisation_awaits_review(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = json!({
        "name": "双桥子邻里互助会",
        "kind": "SOCIAL_ORGANISATION",
        "description": "互助",
        "contact": "028-84001234"
    });

    let registered = app
        .ok(
            REGISTER_ORGANISATION,
            json!({ "input": organisation }),
            Some(&owner),
        )
        .await;

    let payload = accepted(&registered, "registerOrganisation");
    assert_eq!(payload["organisation"]["status"], "PENDING");
}

async fn an_owner_adds_a_member_with_a_role(app: &TestApp) {
    let owner = app.new_resident().await;
    app.resident("member@example.cn").await;
    let organisation = app.register_organisation(&owner, "双桥子邻里互助会").await;

    let added = app
        .add_member(&owner, &organisation, "member@example.cn", "MANAGER")
        .await;

    let members = &accepted(&added, "addOrganisationMember")["members"];
    assert_eq!(members.as_array().unwrap().len(), 2);
}

async fn adding_a_member_twice_is_refused(app: &TestApp) {
    let (organisation, owner, _) = an_organisation_with_a_manager(app).await;

    let again = app
        .add_member(&owner, &organisation, "member@example.cn", "MEMBER")
        .await;

    assert_eq!(
        user_error(&again, "addOrganisationMember"),
        "ALREADY_MEMBER"
    );
}

async fn adding_someone_without_an_account_is_refused_on_the_member_field(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.register_organisation(&owner, "双桥子邻里互助会").await;

    let unknown = app
        .add_member(&owner, &organisation, "ghost@example.cn", "MEMBER")
        .await;

    assert_eq!(
        user_error_field(&unknown, "addOrganisationMember"),
        "input.member"
    );
}

async fn a_manager_cannot_change_the_membership(app: &TestApp) {
    let (organisation, _, manager) = an_organisation_with_a_manager(app).await;
    let demotion = json!({ "input": {
        "organisationId": organisation,
        "member": "owner@example.cn",
        "role": "MEMBER"
    } });

    let code = app
        .top_level_code(ADD_ORGANISATION_MEMBER, demotion, Some(&manager))
        .await;

    assert_eq!(code, "FORBIDDEN");
}

async fn the_last_owner_cannot_be_removed(app: &TestApp) {
    let (organisation, owner, manager) = an_organisation_with_a_manager(app).await;
    let owner_id = member_with_role(app, &organisation, &manager, "OWNER").await;

    let refused = remove_member(app, &owner, &organisation, &owner_id).await;

    assert_eq!(
        user_error(&refused, "removeOrganisationMember"),
        "LAST_OWNER"
    );
}

async fn an_owner_removes_a_manager(app: &TestApp) {
    let (organisation, owner, manager) = an_organisation_with_a_manager(app).await;
    let manager_id = member_with_role(app, &organisation, &manager, "MANAGER").await;

    let removed = remove_member(app, &owner, &organisation, &manager_id).await;

    let members = &accepted(&removed, "removeOrganisationMember")["members"];
    assert_eq!(members.as_array().unwrap().len(), 1);
}

async fn a_removed_member_no_longer_sees_an_unverified_organisation(app: &TestApp) {
    let (organisation, owner, manager) = an_organisation_with_a_manager(app).await;
    let manager_id = member_with_role(app, &organisation, &manager, "MANAGER").await;

    remove_member(app, &owner, &organisation, &manager_id).await;

    let hidden = app
        .ok(
            ORGANISATION_MEMBERS,
            json!({ "id": organisation }),
            Some(&manager),
        )
        .await;
    assert!(hidden["node"].is_null(), "{hidden}");
}

both_engines!(
    a_registered_organisation_waits_in_the_staff_review_queue,
    residents_cannot_see_the_review_queue,
    staff_verify_a_pending_organisation,
    an_organisation_is_reviewed_only_once,
    staff_suspend_a_verified_organisation_with_a_reason,
    a_suspended_organisation_cannot_be_suspended_again,
    staff_suspending_an_organisation_at_once_suspend_it_once,
    a_suspended_organisation_cannot_draft_products,
);

fn suspension(organisation: &str) -> Value {
    json!({ "input": { "organisationId": organisation, "reason": "资质过期" } })
}

/// A verified organisation staff have suspended: (the organisation, its owner's token).
async fn a_suspended_organisation(app: &TestApp) -> (String, String) {
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;
    let suspended = app
        .ok(
            SUSPEND_ORGANISATION,
            suspension(&organisation),
            Some(&app.staff().await),
        )
        .await;
    accepted(&suspended, "suspendOrganisation");
    (organisation, owner)
}

async fn a_registered_organisation_waits_in_the_staff_review_queue(app: &TestApp) {
    let owner = app.new_resident().await;
    app.register_organisation(&owner, "双桥子邻里互助会").await;

    let queue = app
        .ok(
            ORGANISATION_REVIEW_QUEUE,
            json!({}),
            Some(&app.staff().await),
        )
        .await;

    assert_eq!(queue["organisationReviewQueue"]["totalCount"], 1);
}

async fn residents_cannot_see_the_review_queue(app: &TestApp) {
    let owner = app.new_resident().await;
    app.register_organisation(&owner, "双桥子邻里互助会").await;

    let code = app
        .top_level_code(ORGANISATION_REVIEW_QUEUE, json!({}), Some(&owner))
        .await;

    assert_eq!(code, "FORBIDDEN");
}

async fn staff_verify_a_pending_organisation(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.register_organisation(&owner, "双桥子邻里互助会").await;

    let verified = app.review_organisation(&organisation, "VERIFY").await;

    let reviewed = &verified["reviewOrganisation"]["organisation"];
    assert_eq!(reviewed["status"], "VERIFIED");
}

async fn an_organisation_is_reviewed_only_once(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;

    let rejection = json!({ "input": {
        "organisationId": organisation,
        "decision": "REJECT",
        "reason": "重复审核"
    } });

    let twice = app
        .ok(REVIEW_ORGANISATION, rejection, Some(&app.staff().await))
        .await;

    assert_eq!(user_error(&twice, "reviewOrganisation"), "INVALID_INPUT");
}

async fn staff_suspend_a_verified_organisation_with_a_reason(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;

    let suspended = app
        .ok(
            SUSPEND_ORGANISATION,
            suspension(&organisation),
            Some(&app.staff().await),
        )
        .await;

    let organisation = &suspended["suspendOrganisation"]["organisation"];
    assert_eq!(organisation["status"], "SUSPENDED");
    assert_eq!(organisation["statusReason"], "资质过期");
}

async fn a_suspended_organisation_cannot_be_suspended_again(app: &TestApp) {
    let (organisation, _) = a_suspended_organisation(app).await;

    let again = app
        .ok(
            SUSPEND_ORGANISATION,
            suspension(&organisation),
            Some(&app.staff().await),
        )
        .await;

    assert_eq!(user_error(&again, "suspendOrganisation"), "INVALID_STATE");
}

/// The losers are told the organisation moved on: `STAGE_CHANGED` when they read it still
/// verified (PostgreSQL lets them read before the winner commits), else `INVALID_STATE`.
async fn staff_suspending_an_organisation_at_once_suspend_it_once(app: &TestApp) {
    let owner = app.new_resident().await;
    let organisation = app.verified_organisation(&owner).await;
    let staff = app.staff().await;

    let answers = app
        .concurrently(8, |_| {
            app.ok(
                SUSPEND_ORGANISATION,
                suspension(&organisation),
                Some(&staff),
            )
        })
        .await;

    let outcomes = tally(&answers, "suspendOrganisation");
    assert_eq!(outcomes.get("OK"), Some(&1), "{outcomes:?}");
    let told_why = ["OK", "INVALID_STATE", "STAGE_CHANGED"];
    assert!(
        outcomes.keys().all(|code| told_why.contains(code)),
        "{outcomes:?}"
    );
}

async fn a_suspended_organisation_cannot_draft_products(app: &TestApp) {
    let (organisation, owner) = a_suspended_organisation(app).await;
    let product = json!({
        "categoryId": "repair",
        "title": "家电维修",
        "summary": "上门维修",
        "description": "",
        "priceTier": "MARKET"
    });

    let refused = app.create_product(&owner, &organisation, product).await;

    assert_eq!(
        user_error(&refused, "createProduct"),
        "ORGANISATION_NOT_VERIFIED"
    );
}
