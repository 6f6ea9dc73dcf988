//! The review queue's SQL: what each rule reads, cases, and the holds they put on points.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::{
    Attendance, CaseStatus, Confirmed, Donation, Finding, Joining, MERCHANT_HISTORY_DAYS,
    MerchantDay, ROWS_PER_RUN, ReviewCase, Rule, Service, Sighting, Thresholds,
    accounts_per_address, identical_attendance, member_redemptions, merchant_surges,
    overlapping_minutes, transfer_cycles,
};
use crate::db::{DbConnection, insert_unless_present};
use crate::error::{DomainError, DomainResult};
use crate::ledger::store::NewTransfer;
use crate::ledger::{AccountKind, TransferCode};
use crate::page::{PageRequest, keyset};
use crate::rewards::RedemptionStatus;
use crate::schema::{
    account, activity, app_user, client_sighting, merchant, organisation, organisation_member,
    participation, redemption, review_case, review_cursor, transfer,
};
use crate::types::{
    AccountId, ActivityId, MerchantId, OrganisationId, ParticipationId, Points, RedemptionId,
    ReviewCaseId, TransferId, UserId, china_day_start,
};
use crate::volunteering::model::china_day;

/// What a case's ledger steps name as their cause.
pub(crate) const CASE_CAUSE: &str = "review_case";
/// Sign-ins are kept this long for the address rule, then swept.
pub(crate) const SIGHTINGS_KEPT: TimeDelta = TimeDelta::days(30);

const CURSOR_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.f";

/// What one run of a rule reads: rows stamped after its cursor and no later than `until`.
pub(crate) struct Window {
    pub since: Option<NaiveDateTime>,
    pub until: NaiveDateTime,
    pub thresholds: Thresholds,
}

/// What a rule found in one page of new rows.
pub(crate) struct Run {
    pub findings: Vec<Finding>,
    /// Where the next page starts; none when nothing was new.
    pub position: Option<NaiveDateTime>,
    /// New rows read: a full page ([`ROWS_PER_RUN`]) means more may be waiting.
    pub rows: usize,
}

/// Where the rule's last run stopped, taking the cursor row's lock (made on the first run) so
/// that a second instance running the rule waits and then reads on from there. A position the
/// rule cannot read starts it over: findings are named, so reading again opens nothing twice.
pub(crate) fn lock_cursor(
    conn: &mut DbConnection,
    rule: Rule,
    now: NaiveDateTime,
) -> DomainResult<Option<NaiveDateTime>> {
    insert_unless_present(conn, &["review_cursor"], |conn| {
        diesel::insert_into(review_cursor::table)
            .values((
                review_cursor::rule.eq(rule.as_str()),
                review_cursor::position.eq(""),
                review_cursor::ran_at.eq(now),
            ))
            .execute(conn)
    })?;
    diesel::update(review_cursor::table.find(rule.as_str()))
        .set(review_cursor::ran_at.eq(now))
        .execute(conn)?;
    let position: String = review_cursor::table
        .find(rule.as_str())
        .select(review_cursor::position)
        .first(conn)?;
    Ok(NaiveDateTime::parse_from_str(&position, CURSOR_FORMAT).ok())
}

