//! The review queue (异常复核): rules read attendance and the ledger for patterns no single
//! check catches — many accounts checked in and out at the very same second (代签), points
//! circulating in a loop among a few accounts — and open a case for staff with the rows they
//! saw and an explanation in Chinese. Staff clear a case, or close it as acted on once they have
//! reversed or suspended (with the ledger's and the directory's own actions), with a reason.
//!
//! Each rule is a small function over rows, with its threshold in configuration. The sweeper
//! runs them on every instance; a run reads only rows newer than the rule's cursor, a finding
//! opens at most one case (its name is unique), and the cursor row's lock lets one instance run
//! a rule at a time.

pub(crate) mod store;

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDateTime, TimeDelta, Timelike};

use crate::Services;
use crate::error::{DomainError, DomainResult};
use crate::identity::Actor;
use crate::page::{Page, PageRequest};
use crate::types::{AccountId, ActivityId, ParticipationId, ReviewCaseId, TransferId, UserId};

crate::types::text_enum!(
    /// The rules: many participations of one activity with identical check-in and check-out
    /// seconds; points donated around a loop of a few accounts.
    Rule {
        IdenticalAttendance => "IDENTICAL_ATTENDANCE",
        TransferCycle => "TRANSFER_CYCLE",
    }
);

crate::types::text_enum!(
    /// Where a case stands: open, cleared (nothing wrong), or acted on (staff reversed or
    /// suspended).
    CaseStatus {
        Open => "OPEN",
        Cleared => "CLEARED",
        Acted => "ACTED",
    }
);

/// The rules' thresholds, from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// This many participations of one activity with the same check-in and check-out second
    /// open a case (`LINLI_REVIEW_IDENTICAL_ATTENDANCE`).
    pub identical_attendance: usize,
    /// Loops of donations among at most this many accounts open a case
    /// (`LINLI_REVIEW_CYCLE_ACCOUNTS`).
    pub cycle_accounts: usize,
    /// ... when every donation of the loop falls within this many days
    /// (`LINLI_REVIEW_CYCLE_DAYS`).
    pub cycle_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            identical_attendance: 5,
            cycle_accounts: 3,
            cycle_days: 30,
        }
    }
}

/// The most rows one rule reads in one run; the next run reads on from its cursor.
pub const ROWS_PER_RUN: i64 = 2_000;
/// The most evidence lines a case keeps.
pub const EVIDENCE_LINES: usize = 200;

/// What a rule found: named so that finding it again opens nothing new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub key: String,
    pub subject_kind: &'static str,
    pub subject_id: String,
    pub explanation: String,
    pub evidence: Vec<String>,
}

/// A case for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewCase {
    pub id: ReviewCaseId,
    pub rule: Rule,
    pub subject_kind: String,
    pub subject_id: String,
    pub explanation: String,
    pub evidence: Vec<String>,
    pub status: CaseStatus,
    pub opened_at: NaiveDateTime,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision: Option<String>,
}

/// One verified participation as the attendance rule reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attendance {
    pub id: ParticipationId,
    pub activity_id: ActivityId,
    pub activity_title: String,
    pub name: String,
    pub checked_in_at: NaiveDateTime,
    pub checked_out_at: NaiveDateTime,
}

/// Participations of one activity sharing their check-in and check-out second, `min` or more
/// of them: people checked in together by one hand, not each on their own phone.
pub(crate) fn identical_attendance(rows: &[Attendance], min: usize) -> Vec<Finding> {
    let second = |t: NaiveDateTime| t.with_nanosecond(0).unwrap_or(t);
    let mut groups: HashMap<(&ActivityId, NaiveDateTime, NaiveDateTime), Vec<&Attendance>> =
        HashMap::new();
    for row in rows {
        groups
            .entry((
                &row.activity_id,
                second(row.checked_in_at),
                second(row.checked_out_at),
            ))
            .or_default()
            .push(row);
    }
    let mut found: Vec<Finding> = groups
        .into_iter()
        .filter(|(_, same)| same.len() >= min.max(2))
        .map(|((activity, checked_in, checked_out), same)| {
            let stamp = |t: NaiveDateTime| {
                crate::types::china_time(t)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            };
            Finding {
                rule: Rule::IdenticalAttendance,
                key: format!(
                    "IDENTICAL_ATTENDANCE:{activity}:{}:{}",
                    checked_in.and_utc().timestamp(),
                    checked_out.and_utc().timestamp()
                ),
                subject_kind: "activity",
                subject_id: activity.to_string(),
                explanation: format!(
                    "「{}」有 {} 人的签到和签退时间完全相同（精确到秒：{} 签到，{} 签退），可能是一人代签。",
                    same[0].activity_title,
                    same.len(),
                    stamp(checked_in),
                    stamp(checked_out)
                ),
                evidence: same
                    .iter()
                    .take(EVIDENCE_LINES)
                    .map(|p| format!("{}（参与记录 {}）", p.name, p.id))
                    .collect(),
            }
        })
        .collect();
    found.sort_by(|a, b| a.key.cmp(&b.key));
    found
}

