//! Ledger use cases. Each checks who may act, then posts in one write transaction.
//!
//! Idempotency: a request's key is stored with the transfer it produced (scoped to the caller)
//! with a fingerprint of the request. A replay returns that transfer and moves nothing; a
//! different request under the same key is refused. When two identical requests race, the
//! database's unique index lets one insert win; the loser runs again and finds it.

use super::lots;
use super::model::{
    Account, AccountKind, ApprovalKind, ApprovalRequest, ApprovalStatus, Cause, HistoryEntry,
    HistoryFilter, Movement, SystemTotals, Transfer, TransferCode, VerifyReport,
};
use super::model::{Lot, PointsExpiry};
use super::store::{self, NewTransfer, TransferKey};
use crate::Services;
use crate::audit;
use crate::db::DbConnection;
use crate::directory;
use crate::directory::OrganisationStatus;
use crate::error::{DomainError, DomainResult};
use crate::identity::{Actor, Role};
use crate::page::{Page, PageRequest};
use crate::sheet::{Cell, Sheet, china_cell};
use crate::types::{
    AccountId, ApprovalRequestId, IdempotencyKey, OrganisationId, Points, TransferId, UserId, text,
};

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

    /// Staff move points from issuance into a verified organisation's budget; above the
    /// allocation dual-control amount the allocation waits for a second staff member.
    #[tracing::instrument(skip_all, fields(organisation = %organisation_id, key = key.as_str()))]
    pub fn allocate_budget(
        &self,
        actor: &Actor,
        organisation_id: &OrganisationId,
        amount: i64,
        reason: &str,
        key: &IdempotencyKey,
    ) -> DomainResult<Movement> {
        let amount = Points::positive(amount, "amount")?;
        self.staff_move(
            actor,
            &StaffMovement::Allocate {
                organisation: organisation_id.clone(),
                amount,
            },
            reason,
            key,
        )
    }

    /// A resident gives points from their wallet to another person's wallet. The recipient is
    /// looked up only once the wallet covers the gift, and lookups that find nobody are
    /// throttled per donor: the answer cannot be used to walk the phone-number space.
    #[tracing::instrument(skip_all, fields(key = key.as_str()))]
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
        let scoped = store::scoped_key(donor.as_str(), key.as_str());
        let hash = store::request_hash(&["DONATE", &recipient.0, &amount.to_string(), &reason]);
        let now = self.services.clock.now();
        let replay = self
            .services
            .db
            .read(|conn| store::find_by_key(conn, &scoped))?;
        if replay.is_none() {
            let covered = self.services.db.read(|conn| {
                Ok(owned(conn, AccountKind::Wallet, donor.as_str())?.balance >= amount.value())
            })?;
            if !covered {
                return Err(DomainError::InsufficientPoints);
            }
        }
        let to = match replay {
            Some(_) => None,
            None => Some(
                self.services
                    .identity()
                    .find_contact(donor, &recipient.0, now)?
                    .ok_or(DomainError::RecipientNotFound)?,
            ),
        };
        self.post_once(&scoped, &hash, |conn, at, key| {
            let Some(to) = &to else {
                return Err(DomainError::internal(
                    "replayed donation without its transfer",
                ));
            };
            if &to.id == donor {
                return Err(DomainError::SameAccount);
            }
            crate::identity::store::require_active(conn, donor)?;
            let from = owned(conn, AccountKind::Wallet, donor.as_str())?;
            let into = owned(conn, AccountKind::Wallet, to.id.as_str())?;
            let reason = if reason.is_empty() {
                "积分转赠"
            } else {
                &reason
            };
            let donation =
                NewTransfer::new(TransferCode::Donate, &from.id, &into.id, amount, reason, at);
            store::post(conn, &donation.by(donor), key)
        })
    }

    /// A resident gives points from their wallet to a self-governance group's fund.
    #[tracing::instrument(skip_all, fields(group = %group, key = key.as_str()))]
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
        self.post_once(&scoped, &hash, |conn, at, key| {
            let found =
                crate::incubation::store::find(conn, group)?.ok_or(DomainError::NotFound {
                    what: "自治组织",
                })?;
            if found.stage == crate::incubation::Stage::Dissolved {
                return Err(DomainError::GroupDissolved);
            }
            crate::identity::store::require_active(conn, donor)?;
            let from = owned(conn, AccountKind::Wallet, donor.as_str())?;
            let fund = owned(conn, AccountKind::GroupFund, group.as_str())?;
            let reason = if reason.is_empty() {
                "捐赠给自治组织基金"
            } else {
                &reason
            };
            let donation =
                NewTransfer::new(TransferCode::Donate, &from.id, &fund.id, amount, reason, at);
            store::post(conn, &donation.by(donor), key)
        })
    }

    /// A group's convenor rewards an active member from the group's fund, with a reason.
    /// Nobody else — including other groups' convenors — can spend the fund.
    #[tracing::instrument(skip_all, fields(group = %group, member = %member, key = key.as_str()))]
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
        self.post_once(&scoped, &hash, |conn, at, key| {
            crate::incubation::service::require_convenor(conn, group, convenor)?;
            if member == convenor {
                return Err(DomainError::SelfDealing("召集人不能从基金奖励自己"));
            }
            let found =
                crate::incubation::store::find(conn, group)?.ok_or(DomainError::NotFound {
                    what: "自治组织",
                })?;
            if found.stage == crate::incubation::Stage::Dissolved {
                return Err(DomainError::GroupDissolved);
            }
            if crate::incubation::store::active_role(conn, group, member)?.is_none() {
                return Err(DomainError::invalid("userId", "只能奖励本组织的正式成员"));
            }
            let fund = owned(conn, AccountKind::GroupFund, group.as_str())?;
            let to = owned(conn, AccountKind::Wallet, member.as_str())?;
            let cause = crate::ledger::Cause {
                kind: "group".to_owned(),
                id: group.to_string(),
            };
            let reward =
                NewTransfer::new(TransferCode::Donate, &fund.id, &to.id, amount, &reason, at);
            store::post(conn, &reward.by(convenor).caused_by(&cause), key)
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
    #[tracing::instrument(skip_all, fields(transfer = %transfer_id, key = key.as_str()))]
    pub fn reverse(
        &self,
        actor: &Actor,
        transfer_id: &TransferId,
        reason: &str,
        key: &IdempotencyKey,
    ) -> DomainResult<Movement> {
        self.staff_move(
            actor,
            &StaffMovement::Reverse {
                transfer: transfer_id.clone(),
            },
            reason,
            key,
        )
    }

    /// Staff correct a balance by a signed amount, with a mandatory reason. Points come from or
    /// return to issuance, so the books still balance.
    #[tracing::instrument(skip_all, fields(account = %adjustment.account_id, key = key.as_str()))]
    pub fn adjust(
        &self,
        actor: &Actor,
        adjustment: &Adjustment,
        key: &IdempotencyKey,
    ) -> DomainResult<Movement> {
        Points::positive(adjustment.change.saturating_abs(), "change")?;
        self.staff_move(
            actor,
            &StaffMovement::Adjust {
                account: adjustment.account_id.clone(),
                change: adjustment.change,
            },
            &adjustment.reason,
            key,
        )
    }

    /// A second staff member approves or declines a waiting movement, once. Approving posts
    /// the transfer in the same transaction, after checking every rule again (balances may
    /// have changed since the request).
    #[tracing::instrument(skip_all, fields(approval_request = %id))]
    pub fn decide_approval(
        &self,
        actor: &Actor,
        id: &ApprovalRequestId,
        approve: bool,
        note: &str,
    ) -> DomainResult<ApprovalRequest> {
        let checker = actor.require_staff()?;
        let note = text(note, "note", 0, 500)?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let request = store::find_approval(conn, id)?.ok_or(DomainError::NotFound {
                what: "审批申请",
            })?;
            if request.status != ApprovalStatus::Pending {
                return Err(DomainError::AlreadyDecided);
            }
            if &request.requested_by == checker {
                return Err(DomainError::SecondApproverRequired);
            }
            let made = if approve {
                let movement = StaffMovement::of(&request)?;
                let plan = plan(conn, &movement)?;
                require_not_own(conn, checker, &plan)?;
                require_not_own(conn, &request.requested_by, &plan)?;
                let key = store::scoped_key("approval", id.as_str());
                let hash = store::request_hash(&["APPROVAL", id.as_str()]);
                let key = TransferKey {
                    scoped: &key,
                    request_hash: &hash,
                };
                let transfer = post_plan(
                    conn,
                    &plan,
                    &request.requested_by,
                    &request.reason,
                    &key,
                    now,
                )?;
                Some(transfer.id)
            } else {
                None
            };
            let status = if approve {
                ApprovalStatus::Approved
            } else {
                ApprovalStatus::Declined
            };
            if !store::decide_approval(conn, id, status, checker, &note, made.as_ref(), now)? {
                return Err(DomainError::AlreadyDecided);
            }
            audit::record(
                conn,
                Some(checker),
                &format!("ledger.approval_{}", status.as_str().to_lowercase()),
                "approval_request",
                id.as_str(),
                &note,
                now,
            )?;
            store::find_approval(conn, id)?.ok_or(DomainError::NotFound {
                what: "审批申请"
            })
        })
    }

    /// Staff: movements waiting for (or decided by) a second staff member, oldest first.
    pub fn approvals(
        &self,
        actor: &Actor,
        status: Option<ApprovalStatus>,
        page: &PageRequest,
    ) -> DomainResult<Page<ApprovalRequest>> {
        actor.require_staff()?;
        self.services.db.read(|conn| {
            let (mut items, total) = store::approvals(conn, status, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    pub fn approval(&self, actor: &Actor, id: &ApprovalRequestId) -> DomainResult<ApprovalRequest> {
        actor.require_staff()?;
        self.services.db.read(|conn| {
            store::find_approval(conn, id)?.ok_or(DomainError::NotFound {
                what: "审批申请"
            })
        })
    }

    /// A person's wallet: readable by that person and by staff.
    pub fn wallet(&self, actor: &Actor, user: &UserId) -> DomainResult<Account> {
        // One statement (the wallet; its owner reads it with no other): no snapshot to hold.
        self.services.db.read_without_snapshot(|conn| {
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

    /// The accounts of `kind` of several owners (organisations' budgets, groups' funds), in
    /// one query, each with whether the caller may read it.
    pub fn owned_accounts(
        &self,
        actor: &Actor,
        kind: AccountKind,
        owners: &[String],
    ) -> DomainResult<std::collections::HashMap<String, DomainResult<Account>>> {
        self.services.db.read(|conn| {
            store::owned_accounts(conn, kind, owners)?
                .into_iter()
                .filter_map(|account| {
                    let owner = account.owner_id.clone()?;
                    let readable = if kind == AccountKind::GroupFund {
                        Ok(())
                    } else {
                        authorize_read(conn, actor, &account)
                    };
                    Some(match readable {
                        Ok(()) => Ok((owner, Ok(account))),
                        Err(e @ (DomainError::Forbidden | DomainError::Unauthenticated)) => {
                            Ok((owner, Err(e)))
                        }
                        Err(e) => Err(e),
                    })
                })
                .collect()
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
        for cursor in [&page.after, &page.before] {
            if cursor
                .as_deref()
                .is_some_and(|raw| TransferId::parse(raw).is_none())
            {
                return Err(DomainError::invalid("after", "游标不正确"));
            }
        }
        self.services.db.read(|conn| {
            let account =
                store::find_account(conn, id)?.ok_or(DomainError::NotFound { what: "账户" })?;
            authorize_read(conn, actor, &account)?;
            let (mut items, total) = store::history(conn, id, filter, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// An account's transfers in a period as a spreadsheet ([`crate::sheet`]), oldest first;
    /// for whoever may read its history. `id_of` writes each transfer's id as the API names
    /// it.
    pub fn history_csv(
        &self,
        actor: &Actor,
        id: &AccountId,
        filter: &HistoryFilter,
        id_of: impl Fn(&str) -> String,
    ) -> DomainResult<Vec<u8>> {
        let rows = crate::insight::EXPORT_ROWS;
        // Newest first, one more than an export holds, to refuse a period that is too long.
        let page = PageRequest {
            first: rows,
            ..PageRequest::default()
        };
        let entries = self.history(actor, id, filter, &page)?;
        if entries.has_next_page {
            return Err(crate::insight::service::too_many_rows());
        }
        let mut sheet = Sheet::new(&[
            "流水编号",
            "时间（北京时间）",
            "类型",
            "变动",
            "对方",
            "说明",
        ])?;
        for entry in entries.items.iter().rev() {
            sheet.row([
                Cell::Text(id_of(entry.transfer.id.as_str())),
                china_cell(entry.transfer.created_at),
                Cell::from(entry.transfer.code.as_str()),
                Cell::Int(entry.change()),
                Cell::from(entry.counterpart.name.as_str()),
                Cell::from(entry.transfer.reason.as_str()),
            ])?;
        }
        sheet.finish()
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

    /// The points in an account by the year they were earned in, oldest first, each with when
    /// it lapses: what a resident's wallet says is about to expire. For whoever may read it.
    pub fn lots(&self, actor: &Actor, id: &AccountId) -> DomainResult<Vec<Lot>> {
        let expiry = self.services.settings.points_expiry;
        self.services.db.read(|conn| {
            let account =
                store::find_account(conn, id)?.ok_or(DomainError::NotFound { what: "账户" })?;
            authorize_read(conn, actor, &account)?;
            Ok(lots::open_lots(conn, id)?
                .into_iter()
                .take(LOTS_LISTED)
                .map(|(earned_year, points)| Lot {
                    earned_year,
                    points,
                    lapses_at: expiry.lapses_at(earned_year),
                })
                .collect())
        })
    }

    /// Expires the points of lapsed lots: each wallet's lot of a lapsed year goes to the
    /// EXPIRED account by one `EXPIRE` transfer. Run by the sweeper on every instance: the
    /// wallet's row lock and a key naming the lot and its history let exactly one of several
    /// concurrent runs post each expiry. At most [`SWEEP_BATCH`] lots a run.
    pub fn expire_due(&self) -> DomainResult<usize> {
        let expiry = self.services.settings.points_expiry;
        let now = self.services.clock.now();
        let Some(through) = expiry.lapsed_through(now) else {
            return Ok(0);
        };
        let due = self
            .services
            .db
            .read(|conn| lots::wallet_lots(conn, None, through, None, SWEEP_BATCH))?;
        let mut expired = 0;
        for lot in due {
            let posted = self.services.db.write(|conn| {
                store::lock_account(conn, &lot.account_id)?;
                let left = lots::remaining(conn, &lot.id)?;
                if left == 0 {
                    return Ok(false);
                }
                let scoped = store::scoped_key(
                    "expiry",
                    &format!("{}:{}", lot.id, lots::entries(conn, &lot.id)?),
                );
                let hash = store::request_hash(&[&lot.id, &left.to_string()]);
                let cause = Cause {
                    kind: lots::LOT_CAUSE.to_owned(),
                    id: lot.id.clone(),
                };
                let reason = format!("{} 年获得的积分已过期", lot.earned_year);
                let rule = expiry_rule(expiry);
                let expired_account = AccountId::fixed(store::EXPIRED_ACCOUNT);
                let transfer = NewTransfer::new(
                    TransferCode::Expire,
                    &lot.account_id,
                    &expired_account,
                    Points::positive(left, "points")?,
                    &reason,
                    now,
                )
                .caused_by(&cause)
                .priced_by(&rule);
                let key = TransferKey {
                    scoped: &scoped,
                    request_hash: &hash,
                };
                match store::post(conn, &transfer, &key) {
                    Ok(_) => Ok(true),
                    Err(e) if store::is_duplicate_key(&e) => Ok(false),
                    Err(e) => Err(e),
                }
            })?;
            expired += usize::from(posted);
        }
        Ok(expired)
    }

    /// Emails residents whose points lapse within 30 days, and again within 7 (each lot once
    /// per reminder, skipping the 30-day one when the 7-day one is already due), respecting
    /// their preferences. At most [`SWEEP_BATCH`] lots a run.
    pub fn remind_expiring(&self) -> DomainResult<usize> {
        let expiry = self.services.settings.points_expiry;
        let now = self.services.clock.now();
        let mut sent = 0;
        // Each reminder covers the lots lapsing within its days but not within the next
        // reminder's (or already lapsed, for the last one).
        for (days_before, sooner) in [(30, 7), (7, 0)] {
            let within = |days| expiry.lapsed_through(now + chrono::TimeDelta::days(days));
            let (Some(through), Some(skip_through)) = (within(days_before), within(sooner)) else {
                return Ok(0);
            };
            let days_before = i32::try_from(days_before).unwrap_or(i32::MAX);
            let due = self.services.db.read(|conn| {
                lots::wallet_lots(
                    conn,
                    Some(skip_through),
                    through,
                    Some(days_before),
                    SWEEP_BATCH,
                )
            })?;
            for lot in due {
                let Some(owner) = lot.owner_id.as_deref().and_then(UserId::parse) else {
                    continue;
                };
                let Some(lapse) = expiry.lapses_at(lot.earned_year) else {
                    continue;
                };
                let reminded = self.services.db.write(|conn| {
                    store::lock_account(conn, &lot.account_id)?;
                    let points = lots::remaining(conn, &lot.id)?;
                    if points == 0 || !lots::remind_once(conn, &lot.id, days_before, now)? {
                        return Ok(false);
                    }
                    let last_day = crate::types::china_time(lapse - chrono::TimeDelta::days(1))
                        .format("%Y-%m-%d")
                        .to_string();
                    let template = crate::outbox::Template::PointsExpiring {
                        points,
                        earned_year: lot.earned_year,
                        last_day,
                        link: format!("{}/wallet", self.services.settings.public_url),
                    };
                    crate::outbox::notify(conn, &owner, &template, now)?;
                    Ok(true)
                })?;
                sent += usize::from(reminded);
            }
        }
        Ok(sent)
    }

    /// The district's totals, for staff.
    pub fn system_totals(&self, actor: &Actor) -> DomainResult<SystemTotals> {
        actor.require_staff()?;
        self.services.db.read(|conn| {
            let issued = -store::kind_total(conn, AccountKind::Issuance)?;
            let held = store::kind_total(conn, AccountKind::Hold)?;
            let settled = store::kind_total(conn, AccountKind::Settled)?;
            let redeemed = store::kind_total(conn, AccountKind::Merchant)? + settled;
            let expired = store::kind_total(conn, AccountKind::Expired)?;
            Ok(SystemTotals {
                issued,
                outstanding: issued - held - redeemed - expired,
                held,
                redeemed,
                settled,
                expired,
            })
        })
    }

    /// Checks every invariant; used by `linli ledger verify` and after every test scenario.
    pub fn verify(&self) -> DomainResult<VerifyReport> {
        let expiry = self.services.settings.points_expiry;
        self.services.db.read(|conn| store::verify(conn, expiry))
    }

    /// Runs `post` once under the scoped key (see [`once`]): the transfer already posted under
    /// it is the answer to the same request sent again. `post` gets the key to post under.
    fn post_once(
        &self,
        scoped: &str,
        request_hash: &str,
        mut post: impl FnMut(
            &mut DbConnection,
            chrono::NaiveDateTime,
            &TransferKey<'_>,
        ) -> DomainResult<Transfer>,
    ) -> DomainResult<Transfer> {
        let key = TransferKey {
            scoped,
            request_hash,
        };
        let replay = |conn: &mut DbConnection| {
            Ok(store::find_by_key(conn, scoped)?
                .map(|(existing, stored_hash)| (existing, stored_hash == request_hash)))
        };
        once(self.services, replay, |conn, at| post(conn, at, &key))
    }
}

/// The one idempotency path of every request that moves points. A request runs once under
/// its scoped key: sent again, it gets back the first outcome `replay` finds, or
/// `IDEMPOTENCY_KEY_REUSED` when `replay` says that outcome answered a different request. Two
/// first runs racing on one key: the key's unique index lets one through, and the other runs
/// again to find its outcome. `run` gets the transaction and the time of the attempt.
pub(crate) fn once<T>(
    services: &Services,
    mut replay: impl FnMut(&mut DbConnection) -> DomainResult<Option<(T, bool)>>,
    mut run: impl FnMut(&mut DbConnection, chrono::NaiveDateTime) -> DomainResult<T>,
) -> DomainResult<T> {
    let mut attempt = || {
        let at = services.clock.now();
        services.db.write(|conn| match replay(conn)? {
            Some((first, true)) => Ok(first),
            Some((_, false)) => Err(DomainError::IdempotencyKeyReused),
            None => run(conn, at),
        })
    };
    match attempt() {
        Err(err) if store::is_duplicate_key(&err) => attempt(),
        other => other,
    }
}

/// [`once`] for a use case whose first write claims its key (a row under the key's unique
/// index, written before any check whose answer a replay could change): the first attempt
/// runs without looking the key up, and only a claim that collides looks for the first
/// outcome. Replays are rare and first runs are not, so this saves the look-up where it counts.
pub(crate) fn once_claimed<T>(
    services: &Services,
    replay: impl FnMut(&mut DbConnection) -> DomainResult<Option<(T, bool)>>,
    mut run: impl FnMut(&mut DbConnection, chrono::NaiveDateTime) -> DomainResult<T>,
) -> DomainResult<T> {
    let at = services.clock.now();
    match services.db.write(|conn| run(conn, at)) {
        Err(err) if store::is_duplicate_key(&err) => once(services, replay, run),
        other => other,
    }
}

impl Ledger<'_> {
    /// The one path of every staff movement of points: replay under the same key, separation
    /// of duties, then post at once or — above the dual-control amount — file a request for a
    /// second staff member. All in one write transaction.
    fn staff_move(
        &self,
        actor: &Actor,
        movement: &StaffMovement,
        reason: &str,
        key: &IdempotencyKey,
    ) -> DomainResult<Movement> {
        let staff = actor.require_staff()?;
        let reason = text(reason, "reason", 2, 200)?;
        let scoped = store::scoped_key(staff.as_str(), key.as_str());
        let hash = movement.request_hash(&reason);
        let settings = &self.services.settings;
        let threshold = match movement {
            StaffMovement::Allocate { .. } => settings.dual_control_allocation_points,
            _ => settings.dual_control_points,
        };
        let replay = |conn: &mut DbConnection| {
            if let Some((posted, stored_hash)) = store::find_by_key(conn, &scoped)? {
                return Ok(Some((Movement::Posted(posted), stored_hash == hash)));
            }
            Ok(
                store::approval_by_key(conn, &scoped)?.map(|(request, stored_hash)| {
                    (Movement::AwaitingApproval(request), stored_hash == hash)
                }),
            )
        };
        let moved = once(self.services, replay, |conn, at| {
            let key = TransferKey {
                scoped: &scoped,
                request_hash: &hash,
            };
            move_points(conn, threshold, staff, movement, &reason, &key, at)
        });
        match moved {
            // Two staff reversing at once under different keys: the unique index on
            // `reverses_id` lets one through; the other is told it is already done.
            Err(DomainError::Database(e)) if crate::db::is_unique_violation(&e, "reverses_id") => {
                Err(DomainError::AlreadyReversed)
            }
            other => other,
        }
    }
}

/// A staff movement, checked and posted — or filed for a second staff member above the
/// dual-control `threshold` — inside the caller's transaction.
fn move_points(
    conn: &mut DbConnection,
    threshold: i64,
    staff: &UserId,
    movement: &StaffMovement,
    reason: &str,
    key: &TransferKey<'_>,
    at: chrono::NaiveDateTime,
) -> DomainResult<Movement> {
    let plan = plan(conn, movement)?;
    require_not_own(conn, staff, &plan)?;
    if plan.amount.value() > threshold {
        let request = ApprovalRequest {
            id: ApprovalRequestId::generate(),
            kind: movement.kind(),
            requested_by: staff.clone(),
            account_id: match movement {
                StaffMovement::Adjust { account, .. } => Some(account.clone()),
                _ => None,
            },
            transfer_id: match movement {
                StaffMovement::Reverse { transfer } => Some(transfer.clone()),
                _ => None,
            },
            organisation_id: match movement {
                StaffMovement::Allocate { organisation, .. } => Some(organisation.clone()),
                _ => None,
            },
            change: movement.signed_change(plan.amount),
            reason: reason.to_owned(),
            status: ApprovalStatus::Pending,
            decided_by: None,
            decided_at: None,
            decision_note: None,
            transfer_made_id: None,
            created_at: at,
        };
        store::insert_approval(
            conn,
            &store::NewApproval {
                request: &request,
                idempotency_key: key.scoped,
                request_hash: key.request_hash,
            },
        )?;
        audit::record(
            conn,
            Some(staff),
            "ledger.approval_requested",
            "approval_request",
            request.id.as_str(),
            &format!("{}：{} 分：{reason}", plan.audit.detail, plan.amount),
            at,
        )?;
        return Ok(Movement::AwaitingApproval(request));
    }
    post_plan(conn, &plan, staff, reason, key, at).map(Movement::Posted)
}

/// Staff acting on a review case reverse one of its transfers, by the rules of every staff
/// reversal, in the case's own transaction.
pub(crate) fn reverse_for_review(
    conn: &mut DbConnection,
    settings: &crate::Settings,
    staff: &UserId,
    transfer: &TransferId,
    case: &crate::types::ReviewCaseId,
    reason: &str,
    at: chrono::NaiveDateTime,
) -> DomainResult<Movement> {
    let reason: String = format!("异常复核处理：{reason}")
        .chars()
        .take(200)
        .collect();
    let movement = StaffMovement::Reverse {
        transfer: transfer.clone(),
    };
    let scoped = store::scoped_key(staff.as_str(), &format!("review:{case}:{transfer}"));
    let hash = movement.request_hash(&reason);
    let key = TransferKey {
        scoped: &scoped,
        request_hash: &hash,
    };
    move_points(
        conn,
        settings.dual_control_points,
        staff,
        &movement,
        &reason,
        &key,
        at,
    )
}

/// What a staff member asks to do with points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffMovement {
    Allocate {
        organisation: OrganisationId,
        amount: Points,
    },
    Reverse {
        transfer: TransferId,
    },
    Adjust {
        account: AccountId,
        change: i64,
    },
}

impl StaffMovement {
    fn kind(&self) -> ApprovalKind {
        match self {
            Self::Allocate { .. } => ApprovalKind::AllocateBudget,
            Self::Reverse { .. } => ApprovalKind::Reverse,
            Self::Adjust { .. } => ApprovalKind::Adjust,
        }
    }

    fn request_hash(&self, reason: &str) -> String {
        match self {
            Self::Allocate {
                organisation,
                amount,
            } => store::request_hash(&[
                "ALLOCATE_BUDGET",
                organisation.as_str(),
                &amount.to_string(),
                reason,
            ]),
            Self::Reverse { transfer } => {
                store::request_hash(&["REVERSE", transfer.as_str(), reason])
            }
            Self::Adjust { account, change } => {
                store::request_hash(&["ADJUST", account.as_str(), &change.to_string(), reason])
            }
        }
    }

    fn signed_change(&self, amount: Points) -> i64 {
        match self {
            Self::Adjust { change, .. } => *change,
            _ => amount.value(),
        }
    }

    /// The movement a stored request asks for.
    fn of(request: &ApprovalRequest) -> DomainResult<Self> {
        let missing = || DomainError::internal(format!("approval {} incomplete", request.id));
        Ok(match request.kind {
            ApprovalKind::AllocateBudget => Self::Allocate {
                organisation: request.organisation_id.clone().ok_or_else(missing)?,
                amount: Points::positive(request.change, "change")?,
            },
            ApprovalKind::Reverse => Self::Reverse {
                transfer: request.transfer_id.clone().ok_or_else(missing)?,
            },
            ApprovalKind::Adjust => Self::Adjust {
                account: request.account_id.clone().ok_or_else(missing)?,
                change: request.change,
            },
        })
    }
}

/// A movement resolved against the books: which accounts, how much, and what to record.
struct Plan {
    debit: AccountId,
    credit: AccountId,
    amount: Points,
    code: TransferCode,
    cause: Option<Cause>,
    reverses: Option<TransferId>,
    audit: PlanAudit,
}

struct PlanAudit {
    action: &'static str,
    subject_kind: &'static str,
    subject_id: String,
    detail: String,
}

/// Checks the movement's rules now and works out its transfer.
fn plan(conn: &mut DbConnection, movement: &StaffMovement) -> DomainResult<Plan> {
    match movement {
        StaffMovement::Allocate {
            organisation,
            amount,
        } => {
            let found = directory::store::find_organisation(conn, organisation)?
                .ok_or(DomainError::NotFound { what: "组织" })?;
            if found.status != OrganisationStatus::Verified {
                return Err(DomainError::invalid(
                    "organisationId",
                    "只能向已认证的组织拨付积分预算",
                ));
            }
            let budget = owned(conn, AccountKind::Budget, organisation.as_str())?;
            Ok(Plan {
                debit: issuance(),
                credit: budget.id,
                amount: *amount,
                code: TransferCode::AllocateBudget,
                cause: None,
                reverses: None,
                audit: PlanAudit {
                    action: "ledger.allocate_budget",
                    subject_kind: "organisation",
                    subject_id: organisation.to_string(),
                    detail: format!("拨付「{}」积分预算", found.name),
                },
            })
        }
        StaffMovement::Reverse { transfer } => {
            let original = store::find_transfer(conn, transfer)?
                .ok_or(DomainError::NotFound { what: "流水" })?;
            if !original.code.is_reversible() {
                return Err(DomainError::NotReversible);
            }
            if store::reversal_of(conn, transfer)?.is_some() {
                return Err(DomainError::AlreadyReversed);
            }
            Ok(Plan {
                debit: original.credit_account_id.clone(),
                credit: original.debit_account_id.clone(),
                amount: Points::from_db(original.amount),
                code: TransferCode::Reverse,
                cause: original.cause.clone(),
                reverses: Some(transfer.clone()),
                audit: PlanAudit {
                    action: "ledger.reverse",
                    subject_kind: "transfer",
                    subject_id: transfer.to_string(),
                    detail: "冲正流水".to_owned(),
                },
            })
        }
        StaffMovement::Adjust { account, change } => {
            let target = store::find_account(conn, account)?
                .ok_or(DomainError::NotFound { what: "账户" })?;
            if matches!(
                target.kind,
                AccountKind::Issuance
                    | AccountKind::Expired
                    | AccountKind::Settled
                    | AccountKind::Hold
            ) {
                return Err(DomainError::invalid(
                    "accountId",
                    "系统账户和兑换冻结账户不能直接调整",
                ));
            }
            let (debit, credit) = if *change > 0 {
                (issuance(), target.id.clone())
            } else {
                (target.id.clone(), issuance())
            };
            Ok(Plan {
                debit,
                credit,
                amount: Points::positive(change.saturating_abs(), "change")?,
                code: TransferCode::Adjust,
                cause: None,
                reverses: None,
                audit: PlanAudit {
                    action: "ledger.adjust",
                    subject_kind: "account",
                    subject_id: target.id.to_string(),
                    detail: format!("调整 {change:+} 分"),
                },
            })
        }
    }
}

/// Posts a planned movement with its audit record.
fn post_plan(
    conn: &mut DbConnection,
    plan: &Plan,
    actor: &UserId,
    reason: &str,
    key: &TransferKey<'_>,
    at: chrono::NaiveDateTime,
) -> DomainResult<Transfer> {
    let movement = NewTransfer::new(
        plan.code,
        &plan.debit,
        &plan.credit,
        plan.amount,
        reason,
        at,
    )
    .by(actor)
    .caused_by(plan.cause.as_ref())
    .reversing(plan.reverses.as_ref());
    let transfer = store::post(conn, &movement, key)?;
    // Points and hours are one fact: reversing what a participation earned reverses its hours.
    if plan.reverses.is_some()
        && let Some(cause) = &plan.cause
        && cause.kind == crate::volunteering::PARTICIPATION_CAUSE
        && let Some(participation) = crate::types::ParticipationId::parse(&cause.id)
    {
        crate::certificate::revoke_service(conn, &participation, at)?;
    }
    audit::record(
        conn,
        Some(actor),
        plan.audit.action,
        plan.audit.subject_kind,
        &plan.audit.subject_id,
        &format!("{}：{} 分：{reason}", plan.audit.detail, plan.amount),
        at,
    )?;
    Ok(transfer)
}

/// Separation of duties: no staff member moves points into or out of an account that is theirs
/// — their own wallet, or the budget, till or fund of an organisation, merchant or group they
/// belong to.
fn require_not_own(conn: &mut DbConnection, staff: &UserId, plan: &Plan) -> DomainResult<()> {
    for side in [&plan.debit, &plan.credit] {
        if let Some(account) = store::find_account(conn, side)?
            && owns(conn, staff, &account)?
        {
            return Err(DomainError::SelfDealing(
                "工作人员不能调整、冲正或拨付自己所属的账户",
            ));
        }
    }
    Ok(())
}

/// Whether `user` owns or belongs to the owner of `account`.
pub(crate) fn owns(
    conn: &mut DbConnection,
    user: &UserId,
    account: &Account,
) -> DomainResult<bool> {
    let Some(owner) = account.owner_id.as_deref() else {
        return Ok(false);
    };
    Ok(match account.kind {
        AccountKind::Wallet | AccountKind::Hold => owner == user.as_str(),
        AccountKind::Budget => match OrganisationId::parse(owner) {
            Some(organisation) => {
                directory::store::member_role(conn, &organisation, user)?.is_some()
            }
            None => false,
        },
        AccountKind::Merchant => match crate::types::MerchantId::parse(owner) {
            Some(merchant) => match crate::rewards::store::find_merchant(conn, &merchant)? {
                Some(m) => directory::store::member_role(conn, &m.organisation_id, user)?.is_some(),
                None => false,
            },
            None => false,
        },
        AccountKind::GroupFund => match crate::types::GroupId::parse(owner) {
            Some(group) => crate::incubation::store::active_role(conn, &group, user)?.is_some(),
            None => false,
        },
        AccountKind::Issuance | AccountKind::Expired | AccountKind::Settled => false,
    })
}

/// An account's lots listed at most (oldest first): one per year of earning, so only a wallet
/// kept for decades under a policy that never expires points has more.
pub const LOTS_LISTED: usize = 20;

/// Lots a sweeper run takes at most; the next run (seconds later) takes the rest.
const SWEEP_BATCH: i64 = 500;

/// The policy as the history shows it beside an expiry.
fn expiry_rule(expiry: PointsExpiry) -> String {
    match expiry {
        PointsExpiry::Never => "积分不过期".to_owned(),
        PointsExpiry::EndOfYear { years_after } => {
            format!("积分于获得当年之后第 {years_after} 年年底过期")
        }
    }
}

fn issuance() -> AccountId {
    AccountId::fixed(store::ISSUANCE_ACCOUNT)
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
        // A merchant's till: its operators are the members of the organisation running it.
        AccountKind::Merchant => match owner.and_then(crate::types::MerchantId::parse) {
            Some(merchant) => match crate::rewards::store::find_merchant(conn, &merchant)? {
                Some(m) => directory::store::member_role(conn, &m.organisation_id, user)?.is_some(),
                None => false,
            },
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
