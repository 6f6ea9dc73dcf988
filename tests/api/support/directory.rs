//! The district's directory: communities, and partner organisations with their members.

use serde_json::{Value, json};

use super::{TestApp, accepted, text_at};

pub const CREATE_COMMUNITY: &str = r"
    mutation ($name: String!, $street: String!) {
        createCommunity(
            input: { name: $name, street: $street, communityType: OLD_COMMUNITY }
        ) {
            community { id }
            errors { code }
        }
    }
";

pub const REGISTER_ORGANISATION: &str = r"
    mutation ($input: RegisterOrganisationInput!) {
        registerOrganisation(input: $input) {
            organisation { id status }
            errors { code }
        }
    }
";

pub const REVIEW_ORGANISATION: &str = r"
    mutation ($input: ReviewOrganisationInput!) {
        reviewOrganisation(input: $input) {
            organisation { status statusReason }
            errors { code }
        }
    }
";

pub const ADD_ORGANISATION_MEMBER: &str = r"
    mutation ($input: AddOrganisationMemberInput!) {
        addOrganisationMember(input: $input) {
            members { role }
            errors { code field }
        }
    }
";

pub const ORGANISATION_MEMBERS: &str = r"
    query ($id: ID!) {
        node(id: $id) {
            ... on Organisation { members(first: 100) { nodes { displayName role userId } } }
        }
    }
";

pub const REMOVE_ORGANISATION_MEMBER: &str = r"
    mutation ($input: RemoveOrganisationMemberInput!) {
        removeOrganisationMember(input: $input) {
            members { role }
            errors { code }
        }
    }
";

pub const ORGANISATION_REVIEW_QUEUE: &str = r"
    {
        organisationReviewQueue { totalCount edges { node { id name } } }
    }
";

pub const SUSPEND_ORGANISATION: &str = r"
    mutation ($input: OrganisationStandingInput!) {
        suspendOrganisation(input: $input) {
            organisation { status statusReason }
            errors { code }
        }
    }
";

impl TestApp {
    /// Staff add the community `name` on `street`: its id.
    pub async fn community(&self, name: &str, street: &str) -> String {
        let data = self
            .ok(
                CREATE_COMMUNITY,
                json!({ "name": name, "street": street }),
                Some(&self.staff().await),
            )
            .await;
        text_at(accepted(&data, "createCommunity"), "/community/id")
    }

    /// `owner` registers a social organisation called `name`, pending review: its id.
    pub async fn register_organisation(&self, owner: &str, name: &str) -> String {
        self.register_organisation_of_kind(owner, name, "SOCIAL_ORGANISATION")
            .await
    }

    pub async fn register_organisation_of_kind(
        &self,
        owner: &str,
        name: &str,
        kind: &str,
    ) -> String {
        let organisation = json!({
            "name": name,
            "kind": kind,
            "description": "社区服务",
            "contact": "028-84000000"
        });
        let data = self
            .ok(
                REGISTER_ORGANISATION,
                json!({ "input": organisation }),
                Some(owner),
            )
            .await;
        text_at(accepted(&data, "registerOrganisation"), "/organisation/id")
    }

    /// Staff verify the pending `organisation`.
    pub async fn verify_organisation(&self, organisation: &str) {
        self.verify_organisation_as(&self.staff().await, organisation)
            .await;
    }

    /// The staff member `reviewer` verifies the pending `organisation`.
    pub async fn verify_organisation_as(&self, reviewer: &str, organisation: &str) {
        let review = json!({ "organisationId": organisation, "decision": "VERIFY" });
        let data = self
            .ok(
                REVIEW_ORGANISATION,
                json!({ "input": review }),
                Some(reviewer),
            )
            .await;
        let reviewed = accepted(&data, "reviewOrganisation");
        assert_eq!(reviewed["organisation"]["status"], "VERIFIED", "{data}");
    }

    /// Staff review `organisation` with `decision` (`VERIFY`, `REJECT`); returns the answer.
    pub async fn review_organisation(&self, organisation: &str, decision: &str) -> Value {
        let review = json!({ "organisationId": organisation, "decision": decision });
        self.ok(
            REVIEW_ORGANISATION,
            json!({ "input": review }),
            Some(&self.staff().await),
        )
        .await
    }

    /// A verified organisation `owner` registered: its id.
    pub async fn verified_organisation(&self, owner: &str) -> String {
        self.verified_organisation_named(owner, "和美社区志愿服务队")
            .await
    }

    /// A verified organisation called `name` that `owner` registered: its id.
    pub async fn verified_organisation_named(&self, owner: &str, name: &str) -> String {
        let organisation = self.register_organisation(owner, name).await;
        self.verify_organisation(&organisation).await;
        organisation
    }

    /// `owner` adds the person signing in as `member` to `organisation` as `role`; returns the
    /// answer.
    pub async fn add_member(
        &self,
        owner: &str,
        organisation: &str,
        member: &str,
        role: &str,
    ) -> Value {
        let membership = json!({ "organisationId": organisation, "member": member, "role": role });
        self.ok(
            ADD_ORGANISATION_MEMBER,
            json!({ "input": membership }),
            Some(owner),
        )
        .await
    }
}
