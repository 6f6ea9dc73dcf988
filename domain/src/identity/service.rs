//! Identity use cases: registration, sign-in, session refresh and sign-out.
//!
//! Password hashing is deliberately slow, so these functions are called from the API's bounded
//! hashing pool; no database connection is held while a hash is computed.

use chrono::{NaiveDateTime, TimeDelta};

use super::model::{self, Actor, Email, LoginIdentifier, PhoneNumber, Role, User, UserStatus};
use super::store;
use crate::Services;
use crate::db::DbConnection;
use crate::directory;
use crate::error::{DomainError, DomainResult, Problems};
use crate::ledger;
use crate::outbox;
use crate::page::{Page, PageRequest};
use crate::throttle;
use crate::types::{CommunityId, UserId, text};

/// What a person types to sign up (or what `linli create-staff` passes).
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: String,
    pub display_name: String,
    pub community_id: Option<CommunityId>,
}

/// Which residents staff look for; `text` matches any part of the name, phone or email.
#[derive(Debug, Clone, Default)]
pub struct ResidentFilter {
    pub text: Option<String>,
    pub community_id: Option<CommunityId>,
}

/// A signed-in session: the user and a new refresh-token secret (shown once, stored hashed).
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub refresh_token: String,
    pub refresh_expires_at: NaiveDateTime,
}

pub struct Identity<'a> {
    services: &'a Services,
}

