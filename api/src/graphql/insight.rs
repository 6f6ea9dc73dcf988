//! The district at a glance: the dashboard, the impact view and its cross-tab, the liability
//! over time, organisations' budgets, the attendance and service-hours reports, and the links
//! to their CSV exports. Every figure is computed by the database (`linli_domain::insight`).

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::insight::{self as domain, Export, Grouping, InsightFilter};
use linli_domain::page::PageRequest;

use super::catalogue::{Category, category_slug};
use super::directory::{Community, CommunityType, Organisation};
use super::identity::User;
use super::relay::{Kind, connection, global_raw};
use super::rewards::Merchant;
use super::volunteering::{Activity, ActivityStatus};
use super::{Context, Points, int, mirror_enum};

mirror_enum!(
    /// What the impact figures are grouped by.
    ImpactDimension = linli_domain::insight::Dimension {
        /// One row per community: of the activity, the merchant or the need, or the communities a
        /// product serves.
        Community,
        /// One row per category: of the activity, the merchant, the product or the need.
        Category,
        /// One row per partner organisation: organising the activity, running the merchant or
        /// offering the product (needs are not counted).
        Organisation
    }
);

/// What the district's figures are narrowed to; every condition given must hold. Each figure
/// is dated by its own event (a transfer's posting, an activity's start, a redemption's
/// confirmation, a product's publication, a need's posting) and placed by its own community
/// and category (an activity's, a merchant's, a need's; a product is in every community it
/// serves).
#[derive(Debug, Clone, Default, GraphQLInputObject)]
pub struct InsightFilterInput {
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive); must be after `from`.
    pub to: Option<DateTime<Utc>>,
    /// Only what happened in this community.
    pub community_id: Option<ID>,
    /// Only what happened in communities of this type (the five types of the district).
    pub community_type: Option<CommunityType>,
    /// Only this category, or a top-level category with all its sub-categories (its global
    /// id or its slug).
    pub category_id: Option<ID>,
}

/// The domain's filter from the input.
pub fn decode(filter: Option<InsightFilterInput>) -> Result<InsightFilter, DomainError> {
    let f = filter.unwrap_or_default();
    Ok(InsightFilter {
        from: f.from.map(|t| t.naive_utc()),
        to: f.to.map(|t| t.naive_utc()),
        community_id: Community::decode_optional(f.community_id.as_ref(), "communityId")?,
        community_type: f.community_type.map(Into::into),
        category_id: f.category_id.as_ref().map(category_slug),
    })
}

/// The figures of the impact view, for one row or one cell of the cross-tab.
#[derive(Debug, Clone, GraphQLObject)]
pub struct ImpactFigures {
    /// Completed activities.
    pub activities_held: i32,
    /// Verified participations in those activities.
    pub participants: i32,
    /// Verified service hours in those activities, to one decimal.
    pub service_hours: f64,
    /// Points earned in those activities.
    pub points_earned: Points,
    /// Points redeemed at its merchants.
    pub points_redeemed: Points,
    /// Published products.
    pub products_published: i32,
    /// Needs that found a match (delivered and closed ones included).
    pub needs_matched: i32,
    /// Needs delivered (closed ones included).
    pub needs_delivered: i32,
}

impl From<domain::ImpactFigures> for ImpactFigures {
    fn from(f: domain::ImpactFigures) -> Self {
        Self {
            activities_held: int(f.activities_held),
            participants: int(f.participants),
            service_hours: linli_domain::volunteering::model::hours(f.service_minutes),
            points_earned: Points(f.points_earned),
            points_redeemed: Points(f.points_redeemed),
            products_published: int(f.products_published),
            needs_matched: int(f.needs_matched),
            needs_delivered: int(f.needs_delivered),
        }
    }
}

