//! The GraphQL schema. Modules mirror the domain's contexts; resolvers are thin: they decode
//! input, call one service on the blocking pool, and shape the answer. Who may do what is
//! decided in the services, never here.

mod audit;
mod booking;
mod catalogue;
mod certificate;
mod directory;
mod email;
mod identity;
mod incubation;
mod insight;
mod ledger;
mod loaders;
mod matching;
mod nodes;
pub(crate) mod relay;
mod review;
mod rewards;
mod root;
mod settlement;
mod volunteering;

use std::sync::{Arc, Mutex};

use juniper::{EmptySubscription, FieldError, GraphQLObject, RootNode, graphql_value};
use linli_domain::identity::Actor;
use linli_domain::{DomainError, DomainResult, ErrorCode, Services};
use tokio::sync::Semaphore;

use crate::auth::Tokens;
use crate::config::Limits;
pub(crate) use directory::Community;
pub(crate) use ledger::{Account, Transfer};
pub use matching::staff_need_path;
pub use relay::{GlobalId, NodeValue, Payload};
pub(crate) use rewards::{Merchant, Redemption};
pub use root::{Mutation, Query};
pub(crate) use settlement::Settlement;

pub type Schema = RootNode<Query, Mutation, EmptySubscription<Context>>;

/// The schema with juniper's parser limits set from configuration.
pub fn schema(limits: &Limits) -> Schema {
    Schema::new(Query, Mutation, EmptySubscription::new())
        .limit_depth(limits.max_depth * 2)
        .limit_tokens(limits.max_tokens)
        .limit_fields(limits.max_fields)
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    let mut sdl = schema(&Limits::default()).as_sdl();
    if !sdl.ends_with('\n') {
        sdl.push('\n');
    }
    sdl
}

/// Shared by every request.
pub struct Shared {
    pub services: Services,
    /// The same services on the background pool: bookkeeping around a request (its budget)
    /// that must not count against, or wait behind, the request's own database work.
    pub background: Services,
    pub tokens: Tokens,
    /// Bounds concurrent password hashing; waiting sign-ins hold no thread.
    pub hashing: Semaphore,
}

/// How a request runs its domain calls: on the blocking pool (the services use synchronous
/// diesel), one at a time, on the request's pinned connection, inside the request's span.
#[derive(Clone)]
pub struct Runner {
    services: Services,
    actor: Actor,
    /// Calls of one request take turns: they share one connection.
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl Runner {
    pub async fn run<T, F>(&self, f: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Services, &Actor) -> DomainResult<T> + Send + 'static,
    {
        let _turn = self.turn.lock().await;
        let services = self.services.clone();
        let actor = self.actor.clone();
        // The blocking thread logs under the request's span (its request id), retries and
        // rollbacks included.
        let span = tracing::Span::current();
        actix_web::rt::task::spawn_blocking(move || span.in_scope(|| f(&services, &actor)))
            .await
            .map_err(|e| DomainError::internal(format!("blocking task failed: {e}")))?
    }
}

/// Where a mutation's domain call runs: on the request's connection, or among the password
/// hashes (see [`Context::run_hashing`]).
#[derive(Clone, Copy)]
enum Lane {
    Request,
    Hashing,
}

/// One request's view: who is asking, and what the HTTP layer needs back.
/// Why an executed request is not answered 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A throttle refused it: 429 with `Retry-After`.
    RateLimited { retry_after_secs: u64 },
    /// The database could not serve it in time: 503 with `Retry-After`.
    Unavailable,
}

pub struct Context {
    pub shared: Arc<Shared>,
    pub actor: Actor,
    pub client_addr: String,
    pub request_id: String,
    /// Set when an error means the answer is not a plain 200: its status and `Retry-After`.
    pub refusal: Mutex<Option<Refusal>>,
    runner: Runner,
    /// Batches the lookups of one level of a query into one statement each.
    pub loaders: loaders::Loaders,
}

impl juniper::Context for Context {}

impl Context {
    /// `public`: an anonymous query, whose reads the replica may serve.
    pub fn new(
        shared: Arc<Shared>,
        public: bool,
        actor: Actor,
        client_addr: String,
        request_id: String,
    ) -> Self {
        let runner = Runner {
            // One connection for the whole request, however many fields it resolves.
            services: if public {
                shared.services.public_view()
            } else {
                shared.services.pinned()
            },
            actor: actor.clone(),
            turn: Arc::new(tokio::sync::Mutex::new(())),
        };
        Self {
            loaders: loaders::Loaders::new(&runner),
            runner,
            shared,
            actor,
            client_addr,
            request_id,
            refusal: Mutex::new(None),
        }
    }

    /// Keeps the strongest reason for the answer's status: an outage outranks a throttle.
    fn refuse(&self, refusal: Refusal) {
        if let Ok(mut slot) = self.refusal.lock()
            && *slot != Some(Refusal::Unavailable)
        {
            *slot = Some(refusal);
        }
    }