pub(crate) fn move_cursor(
    conn: &mut DbConnection,
    rule: Rule,
    position: NaiveDateTime,
    now: NaiveDateTime,
) -> DomainResult<()> {
    diesel::update(review_cursor::table.find(rule.as_str()))
        .set((
            review_cursor::position.eq(position.format(CURSOR_FORMAT).to_string()),
            review_cursor::ran_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

impl Run {
    fn nothing() -> Self {
        Run {
            findings: Vec::new(),
            position: None,
            rows: 0,
        }
    }
}

/// Where the next run starts after reading `stamps` (ascending, at most [`ROWS_PER_RUN`]): after
/// the last, or — when the page was full and may have stopped among rows of one instant (a
/// bulk verification stamps 200 rows alike) — before that instant, to read them again.
fn next_position(stamps: &[NaiveDateTime]) -> Option<NaiveDateTime> {
    let last = *stamps.last()?;
    let full = i64::try_from(stamps.len()).unwrap_or(i64::MAX) >= ROWS_PER_RUN;
    let before_last = stamps.iter().rev().find(|at| **at < last).copied();
    Some(if full {
        before_last.unwrap_or(last)
    } else {
        last
    })
}

/// The EARN transfers of these participations that were not reversed.
fn earns(
    conn: &mut DbConnection,
    participations: &[&str],
) -> DomainResult<HashMap<String, TransferId>> {
    let mut found = HashMap::new();
    for chunk in participations.chunks(500) {
        let rows: Vec<(Option<String>, TransferId)> = transfer::table
            .filter(transfer::code.eq(TransferCode::Earn.as_str()))
            .filter(transfer::cause_kind.eq(crate::volunteering::PARTICIPATION_CAUSE))
            .filter(transfer::cause_id.eq_any(chunk))
            .select((transfer::cause_id, transfer::id))
            .load(conn)?;
        let ids: Vec<&str> = rows.iter().map(|(_, id)| id.as_str()).collect();
        let reversed: BTreeSet<String> = transfer::table
            .filter(transfer::reverses_id.eq_any(&ids))
            .select(transfer::reverses_id.assume_not_null())
            .load::<String>(conn)?
            .into_iter()
            .collect();
        for (cause, id) in rows {
            if let Some(cause) = cause.filter(|_| !reversed.contains(id.as_str())) {
                found.insert(cause, id);
            }
        }
    }
    Ok(found)
}

/// (participation, activity, its title, participant, their name, check-in, check-out).
type AttendanceRow = (
    ParticipationId,
    ActivityId,
    String,
    UserId,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// Activities with participations verified in the window, read in full.
pub(crate) fn attendance_findings(conn: &mut DbConnection, read: &Window) -> DomainResult<Run> {
    let mut newly = participation::table
        .filter(participation::verified_at.le(read.until))
        .into_boxed();
    if let Some(since) = read.since {
        newly = newly.filter(participation::verified_at.gt(since));
    }
    let verified: Vec<(ActivityId, NaiveDateTime)> = newly
        .order(participation::verified_at.asc())
        .select((
            participation::activity_id,
            participation::verified_at.assume_not_null(),
        ))
        .limit(ROWS_PER_RUN)
        .load(conn)?;
    let position = next_position(&verified.iter().map(|(_, at)| *at).collect::<Vec<_>>());
    let rows_read = verified.len();
    let activities: BTreeSet<ActivityId> = verified.into_iter().map(|(a, _)| a).collect();
    let rows: Vec<AttendanceRow> = participation::table
        .inner_join(activity::table)
        .inner_join(app_user::table)
        .filter(participation::activity_id.eq_any(activities.iter().map(ActivityId::as_str)))
        .filter(participation::verified_at.is_not_null())
        .filter(participation::manual.eq(false))
        .select((
            participation::id,
            participation::activity_id,
            activity::title,
            participation::user_id,
            app_user::display_name,
            participation::checked_in_at,
            participation::checked_out_at,
        ))
        .load(conn)?;
    let mut earned = earns(conn, &rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>())?;
    let attendance: Vec<Attendance> = rows
        .into_iter()
        .filter_map(
            |(id, activity_id, title, user, name, checked_in, checked_out)| {
                Some(Attendance {
                    earn: earned.remove(id.as_str()),
                    id,
                    activity_id,
                    activity_title: title,
                    user,
                    name,
                    checked_in_at: checked_in?,
                    checked_out_at: checked_out?,
                })
            },
        )
        .collect();
    Ok(Run {
        findings: identical_attendance(&attendance, read.thresholds.identical_attendance),
        position,
        rows: rows_read,
    })
}

/// (participation, participant, their name, title, starts, ends, check-in, check-out).
type ServiceRow = (
    ParticipationId,
    UserId,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// Residents with participations verified in the window, against their other verified service
/// around the same days.
pub(crate) fn overlap_findings(conn: &mut DbConnection, read: &Window) -> DomainResult<Run> {
    let mut newly = participation::table
        .inner_join(activity::table)
        .filter(participation::verified_at.le(read.until))
        .into_boxed();
    if let Some(since) = read.since {
        newly = newly.filter(participation::verified_at.gt(since));
    }
    let verified: Vec<(UserId, NaiveDateTime, NaiveDateTime)> = newly
        .order(participation::verified_at.asc())
        .select((
            participation::user_id,
            participation::verified_at.assume_not_null(),
            activity::starts_at,
        ))
        .limit(ROWS_PER_RUN)
        .load(conn)?;
    let position = next_position(&verified.iter().map(|v| v.1).collect::<Vec<_>>());
    let rows_read = verified.len();
    let Some(earliest) = verified.iter().map(|v| v.2).min() else {
        return Ok(Run::nothing());
    };
    let users: BTreeSet<UserId> = verified.into_iter().map(|v| v.0).collect();
    let mut rows: Vec<ServiceRow> = Vec::new();
    let users: Vec<&str> = users.iter().map(UserId::as_str).collect();
    for chunk in users.chunks(500) {
        rows.extend(
            participation::table
                .inner_join(activity::table)
                .inner_join(app_user::table)
                .filter(participation::user_id.eq_any(chunk))
                .filter(participation::verified_at.is_not_null())
                .filter(participation::hours_revoked_at.is_null())
                .filter(activity::ends_at.ge(earliest - TimeDelta::days(1)))
                .select((
                    participation::id,
                    participation::user_id,
                    app_user::display_name,
                    activity::title,
                    activity::starts_at,
                    activity::ends_at,
                    participation::checked_in_at,
                    participation::checked_out_at,
                ))
                .load::<ServiceRow>(conn)?,
        );
    }
    let mut earned = earns(conn, &rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>())?;
    let services: Vec<Service> = rows
        .into_iter()
        .filter_map(
            |(id, user, name, title, starts, ends, checked_in, checked_out)| {
                let from = checked_in?.max(starts);
                let until = checked_out?.min(ends);
                (until > from).then(|| Service {
                    earn: earned.remove(id.as_str()),
                    id,
                    user,
                    name,
                    activity_title: title,
                    from,
                    until,
                })
            },
        )
        .collect();
    Ok(Run {
        findings: overlapping_minutes(&services, read.thresholds.overlap_minutes),
        position,
        rows: rows_read,
    })
}

/// Records that `user` signed in from `address` today, once a day per address.
pub(crate) fn record_sighting(
    conn: &mut DbConnection,
    address: &str,
    user: &UserId,
    at: NaiveDateTime,
) -> DomainResult<()> {
    insert_unless_present(
        conn,
        &["client_sighting_pkey", "client_sighting.address"],
        |conn| {
            diesel::insert_into(client_sighting::table)
                .values((
                    client_sighting::address.eq(address),
                    client_sighting::day.eq(china_day(at)),
                    client_sighting::user_id.eq(user.as_str()),
                    client_sighting::seen_at.eq(at),
                ))
                .execute(conn)
        },
    )?;
    Ok(())
}

/// Deletes sign-ins older than `before`; how many went.
pub(crate) fn sweep_sightings(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> DomainResult<usize> {
    Ok(
        diesel::delete(client_sighting::table.filter(client_sighting::seen_at.lt(before)))
            .execute(conn)?,
    )
}

/// Addresses and days with sign-ins in the window, each read in full.
pub(crate) fn address_findings(conn: &mut DbConnection, read: &Window) -> DomainResult<Run> {
    let mut newly = client_sighting::table
        .filter(client_sighting::seen_at.le(read.until))
        .into_boxed();
    if let Some(since) = read.since {
        newly = newly.filter(client_sighting::seen_at.gt(since));
    }
    let seen: Vec<(String, String, NaiveDateTime)> = newly
        .order(client_sighting::seen_at.asc())
        .select((
            client_sighting::address,
            client_sighting::day,
            client_sighting::seen_at,
        ))
        .limit(ROWS_PER_RUN)
        .load(conn)?;
    let position = next_position(&seen.iter().map(|s| s.2).collect::<Vec<_>>());
    let rows_read = seen.len();
    let pairs: BTreeSet<(String, String)> = seen.into_iter().map(|(a, d, _)| (a, d)).collect();
    let addresses: BTreeSet<&str> = pairs.iter().map(|(a, _)| a.as_str()).collect();
    let days: BTreeSet<&str> = pairs.iter().map(|(_, d)| d.as_str()).collect();
    let addresses: Vec<&str> = addresses.into_iter().collect();
    let mut sightings = Vec::new();
    for chunk in addresses.chunks(500) {
        let rows: Vec<(String, String, UserId, String, NaiveDateTime)> = client_sighting::table
            .inner_join(app_user::table)
            .filter(client_sighting::address.eq_any(chunk))
            .filter(client_sighting::day.eq_any(&days))
            .select((
                client_sighting::address,
                client_sighting::day,
                client_sighting::user_id,
                app_user::display_name,
                client_sighting::seen_at,
            ))
            .load(conn)?;
        sightings.extend(
            rows.into_iter()
                .filter(|(address, day, ..)| pairs.contains(&(address.clone(), day.clone())))
                .map(|(address, day, user, name, seen_at)| Sighting {
                    address,
                    day,
                    user,
                    name,
                    seen_at,
                }),
        );
    }
    Ok(Run {
        findings: accounts_per_address(&sightings, read.thresholds.address_accounts),
        position,
        rows: rows_read,
    })
}

type DonationRow = (TransferId, AccountId, AccountId, i64, NaiveDateTime);

fn donation((id, from, to, amount, at): DonationRow) -> Donation {
    Donation {
        id,
        from,
        to,
        amount,
        at,
    }
}

/// Loops closed by donations posted in the window.
pub(crate) fn cycle_findings(conn: &mut DbConnection, read: &Window) -> DomainResult<Run> {
    let columns = (
        transfer::id,
        transfer::debit_account_id,
        transfer::credit_account_id,
        transfer::amount,
        transfer::created_at,
    );
    let mut query = transfer::table
        .filter(transfer::code.eq(TransferCode::Donate.as_str()))
        .filter(transfer::created_at.le(read.until))
        .into_boxed();
    if let Some(since) = read.since {
        query = query.filter(transfer::created_at.gt(since));
    }
    let new: Vec<Donation> = query
        .order((transfer::created_at.asc(), transfer::id.asc()))
        .select(columns)
        .limit(ROWS_PER_RUN)
        .load::<DonationRow>(conn)?
        .into_iter()
        .map(donation)
        .collect();
    let position = next_position(&new.iter().map(|d| d.at).collect::<Vec<_>>());
    let Some(first) = new.first().map(|d| d.at) else {
        return Ok(Run::nothing());
    };
    let days = TimeDelta::days(read.thresholds.cycle_days);
    let window: Vec<Donation> = transfer::table
        .filter(transfer::code.eq(TransferCode::Donate.as_str()))
        .filter(transfer::created_at.ge(first - days))
        .select(columns)
        .load::<DonationRow>(conn)?
        .into_iter()
        .map(donation)
        .collect();
    // Each account once: a storm of gifts among ten residents names ten accounts, not 40,000.
    let accounts: Vec<String> = window
        .iter()
        .flat_map(|d| [d.from.as_str(), d.to.as_str()])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let names = account_names(conn, &accounts)?;
    Ok(Run {
        findings: transfer_cycles(
            &new,
            &window,
            read.thresholds.cycle_accounts,
            read.thresholds.cycle_days,
            &names,
        ),
        position,
        rows: new.len(),
    })
}

/// What staff call each account: as its history does (a resident, an organisation, a label).
fn account_names(
    conn: &mut DbConnection,
    ids: &[String],
) -> DomainResult<HashMap<AccountId, String>> {
    let mut names = HashMap::new();
    for chunk in ids.chunks(500) {
        let counterparts = crate::ledger::store::counterparts(conn, chunk)?;
        names.extend(counterparts.into_values().map(|c| (c.account_id, c.name)));
    }
    Ok(names)
}

/// Merchants' days with confirmations in the window, each against its days before.
pub(crate) fn surge_findings(conn: &mut DbConnection, read: &Window) -> DomainResult<Run> {
    let confirmed = || {
        redemption::table
            .filter(redemption::status.eq(RedemptionStatus::Confirmed.as_str()))
            .into_boxed()
    };
    let mut newly = confirmed().filter(redemption::finished_at.le(read.until));
    if let Some(since) = read.since {
        newly = newly.filter(redemption::finished_at.gt(since));
    }
    let new: Vec<(MerchantId, NaiveDateTime)> = newly
        .order(redemption::finished_at.asc())
        .select((
            redemption::merchant_id,
            redemption::finished_at.assume_not_null(),
        ))
        .limit(ROWS_PER_RUN)
        .load(conn)?;
    let position = next_position(&new.iter().map(|r| r.1).collect::<Vec<_>>());
    let rows_read = new.len();
    let mut touched: BTreeMap<MerchantId, BTreeSet<String>> = BTreeMap::new();
    let mut earliest: HashMap<MerchantId, NaiveDateTime> = HashMap::new();
    for (merchant, at) in new {
        touched
            .entry(merchant.clone())
            .or_default()
            .insert(china_day(at));
        let first = earliest.entry(merchant).or_insert(at);
        *first = (*first).min(at);
    }
    let shops: HashMap<MerchantId, String> = merchant::table
        .filter(merchant::id.eq_any(touched.keys().map(MerchantId::as_str)))
        .select((merchant::id, merchant::shop_name))
        .load(conn)?
        .into_iter()
        .collect();
    let mut days = Vec::new();
    for (merchant, touched_days) in touched {
        let from = china_day_start(earliest[&merchant]) - TimeDelta::days(MERCHANT_HISTORY_DAYS);
        let rows: Vec<(RedemptionId, Option<UserId>, NaiveDateTime)> = confirmed()
            .filter(redemption::merchant_id.eq(merchant.as_str()))
            .filter(redemption::finished_at.ge(from))
            .select((
                redemption::id,
                redemption::finished_by,
                redemption::finished_at.assume_not_null(),
            ))
            .load(conn)?;
        let mut per_day: HashMap<String, Vec<(RedemptionId, Option<UserId>)>> = HashMap::new();
        for (id, by, at) in rows {
            per_day.entry(china_day(at)).or_default().push((id, by));
        }
        for day in touched_days {
            let start = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                .map_err(|_| DomainError::internal(format!("china day {day:?}")))?;
            let before = (1..=MERCHANT_HISTORY_DAYS)
                .map(|back| {
                    let earlier = (start - TimeDelta::days(back))
                        .format("%Y-%m-%d")
                        .to_string();
                    per_day
                        .get(&earlier)
                        .map_or(0, |d| i64::try_from(d.len()).unwrap_or(i64::MAX))
                })
                .collect();
            days.push(MerchantDay {
                merchant: merchant.clone(),
                shop: shops.get(&merchant).cloned().unwrap_or_default(),
                confirmed: per_day.get(&day).cloned().unwrap_or_default(),
                day,
                before,
            });
        }
    }
    let t = read.thresholds;
    Ok(Run {
        findings: merchant_surges(&days, t.merchant_factor, t.merchant_min),
        position,
        rows: rows_read,
    })
}

/// Residents who joined an organisation with shops in the window, with what they redeemed at
/// its shops before.
pub(crate) fn member_findings(conn: &mut DbConnection, read: &Window) -> DomainResult<Run> {
    let mut newly = organisation_member::table
        .inner_join(organisation::table)
        .inner_join(app_user::table)
        .filter(organisation_member::created_at.le(read.until))
        .into_boxed();
    if let Some(since) = read.since {
        newly = newly.filter(organisation_member::created_at.gt(since));
    }
    let joined: Vec<(UserId, String, OrganisationId, String, NaiveDateTime)> = newly
        .order(organisation_member::created_at.asc())
        .select((
            organisation_member::user_id,
            app_user::display_name,
            organisation_member::organisation_id,
            organisation::name,
            organisation_member::created_at,
        ))
        .limit(ROWS_PER_RUN)
        .load(conn)?;
    let position = next_position(&joined.iter().map(|j| j.4).collect::<Vec<_>>());
    let rows_read = joined.len();
    let Some(earliest) = joined.iter().map(|j| j.4).min() else {
        return Ok(Run::nothing());
    };
    let days = TimeDelta::days(read.thresholds.member_days);
    let users: BTreeSet<&str> = joined.iter().map(|j| j.0.as_str()).collect();
    let users: Vec<&str> = users.into_iter().collect();
    let organisations: BTreeSet<&str> = joined.iter().map(|j| j.2.as_str()).collect();
    // Confirmed redemptions of these residents at these organisations' shops, by resident and
    // organisation.
    let mut redeemed: HashMap<(String, String), Vec<Confirmed>> = HashMap::new();
    for chunk in users.chunks(500) {
        let rows: Vec<(
            UserId,
            OrganisationId,
            RedemptionId,
            String,
            i64,
            NaiveDateTime,
        )> = redemption::table
            .inner_join(merchant::table.on(merchant::id.eq(redemption::merchant_id)))
            .filter(redemption::user_id.eq_any(chunk))
            .filter(merchant::organisation_id.eq_any(&organisations))
            .filter(redemption::status.eq(RedemptionStatus::Confirmed.as_str()))
            .filter(redemption::finished_at.ge(earliest - days))
            .select((
                redemption::user_id,
                merchant::organisation_id,
                redemption::id,
                merchant::shop_name,
                redemption::points,
                redemption::finished_at.assume_not_null(),
            ))
            .load(conn)?;
        for (user, organisation, id, shop, points, at) in rows {
            redeemed
                .entry((user.to_string(), organisation.to_string()))
                .or_default()
                .push((id, shop, points, at));
        }
    }
    let joinings: Vec<Joining> = joined
        .into_iter()
        .filter_map(|(user, name, organisation, organisation_name, joined_at)| {
            let redemptions = redeemed.remove(&(user.to_string(), organisation.to_string()))?;
            Some(Joining {
                user,
                name,
                organisation,
                organisation_name,
                joined_at,
                redemptions,
            })
        })
        .collect();
    Ok(Run {
        findings: member_redemptions(&joinings, read.thresholds.member_days),
        position,
        rows: rows_read,
    })
}

fn ids_json<'a>(ids: impl Iterator<Item = &'a str>) -> DomainResult<String> {
    serde_json::to_string(&ids.collect::<Vec<&str>>())
        .map_err(|e| DomainError::internal(format!("case ids: {e}")))
}

/// Opens a case for the finding unless one is open or closed for it already: the new case.
pub(crate) fn open_case(
    conn: &mut DbConnection,
    finding: &Finding,
    now: NaiveDateTime,
) -> DomainResult<Option<ReviewCaseId>> {
    let evidence = serde_json::to_string(&finding.evidence)
        .map_err(|e| DomainError::internal(format!("evidence: {e}")))?;
    let transfers = ids_json(finding.transfers.iter().map(TransferId::as_str))?;
    let users = ids_json(finding.users.iter().map(UserId::as_str))?;
    let id = ReviewCaseId::generate();
    let opened = insert_unless_present(
        conn,
        &["review_case_finding_key", "review_case.finding"],
        |conn| {
            diesel::insert_into(review_case::table)
                .values((
                    review_case::id.eq(id.as_str()),
                    review_case::rule.eq(finding.rule.as_str()),
                    review_case::finding.eq(&finding.key),
                    review_case::subject_kind.eq(finding.subject_kind),
                    review_case::subject_id.eq(&finding.subject_id),
                    review_case::explanation.eq(&finding.explanation),
                    review_case::evidence.eq(&evidence),
                    review_case::status.eq(CaseStatus::Open.as_str()),
                    review_case::opened_at.eq(now),
                    review_case::transfers.eq(&transfers),
                    review_case::users.eq(&users),
                ))
                .execute(conn)
        },
    )?;
    Ok(opened.then_some(id))
}

/// Holds what the case's transfers paid into wallets, as far as each wallet still holds it:
/// one REVIEW_HOLD per wallet, from the wallet to its resident's hold.
pub(crate) fn hold(
    conn: &mut DbConnection,
    case: &ReviewCaseId,
    transfers: &[TransferId],
    now: NaiveDateTime,
) -> DomainResult<()> {
    let ids: Vec<&str> = transfers.iter().map(TransferId::as_str).collect();
    let mut paid: BTreeMap<AccountId, i64> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(AccountId, i64)> = transfer::table
            .inner_join(account::table.on(account::id.eq(transfer::credit_account_id)))
            .filter(transfer::id.eq_any(chunk))
            .filter(account::kind.eq(AccountKind::Wallet.as_str()))
            .select((transfer::credit_account_id, transfer::amount))
            .load(conn)?;
        for (wallet, amount) in rows {
            *paid.entry(wallet).or_default() += amount;
        }
    }
    for (wallet, amount) in paid {
        crate::ledger::store::lock_account(conn, &wallet)?;
        let found = crate::ledger::store::find_account(conn, &wallet)?
            .ok_or_else(|| DomainError::internal(format!("wallet {wallet} missing")))?;
        let held = amount.min(found.balance);
        let owner = found.owner_id.and_then(|o| UserId::parse(&o));
        let (Some(owner), true) = (owner, held > 0) else {
            continue;
        };
        let (_, hold) = crate::ledger::store::personal_accounts(conn, &owner)?;
        let step = NewTransfer::new(
            TransferCode::ReviewHold,
            &wallet,
            &hold,
            Points::positive(held, "points")?,
            "异常复核中，积分暂时冻结",
            now,
        );
        crate::ledger::store::post_step(
            conn,
            CASE_CAUSE,
            case.as_str(),
            &format!("hold:{wallet}"),
            step,
        )?;
    }
    Ok(())
}

/// Gives back what the case holds, each hold to the wallet it came from.
pub(crate) fn release(
    conn: &mut DbConnection,
    case: &ReviewCase,
    by: &UserId,
    now: NaiveDateTime,
) -> DomainResult<()> {
    let holds: Vec<(AccountId, AccountId, i64)> = transfer::table
        .filter(transfer::cause_kind.eq(CASE_CAUSE))
        .filter(transfer::cause_id.eq(case.id.as_str()))
        .filter(transfer::code.eq(TransferCode::ReviewHold.as_str()))
        .select((
            transfer::debit_account_id,
            transfer::credit_account_id,
            transfer::amount,
        ))
        .load(conn)?;
    for (wallet, hold, amount) in holds {
        let step = NewTransfer::new(
            TransferCode::ReviewRelease,
            &hold,
            &wallet,
            Points::positive(amount, "points")?,
            "异常复核结束，积分解冻",
            now,
        );
        crate::ledger::store::post_step(
            conn,
            CASE_CAUSE,
            case.id.as_str(),
            &format!("release:{wallet}"),
            step.by(by),
        )?;
    }
    Ok(())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = review_case)]
struct Row {
    id: ReviewCaseId,
    rule: Rule,
    subject_kind: String,
    subject_id: String,
    explanation: String,
    evidence: String,
    status: CaseStatus,
    opened_at: NaiveDateTime,
    decided_by: Option<UserId>,
    decided_at: Option<NaiveDateTime>,
    decision: Option<String>,
    transfers: String,
    users: String,
}

fn parsed_ids<T>(json: &str, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .filter_map(|id| parse(id))
        .collect()
}

/// Cases with what each holds now, in one query for the holds.
fn with_holds(conn: &mut DbConnection, rows: Vec<Row>) -> DomainResult<Vec<ReviewCase>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    // A case holds one wallet's points at most once, so these are a few rows per case.
    let moved: Vec<(Option<String>, String, i64)> = transfer::table
        .filter(transfer::cause_kind.eq(CASE_CAUSE))
        .filter(transfer::cause_id.eq_any(&ids))
        .select((transfer::cause_id, transfer::code, transfer::amount))
        .load(conn)?;
    let mut held: HashMap<String, i64> = HashMap::new();
    for (case, code, amount) in moved {
        let sign = if code == TransferCode::ReviewHold.as_str() {
            1
        } else {
            -1
        };
        *held.entry(case.unwrap_or_default()).or_default() += sign * amount;
    }
    Ok(rows
        .into_iter()
        .map(|row| ReviewCase {
            held: held.get(row.id.as_str()).copied().unwrap_or(0),
            transfers: parsed_ids(&row.transfers, TransferId::parse),
            users: parsed_ids(&row.users, UserId::parse),
            evidence: serde_json::from_str(&row.evidence).unwrap_or_default(),
            id: row.id,
            rule: row.rule,
            subject_kind: row.subject_kind,
            subject_id: row.subject_id,
            explanation: row.explanation,
            status: row.status,
            opened_at: row.opened_at,
            decided_by: row.decided_by,
            decided_at: row.decided_at,
            decision: row.decision,
        })
        .collect())
}

pub(crate) fn cases(
    conn: &mut DbConnection,
    status: CaseStatus,
    page: &PageRequest,
) -> DomainResult<(Vec<ReviewCase>, i64)> {
    let total = review_case::table
        .filter(review_case::status.eq(status.as_str()))
        .count()
        .get_result(conn)?;
    let query = review_case::table
        .filter(review_case::status.eq(status.as_str()))
        .select(Row::as_select())
        .into_boxed();
    let rows: Vec<Row> = keyset!(query, review_case::id, newest_first: true, page).load(conn)?;
    Ok((with_holds(conn, rows)?, total))
}

pub(crate) fn find(conn: &mut DbConnection, id: &ReviewCaseId) -> DomainResult<ReviewCase> {
    let row = review_case::table
        .find(id.as_str())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::NotFound {
            what: "复核案件"
        })?;
    with_holds(conn, vec![row])?
        .pop()
        .ok_or_else(|| DomainError::internal("case vanished"))
}

/// Closes an open case; false when it is missing or was closed already.
pub(crate) fn decide(
    conn: &mut DbConnection,
    id: &ReviewCaseId,
    status: CaseStatus,
    by: &UserId,
    reason: &str,
    at: NaiveDateTime,
) -> DomainResult<bool> {
    Ok(diesel::update(
        review_case::table
            .find(id.as_str())
            .filter(review_case::status.eq(CaseStatus::Open.as_str())),
    )
    .set((
        review_case::status.eq(status.as_str()),
        review_case::decided_by.eq(by.as_str()),
        review_case::decided_at.eq(at),
        review_case::decision.eq(reason),
    ))
    .execute(conn)?
        == 1)
}
