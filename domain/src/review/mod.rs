//! The review queue (异常复核): rules read attendance, the ledger, sign-ins and redemptions for
//! patterns no single check catches — many accounts checked in and out at the very same second
//! (代签), one resident credited twice for the same minutes, many accounts behind one client
//! address, points circulating in a loop among a few accounts, a merchant confirming far more
//! than it usually does, a resident who redeemed at a shop and then joined it — and open a case
//! for staff with the rows they saw and an explanation in Chinese. Where the rule says so, the
//! case holds the points it is about (a ledger hold, REVIEW_HOLD) until staff close it: they
//! clear it (the points come back), or act on it — reverse the transfers it names, suspend the
//! residents — with a reason, audited.
//!
//! Each rule is a small function over rows, with its threshold in configuration. The sweeper
//! runs them on every instance; a run reads only rows newer than the rule's cursor and older
//! than [`SETTLE`], a finding opens at most one case (its name is unique), and the cursor row's
//! lock lets one instance run a rule at a time.

pub(crate) mod store;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDateTime, TimeDelta, Timelike};

use crate::Services;
use crate::error::{DomainError, DomainResult};
use crate::identity::Actor;
use crate::page::{Page, PageRequest};
use crate::types::{
    AccountId, ActivityId, MerchantId, OrganisationId, ParticipationId, RedemptionId, ReviewCaseId,
    TransferId, UserId, china_time,
};

crate::types::text_enum!(
    /// The rules, each a function below: identical check-in and check-out seconds; minutes
    /// credited twice; accounts behind one address; donation loops; a merchant's surge; a
    /// redemption at a shop the resident then joined.
    Rule {
        IdenticalAttendance => "IDENTICAL_ATTENDANCE",
        OverlappingMinutes => "OVERLAPPING_MINUTES",
        AccountsPerAddress => "ACCOUNTS_PER_ADDRESS",
        TransferCycle => "TRANSFER_CYCLE",
        MerchantSurge => "MERCHANT_SURGE",
        MemberRedemption => "MEMBER_REDEMPTION",
    }
);

impl Rule {
    /// Whether a case of this rule holds the points it names until it closes: points earned by
    /// attendance that may not have happened. The others are about points already spent or
    /// moved between residents, where holding would punish the receiver.
    pub fn holds(self) -> bool {
        matches!(self, Rule::IdenticalAttendance | Rule::OverlappingMinutes)
    }
}

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
    /// Two verified participations of one resident overlapping by this many minutes open a
    /// case (`LINLI_REVIEW_OVERLAP_MINUTES`).
    pub overlap_minutes: i64,
    /// More than this many accounts signing in from one client address in a day open a case
    /// (`LINLI_REVIEW_ADDRESS_ACCOUNTS`).
    pub address_accounts: usize,
    /// A merchant's confirmations in a day at least this many times its median day
    /// (`LINLI_REVIEW_MERCHANT_FACTOR`) ...
    pub merchant_factor: i64,
    /// ... and at least this many (`LINLI_REVIEW_MERCHANT_MIN`) open a case.
    pub merchant_min: i64,
    /// A resident joining a merchant's organisation within this many days after redeeming
    /// there opens a case (`LINLI_REVIEW_MEMBER_DAYS`).
    pub member_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            identical_attendance: 5,
            cycle_accounts: 3,
            cycle_days: 30,
            overlap_minutes: 30,
            address_accounts: 10,
            merchant_factor: 5,
            merchant_min: 20,
            member_days: 90,
        }
    }
}

/// The most rows one rule reads in one run; the next run reads on from its cursor.
pub const ROWS_PER_RUN: i64 = 2_000;
/// Rules read rows at least this old: a row is stamped when its transaction starts, so one
/// younger than this may still commit behind a cursor that has moved past it.
pub const SETTLE: TimeDelta = TimeDelta::minutes(1);
/// The days before a merchant's day whose median the surge rule compares it with.
pub const MERCHANT_HISTORY_DAYS: i64 = 28;
/// The most evidence lines a case keeps.
pub const EVIDENCE_LINES: usize = 200;
/// The most transfer and resident ids the API lists for a case; acting on it covers them all.
pub const SUBJECTS_LISTED: usize = 500;

