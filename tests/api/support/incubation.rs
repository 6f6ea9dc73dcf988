//! Self-governance groups: founded by a resident, joined by neighbours, taken through
//! incubation by staff, running activities of their own; and the needs they are matched to.

use serde_json::{Value, json};

use super::volunteering::COMPLETE_ACTIVITY;
use super::{TestApp, accepted, text_at};

pub const FOUND_GROUP: &str = r"
    mutation ($input: FoundGroupInput!) {
        foundGroup(input: $input) {
            group { id stage }
            errors { code field }
        }
    }
";

pub const DECIDE_GROUP_STAGE: &str = r"
    mutation ($input: DecideGroupStageInput!) {
        decideGroupStage(input: $input) {
            group { stage }
            errors { code field message }
        }
    }
";

const REQUEST_TO_JOIN_GROUP: &str = r"
    mutation ($group: ID!) {
        requestToJoinGroup(input: { groupId: $group }) { errors { code } }
    }
";

const APPROVE_GROUP_MEMBER: &str = r"
    mutation ($group: ID!, $user: ID!) {
        approveGroupMember(input: { groupId: $group, userId: $user }) {
            members { status }
            errors { code }
        }
    }
";

const SET_GROUP_MENTOR: &str = r"
    mutation ($group: ID!, $organisation: ID!) {
        setGroupMentor(input: { groupId: $group, organisationId: $organisation }) {
            errors { code }
        }
    }
";

const GROUP: &str = r"
    query ($id: ID!) {
        node(id: $id) {
            ... on Group {
                stage
                stageLabel
                criteria { name required actual met }
                timeline(first: 50) { nodes { kind fromStage toStage note } }
                fund { balance }
            }
        }
    }
";

pub const DONATE_TO_GROUP: &str = r#"
    mutation ($group: ID!, $amount: Points!, $key: String!) {
        donateToGroup(
            input: { groupId: $group, amount: $amount, reason: "支持送餐", idempotencyKey: $key }
        ) {
            transfer { amount }
            errors { code }
        }
    }
"#;

pub const REWARD_GROUP_MEMBER: &str = r#"
    mutation ($group: ID!, $user: ID!, $key: String!) {
        rewardGroupMember(
            input: {
                groupId: $group
                userId: $user
                amount: 20
                reason: "送餐辛苦了"
                idempotencyKey: $key
            }
        ) {
            transfer { amount }
            errors { code }
        }
    }
"#;

pub const POST_NEED: &str = r"
    mutation ($input: PostNeedInput!) {
        postNeed(input: $input) {
            need { id status overdue }
            errors { code field }
        }
    }
";

pub const PROPOSE_MATCH: &str = r"
    mutation ($need: ID!, $candidate: ID!) {
        proposeMatch(input: { needId: $need, candidateId: $candidate }) {
            match { id status reasons }
            errors { code }
        }
    }
";

/// A group, the resident who convenes it, and the members they approved.
pub struct Group {
    pub id: String,
    pub convenor: String,
    pub community: String,
    pub members: Vec<String>,
}

impl TestApp {
    /// `convenor` founds the group `name` in `community`; returns the answer.
    pub async fn found_group(&self, convenor: &str, community: &str, name: &str) -> Value {
        let group = json!({
            "name": name,
            "purpose": "为独居老人送餐上门，助餐志愿服务",
            "communityId": community,
            "categoryId": "meal-delivery"
        });
        self.ok(FOUND_GROUP, json!({ "input": group }), Some(convenor))
            .await
    }

    /// The group `id` as anyone sees it: stage, criteria, timeline and fund.
    pub async fn the_group(&self, id: &str) -> Value {
        self.ok(GROUP, json!({ "id": id }), None).await["node"].clone()
    }

    /// `donor` gives the fund of `group` `points` with the idempotency `key`; returns the
    /// answer.
    pub async fn donate_to_group(&self, donor: &str, group: &str, points: i64, key: &str) -> Value {
        self.ok(
            DONATE_TO_GROUP,
            json!({ "group": group, "amount": points, "key": key }),
            Some(donor),
        )
        .await
    }

    /// `payer` pays `user` (a global id) 20 points from the fund of `group` with `key`;
    /// returns the answer.
    pub async fn reward_group_member(
        &self,
        payer: &str,
        group: &str,
        user: &str,
        key: &str,
    ) -> Value {
        self.ok(
            REWARD_GROUP_MEMBER,
            json!({ "group": group, "user": user, "key": key }),
            Some(payer),
        )
        .await
    }

    /// `resident` posts `need` (a `PostNeedInput`): its id.
    pub async fn post_need(&self, resident: &str, need: Value) -> String {
        let posted = self
            .ok(POST_NEED, json!({ "input": need }), Some(resident))
            .await;
        text_at(accepted(&posted, "postNeed"), "/need/id")
    }

