//! `node(id:)`: one table from each node type's kind (the prefix of its global ids) to the
//! lookup that fetches it, so adding a node type is one line here.

use juniper::{BoxFuture, FieldResult, ID};
use linli_domain::ErrorCode;

use super::Context;
use super::audit::{self, AuditEvent};
use super::booking::{self, Booking};
use super::catalogue::{self, Category, Product};
use super::directory::{self, Community, Organisation};
use super::email::{self, EmailMessage};
use super::identity::{self, User};
use super::incubation::{self, Group};
use super::ledger::{self, Account, ApprovalRequest, Transfer};
use super::matching::{self, Match, Need};
use super::relay::{GlobalId, Kind, NodeValue};
use super::review::{self, ReviewCase};
use super::rewards::{self, Merchant, Redemption, Reward};
use super::settlement::{self, Settlement};
use super::volunteering::{self, Activity, Participation};

/// The most ids one `nodes` call takes.
const MAX_NODES: usize = 100;

type Fetch = for<'a> fn(&'a Context, String) -> BoxFuture<'a, FieldResult<NodeValue>>;

/// Declares, for each node type, a fetcher that parses the raw id and calls the type's lookup,
/// and the table from each type's `KIND` to its fetcher.
macro_rules! fetchers {
    ($($fetcher:ident: $node:ty => $lookup:path;)+) => {
        $(
            fn $fetcher(ctx: &Context, raw: String) -> BoxFuture<'_, FieldResult<NodeValue>> {
                Box::pin(async move {
                    let id = <$node as Kind>::parse_id(&raw).ok_or_else(|| {
                        ctx.top_level(linli_domain::DomainError::NotFound { what: "对象" })
                    })?;
                    $lookup(ctx, id).await.map(NodeValue::from)
                })
            }
        )+
        const NODE_TYPES: &[(&str, Fetch)] = &[$((<$node as Kind>::KIND, $fetcher)),+];
    };
}

fetchers! {
    user: User => identity::user;
    community: Community => directory::community;
    organisation: Organisation => directory::organisation;
    product: Product => catalogue::product;
    category: Category => catalogue::category;
    activity: Activity => volunteering::activity;
    participation: Participation => volunteering::participation;
    group: Group => incubation::group;
    need: Need => matching::need;
    match_case: Match => matching::match_case;
    merchant: Merchant => rewards::merchant;
    reward: Reward => rewards::reward;
    redemption: Redemption => rewards::redemption;
    account: Account => ledger::account;
    transfer: Transfer => ledger::transfer;
    approval_request: ApprovalRequest => ledger::approval_request;
    settlement: Settlement => settlement::settlement;
    booking: Booking => booking::booking;
    review_case: ReviewCase => review::case;
    audit_event: AuditEvent => audit::audit_event;
    email_message: EmailMessage => email::message;
}

/// The objects `ids` name, in order, each `None` when it names nothing you may see.
pub async fn fetch_all(ctx: &Context, ids: &[ID]) -> FieldResult<Vec<Option<NodeValue>>> {
    if ids.len() > MAX_NODES {
        return Err(ctx.top_level(linli_domain::DomainError::invalid(
            "ids",
            "一次最多查询 100 个对象",
        )));
    }
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        found.push(fetch(ctx, id).await?);
    }
    Ok(found)
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