impl<'a> Identity<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// A resident signs up with an email address and/or a mobile number. "Already taken"
    /// answers are counted per client address, so registration cannot be used to walk the
    /// phone-number space for who has an account.
    #[tracing::instrument(skip_all, fields(community = ?input.community_id))]
    pub fn register_resident(&self, input: NewUser, client_addr: &str) -> DomainResult<User> {
        let key = format!("registration-taken:{client_addr}");
        let now = self.services.clock.now();
        self.services
            .db
            .read(|conn| throttle::check(conn, &key, now))?;
        match self.create_user(input, Role::Resident) {
            Err(err @ (DomainError::EmailTaken | DomainError::PhoneTaken)) => {
                self.services
                    .db
                    .write(|conn| throttle::count(conn, &key, throttle::REGISTRATION_TAKEN, now))?;
                Err(err)
            }
            other => other,
        }
    }

    /// Creates a staff or admin account; only the command line calls this (the first staff
    /// account cannot be made by anyone through the API).
    pub fn create_staff(&self, input: NewUser, role: Role) -> DomainResult<User> {
        if !role.is_staff() {
            return Err(DomainError::invalid("role", "只能创建工作人员或管理员账号"));
        }
        self.create_user(input, role)
    }

    fn create_user(&self, input: NewUser, role: Role) -> DomainResult<User> {
        let mut problems = Problems::default();
        let email = problems
            .check(
                input
                    .email
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                    .map(Email::parse)
                    .transpose(),
            )
            .flatten();
        let phone = problems
            .check(
                input
                    .phone
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                    .map(PhoneNumber::parse)
                    .transpose(),
            )
            .flatten();
        let none_given = input.email.as_deref().is_none_or(|s| s.trim().is_empty())
            && input.phone.as_deref().is_none_or(|s| s.trim().is_empty());
        if none_given {
            problems.add(DomainError::invalid("email", "请填写邮箱或手机号"));
        }
        let display_name = problems.check(text(&input.display_name, "displayName", 1, 40));
        let identifiers: Vec<&str> = [
            email.as_ref().map(Email::as_str),
            phone.as_ref().map(PhoneNumber::as_str),
        ]
        .into_iter()
        .flatten()
        .collect();
        problems.check(model::check_password_policy(&input.password, &identifiers));
        problems.finish()?;
        let display_name = display_name.unwrap_or_default();
        let password_hash = model::hash_password(&input.password)?;
        let user = User {
            id: UserId::generate(),
            email,
            phone,
            display_name,
            role,
            community_id: input.community_id.clone(),
            created_at: self.services.clock.now(),
            status: UserStatus::Active,
            status_reason: None,
        };
        self.services.db.write(|conn| {
            if let Some(community) = &user.community_id {
                directory::store::find_community(conn, community)?
                    .ok_or_else(|| DomainError::invalid("communityId", "社区不存在"))?;
            }
            store::insert_user(conn, &user, &password_hash)?;
            ledger::store::open_personal_accounts(conn, &user.id, user.created_at)?;
            Ok(())
        })?;
        Ok(user)
    }

    /// Signs in by email or phone. An unknown account and a wrong password give the same error
    /// after the same work (a dummy hash is verified), and both count against the throttles:
    /// one per account (its email and phone share it) and one per client address.
    #[tracing::instrument(skip_all)]
    pub fn sign_in(
        &self,
        identifier: &str,
        password: &str,
        client_addr: &str,
    ) -> DomainResult<Session> {
        let now = self.services.clock.now();
        let address_key = format!("sign-in-address:{client_addr}");
        let login = LoginIdentifier::parse(identifier).ok();
        let (found, account_key) = self.services.db.read(|conn| {
            throttle::check(conn, &address_key, now)?;
            let found = match &login {
                Some(login) => store::find_by_login(conn, login)?,
                None => None,
            };
            // An unknown login is throttled under its own text, exactly like a known one.
            let account_key = match (&found, &login) {
                (Some((user, _)), _) => format!("sign-in-account:{}", user.id),
                (None, Some(login)) => format!("sign-in-login:{}", login.as_str()),
                (None, None) => format!("sign-in-login:{}", identifier.trim()),
            };
            throttle::check(conn, &account_key, now)?;
            Ok((found, account_key))
        })?;
        let verified =
            model::verify_password(password, found.as_ref().map(|(_, hash)| hash.as_str()))?;
        match found {
            Some((user, _)) if verified && user.status == UserStatus::Suspended => {
                Err(DomainError::AccountSuspended)
            }
            Some((user, _)) if verified => {
                let refresh_expires_at = now + self.services.settings.refresh_token_ttl;
                let (secret, hash) = model::new_refresh_secret();
                self.services.db.write(|conn| {
                    throttle::clear(conn, &account_key)?;
                    crate::review::store::record_sighting(conn, client_addr, &user.id, now)?;
                    let family = uuid::Uuid::now_v7().to_string();
                    store::insert_refresh_token(
                        conn,
                        &user.id,
                        &family,
                        &hash,
                        now,
                        refresh_expires_at,
                    )
                })?;
                Ok(Session {
                    user,
                    refresh_token: secret,
                    refresh_expires_at,
                })
            }
            _ => {
                self.services.db.write(|conn| {
                    throttle::count(conn, &account_key, throttle::SIGN_IN_ACCOUNT, now)?;
                    throttle::count(conn, &address_key, throttle::SIGN_IN_ADDRESS, now)
                })?;
                Err(DomainError::InvalidCredentials)
            }
        }
    }

    /// Trades a refresh token for a new one in the same family. A token presented a second time
    /// means it was stolen or replayed: the whole family is revoked.
    #[tracing::instrument(skip_all)]
    pub fn refresh(&self, secret: &str) -> DomainResult<Session> {
        let now = self.services.clock.now();
        let hash = model::hash_secret(secret);
        let (next_secret, next_hash) = model::new_refresh_secret();
        let refresh_expires_at = now + self.services.settings.refresh_token_ttl;
        let outcome = self.services.db.write(|conn| {
            let Some(token) = store::find_refresh_token(conn, &hash)? else {
                return Ok(Err(DomainError::InvalidRefreshToken));
            };
            if token.revoked_at.is_some() || token.expires_at <= now {
                return Ok(Err(DomainError::InvalidRefreshToken));
            }
            if token.used_at.is_some() || !store::claim_refresh_token(conn, &token.id, now)? {
                // Committed on purpose: the revocation must stick although the request fails.
                store::revoke_family(conn, &token.family_id, now)?;
                return Ok(Err(DomainError::RefreshTokenReused));
            }
            let user_id = token.user_id;
            let user = store::find_user(conn, &user_id)?.ok_or(DomainError::InvalidRefreshToken)?;
            if user.status == UserStatus::Suspended {
                return Ok(Err(DomainError::AccountSuspended));
            }
            store::insert_refresh_token(
                conn,
                &user.id,
                &token.family_id,
                &next_hash,
                now,
                refresh_expires_at,
            )?;
            Ok(Ok(user))
        })?;
        outcome.map(|user| Session {
            user,
            refresh_token: next_secret,
            refresh_expires_at,
        })
    }

    /// Ends the session the refresh token belongs to. Unknown tokens succeed too: signing out
    /// twice is not an error, and the answer reveals nothing.
    #[tracing::instrument(skip_all)]
    pub fn sign_out(&self, secret: &str) -> DomainResult<()> {
        let now = self.services.clock.now();
        let hash = model::hash_secret(secret);
        self.services.db.write(|conn| {
            if let Some(token) = store::find_refresh_token(conn, &hash)? {
                store::revoke_family(conn, &token.family_id, now)?;
            }
            Ok(())
        })
    }

    /// The caller's own account.
    pub fn me(&self, actor: &Actor) -> DomainResult<User> {
        let id = actor.user_id()?;
        // One statement: no snapshot to hold.
        self.services
            .db
            .read_without_snapshot(|conn| store::find_user(conn, id))?
            .ok_or(DomainError::Unauthenticated)
    }

    /// A user's profile: readable by the user and by staff.
    pub fn user(&self, actor: &Actor, id: &UserId) -> DomainResult<User> {
        if actor.user_id()? != id && !actor.is_staff() {
            return Err(DomainError::Forbidden);
        }
        self.services
            .db
            .read(|conn| store::find_user(conn, id))?
            .ok_or(DomainError::NotFound { what: "用户" })
    }

    /// Staff suspend a resident: every session ends now (refresh tokens revoked), signing in is
    /// refused, and the wallet can no longer be spent; the points stay where they are.
    #[tracing::instrument(skip_all, fields(user = %id))]
    pub fn suspend_user(&self, actor: &Actor, id: &UserId, reason: &str) -> DomainResult<User> {
        self.change_status(actor, id, UserStatus::Active, UserStatus::Suspended, reason)
    }

    /// Staff restore a suspended resident.
    #[tracing::instrument(skip_all, fields(user = %id))]
    pub fn restore_user(&self, actor: &Actor, id: &UserId, reason: &str) -> DomainResult<User> {
        self.change_status(actor, id, UserStatus::Suspended, UserStatus::Active, reason)
    }

    fn change_status(
        &self,
        actor: &Actor,
        id: &UserId,
        from: UserStatus,
        to: UserStatus,
        reason: &str,
    ) -> DomainResult<User> {
        let staff = actor.require_staff()?;
        let reason = text(reason, "reason", 2, 500)?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let user =
                store::find_user(conn, id)?.ok_or(DomainError::NotFound { what: "用户" })?;
            // Staff accounts are managed on the command line, not by other staff.
            if user.role.is_staff() {
                return Err(DomainError::Forbidden);
            }
            if !move_status(conn, staff, id, (from, to), &reason, now)? {
                return Err(DomainError::not_moved(
                    &user.status,
                    &[from],
                    match to {
                        UserStatus::Suspended => "该账号已被暂停",
                        UserStatus::Active => "该账号未被暂停",
                    },
                ));
            }
            store::find_user(conn, id)?.ok_or(DomainError::NotFound { what: "用户" })
        })
    }

    /// Staff search residents by name, phone or email (any part of them), and community.
    pub fn residents(
        &self,
        actor: &Actor,
        filter: &ResidentFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<User>> {
        actor.require_staff()?;
        let text = crate::types::contains_pattern(filter.text.as_deref())?;
        self.services.db.read(|conn| {
            let (mut items, total) = store::residents(conn, text.as_deref(), filter, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// Profiles by id, for a page's `User` fields, under the same rule as [`Self::user`]:
    /// staff read anyone's, others only their own (the rest are left out).
    pub fn users_by_id(
        &self,
        actor: &Actor,
        ids: &[UserId],
    ) -> DomainResult<std::collections::HashMap<UserId, User>> {
        let me = actor.user_id()?;
        let visible: Vec<UserId> = ids
            .iter()
            .filter(|id| actor.is_staff() || *id == me)
            .cloned()
            .collect();
        if visible.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        Ok(self
            .services
            .db
            .read(|conn| store::users_by_ids(conn, &visible))?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect())
    }

    /// Registers many residents who share one password, hashing it once and writing in
    /// batches; residents whose email or phone already exists are skipped. For seeding demo
    /// and load-test data only: staff-only, and every account still gets its wallet and hold.
    #[tracing::instrument(skip_all, fields(people = people.len()))]
    pub fn import_residents(
        &self,
        actor: &Actor,
        people: &[NewUser],
        password: &str,
    ) -> DomainResult<Vec<User>> {
        actor.require_staff()?;
        model::check_password_policy(password, &[])?;
        let password_hash = model::hash_password(password)?;
        let now = self.services.clock.now();
        let mut imported = Vec::new();
        for batch in people.chunks(500) {
            let users = batch
                .iter()
                .map(|input| {
                    let email = input.email.as_deref().map(Email::parse).transpose()?;
                    let phone = input.phone.as_deref().map(PhoneNumber::parse).transpose()?;
                    Ok(User {
                        id: UserId::generate(),
                        email,
                        phone,
                        display_name: text(&input.display_name, "displayName", 1, 40)?,
                        role: Role::Resident,
                        community_id: input.community_id.clone(),
                        created_at: now,
                        status: UserStatus::Active,
                        status_reason: None,
                    })
                })
                .collect::<DomainResult<Vec<_>>>()?;
            imported.extend(self.services.db.write(|conn| {
                let mut inserted = Vec::new();
                for user in &users {
                    let login = match (&user.email, &user.phone) {
                        (Some(e), _) => LoginIdentifier::Email(e.clone()),
                        (None, Some(p)) => LoginIdentifier::Phone(p.clone()),
                        (None, None) => {
                            return Err(DomainError::invalid("email", "请填写邮箱或手机号"));
                        }
                    };
                    if store::find_by_login(conn, &login)?.is_some() {
                        continue;
                    }
                    store::insert_user(conn, user, &password_hash)?;
                    ledger::store::open_personal_accounts(conn, &user.id, user.created_at)?;
                    inserted.push(user.clone());
                }
                Ok(inserted)
            })?);
        }
        Ok(imported)
    }

    /// Staff look a person up by email or mobile number.
    pub fn user_by_login(&self, actor: &Actor, login: &str) -> DomainResult<Option<User>> {
        actor.require_staff()?;
        let login = LoginIdentifier::parse(login)?;
        Ok(self
            .services
            .db
            .read(|conn| store::find_by_login(conn, &login))?
            .map(|(user, _)| user))
    }

    /// Finds another person by the email or phone someone typed (to donate, to add a member).
    /// Lookups that find nobody are counted per asker and committed, so the answer cannot be
    /// used to walk the phone-number space; a malformed contact finds nobody too.
    #[tracing::instrument(skip_all, fields(asker = %asker))]
    pub fn find_contact(
        &self,
        asker: &UserId,
        contact: &str,
        now: NaiveDateTime,
    ) -> DomainResult<Option<User>> {
        let key = format!("contact-lookup:{asker}");
        let login = LoginIdentifier::parse(contact).ok();
        self.services.db.write(|conn| {
            throttle::check(conn, &key, now)?;
            let found = match &login {
                Some(login) => store::find_by_login(conn, login)?.map(|(user, _)| user),
                None => None,
            };
            if found.is_none() {
                throttle::count(conn, &key, throttle::CONTACT_LOOKUP, now)?;
            }
            Ok(found)
        })
    }

    /// Whether anyone has an account yet (a fresh database has none).
    pub fn has_users(&self) -> DomainResult<bool> {
        self.services.db.read(store::has_users)
    }

    /// Sends a password-reset link to the address, if it belongs to an account. The answer is
    /// the same either way, and repeated requests for one address are quietly dropped after
    /// five in fifteen minutes, so the endpoint reveals nothing and cannot flood a mailbox.
    #[tracing::instrument(skip_all)]
    pub fn request_password_reset(&self, email: &str) -> DomainResult<()> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let now = self.services.clock.now();
        let (secret, hash) = model::new_refresh_secret();
        let throttle_key = format!("reset:{}", email.as_str());
        let link = format!(
            "{}/reset-password?token={secret}",
            self.services.settings.public_url
        );
        self.services.db.write(|conn| {
            if throttle::count(conn, &throttle_key, throttle::SIGN_IN_ACCOUNT, now)?.is_some() {
                return Ok(());
            }
            let Some((user, _)) =
                store::find_by_login(conn, &LoginIdentifier::Email(email.clone()))?
            else {
                return Ok(());
            };
            store::insert_email_token(
                conn,
                &hash,
                &user.id,
                "RESET_PASSWORD",
                email.as_str(),
                now + TimeDelta::minutes(30),
                now,
            )?;
            outbox::notify(
                conn,
                &user.id,
                &outbox::Template::ResetPassword {
                    link: link.clone(),
                    token: secret.clone(),
                },
                now,
            )
        })
    }

    /// Sets a new password with a reset token: the token works once, within 30 minutes, and
    /// every existing session of the account ends.
    #[tracing::instrument(skip_all)]
    pub fn reset_password(&self, token: &str, new_password: &str) -> DomainResult<()> {
        let hash = model::hash_secret(token.trim());
        let now = self.services.clock.now();
        let found = self
            .services
            .db
            .read(|conn| store::find_email_token(conn, &hash))?;
        let Some(found) = found
            .filter(|t| t.purpose == "RESET_PASSWORD" && t.used_at.is_none() && t.expires_at > now)
        else {
            return Err(DomainError::InvalidToken);
        };
        model::check_password_policy(new_password, &[found.email.as_str()])?;
        let password_hash = model::hash_password(new_password)?;
        let user = found.user_id;
        self.services.db.write(|conn| {
            if !store::use_email_token(conn, &hash, now)? {
                return Err(DomainError::InvalidToken);
            }
            store::set_password(conn, &user, &password_hash)?;
            store::revoke_all(conn, &user, now)?;
            throttle::clear(conn, &format!("sign-in-account:{user}"))
        })
    }

    /// Sends the signed-in person a link confirming their email address: a few per person and
    /// per client address an hour, so nobody can use Linli to flood a mailbox.
    #[tracing::instrument(skip_all)]
    pub fn request_email_verification(&self, actor: &Actor, client_addr: &str) -> DomainResult<()> {
        let id = actor.user_id()?;
        let now = self.services.clock.now();
        let (secret, hash) = model::new_refresh_secret();
        let link = format!(
            "{}/verify-email?token={secret}",
            self.services.settings.public_url
        );
        let person_key = format!("verification-mail:{id}");
        let address_key = format!("verification-mail-address:{client_addr}");
        self.services.db.write(|conn| {
            throttle::check(conn, &person_key, now)?;
            throttle::check(conn, &address_key, now)?;
            throttle::count(conn, &person_key, throttle::VERIFICATION_MAIL_USER, now)?;
            throttle::count(conn, &address_key, throttle::VERIFICATION_MAIL_ADDRESS, now)?;
            let user = store::find_user(conn, id)?.ok_or(DomainError::Unauthenticated)?;
            let email = user
                .email
                .ok_or_else(|| DomainError::invalid("email", "账号没有邮箱"))?;
            store::insert_email_token(
                conn,
                &hash,
                id,
                "VERIFY_EMAIL",
                email.as_str(),
                now + TimeDelta::hours(24),
                now,
            )?;
            outbox::notify(
                conn,
                id,
                &outbox::Template::VerifyEmail {
                    link: link.clone(),
                    token: secret.clone(),
                },
                now,
            )
        })
    }

    /// Confirms an email address with the token from the email.
    #[tracing::instrument(skip_all)]
    pub fn verify_email(&self, token: &str) -> DomainResult<()> {
        let hash = model::hash_secret(token.trim());
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let Some(found) = store::find_email_token(conn, &hash)?
                .filter(|t| t.purpose == "VERIFY_EMAIL" && t.expires_at > now)
            else {
                return Err(DomainError::InvalidToken);
            };
            if !store::use_email_token(conn, &hash, now)? {
                return Err(DomainError::InvalidToken);
            }
            store::mark_email_verified(conn, &found.user_id, &found.email, now)
        })
    }

    /// Whether the user's current email address has been confirmed.
    pub fn email_verified(&self, user: &User) -> DomainResult<bool> {
        let Some(email) = &user.email else {
            return Ok(false);
        };
        let verified = self
            .services
            .db
            .read(|conn| store::verified_email(conn, &user.id))?;
        Ok(verified.as_deref() == Some(email.as_str()))
    }
}

/// Moves a resident from one status to another, with its effects (suspension ends every
/// session) and audit; false when the resident was not in `from`.
fn move_status(
    conn: &mut DbConnection,
    staff: &UserId,
    id: &UserId,
    (from, to): (UserStatus, UserStatus),
    reason: &str,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    if !store::change_status(conn, id, from, to, reason, now)? {
        return Ok(false);
    }
    if to == UserStatus::Suspended {
        store::revoke_all(conn, id, now)?;
    }
    let action = match to {
        UserStatus::Suspended => "user.suspended",
        UserStatus::Active => "user.restored",
    };
    crate::audit::record(conn, Some(staff), action, "user", id.as_str(), reason, now)?;
    Ok(true)
}

/// Staff acting on a review case suspend a resident it names, in the case's transaction; staff
/// accounts and residents already suspended are left as they are.
pub(crate) fn suspend_for_review(
    conn: &mut DbConnection,
    staff: &UserId,
    id: &UserId,
    reason: &str,
    now: NaiveDateTime,
) -> DomainResult<()> {
    let Some(user) = store::find_user(conn, id)? else {
        return Ok(());
    };
    if !user.role.is_staff() {
        move_status(
            conn,
            staff,
            id,
            (UserStatus::Active, UserStatus::Suspended),
            reason,
            now,
        )?;
    }
    Ok(())
}