/// What a rule found: named so that finding it again opens nothing new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub key: String,
    pub subject_kind: &'static str,
    pub subject_id: String,
    pub explanation: String,
    pub evidence: Vec<String>,
    /// What acting on the case reverses (and, where the rule holds, what it holds).
    pub transfers: Vec<TransferId>,
    /// Whom acting on the case suspends.
    pub users: Vec<UserId>,
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
    pub transfers: Vec<TransferId>,
    pub users: Vec<UserId>,
    /// Points the case holds now (held when it opened, released when it closed).
    pub held: i64,
}

/// One verified participation as the attendance rule reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attendance {
    pub id: ParticipationId,
    pub activity_id: ActivityId,
    pub activity_title: String,
    pub user: UserId,
    pub name: String,
    pub checked_in_at: NaiveDateTime,
    pub checked_out_at: NaiveDateTime,
    /// What the participation earned, unless that was reversed.
    pub earn: Option<TransferId>,
}

/// An instant as staff read it, in China Standard Time.
fn stamp(t: NaiveDateTime) -> String {
    china_time(t).format("%Y-%m-%d %H:%M:%S").to_string()
}

fn sorted_unique<T: Ord + Clone>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    items
        .into_iter()
        .collect::<BTreeSet<T>>()
        .into_iter()
        .collect()
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
        .map(|((activity, checked_in, checked_out), same)| Finding {
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
                transfers: sorted_unique(same.iter().filter_map(|p| p.earn.clone())),
                users: sorted_unique(same.iter().map(|p| p.user.clone())),
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
    // Donations by giver and receiver, oldest first. Loops are searched over accounts, so the
    // work grows with the accounts involved, not with how often they gave to each other (a
    // thousand donations round three accounts are still one loop to find).
    let mut edges: HashMap<&AccountId, BTreeMap<&AccountId, Vec<&Donation>>> = HashMap::new();
    for d in window {
        edges
            .entry(&d.from)
            .or_default()
            .entry(&d.to)
            .or_default()
            .push(d);
    }
    for given in edges.values_mut().flat_map(BTreeMap::values_mut) {
        given.sort_by_key(|d| d.at);
    }
    let mut found: Vec<Finding> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for closing in new {
        let (earliest, latest) = (
            closing.at - TimeDelta::days(days),
            closing.at + TimeDelta::days(days),
        );
        // The first donation from one account to another within the closing one's days.
        let within = |from: &AccountId, to: &AccountId| {
            edges
                .get(from)?
                .get(to)?
                .iter()
                .copied()
                .find(|d| d.at >= earliest && d.at <= latest && d.id != closing.id)
        };
        // Paths from the closing donation's receiver back to its giver, shortest first.
        let mut paths: std::collections::VecDeque<Vec<&Donation>> = [vec![closing]].into();
        while let Some(path) = paths.pop_front() {
            let Some(last) = path.last() else { continue };
            if last.to == closing.from && path.len() > 1 {
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
                    found.push(cycle_finding(key, &path, names));
                }
                continue;
            }
            if path.len() >= max_accounts.max(2) {
                continue;
            }
            for to in edges.get(&last.to).into_iter().flat_map(BTreeMap::keys) {
                let visited = path.iter().any(|d| d.from == **to);
                if visited && **to != closing.from {
                    continue;
                }
                if let Some(next) = within(&last.to, to) {
                    let mut longer = path.clone();
                    longer.push(next);
                    paths.push_back(longer);
                }
            }
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
        transfers: sorted_unique(ordered.iter().map(|d| d.id.clone())),
        users: Vec::new(),
    }
}

/// One resident's verified service as the overlap rule reads it: the minutes that counted,
/// within the activity's window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Service {
    pub id: ParticipationId,
    pub user: UserId,
    pub name: String,
    pub activity_title: String,
    pub from: NaiveDateTime,
    pub until: NaiveDateTime,
    pub earn: Option<TransferId>,
}

