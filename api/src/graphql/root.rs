//! The query and mutation roots: each field hands over to its context's module.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::types::{
    AccountId, ActivityId, ApprovalRequestId, CommunityId, GroupId, MerchantId, OrganisationId,
    ProductId, RewardId, TransferId,
};

use super::Context;
use super::catalogue::{self, Category, ProductConnection};
use super::directory::{self, CommunityConnection, Membership, OrganisationConnection};
use super::identity::{self, User};
use super::ledger::{self, LedgerTotals, TransferPayload};
use super::relay::{GlobalId, NodeValue, connection, page_request};
use super::rewards::{
    self, DistrictOverview, MerchantStatement, RedemptionConnection, RewardConnection,
};
use super::volunteering::{self, ActivityConnection, ActivityStatus};

pub struct Query;

#[graphql_object(context = Context)]
impl Query {
    /// The signed-in person.
    async fn me(ctx: &Context) -> FieldResult<User> {
        identity::me(ctx).await
    }

    /// Any object by its global id; null when it does not exist or is not visible to you.
    async fn node(ctx: &Context, id: ID) -> FieldResult<Option<NodeValue>> {
        let Some(global) = GlobalId::decode(&id) else {
            return Ok(None);
        };
        let found = match global.kind.as_str() {
            "User" => identity::user(ctx, global.id).await.map(NodeValue::from),
            "Community" => match CommunityId::parse(&global.id) {
                Some(id) => directory::community(ctx, id).await.map(NodeValue::from),
                None => return Ok(None),
            },
            "Organisation" => match OrganisationId::parse(&global.id) {
                Some(id) => directory::organisation(ctx, id).await.map(NodeValue::from),
                None => return Ok(None),
            },
            "Product" => match ProductId::parse(&global.id) {
                Some(id) => catalogue::product(ctx, id).await.map(NodeValue::from),
                None => return Ok(None),
            },
            "Activity" => match ActivityId::parse(&global.id) {
                Some(id) => volunteering::activity(ctx, id).await.map(NodeValue::from),
                None => return Ok(None),
            },
            "Merchant" => match MerchantId::parse(&global.id) {
                Some(id) => rewards::merchant(ctx, id).await.map(NodeValue::from),
                None => return Ok(None),
            },
            "Reward" => match RewardId::parse(&global.id) {
                Some(id) => rewards::reward(ctx, id).await.map(NodeValue::from),
                None => return Ok(None),
            },
            "Group" => match GroupId::parse(&global.id) {
                Some(id) => super::incubation::group(ctx, id).await.map(NodeValue::from),
                None => return Ok(None),
            },
            "Account" => match AccountId::parse(&global.id) {
                Some(id) => ledger::account(ctx, id).await.map(NodeValue::from),
                None => return Ok(None),
            },
            "Transfer" => match TransferId::parse(&global.id) {
                Some(id) => ledger::transfer(ctx, id).await.map(NodeValue::from),
                None => return Ok(None),
            },
            "ApprovalRequest" => match ApprovalRequestId::parse(&global.id) {
                Some(id) => ledger::approval_request(ctx, id).await.map(NodeValue::from),
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        match found {
            Ok(node) => Ok(Some(node)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The district's communities.
    async fn communities(
        ctx: &Context,
        first: Option<i32>,
        after: Option<String>,
    ) -> FieldResult<CommunityConnection> {
        directory::communities(ctx, first, after).await
    }

    /// The category taxonomy: top-level categories with their sub-categories.
    async fn categories(ctx: &Context) -> FieldResult<Vec<Category>> {
        catalogue::categories(ctx).await
    }

    /// Browse and search social-innovation products (published ones, unless you are staff or
    /// filter on your own organisation).
    async fn products(
        ctx: &Context,
        filter: Option<catalogue::ProductFilterInput>,
        order_by: Option<catalogue::ProductOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> FieldResult<ProductConnection> {
        catalogue::products(ctx, filter, order_by, first, after).await
    }

    /// Upcoming published volunteer activities, soonest first.
    async fn activities(
        ctx: &Context,
        filter: Option<volunteering::ActivityFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> FieldResult<ActivityConnection> {
        volunteering::activities(ctx, filter, first, after).await
    }

    /// Rewards residents can redeem now, newest first.
    async fn rewards(
        ctx: &Context,
        filter: Option<rewards::RewardFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> FieldResult<RewardConnection> {
        rewards::rewards(ctx, filter, first, after).await
    }

    /// The signed-in resident's redemptions, newest first.
    async fn my_redemptions(
        ctx: &Context,
        first: Option<i32>,
        after: Option<String>,
    ) -> FieldResult<RedemptionConnection> {
        rewards::my_redemptions(ctx, first, after).await
    }

    /// Operators and staff: a merchant's redemptions, newest first (codes are never listed).
    async fn merchant_redemptions(
        ctx: &Context,
        merchant_id: ID,
        status: Option<rewards::RedemptionStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> FieldResult<RedemptionConnection> {
        rewards::merchant_redemptions(ctx, merchant_id, status, first, after).await
    }

    /// Operators and staff: a merchant's statement for a month (`YYYY-MM`).
    async fn merchant_statement(
        ctx: &Context,
        merchant_id: ID,
        month: String,
    ) -> FieldResult<MerchantStatement> {
        rewards::statement(ctx, merchant_id, month).await
    }

    /// Staff: points captured across the alliance in a month (`YYYY-MM`).
    async fn district_overview(ctx: &Context, month: String) -> FieldResult<DistrictOverview> {
        rewards::overview(ctx, month).await
    }

    /// Self-governance groups, by name.
    async fn groups(ctx: &Context) -> FieldResult<Vec<super::incubation::Group>> {
        super::incubation::groups(ctx).await
    }

    /// Community needs, soonest wanted first; `overdue: true` keeps those past their date
    /// without a match.
    async fn needs(
        ctx: &Context,
        community_id: Option<ID>,
        status: Option<super::incubation::NeedStatus>,
        overdue: Option<bool>,
    ) -> FieldResult<Vec<super::incubation::Need>> {
        super::incubation::needs(ctx, community_id, status, overdue).await
    }

    /// Staff: products, organisations and groups that could meet a need, best first, with
    /// reasons.
    async fn match_candidates(
        ctx: &Context,
        need_id: ID,
    ) -> FieldResult<Vec<super::incubation::MatchCandidate>> {
        super::incubation::candidates(ctx, need_id).await
    }

    /// The district's impact per community, category or organisation (aggregates only).
    async fn impact(
        ctx: &Context,
        by: super::incubation::ImpactDimension,
    ) -> FieldResult<Vec<super::incubation::ImpactRow>> {
        super::incubation::impact(ctx, by).await
    }

    /// Organisations the signed-in person belongs to.
    async fn my_organisations(ctx: &Context) -> FieldResult<Vec<Membership>> {
        directory::my_organisations(ctx).await
    }

    /// Staff: organisations waiting for verification, oldest first.
    async fn organisation_review_queue(
        ctx: &Context,
        first: Option<i32>,
        after: Option<String>,
    ) -> FieldResult<OrganisationConnection> {
        directory::review_queue(ctx, first, after).await
    }

    /// Staff: the district's points totals.
    async fn ledger_totals(ctx: &Context) -> FieldResult<LedgerTotals> {
        ledger::totals(ctx).await
    }

    /// Staff: movements of points waiting for (or decided by) a second staff member, oldest
    /// first.
    async fn approval_requests(
        ctx: &Context,
        status: Option<ledger::ApprovalStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> FieldResult<ledger::ApprovalRequestConnection> {
        ledger::approval_requests(ctx, status, first, after).await
    }

    /// Staff: the email outbox, newest first.
    async fn outbox_messages(
        ctx: &Context,
        status: Option<super::email::EmailStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> FieldResult<super::email::EmailMessageConnection> {
        super::email::messages(ctx, status, first, after).await
    }

    /// Staff: the audit trail, newest first, optionally about one subject (its raw id).
    async fn audit_events(
        ctx: &Context,
        first: Option<i32>,
        after: Option<String>,
        subject_id: Option<String>,
    ) -> FieldResult<AuditEventConnection> {
        let page = ctx.answer(page_request(first, after))?;
        let result = ctx
            .run(move |s, actor| s.audit().events(actor, subject_id.as_deref(), &page))
            .await;
        ctx.answer(result)
            .map(|p| AuditEventConnection::from_page(p, AuditEvent::from))
    }
}

fn is_not_found(err: &juniper::FieldError) -> bool {
    let code = DomainError::NotFound { what: "" }.code().as_str();
    err.extensions()
        .as_object_value()
        .and_then(|o| o.get_field_value("code"))
        .and_then(|v| v.as_scalar())
        .and_then(|s| juniper::ScalarValue::try_as_str(s))
        .is_some_and(|c| c == code)
}

/// One recorded staff action.
#[derive(Debug, Clone, GraphQLObject)]
pub struct AuditEvent {
    pub id: ID,
    pub actor_id: Option<ID>,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

impl From<linli_domain::audit::AuditEvent> for AuditEvent {
    fn from(e: linli_domain::audit::AuditEvent) -> Self {
        Self {
            id: ID::new(e.id),
            actor_id: e.actor_id.map(|id| GlobalId::encode("User", id.as_str())),
            action: e.action,
            subject_kind: e.subject_kind,
            subject_id: e.subject_id,
            detail: e.detail,
            created_at: e.created_at.and_utc(),
        }
    }
}

connection!(AuditEventConnection, AuditEventEdge, AuditEvent, |e| e
    .id
    .to_string());

pub struct Mutation;

#[graphql_object(context = Context)]
impl Mutation {
    /// Sign up as a resident with an email address and/or a mobile number.
    async fn register_resident(
        ctx: &Context,
        input: identity::RegisterResidentInput,
    ) -> FieldResult<identity::RegisterResidentPayload> {
        identity::register_resident(ctx, input).await
    }

    /// Sign in; failed attempts are throttled per account and per client address.
    async fn sign_in(
        ctx: &Context,
        input: identity::SignInInput,
    ) -> FieldResult<identity::SessionPayload> {
        identity::sign_in(ctx, input).await
    }

    /// Trade a refresh token for a new session. Using one twice ends every session of its
    /// family.
    async fn refresh_session(
        ctx: &Context,
        input: identity::RefreshSessionInput,
    ) -> FieldResult<identity::SessionPayload> {
        identity::refresh_session(ctx, input).await
    }

    /// Email a password-reset link (the answer never reveals whether the address exists).
    async fn request_password_reset(
        ctx: &Context,
        input: super::email::RequestPasswordResetInput,
    ) -> FieldResult<super::email::DonePayload> {
        super::email::request_password_reset(ctx, input).await
    }

    /// Set a new password with the emailed token; every session of the account ends.
    async fn reset_password(
        ctx: &Context,
        input: super::email::ResetPasswordInput,
    ) -> FieldResult<super::email::DonePayload> {
        super::email::reset_password(ctx, input).await
    }

    /// Email the signed-in person a link confirming their address.
    async fn request_email_verification(ctx: &Context) -> FieldResult<super::email::DonePayload> {
        super::email::request_email_verification(ctx).await
    }

    /// Confirm an email address with the emailed token.
    async fn verify_email(
        ctx: &Context,
        input: super::email::VerifyEmailInput,
    ) -> FieldResult<super::email::DonePayload> {
        super::email::verify_email(ctx, input).await
    }

    /// Turn a non-essential kind of email on or off.
    async fn set_notification_preference(
        ctx: &Context,
        input: super::email::SetNotificationPreferenceInput,
    ) -> FieldResult<super::email::DonePayload> {
        super::email::set_preference(ctx, input).await
    }

    /// Staff: send a failed email again.
    async fn retry_email(
        ctx: &Context,
        input: super::email::RetryEmailInput,
    ) -> FieldResult<super::email::RetryEmailPayload> {
        super::email::retry(ctx, input).await
    }

    /// Staff: email an announcement to every resident who has not turned announcements off.
    async fn announce(
        ctx: &Context,
        input: super::email::AnnounceInput,
    ) -> FieldResult<super::email::AnnouncePayload> {
        super::email::announce(ctx, input).await
    }

    /// End the session the refresh token belongs to.
    async fn sign_out(
        ctx: &Context,
        input: identity::RefreshSessionInput,
    ) -> FieldResult<identity::SignOutPayload> {
        identity::sign_out(ctx, input).await
    }

    /// Staff: add a community.
    async fn create_community(
        ctx: &Context,
        input: directory::CreateCommunityInput,
    ) -> FieldResult<directory::CreateCommunityPayload> {
        directory::create_community(ctx, input).await
    }

    /// Register an organisation with the centre; the caller becomes its owner.
    async fn register_organisation(
        ctx: &Context,
        input: directory::RegisterOrganisationInput,
    ) -> FieldResult<directory::OrganisationPayload> {
        directory::register_organisation(ctx, input).await
    }

    /// Staff: verify or reject a pending organisation.
    async fn review_organisation(
        ctx: &Context,
        input: directory::ReviewOrganisationInput,
    ) -> FieldResult<directory::OrganisationPayload> {
        directory::review_organisation(ctx, input).await
    }

    /// Staff: suspend a verified organisation.
    async fn suspend_organisation(
        ctx: &Context,
        input: directory::SuspendOrganisationInput,
    ) -> FieldResult<directory::OrganisationPayload> {
        directory::suspend_organisation(ctx, input).await
    }

    /// Owners: add a person to the organisation.
    async fn add_organisation_member(
        ctx: &Context,
        input: directory::AddOrganisationMemberInput,
    ) -> FieldResult<directory::MembersPayload> {
        directory::add_member(ctx, input).await
    }

    /// Owners: remove a member (never the last owner).
    async fn remove_organisation_member(
        ctx: &Context,
        input: directory::RemoveOrganisationMemberInput,
    ) -> FieldResult<directory::MembersPayload> {
        directory::remove_member(ctx, input).await
    }

    /// Members: draft a product for the organisation.
    async fn create_product(
        ctx: &Context,
        input: catalogue::CreateProductInput,
    ) -> FieldResult<catalogue::ProductPayload> {
        catalogue::create_product(ctx, input).await
    }

    /// Members: edit a draft or a product staff sent back.
    async fn update_product(
        ctx: &Context,
        input: catalogue::UpdateProductInput,
    ) -> FieldResult<catalogue::ProductPayload> {
        catalogue::update_product(ctx, input).await
    }

    /// Members: send a product to staff for review (the organisation must be verified).
    async fn submit_product(
        ctx: &Context,
        input: catalogue::ProductIdInput,
    ) -> FieldResult<catalogue::ProductPayload> {
        catalogue::step(ctx, input, catalogue::Step::Submit).await
    }

    /// Staff: publish a product in review, or send it back with a reason.
    async fn review_product(
        ctx: &Context,
        input: catalogue::ReviewProductInput,
    ) -> FieldResult<catalogue::ProductPayload> {
        catalogue::review_product(ctx, input).await
    }

    /// Members or staff: take a published product off the catalogue.
    async fn retire_product(
        ctx: &Context,
        input: catalogue::ProductIdInput,
    ) -> FieldResult<catalogue::ProductPayload> {
        catalogue::step(ctx, input, catalogue::Step::Retire).await
    }

    /// Members of a verified organisation: draft an activity.
    async fn create_activity(
        ctx: &Context,
        input: volunteering::CreateActivityInput,
    ) -> FieldResult<volunteering::ActivityPayload> {
        volunteering::create_activity(ctx, input).await
    }

    /// Members: open a drafted activity for sign-up.
    async fn publish_activity(
        ctx: &Context,
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ActivityPayload> {
        volunteering::change_status(ctx, input, ActivityStatus::Published).await
    }

    /// Members: mark a published activity as held.
    async fn complete_activity(
        ctx: &Context,
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ActivityPayload> {
        volunteering::change_status(ctx, input, ActivityStatus::Completed).await
    }

    /// Members: cancel a published activity; every sign-up is released.
    async fn cancel_activity(
        ctx: &Context,
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ActivityPayload> {
        volunteering::change_status(ctx, input, ActivityStatus::Cancelled).await
    }

    /// Residents: sign up (a seat, or a place on the waitlist).
    async fn sign_up_for_activity(
        ctx: &Context,
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ParticipationPayload> {
        volunteering::resident_step(ctx, input, volunteering::ResidentStep::SignUp).await
    }

    /// Residents: cancel before the start; the first waitlisted gets the seat.
    async fn cancel_sign_up(
        ctx: &Context,
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ParticipationPayload> {
        volunteering::resident_step(ctx, input, volunteering::ResidentStep::Cancel).await
    }

    /// Residents: check in with the code on the organiser's screen.
    async fn check_in(
        ctx: &Context,
        input: volunteering::CheckInput,
    ) -> FieldResult<volunteering::ParticipationPayload> {
        volunteering::check(ctx, input, false).await
    }

    /// Residents: check out with the current code.
    async fn check_out(
        ctx: &Context,
        input: volunteering::CheckInput,
    ) -> FieldResult<volunteering::ParticipationPayload> {
        volunteering::check(ctx, input, true).await
    }

    /// Organisers: record attendance by hand (service hours only, never points).
    async fn record_attendance(
        ctx: &Context,
        input: volunteering::RecordAttendanceInput,
    ) -> FieldResult<volunteering::ParticipationPayload> {
        volunteering::record_attendance(ctx, input).await
    }

    /// Another member verifies one participation: hours recorded, points earned once.
    async fn verify_attendance(
        ctx: &Context,
        input: volunteering::VerifyAttendanceInput,
    ) -> FieldResult<volunteering::VerifyAttendancePayload> {
        volunteering::verify(ctx, input).await
    }

    /// Verify every checked-out participation of an activity at once.
    async fn verify_activity_attendance(
        ctx: &Context,
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::VerifyAttendancePayload> {
        volunteering::verify_all(ctx, input).await
    }

    /// Owners of a verified organisation: apply to join the business alliance.
    async fn apply_for_merchant(
        ctx: &Context,
        input: rewards::ApplyForMerchantInput,
    ) -> FieldResult<rewards::MerchantPayload> {
        rewards::apply(ctx, input).await
    }

    /// Staff: admit a merchant (or re-admit a suspended one).
    async fn admit_merchant(
        ctx: &Context,
        input: rewards::MerchantIdInput,
    ) -> FieldResult<rewards::MerchantPayload> {
        rewards::set_merchant_status(ctx, input, true).await
    }

    /// Staff: suspend a merchant.
    async fn suspend_merchant(
        ctx: &Context,
        input: rewards::MerchantIdInput,
    ) -> FieldResult<rewards::MerchantPayload> {
        rewards::set_merchant_status(ctx, input, false).await
    }

    /// Operators: offer a reward for points.
    async fn create_reward(
        ctx: &Context,
        input: rewards::CreateRewardInput,
    ) -> FieldResult<rewards::RewardPayload> {
        rewards::create_reward(ctx, input).await
    }

    /// Operators: pause, resume or retire a reward.
    async fn set_reward_status(
        ctx: &Context,
        input: rewards::SetRewardStatusInput,
    ) -> FieldResult<rewards::RewardPayload> {
        rewards::set_reward_status(ctx, input).await
    }

    /// Residents: redeem a reward; the points are held until the merchant confirms the code.
    async fn redeem_reward(
        ctx: &Context,
        input: rewards::RedeemRewardInput,
    ) -> FieldResult<rewards::RedemptionPayload> {
        rewards::redeem(ctx, input).await
    }

    /// Operators: confirm the code shown at the counter.
    async fn confirm_redemption(
        ctx: &Context,
        input: rewards::ConfirmRedemptionInput,
    ) -> FieldResult<rewards::RedemptionPayload> {
        rewards::confirm(ctx, input).await
    }

    /// Residents: cancel a pending redemption; points and stock come back.
    async fn cancel_redemption(
        ctx: &Context,
        input: rewards::CancelRedemptionInput,
    ) -> FieldResult<rewards::RedemptionPayload> {
        rewards::cancel(ctx, input).await
    }

    /// Residents: found a self-governance group (you become its convenor).
    async fn found_group(
        ctx: &Context,
        input: super::incubation::FoundGroupInput,
    ) -> FieldResult<super::incubation::GroupPayload> {
        super::incubation::found(ctx, input).await
    }

    /// Residents: ask to join a group.
    async fn request_to_join_group(
        ctx: &Context,
        input: super::incubation::GroupIdInput,
    ) -> FieldResult<super::incubation::GroupMembersPayload> {
        super::incubation::request_to_join(ctx, input).await
    }

    /// Convenors: approve a join request.
    async fn approve_group_member(
        ctx: &Context,
        input: super::incubation::ApproveGroupMemberInput,
    ) -> FieldResult<super::incubation::GroupMembersPayload> {
        super::incubation::approve_member(ctx, input).await
    }

    /// Staff: pair a group with a mentor organisation.
    async fn set_group_mentor(
        ctx: &Context,
        input: super::incubation::SetGroupMentorInput,
    ) -> FieldResult<super::incubation::GroupPayload> {
        super::incubation::set_mentor(ctx, input).await
    }

    /// Staff: advance (when every criterion is met), hold or dissolve a group.
    async fn decide_group_stage(
        ctx: &Context,
        input: super::incubation::DecideGroupStageInput,
    ) -> FieldResult<super::incubation::GroupPayload> {
        super::incubation::decide(ctx, input).await
    }

    /// Residents: give points to a group's fund.
    async fn donate_to_group(
        ctx: &Context,
        input: super::incubation::DonateToGroupInput,
    ) -> FieldResult<super::ledger::TransferPayload> {
        super::incubation::donate(ctx, input).await
    }

    /// Convenors: reward a member from the group's fund.
    async fn reward_group_member(
        ctx: &Context,
        input: super::incubation::RewardGroupMemberInput,
    ) -> FieldResult<super::ledger::TransferPayload> {
        super::incubation::reward(ctx, input).await
    }

    /// Post a community need.
    async fn post_need(
        ctx: &Context,
        input: super::incubation::PostNeedInput,
    ) -> FieldResult<super::incubation::NeedPayload> {
        super::incubation::post_need(ctx, input).await
    }

    /// Staff: propose a candidate for a need.
    async fn propose_match(
        ctx: &Context,
        input: super::incubation::ProposeMatchInput,
    ) -> FieldResult<super::incubation::MatchPayload> {
        super::incubation::propose(ctx, input).await
    }

    /// The offering side accepts or declines a match.
    async fn respond_to_match(
        ctx: &Context,
        input: super::incubation::RespondToMatchInput,
    ) -> FieldResult<super::incubation::MatchPayload> {
        super::incubation::respond(ctx, input).await
    }

    /// Record that a match delivered, and for how many residents.
    async fn deliver_match(
        ctx: &Context,
        input: super::incubation::DeliverMatchInput,
    ) -> FieldResult<super::incubation::NeedPayload> {
        super::incubation::deliver(ctx, input).await
    }

    /// Graduated groups' convenors: register the group as a partner organisation.
    async fn register_group_as_organisation(
        ctx: &Context,
        input: super::incubation::RegisterGroupInput,
    ) -> FieldResult<directory::OrganisationPayload> {
        super::incubation::register(ctx, input).await
    }

    /// The poster (or staff): withdraw a need not yet matched.
    async fn withdraw_need(
        ctx: &Context,
        input: super::incubation::NeedIdInput,
    ) -> FieldResult<super::incubation::NeedPayload> {
        super::incubation::need_step(ctx, input, super::incubation::NeedStep::Withdraw).await
    }

    /// The poster (or staff): close a delivered need.
    async fn close_need(
        ctx: &Context,
        input: super::incubation::NeedIdInput,
    ) -> FieldResult<super::incubation::NeedPayload> {
        super::incubation::need_step(ctx, input, super::incubation::NeedStep::Close).await
    }

    /// Staff: move points from issuance into a verified organisation's budget.
    async fn allocate_budget(
        ctx: &Context,
        input: ledger::AllocateBudgetInput,
    ) -> FieldResult<TransferPayload> {
        ledger::allocate_budget(ctx, input).await
    }

    /// Give points from your wallet to another resident.
    async fn donate_points(
        ctx: &Context,
        input: ledger::DonatePointsInput,
    ) -> FieldResult<TransferPayload> {
        ledger::donate_points(ctx, input).await
    }

    /// Staff: undo a transfer (once, while the receiving account still holds the points).
    async fn reverse_transfer(
        ctx: &Context,
        input: ledger::ReverseTransferInput,
    ) -> FieldResult<TransferPayload> {
        ledger::reverse_transfer(ctx, input).await
    }

    /// Staff: approve or decline another staff member's movement of points (never your own).
    async fn decide_approval_request(
        ctx: &Context,
        input: ledger::DecideApprovalRequestInput,
    ) -> FieldResult<ledger::ApprovalRequestPayload> {
        ledger::decide_approval_request(ctx, input).await
    }

    /// Staff: approve a group-run activity's points per hour above the district's rule.
    async fn approve_activity_rate(
        ctx: &Context,
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ActivityPayload> {
        volunteering::approve_rate(ctx, input).await
    }

    /// Staff: correct an account's balance, with a reason.
    async fn adjust_balance(
        ctx: &Context,
        input: ledger::AdjustBalanceInput,
    ) -> FieldResult<TransferPayload> {
        ledger::adjust_balance(ctx, input).await
    }
}