/// Aggregates for one community, category or organisation.
#[derive(Debug, GraphQLObject)]
pub struct ImpactRow {
    /// The raw id of the community or organisation, or the category's slug.
    pub key: ID,
    /// The community's, category's or organisation's name.
    pub name: String,
    /// Completed activities.
    pub activities_held: i32,
    /// Verified participations in those activities.
    pub participants: i32,
    /// Verified service hours in those activities, to one decimal.
    pub service_hours: f64,
    /// Points earned in those activities.
    pub points_earned: Points,
    /// Points redeemed at its merchants.
    pub points_redeemed: Points,
    /// Published products.
    pub products_published: i32,
    /// Needs that found a match (delivered and closed ones included).
    pub needs_matched: i32,
    /// Needs delivered (closed ones included).
    pub needs_delivered: i32,
}

pub async fn impact(
    ctx: &Context,
    by: ImpactDimension,
    filter: Option<InsightFilterInput>,
) -> FieldResult<Vec<ImpactRow>> {
    let filter = ctx.answer(decode(filter))?;
    let dimension = by.into();
    let result = ctx
        .run(move |s, _| s.insight().impact(dimension, &filter))
        .await;
    Ok(ctx
        .answer(result)?
        .into_iter()
        .map(|r| {
            let f = ImpactFigures::from(r.figures);
            ImpactRow {
                key: ID::new(r.key),
                name: r.name,
                activities_held: f.activities_held,
                participants: f.participants,
                service_hours: f.service_hours,
                points_earned: f.points_earned,
                points_redeemed: f.points_redeemed,
                products_published: f.products_published,
                needs_matched: f.needs_matched,
                needs_delivered: f.needs_delivered,
            }
        })
        .collect())
}

/// One cell of the cross-tab: a community, a category and an organisation, those the table is
/// grouped by. A part is null where the table is not grouped by it, or where the figures have
/// none (an activity held in no community, needs, which belong to no organisation).
#[derive(Debug, GraphQLObject)]
pub struct ImpactCell {
    /// The community (global id).
    pub community_id: Option<ID>,
    /// The community's name.
    pub community_name: Option<String>,
    /// The category (global id).
    pub category_id: Option<ID>,
    /// The category's name.
    pub category_name: Option<String>,
    /// The partner organisation (global id).
    pub organisation_id: Option<ID>,
    /// The organisation's name.
    pub organisation_name: Option<String>,
    /// The figures of the cell.
    pub figures: ImpactFigures,
}

pub async fn impact_table(
    ctx: &Context,
    by: Option<Vec<ImpactDimension>>,
    filter: Option<InsightFilterInput>,
) -> FieldResult<Vec<ImpactCell>> {
    let grouping = ctx.answer(grouping(by))?;
    let filter = ctx.answer(decode(filter))?;
    let result = ctx
        .run(move |s, actor| s.insight().impact_table(actor, &grouping, &filter))
        .await;
    Ok(ctx
        .answer(result)?
        .into_iter()
        .map(|c| {
            let (community_id, community_name) = split::<Community>(c.community);
            let (category_id, category_name) = split::<Category>(c.category);
            let (organisation_id, organisation_name) = split::<Organisation>(c.organisation);
            ImpactCell {
                community_id,
                community_name,
                category_id,
                category_name,
                organisation_id,
                organisation_name,
                figures: c.figures.into(),
            }
        })
        .collect())
}

/// The cross-tab's dimensions: all three unless asked.
fn grouping(by: Option<Vec<ImpactDimension>>) -> Result<Grouping, DomainError> {
    match by {
        None => Ok(Grouping::all()),
        Some(by) => Grouping::parse(&by.into_iter().map(Into::into).collect::<Vec<_>>()),
    }
}

/// A named part's global id and name.
fn split<K: Kind>(named: Option<domain::Named>) -> (Option<ID>, Option<String>) {
    named.map_or((None, None), |n| (Some(K::global_id(&n.id)), Some(n.name)))
}

pub struct Dashboard {
    filter: InsightFilter,
}