/// Pairs of one resident's participations whose counted minutes overlap by `min_minutes` or
/// more: each is within its own activity's window, so no single check refuses them, but nobody
/// serves in two places at once. Acting reverses what the later one earned.
pub(crate) fn overlapping_minutes(rows: &[Service], min_minutes: i64) -> Vec<Finding> {
    let mut by_user: BTreeMap<&UserId, Vec<&Service>> = BTreeMap::new();
    for row in rows {
        by_user.entry(&row.user).or_default().push(row);
    }
    let mut found = Vec::new();
    for services in by_user.values_mut() {
        services.sort_by(|a, b| (a.from, &a.id).cmp(&(b.from, &b.id)));
        for (i, first) in services.iter().enumerate() {
            for second in &services[i + 1..] {
                if second.from >= first.until {
                    break;
                }
                let overlap = (first.until.min(second.until) - second.from).num_minutes();
                if overlap < min_minutes.max(1) {
                    continue;
                }
                let (earlier, later) = if first.id < second.id {
                    (first, second)
                } else {
                    (second, first)
                };
                let line = |s: &Service| {
                    format!(
                        "「{}」{} 至 {}（参与记录 {}）",
                        s.activity_title,
                        stamp(s.from),
                        stamp(s.until),
                        s.id
                    )
                };
                found.push(Finding {
                    rule: Rule::OverlappingMinutes,
                    key: format!("OVERLAPPING_MINUTES:{}:{}", earlier.id, later.id),
                    subject_kind: "user",
                    subject_id: first.user.to_string(),
                    explanation: format!(
                        "{}在「{}」和「{}」的服务时间重叠 {overlap} 分钟，同一段时间被计了两次服务时长。",
                        first.name, earlier.activity_title, later.activity_title
                    ),
                    evidence: vec![line(earlier), line(later)],
                    transfers: later.earn.iter().cloned().collect(),
                    users: vec![first.user.clone()],
                });
            }
        }
    }
    found
}

/// One account signing in from one client address on one day (China Standard Time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sighting {
    pub address: String,
    pub day: String,
    pub user: UserId,
    pub name: String,
    pub seen_at: NaiveDateTime,
}

/// Client addresses that more than `max` accounts signed in from on one day: one person running
/// many accounts (a shared network, such as a community centre's, is the innocent reason).
pub(crate) fn accounts_per_address(rows: &[Sighting], max: usize) -> Vec<Finding> {
    let mut groups: BTreeMap<(&str, &str), Vec<&Sighting>> = BTreeMap::new();
    for row in rows {
        groups
            .entry((row.address.as_str(), row.day.as_str()))
            .or_default()
            .push(row);
    }
    groups
        .into_iter()
        .filter(|(_, seen)| seen.len() > max)
        .map(|((address, day), mut seen)| {
            seen.sort_by_key(|s| s.seen_at);
            Finding {
                rule: Rule::AccountsPerAddress,
                key: format!("ACCOUNTS_PER_ADDRESS:{address}:{day}"),
                subject_kind: "address",
                subject_id: address.to_owned(),
                explanation: format!(
                    "{day} 有 {} 个账户从同一网络地址 {address} 登录（超过 {max} 个），可能是一人操作多个账户；社区活动中心等共用网络时属正常。",
                    seen.len()
                ),
                evidence: seen
                    .iter()
                    .take(EVIDENCE_LINES)
                    .map(|s| format!("{}，{} 首次登录", s.name, stamp(s.seen_at)))
                    .collect(),
                transfers: Vec::new(),
                users: sorted_unique(seen.iter().map(|s| s.user.clone())),
            }
        })
        .collect()
}

/// One merchant's confirmations on one day, and its days before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MerchantDay {
    pub merchant: MerchantId,
    pub shop: String,
    pub day: String,
    /// The redemptions confirmed that day, with who confirmed each.
    pub confirmed: Vec<(RedemptionId, Option<UserId>)>,
    /// Confirmations on each of the [`MERCHANT_HISTORY_DAYS`] days before, zeros included.
    pub before: Vec<i64>,
}

