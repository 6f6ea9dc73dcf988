//! The insight use cases: who may read which figure, the period's checks, and the arithmetic
//! on the few aggregate rows the store returns (gaps between months, running balances).

use chrono::{Datelike as _, Months, NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::{
    ActivityAttendance, COMMUNITY_ROWS, CategoryCount, CommunityHours, CommunityNeeds, Dimension,
    EXPORT_ROWS, Export, Grouping, IMPACT_ROWS, ImpactCell, ImpactRow, InsightFilter,
    LIABILITY_MONTHS, LiabilityMonth, MerchantRedemptions, MonthPoints, OrganisationBudget,
    ResidentHours, store,
};
use crate::Services;
use crate::db::DbConnection;
use crate::error::{DomainError, DomainResult};
use crate::identity::Actor;
use crate::page::{Page, PageRequest};
use crate::rewards::model::month_bounds;
use crate::schema::{app_user, audit_event};
use crate::sheet::{Cell, Sheet, china_cell};
use crate::types::china_time;
use crate::volunteering::model::hours;

pub struct Insight<'a> {
    services: &'a Services,
}

impl<'a> Insight<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// Public figures per community, category or organisation, most service time first
    /// (aggregates only, never a person).
    pub fn impact(
        &self,
        dimension: Dimension,
        filter: &InsightFilter,
    ) -> DomainResult<Vec<ImpactRow>> {
        filter.check()?;
        let cells = self
            .services
            .db
            .read(|conn| store::impact_view(conn, filter, dimension, Some(IMPACT_ROWS)))?;
        let mut rows: Vec<ImpactRow> = cells
            .into_iter()
            .filter_map(|cell| {
                let named = match dimension {
                    Dimension::Community => cell.community,
                    Dimension::Category => cell.category,
                    Dimension::Organisation => cell.organisation,
                }?;
                Some(ImpactRow {
                    key: named.id,
                    name: named.name,
                    figures: cell.figures,
                })
            })
            .collect();
        // The database sorted to choose the rows; ties go by name as the view always has.
        rows.sort_by(|a, b| {
            b.figures
                .service_minutes
                .cmp(&a.figures.service_minutes)
                .then(a.name.cmp(&b.name))
        });
        Ok(rows)
    }

    /// Staff: the impact figures per cell of `grouping` (community × category × organisation,
    /// or fewer of them), most service time first.
    pub fn impact_table(
        &self,
        actor: &Actor,
        grouping: &Grouping,
        filter: &InsightFilter,
    ) -> DomainResult<Vec<ImpactCell>> {
        self.staff_read(actor, filter, |conn| {
            store::cross_tab(conn, filter, grouping, Some(IMPACT_ROWS))
        })
    }

    /// Staff: whether `actor` may read the dashboard with `filter`; each figure checks again.
    pub fn dashboard(&self, actor: &Actor, filter: &InsightFilter) -> DomainResult<()> {
        actor.require_staff()?;
        filter.check()
    }

    /// Staff: points earned and redeemed per month (China Standard Time), every month from the
    /// first to the last with points (at most the last 240), oldest first.
    pub fn points_by_month(
        &self,
        actor: &Actor,
        filter: &InsightFilter,
    ) -> DomainResult<Vec<MonthPoints>> {
        let rows = self.staff_read(actor, filter, |conn| store::points_by_month(conn, filter))?;
        let mut months: Vec<MonthPoints> = Vec::with_capacity(rows.len());
        for (month, earned, redeemed) in rows {
            let month = month_start(&month)?;
            // Months without points in between are shown as zeros, so a chart's axis is even.
            while let Some(gap) = months
                .last()
                .and_then(|m| m.month.checked_add_months(Months::new(1)))
                .filter(|next| *next < month)
            {
                months.push(MonthPoints {
                    month: gap,
                    earned: 0,
                    redeemed: 0,
                });
            }
            months.push(MonthPoints {
                month,
                earned,
                redeemed,
            });
        }
        // The most recent months a chart holds, as the liability's.
        let surplus = months.len().saturating_sub(LIABILITY_MONTHS);
        months.drain(..surplus);
        Ok(months)
    }

    /// Staff: verified volunteering per community, most hours first.
    pub fn hours_by_community(
        &self,
        actor: &Actor,
        filter: &InsightFilter,
    ) -> DomainResult<Vec<CommunityHours>> {
        self.staff_read(actor, filter, |conn| {
            store::hours_by_community(conn, filter, COMMUNITY_ROWS)
        })
    }

    /// Staff: published products per category, most first.
    pub fn products_by_category(
        &self,
        actor: &Actor,
        filter: &InsightFilter,
    ) -> DomainResult<Vec<CategoryCount>> {
        self.staff_read(actor, filter, |conn| {
            store::products_by_category(conn, filter)
        })
    }

    /// Staff: organisations working in each category (a published product or an activity
    /// there), most first.
    pub fn organisations_by_category(
        &self,
        actor: &Actor,
        filter: &InsightFilter,
    ) -> DomainResult<Vec<CategoryCount>> {
        self.staff_read(actor, filter, |conn| {
            store::organisations_by_category(conn, filter)
        })
    }

    /// Staff: needs posted per community, and how many were matched and closed.
    pub fn needs_by_community(
        &self,
        actor: &Actor,
        filter: &InsightFilter,
    ) -> DomainResult<Vec<CommunityNeeds>> {
        self.staff_read(actor, filter, |conn| {
            store::needs_by_community(conn, filter, COMMUNITY_ROWS)
        })
    }

    /// Staff: the merchants with the most points confirmed, most first.
    pub fn merchants_by_redemptions(
        &self,
        actor: &Actor,
        filter: &InsightFilter,
    ) -> DomainResult<Vec<MerchantRedemptions>> {
        self.staff_read(actor, filter, |conn| {
            store::merchants_by_redemptions(conn, filter)
        })
    }

    /// Staff: the district's points at the end of each month from `from`'s (default: the
    /// first month with a transfer) to `to`'s (default and at most: now), the last month
    /// as of `to`. The last row is what `ledgerTotals` says at that instant.
    pub fn liability(
        &self,
        actor: &Actor,
        from: Option<NaiveDateTime>,
        to: Option<NaiveDateTime>,
    ) -> DomainResult<Vec<LiabilityMonth>> {
        actor.require_staff()?;
        let now = self.services.clock.now();
        let end = to.map_or(now, |to| to.min(now));
        if from.is_some_and(|from| from >= end) {
            return Err(DomainError::invalid(
                "to",
                "结束时间须晚于开始时间（且不晚于现在）",
            ));
        }
        let flows = self
            .services
            .db
            .read(|conn| store::monthly_flows(conn, end))?
            .into_iter()
            .map(|(month, delta)| Ok((month_start(&month)?, delta)))
            .collect::<DomainResult<Vec<_>>>()?;
        let last = month_of(end - TimeDelta::microseconds(1));
        let first = match (from, flows.first()) {
            (Some(from), _) => month_of(from),
            (None, Some((month, _))) => *month,
            (None, None) => last,
        };
        let mut months = Vec::new();
        let mut balances = [0i64; 5];
        let mut flows = flows.into_iter().peekable();
        let mut month = first;
        while month <= last {
            if months.len() == LIABILITY_MONTHS {
                return Err(DomainError::invalid(
                    "from",
                    format!("最多查询 {LIABILITY_MONTHS} 个月，请缩短时间段"),
                ));
            }
            // Every month up to this one, those before the period included.
            while let Some((_, delta)) = flows.next_if(|(m, _)| *m <= month) {
                for (balance, change) in balances.iter_mut().zip(delta) {
                    *balance = balance
                        .checked_add(change)
                        .ok_or_else(|| DomainError::internal("liability overflow"))?;
                }
            }
            let [issued, in_wallets, held, redeemed, expired] = balances;
            let (_, month_end) =
                month_bounds(month).ok_or_else(|| DomainError::internal("month out of range"))?;
            months.push(LiabilityMonth {
                month,
                at: month_end.min(end),
                issued,
                outstanding: issued - held - redeemed - expired,
                in_wallets,
                held,
                redeemed,
                expired,
            });
            month = month
                .checked_add_months(Months::new(1))
                .ok_or_else(|| DomainError::internal("month out of range"))?;
        }
        Ok(months)
    }

    /// Staff: organisations' budgets with what they were allocated and paid out in the
    /// period, in the order they registered.
    pub fn organisation_budgets(
        &self,
        actor: &Actor,
        filter: &InsightFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<OrganisationBudget>> {
        self.staff_read(actor, filter, |conn| {
            let mut items = store::budgets(conn, filter, Some(page))?;
            let total = store::count_budgets(conn, filter)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// Staff: attendance and service hours per activity started in the period, in the order
    /// they were created.
    pub fn attendance(
        &self,
        actor: &Actor,
        filter: &InsightFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<ActivityAttendance>> {
        self.staff_read(actor, filter, |conn| {
            let mut items = store::attendance(conn, filter, Some(page))?;
            let total = store::count_attendance(conn, filter)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// Staff: verified service per resident in activities started in the period.
    pub fn resident_hours(
        &self,
        actor: &Actor,
        filter: &InsightFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<ResidentHours>> {
        self.staff_read(actor, filter, |conn| {
            let mut items = store::resident_hours(conn, filter, Some(page))?;
            let total = store::count_residents(conn, filter)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// Staff: whether `actor` may download exports with `filter` (before a link is issued).
    pub fn may_export(&self, actor: &Actor, filter: &InsightFilter) -> DomainResult<()> {
        actor.require_staff()?;
        filter.check()
    }

    /// Staff: one export as a spreadsheet ([`crate::sheet`]), for the filter's period.
    pub fn export(
        &self,
        actor: &Actor,
        export: Export,
        filter: &InsightFilter,
    ) -> DomainResult<Vec<u8>> {
        self.staff_read(actor, filter, |conn| match export {
            Export::ImpactTable => {
                impact_sheet(store::cross_tab(conn, filter, &Grouping::all(), None)?)
            }
            Export::Attendance => attendance_sheet(store::attendance(conn, filter, None)?),
            Export::ResidentHours => residents_sheet(store::resident_hours(conn, filter, None)?),
            Export::OrganisationBudgets => budgets_sheet(store::budgets(conn, filter, None)?),
            Export::AuditTrail => audit_sheet(conn, filter),
        })
    }

    /// The staff check, the filter's check, and one read transaction.
    fn staff_read<T>(
        &self,
        actor: &Actor,
        filter: &InsightFilter,
        f: impl FnOnce(&mut DbConnection) -> DomainResult<T>,
    ) -> DomainResult<T> {
        actor.require_staff()?;
        filter.check()?;
        self.services.db.read(f)
    }
}

/// The first day of a `YYYY-MM` month as the store writes it.
fn month_start(month: &str) -> DomainResult<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_err(|e| DomainError::internal(format!("month {month:?}: {e}")))
}

/// The first day of the China Standard Time month holding the UTC instant `at`.
fn month_of(at: NaiveDateTime) -> NaiveDate {
    let day = china_time(at).date();
    day.with_day(1).unwrap_or(day)
}

fn hours_cell(minutes: i64) -> Cell {
    Cell::Tenths(hours(minutes))
}

fn impact_sheet(cells: Vec<ImpactCell>) -> DomainResult<Vec<u8>> {
    let mut sheet = Sheet::new(&[
        "社区",
        "类别",
        "组织",
        "已完成活动",
        "参与人次",
        "服务时长（小时）",
        "获得积分",
        "兑换积分",
        "上架产品",
        "已对接需求",
        "已交付需求",
    ])?;
    for cell in cells {
        let f = &cell.figures;
        sheet.row([
            Cell::from(cell.community.map(|n| n.name)),
            Cell::from(cell.category.map(|n| n.name)),
            Cell::from(cell.organisation.map(|n| n.name)),
            Cell::Int(f.activities_held),
            Cell::Int(f.participants),
            hours_cell(f.service_minutes),
            Cell::Int(f.points_earned),
            Cell::Int(f.points_redeemed),
            Cell::Int(f.products_published),
            Cell::Int(f.needs_matched),
            Cell::Int(f.needs_delivered),
        ])?;
    }
    sheet.finish()
}

fn attendance_sheet(rows: Vec<ActivityAttendance>) -> DomainResult<Vec<u8>> {
    let mut sheet = Sheet::new(&[
        "活动",
        "组织",
        "社区",
        "类别",
        "开始时间（北京时间）",
        "状态",
        "报名",
        "出席",
        "已核验",
        "服务时长（小时）",
        "发放积分",
    ])?;
    for r in rows {
        sheet.row([
            Cell::Text(r.title),
            Cell::Text(r.organisation),
            Cell::from(r.community),
            Cell::Text(r.category),
            china_cell(r.starts_at),
            Cell::from(r.status.as_str()),
            Cell::Int(r.signed_up),
            Cell::Int(r.attended),
            Cell::Int(r.verified),
            hours_cell(r.minutes),
            Cell::Int(r.points),
        ])?;
    }
    sheet.finish()
}

fn residents_sheet(rows: Vec<ResidentHours>) -> DomainResult<Vec<u8>> {
    let mut sheet = Sheet::new(&[
        "居民",
        "所在社区",
        "服务人次",
        "服务时长（小时）",
        "获得积分",
    ])?;
    for r in rows {
        sheet.row([
            Cell::Text(r.name),
            Cell::from(r.community),
            Cell::Int(r.participations),
            hours_cell(r.minutes),
            Cell::Int(r.points),
        ])?;
    }
    sheet.finish()
}

fn budgets_sheet(rows: Vec<OrganisationBudget>) -> DomainResult<Vec<u8>> {
    let mut sheet = Sheet::new(&["组织", "预算余额", "期间拨入", "期间发放", "发放居民数"])?;
    for r in rows {
        sheet.row([
            Cell::Text(r.name),
            Cell::Int(r.balance),
            Cell::Int(r.allocated),
            Cell::Int(r.paid_out),
            Cell::Int(r.residents_paid),
        ])?;
    }
    sheet.finish()
}

/// The audit trail of the period, oldest first, with each actor's name.
fn audit_sheet(conn: &mut DbConnection, filter: &InsightFilter) -> DomainResult<Vec<u8>> {
    let mut query = audit_event::table
        .left_join(app_user::table.on(app_user::id.nullable().eq(audit_event::actor_id)))
        .select((
            audit_event::created_at,
            app_user::display_name.nullable(),
            audit_event::action,
            audit_event::subject_kind,
            audit_event::subject_id,
            audit_event::detail,
        ))
        .into_boxed();
    if let Some(from) = filter.from {
        query = query.filter(audit_event::created_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_event::created_at.lt(to));
    }
    let rows: Vec<(
        NaiveDateTime,
        Option<String>,
        String,
        String,
        String,
        String,
    )> = query
        .order(audit_event::id.asc())
        .limit(EXPORT_ROWS + 1)
        .load(conn)?;
    if rows.len() > usize::try_from(EXPORT_ROWS).unwrap_or(usize::MAX) {
        return Err(too_many_rows());
    }
    let mut sheet = Sheet::new(&[
        "时间（北京时间）",
        "操作人",
        "操作",
        "对象类型",
        "对象编号",
        "详情",
    ])?;
    for (at, actor, action, kind, subject, detail) in rows {
        sheet.row([
            china_cell(at),
            Cell::from(actor),
            Cell::Text(action),
            Cell::Text(kind),
            Cell::Text(subject),
            Cell::Text(detail),
        ])?;
    }
    sheet.finish()
}

/// An export of events beyond [`EXPORT_ROWS`].
pub(crate) fn too_many_rows() -> DomainError {
    DomainError::invalid("from", format!("导出超过 {EXPORT_ROWS} 行，请缩短时间段"))
}