/// Points earned and redeemed in one month.
#[derive(Debug, GraphQLObject)]
pub struct MonthPoints {
    /// The month, `YYYY-MM` (China Standard Time).
    pub month: String,
    /// Points residents earned for verified attendance (EARN transfers).
    pub earned: Points,
    /// Points merchants confirmed at their counters (REDEEM_CAPTURE transfers).
    pub redeemed: Points,
}

/// Verified volunteering in one community.
#[derive(Debug, GraphQLObject)]
pub struct CommunityHours {
    /// The community (global id); null for activities held in no community.
    pub community_id: Option<ID>,
    /// The community's name; null with `communityId`.
    pub community_name: Option<String>,
    /// Activities with at least one verified participation.
    pub activities: i32,
    /// Verified participations.
    pub participations: i32,
    /// Verified service hours, to one decimal.
    pub hours: f64,
}

/// A count for one category.
#[derive(Debug, GraphQLObject)]
pub struct CategoryCount {
    /// The category (global id).
    pub category_id: ID,
    /// The category's name.
    pub category_name: String,
    /// How many.
    pub count: i32,
}

/// Needs posted in one community, and where they are now.
#[derive(Debug, GraphQLObject)]
pub struct CommunityNeeds {
    /// The community (global id).
    pub community_id: ID,
    /// The community's name.
    pub community_name: String,
    /// Needs posted.
    pub opened: i32,
    /// Of those, matched since (delivered and closed ones included).
    pub matched: i32,
    /// Of those, closed since.
    pub closed: i32,
}

/// Confirmed redemptions at one merchant.
#[derive(Debug, GraphQLObject)]
pub struct MerchantRedemptions {
    /// The merchant (global id).
    pub merchant_id: ID,
    /// The shop's name.
    pub shop_name: String,
    /// Redemptions confirmed at the counter.
    pub redemptions: i32,
    /// Their points.
    pub points: Points,
}

fn category_counts(rows: Vec<domain::CategoryCount>) -> Vec<CategoryCount> {
    rows.into_iter()
        .map(|r| CategoryCount {
            category_id: Category::global_id(&r.category.id),
            category_name: r.category.name,
            count: int(r.count),
        })
        .collect()
}

/// The district at a glance, narrowed by the dashboard's filter. Each figure is one aggregate
/// statement, run only when asked for.
#[graphql_object(context = Context)]
impl Dashboard {
    /// Points earned and redeemed per month (China Standard Time), every month from the first
    /// with points to the last, oldest first.
    async fn points_by_month(&self, ctx: &Context) -> FieldResult<Vec<MonthPoints>> {
        let filter = self.filter.clone();
        let result = ctx
            .run(move |s, actor| s.insight().points_by_month(actor, &filter))
            .await;
        Ok(ctx
            .answer(result)?
            .into_iter()
            .map(|m| MonthPoints {
                month: m.month.format("%Y-%m").to_string(),
                earned: Points(m.earned),
                redeemed: Points(m.redeemed),
            })
            .collect())
    }

    /// Verified volunteering per community of the activity, most hours first.
    async fn hours_by_community(&self, ctx: &Context) -> FieldResult<Vec<CommunityHours>> {
        let filter = self.filter.clone();
        let result = ctx
            .run(move |s, actor| s.insight().hours_by_community(actor, &filter))
            .await;
        Ok(ctx
            .answer(result)?
            .into_iter()
            .map(|r| {
                let (community_id, community_name) = split::<Community>(r.community);
                CommunityHours {
                    community_id,
                    community_name,
                    activities: int(r.activities),
                    participations: int(r.participations),
                    hours: linli_domain::volunteering::model::hours(r.minutes),
                }
            })
            .collect())
    }

    /// Published products per category, most first.
    async fn products_by_category(&self, ctx: &Context) -> FieldResult<Vec<CategoryCount>> {
        let filter = self.filter.clone();
        let result = ctx
            .run(move |s, actor| s.insight().products_by_category(actor, &filter))
            .await;
        ctx.answer(result).map(category_counts)
    }