fn median(counts: &[i64]) -> i64 {
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => 0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// Days on which a merchant confirmed at least `min` redemptions and at least `factor` times
/// its median day: codes confirmed in bulk without residents at the counter.
pub(crate) fn merchant_surges(days: &[MerchantDay], factor: i64, min: i64) -> Vec<Finding> {
    days.iter()
        .filter_map(|d| {
            let count = i64::try_from(d.confirmed.len()).unwrap_or(i64::MAX);
            let usual = median(&d.before);
            if count < min.max(1) || count < factor.saturating_mul(usual.max(1)) {
                return None;
            }
            Some(Finding {
                rule: Rule::MerchantSurge,
                key: format!("MERCHANT_SURGE:{}:{}", d.merchant, d.day),
                subject_kind: "merchant",
                subject_id: d.merchant.to_string(),
                explanation: format!(
                    "「{}」{} 核销 {count} 笔兑换，此前 {MERCHANT_HISTORY_DAYS} 天每天的中位数是 {usual} 笔，远高于平常。",
                    d.shop, d.day
                ),
                evidence: d
                    .confirmed
                    .iter()
                    .take(EVIDENCE_LINES)
                    .map(|(id, _)| format!("兑换 {id}"))
                    .collect(),
                transfers: Vec::new(),
                users: sorted_unique(d.confirmed.iter().filter_map(|(_, by)| by.clone())),
            })
        })
        .collect()
}

/// A resident who joined an organisation that runs shops, with what they redeemed at those
/// shops before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Joining {
    pub user: UserId,
    pub name: String,
    pub organisation: OrganisationId,
    pub organisation_name: String,
    pub joined_at: NaiveDateTime,
    pub redemptions: Vec<Confirmed>,
}

/// A confirmed redemption at one of an organisation's shops: id, shop, points, when confirmed.
pub(crate) type Confirmed = (RedemptionId, String, i64, NaiveDateTime);

/// Residents who redeemed at a shop within `days` before joining its organisation: members may
/// not redeem where they work (refused at the counter), so redeeming first and joining after is
/// how it would be done.
pub(crate) fn member_redemptions(joinings: &[Joining], days: i64) -> Vec<Finding> {
    joinings
        .iter()
        .filter_map(|j| {
            let earliest = j.joined_at - TimeDelta::days(days);
            let before: Vec<_> = j
                .redemptions
                .iter()
                .filter(|(_, _, _, at)| *at >= earliest && *at <= j.joined_at)
                .collect();
            if before.is_empty() {
                return None;
            }
            let points: i64 = before.iter().map(|(_, _, p, _)| p).sum();
            Some(Finding {
                rule: Rule::MemberRedemption,
                key: format!("MEMBER_REDEMPTION:{}:{}", j.user, j.organisation),
                subject_kind: "user",
                subject_id: j.user.to_string(),
                explanation: format!(
                    "{}于 {} 加入「{}」，加入前 {days} 天内在该组织的商家兑换了 {} 笔共 {points} 分；本店成员不能在本店兑换。",
                    j.name,
                    stamp(j.joined_at),
                    j.organisation_name,
                    before.len()
                ),
                evidence: before
                    .iter()
                    .take(EVIDENCE_LINES)
                    .map(|(id, shop, p, at)| {
                        format!("「{shop}」{} 核销 {p} 分（兑换 {id}）", stamp(*at))
                    })
                    .collect(),
                transfers: Vec::new(),
                users: vec![j.user.clone()],
            })
        })
        .collect()
}

/// How staff close a case. Either way the points it holds come back to their wallets first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing wrong: the pattern has an innocent reason.
    Cleared,
    /// Something was wrong: reverse the transfers the case names (by the ledger's rules for
    /// staff reversals: separation of duties, a second staff member above the dual-control
    /// amount), suspend the residents it names, or neither when staff acted elsewhere.
    Acted { reverse: bool, suspend: bool },
}

