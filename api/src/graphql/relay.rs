//! Relay conventions: opaque global ids, the `Node` interface, and cursor connections.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use juniper::{Executor, GraphQLObject, ID, ScalarValue, graphql_interface};
use linli_domain::DomainError;
use linli_domain::page::PageRequest;
use linli_domain::types::{
    AccountId, ActivityId, ApprovalRequestId, BookingId, CommunityId, GroupId, MatchId, MerchantId,
    NeedId, OrganisationId, ParticipationId, ProductId, RedemptionId, ReviewCaseId, RewardId,
    SettlementId, TransferId, UserId,
};

use super::Context;
use super::audit::AuditEvent;
use super::booking::Booking;
use super::catalogue::{Category, Product};
use super::directory::{Community, Organisation};
use super::email::EmailMessage;
use super::identity::User;
use super::incubation::Group;
use super::ledger::{Account, ApprovalRequest, Transfer};
use super::matching::{Match, Need};
use super::review::ReviewCase;
use super::rewards::{Merchant, Redemption, Reward};
use super::settlement::Settlement;
use super::volunteering::{Activity, Participation};

/// A node type, and the name its global ids carry: the type's own name, which is its GraphQL
/// name too, so no type name is ever written as a string (`Group::KIND` is `"Group"`).
pub trait Kind {
    const KIND: &'static str;

    /// The domain's id of an object of this type.
    type Id;

    /// The domain's id from the raw id inside a global id.
    fn parse_id(raw: &str) -> Option<Self::Id>;

    /// The global id of the object of this type with raw id `id`.
    fn global_id(id: &str) -> ID {
        GlobalId::encode(Self::KIND, id)
    }

    /// Decodes a global id that must name an object of this type; anything else is an input
    /// error on `field`.
    fn decode(id: &ID, field: &'static str) -> Result<Self::Id, DomainError> {
        GlobalId::expect(id, Self::KIND, field, Self::parse_id)
    }

    /// [`Kind::decode`] for an optional id.
    fn decode_optional(
        id: Option<&ID>,
        field: &'static str,
    ) -> Result<Option<Self::Id>, DomainError> {
        id.map(|id| Self::decode(id, field)).transpose()
    }
}

macro_rules! kinds {
    ($($node:ident: $id:ty = $parse:expr),+ $(,)?) => {
        $(impl Kind for $node {
            const KIND: &'static str = stringify!($node);
            type Id = $id;

            fn parse_id(raw: &str) -> Option<$id> {
                ($parse)(raw)
            }
        })+
    };
}

/// Ids that are plain text: a category's slug, an audit event's or a message's id.
fn text(raw: &str) -> Option<String> {
    Some(raw.to_owned())
}

kinds!(
    User: UserId = UserId::parse,
    Community: CommunityId = CommunityId::parse,
    Organisation: OrganisationId = OrganisationId::parse,
    Product: ProductId = ProductId::parse,
    Category: String = text,
    Activity: ActivityId = ActivityId::parse,
    Participation: ParticipationId = ParticipationId::parse,
    Group: GroupId = GroupId::parse,
    Need: NeedId = NeedId::parse,
    Match: MatchId = MatchId::parse,
    Merchant: MerchantId = MerchantId::parse,
    Reward: RewardId = RewardId::parse,
    Redemption: RedemptionId = RedemptionId::parse,
    Account: AccountId = AccountId::parse,
    Transfer: TransferId = TransferId::parse,
    ApprovalRequest: ApprovalRequestId = ApprovalRequestId::parse,
    Settlement: SettlementId = SettlementId::parse,
    Booking: BookingId = BookingId::parse,
    ReviewCase: ReviewCaseId = ReviewCaseId::parse,
    AuditEvent: String = text,
    EmailMessage: String = text,
);

/// `Type:uuid`, base64url-encoded: clients treat it as opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalId {
    pub kind: String,
    pub id: String,
}

impl GlobalId {
    pub fn encode(kind: &str, id: &str) -> ID {
        ID::new(URL_SAFE_NO_PAD.encode(format!("{kind}:{id}")))
    }