    /// Partner organisations working in each category (a published product or an activity
    /// there), most first.
    async fn organisations_by_category(&self, ctx: &Context) -> FieldResult<Vec<CategoryCount>> {
        let filter = self.filter.clone();
        let result = ctx
            .run(move |s, actor| s.insight().organisations_by_category(actor, &filter))
            .await;
        ctx.answer(result).map(category_counts)
    }

    /// Needs posted per community, with how many were matched and closed since, most first.
    async fn needs_by_community(&self, ctx: &Context) -> FieldResult<Vec<CommunityNeeds>> {
        let filter = self.filter.clone();
        let result = ctx
            .run(move |s, actor| s.insight().needs_by_community(actor, &filter))
            .await;
        Ok(ctx
            .answer(result)?
            .into_iter()
            .map(|r| CommunityNeeds {
                community_id: Community::global_id(&r.community.id),
                community_name: r.community.name,
                opened: int(r.opened),
                matched: int(r.matched),
                closed: int(r.closed),
            })
            .collect())
    }

    /// The 20 merchants with the most points confirmed at their counters, most first.
    async fn merchants_by_redemptions(
        &self,
        ctx: &Context,
    ) -> FieldResult<Vec<MerchantRedemptions>> {
        let filter = self.filter.clone();
        let result = ctx
            .run(move |s, actor| s.insight().merchants_by_redemptions(actor, &filter))
            .await;
        Ok(ctx
            .answer(result)?
            .into_iter()
            .map(|r| MerchantRedemptions {
                merchant_id: Merchant::global_id(&r.merchant.id),
                shop_name: r.merchant.name,
                redemptions: int(r.redemptions),
                points: Points(r.points),
            })
            .collect())
    }
}

pub async fn dashboard(
    ctx: &Context,
    filter: Option<InsightFilterInput>,
) -> FieldResult<Dashboard> {
    let filter = ctx.answer(decode(filter))?;
    let checked = filter.clone();
    let result = ctx
        .run(move |s, actor| s.insight().dashboard(actor, &checked))
        .await;
    ctx.answer(result)?;
    Ok(Dashboard { filter })
}

/// The district's points at the end of one month, or at the end of the period for its last
/// month: the figures of `ledgerTotals`, dated.
#[derive(Debug, GraphQLObject)]
pub struct LiabilityMonth {
    /// The month, `YYYY-MM` (China Standard Time).
    pub month: String,
    /// The instant the figures hold at: the month's end, or the period's end (at most now).
    pub at: DateTime<Utc>,
    /// Everything issued so far.
    pub issued: Points,
    /// In wallets, budgets and group funds: issued and not held, redeemed or expired.
    pub outstanding: Points,
    /// Of the outstanding points, those in residents' wallets.
    pub in_wallets: Points,
    /// Held for redemptions awaiting a merchant's confirmation.
    pub held: Points,
    /// Captured by merchants (with staff adjustments of their accounts).
    pub redeemed: Points,
    /// Expired.
    pub expired: Points,
}