/// What one rule's run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleRun {
    pub rule: Rule,
    /// Pages of new rows read, each in its own transaction.
    pub pages: usize,
    /// New rows read.
    pub rows: usize,
    /// Cases opened.
    pub opened: usize,
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
        let mut opened = 0;
        for &rule in Rule::ALL {
            opened += self.run_rule(rule)?.opened;
        }
        Ok(opened)
    }

    /// Runs one rule until it has read everything new, a page of [`ROWS_PER_RUN`] rows per
    /// transaction, so that a first run over a district's history (or a backlog) catches up
    /// in one sweep without one long transaction.
    pub fn run_rule(&self, rule: Rule) -> DomainResult<RuleRun> {
        let thresholds = self.services.settings.review;
        let mut done = RuleRun {
            rule,
            pages: 0,
            rows: 0,
            opened: 0,
        };
        loop {
            let now = self.services.clock.now();
            let (read, more) = self.services.db.write(|conn| {
                // The cursor's row lock: one instance runs a rule at a time.
                let since = store::lock_cursor(conn, rule, now)?;
                let window = store::Window {
                    since,
                    until: now - SETTLE,
                    thresholds,
                };
                let read = match rule {
                    Rule::IdenticalAttendance => store::attendance_findings(conn, &window)?,
                    Rule::OverlappingMinutes => store::overlap_findings(conn, &window)?,
                    Rule::AccountsPerAddress => store::address_findings(conn, &window)?,
                    Rule::TransferCycle => store::cycle_findings(conn, &window)?,
                    Rule::MerchantSurge => store::surge_findings(conn, &window)?,
                    Rule::MemberRedemption => store::member_findings(conn, &window)?,
                };
                let mut opened = 0;
                for finding in &read.findings {
                    if let Some(case) = store::open_case(conn, finding, now)? {
                        if rule.holds() {
                            store::hold(conn, &case, &finding.transfers, now)?;
                        }
                        opened += 1;
                    }
                }
                if let Some(position) = read.position {
                    store::move_cursor(conn, rule, position, now)?;
                }
                // A full page that moved the cursor may have more behind it; one that could
                // not move it (a single instant's rows filling it) waits for the next sweep.
                let full = i64::try_from(read.rows).unwrap_or(i64::MAX) >= ROWS_PER_RUN;
                let moved = read.position.is_some_and(|p| since.is_none_or(|s| p > s));
                Ok(((read.rows, opened), full && moved))
            })?;
            done.pages += 1;
            done.rows += read.0;
            done.opened += read.1;
            if !more {
                return Ok(done);
            }
        }
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
        self.services.db.read(|conn| store::find(conn, id))
    }

    /// Staff close an open case with a reason, once, in one transaction: its holds are
    /// released, then — when they act — its transfers reversed and its residents suspended.
    /// Audited; any refusal (a reversal the ledger refuses, points already spent) leaves the
    /// case open and nothing moved.
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
        let (status, reverse, suspend) = match outcome {
            Outcome::Cleared => (CaseStatus::Cleared, false, false),
            Outcome::Acted { reverse, suspend } => (CaseStatus::Acted, reverse, suspend),
        };
        let settings = &self.services.settings;
        self.services.db.write(|conn| {
            if !store::decide(conn, id, status, staff, &reason, now)? {
                // Missing, or closed first by someone else.
                store::find(conn, id)?;
                return Err(DomainError::AlreadyDecided);
            }
            let case = store::find(conn, id)?;
            store::release(conn, &case, staff, now)?;
            if reverse {
                for transfer in &case.transfers {
                    let done = crate::ledger::service::reverse_for_review(
                        conn, settings, staff, transfer, &case.id, &reason, now,
                    );
                    match done {
                        Ok(_) | Err(DomainError::AlreadyReversed) => {}
                        Err(err) => return Err(err),
                    }
                }
            }
            if suspend {
                for user in &case.users {
                    crate::identity::service::suspend_for_review(conn, staff, user, &reason, now)?;
                }
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
            // Read after deciding, so only what the release just gave back has changed.
            Ok(ReviewCase { held: 0, ..case })
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
                user: UserId::generate(),
                name: format!("邻居{i}"),
                checked_in_at: checked_in,
                checked_out_at: at(50, 0),
                earn: Some(TransferId::generate()),
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
    fn thousands_of_gifts_round_a_ring_are_searched_by_account_not_by_gift() {
        // Eight residents each giving the next a point, 500 times over: enumerating gifts
        // would be 500 choices per step; by account it is one ring to find.
        let window: Vec<Donation> = (0..500u32)
            .flat_map(|round| (1..=8u8).map(move |from| gift(from, from % 8 + 1, round % 60)))
            .collect();
        let found = transfer_cycles(&window, &window, 4, 30, &HashMap::new());
        assert!(found.is_empty(), "a ring of eight is beyond four accounts");
        let found = transfer_cycles(&window, &window, 8, 30, &HashMap::new());
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn a_gift_returned_is_a_loop_of_two() {
        let window = vec![gift(1, 2, 0), gift(2, 1, 5)];
        assert_eq!(
            transfer_cycles(&window, &window, 3, 30, &HashMap::new()).len(),
            1
        );
    }
    fn service(user: &UserId, from: u32, until: u32) -> Service {
        Service {
            id: ParticipationId::generate(),
            user: user.clone(),
            name: "张三".to_owned(),
            activity_title: "社区环境清洁".to_owned(),
            from: at(from, 0),
            until: at(until, 0),
            earn: Some(TransferId::generate()),
        }
    }

    #[test]
    fn thirty_minutes_counted_twice_are_a_finding_and_twenty_nine_are_not() {
        let user = UserId::generate();
        let rows = vec![service(&user, 0, 40), service(&user, 10, 59)];
        let found = overlapping_minutes(&rows, 30);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].transfers, vec![rows[1].earn.clone().unwrap()]);
        let near = vec![service(&user, 0, 40), service(&user, 11, 59)];
        assert!(overlapping_minutes(&near, 30).is_empty());
        let other = UserId::generate();
        let two_people = vec![service(&user, 0, 40), service(&other, 0, 40)];
        assert!(overlapping_minutes(&two_people, 30).is_empty());
    }

    fn sighting(address: &str, minute: u32) -> Sighting {
        Sighting {
            address: address.to_owned(),
            day: "2026-12-01".to_owned(),
            user: UserId::generate(),
            name: format!("居民{minute}"),
            seen_at: at(minute, 0),
        }
    }

    #[test]
    fn one_account_more_than_allowed_from_an_address_is_a_finding() {
        let eleven: Vec<Sighting> = (0..11).map(|m| sighting("203.0.113.7", m)).collect();
        assert_eq!(accounts_per_address(&eleven, 10).len(), 1);
        assert!(accounts_per_address(&eleven[..10], 10).is_empty());
        let mut spread: Vec<Sighting> = (0..10).map(|m| sighting("203.0.113.7", m)).collect();
        spread.push(sighting("203.0.113.8", 10));
        assert!(accounts_per_address(&spread, 10).is_empty());
    }

    fn merchant_day(confirmed: usize, before: Vec<i64>) -> MerchantDay {
        MerchantDay {
            merchant: MerchantId::generate(),
            shop: "和美理发店".to_owned(),
            day: "2026-12-01".to_owned(),
            confirmed: (0..confirmed)
                .map(|_| (RedemptionId::generate(), Some(UserId::generate())))
                .collect(),
            before,
        }
    }

    #[test]
    fn a_surge_is_five_times_the_median_and_at_least_the_minimum() {
        assert_eq!(median(&[0, 4, 4, 5]), 4);
        let usual = vec![4; 28];
        assert_eq!(
            merchant_surges(&[merchant_day(20, usual.clone())], 5, 20).len(),
            1
        );
        assert!(merchant_surges(&[merchant_day(19, usual.clone())], 5, 20).is_empty());
        let busy = vec![6; 28];
        assert!(merchant_surges(&[merchant_day(29, busy)], 5, 20).is_empty());
        assert_eq!(
            merchant_surges(&[merchant_day(20, vec![0; 28])], 5, 20).len(),
            1
        );
    }

    #[test]
    fn redeeming_before_joining_is_a_finding_within_the_window() {
        let joining = |days_before: i64| Joining {
            user: UserId::generate(),
            name: "李四".to_owned(),
            organisation: OrganisationId::generate(),
            organisation_name: "和美理发店".to_owned(),
            joined_at: at(30, 0),
            redemptions: vec![(
                RedemptionId::generate(),
                "和美理发店".to_owned(),
                10,
                at(30, 0) - TimeDelta::days(days_before),
            )],
        };
        assert_eq!(member_redemptions(&[joining(89)], 90).len(), 1);
        assert!(member_redemptions(&[joining(91)], 90).is_empty());
    }
}