    pub fn decode(raw: &ID) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw.as_bytes()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (kind, id) = text.split_once(':')?;
        Some(Self {
            kind: kind.to_owned(),
            id: id.to_owned(),
        })
    }

    /// Decodes an id that must name a `kind`; anything else is an input error on `field`.
    pub fn expect<T>(
        raw: &ID,
        kind: &str,
        field: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, DomainError> {
        Self::decode(raw)
            .filter(|g| g.kind == kind)
            .and_then(|g| parse(&g.id))
            .ok_or_else(|| DomainError::invalid(field, "编号不正确"))
    }
}

/// Anything with a global id can be fetched again with `node(id:)`.
#[graphql_interface(
    for = [
        User, Community, Organisation, Product, Category, Activity, Participation, Group, Need,
        Match, Merchant, Reward, Redemption, Account, Transfer, ApprovalRequest, Settlement,
        Booking, ReviewCase, AuditEvent, EmailMessage,
    ],
    context = Context
)]
#[expect(
    dead_code,
    reason = "juniper reads the trait's shape; the objects resolve `id` themselves"
)]
pub trait Node {
    /// Opaque global id.
    fn id(&self) -> ID;
}

/// Where a page sits in its connection (Relay's cursor connections specification).
#[derive(Debug, Clone, GraphQLObject)]
pub struct PageInfo {
    /// More items follow the last edge (reading forwards: exact; reading backwards: whether
    /// the page ended before a cursor).
    pub has_next_page: bool,
    /// More items precede the first edge (reading backwards: exact; reading forwards: whether
    /// the page started after a cursor).
    pub has_previous_page: bool,
    /// The cursor of the first edge.
    pub start_cursor: Option<String>,
    /// The cursor of the last edge.
    pub end_cursor: Option<String>,
}

/// The raw id inside a global id (a cursor for objects that carry only their global id).
pub fn global_raw(id: &ID) -> String {
    GlobalId::decode(id).map(|g| g.id).unwrap_or_default()
}

/// Cursors are opaque too: base64 of the sort key of the row.
pub fn cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// Whether the connection being resolved selects `totalCount`, under any alias or through a
/// fragment: counting is a statement of its own, run only when asked for.
pub fn counts_total<S: ScalarValue>(executor: &Executor<'_, '_, Context, S>) -> bool {
    executor
        .look_ahead()
        .children()
        .iter()
        .any(|child| child.field_original_name() == "totalCount")
}

/// Builds a page request from Relay's four arguments.
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageRequest, DomainError> {
    let decode = |cursor: Option<String>, field: &'static str| {
        cursor
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| DomainError::invalid(field, "游标不正确"))
            })
            .transpose()
    };
    PageRequest::relay(
        first.map(i64::from),
        decode(after, "after")?,
        last.map(i64::from),
        decode(before, "before")?,
    )
}

