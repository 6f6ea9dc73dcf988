//! SQL for identity: users, refresh tokens and email tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Email, LoginIdentifier, PhoneNumber, Role, User, UserStatus};
use super::service::ResidentFilter;
use crate::db::{DbConnection, is_unique_violation, lower};
use crate::error::{DomainError, DomainResult};
use crate::page::{PageRequest, keyset};
use crate::schema::{app_user, email_token, email_verification, refresh_token};
use crate::types::{CommunityId, UserId};

/// A user with their password hash, which only signing in reads.
#[derive(Queryable, Selectable)]
#[diesel(table_name = app_user)]
struct UserRow {
    #[diesel(embed)]
    user: User,
    password_hash: String,
}

pub(super) fn insert_user(
    conn: &mut DbConnection,
    user: &User,
    password_hash: &str,
) -> DomainResult<()> {
    let result = diesel::insert_into(app_user::table)
        .values((
            app_user::id.eq(user.id.as_str()),
            app_user::email.eq(user.email.as_ref().map(Email::as_str)),
            app_user::phone.eq(user.phone.as_ref().map(PhoneNumber::as_str)),
            app_user::display_name.eq(&user.display_name),
            app_user::password_hash.eq(password_hash),
            app_user::role.eq(user.role.as_str()),
            app_user::community_id.eq(user.community_id.as_ref().map(CommunityId::as_str)),
            app_user::created_at.eq(user.created_at),
            app_user::updated_at.eq(user.created_at),
            app_user::status.eq(user.status.as_str()),
        ))
        .execute(conn);
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e, "email") => Err(DomainError::EmailTaken),
        Err(e) if is_unique_violation(&e, "phone") => Err(DomainError::PhoneTaken),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn find_user(conn: &mut DbConnection, id: &UserId) -> DomainResult<Option<User>> {
    Ok(app_user::table
        .find(id.as_str())
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Moves a person's standing from `from` to `to`; false when it was no longer `from`.
pub(super) fn change_status(
    conn: &mut DbConnection,
    id: &UserId,
    from: UserStatus,
    to: UserStatus,
    reason: &str,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        app_user::table
            .filter(app_user::id.eq(id.as_str()))
            .filter(app_user::status.eq(from.as_str())),
    )
    .set((
        app_user::status.eq(to.as_str()),
        app_user::status_reason.eq(reason),
        app_user::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Refuses a suspended person's spending inside the transaction that would spend, so an
/// access token issued before the suspension cannot be used to move points.
pub(crate) fn require_active(conn: &mut DbConnection, id: &UserId) -> DomainResult<()> {
    let status: Option<UserStatus> = app_user::table
        .find(id.as_str())
        .select(app_user::status)
        .first(conn)
        .optional()?;
    match status {
        Some(UserStatus::Suspended) => Err(DomainError::AccountSuspended),
        Some(UserStatus::Active) => Ok(()),
        None => Err(DomainError::NotFound { what: "用户" }),
    }
}

/// One page of the residents whose name, phone or email contains `pattern` (see
/// [`crate::types::contains_pattern`]), optionally in one community, newest account first,
/// with how many match.
pub(super) fn residents(
    conn: &mut DbConnection,
    pattern: Option<&str>,
    filter: &ResidentFilter,
    page: &PageRequest,
) -> DomainResult<(Vec<User>, i64)> {
    macro_rules! filtered {
        () => {{
            let mut q = app_user::table
                .filter(app_user::role.eq(Role::Resident.as_str()))
                .into_boxed();
            if let Some(pattern) = pattern {
                q = q.filter(
                    lower(app_user::display_name)
                        .like(pattern.to_owned())
                        .escape('\\')
                        .or(app_user::email.like(pattern.to_owned()).escape('\\'))
                        .or(app_user::phone.like(pattern.to_owned()).escape('\\')),
                );
            }
            if let Some(community) = &filter.community_id {
                q = q.filter(app_user::community_id.eq(community.as_str().to_owned()));
            }
            q
        }};
    }
    let total: i64 = filtered!().count().get_result(conn)?;
    let query = filtered!().select(User::as_select());
    let rows = keyset!(query, app_user::id, newest_first: true, page).load(conn)?;
    Ok((rows, total))
}

/// People by id, in one query.
pub(crate) fn users_by_ids(conn: &mut DbConnection, ids: &[UserId]) -> DomainResult<Vec<User>> {
    Ok(app_user::table
        .filter(app_user::id.eq_any(ids))
        .select(User::as_select())
        .load(conn)?)
}

/// The longest-standing administrator (ids are time-ordered), if any.
pub(crate) fn first_admin(conn: &mut DbConnection) -> DomainResult<Option<User>> {
    Ok(app_user::table
        .filter(app_user::role.eq(Role::Admin.as_str()))
        .order(app_user::id.asc())
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// The user and their password hash, by email or phone.
pub(crate) fn find_by_login(
    conn: &mut DbConnection,
    login: &LoginIdentifier,
) -> DomainResult<Option<(User, String)>> {
    let query = app_user::table.select(UserRow::as_select()).into_boxed();
    let query = match login {
        LoginIdentifier::Email(e) => query.filter(app_user::email.eq(e.as_str().to_owned())),
        LoginIdentifier::Phone(p) => query.filter(app_user::phone.eq(p.as_str().to_owned())),
    };
    Ok(query
        .first::<UserRow>(conn)
        .optional()?
        .map(|row| (row.user, row.password_hash)))
}

/// A refresh token as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_token)]
pub(super) struct TokenRow {
    pub id: String,
    pub user_id: UserId,
    pub family_id: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub(super) fn insert_refresh_token(
    conn: &mut DbConnection,
    user_id: &UserId,
    family_id: &str,
    token_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> DomainResult<()> {
    diesel::insert_into(refresh_token::table)
        .values((
            refresh_token::id.eq(uuid::Uuid::now_v7().to_string()),
            refresh_token::user_id.eq(user_id.as_str()),
            refresh_token::family_id.eq(family_id),
            refresh_token::token_hash.eq(token_hash),
            refresh_token::created_at.eq(now),
            refresh_token::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub(super) fn find_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> DomainResult<Option<TokenRow>> {
    Ok(refresh_token::table
        .filter(refresh_token::token_hash.eq(token_hash))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a token used, only if nobody else did first; false means it was already used.
pub(super) fn claim_refresh_token(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        refresh_token::table
            .filter(refresh_token::id.eq(id))
            .filter(refresh_token::used_at.is_null())
            .filter(refresh_token::revoked_at.is_null()),
    )
    .set(refresh_token::used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

pub(super) fn revoke_family(
    conn: &mut DbConnection,
    family_id: &str,
    now: NaiveDateTime,
) -> DomainResult<()> {
    diesel::update(
        refresh_token::table
            .filter(refresh_token::family_id.eq(family_id))
            .filter(refresh_token::revoked_at.is_null()),
    )
    .set(refresh_token::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

pub(crate) fn has_users(conn: &mut DbConnection) -> DomainResult<bool> {
    Ok(app_user::table
        .select(app_user::id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

/// A single-use email token as stored (the secret itself is never stored).
#[derive(Queryable, Selectable)]
#[diesel(table_name = email_token)]
pub(crate) struct EmailTokenRow {
    pub user_id: UserId,
    pub purpose: String,
    pub email: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub(crate) fn insert_email_token(
    conn: &mut DbConnection,
    hash: &str,
    user: &UserId,
    purpose: &str,
    email: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> DomainResult<()> {
    diesel::insert_into(email_token::table)
        .values((
            email_token::token_hash.eq(hash),
            email_token::user_id.eq(user.as_str()),
            email_token::purpose.eq(purpose),
            email_token::email.eq(email),
            email_token::expires_at.eq(expires_at),
            email_token::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn find_email_token(
    conn: &mut DbConnection,
    hash: &str,
) -> DomainResult<Option<EmailTokenRow>> {
    Ok(email_token::table
        .find(hash)
        .select(EmailTokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// Uses a token up; false when it was used already (by a concurrent request too).
pub(crate) fn use_email_token(
    conn: &mut DbConnection,
    hash: &str,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        email_token::table
            .filter(email_token::token_hash.eq(hash))
            .filter(email_token::used_at.is_null()),
    )
    .set(email_token::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

pub(crate) fn set_password(conn: &mut DbConnection, user: &UserId, hash: &str) -> DomainResult<()> {
    diesel::update(app_user::table.find(user.as_str()))
        .set(app_user::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of a user (after a password reset).
pub(crate) fn revoke_all(
    conn: &mut DbConnection,
    user: &UserId,
    now: NaiveDateTime,
) -> DomainResult<()> {
    diesel::update(
        refresh_token::table
            .filter(refresh_token::user_id.eq(user.as_str()))
            .filter(refresh_token::revoked_at.is_null()),
    )
    .set(refresh_token::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

pub(crate) fn mark_email_verified(
    conn: &mut DbConnection,
    user: &UserId,
    email: &str,
    now: NaiveDateTime,
) -> DomainResult<()> {
    diesel::delete(email_verification::table.find(user.as_str())).execute(conn)?;
    diesel::insert_into(email_verification::table)
        .values((
            email_verification::user_id.eq(user.as_str()),
            email_verification::email.eq(email),
            email_verification::verified_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The address a user confirmed, if any (it may differ from a later-changed email).
pub(crate) fn verified_email(
    conn: &mut DbConnection,
    user: &UserId,
) -> DomainResult<Option<String>> {
    Ok(email_verification::table
        .find(user.as_str())
        .select(email_verification::email)
        .first(conn)
        .optional()?)
}

/// Deletes refresh and email tokens that expired before `before`: an expired token is refused
/// whatever else is known about it, so keeping it proves nothing.
pub(crate) fn sweep_tokens(conn: &mut DbConnection, before: NaiveDateTime) -> DomainResult<usize> {
    let refresh = diesel::delete(refresh_token::table.filter(refresh_token::expires_at.lt(before)))
        .execute(conn)?;
    let email = diesel::delete(email_token::table.filter(email_token::expires_at.lt(before)))
        .execute(conn)?;
    Ok(refresh + email)
}
