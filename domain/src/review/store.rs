//! The review queue's SQL.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    Attendance, CaseStatus, Donation, Finding, ROWS_PER_RUN, ReviewCase, Rule, Thresholds,
    identical_attendance, transfer_cycles,
};
use crate::db::{DbConnection, insert_unless_present};
use crate::error::{DomainError, DomainResult};
use crate::ledger::{AccountKind, TransferCode};
use crate::page::{PageRequest, keyset};
use crate::schema::{
    account, activity, app_user, participation, review_case, review_cursor, transfer,
};
use crate::types::{AccountId, ActivityId, ParticipationId, ReviewCaseId, TransferId, UserId};

/// Where the rule's last run stopped, taking the cursor row's lock (made on the first run) so
/// that a second instance running the rule waits and then reads on from there.
pub(crate) fn lock_cursor(
    conn: &mut DbConnection,
    rule: Rule,
    now: NaiveDateTime,
) -> DomainResult<Option<String>> {
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
    Ok(Some(position).filter(|p| !p.is_empty()))
}

pub(crate) fn move_cursor(
    conn: &mut DbConnection,
    rule: Rule,
    position: &str,
    now: NaiveDateTime,
) -> DomainResult<()> {
    diesel::update(review_cursor::table.find(rule.as_str()))
        .set((
            review_cursor::position.eq(position),
            review_cursor::ran_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// (participation, activity, its title, the participant's name, check-in, check-out).
type AttendanceRow = (
    ParticipationId,
    ActivityId,
    String,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// Activities with participations verified since the cursor (a verification instant), read in
/// full, and where the next run starts.
pub(crate) fn attendance_findings(
    conn: &mut DbConnection,
    cursor: Option<&str>,
    thresholds: Thresholds,
) -> DomainResult<(Vec<Finding>, Option<String>)> {
    let since = cursor
        .map(|c| {
            NaiveDateTime::parse_from_str(c, "%Y-%m-%dT%H:%M:%S%.f")
                .map_err(|_| DomainError::internal(format!("review cursor {c:?}")))
        })
        .transpose()?;
    let mut newly = participation::table
        .filter(participation::verified_at.is_not_null())
        .into_boxed();
    if let Some(since) = since {
        newly = newly.filter(participation::verified_at.gt(since));
    }
    let verified: Vec<(ActivityId, Option<NaiveDateTime>)> = newly
        .order(participation::verified_at.asc())
        .select((participation::activity_id, participation::verified_at))
        .limit(ROWS_PER_RUN)
        .load(conn)?;
    let Some(last) = verified.iter().filter_map(|(_, at)| *at).max() else {
        return Ok((Vec::new(), None));
    };
    // A bulk verification gives up to 200 rows one instant, and a full page may stop among
    // them: the next run then starts before that instant and reads them again (finding again
    // opens nothing new).
    let full = i64::try_from(verified.len()).unwrap_or(i64::MAX) >= ROWS_PER_RUN;
    let position = if full {
        verified
            .iter()
            .filter_map(|(_, at)| *at)
            .filter(|at| *at < last)
            .max()
            .unwrap_or(last)
    } else {
        last
    };
    let mut activities: Vec<ActivityId> = verified.into_iter().map(|(a, _)| a).collect();
    activities.sort();
    activities.dedup();
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
            app_user::display_name,
            participation::checked_in_at,
            participation::checked_out_at,
        ))
        .load(conn)?;
    let attendance: Vec<Attendance> = rows
        .into_iter()
        .filter_map(|(id, activity_id, title, name, checked_in, checked_out)| {
            Some(Attendance {
                id,
                activity_id,
                activity_title: title,
                name,
                checked_in_at: checked_in?,
                checked_out_at: checked_out?,
            })
        })
        .collect();
    Ok((
        identical_attendance(&attendance, thresholds.identical_attendance),
        Some(position.format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
    ))
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

/// Loops closed by donations posted since the cursor (a transfer id, time-ordered), and where
/// the next run starts.
pub(crate) fn cycle_findings(
    conn: &mut DbConnection,
    cursor: Option<&str>,
    thresholds: Thresholds,
) -> DomainResult<(Vec<Finding>, Option<String>)> {
    let columns = (
        transfer::id,
        transfer::debit_account_id,
        transfer::credit_account_id,
        transfer::amount,
        transfer::created_at,
    );
    let mut query = transfer::table
        .filter(transfer::code.eq(TransferCode::Donate.as_str()))
        .into_boxed();
    if let Some(after) = cursor {
        query = query.filter(transfer::id.gt(after.to_owned()));
    }
    let new: Vec<Donation> = query
        .order(transfer::id.asc())
        .select(columns)
        .limit(ROWS_PER_RUN)
        .load::<DonationRow>(conn)?
        .into_iter()
        .map(donation)
        .collect();
    let (Some(first), Some(last)) = (
        new.iter().map(|d| d.at).min(),
        new.last().map(|d| d.id.to_string()),
    ) else {
        return Ok((Vec::new(), None));
    };
    let days = chrono::TimeDelta::days(thresholds.cycle_days);
    let window: Vec<Donation> = transfer::table
        .filter(transfer::code.eq(TransferCode::Donate.as_str()))
        .filter(transfer::created_at.ge(first - days))
        .select(columns)
        .load::<DonationRow>(conn)?
        .into_iter()
        .map(donation)
        .collect();
    let accounts: Vec<&str> = window
        .iter()
        .flat_map(|d| [d.from.as_str(), d.to.as_str()])
        .collect();
    let names = account_names(conn, &accounts)?;
    Ok((
        transfer_cycles(
            &new,
            &window,
            thresholds.cycle_accounts,
            thresholds.cycle_days,
            &names,
        ),
        Some(last),
    ))
}

/// What staff call each account: a wallet by its resident's name, anything else by its kind.
fn account_names(
    conn: &mut DbConnection,
    ids: &[&str],
) -> DomainResult<HashMap<AccountId, String>> {
    let mut names = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(AccountId, AccountKind, Option<String>, Option<String>)> = account::table
            .left_join(app_user::table.on(account::owner_id.eq(app_user::id.nullable())))
            .filter(account::id.eq_any(chunk))
            .select((
                account::id,
                account::kind,
                account::owner_id,
                app_user::display_name.nullable(),
            ))
            .load(conn)?;
        for (id, kind, owner, name) in rows {
            let label = match (kind, name) {
                (AccountKind::Wallet, Some(name)) => format!("{name}的钱包"),
                (kind, _) => format!("{}账户 {}", kind.as_str(), owner.unwrap_or_default()),
            };
            names.insert(id, label);
        }
    }
    Ok(names)
}

/// Opens a case for the finding unless one is open or closed for it already.
pub(crate) fn open_case(
    conn: &mut DbConnection,
    finding: &Finding,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    let evidence = serde_json::to_string(&finding.evidence)
        .map_err(|e| DomainError::internal(format!("evidence: {e}")))?;
    insert_unless_present(
        conn,
        &["review_case_finding_key", "review_case.finding"],
        |conn| {
            diesel::insert_into(review_case::table)
                .values((
                    review_case::id.eq(ReviewCaseId::generate().as_str()),
                    review_case::rule.eq(finding.rule.as_str()),
                    review_case::finding.eq(&finding.key),
                    review_case::subject_kind.eq(finding.subject_kind),
                    review_case::subject_id.eq(&finding.subject_id),
                    review_case::explanation.eq(&finding.explanation),
                    review_case::evidence.eq(&evidence),
                    review_case::status.eq(CaseStatus::Open.as_str()),
                    review_case::opened_at.eq(now),
                ))
                .execute(conn)
        },
    )
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
}

impl From<Row> for ReviewCase {
    fn from(row: Row) -> Self {
        Self {
            id: row.id,
            rule: row.rule,
            subject_kind: row.subject_kind,
            subject_id: row.subject_id,
            explanation: row.explanation,
            evidence: serde_json::from_str(&row.evidence).unwrap_or_default(),
            status: row.status,
            opened_at: row.opened_at,
            decided_by: row.decided_by,
            decided_at: row.decided_at,
            decision: row.decision,
        }
    }
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
    Ok((rows.into_iter().map(Into::into).collect(), total))
}

pub(crate) fn find(conn: &mut DbConnection, id: &ReviewCaseId) -> DomainResult<Option<ReviewCase>> {
    Ok(review_case::table
        .find(id.as_str())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Into::into))
}

/// Closes an open case; false when it was closed already.
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