/// Declares `<Name>Connection` and `<Name>Edge` for a node type whose sort key is `$key`; the
/// doc comments written before each name describe the two types in the schema.
macro_rules! connection {
    (
        $(#[$connection_doc:meta])* $connection:ident,
        $(#[$edge_doc:meta])* $edge:ident,
        $node:ty,
        $key:expr $(,)?
    ) => {
        $(#[$edge_doc])*
        #[derive(Debug, Clone, juniper::GraphQLObject)]
        #[graphql(context = $crate::graphql::Context)]
        pub struct $edge {
            /// An opaque position: pass it as `after` (or `before`) to read on from this item.
            pub cursor: String,
            /// The item at this position.
            pub node: $node,
        }

        $(#[$connection_doc])*
        #[derive(Debug, Clone, juniper::GraphQLObject)]
        #[graphql(context = $crate::graphql::Context)]
        pub struct $connection {
            /// The page's items, each with its cursor, in the list's order.
            pub edges: Vec<$edge>,
            /// The page's items without their cursors (GitHub's shortcut for `edges { node }`).
            pub nodes: Vec<$node>,
            /// Where the page sits: whether more items follow or precede it, and its end cursors.
            pub page_info: $crate::graphql::relay::PageInfo,
            /// How many items the whole list holds across all pages (with the same filters).
            pub total_count: i32,
        }

        impl $connection {
            pub fn from_page<T>(
                page: linli_domain::page::Page<T>,
                wrap: impl Fn(T) -> $node,
            ) -> Self {
                let key: fn(&$node) -> String = $key;
                let edges: Vec<$edge> = page
                    .items
                    .into_iter()
                    .map(|item| {
                        let node = wrap(item);
                        $edge {
                            cursor: $crate::graphql::relay::cursor(&key(&node)),
                            node,
                        }
                    })
                    .collect();
                Self {
                    nodes: edges.iter().map(|e| e.node.clone()).collect(),
                    page_info: $crate::graphql::relay::PageInfo {
                        has_next_page: page.has_next_page,
                        has_previous_page: page.has_previous_page,
                        start_cursor: edges.first().map(|e| e.cursor.clone()),
                        end_cursor: edges.last().map(|e| e.cursor.clone()),
                    },
                    edges,
                    total_count: crate::graphql::int(page.total_count),
                }
            }
        }
    };
}
pub(crate) use connection;

/// A mutation's answer: what it made or changed, or the business rejections that refused it.
/// Declared with [`payload!`]; built only by [`Context::mutate`](super::Context::mutate), so a
/// malformed id in the input and a rule the service enforces come back the same way.
pub trait Payload: Sized {
    /// What the mutation's service returns when it succeeds.
    type Value: Send + 'static;

    /// Where a field the domain names sits in the mutation's arguments.
    fn path(field: &'static str) -> Vec<&'static str> {
        vec!["input", field]
    }

    /// The payload of a success (`Some`) or of a refusal (`None`, with its `errors`).
    fn shape(
        ctx: &super::Context,
        value: Option<Self::Value>,
        errors: Vec<super::UserError>,
    ) -> juniper::FieldResult<Self>;
}

/// Declares a mutation's payload type: its own fields (doc comments become the schema's
/// descriptions) and `errors`, and how a service's answer fills them.
///
/// `from Value => Wrap` fills the one field with `Some(Wrap(value))` on success; `from Value =>
/// with shape` calls `shape(ctx, Option<Value>)`, which returns the fields as a tuple.
/// `at path` places the fields the domain names inside the input (default `["input", field]`).
macro_rules! payload {
    (
        $(#[$doc:meta])* $payload:ident {
            $(#[$field_doc:meta])* $field:ident: $ty:ty $(,)?
        }
        from $value:ty => $wrap:path $(, at $path:expr)? $(,)?
    ) => {
        $crate::graphql::relay::payload!(
            $(#[$doc])* $payload { $(#[$field_doc])* $field: $ty }
            from $value => with |_, value: Option<$value>| Ok((value.map($wrap),))
            $(, at $path)?
        );
    };
    (
        $(#[$doc:meta])* $payload:ident {
            $($(#[$field_doc:meta])* $field:ident: $ty:ty),+ $(,)?
        }
        from $value:ty => with $shape:expr $(, at $path:expr)? $(,)?
    ) => {
        $(#[$doc])*
        #[derive(Debug, juniper::GraphQLObject)]
        #[graphql(context = $crate::graphql::Context)]
        pub struct $payload {
            $($(#[$field_doc])* pub $field: $ty,)+
            /// Why the request was refused, every problem at once; empty when it succeeded.
            pub errors: Vec<$crate::graphql::UserError>,
        }

        impl $crate::graphql::relay::Payload for $payload {
            type Value = $value;

            $(fn path(field: &'static str) -> Vec<&'static str> {
                let path: fn(&'static str) -> Vec<&'static str> = $path;
                path(field)
            })?

            fn shape(
                ctx: &$crate::graphql::Context,
                value: Option<$value>,
                errors: Vec<$crate::graphql::UserError>,
            ) -> juniper::FieldResult<Self> {
                let shape: fn(
                    &$crate::graphql::Context,
                    Option<$value>,
                ) -> juniper::FieldResult<($($ty,)+)> = $shape;
                let ($($field,)+) = shape(ctx, value)?;
                Ok(Self { $($field,)+ errors })
            }
        }
    };
}
pub(crate) use payload;
