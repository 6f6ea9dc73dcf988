//! People and sessions: registration, sign-in, refresh, sign-out and `me`.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::identity::{self as domain, NewUser, Session};

use super::directory::Community;
use super::ledger::Account;
use super::relay::{Kind, NodeValue, connection, page_request, payload};
use super::{Context, mirror_enum};

mirror_enum!(
    /// What a person may do: residents use the app, staff run the centre, admins both.
    Role = linli_domain::identity::Role {
        /// A resident: earns, donates and redeems points and takes part in groups.
        Resident,
        /// A member of the centre's staff, who verifies, allocates and matches.
        Staff,
        /// An administrator, with every staff permission.
        Admin,
    }
);

mirror_enum!(
    /// Whether a person may use their account.
    UserStatus = linli_domain::identity::UserStatus {
        /// The account works as usual.
        Active,
        /// Suspended by staff: no sign-in, no session refresh, no spending of points;
        /// `statusReason` says why.
        Suspended,
    }
);

#[derive(Debug, Clone)]
pub struct User(pub domain::User);

/// A person with an account; visible only to themself and to staff.
#[graphql_object(context = Context, impl = NodeValue)]
impl User {
    /// Opaque global id.
    fn id(&self) -> ID {
        User::global_id(self.0.id.as_str())
    }

    /// The name the person shows to others, e.g. on attendance sheets.
    fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// Only ever shown to the person themself and to staff.
    fn email(&self) -> Option<&str> {
        self.0.email.as_ref().map(|e| e.as_str())
    }

    /// The person's mainland mobile number, if they gave one; only shown to themself and staff.
    fn phone(&self) -> Option<&str> {
        self.0.phone.as_ref().map(|p| p.as_str())
    }

    /// What the person may do.
    fn role(&self) -> Role {
        self.0.role.into()
    }

    /// When the account was made.
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }

    /// Whether the person may use their account.
    fn status(&self) -> UserStatus {
        self.0.status.into()
    }

    /// Why staff suspended or restored the account.
    fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }

    /// The organisations the person belongs to, with their roles: for themself and staff.
    async fn memberships(&self, ctx: &Context) -> FieldResult<Vec<super::directory::Membership>> {
        super::directory::memberships_of(ctx, self.0.id.clone()).await
    }

    /// The community the person lives in, when they said.
    async fn community(&self, ctx: &Context) -> FieldResult<Option<Community>> {
        super::directory::community_of(ctx, self.0.community_id.clone()).await
    }

    /// Verified volunteer service, kept apart from points (they never expire).
    async fn service_record(
        &self,
        ctx: &Context,
    ) -> FieldResult<super::volunteering::ServiceRecord> {
        super::volunteering::service_record(ctx, self.0.id.clone()).await
    }

    /// Whether the current email address has been confirmed.
    async fn email_verified(&self, ctx: &Context) -> FieldResult<bool> {
        let user = self.0.clone();
        let result = ctx
            .run(move |s, _| s.identity().email_verified(&user))
            .await;
        ctx.answer(result)
    }

    /// The email kinds this person turned off (only visible to themself).
    async fn notifications_off(
        &self,
        ctx: &Context,
    ) -> FieldResult<Vec<super::email::NotificationKind>> {
        super::email::opted_out(ctx, self.0.id.clone()).await
    }

    /// The person's volunteer-points wallet.
    async fn wallet(&self, ctx: &Context) -> FieldResult<Account> {
        let id = self.0.id.clone();
        let result = ctx.run(move |s, actor| s.ledger().wallet(actor, &id)).await;
        ctx.answer(result).map(Account)
    }
}

connection!(
    /// A page of people.
    UserConnection,
    /// A person in a page, with its cursor.
    UserEdge,
    User,
    |u| u.0.id.to_string()
);

/// Which residents to list.
#[derive(Debug, Default, GraphQLInputObject)]
pub struct ResidentFilterInput {
    /// Any part of the resident's name, mobile number or email address.
    pub text: Option<String>,
    /// Only residents of this community.
    pub community_id: Option<ID>,
}

pub async fn residents(
    ctx: &Context,
    filter: Option<ResidentFilterInput>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<UserConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let filter = filter.unwrap_or_default();
    let filter = ctx.answer(
        Community::decode_optional(filter.community_id.as_ref(), "communityId").map(
            |community_id| domain::ResidentFilter {
                text: filter.text,
                community_id,
            },
        ),
    )?;
    let result = ctx
        .run(move |s, actor| s.identity().residents(actor, &filter, &page))
        .await;
    ctx.answer(result)
        .map(|p| UserConnection::from_page(p, User))
}

/// A resident to suspend or restore, and why.
#[derive(Debug, GraphQLInputObject)]
pub struct UserStandingInput {
    /// The resident.
    pub user_id: ID,
    /// Why, shown to the resident as their `statusReason`.
    pub reason: String,
}

payload!(
    /// What a mutation on a person's account returns.
    UserPayload {
        /// The account after the change; null when the request was refused.
        user: Option<User>,
    }
    from domain::User => User
);