/// One donation as the loop rule reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Donation {
    pub id: TransferId,
    pub from: AccountId,
    pub to: AccountId,
    pub amount: i64,
    pub at: NaiveDateTime,
}

/// Loops of donations through at most `max_accounts` accounts that close with one of `new`,
/// every donation within `days` of it: points passed around to look like giving, or to move
/// them where a rule would not let them go.
pub(crate) fn transfer_cycles(
    new: &[Donation],
    window: &[Donation],
    max_accounts: usize,
    days: i64,
    names: &HashMap<AccountId, String>,
) -> Vec<Finding> {
    let mut out: HashMap<&AccountId, Vec<&Donation>> = HashMap::new();
    for d in window {
        out.entry(&d.from).or_default().push(d);
    }
    let mut found: Vec<Finding> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for closing in new {
        let earliest = closing.at - TimeDelta::days(days);
        // Paths from the closing donation's receiver back to its giver, shortest first.
        let mut paths: Vec<Vec<&Donation>> = vec![vec![closing]];
        for _ in 1..max_accounts.max(2) {
            let mut longer = Vec::new();
            for path in &paths {
                let Some(last) = path.last() else { continue };
                if last.to == closing.from && path.len() > 1 {
                    continue;
                }
                for next in out.get(&last.to).into_iter().flatten() {
                    let visits: BTreeSet<&AccountId> = path.iter().map(|d| &d.from).collect();
                    if next.at < earliest
                        || next.at > closing.at + TimeDelta::days(days)
                        || path.iter().any(|d| d.id == next.id)
                        || (visits.contains(&next.to) && next.to != closing.from)
                    {
                        continue;
                    }
                    let mut extended = path.clone();
                    extended.push(next);
                    longer.push(extended);
                }
            }
            for path in &longer {
                if path.last().is_some_and(|d| d.to == closing.from) {
                    let accounts: BTreeSet<&AccountId> = path.iter().map(|d| &d.from).collect();
                    let key = format!(
                        "TRANSFER_CYCLE:{}",
                        accounts
                            .iter()
                            .map(|a| a.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    );
                    if seen.insert(key.clone()) {
                        found.push(cycle_finding(key, path, names));
                    }
                }
            }
            paths = longer;
        }
    }
    found
}

fn cycle_finding(key: String, path: &[&Donation], names: &HashMap<AccountId, String>) -> Finding {
    let name = |a: &AccountId| names.get(a).cloned().unwrap_or_else(|| a.to_string());
    let mut ordered: Vec<&Donation> = path.to_vec();
    ordered.sort_by_key(|d| d.at);
    let route = ordered
        .iter()
        .map(|d| name(&d.from))
        .chain(ordered.first().map(|d| name(&d.from)))
        .collect::<Vec<_>>()
        .join(" → ");
    let total: i64 = ordered.iter().map(|d| d.amount).sum();
    Finding {
        rule: Rule::TransferCycle,
        key,
        subject_kind: "account",
        subject_id: ordered
            .first()
            .map(|d| d.from.to_string())
            .unwrap_or_default(),
        explanation: format!(
            "{} 个账户之间积分循环转赠：{route}，共 {total} 分，积分转了一圈回到原处。",
            ordered.len()
        ),
        evidence: ordered
            .iter()
            .map(|d| {
                format!(
                    "{} → {}：{} 分，{}（流水 {}）",
                    name(&d.from),
                    name(&d.to),
                    d.amount,
                    crate::types::china_time(d.at).format("%Y-%m-%d %H:%M"),
                    d.id
                )
            })
            .collect(),
    }
}

/// How staff close a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing wrong: the pattern has an innocent reason.
    Cleared,
    /// Staff reversed the points or suspended the accounts.
    Acted,
}

pub struct Reviews<'a> {
    services: &'a Services,
}

