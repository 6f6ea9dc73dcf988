//! Relay conventions: opaque global ids, the `Node` interface, and cursor connections.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use juniper::{GraphQLObject, ID, graphql_interface};
use linli_domain::DomainError;
use linli_domain::page::PageRequest;

use super::Context;
use super::catalogue::Product;
use super::directory::{Community, Organisation};
use super::identity::User;
use super::incubation::Group;
use super::ledger::{Account, ApprovalRequest, Transfer};
use super::rewards::{Merchant, Reward};
use super::volunteering::Activity;

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
        User, Community, Organisation, Product, Activity, Group, Merchant, Reward, Account, Transfer,
        ApprovalRequest,
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

#[derive(Debug, Clone, GraphQLObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// Cursors are opaque too: base64 of the sort key of the row.
pub fn cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// Builds a page request from Relay arguments.
pub fn page_request(first: Option<i32>, after: Option<String>) -> Result<PageRequest, DomainError> {
    let after = after
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| DomainError::invalid("after", "游标不正确"))
        })
        .transpose()?;
    PageRequest::new(first.map(i64::from), after)
}

/// Declares `<Name>Connection` and `<Name>Edge` for a node type whose sort key is `$key`.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $key:expr) => {
        #[derive(Debug, Clone, juniper::GraphQLObject)]
        #[graphql(context = $crate::graphql::Context)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        #[derive(Debug, Clone, juniper::GraphQLObject)]
        #[graphql(context = $crate::graphql::Context)]
        pub struct $connection {
            pub edges: Vec<$edge>,
            pub page_info: $crate::graphql::relay::PageInfo,
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
                    page_info: $crate::graphql::relay::PageInfo {
                        has_next_page: page.has_next_page,
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