pub async fn set_user_standing(
    ctx: &Context,
    input: UserStandingInput,
    suspend: bool,
) -> FieldResult<UserPayload> {
    ctx.mutate(
        User::decode(&input.user_id, "userId"),
        move |s, actor, id| {
            if suspend {
                s.identity().suspend_user(actor, &id, &input.reason)
            } else {
                s.identity().restore_user(actor, &id, &input.reason)
            }
        },
    )
    .await
}

/// A resident's sign-up.
#[derive(Debug, GraphQLInputObject)]
pub struct RegisterResidentInput {
    /// Email address and/or mainland mobile number; at least one.
    pub email: Option<String>,
    /// A mainland mobile number (this or `email`, or both).
    pub phone: Option<String>,
    /// At least 10 characters, not containing the email or phone.
    pub password: String,
    /// The name to show to others.
    pub display_name: String,
    /// The community the resident lives in, if they want to say.
    pub community_id: Option<ID>,
}

payload!(
    /// What `registerResident` returns.
    RegisterResidentPayload {
        /// The new account; null when the request was refused (sign in to get a session).
        user: Option<User>,
    }
    from domain::User => User
);

pub async fn register_resident(
    ctx: &Context,
    input: RegisterResidentInput,
) -> FieldResult<RegisterResidentPayload> {
    let decoded = Community::decode_optional(input.community_id.as_ref(), "communityId").map(
        |community_id| NewUser {
            email: input.email,
            phone: input.phone,
            password: input.password,
            display_name: input.display_name,
            community_id,
        },
    );
    let address = ctx.client_addr.clone();
    ctx.mutate_hashing(decoded, move |s, _, new_user| {
        s.identity().register_resident(new_user, &address)
    })
    .await
}

/// Credentials to sign in with.
#[derive(Debug, GraphQLInputObject)]
pub struct SignInInput {
    /// Email address or mobile number.
    pub login: String,
    /// The account's password.
    pub password: String,
}

/// A signed-in session: send `accessToken` as `Authorization: Bearer …`; trade `refreshToken`
/// for a new session before it expires (each refresh token works once).
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct SessionTokens {
    /// The bearer token for the `Authorization` header (a JWT, valid 15 minutes).
    pub access_token: String,
    /// When the access token stops working.
    pub access_token_expires_at: DateTime<Utc>,
    /// The token that `refreshSession` trades for a new session, once.
    pub refresh_token: String,
    /// When the refresh token stops working; sign in again after that.
    pub refresh_token_expires_at: DateTime<Utc>,
    /// The signed-in person.
    pub user: User,
}

payload!(
    /// What signing in or refreshing a session returns.
    SessionPayload {
        /// The new session; null when the request was refused.
        session: Option<SessionTokens>,
    }
    from Session => with |ctx, session| Ok((session.map(|s| tokens(ctx, s)).transpose()?,))
);

/// The session with its access token, issued here because signing tokens is the HTTP layer's.
fn tokens(ctx: &Context, session: Session) -> FieldResult<SessionTokens> {
    let access = ctx.answer(
        ctx.shared
            .tokens
            .issue(&session.user.id, session.user.role)
            .map_err(DomainError::internal),
    )?;
    Ok(SessionTokens {
        access_token: access.token,
        access_token_expires_at: DateTime::<Utc>::from(access.expires_at),
        refresh_token: session.refresh_token,
        refresh_token_expires_at: session.refresh_expires_at.and_utc(),
        user: User(session.user),
    })
}

pub async fn sign_in(ctx: &Context, input: SignInInput) -> FieldResult<SessionPayload> {
    let address = ctx.client_addr.clone();
    ctx.mutate_hashing(Ok(input), move |s, _, input| {
        s.identity()
            .sign_in(&input.login, &input.password, &address)
    })
    .await
}

/// A refresh token, to trade for a new session or to sign out with.
#[derive(Debug, GraphQLInputObject)]
pub struct RefreshSessionInput {
    /// The `refreshToken` of the current session.
    pub refresh_token: String,
}

pub async fn refresh_session(
    ctx: &Context,
    input: RefreshSessionInput,
) -> FieldResult<SessionPayload> {
    ctx.mutate(Ok(input), |s, _, input| {
        s.identity().refresh(&input.refresh_token)
    })
    .await
}

payload!(
    /// What `signOut` returns.
    SignOutPayload {
        /// True when the session was ended.
        signed_out: bool,
    }
    from () => with |_, done| Ok((done.is_some(),))
);

pub async fn sign_out(ctx: &Context, input: RefreshSessionInput) -> FieldResult<SignOutPayload> {
    ctx.mutate(Ok(input), |s, _, input| {
        s.identity().sign_out(&input.refresh_token)
    })
    .await
}

pub async fn me(ctx: &Context) -> FieldResult<User> {
    let result = ctx.run(|s, actor| s.identity().me(actor)).await;
    ctx.answer(result).map(User)
}

pub async fn user(ctx: &Context, id: linli_domain::types::UserId) -> FieldResult<User> {
    let result = ctx.run(move |s, actor| s.identity().user(actor, &id)).await;
    ctx.answer(result).map(User)
}
