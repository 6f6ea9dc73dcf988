//! Ledger use cases. Each checks who may act, then posts in one write transaction.
//!
//! Idempotency: a request's key is stored with the transfer it produced (scoped to the caller)
//! with a fingerprint of the request. A replay returns that transfer and moves nothing; a
//! different request under the same key is refused. When two identical requests race, the
//! database's unique index lets one insert win; the loser runs again and finds it.

use super::model::{
    Account, AccountKind, HistoryEntry, HistoryFilter, SystemTotals, Transfer, TransferCode,
    VerifyReport,
};
use super::store::{self, NewTransfer};
use crate::Services;
use crate::audit;
use crate::db::DbConnection;
use crate::directory;
use crate::directory::OrganisationStatus;
use crate::error::{DomainError, DomainResult};
use crate::identity::{self, Actor, Role};
use crate::page::{Page, PageRequest};
use crate::types::{AccountId, IdempotencyKey, OrganisationId, Points, TransferId, UserId, text};

/// Whom a resident donates to: their email address or mobile number.
#[derive(Debug, Clone)]
pub struct Recipient(pub String);

/// A staff correction: a signed change to one account, with the reason on record.
#[derive(Debug, Clone)]
pub struct Adjustment {
    pub account_id: AccountId,
    pub change: i64,
    pub reason: String,
}

pub struct Ledger<'a> {
    services: &'a Services,
}