pub async fn liability(
    ctx: &Context,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> FieldResult<Vec<LiabilityMonth>> {
    let (from, to) = (from.map(|t| t.naive_utc()), to.map(|t| t.naive_utc()));
    let result = ctx
        .run(move |s, actor| s.insight().liability(actor, from, to))
        .await;
    Ok(ctx
        .answer(result)?
        .into_iter()
        .map(|m| LiabilityMonth {
            month: m.month.format("%Y-%m").to_string(),
            at: m.at.and_utc(),
            issued: Points(m.issued),
            outstanding: Points(m.outstanding),
            in_wallets: Points(m.in_wallets),
            held: Points(m.held),
            redeemed: Points(m.redeemed),
            expired: Points(m.expired),
        })
        .collect())
}

/// An organisation's points budget: its balance now and what moved in the period.
#[derive(Debug, Clone, GraphQLObject)]
pub struct OrganisationBudget {
    /// The organisation (global id).
    pub organisation_id: ID,
    /// The organisation's name.
    pub name: String,
    /// Points in its budget now.
    pub balance: Points,
    /// Points staff allocated to it in the period.
    pub allocated: Points,
    /// Points it paid residents for verified attendance in the period.
    pub paid_out: Points,
    /// How many distinct residents it paid in the period.
    pub residents_paid: i32,
}

connection!(
    /// A page of organisations' budgets, in the order the organisations registered.
    OrganisationBudgetConnection,
    /// An organisation's budget in a page, with its cursor.
    OrganisationBudgetEdge,
    OrganisationBudget,
    |b| global_raw(&b.organisation_id)
);

pub async fn organisation_budgets(
    ctx: &Context,
    filter: Option<InsightFilterInput>,
    page: PageRequest,
) -> FieldResult<OrganisationBudgetConnection> {
    let filter = ctx.answer(decode(filter))?;
    let result = ctx
        .run(move |s, actor| s.insight().organisation_budgets(actor, &filter, &page))
        .await;
    ctx.answer(result).map(|p| {
        OrganisationBudgetConnection::from_page(p, |b| OrganisationBudget {
            organisation_id: Organisation::global_id(b.organisation_id.as_str()),
            name: b.name,
            balance: Points(b.balance),
            allocated: Points(b.allocated),
            paid_out: Points(b.paid_out),
            residents_paid: int(b.residents_paid),
        })
    })
}

/// Attendance and service hours of one activity.
#[derive(Debug, Clone, GraphQLObject)]
pub struct ActivityAttendance {
    /// The activity (global id).
    pub activity_id: ID,
    /// The activity's title.
    pub title: String,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// Where it is in its lifecycle.
    pub status: ActivityStatus,
    /// The organisation holding it.
    pub organisation_name: String,
    /// Its community's name; null when it has none.
    pub community_name: Option<String>,
    /// Its category's name.
    pub category_name: String,
    /// Sign-ups holding a seat (not waitlisted or cancelled).
    pub signed_up: i32,
    /// Those who checked in or were recorded by hand.
    pub attended: i32,
    /// Participations verified.
    pub verified: i32,
    /// Verified service hours, to one decimal.
    pub hours: f64,
    /// Points paid for them.
    pub points: Points,
}

connection!(
    /// A page of activities' attendance, in the order the activities were created.
    ActivityAttendanceConnection,
    /// An activity's attendance in a page, with its cursor.
    ActivityAttendanceEdge,
    ActivityAttendance,
    |a| global_raw(&a.activity_id)
);

pub async fn attendance(
    ctx: &Context,
    filter: Option<InsightFilterInput>,
    page: PageRequest,
) -> FieldResult<ActivityAttendanceConnection> {
    let filter = ctx.answer(decode(filter))?;
    let result = ctx
        .run(move |s, actor| s.insight().attendance(actor, &filter, &page))
        .await;
    ctx.answer(result).map(|p| {
        ActivityAttendanceConnection::from_page(p, |a| ActivityAttendance {
            activity_id: Activity::global_id(a.activity_id.as_str()),
            title: a.title,
            starts_at: a.starts_at.and_utc(),
            status: a.status.into(),
            organisation_name: a.organisation,
            community_name: a.community,
            category_name: a.category,
            signed_up: int(a.signed_up),
            attended: int(a.attended),
            verified: int(a.verified),
            hours: linli_domain::volunteering::model::hours(a.minutes),
            points: Points(a.points),
        })
    })
}

/// One resident's verified service in the period.
#[derive(Debug, Clone, GraphQLObject)]
pub struct ResidentHours {
    /// The resident (global id).
    pub user_id: ID,
    /// The resident's display name.
    pub name: String,
    /// The resident's own community's name.
    pub community_name: Option<String>,
    /// Verified participations.
    pub participations: i32,
    /// Verified service hours, to one decimal.
    pub hours: f64,
    /// Points earned for them.
    pub points: Points,
}

connection!(
    /// A page of residents' service hours, in the order the residents registered.
    ResidentHoursConnection,
    /// A resident's service hours in a page, with its cursor.
    ResidentHoursEdge,
    ResidentHours,
    |r| global_raw(&r.user_id)
);

pub async fn resident_hours(
    ctx: &Context,
    filter: Option<InsightFilterInput>,
    page: PageRequest,
) -> FieldResult<ResidentHoursConnection> {
    let filter = ctx.answer(decode(filter))?;
    let result = ctx
        .run(move |s, actor| s.insight().resident_hours(actor, &filter, &page))
        .await;
    ctx.answer(result).map(|p| {
        ResidentHoursConnection::from_page(p, |r| ResidentHours {
            user_id: User::global_id(r.user_id.as_str()),
            name: r.name,
            community_name: r.community,
            participations: int(r.participations),
            hours: linli_domain::volunteering::model::hours(r.minutes),
            points: Points(r.points),
        })
    })
}

/// Download links for the staff's CSV exports of one filter (UTF-8 with a byte-order mark,
/// formula-safe); each link works for you for a few minutes.
#[derive(Debug, GraphQLObject)]
pub struct InsightExports {
    /// The cross-tab: community × category × organisation, every cell.
    pub impact_table: String,
    /// Attendance and service hours per activity started in the period.
    pub attendance: String,
    /// Service hours per resident in activities started in the period.
    pub resident_hours: String,
    /// Organisations' budgets with what moved in the period.
    pub organisation_budgets: String,
    /// The audit trail of the period (only the period applies).
    pub audit_trail: String,
}

pub async fn exports(
    ctx: &Context,
    filter: Option<InsightFilterInput>,
) -> FieldResult<InsightExports> {
    let filter = ctx.answer(decode(filter))?;
    let checked = filter.clone();
    let result = ctx
        .run(move |s, actor| s.insight().may_export(actor, &checked))
        .await;
    ctx.answer(result)?;
    let query = filter_query(&filter);
    let link = |export: Export| ctx.link(&format!("/exports/{}{query}", export.file()));
    Ok(InsightExports {
        impact_table: link(Export::ImpactTable)?,
        attendance: link(Export::Attendance)?,
        resident_hours: link(Export::ResidentHours)?,
        organisation_budgets: link(Export::OrganisationBudgets)?,
        audit_trail: link(Export::AuditTrail)?,
    })
}

/// The filter as a download link's query (`?from=…&to=…`, empty without conditions), in the
/// order [`crate::http`] reads it back.
pub fn filter_query(filter: &InsightFilter) -> String {
    let mut parts = period_parts(filter.from, filter.to, "to");
    if let Some(community) = &filter.community_id {
        parts.push((
            "community",
            Community::global_id(community.as_str()).to_string(),
        ));
    }
    if let Some(kind) = filter.community_type {
        parts.push(("communityType", kind.as_str().to_owned()));
    }
    if let Some(category) = &filter.category_id {
        parts.push(("category", category.clone()));
    }
    query_string(&parts)
}

/// `from` and the end of a period (named `to` or `until`) as query parameters.
pub fn period_parts(
    from: Option<chrono::NaiveDateTime>,
    to: Option<chrono::NaiveDateTime>,
    to_name: &'static str,
) -> Vec<(&'static str, String)> {
    let instant = |t: chrono::NaiveDateTime| t.and_utc().format("%Y-%m-%dT%H:%M:%S%.6fZ");
    let mut parts = Vec::new();
    if let Some(from) = from {
        parts.push(("from", instant(from).to_string()));
    }
    if let Some(to) = to {
        parts.push((to_name, instant(to).to_string()));
    }
    parts
}

/// `?a=1&b=2`, each value percent-encoded; empty for no parts.
pub fn query_string(parts: &[(&str, String)]) -> String {
    if parts.is_empty() {
        return String::new();
    }
    let encoded: Vec<String> = parts
        .iter()
        .map(|(name, value)| {
            let value: String = value
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{name}={value}")
        })
        .collect();
    format!("?{}", encoded.join("&"))
}
