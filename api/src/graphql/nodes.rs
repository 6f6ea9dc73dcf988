//! `node(id:)`: one table from each node type's kind (the prefix of its global ids) to the
//! lookup that fetches it, so adding a node type is one line here.

use juniper::{BoxFuture, FieldResult, ID};
use linli_domain::ErrorCode;
use linli_domain::types::{
    AccountId, ActivityId, ApprovalRequestId, CommunityId, GroupId, MatchId, MerchantId, NeedId,
    OrganisationId, ParticipationId, ProductId, RedemptionId, RewardId, TransferId,
};

use super::relay::{GlobalId, NodeValue, kinds};
use super::{
    Context, audit, catalogue, directory, email, identity, incubation, ledger, rewards,
    volunteering,
};

/// The most ids one `nodes` call takes.
pub const MAX_NODES: usize = 100;

type Fetch = for<'a> fn(&'a Context, String) -> BoxFuture<'a, FieldResult<NodeValue>>;

/// Declares, for each node type, a fetcher that parses the raw id and calls the type's lookup.
macro_rules! fetchers {
    ($($fetcher:ident: $kind:expr, $parse:expr => $lookup:path;)+) => {
        $(
            fn $fetcher(ctx: &Context, raw: String) -> BoxFuture<'_, FieldResult<NodeValue>> {
                Box::pin(async move {
                    let id = ($parse)(raw.as_str()).ok_or_else(|| {
                        ctx.top_level(linli_domain::DomainError::NotFound { what: "对象" })
                    })?;
                    $lookup(ctx, id).await.map(NodeValue::from)
                })
            }
        )+
        const NODE_TYPES: &[(&str, Fetch)] = &[$(($kind, $fetcher)),+];
    };
}

/// Lookups keyed by plain text: a category's slug, an audit event's or a message's id.
fn text(raw: &str) -> Option<String> {
    Some(raw.to_owned())
}

fetchers! {
    user: kinds::USER, text => identity::user;
    community: kinds::COMMUNITY, CommunityId::parse => directory::community;
    organisation: kinds::ORGANISATION, OrganisationId::parse => directory::organisation;
    product: kinds::PRODUCT, ProductId::parse => catalogue::product;
    category: kinds::CATEGORY, text => catalogue::category;
    activity: kinds::ACTIVITY, ActivityId::parse => volunteering::activity;
    participation: kinds::PARTICIPATION, ParticipationId::parse => volunteering::participation;
    group: kinds::GROUP, GroupId::parse => incubation::group;
    need: kinds::NEED, NeedId::parse => incubation::need;
    match_case: kinds::MATCH, MatchId::parse => incubation::match_case;
    merchant: kinds::MERCHANT, MerchantId::parse => rewards::merchant;
    reward: kinds::REWARD, RewardId::parse => rewards::reward;
    redemption: kinds::REDEMPTION, RedemptionId::parse => rewards::redemption;
    account: kinds::ACCOUNT, AccountId::parse => ledger::account;
    transfer: kinds::TRANSFER, TransferId::parse => ledger::transfer;
    approval_request: kinds::APPROVAL_REQUEST, ApprovalRequestId::parse => ledger::approval_request;
    audit_event: kinds::AUDIT_EVENT, text => audit::audit_event;
    email_message: kinds::EMAIL_MESSAGE, text => email::message;
}

/// The object a global id names, or `None` when it names nothing you may see.
pub async fn fetch(ctx: &Context, id: &ID) -> FieldResult<Option<NodeValue>> {
    let Some(global) = GlobalId::decode(id) else {
        return Ok(None);
    };
    let Some((_, fetcher)) = NODE_TYPES.iter().find(|(kind, _)| *kind == global.kind) else {
        return Ok(None);
    };
    match fetcher(ctx, global.id).await {
        Ok(node) => Ok(Some(node)),
        // What you may not see does not exist for you.
        Err(e)
            if [ErrorCode::NotFound, ErrorCode::Forbidden]
                .iter()
                .any(|c| code_of(&e) == Some(c.as_str())) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn code_of(err: &juniper::FieldError) -> Option<&str> {
    err.extensions()
        .as_object_value()
        .and_then(|o| o.get_field_value("code"))
        .and_then(|v| v.as_scalar())
        .and_then(|s| juniper::ScalarValue::try_as_str(s))
}