impl<'a> Ledger<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// Staff move points from issuance into a verified organisation's budget.
    pub fn allocate_budget(
        &self,
        actor: &Actor,
        organisation_id: &OrganisationId,
        amount: i64,
        reason: &str,
        key: &IdempotencyKey,
    ) -> DomainResult<Transfer> {
        let staff = actor.require_staff()?;
        let amount = Points::positive(amount, "amount")?;
        let reason = text(reason, "reason", 2, 200)?;
        let scoped = store::scoped_key(staff.as_str(), key.as_str());
        let hash = store::request_hash(&[
            "ALLOCATE_BUDGET",
            organisation_id.as_str(),
            &amount.to_string(),
            &reason,
        ]);
        self.post_once(&scoped, &hash, |conn, at| {
            let organisation = directory::store::find_organisation(conn, organisation_id)?
                .ok_or(DomainError::NotFound { what: "组织" })?;
            if organisation.status != OrganisationStatus::Verified {
                return Err(DomainError::invalid(
                    "organisationId",
                    "只能向已认证的组织拨付积分预算",
                ));
            }
            let budget = owned(conn, AccountKind::Budget, organisation_id.as_str())?;
            let transfer = store::post(
                conn,
                &NewTransfer {
                    debit: &issuance(),
                    credit: &budget.id,
                    amount,
                    code: TransferCode::AllocateBudget,
                    actor: Some(staff),
                    reason: &reason,
                    cause: None,
                    rule: None,
                    reverses: None,
                    idempotency_key: &scoped,
                    request_hash: &hash,
                    at,
                },
            )?;
            audit::record(
                conn,
                Some(staff),
                "ledger.allocate_budget",
                "organisation",
                organisation_id.as_str(),
                &format!("{amount} 分：{reason}"),
                at,
            )?;
            Ok(transfer)
        })
    }

    /// A resident gives points from their wallet to another person's wallet.
    pub fn donate(
        &self,
        actor: &Actor,
        recipient: &Recipient,
        amount: i64,
        reason: &str,
        key: &IdempotencyKey,
    ) -> DomainResult<Transfer> {
        let donor = actor.user_id()?;
        let amount = Points::positive(amount, "amount")?;
        let reason = text(reason, "reason", 0, 200)?;
        let login = identity::model::LoginIdentifier::parse(&recipient.0)
            .map_err(|_| DomainError::RecipientNotFound)?;
        let scoped = store::scoped_key(donor.as_str(), key.as_str());
        let hash = store::request_hash(&["DONATE", &recipient.0, &amount.to_string(), &reason]);
        self.post_once(&scoped, &hash, |conn, at| {
            let (to, _) = identity::store::find_by_login(conn, &login)?
                .ok_or(DomainError::RecipientNotFound)?;
            if &to.id == donor {
                return Err(DomainError::SameAccount);
            }
            let from = owned(conn, AccountKind::Wallet, donor.as_str())?;
            let into = owned(conn, AccountKind::Wallet, to.id.as_str())?;
            let reason = if reason.is_empty() {
                "积分转赠"
            } else {
                &reason
            };
            store::post(
                conn,
                &NewTransfer {
                    debit: &from.id,
                    credit: &into.id,
                    amount,
                    code: TransferCode::Donate,
                    actor: Some(donor),
                    reason,
                    cause: None,
                    rule: None,
                    reverses: None,
                    idempotency_key: &scoped,
                    request_hash: &hash,
                    at,
                },
            )
        })
    }

    /// A resident gives points from their wallet to a self-governance group's fund.
    pub fn donate_to_group(
        &self,
        actor: &Actor,
        group: &crate::types::GroupId,
        amount: i64,
        reason: &str,
        key: &IdempotencyKey,
    ) -> DomainResult<Transfer> {
        let donor = actor.user_id()?;
        let amount = Points::positive(amount, "amount")?;
        let reason = text(reason, "reason", 0, 200)?;
        let scoped = store::scoped_key(donor.as_str(), key.as_str());
        let hash =
            store::request_hash(&["DONATE_GROUP", group.as_str(), &amount.to_string(), &reason]);
        self.post_once(&scoped, &hash, |conn, at| {
            crate::incubation::store::find(conn, group)?.ok_or(DomainError::NotFound {
                what: "自治组织",
            })?;
            let from = owned(conn, AccountKind::Wallet, donor.as_str())?;
            let fund = owned(conn, AccountKind::GroupFund, group.as_str())?;
            let reason = if reason.is_empty() {
                "捐赠给自治组织基金"
            } else {
                &reason
            };
            store::post(
                conn,
                &NewTransfer {
                    debit: &from.id,
                    credit: &fund.id,
                    amount,
                    code: TransferCode::Donate,
                    actor: Some(donor),
                    reason,
                    cause: None,
                    rule: None,
                    reverses: None,
                    idempotency_key: &scoped,
                    request_hash: &hash,
                    at,
                },
            )
        })
    }

    /// A group's convenor rewards an active member from the group's fund, with a reason.
    /// Nobody else — including other groups' convenors — can spend the fund.
    pub fn reward_from_group(
        &self,
        actor: &Actor,
        group: &crate::types::GroupId,
        member: &UserId,
        amount: i64,
        reason: &str,
        key: &IdempotencyKey,
    ) -> DomainResult<Transfer> {
        let convenor = actor.user_id()?;
        let amount = Points::positive(amount, "amount")?;
        let reason = text(reason, "reason", 2, 200)?;
        let scoped = store::scoped_key(convenor.as_str(), key.as_str());
        let hash = store::request_hash(&[
            "REWARD_GROUP",
            group.as_str(),
            member.as_str(),
            &amount.to_string(),
            &reason,
        ]);
        self.post_once(&scoped, &hash, |conn, at| {
            crate::incubation::service::require_convenor(conn, group, convenor)?;
            if crate::incubation::store::active_role(conn, group, member)?.is_none() {
                return Err(DomainError::invalid("memberId", "只能奖励本组织的正式成员"));
            }
            let fund = owned(conn, AccountKind::GroupFund, group.as_str())?;
            let to = owned(conn, AccountKind::Wallet, member.as_str())?;
            store::post(
                conn,
                &NewTransfer {
                    debit: &fund.id,
                    credit: &to.id,
                    amount,
                    code: TransferCode::Donate,
                    actor: Some(convenor),
                    reason: &reason,
                    cause: Some(&crate::ledger::Cause {
                        kind: "group".to_owned(),
                        id: group.to_string(),
                    }),
                    rule: None,
                    reverses: None,
                    idempotency_key: &scoped,
                    request_hash: &hash,
                    at,
                },
            )
        })
    }

    /// A group's fund: public, like the group itself.
    pub fn group_fund(&self, group: &crate::types::GroupId) -> DomainResult<Account> {
        self.services
            .db
            .read(|conn| owned(conn, AccountKind::GroupFund, group.as_str()))
    }

    /// Staff undo a transfer with its mirror image, at most once, and only while the account
    /// that received the points still holds them.
    pub fn reverse(
        &self,
        actor: &Actor,
        transfer_id: &TransferId,
        reason: &str,
        key: &IdempotencyKey,
    ) -> DomainResult<Transfer> {
        let staff = actor.require_staff()?;
        let reason = text(reason, "reason", 2, 200)?;
        let scoped = store::scoped_key(staff.as_str(), key.as_str());
        let hash = store::request_hash(&["REVERSE", transfer_id.as_str(), &reason]);
        let outcome = self.post_once(&scoped, &hash, |conn, at| {
            let original = store::find_transfer(conn, transfer_id)?
                .ok_or(DomainError::NotFound { what: "流水" })?;
            if !original.code.is_reversible() {
                return Err(DomainError::NotReversible);
            }
            if store::reversal_of(conn, transfer_id)?.is_some() {
                return Err(DomainError::AlreadyReversed);
            }
            let reversal = store::post(
                conn,
                &NewTransfer {
                    debit: &original.credit_account_id,
                    credit: &original.debit_account_id,
                    amount: Points::from_db(original.amount),
                    code: TransferCode::Reverse,
                    actor: Some(staff),
                    reason: &reason,
                    cause: original.cause.as_ref(),
                    rule: None,
                    reverses: Some(transfer_id),
                    idempotency_key: &scoped,
                    request_hash: &hash,
                    at,
                },
            )?;
            audit::record(
                conn,
                Some(staff),
                "ledger.reverse",
                "transfer",
                transfer_id.as_str(),
                &reason,
                at,
            )?;
            Ok(reversal)
        });
        match outcome {
            // Two staff reversing at once under different keys: the unique index on
            // `reverses_id` lets one through; the other is told it is already done.
            Err(DomainError::Database(e)) if crate::db::is_unique_violation(&e, "reverses_id") => {
                Err(DomainError::AlreadyReversed)
            }
            other => other,
        }
    }

    /// Staff correct a balance by a signed amount, with a mandatory reason. Points come from or
    /// return to issuance, so the books still balance.
    pub fn adjust(
        &self,
        actor: &Actor,
        adjustment: &Adjustment,
        key: &IdempotencyKey,
    ) -> DomainResult<Transfer> {
        let staff = actor.require_staff()?;
        let amount = Points::positive(adjustment.change.saturating_abs(), "change")?;
        let reason = text(&adjustment.reason, "reason", 2, 200)?;
        let scoped = store::scoped_key(staff.as_str(), key.as_str());
        let hash = store::request_hash(&[
            "ADJUST",
            adjustment.account_id.as_str(),
            &adjustment.change.to_string(),
            &reason,
        ]);
        self.post_once(&scoped, &hash, |conn, at| {
            let target = store::find_account(conn, &adjustment.account_id)?
                .ok_or(DomainError::NotFound { what: "账户" })?;
            if matches!(
                target.kind,
                AccountKind::Issuance | AccountKind::Expired | AccountKind::Hold
            ) {
                return Err(DomainError::invalid(
                    "accountId",
                    "系统账户和兑换冻结账户不能直接调整",
                ));
            }
            let issuance = issuance();
            let (debit, credit) = if adjustment.change > 0 {
                (&issuance, &target.id)
            } else {
                (&target.id, &issuance)
            };
            let transfer = store::post(
                conn,
                &NewTransfer {
                    debit,
                    credit,
                    amount,
                    code: TransferCode::Adjust,
                    actor: Some(staff),
                    reason: &reason,
                    cause: None,
                    rule: None,
                    reverses: None,
                    idempotency_key: &scoped,
                    request_hash: &hash,
                    at,
                },
            )?;
            audit::record(
                conn,
                Some(staff),
                "ledger.adjust",
                "account",
                target.id.as_str(),
                &format!("{:+} 分：{reason}", adjustment.change),
                at,
            )?;
            Ok(transfer)
        })
    }

    /// A person's wallet: readable by that person and by staff.
    pub fn wallet(&self, actor: &Actor, user: &UserId) -> DomainResult<Account> {
        self.services.db.read(|conn| {
            let wallet = owned(conn, AccountKind::Wallet, user.as_str())?;
            authorize_read(conn, actor, &wallet)?;
            Ok(wallet)
        })
    }

    /// An organisation's points budget: its members and staff may see it.
    pub fn organisation_budget(
        &self,
        actor: &Actor,
        organisation_id: &OrganisationId,
    ) -> DomainResult<Account> {
        self.services.db.read(|conn| {
            let budget = store::owned_account(conn, AccountKind::Budget, organisation_id.as_str())?
                .ok_or(DomainError::NotFound { what: "账户" })?;
            authorize_read(conn, actor, &budget)?;
            Ok(budget)
        })
    }

    /// Any account the caller may read: their own, their organisation's, or any for staff.
    pub fn account(&self, actor: &Actor, id: &AccountId) -> DomainResult<Account> {
        self.services.db.read(|conn| {
            let account =
                store::find_account(conn, id)?.ok_or(DomainError::NotFound { what: "账户" })?;
            authorize_read(conn, actor, &account)?;
            Ok(account)
        })
    }

    /// An account's transfers, newest first, each with its counterpart.
    pub fn history(
        &self,
        actor: &Actor,
        id: &AccountId,
        filter: &HistoryFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<HistoryEntry>> {
        if let (Some(from), Some(until)) = (filter.from, filter.until)
            && from >= until
        {
            return Err(DomainError::invalid("until", "结束时间须晚于开始时间"));
        }
        let before = page
            .after
            .as_deref()
            .map(|raw| {
                TransferId::parse(raw).ok_or_else(|| DomainError::invalid("after", "游标不正确"))
            })
            .transpose()?;
        self.services.db.read(|conn| {
            let account =
                store::find_account(conn, id)?.ok_or(DomainError::NotFound { what: "账户" })?;
            authorize_read(conn, actor, &account)?;
            let (mut items, total) = store::history(
                conn,
                id,
                filter,
                before.as_ref().map(TransferId::as_str),
                page.limit(),
            )?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// A single transfer: visible to staff and to the owners of either side.
    pub fn transfer(&self, actor: &Actor, id: &TransferId) -> DomainResult<Transfer> {
        self.services.db.read(|conn| {
            let transfer =
                store::find_transfer(conn, id)?.ok_or(DomainError::NotFound { what: "流水" })?;
            if actor.is_staff() {
                return Ok(transfer);
            }
            for side in [&transfer.debit_account_id, &transfer.credit_account_id] {
                if let Some(account) = store::find_account(conn, side)?
                    && authorize_read(conn, actor, &account).is_ok()
                {
                    return Ok(transfer.clone());
                }
            }
            Err(DomainError::NotFound { what: "流水" })
        })
    }

    /// The district's totals, for staff.
    pub fn system_totals(&self, actor: &Actor) -> DomainResult<SystemTotals> {
        actor.require_staff()?;
        self.services.db.read(|conn| {
            let issued = -store::kind_total(conn, AccountKind::Issuance)?;
            let held = store::kind_total(conn, AccountKind::Hold)?;
            let redeemed = store::kind_total(conn, AccountKind::Merchant)?;
            let expired = store::kind_total(conn, AccountKind::Expired)?;
            Ok(SystemTotals {
                issued,
                outstanding: issued - held - redeemed - expired,
                held,
                redeemed,
                expired,
            })
        })
    }

    /// Checks every invariant; used by `linli ledger verify` and after every test scenario.
    pub fn verify(&self) -> DomainResult<VerifyReport> {
        self.services.db.read(store::verify)
    }

    /// Runs `post` unless a transfer already exists under `scoped_key`, in which case that
    /// transfer is the answer (same request) or the request is refused (different request).
    fn post_once(
        &self,
        scoped_key: &str,
        hash: &str,
        mut post: impl FnMut(&mut DbConnection, chrono::NaiveDateTime) -> DomainResult<Transfer>,
    ) -> DomainResult<Transfer> {
        let mut attempt = || {
            let at = self.services.clock.now();
            self.services.db.write(|conn| {
                if let Some((existing, stored_hash)) = store::find_by_key(conn, scoped_key)? {
                    return if stored_hash == hash {
                        Ok(existing)
                    } else {
                        Err(DomainError::IdempotencyKeyReused)
                    };
                }
                post(conn, at)
            })
        };
        match attempt() {
            Err(err) if store::is_duplicate_key(&err) => attempt(),
            other => other,
        }
    }
}

fn issuance() -> AccountId {
    AccountId::from_db(store::ISSUANCE_ACCOUNT.to_owned())
}

fn owned(conn: &mut DbConnection, kind: AccountKind, owner: &str) -> DomainResult<Account> {
    store::owned_account(conn, kind, owner)?.ok_or_else(|| {
        DomainError::internal(format!("{} account of {owner} missing", kind.as_str()))
    })
}

/// Who may read an account: staff always; a person their own wallet and hold; members their
/// organisation's budget. Everyone else is refused.
fn authorize_read(conn: &mut DbConnection, actor: &Actor, account: &Account) -> DomainResult<()> {
    let user: &UserId = actor.user_id()?;
    if matches!(actor, Actor::User { role, .. } if *role != Role::Resident) {
        return Ok(());
    }
    let owner = account.owner_id.as_deref();
    let allowed = match account.kind {
        AccountKind::Wallet | AccountKind::Hold => owner == Some(user.as_str()),
        AccountKind::Budget => match owner.and_then(OrganisationId::parse) {
            Some(organisation) => {
                directory::store::member_role(conn, &organisation, user)?.is_some()
            }
            None => false,
        },
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}