    /// Runs a domain call for this request.
    pub async fn run<T, F>(&self, f: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Services, &Actor) -> DomainResult<T> + Send + 'static,
    {
        self.runner.run(f).await
    }

    /// Like [`Context::run`], for calls that hash a password: at most `hashing_permits` run at
    /// once, so a flood of sign-ins queues here instead of starving every other request. They
    /// take a connection per step from the shared pool, so none is held while a hash is
    /// computed.
    pub async fn run_hashing<T, F>(&self, f: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Services, &Actor) -> DomainResult<T> + Send + 'static,
    {
        let _permit = self
            .shared
            .hashing
            .acquire()
            .await
            .map_err(|e| DomainError::internal(e.to_string()))?;
        let services = self.shared.services.clone();
        let actor = self.actor.clone();
        let span = tracing::Span::current();
        actix_web::rt::task::spawn_blocking(move || span.in_scope(|| f(&services, &actor)))
            .await
            .map_err(|e| DomainError::internal(format!("blocking task failed: {e}")))?
    }

    /// A download link to `path` that works without a bearer header, for this request's caller.
    pub fn link(&self, path: &str) -> juniper::FieldResult<String> {
        self.shared
            .tokens
            .link(&self.actor, path)
            .map_err(|cause| self.top_level(DomainError::internal(cause)))
    }

    /// A top-level error for failures that are not business rejections. Internal causes are
    /// logged with the request id and replaced by a generic message.
    pub fn top_level(&self, err: DomainError) -> FieldError {
        self.top_level_ref(&err)
    }

    /// [`Context::top_level`] for an error shared by a batch of lookups.
    pub fn top_level_ref(&self, err: &DomainError) -> FieldError {
        let code = err.code().as_str();
        match err {
            DomainError::Internal(_) | DomainError::Database(_) => {
                tracing::error!(request_id = %self.request_id, error = ?err, "internal error");
                FieldError::new(
                    err.to_string(),
                    graphql_value!({ "code": code, "requestId": (self.request_id.clone()) }),
                )
            }
            DomainError::Unavailable(cause) | DomainError::OutcomeUnknown(cause) => {
                tracing::warn!(request_id = %self.request_id, cause = %cause, "unavailable");
                self.refuse(Refusal::Unavailable);
                FieldError::new(err.to_string(), graphql_value!({ "code": code }))
            }
            DomainError::RateLimited { retry_after_secs } => {
                self.refuse(Refusal::RateLimited {
                    retry_after_secs: *retry_after_secs,
                });
                let secs = int(*retry_after_secs);
                FieldError::new(
                    err.to_string(),
                    graphql_value!({ "code": code, "retryAfter": secs }),
                )
            }
            // A query's argument has no payload to name it in: the extensions do.
            DomainError::InvalidInput { field, .. } => FieldError::new(
                err.to_string(),
                graphql_value!({ "code": code, "field": (*field) }),
            ),
            _ => FieldError::new(err.to_string(), graphql_value!({ "code": code })),
        }
    }

    /// Queries: any domain error becomes a top-level error.
    pub fn answer<T>(&self, result: DomainResult<T>) -> juniper::FieldResult<T> {
        result.map_err(|e| self.top_level(e))
    }

    /// Runs a mutation: `decode` is the input turned into domain values (ids parsed, keys
    /// checked), `run` the one service call on them. A refusal of either — a malformed id or a
    /// rule the service enforces — goes into the payload's `errors` (every problem of the
    /// input, each with its path under the mutation's `input`); the rest is top-level.
    pub async fn mutate<P: Payload, I: Send + 'static>(
        &self,
        decode: DomainResult<I>,
        run: impl FnOnce(&Services, &Actor, I) -> DomainResult<P::Value> + Send + 'static,
    ) -> juniper::FieldResult<P> {
        self.mutate_in(Lane::Request, decode, run).await
    }

    /// [`Context::mutate`] for mutations that hash a password, in the lane of
    /// [`Context::run_hashing`].
    pub async fn mutate_hashing<P: Payload, I: Send + 'static>(
        &self,
        decode: DomainResult<I>,
        run: impl FnOnce(&Services, &Actor, I) -> DomainResult<P::Value> + Send + 'static,
    ) -> juniper::FieldResult<P> {
        self.mutate_in(Lane::Hashing, decode, run).await
    }

    async fn mutate_in<P, I>(
        &self,
        lane: Lane,
        decode: DomainResult<I>,
        run: impl FnOnce(&Services, &Actor, I) -> DomainResult<P::Value> + Send + 'static,
    ) -> juniper::FieldResult<P>
    where
        P: Payload,
        I: Send + 'static,
    {
        let result = match (decode, lane) {
            (Ok(input), Lane::Request) => self.run(move |s, actor| run(s, actor, input)).await,
            (Ok(input), Lane::Hashing) => {
                self.run_hashing(move |s, actor| run(s, actor, input)).await
            }
            (Err(refused), _) => Err(refused),
        };
        self.settle(result)
    }

    /// The payload of a mutation's outcome.
    fn settle<P: Payload>(&self, result: DomainResult<P::Value>) -> juniper::FieldResult<P> {
        match result {
            Ok(value) => P::shape(self, Some(value), Vec::new()),
            Err(err) if err.is_business() => {
                let errors = err
                    .each()
                    .into_iter()
                    .map(|problem| UserError::at(problem, P::path))
                    .collect();
                P::shape(self, None, errors)
            }
            Err(err) => Err(self.top_level(err)),
        }
    }
}

