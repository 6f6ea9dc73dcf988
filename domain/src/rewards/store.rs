//! Rewards SQL. Stock, limits and every redemption step are conditional updates whose row
//! count decides; the ledger moves the points in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{
    Merchant, MerchantFilter, MerchantStatus, Redemption, RedemptionStatus, Reward, RewardFilter,
    RewardStatus, StatementLine,
};
use crate::db::{DbConnection, MultiBackend, is_unique_violation, lower};
use crate::error::{DomainError, DomainResult};
use crate::ledger::TransferCode;
use crate::page::{PageRequest, keyset};
use crate::schema::{merchant, redemption, reward, transfer};
use crate::types::{
    CommunityId, MerchantId, OrganisationId, RedemptionId, RewardId, SettlementId, UserId,
    add_points,
};

pub(crate) fn insert_merchant(conn: &mut DbConnection, m: &Merchant) -> DomainResult<()> {
    let inserted = diesel::insert_into(merchant::table)
        .values((
            merchant::id.eq(m.id.as_str()),
            merchant::organisation_id.eq(m.organisation_id.as_str()),
            merchant::shop_name.eq(&m.shop_name),
            merchant::community_id.eq(m.community_id.as_ref().map(CommunityId::as_str)),
            merchant::address.eq(&m.address),
            merchant::category_id.eq(&m.category_id),
            merchant::opening_hours.eq(&m.opening_hours),
            merchant::status.eq(m.status.as_str()),
            merchant::created_at.eq(m.created_at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e, "organisation_id") => {
            Err(DomainError::InvalidState("该组织已加入商居联盟"))
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn find_merchant(
    conn: &mut DbConnection,
    id: &MerchantId,
) -> DomainResult<Option<Merchant>> {
    Ok(merchant::table
        .find(id.as_str())
        .select(Merchant::as_select())
        .first(conn)
        .optional()?)
}

pub(crate) fn merchant_of_organisation(
    conn: &mut DbConnection,
    organisation: &OrganisationId,
) -> DomainResult<Option<Merchant>> {
    Ok(merchant::table
        .filter(merchant::organisation_id.eq(organisation.as_str()))
        .select(Merchant::as_select())
        .first(conn)
        .optional()?)
}

pub(crate) fn merchants_of_organisations(
    conn: &mut DbConnection,
    organisations: &[OrganisationId],
) -> DomainResult<Vec<Merchant>> {
    let raw: Vec<&str> = organisations.iter().map(OrganisationId::as_str).collect();
    Ok(merchant::table
        .filter(merchant::organisation_id.eq_any(raw))
        .select(Merchant::as_select())
        .load(conn)?)
}

pub(crate) fn merchants_by_ids(
    conn: &mut DbConnection,
    ids: &[String],
) -> DomainResult<Vec<Merchant>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(merchant::table
        .filter(merchant::id.eq_any(ids))
        .select(Merchant::as_select())
        .load(conn)?)
}

pub(crate) fn all_merchants(conn: &mut DbConnection) -> DomainResult<Vec<Merchant>> {
    Ok(merchant::table.select(Merchant::as_select()).load(conn)?)
}

/// Moves a merchant from `from` to `to` with the reason; false when it was no longer `from`.
pub(crate) fn change_merchant_status(
    conn: &mut DbConnection,
    id: &MerchantId,
    from: MerchantStatus,
    to: MerchantStatus,
    reason: Option<&str>,
) -> DomainResult<bool> {
    let updated = diesel::update(
        merchant::table
            .filter(merchant::id.eq(id.as_str()))
            .filter(merchant::status.eq(from.as_str())),
    )
    .set((
        merchant::status.eq(to.as_str()),
        merchant::status_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// One page of the merchants matching the filter (`pattern` as from
/// [`crate::types::contains_pattern`], on the shop's name or address), with how many match:
/// pending applications oldest first, anything else newest first.
pub(crate) fn merchants(
    conn: &mut DbConnection,
    pattern: Option<&str>,
    filter: &MerchantFilter,
    page: &PageRequest,
) -> DomainResult<(Vec<Merchant>, i64)> {
    macro_rules! filtered {
        () => {{
            let mut q = merchant::table.into_boxed();
            if let Some(pattern) = pattern {
                q = q.filter(
                    lower(merchant::shop_name)
                        .like(pattern.to_owned())
                        .escape('\\')
                        .or(lower(merchant::address)
                            .like(pattern.to_owned())
                            .escape('\\')),
                );
            }
            if let Some(status) = filter.status {
                q = q.filter(merchant::status.eq(status.as_str()));
            }
            if let Some(community) = &filter.community_id {
                q = q.filter(merchant::community_id.eq(community.as_str().to_owned()));
            }
            q
        }};
    }
    let total: i64 = filtered!().count().get_result(conn)?;
    let query = filtered!().select(Merchant::as_select());
    let queue = filter.status == Some(MerchantStatus::Pending);
    let rows = keyset!(query, merchant::id, newest_first: !queue, page).load(conn)?;
    Ok((rows, total))
}

pub(crate) fn insert_reward(conn: &mut DbConnection, r: &Reward) -> DomainResult<()> {
    diesel::insert_into(reward::table)
        .values((
            reward::id.eq(r.id.as_str()),
            reward::merchant_id.eq(r.merchant_id.as_str()),
            reward::title.eq(&r.title),
            reward::description.eq(&r.description),
            reward::points_price.eq(r.points_price),
            reward::stock.eq(r.stock),
            reward::limit_per_period.eq(r.limit_per_period),
            reward::period_days.eq(r.period_days),
            reward::valid_from.eq(r.valid_from),
            reward::valid_until.eq(r.valid_until),
            reward::status.eq(r.status.as_str()),
            reward::created_at.eq(r.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn rewards_by_ids(
    conn: &mut DbConnection,
    ids: &[RewardId],
) -> DomainResult<Vec<Reward>> {
    let raw: Vec<&str> = ids.iter().map(RewardId::as_str).collect();
    Ok(reward::table
        .filter(reward::id.eq_any(raw))
        .select(Reward::as_select())
        .load(conn)?)
}

/// A reward with its merchant, in one statement.
pub(crate) fn find_reward_with_merchant(
    conn: &mut DbConnection,
    id: &RewardId,
) -> DomainResult<Option<(Reward, Merchant)>> {
    Ok(reward::table
        .inner_join(merchant::table)
        .filter(reward::id.eq(id.as_str()))
        .select((Reward::as_select(), Merchant::as_select()))
        .first(conn)
        .optional()?)
}

pub(crate) fn find_reward(conn: &mut DbConnection, id: &RewardId) -> DomainResult<Option<Reward>> {
    Ok(reward::table
        .find(id.as_str())
        .select(Reward::as_select())
        .first(conn)
        .optional()?)
}

pub(crate) fn set_reward_status(
    conn: &mut DbConnection,
    id: &RewardId,
    to: RewardStatus,
) -> DomainResult<bool> {
    let updated = diesel::update(
        reward::table
            .filter(reward::id.eq(id.as_str()))
            .filter(reward::status.ne(RewardStatus::Retired.as_str())),
    )
    .set(reward::status.eq(to.as_str()))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Takes one from a limited stock; false when none is left.
pub(crate) fn take_stock(conn: &mut DbConnection, id: &RewardId) -> DomainResult<bool> {
    let updated = diesel::update(
        reward::table
            .filter(reward::id.eq(id.as_str()))
            .filter(reward::stock.gt(0)),
    )
    .set(reward::stock.eq(reward::stock - 1))
    .execute(conn)?;
    Ok(updated == 1)
}

pub(crate) fn return_stock(conn: &mut DbConnection, id: &RewardId) -> DomainResult<()> {
    diesel::update(
        reward::table
            .filter(reward::id.eq(id.as_str()))
            .filter(reward::stock.is_not_null()),
    )
    .set(reward::stock.eq(reward::stock + 1))
    .execute(conn)?;
    Ok(())
}

/// Active rewards of active merchants, valid at `now`, newest first after the `after` id.
pub(crate) fn browse(
    conn: &mut DbConnection,
    filter: &RewardFilter,
    now: NaiveDateTime,
    page: &PageRequest,
) -> DomainResult<(Vec<Reward>, i64)> {
    // The merchants that may appear (active, in the community and category asked for): at
    // most a few hundred ids, fetched once.
    let mut merchants = merchant::table
        .filter(merchant::status.eq(MerchantStatus::Active.as_str()))
        .select(merchant::id)
        .into_boxed();
    if let Some(community) = &filter.community_id {
        merchants = merchants.filter(merchant::community_id.eq(community.as_str().to_owned()));
    }
    if let Some(category) = &filter.category_id {
        merchants = merchants.filter(merchant::category_id.eq(category.clone()));
    }
    let merchants: Vec<String> = merchants.load(conn)?;
    macro_rules! filtered {
        () => {{
            let mut q = reward::table
                .filter(reward::status.eq(RewardStatus::Active.as_str()))
                .filter(reward::valid_from.le(now))
                .filter(
                    reward::valid_until
                        .is_null()
                        .or(reward::valid_until.gt(now)),
                )
                .filter(reward::merchant_id.eq_any(merchants.clone()))
                .into_boxed();
            if let Some(max) = filter.max_points {
                q = q.filter(reward::points_price.le(max));
            }
            if let Some(m) = &filter.merchant_id {
                q = q.filter(reward::merchant_id.eq(m.as_str().to_owned()));
            }
            q
        }};
    }
    let total: i64 = filtered!().count().get_result(conn)?;
    let query = filtered!().select(Reward::as_select());
    let rows = keyset!(query, reward::id, newest_first: true, page).load(conn)?;
    Ok((rows, total))
}

/// Every reward of a merchant, whatever its status, newest first.
pub(crate) fn of_merchant_rewards(
    conn: &mut DbConnection,
    merchant_id: &MerchantId,
    page: &PageRequest,
) -> DomainResult<(Vec<Reward>, i64)> {
    let total: i64 = reward::table
        .filter(reward::merchant_id.eq(merchant_id.as_str()))
        .count()
        .get_result(conn)?;
    let query = reward::table
        .filter(reward::merchant_id.eq(merchant_id.as_str()))
        .select(Reward::as_select())
        .into_boxed();
    let rows = keyset!(query, reward::id, newest_first: true, page).load(conn)?;
    Ok((rows, total))
}

pub(crate) struct NewRedemption<'a> {
    pub id: &'a RedemptionId,
    pub reward: &'a Reward,
    pub user: &'a UserId,
    pub code: &'a str,
    pub idempotency_key: &'a str,
    pub expires_at: NaiveDateTime,
    pub at: NaiveDateTime,
}

/// Writes the redemption and answers it as written, without reading it back.
pub(crate) fn insert_redemption(
    conn: &mut DbConnection,
    r: &NewRedemption<'_>,
) -> DomainResult<Redemption> {
    diesel::insert_into(redemption::table)
        .values((
            redemption::id.eq(r.id.as_str()),
            redemption::reward_id.eq(r.reward.id.as_str()),
            redemption::merchant_id.eq(r.reward.merchant_id.as_str()),
            redemption::user_id.eq(r.user.as_str()),
            redemption::points.eq(r.reward.points_price),
            redemption::code.eq(r.code),
            redemption::status.eq(RedemptionStatus::Pending.as_str()),
            redemption::expires_at.eq(r.expires_at),
            redemption::idempotency_key.eq(r.idempotency_key),
            redemption::created_at.eq(r.at),
        ))
        .execute(conn)?;
    Ok(Redemption {
        id: r.id.clone(),
        reward_id: r.reward.id.clone(),
        reward_title: r.reward.title.clone(),
        merchant_id: r.reward.merchant_id.clone(),
        user_id: r.user.clone(),
        points: r.reward.points_price,
        code: Some(r.code.to_owned()),
        status: RedemptionStatus::Pending,
        expires_at: r.expires_at,
        created_at: r.at,
        finished_at: None,
    })
}

/// Redemptions with their reward's title.
fn redemptions() -> diesel::dsl::Select<
    diesel::dsl::InnerJoin<redemption::table, reward::table>,
    diesel::dsl::AsSelect<Redemption, MultiBackend>,
> {
    redemption::table
        .inner_join(reward::table)
        .select(Redemption::as_select())
}

pub(crate) fn find_redemption(
    conn: &mut DbConnection,
    id: &RedemptionId,
) -> DomainResult<Option<Redemption>> {
    Ok(redemptions()
        .filter(redemption::id.eq(id.as_str()))
        .first(conn)
        .optional()?)
}

pub(crate) fn by_key(conn: &mut DbConnection, key: &str) -> DomainResult<Option<Redemption>> {
    Ok(redemptions()
        .filter(redemption::idempotency_key.eq(key))
        .first(conn)
        .optional()?)
}

pub(crate) fn by_code(conn: &mut DbConnection, code: &str) -> DomainResult<Option<Redemption>> {
    Ok(redemptions()
        .filter(redemption::code.eq(code))
        .first(conn)
        .optional()?)
}

/// Pending and confirmed redemptions of a reward by one resident since `since`.
pub(crate) fn count_recent(
    conn: &mut DbConnection,
    reward_id: &RewardId,
    user: &UserId,
    since: NaiveDateTime,
) -> DomainResult<i64> {
    let live = [
        RedemptionStatus::Pending.as_str(),
        RedemptionStatus::Confirmed.as_str(),
    ];
    Ok(redemption::table
        .filter(redemption::reward_id.eq(reward_id.as_str()))
        .filter(redemption::user_id.eq(user.as_str()))
        .filter(redemption::created_at.ge(since))
        .filter(redemption::status.eq_any(live))
        .count()
        .get_result(conn)?)
}

/// Ends a pending redemption; false when it was no longer pending (another step won).
pub(crate) fn finish(
    conn: &mut DbConnection,
    id: &RedemptionId,
    to: RedemptionStatus,
    by: Option<&UserId>,
    at: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        redemption::table
            .filter(redemption::id.eq(id.as_str()))
            .filter(redemption::status.eq(RedemptionStatus::Pending.as_str())),
    )
    .set((
        redemption::status.eq(to.as_str()),
        redemption::finished_at.eq(Some(at)),
        redemption::finished_by.eq(by.map(UserId::as_str)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// A fresh counter code and hold time for a pending redemption that has not run out: whether
/// it applied.
pub(crate) fn renew(
    conn: &mut DbConnection,
    id: &RedemptionId,
    code: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        redemption::table
            .filter(redemption::id.eq(id.as_str()))
            .filter(redemption::status.eq(RedemptionStatus::Pending.as_str()))
            .filter(redemption::expires_at.gt(now)),
    )
    .set((
        redemption::code.eq(code),
        redemption::expires_at.eq(expires_at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Pending redemptions whose hold has run out, oldest first.
pub(crate) fn due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> DomainResult<Vec<RedemptionId>> {
    Ok(redemption::table
        .filter(redemption::status.eq(RedemptionStatus::Pending.as_str()))
        .filter(redemption::expires_at.le(now))
        .order(redemption::expires_at.asc())
        .limit(limit)
        .select(redemption::id)
        .load(conn)?)
}

pub(crate) fn of_user(
    conn: &mut DbConnection,
    user: &UserId,
    page: &PageRequest,
) -> DomainResult<(Vec<Redemption>, i64)> {
    let total: i64 = redemption::table
        .filter(redemption::user_id.eq(user.as_str()))
        .count()
        .get_result(conn)?;
    let query = redemptions()
        .filter(redemption::user_id.eq(user.as_str()))
        .into_boxed();
    let rows = keyset!(query, redemption::id, newest_first: true, page).load(conn)?;
    Ok((rows, total))
}

pub(crate) fn of_merchant(
    conn: &mut DbConnection,
    merchant_id: &MerchantId,
    (status, finished_since): (Option<RedemptionStatus>, Option<NaiveDateTime>),
    page: &PageRequest,
) -> DomainResult<(Vec<Redemption>, i64)> {
    let mut count = redemption::table
        .filter(redemption::merchant_id.eq(merchant_id.as_str()))
        .count()
        .into_boxed();
    let mut query = redemptions()
        .filter(redemption::merchant_id.eq(merchant_id.as_str()))
        .into_boxed();
    if let Some(status) = status {
        count = count.filter(redemption::status.eq(status.as_str()));
        query = query.filter(redemption::status.eq(status.as_str()));
    }
    if let Some(since) = finished_since {
        count = count.filter(redemption::finished_at.ge(since));
        query = query.filter(redemption::finished_at.ge(since));
    }
    let total: i64 = count.get_result(conn)?;
    let rows = keyset!(query, redemption::id, newest_first: true, page).load(conn)?;
    Ok((rows, total))
}

/// Which captures of a merchant a statement or a settlement holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Captures<'a> {
    /// The ones a closed month's settlement holds: frozen.
    SettledIn(&'a SettlementId),
    /// The ones credited to the till `account` in [from, until) that no settlement holds yet.
    Unsettled {
        account: &'a str,
        from: NaiveDateTime,
        until: NaiveDateTime,
    },
}

/// The captures of a statement: the ledger's own record of what a merchant received (its
/// REDEEM_CAPTURE transfers), each with the redemption and reward it came from, in the order
/// they were posted.
pub(crate) fn captures(
    conn: &mut DbConnection,
    which: Captures<'_>,
) -> DomainResult<Vec<StatementLine>> {
    let mut query = transfer::table
        .inner_join(redemption::table.on(redemption::id.nullable().eq(transfer::cause_id)))
        .inner_join(reward::table.on(reward::id.eq(redemption::reward_id)))
        .filter(transfer::code.eq(TransferCode::RedeemCapture))
        .filter(transfer::cause_kind.eq("redemption"))
        .into_boxed();
    query = match which {
        Captures::SettledIn(settlement) => {
            query.filter(redemption::settlement_id.eq(settlement.as_str()))
        }
        Captures::Unsettled {
            account,
            from,
            until,
        } => query
            .filter(transfer::credit_account_id.eq(account))
            .filter(redemption::settlement_id.is_null())
            .filter(transfer::created_at.ge(from))
            .filter(transfer::created_at.lt(until)),
    };
    let rows = query
        .order(transfer::id.asc())
        .select((
            redemption::id,
            transfer::created_at,
            reward::title,
            transfer::amount,
        ))
        .load::<(String, NaiveDateTime, String, i64)>(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(redemption_id, confirmed_at, reward_title, points)| StatementLine {
                redemption_id,
                confirmed_at,
                reward_title,
                points,
            },
        )
        .collect())
}

/// The merchants with confirmed redemptions before `until` that no settlement holds yet.
pub(crate) fn merchants_with_unsettled(
    conn: &mut DbConnection,
    until: NaiveDateTime,
) -> DomainResult<Vec<MerchantId>> {
    Ok(redemption::table
        .filter(redemption::status.eq(RedemptionStatus::Confirmed.as_str()))
        .filter(redemption::settlement_id.is_null())
        .filter(redemption::finished_at.lt(until))
        .select(redemption::merchant_id)
        .distinct()
        .order(redemption::merchant_id.asc())
        .load(conn)?)
}

/// Marks confirmed redemptions as held by `settlement`, each only if no settlement holds it
/// yet: how many it marked.
pub(crate) fn assign_to_settlement(
    conn: &mut DbConnection,
    settlement: &SettlementId,
    redemptions: &[String],
) -> DomainResult<usize> {
    let mut assigned = 0;
    // In chunks, within every engine's limit on bound parameters.
    for chunk in redemptions.chunks(500) {
        assigned += diesel::update(
            redemption::table
                .filter(redemption::id.eq_any(chunk))
                .filter(redemption::status.eq(RedemptionStatus::Confirmed.as_str()))
                .filter(redemption::settlement_id.is_null()),
        )
        .set(redemption::settlement_id.eq(Some(settlement.as_str())))
        .execute(conn)?;
    }
    Ok(assigned)
}

/// Points captured per merchant account in [from, until), for the district overview.
pub(crate) fn captured_per_account(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> DomainResult<Vec<(String, i64)>> {
    let rows = transfer::table
        .filter(transfer::code.eq("REDEEM_CAPTURE"))
        .filter(transfer::created_at.ge(from))
        .filter(transfer::created_at.lt(until))
        .select((transfer::credit_account_id, transfer::amount))
        .load::<(String, i64)>(conn)?;
    let mut totals: Vec<(String, i64)> = Vec::new();
    for (account, amount) in rows {
        match totals.iter_mut().find(|(a, _)| *a == account) {
            Some((_, total)) => *total = add_points(*total, amount)?,
            None => totals.push((account, amount)),
        }
    }
    Ok(totals)
}