impl<'a> Reviews<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// Runs every rule over what is new since its last run; the number of cases opened.
    pub fn run(&self) -> DomainResult<usize> {
        let thresholds = self.services.settings.review;
        let now = self.services.clock.now();
        let mut opened = 0;
        for &rule in Rule::ALL {
            opened += self.services.db.write(|conn| {
                // The cursor's row lock: one instance runs a rule at a time.
                let cursor = store::lock_cursor(conn, rule, now)?;
                let (findings, position) = match rule {
                    Rule::IdenticalAttendance => {
                        store::attendance_findings(conn, cursor.as_deref(), thresholds)?
                    }
                    Rule::TransferCycle => {
                        store::cycle_findings(conn, cursor.as_deref(), thresholds)?
                    }
                };
                let mut opened = 0;
                for finding in &findings {
                    if store::open_case(conn, finding, now)? {
                        opened += 1;
                    }
                }
                if let Some(position) = position {
                    store::move_cursor(conn, rule, &position, now)?;
                }
                Ok(opened)
            })?;
        }
        Ok(opened)
    }

    /// Staff: cases in a status (default open), newest first.
    pub fn cases(
        &self,
        actor: &Actor,
        status: CaseStatus,
        page: &PageRequest,
    ) -> DomainResult<Page<ReviewCase>> {
        actor.require_staff()?;
        self.services.db.read(|conn| {
            let (mut items, total) = store::cases(conn, status, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// Staff: one case.
    pub fn case(&self, actor: &Actor, id: &ReviewCaseId) -> DomainResult<ReviewCase> {
        actor.require_staff()?;
        self.services
            .db
            .read(|conn| store::find(conn, id))?
            .ok_or(DomainError::NotFound {
                what: "复核案件"
            })
    }

    /// Staff close an open case with a reason, once; audited.
    pub fn close(
        &self,
        actor: &Actor,
        id: &ReviewCaseId,
        outcome: Outcome,
        reason: &str,
    ) -> DomainResult<ReviewCase> {
        let staff = actor.require_staff()?;
        let reason = crate::types::text(reason, "reason", 2, 500)?;
        let now = self.services.clock.now();
        let status = match outcome {
            Outcome::Cleared => CaseStatus::Cleared,
            Outcome::Acted => CaseStatus::Acted,
        };
        self.services.db.write(|conn| {
            store::find(conn, id)?.ok_or(DomainError::NotFound {
                what: "复核案件"
            })?;
            if !store::decide(conn, id, status, staff, &reason, now)? {
                return Err(DomainError::AlreadyDecided);
            }
            crate::audit::record(
                conn,
                Some(staff),
                &format!("review.{}", status.as_str().to_lowercase()),
                "review_case",
                id.as_str(),
                &reason,
                now,
            )?;
            store::find(conn, id)?.ok_or_else(|| DomainError::internal("case vanished"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(minute: u32, second: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(2, minute, second))
            .unwrap()
    }

    fn attendance(n: usize, checked_in: NaiveDateTime) -> Vec<Attendance> {
        (0..n)
            .map(|i| Attendance {
                id: ParticipationId::generate(),
                activity_id: ActivityId::parse("0190aaaa-0000-7000-8000-000000000001").unwrap(),
                activity_title: "独居老人上门探访".to_owned(),
                name: format!("邻居{i}"),
                checked_in_at: checked_in,
                checked_out_at: at(50, 0),
            })
            .collect()
    }

    #[test]
    fn five_identical_seconds_are_a_finding_and_four_are_not() {
        assert_eq!(identical_attendance(&attendance(5, at(0, 7)), 5).len(), 1);
        assert!(identical_attendance(&attendance(4, at(0, 7)), 5).is_empty());
        let mut apart = attendance(4, at(0, 7));
        apart.extend(attendance(1, at(0, 8)));
        assert!(identical_attendance(&apart, 5).is_empty(), "a second apart");
    }

    fn account(n: u8) -> AccountId {
        AccountId::parse(&format!("0190aaaa-0000-7000-8000-0000000000{n:02}")).unwrap()
    }

    fn gift(from: u8, to: u8, minute: u32) -> Donation {
        Donation {
            id: TransferId::generate(),
            from: account(from),
            to: account(to),
            amount: 40,
            at: at(minute, 0),
        }
    }

    #[test]
    fn a_loop_of_three_is_found_once_and_a_chain_is_not() {
        let names = HashMap::new();
        let window = vec![gift(1, 2, 0), gift(2, 3, 1), gift(3, 1, 2)];
        let found = transfer_cycles(&window[2..], &window, 3, 30, &names);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].explanation.starts_with("3 个账户"),
            "{:?}",
            found[0]
        );
        assert_eq!(transfer_cycles(&window, &window, 3, 30, &names).len(), 1);
        let chain = vec![gift(1, 2, 0), gift(2, 3, 1), gift(3, 4, 2)];
        assert!(transfer_cycles(&chain, &chain, 3, 30, &names).is_empty());
        let four = vec![gift(1, 2, 0), gift(2, 3, 1), gift(3, 4, 2), gift(4, 1, 3)];
        assert!(
            transfer_cycles(&four, &four, 3, 30, &names).is_empty(),
            "beyond 3 accounts"
        );
        assert_eq!(transfer_cycles(&four, &four, 4, 30, &names).len(), 1);
    }

    #[test]
    fn a_gift_returned_is_a_loop_of_two() {
        let window = vec![gift(1, 2, 0), gift(2, 1, 5)];
        assert_eq!(
            transfer_cycles(&window, &window, 3, 30, &HashMap::new()).len(),
            1
        );
    }
}