/// Mirrors the domain's error codes as the GraphQL enum `ErrorCode`, value for value, each
/// described by its doc from the domain.
macro_rules! mirror_error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $code:literal),+) => {
        /// A stable code for what went wrong; every value is explained in `docs/ERRORS.md`.
        /// Clients switch on it (the message is for people and may change).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLEnum)]
        #[graphql(name = "ErrorCode")]
        pub enum ErrorCodeValue {
            $($(#[doc = $doc])* #[graphql(name = $code)] $variant),+
        }

        impl From<ErrorCode> for ErrorCodeValue {
            fn from(code: ErrorCode) -> Self {
                match code { $(ErrorCode::$variant => Self::$variant),+ }
            }
        }
    };
}
linli_domain::each_error_code!(mirror_error_codes);

/// A business rejection, shown to the person who made the request.
#[derive(Debug, Clone, GraphQLObject)]
pub struct UserError {
    /// Where in the mutation's arguments the problem is, e.g. `["input", "title"]` (Shopify's
    /// `userErrors.field`); null when it is about the request as a whole.
    pub field: Option<Vec<String>>,
    /// What went wrong, for the client to act on.
    pub code: ErrorCodeValue,
    /// A message for people, in Chinese.
    pub message: String,
}

impl UserError {
    fn at(err: &DomainError, path: fn(&'static str) -> Vec<&'static str>) -> Self {
        Self {
            field: err
                .field()
                .map(|f| path(f).into_iter().map(str::to_owned).collect()),
            code: err.code().into(),
            message: err.to_string(),
        }
    }
}

/// A count or figure as GraphQL `Int` (32-bit), saturating: counts this large do not occur in a
/// district, and a saturated count is better than a failed page.
pub fn int(value: impl TryInto<i32>) -> i32 {
    value.try_into().unwrap_or(i32::MAX)
}

/// A whole number of volunteer points over the ledger's whole range. GraphQL's `Int` stops at
/// 2^31 − 1, which a district's issuance total can pass; JSON numbers are exact to 2^53 − 1,
/// far beyond any sum the ledger allows (`Points::MAX_TRANSFER` per transfer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLScalar)]
#[graphql(
    name = "Points",
    with = points_scalar,
    parse_token(i32, f64),
    description = "A whole number of volunteer points, as a JSON number (exact up to 2^53 − 1)."
)]
pub struct Points(pub i64);

mod points_scalar {
    use juniper::{Scalar, ScalarValue};

    use super::Points;

    /// The largest integer a JSON number (an IEEE double) holds exactly.
    const MAX_EXACT: i64 = (1 << 53) - 1;

    pub(super) fn to_output<S: ScalarValue>(v: &Points) -> S {
        match i32::try_from(v.0) {
            Ok(small) => small.into(),
            // Exact: the ledger's sums stay below 2^53.
            #[expect(
                clippy::cast_precision_loss,
                clippy::as_conversions,
                reason = "values stay below 2^53, where a double is exact; f64 has no From<i64>"
            )]
            Err(_) => (v.0 as f64).into(),
        }
    }

    pub(super) fn from_input(v: &Scalar<impl ScalarValue>) -> Result<Points, Box<str>> {
        if let Some(int) = v.try_to_int() {
            return Ok(Points(i64::from(int)));
        }
        match v.try_to_float() {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::as_conversions,
                reason = "checked integral and in range; floats convert to integers only by `as`"
            )]
            Some(f) if f.fract() == 0.0 && f.abs() <= MAX_EXACT as f64 => Ok(Points(f as i64)),
            _ => Err(format!("积分须为整数，收到：{v}").into()),
        }
    }
}

/// Mirrors a domain enum as a GraphQL enum, with conversions both ways; doc comments on the
/// enum and on each variant become the schema's descriptions.
macro_rules! mirror_enum {
    (
        $(#[$doc:meta])* $name:ident = $domain:path {
            $($(#[$variant_doc:meta])* $variant:ident),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLEnum)]
        pub enum $name { $($(#[$variant_doc])* $variant),+ }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                type D = $domain;
                match value { $(D::$variant => Self::$variant),+ }
            }
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                type D = $domain;
                match value { $($name::$variant => D::$variant),+ }
            }
        }
    };
}
pub(crate) use mirror_enum;