    /// 和美暖心送餐队, just founded in 和美社区 by a new resident.
    pub async fn proposed_group(&self) -> Group {
        let community = self.community("和美社区", "猛追湾街道").await;
        let convenor = self.new_resident().await;
        let founded = self
            .found_group(&convenor, &community, "和美暖心送餐队")
            .await;
        let id = text_at(accepted(&founded, "foundGroup"), "/group/id");
        Group {
            id,
            convenor,
            community,
            members: Vec::new(),
        }
    }

    /// A new resident asks to join `group` and its `convenor` approves: their token.
    pub async fn group_member(&self, group: &str, convenor: &str) -> String {
        let member = self.new_resident().await;
        self.join_group(group, convenor, &member).await;
        member
    }

    async fn join_group(&self, group: &str, convenor: &str, member: &str) {
        let asked = self
            .ok(
                REQUEST_TO_JOIN_GROUP,
                json!({ "group": group }),
                Some(member),
            )
            .await;
        accepted(&asked, "requestToJoinGroup");
        let user = self.user_id(member).await;
        let approved = self
            .ok(
                APPROVE_GROUP_MEMBER,
                json!({ "group": group, "user": user }),
                Some(convenor),
            )
            .await;
        accepted(&approved, "approveGroupMember");
    }

    /// Staff decide the stage of `group` (`ADVANCE`, `HOLD` …) with `note`; returns the
    /// answer.
    pub async fn decide_stage(&self, group: &str, decision: &str, note: &str) -> Value {
        self.ok(
            DECIDE_GROUP_STAGE,
            json!({ "input": { "groupId": group, "decision": decision, "note": note } }),
            Some(&self.staff().await),
        )
        .await
    }

    /// Staff decide the stage of `group`, which must move to `stage`.
    pub async fn move_stage(&self, group: &str, decision: &str, note: &str, stage: &str) {
        let decided = self.decide_stage(group, decision, note).await;
        assert_eq!(
            accepted(&decided, "decideGroupStage")["group"]["stage"],
            stage
        );
    }

    /// The proposed group with seven members and a verified mentor organisation.
    pub async fn group_ready_for_incubation(&self) -> Group {
        let mut group = self.proposed_group().await;
        group.members = self.residents(7).await;
        for member in &group.members {
            self.join_group(&group.id, &group.convenor, member).await;
        }
        let mentor_owner = self.new_resident().await;
        let mentor = self
            .verified_organisation_named(&mentor_owner, "成华区和美社会工作服务中心")
            .await;
        let mentored = self
            .ok(
                SET_GROUP_MENTOR,
                json!({ "group": group.id, "organisation": mentor }),
                Some(&self.staff().await),
            )
            .await;
        accepted(&mentored, "setGroupMentor");
        group
    }

    /// The group ready for incubation, advanced into it.
    pub async fn incubating_group(&self) -> Group {
        let group = self.group_ready_for_incubation().await;
        self.move_stage(&group.id, "ADVANCE", "成员和导师到位", "INCUBATING")
            .await;
        group
    }

    /// The incubating group, held back a month ("再观察一个月"), then advanced to growing.
    pub async fn growing_group(&self) -> Group {
        let group = self.incubating_group().await;
        self.move_stage(&group.id, "HOLD", "再观察一个月", "INCUBATING")
            .await;
        self.days_pass(31);
        self.move_stage(&group.id, "ADVANCE", "运行稳定", "GROWING")
            .await;
        group
    }

    /// The group runs meal delivery paying `points_per_hour`: `volunteers` (members) serve
    /// `minutes`, and the convenor verifies them all and marks it held.
    pub async fn group_activity_held(
        &self,
        group: &Group,
        volunteers: &[String],
        points_per_hour: i64,
        minutes: u64,
    ) {
        let activity = self
            .group_activity(&group.id, &group.convenor)
            .points_per_hour(points_per_hour)
            .await;
        for volunteer in volunteers {
            accepted(
                &self.sign_up(&activity, volunteer).await,
                "signUpForActivity",
            );
        }
        self.attend(&activity, volunteers, minutes).await;
        let verified = self.verify_all(&activity, &group.convenor).await;
        let verified = &accepted(&verified, "verifyActivityAttendance")["verified"];
        assert_eq!(
            verified.as_array().unwrap().len(),
            volunteers.len(),
            "{verified}"
        );
        let completed = self
            .ok(
                COMPLETE_ACTIVITY,
                json!({ "id": activity.id }),
                Some(&group.convenor),
            )
            .await;
        accepted(&completed, "completeActivity");
    }
}
