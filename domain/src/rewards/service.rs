//! Rewards use cases. Every redemption step locks the resident's wallet row first, so all steps
//! for one resident run one after another (the per-resident limit is then race-free) and no two
//! steps can wait on each other in a cycle.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use super::model::{
    DistrictOverview, HOLD_TTL, Merchant, MerchantDecision, MerchantFilter, MerchantStatus,
    NewMerchant, NewReward, Redemption, RedemptionStatus, Reward, RewardFilter, RewardStatus,
    RewardView, Statement, counter_code, month_bounds, new_code,
};
use super::store::{self, NewRedemption};
use crate::Services;
use crate::audit;
use crate::creation::{Keyed, Subject, create_once};
use crate::db::DbConnection;
use crate::directory::{self, MemberRole, OrganisationStatus};
use crate::error::{DomainError, DomainResult};
use crate::identity::Actor;
use crate::ledger::store::NewTransfer;
use crate::ledger::{self, AccountKind, TransferCode};
use crate::page::{Page, PageRequest};
use crate::throttle;
use crate::types::{
    IdempotencyKey, MerchantId, Points, RedemptionId, RewardId, UserId, add_points,
    china_day_start, china_time, sum_points, text,
};

pub struct Rewards<'a> {
    services: &'a Services,
}

impl<'a> Rewards<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// An owner of a verified organisation applies to join the alliance; staff admit it.
    #[tracing::instrument(skip_all, fields(organisation = %input.organisation_id))]
    pub fn apply(&self, actor: &Actor, input: NewMerchant) -> DomainResult<Merchant> {
        let user = actor.user_id()?;
        let merchant = Merchant {
            id: MerchantId::generate(),
            organisation_id: input.organisation_id.clone(),
            shop_name: text(&input.shop_name, "shopName", 2, 60)?,
            community_id: input.community_id.clone(),
            address: text(&input.address, "address", 2, 200)?,
            category_id: text(&input.category_id, "categoryId", 1, 40)?,
            opening_hours: text(&input.opening_hours, "openingHours", 2, 100)?,
            status: MerchantStatus::Pending,
            created_at: self.services.clock.now(),
            status_reason: None,
        };
        self.services.db.write(|conn| {
            let organisation =
                directory::store::find_organisation(conn, &merchant.organisation_id)?
                    .ok_or(DomainError::NotFound { what: "组织" })?;
            if directory::store::member_role(conn, &organisation.id, user)?
                != Some(MemberRole::Owner)
            {
                return Err(DomainError::Forbidden);
            }
            if organisation.status != OrganisationStatus::Verified {
                return Err(DomainError::OrganisationNotVerified);
            }
            if !crate::catalogue::category_exists(conn, &merchant.category_id)? {
                return Err(DomainError::invalid("categoryId", "分类不存在"));
            }
            store::insert_merchant(conn, &merchant)?;
            ledger::store::open_owned_account(
                conn,
                AccountKind::Merchant,
                merchant.id.as_str(),
                merchant.created_at,
            )?;
            Ok(merchant.clone())
        })
    }

    /// Staff decide about a merchant: admit or turn down its application, suspend it or
    /// restore it. Every decision but admitting carries a reason the shop is shown.
    #[tracing::instrument(skip_all, fields(merchant = %id, decision = ?decision))]
    pub fn decide_merchant(
        &self,
        actor: &Actor,
        id: &MerchantId,
        decision: MerchantDecision,
        reason: Option<&str>,
    ) -> DomainResult<Merchant> {
        let staff = actor.require_staff()?;
        let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(reason) => Some(text(reason, "reason", 2, 500)?),
            None if decision.needs_reason() => {
                return Err(DomainError::invalid("reason", "请填写理由，商家会看到"));
            }
            None => None,
        };
        let (from, to) = decision.step();
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let merchant = find_merchant(conn, id)?;
            if !store::change_merchant_status(conn, id, from, to, reason.as_deref())? {
                return Err(DomainError::not_moved(
                    &merchant.status,
                    &[from],
                    "商家当前状态不允许此操作",
                ));
            }
            audit::record(
                conn,
                Some(staff),
                decision.audit_action(),
                "merchant",
                id.as_str(),
                reason.as_deref().unwrap_or(""),
                now,
            )?;
            find_merchant(conn, id)
        })
    }

    /// Staff search the alliance's merchants; pending applications come oldest first (the
    /// queue), every other listing newest first.
    pub fn merchants(
        &self,
        actor: &Actor,
        filter: &MerchantFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<Merchant>> {
        actor.require_staff()?;
        let pattern = crate::types::contains_pattern(filter.text.as_deref())?;
        self.services.db.read(|conn| {
            let (mut items, total) = store::merchants(conn, pattern.as_deref(), filter, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    pub fn merchant(&self, id: &MerchantId) -> DomainResult<Merchant> {
        self.services.db.read(|conn| find_merchant(conn, id))
    }

    /// The alliance membership of an organisation, if it has one.
    pub fn merchant_of(
        &self,
        organisation: &crate::types::OrganisationId,
    ) -> DomainResult<Option<Merchant>> {
        self.services
            .db
            .read(|conn| store::merchant_of_organisation(conn, organisation))
    }

    /// The alliance memberships of several organisations, in one query.
    pub fn merchants_of(
        &self,
        organisations: &[crate::types::OrganisationId],
    ) -> DomainResult<std::collections::HashMap<crate::types::OrganisationId, Merchant>> {
        self.services.db.read(|conn| {
            Ok(store::merchants_of_organisations(conn, organisations)?
                .into_iter()
                .map(|m| (m.organisation_id.clone(), m))
                .collect())
        })
    }

    /// An operator (a member of the merchant's organisation) offers a reward; with a `key`,
    /// once per key.
    #[tracing::instrument(skip_all, fields(merchant = %input.merchant_id))]
    pub fn create_reward(
        &self,
        actor: &Actor,
        input: NewReward,
        key: Option<&IdempotencyKey>,
    ) -> DomainResult<RewardView> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        if !(1..=1_000_000).contains(&input.points_price) {
            return Err(DomainError::invalid(
                "pointsPrice",
                "积分价格须在 1 到 1000000 之间",
            ));
        }
        if input.stock.is_some_and(|s| !(0..=1_000_000).contains(&s)) {
            return Err(DomainError::invalid("stock", "库存须在 0 到 1000000 之间"));
        }
        let period_days = input.period_days.unwrap_or(30);
        if input.limit_per_period.is_some_and(|l| l < 1) || !(1..=366).contains(&period_days) {
            return Err(DomainError::invalid(
                "limitPerPeriod",
                "兑换限制须为正数，周期为 1 到 366 天",
            ));
        }
        let valid_from = input.valid_from.unwrap_or(now);
        if input.valid_until.is_some_and(|until| until <= valid_from) {
            return Err(DomainError::invalid("validUntil", "截止时间须晚于开始时间"));
        }
        let reward = Reward {
            id: RewardId::generate(),
            merchant_id: input.merchant_id.clone(),
            title: text(&input.title, "title", 2, 60)?,
            description: text(&input.description, "description", 0, 2000)?,
            points_price: input.points_price,
            stock: input.stock,
            limit_per_period: input.limit_per_period,
            period_days,
            valid_from,
            valid_until: input.valid_until,
            status: RewardStatus::Active,
            created_at: now,
        };
        let keyed = key.map(|key| Keyed {
            creator: user,
            key,
            request: format!("{input:?}"),
        });
        let find = |conn: &mut DbConnection, id: &str| {
            let id = RewardId::parse(id).ok_or_else(|| {
                DomainError::internal("a creation names a reward id that is not one")
            })?;
            let (reward, merchant) = find_reward_with_merchant(conn, &id)?;
            Ok(RewardView { reward, merchant })
        };
        create_once(self.services, Subject::Reward, keyed, find, |conn, _| {
            let merchant = require_operator(conn, &reward.merchant_id, user)?;
            if merchant.status != MerchantStatus::Active {
                return Err(DomainError::InvalidState("商家尚未加入或已被暂停"));
            }
            store::insert_reward(conn, &reward)?;
            let view = RewardView {
                reward: reward.clone(),
                merchant,
            };
            Ok((reward.id.to_string(), view))
        })
    }

    /// Operators pause, resume or retire a reward (retired is final).
    #[tracing::instrument(skip_all, fields(reward = %id))]
    pub fn set_reward_status(
        &self,
        actor: &Actor,
        id: &RewardId,
        to: RewardStatus,
    ) -> DomainResult<RewardView> {
        let user = actor.user_id()?;
        self.services.db.write(|conn| {
            let reward = find_reward(conn, id)?;
            let merchant = require_operator(conn, &reward.merchant_id, user)?;
            if !store::set_reward_status(conn, id, to)? {
                return Err(DomainError::not_moved(
                    &reward.status,
                    &[RewardStatus::Active, RewardStatus::Paused],
                    "已下架的奖励不能再改变状态",
                ));
            }
            Ok(RewardView {
                reward: find_reward(conn, id)?,
                merchant,
            })
        })
    }

    /// Rewards residents can redeem now, newest first, each with its merchant.
    pub fn rewards(
        &self,
        filter: &RewardFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<RewardView>> {
        let now = self.services.clock.now();
        self.services.db.read(|conn| {
            let (rewards, total) = store::browse(conn, filter, now, page)?;
            let mut items = views(conn, rewards)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    pub fn reward(&self, id: &RewardId) -> DomainResult<RewardView> {
        self.services.db.read(|conn| {
            let reward = find_reward(conn, id)?;
            views(conn, vec![reward])?
                .pop()
                .ok_or(DomainError::NotFound { what: "奖励" })
        })
    }

    /// Rewards by id, each with its merchant, in two queries (a page of redemptions showing
    /// what each was for).
    pub fn rewards_by_id(
        &self,
        ids: &[RewardId],
    ) -> DomainResult<std::collections::HashMap<RewardId, RewardView>> {
        self.services.db.read(|conn| {
            let found = store::rewards_by_ids(conn, ids)?;
            Ok(views(conn, found)?
                .into_iter()
                .map(|v| (v.reward.id.clone(), v))
                .collect())
        })
    }

    /// Merchants by id, in one query.
    pub fn merchants_by_id(
        &self,
        ids: &[MerchantId],
    ) -> DomainResult<std::collections::HashMap<MerchantId, Merchant>> {
        let raw: Vec<String> = ids.iter().map(ToString::to_string).collect();
        self.services.db.read(|conn| {
            Ok(store::merchants_by_ids(conn, &raw)?
                .into_iter()
                .map(|m| (m.id.clone(), m))
                .collect())
        })
    }

    /// Phase one: hold the points, take the stock, issue a counter code. Idempotent per key.
    #[tracing::instrument(skip_all, fields(reward = %reward_id, key = key.as_str()))]
    pub fn redeem(
        &self,
        actor: &Actor,
        reward_id: &RewardId,
        key: &IdempotencyKey,
    ) -> DomainResult<Redemption> {
        let user = actor.user_id()?;
        let scoped = ledger::store::scoped_key(user.as_str(), key.as_str());
        let replay = |conn: &mut DbConnection| {
            Ok(store::by_key(conn, &scoped)?.map(|first| {
                let same_request = &first.reward_id == reward_id && &first.user_id == user;
                (first, same_request)
            }))
        };
        ledger::service::once_claimed(self.services, replay, |conn, now| {
            let id = RedemptionId::generate();
            let code = new_code();
            let (reward, merchant) = find_reward_with_merchant(conn, reward_id)?;
            // The key is claimed first: a request sent again collides here and gets its first
            // answer, whatever has changed since (the reward paused, the limit now reached).
            let redemption = store::insert_redemption(
                conn,
                &NewRedemption {
                    id: &id,
                    reward: &reward,
                    user,
                    code: &code,
                    idempotency_key: &scoped,
                    expires_at: now + HOLD_TTL,
                    at: now,
                },
            )?;
            let (wallet, hold) = ledger::store::personal_accounts(conn, user)?;
            ledger::store::lock_account(conn, &wallet)?;
            crate::identity::store::require_active(conn, user)?;
            if !reward.available_at(now) || merchant.status != MerchantStatus::Active {
                return Err(DomainError::RewardUnavailable);
            }
            if directory::store::member_role(conn, &merchant.organisation_id, user)?.is_some() {
                return Err(DomainError::SelfDealing("不能在自己所在的商家兑换积分"));
            }
            if let Some(limit) = reward.limit_per_period {
                let since = now - TimeDelta::days(i64::from(reward.period_days));
                // The count includes the redemption just written.
                if store::count_recent(conn, reward_id, user, since)? > i64::from(limit) {
                    return Err(DomainError::RedemptionLimitReached);
                }
            }
            if reward.stock.is_some() && !store::take_stock(conn, reward_id)? {
                return Err(DomainError::OutOfStock);
            }
            let price = Points::positive(reward.points_price, "points")?;
            let held = NewTransfer::new(
                TransferCode::RedeemHold,
                &wallet,
                &hold,
                price,
                "积分兑换冻结",
                now,
            );
            ledger::store::post_step(conn, "redemption", id.as_str(), "hold", held.by(user))?;
            let expires = china_time(now + HOLD_TTL)
                .format("%m月%d日 %H:%M")
                .to_string();
            crate::outbox::notify(
                conn,
                user,
                &crate::outbox::Template::RedemptionIssued {
                    reward: reward.title.clone(),
                    code: code.clone(),
                    expires,
                },
                now,
            )?;
            Ok(redemption)
        })
    }

    /// Phase two: the merchant's operator confirms the code shown at the counter; the held
    /// points go to the merchant. Wrong codes are throttled per operator.
    #[tracing::instrument(skip_all, fields(merchant = %merchant_id))]
    pub fn confirm(
        &self,
        actor: &Actor,
        merchant_id: &MerchantId,
        code: &str,
    ) -> DomainResult<Redemption> {
        let operator = actor.user_id()?;
        let code = counter_code(code);
        let throttle_key = format!("redemption-code:{operator}");
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            throttle::check(conn, &throttle_key, now)?;
            let merchant = require_operator(conn, merchant_id, operator)?;
            let Some(found) =
                store::by_code(conn, &code)?.filter(|r| &r.merchant_id == merchant_id)
            else {
                // Committed on purpose: the failure must count although the request fails.
                throttle::count(conn, &throttle_key, throttle::REDEMPTION_CODE, now)?;
                return Ok(Err(DomainError::InvalidRedemptionCode));
            };
            if merchant.status != MerchantStatus::Active {
                return Ok(Err(DomainError::MerchantSuspended));
            }
            if &found.user_id == operator
                || directory::store::member_role(conn, &merchant.organisation_id, &found.user_id)?
                    .is_some()
            {
                return Ok(Err(DomainError::SelfDealing(
                    "不能为自己或本店成员的兑换确认核销",
                )));
            }
            let (wallet, hold) = ledger::store::personal_accounts(conn, &found.user_id)?;
            ledger::store::lock_account(conn, &wallet)?;
            let current = find_redemption(conn, &found.id)?;
            if current.status != RedemptionStatus::Pending {
                return Ok(Err(DomainError::RedemptionFinished));
            }
            if current.expires_at <= now {
                return Ok(Err(DomainError::RedemptionExpired));
            }
            if !store::finish(
                conn,
                &found.id,
                RedemptionStatus::Confirmed,
                Some(operator),
                now,
            )? {
                return Ok(Err(DomainError::RedemptionFinished));
            }
            let till =
                ledger::store::owned_account(conn, AccountKind::Merchant, merchant_id.as_str())?
                    .ok_or_else(|| DomainError::internal("merchant without account"))?
                    .id;
            let points = Points::positive(current.points, "points")?;
            let captured = NewTransfer::new(
                TransferCode::RedeemCapture,
                &hold,
                &till,
                points,
                "商家确认兑换",
                now,
            );
            ledger::store::post_step(
                conn,
                "redemption",
                found.id.as_str(),
                "capture",
                captured.by(operator),
            )?;
            crate::outbox::notify(
                conn,
                &current.user_id,
                &crate::outbox::Template::RedemptionConfirmed {
                    reward: current.reward_title.clone(),
                    points: current.points,
                },
                now,
            )?;
            find_redemption(conn, &found.id).map(|r| Ok(r.seen_by(actor)))
        })?
    }

    /// The resident cancels a pending redemption: points and stock come back.
    #[tracing::instrument(skip_all, fields(redemption = %id))]
    pub fn cancel(&self, actor: &Actor, id: &RedemptionId) -> DomainResult<Redemption> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let found = find_redemption(conn, id)?;
            if &found.user_id != user {
                return Err(DomainError::NotFound {
                    what: "兑换记录"
                });
            }
            let (wallet, hold) = ledger::store::personal_accounts(conn, user)?;
            ledger::store::lock_account(conn, &wallet)?;
            let current = find_redemption(conn, id)?;
            match current.status {
                RedemptionStatus::Cancelled => return Ok(current.seen_by(actor)),
                RedemptionStatus::Pending => {}
                _ => return Err(DomainError::RedemptionFinished),
            }
            release(
                conn,
                &current,
                RedemptionStatus::Cancelled,
                Some(user),
                &wallet,
                &hold,
                now,
            )?;
            find_redemption(conn, id).map(|r| r.seen_by(actor))
        })
    }

    /// The resident renews a pending redemption before it runs out: a fresh counter code, held
    /// for another `HOLD_TTL` from now. Nothing moves: the points stay held and the stock
    /// taken, so a renewal never fails for stock another resident took meanwhile.
    #[tracing::instrument(skip_all, fields(redemption = %id))]
    pub fn renew(&self, actor: &Actor, id: &RedemptionId) -> DomainResult<Redemption> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let found = find_redemption(conn, id)?;
            if &found.user_id != user {
                return Err(DomainError::NotFound {
                    what: "兑换记录"
                });
            }
            if !store::renew(conn, id, &new_code(), now + HOLD_TTL, now)? {
                return Err(DomainError::RedemptionFinished);
            }
            find_redemption(conn, id).map(|r| r.seen_by(actor))
        })
    }

    /// One redemption: for the resident who redeemed it, the merchant's operators and staff.
    pub fn redemption(&self, actor: &Actor, id: &RedemptionId) -> DomainResult<Redemption> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            let found = find_redemption(conn, id)?;
            let visible = &found.user_id == user
                || actor.is_staff()
                || require_operator(conn, &found.merchant_id, user).is_ok();
            if !visible {
                return Err(DomainError::NotFound {
                    what: "兑换记录"
                });
            }
            Ok(found.seen_by(actor))
        })
    }

    /// Releases every hold whose time has run out; returns how many. The server runs this
    /// periodically; each redemption is its own transaction.
    #[tracing::instrument(skip_all)]
    pub fn expire_due(&self) -> DomainResult<usize> {
        let now = self.services.clock.now();
        let due = self.services.db.read(|conn| store::due(conn, now, 200))?;
        let mut expired = 0;
        for id in due {
            let done = self.services.db.write(|conn| {
                let found = find_redemption(conn, &id)?;
                let (wallet, hold) = ledger::store::personal_accounts(conn, &found.user_id)?;
                ledger::store::lock_account(conn, &wallet)?;
                let current = find_redemption(conn, &id)?;
                if current.status != RedemptionStatus::Pending || current.expires_at > now {
                    return Ok(false);
                }
                release(
                    conn,
                    &current,
                    RedemptionStatus::Expired,
                    None,
                    &wallet,
                    &hold,
                    now,
                )
            })?;
            expired += usize::from(done);
        }
        Ok(expired)
    }

    /// The caller's redemptions, newest first.
    pub fn my_redemptions(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> DomainResult<Page<Redemption>> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            let (items, total) = store::of_user(conn, user, page)?;
            let mut items = items.into_iter().map(|r| r.seen_by(actor)).collect();
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// Every reward a merchant offers or has paused, newest first, so its counter can resume
    /// what it paused: its operators and staff.
    pub fn merchant_rewards(
        &self,
        actor: &Actor,
        merchant_id: &MerchantId,
        page: &PageRequest,
    ) -> DomainResult<Page<RewardView>> {
        self.read_as_operator(actor, merchant_id, |conn| {
            let (rewards, total) = store::of_merchant_rewards(conn, merchant_id, page)?;
            let mut items = views(conn, rewards)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// A merchant's redemptions, newest first: its operators and staff.
    pub fn merchant_redemptions(
        &self,
        actor: &Actor,
        merchant_id: &MerchantId,
        status: Option<RedemptionStatus>,
        page: &PageRequest,
    ) -> DomainResult<Page<Redemption>> {
        self.redemptions_at(actor, merchant_id, (status, None), page)
    }

    /// The redemptions a merchant confirmed today — the day in Chengdu by the server's clock,
    /// so a counter whose own clock is off still shows the right ones — newest first: its
    /// operators and staff.
    pub fn confirmed_today(
        &self,
        actor: &Actor,
        merchant_id: &MerchantId,
        page: &PageRequest,
    ) -> DomainResult<Page<Redemption>> {
        let since = china_day_start(self.services.clock.now());
        let filter = (Some(RedemptionStatus::Confirmed), Some(since));
        self.redemptions_at(actor, merchant_id, filter, page)
    }

    /// A merchant's redemptions in a status and finished since an instant, as its operators
    /// and staff see them.
    fn redemptions_at(
        &self,
        actor: &Actor,
        merchant_id: &MerchantId,
        filter: (Option<RedemptionStatus>, Option<NaiveDateTime>),
        page: &PageRequest,
    ) -> DomainResult<Page<Redemption>> {
        self.read_as_operator(actor, merchant_id, |conn| {
            let (items, total) = store::of_merchant(conn, merchant_id, filter, page)?;
            let mut items = items.into_iter().map(|r| r.seen_by(actor)).collect();
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// Runs `read` for one of the merchant's operators or staff; anyone else is refused.
    fn read_as_operator<T>(
        &self,
        actor: &Actor,
        merchant_id: &MerchantId,
        read: impl FnOnce(&mut DbConnection) -> DomainResult<T>,
    ) -> DomainResult<T> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            if !actor.is_staff() {
                require_operator(conn, merchant_id, user)?;
            }
            read(conn)
        })
    }

    /// A merchant's statement for a month (China Standard Time), built from the ledger's
    /// captures: operators and staff. A closed month's statement is its settlement's captures,
    /// frozen; an open month's holds the captures that would settle in it now (its own and
    /// late ones of the closed months just before it).
    pub fn statement(
        &self,
        actor: &Actor,
        merchant_id: &MerchantId,
        month: NaiveDate,
    ) -> DomainResult<Statement> {
        let user = actor.user_id()?;
        let (from, _) =
            month_bounds(month).ok_or_else(|| DomainError::invalid("month", "月份不正确"))?;
        self.services.db.read(|conn| {
            let merchant = if actor.is_staff() {
                find_merchant(conn, merchant_id)?
            } else {
                require_operator(conn, merchant_id, user)?
            };
            let (settlement, lines) = crate::settlement::service::month_captures(
                conn,
                merchant_id,
                crate::settlement::Month::of(from),
            )?;
            let mut per_reward: Vec<(String, i64, i64)> = Vec::new();
            for line in &lines {
                match per_reward
                    .iter_mut()
                    .find(|(t, _, _)| *t == line.reward_title)
                {
                    Some((_, n, p)) => {
                        *n += 1;
                        *p = add_points(*p, line.points)?;
                    }
                    None => per_reward.push((line.reward_title.clone(), 1, line.points)),
                }
            }
            per_reward.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
            let total_points = sum_points(lines.iter().map(|l| l.points))?;
            Ok(Statement {
                merchant,
                month: china_time(from).date(),
                lines,
                per_reward,
                total_points,
                settlement,
            })
        })
    }

    /// Staff: points captured per merchant in a month, most first.
    pub fn district_overview(
        &self,
        actor: &Actor,
        month: NaiveDate,
    ) -> DomainResult<DistrictOverview> {
        actor.require_staff()?;
        let (from, until) =
            month_bounds(month).ok_or_else(|| DomainError::invalid("month", "月份不正确"))?;
        self.services.db.read(|conn| {
            let captured = store::captured_per_account(conn, from, until)?;
            let accounts = ledger::store::accounts_of_kind(conn, AccountKind::Merchant)?;
            let merchants = store::all_merchants(conn)?;
            let mut per_merchant: Vec<(Merchant, i64)> = captured
                .into_iter()
                .filter_map(|(account, points)| {
                    let owner = accounts
                        .iter()
                        .find(|a| a.id.as_str() == account)?
                        .owner_id
                        .clone()?;
                    let merchant = merchants.iter().find(|m| m.id.as_str() == owner)?.clone();
                    Some((merchant, points))
                })
                .collect();
            per_merchant.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.shop_name.cmp(&b.0.shop_name)));
            DistrictOverview::of(month, per_merchant)
        })
    }
}

/// Ends a pending redemption and gives the points and the stock back.
fn release(
    conn: &mut DbConnection,
    r: &Redemption,
    to: RedemptionStatus,
    by: Option<&UserId>,
    wallet: &crate::types::AccountId,
    hold: &crate::types::AccountId,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    if !store::finish(conn, &r.id, to, by, now)? {
        return Err(DomainError::RedemptionFinished);
    }
    let reason = if to == RedemptionStatus::Expired {
        "兑换码过期，积分退回"
    } else {
        "取消兑换，积分退回"
    };
    let points = Points::positive(r.points, "points")?;
    let released = NewTransfer::new(
        TransferCode::RedeemRelease,
        hold,
        wallet,
        points,
        reason,
        now,
    );
    ledger::store::post_step(
        conn,
        "redemption",
        r.id.as_str(),
        "release",
        released.by(by),
    )?;
    store::return_stock(conn, &r.reward_id)?;
    Ok(true)
}

fn views(conn: &mut DbConnection, rewards: Vec<Reward>) -> DomainResult<Vec<RewardView>> {
    let ids: Vec<String> = rewards
        .iter()
        .map(|r| r.merchant_id.as_str().to_owned())
        .collect();
    let merchants = store::merchants_by_ids(conn, &ids)?;
    rewards
        .into_iter()
        .map(|reward| {
            let merchant = merchants
                .iter()
                .find(|m| m.id == reward.merchant_id)
                .cloned()
                .ok_or_else(|| DomainError::internal("reward without merchant"))?;
            Ok(RewardView { reward, merchant })
        })
        .collect()
}

fn find_merchant(conn: &mut DbConnection, id: &MerchantId) -> DomainResult<Merchant> {
    store::find_merchant(conn, id)?.ok_or(DomainError::NotFound { what: "商家" })
}

fn find_reward(conn: &mut DbConnection, id: &RewardId) -> DomainResult<Reward> {
    store::find_reward(conn, id)?.ok_or(DomainError::NotFound { what: "奖励" })
}

fn find_reward_with_merchant(
    conn: &mut DbConnection,
    id: &RewardId,
) -> DomainResult<(Reward, Merchant)> {
    store::find_reward_with_merchant(conn, id)?.ok_or(DomainError::NotFound { what: "奖励" })
}

fn find_redemption(conn: &mut DbConnection, id: &RedemptionId) -> DomainResult<Redemption> {
    store::find_redemption(conn, id)?.ok_or(DomainError::NotFound {
        what: "兑换记录"
    })
}

/// The merchant, when `user` is a member of its organisation (an operator).
fn require_operator(
    conn: &mut DbConnection,
    id: &MerchantId,
    user: &UserId,
) -> DomainResult<Merchant> {
    let merchant = find_merchant(conn, id)?;
    if directory::store::member_role(conn, &merchant.organisation_id, user)?.is_none() {
        return Err(DomainError::Forbidden);
    }
    Ok(merchant)
}
