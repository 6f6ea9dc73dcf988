//! The aggregate statements. One statement per figure; the database groups and sums, and the
//! rows that come back are the figures (a month, a community, a category …), never the facts
//! behind them.
//!
//! Months are China Standard Time months computed by each engine from the UTC timestamps
//! ([`Sql::month_key`], written out by [`Sql::month_label`] once per month): no stored month
//! to keep in step on every write path, and the period's range condition still uses the
//! timestamp's index.

use chrono::NaiveDateTime;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::sql::{Sql, count_if, sum};
use super::{
    ActivityAttendance, CategoryCount, CommunityHours, CommunityNeeds, Dimension, Grouping,
    IMPACT_ROWS, ImpactCell, ImpactFigures, InsightFilter, MerchantRedemptions, Named,
    OrganisationBudget, ResidentHours, TOP_MERCHANTS,
};
use crate::db::DbConnection;
use crate::error::DomainResult;
use crate::ledger::{AccountKind, TransferCode};
use crate::page::PageRequest;
use crate::types::{ActivityId, OrganisationId, UserId};
use crate::volunteering::ActivityStatus;

/// Verified minutes that still count as service: staff reversing what a participation earned
/// takes its hours away too.
const SERVICE_MINUTES: &str =
    "CASE WHEN p.hours_revoked_at IS NULL THEN p.verified_minutes ELSE 0 END";

fn named(id: Option<String>, name: Option<String>) -> Option<Named> {
    id.map(|id| Named {
        id,
        name: name.unwrap_or_default(),
    })
}

#[derive(QueryableByName)]
struct MonthRow {
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    earned: i64,
    #[diesel(sql_type = BigInt)]
    redeemed: i64,
}

/// EARN and REDEEM_CAPTURE transfers per month of their posting: an EARN is placed by the
/// activity its participation attended, a capture by the redemption's merchant.
///
/// One branch per code, so that each filter is a plain condition on its own table (a community
/// is the activity's or the merchant's, never a `COALESCE` of both): narrowed by place, the
/// database starts from the few activities or merchants and reaches their transfers by cause;
/// otherwise the places are not joined at all and the transfers' (code, time, amount) index
/// alone answers. Each branch sums per month key, and the months are written out once each.
pub(crate) fn points_by_month(
    conn: &mut DbConnection,
    filter: &InsightFilter,
) -> DomainResult<Vec<(String, i64, i64)>> {
    let placed = filter.places();
    let mut sql = Sql::new(conn, "");
    let key = sql.month_key("t.created_at");
    let month = sql.month_label("k.month");
    sql.push(&format!(
        "SELECT {month} AS month, {earned} AS earned, {redeemed} AS redeemed FROM (\
         SELECT {key} AS month, SUM(t.amount) AS earned, 0 AS redeemed FROM transfer t",
        earned = sum("k.earned"),
        redeemed = sum("k.redeemed"),
    ));
    if placed {
        sql.push(
            " JOIN participation p ON t.cause_kind = 'participation' AND p.id = t.cause_id \
             JOIN activity a ON a.id = p.activity_id",
        );
    }
    sql.push(" WHERE t.code = 'EARN'")
        .period(filter, "t.created_at");
    if placed {
        sql.community(filter, "a.community_id")
            .category(filter, "a.category_id");
    }
    sql.push(&format!(
        " GROUP BY 1 UNION ALL SELECT {key}, 0, SUM(t.amount) FROM transfer t"
    ));
    if placed {
        sql.push(
            " JOIN redemption r ON t.cause_kind = 'redemption' AND r.id = t.cause_id \
             JOIN merchant m ON m.id = r.merchant_id",
        );
    }
    sql.push(" WHERE t.code = 'REDEEM_CAPTURE'")
        .period(filter, "t.created_at");
    if placed {
        sql.community(filter, "m.community_id")
            .category(filter, "m.category_id");
    }
    sql.push(" GROUP BY 1) k GROUP BY k.month ORDER BY k.month");
    Ok(sql
        .load::<MonthRow>(conn)?
        .into_iter()
        .map(|r| (r.month, r.earned, r.redeemed))
        .collect())
}

#[derive(QueryableByName)]
struct HoursRow {
    #[diesel(sql_type = Nullable<Text>)]
    community_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    community_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    activities: i64,
    #[diesel(sql_type = BigInt)]
    participations: i64,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

/// Verified participations per community of their activity, dated by the activity's start.
pub(crate) fn hours_by_community(
    conn: &mut DbConnection,
    filter: &InsightFilter,
    limit: i64,
) -> DomainResult<Vec<CommunityHours>> {
    // Summed per activity first, then per community: no DISTINCT, so both steps hash.
    let mut sql = Sql::new(conn, "");
    sql.push(&format!(
        "SELECT a.community_id AS community_id, c.name AS community_name, \
           COUNT(*) AS activities, {participations} AS participations, {minutes} AS minutes \
         FROM (SELECT p.activity_id AS activity_id, COUNT(*) AS participations, \
             {verified} AS minutes \
           FROM participation p WHERE p.verified_at IS NOT NULL GROUP BY p.activity_id) s \
         JOIN activity a ON a.id = s.activity_id \
         LEFT JOIN community c ON c.id = a.community_id WHERE 1 = 1",
        participations = sum("s.participations"),
        minutes = sum("s.minutes"),
        verified = sum(SERVICE_MINUTES),
    ));
    sql.period(filter, "a.starts_at")
        .community(filter, "a.community_id")
        .category(filter, "a.category_id");
    let limit = sql.int(limit);
    sql.push(&format!(
        " GROUP BY a.community_id, c.name ORDER BY minutes DESC, a.community_id LIMIT {limit}"
    ));
    Ok(sql
        .load::<HoursRow>(conn)?
        .into_iter()
        .map(|r| CommunityHours {
            community: named(r.community_id, r.community_name),
            activities: r.activities,
            participations: r.participations,
            minutes: r.minutes,
        })
        .collect())
}

#[derive(QueryableByName)]
struct CategoryRow {
    #[diesel(sql_type = Text)]
    category_id: String,
    #[diesel(sql_type = Text)]
    category_name: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn category_counts(sql: Sql, conn: &mut DbConnection) -> DomainResult<Vec<CategoryCount>> {
    Ok(sql
        .load::<CategoryRow>(conn)?
        .into_iter()
        .map(|r| CategoryCount {
            category: Named {
                id: r.category_id,
                name: r.category_name,
            },
            count: r.n,
        })
        .collect())
}

/// Published products per category, dated by their publication.
pub(crate) fn products_by_category(
    conn: &mut DbConnection,
    filter: &InsightFilter,
) -> DomainResult<Vec<CategoryCount>> {
    let mut sql = Sql::new(
        conn,
        "SELECT p.category_id AS category_id, cat.name_zh AS category_name, COUNT(*) AS n \
         FROM product p JOIN category cat ON cat.id = p.category_id \
         WHERE p.status = 'PUBLISHED'",
    );
    sql.period(filter, "p.published_at")
        .served(filter, "p.id")
        .category(filter, "p.category_id")
        .push(" GROUP BY p.category_id, cat.name_zh ORDER BY n DESC, p.category_id");
    category_counts(sql, conn)
}

/// Organisations working in each category: publishing a product there or holding (or about
/// to hold) an activity there, in the period.
pub(crate) fn organisations_by_category(
    conn: &mut DbConnection,
    filter: &InsightFilter,
) -> DomainResult<Vec<CategoryCount>> {
    let mut sql = Sql::new(
        conn,
        // UNION keeps each (category, organisation) pair once, so a plain count counts
        // organisations.
        "SELECT w.category_id AS category_id, cat.name_zh AS category_name, COUNT(*) AS n \
         FROM (SELECT p.category_id AS category_id, p.organisation_id AS organisation_id \
           FROM product p WHERE p.status = 'PUBLISHED'",
    );
    sql.period(filter, "p.published_at")
        .served(filter, "p.id")
        .category(filter, "p.category_id")
        .push(
            " UNION SELECT a.category_id, a.organisation_id FROM activity a \
             WHERE a.status IN ('PUBLISHED', 'COMPLETED')",
        );
    sql.period(filter, "a.starts_at")
        .community(filter, "a.community_id")
        .category(filter, "a.category_id")
        .push(
            ") w JOIN category cat ON cat.id = w.category_id \
             GROUP BY w.category_id, cat.name_zh ORDER BY n DESC, w.category_id",
        );
    category_counts(sql, conn)
}

#[derive(QueryableByName)]
struct NeedsRow {
    #[diesel(sql_type = Text)]
    community_id: String,
    #[diesel(sql_type = Text)]
    community_name: String,
    #[diesel(sql_type = BigInt)]
    opened: i64,
    #[diesel(sql_type = BigInt)]
    matched: i64,
    #[diesel(sql_type = BigInt)]
    closed: i64,
}

/// Needs posted per community in the period, with how many of them found a match and were
/// closed since.
pub(crate) fn needs_by_community(
    conn: &mut DbConnection,
    filter: &InsightFilter,
    limit: i64,
) -> DomainResult<Vec<CommunityNeeds>> {
    let mut sql = Sql::new(conn, "");
    sql.push(&format!(
        "SELECT n.community_id AS community_id, c.name AS community_name, \
           COUNT(*) AS opened, {matched} AS matched, {closed} AS closed \
         FROM need n JOIN community c ON c.id = n.community_id WHERE 1 = 1",
        matched = count_if("n.status IN ('MATCHED', 'DELIVERED', 'CLOSED')"),
        closed = count_if("n.status = 'CLOSED'"),
    ));
    sql.period(filter, "n.created_at")
        .community(filter, "n.community_id")
        .category(filter, "n.category_id");
    let limit = sql.int(limit);
    sql.push(&format!(
        " GROUP BY n.community_id, c.name ORDER BY opened DESC, n.community_id LIMIT {limit}"
    ));
    Ok(sql
        .load::<NeedsRow>(conn)?
        .into_iter()
        .map(|r| CommunityNeeds {
            community: Named {
                id: r.community_id,
                name: r.community_name,
            },
            opened: r.opened,
            matched: r.matched,
            closed: r.closed,
        })
        .collect())
}

#[derive(QueryableByName)]
struct MerchantRow {
    #[diesel(sql_type = Text)]
    merchant_id: String,
    #[diesel(sql_type = Text)]
    shop_name: String,
    #[diesel(sql_type = BigInt)]
    redemptions: i64,
    #[diesel(sql_type = BigInt)]
    points: i64,
}

/// The merchants with the most points confirmed at their counter in the period.
pub(crate) fn merchants_by_redemptions(
    conn: &mut DbConnection,
    filter: &InsightFilter,
) -> DomainResult<Vec<MerchantRedemptions>> {
    let mut sql = Sql::new(conn, "");
    sql.push(&format!(
        "SELECT m.id AS merchant_id, m.shop_name AS shop_name, COUNT(*) AS redemptions, \
           {points} AS points \
         FROM redemption r JOIN merchant m ON m.id = r.merchant_id \
         WHERE r.status = 'CONFIRMED'",
        points = sum("r.points"),
    ));
    sql.period(filter, "r.finished_at")
        .community(filter, "m.community_id")
        .category(filter, "m.category_id");
    let limit = sql.int(TOP_MERCHANTS);
    sql.push(&format!(
        " GROUP BY m.id, m.shop_name ORDER BY points DESC, m.id LIMIT {limit}"
    ));
    Ok(sql
        .load::<MerchantRow>(conn)?
        .into_iter()
        .map(|r| MerchantRedemptions {
            merchant: Named {
                id: r.merchant_id,
                name: r.shop_name,
            },
            redemptions: r.redemptions,
            points: r.points,
        })
        .collect())
}

/// Where each source of the impact figures keeps its community, category and organisation.
struct Source {
    community: &'static str,
    category: &'static str,
    organisation: &'static str,
}

impl Source {
    fn column(&self, dimension: Dimension) -> &'static str {
        match dimension {
            Dimension::Community => self.community,
            Dimension::Category => self.category,
            Dimension::Organisation => self.organisation,
        }
    }
}

const ACTIVITY: Source = Source {
    community: "a.community_id",
    category: "a.category_id",
    organisation: "a.organisation_id",
};
const MERCHANT: Source = Source {
    community: "m.community_id",
    category: "m.category_id",
    organisation: "m.organisation_id",
};
const PRODUCT: Source = Source {
    community: "pc.community_id",
    category: "p.category_id",
    organisation: "p.organisation_id",
};
const NEED: Source = Source {
    community: "n.community_id",
    category: "n.category_id",
    organisation: "CAST(NULL AS TEXT)",
};

#[derive(QueryableByName)]
struct ImpactSqlRow {
    #[diesel(sql_type = Nullable<Text>)]
    community_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    community_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    category_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    category_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    organisation_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    organisation_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    activities_held: i64,
    #[diesel(sql_type = BigInt)]
    participants: i64,
    #[diesel(sql_type = BigInt)]
    service_minutes: i64,
    #[diesel(sql_type = BigInt)]
    points_earned: i64,
    #[diesel(sql_type = BigInt)]
    points_redeemed: i64,
    #[diesel(sql_type = BigInt)]
    products_published: i64,
    #[diesel(sql_type = BigInt)]
    needs_matched: i64,
    #[diesel(sql_type = BigInt)]
    needs_delivered: i64,
}

const FIGURES: [&str; 8] = [
    "activities_held",
    "participants",
    "service_minutes",
    "points_earned",
    "points_redeemed",
    "products_published",
    "needs_matched",
    "needs_delivered",
];

/// The public impact view grouped by `dimension`: the rows whose key is known.
pub(crate) fn impact_view(
    conn: &mut DbConnection,
    filter: &InsightFilter,
    dimension: Dimension,
    limit: Option<i64>,
) -> DomainResult<Vec<ImpactCell>> {
    impact(conn, filter, &[dimension], false, limit)
}

/// The cross-tab grouped by `grouping`: every cell, NULL parts included (an activity held in
/// no community, a need of no organisation, a product serving no community).
pub(crate) fn cross_tab(
    conn: &mut DbConnection,
    filter: &InsightFilter,
    grouping: &Grouping,
    limit: Option<i64>,
) -> DomainResult<Vec<ImpactCell>> {
    impact(conn, filter, grouping.dimensions(), true, limit)
}

/// The impact figures grouped by `dimensions`, in one statement: each source contributes rows
/// of (its keys, its figures, zeros elsewhere), `UNION ALL`, and the database sums them per
/// key. Keys the figure has none for are NULL; the impact view (`cross_tab` false) leaves
/// those rows out, as it always has.
///
/// `limit`: the most rows, most service time first; none for an export.
fn impact(
    conn: &mut DbConnection,
    filter: &InsightFilter,
    dimensions: &[Dimension],
    cross_tab: bool,
    limit: Option<i64>,
) -> DomainResult<Vec<ImpactCell>> {
    let mut sql = Sql::new(conn, "SELECT ");
    let keys: Vec<&str> = Dimension::ALL
        .iter()
        .map(|d| match (d, dimensions.contains(d)) {
            (Dimension::Community, true) => {
                "k.community_id AS community_id, \
                 (SELECT name FROM community WHERE id = k.community_id) AS community_name"
            }
            (Dimension::Category, true) => {
                "k.category_id AS category_id, \
                 (SELECT name_zh FROM category WHERE id = k.category_id) AS category_name"
            }
            (Dimension::Organisation, true) => {
                "k.organisation_id AS organisation_id, \
                 (SELECT name FROM organisation WHERE id = k.organisation_id) \
                 AS organisation_name"
            }
            (Dimension::Community, false) => {
                "CAST(NULL AS TEXT) AS community_id, CAST(NULL AS TEXT) AS community_name"
            }
            (Dimension::Category, false) => {
                "CAST(NULL AS TEXT) AS category_id, CAST(NULL AS TEXT) AS category_name"
            }
            (Dimension::Organisation, false) => {
                "CAST(NULL AS TEXT) AS organisation_id, CAST(NULL AS TEXT) AS organisation_name"
            }
        })
        .collect();
    sql.push(&keys.join(", "));
    for figure in FIGURES {
        sql.push(&format!(", {} AS {figure}", sum(&format!("k.{figure}"))));
    }
    sql.push(" FROM (");

    // One branch per source: its key columns (NULL where grouped by nothing), then the eight
    // figures in FIGURES' order, summed per key within the branch (so the union carries one
    // row per key and source, not one per fact).
    let select = |source: &Source, figures: [&str; 8]| {
        let mut columns: Vec<String> = Dimension::ALL
            .iter()
            .map(|d| {
                let column = if dimensions.contains(d) {
                    source.column(*d)
                } else {
                    "CAST(NULL AS TEXT)"
                };
                format!("{column} AS {}", key_name(*d))
            })
            .collect();
        columns.extend(
            figures
                .iter()
                .zip(FIGURES)
                .map(|(value, name)| format!("{} AS {name}", sum(value))),
        );
        format!("SELECT {}", columns.join(", "))
    };
    let group = |source: &Source| {
        let keys: Vec<&str> = dimensions
            .iter()
            .map(|d| source.column(*d))
            .filter(|column| !column.starts_with("CAST(NULL"))
            .collect();
        format!(" GROUP BY {}", keys.join(", "))
    };

    // Completed activities.
    sql.push(&select(&ACTIVITY, ["1", "0", "0", "0", "0", "0", "0", "0"]));
    sql.push(" FROM activity a WHERE a.status = 'COMPLETED'");
    sql.period(filter, "a.starts_at")
        .community(filter, "a.community_id")
        .category(filter, "a.category_id")
        .push(&group(&ACTIVITY));
    // Verified participations, summed per activity first (from the index of verified
    // participations alone), then placed by their activity.
    sql.push(" UNION ALL ");
    sql.push(&select(
        &ACTIVITY,
        [
            "0",
            "s.participants",
            "s.minutes",
            "s.points",
            "0",
            "0",
            "0",
            "0",
        ],
    ));
    sql.push(&format!(
        " FROM (SELECT p.activity_id AS activity_id, COUNT(*) AS participants, \
           {minutes} AS minutes, {points} AS points \
           FROM participation p WHERE p.verified_at IS NOT NULL GROUP BY p.activity_id) s \
         JOIN activity a ON a.id = s.activity_id WHERE 1 = 1",
        minutes = sum(SERVICE_MINUTES),
        points = sum("p.points_awarded"),
    ));
    sql.period(filter, "a.starts_at")
        .community(filter, "a.community_id")
        .category(filter, "a.category_id")
        .push(&group(&ACTIVITY));
    // Confirmed redemptions, at the merchant's place.
    sql.push(" UNION ALL ");
    sql.push(&select(
        &MERCHANT,
        ["0", "0", "0", "0", "r.points", "0", "0", "0"],
    ));
    sql.push(
        " FROM redemption r JOIN merchant m ON m.id = r.merchant_id \
         WHERE r.status = 'CONFIRMED'",
    );
    sql.period(filter, "r.finished_at")
        .community(filter, "m.community_id")
        .category(filter, "m.category_id")
        .push(&group(&MERCHANT));
    // Published products, once in each community they serve when communities are keys.
    sql.push(" UNION ALL ");
    sql.push(&select(&PRODUCT, ["0", "0", "0", "0", "0", "1", "0", "0"]));
    let by_community = dimensions.contains(&Dimension::Community);
    if by_community {
        // The cross-tab keeps products that serve no community listed (community NULL).
        sql.push(if cross_tab {
            " FROM product p LEFT JOIN product_community pc ON pc.product_id = p.id"
        } else {
            " FROM product p JOIN product_community pc ON pc.product_id = p.id"
        });
    } else {
        sql.push(" FROM product p");
    }
    sql.push(" WHERE p.status = 'PUBLISHED'");
    sql.period(filter, "p.published_at");
    if by_community {
        sql.community(filter, "pc.community_id");
    } else {
        sql.served(filter, "p.id");
    }
    sql.category(filter, "p.category_id").push(&group(&PRODUCT));
    // Needs, which have no organisation: left out of the view by organisation, whose rows all
    // name one.
    if cross_tab || dimensions != [Dimension::Organisation] {
        sql.push(" UNION ALL ");
        sql.push(&select(
            &NEED,
            [
                "0",
                "0",
                "0",
                "0",
                "0",
                "0",
                "CASE WHEN n.status IN ('MATCHED', 'DELIVERED', 'CLOSED') THEN 1 ELSE 0 END",
                "CASE WHEN n.status IN ('DELIVERED', 'CLOSED') THEN 1 ELSE 0 END",
            ],
        ));
        sql.push(" FROM need n WHERE 1 = 1");
        sql.period(filter, "n.created_at")
            .community(filter, "n.community_id")
            .category(filter, "n.category_id")
            .push(&group(&NEED));
    }
    sql.push(") k");
    let grouped: Vec<&str> = dimensions.iter().map(|d| key_name(*d)).collect();
    let qualified: Vec<String> = grouped.iter().map(|k| format!("k.{k}")).collect();
    if !cross_tab {
        sql.push(&format!(" WHERE {} IS NOT NULL", qualified.join(" AND ")));
    }
    sql.push(&format!(
        " GROUP BY {} ORDER BY service_minutes DESC, {}",
        qualified.join(", "),
        qualified.join(", ")
    ));
    if let Some(limit) = limit.map(|l| l.min(IMPACT_ROWS)) {
        let p = sql.int(limit);
        sql.push(&format!(" LIMIT {p}"));
    }
    Ok(sql
        .load::<ImpactSqlRow>(conn)?
        .into_iter()
        .map(|r| ImpactCell {
            community: named(r.community_id, r.community_name),
            category: named(r.category_id, r.category_name),
            organisation: named(r.organisation_id, r.organisation_name),
            figures: ImpactFigures {
                activities_held: r.activities_held,
                participants: r.participants,
                service_minutes: r.service_minutes,
                points_earned: r.points_earned,
                points_redeemed: r.points_redeemed,
                products_published: r.products_published,
                needs_matched: r.needs_matched,
                needs_delivered: r.needs_delivered,
            },
        })
        .collect())
}

fn key_name(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Community => "community_id",
        Dimension::Category => "category_id",
        Dimension::Organisation => "organisation_id",
    }
}

#[derive(QueryableByName)]
struct FlowRow {
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    issued: i64,
    #[diesel(sql_type = BigInt)]
    in_wallets: i64,
    #[diesel(sql_type = BigInt)]
    held: i64,
    #[diesel(sql_type = BigInt)]
    redeemed: i64,
    #[diesel(sql_type = BigInt)]
    expired: i64,
}

/// The kinds of account a transfer of `code` debits and credits, where the ledger fixes them
/// (`docs/LEDGER.md`); none for codes that move points between accounts of any kind. An EARN's
/// paying side may be a budget or a group's fund: neither is summed on its own here.
fn fixed_sides(code: TransferCode) -> Option<(AccountKind, AccountKind)> {
    match code {
        TransferCode::Earn => Some((AccountKind::Budget, AccountKind::Wallet)),
        TransferCode::AllocateBudget => Some((AccountKind::Issuance, AccountKind::Budget)),
        TransferCode::RedeemHold => Some((AccountKind::Wallet, AccountKind::Hold)),
        TransferCode::RedeemCapture => Some((AccountKind::Hold, AccountKind::Merchant)),
        TransferCode::RedeemRelease => Some((AccountKind::Hold, AccountKind::Wallet)),
        TransferCode::Expire => Some((AccountKind::Wallet, AccountKind::Expired)),
        TransferCode::Settle => Some((AccountKind::Merchant, AccountKind::Settled)),
        TransferCode::BookHold => Some((AccountKind::Wallet, AccountKind::Hold)),
        TransferCode::BookCapture => Some((AccountKind::Hold, AccountKind::Budget)),
        TransferCode::BookRelease => Some((AccountKind::Hold, AccountKind::Wallet)),
        TransferCode::ReviewHold => Some((AccountKind::Wallet, AccountKind::Hold)),
        TransferCode::ReviewRelease => Some((AccountKind::Hold, AccountKind::Wallet)),
        TransferCode::Donate | TransferCode::Reverse | TransferCode::Adjust => None,
    }
}

/// What each month's transfers (before `until`) changed in the balances of each kind of
/// account: credits minus debits, as the cached balances are (issuance's sign flipped, so it
/// reads as points issued). Summed month by month they are the balances at each month's end.
///
/// Most transfers have sides of a kind fixed by their code ([`fixed_sides`]): those are summed
/// per month and code first (a cheap month key, no text per row), and only those few groups
/// go through the code's sides. The others (donations, adjustments, reversals) look their two
/// accounts' kinds up by primary key, one row at a time: the statement reads the transfer
/// table and a few account rows, never the accounts of every resident.
pub(crate) fn monthly_flows(
    conn: &mut DbConnection,
    until: NaiveDateTime,
) -> DomainResult<Vec<(String, [i64; 5])>> {
    let mut sql = Sql::new(conn, "");
    let key = sql.month_key("t.created_at");
    let month = sql.month_label("f.month");
    let (fixed, free): (Vec<TransferCode>, Vec<TransferCode>) = TransferCode::ALL
        .iter()
        .partition(|code| fixed_sides(**code).is_some());
    let listed = |codes: &[TransferCode]| {
        codes
            .iter()
            .map(|code| format!("'{}'", code.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let side = |pick: fn((AccountKind, AccountKind)) -> AccountKind| {
        let arms: String = fixed
            .iter()
            .filter_map(|code| fixed_sides(*code).map(|sides| (code, pick(sides))))
            .map(|(code, kind)| format!(" WHEN '{}' THEN '{}'", code.as_str(), kind.as_str()))
            .collect();
        format!("CASE g.code{arms} END")
    };
    // Several kinds count as one figure: redeemed points are in merchants' tills or settled.
    let flow = |kinds: &str| {
        sum(&format!(
            "CASE WHEN f.credit_kind IN ({kinds}) THEN f.amount ELSE 0 END \
             - CASE WHEN f.debit_kind IN ({kinds}) THEN f.amount ELSE 0 END"
        ))
    };
    let until_fixed = sql.time(until);
    let until_free = sql.time(until);
    sql.push(&format!(
        "SELECT {month} AS month, -{issued} AS issued, {wallets} AS in_wallets, \
           {held} AS held, {redeemed} AS redeemed, {expired} AS expired \
         FROM (SELECT g.month AS month, g.amount AS amount, {debit} AS debit_kind, \
             {credit} AS credit_kind \
           FROM (SELECT {key} AS month, t.code AS code, SUM(t.amount) AS amount \
             FROM transfer t WHERE t.code IN ({fixed}) AND t.created_at < {until_fixed} \
             GROUP BY 1, 2) g \
           UNION ALL \
           SELECT {key}, t.amount, \
             (SELECT d.kind FROM account d WHERE d.id = t.debit_account_id), \
             (SELECT c.kind FROM account c WHERE c.id = t.credit_account_id) \
           FROM transfer t WHERE t.code IN ({free}) AND t.created_at < {until_free}) f \
         GROUP BY f.month ORDER BY f.month",
        issued = flow("'ISSUANCE'"),
        wallets = flow("'WALLET'"),
        held = flow("'HOLD'"),
        redeemed = flow("'MERCHANT', 'SETTLED'"),
        expired = flow("'EXPIRED'"),
        debit = side(|(debit, _)| debit),
        credit = side(|(_, credit)| credit),
        fixed = listed(&fixed),
        free = listed(&free),
    ));
    Ok(sql
        .load::<FlowRow>(conn)?
        .into_iter()
        .map(|r| {
            (
                r.month,
                [r.issued, r.in_wallets, r.held, r.redeemed, r.expired],
            )
        })
        .collect())
}

/// Which organisations a budget listing holds: the filter's community and type (the
/// organisation's), and its category (organisations working in it, as in
/// [`organisations_by_category`]).
fn organisations_where(sql: &mut Sql, filter: &InsightFilter) {
    sql.community(filter, "o.community_id");
    if filter.category_id.is_some() {
        sql.push(" AND (o.id IN (SELECT p.organisation_id FROM product p WHERE 1 = 1");
        sql.category(filter, "p.category_id");
        sql.push(") OR o.id IN (SELECT a.organisation_id FROM activity a WHERE 1 = 1");
        sql.category(filter, "a.category_id");
        sql.push("))");
    }
}

#[derive(QueryableByName)]
struct BudgetRow {
    #[diesel(sql_type = Text)]
    organisation_id: OrganisationId,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    balance: i64,
    #[diesel(sql_type = BigInt)]
    allocated: i64,
    #[diesel(sql_type = BigInt)]
    paid_out: i64,
    #[diesel(sql_type = BigInt)]
    residents_paid: i64,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Organisations' budgets with what moved in the period, ascending by organisation id (the
/// order they registered in): a page of them, or all of them (`page` none, for an export).
pub(crate) fn budgets(
    conn: &mut DbConnection,
    filter: &InsightFilter,
    page: Option<&PageRequest>,
) -> DomainResult<Vec<OrganisationBudget>> {
    let mut sql = Sql::new(conn, "");
    sql.push(&format!(
        "SELECT o.id AS organisation_id, o.name AS name, b.balance AS balance, \
           {allocated} AS allocated, {paid} AS paid_out, \
           COUNT(DISTINCT CASE WHEN t.code = 'EARN' THEN t.credit_account_id END) \
           AS residents_paid \
         FROM organisation o JOIN account b ON b.kind = 'BUDGET' AND b.owner_id = o.id \
         LEFT JOIN transfer t ON ((t.credit_account_id = b.id AND t.code = 'ALLOCATE_BUDGET') \
           OR (t.debit_account_id = b.id AND t.code = 'EARN'))",
        allocated = sum("CASE WHEN t.code = 'ALLOCATE_BUDGET' THEN t.amount ELSE 0 END"),
        paid = sum("CASE WHEN t.code = 'EARN' THEN t.amount ELSE 0 END"),
    ));
    sql.period(filter, "t.created_at");
    sql.push(" WHERE 1 = 1");
    organisations_where(&mut sql, filter);
    if let Some(page) = page {
        sql.after_cursors(page, "o.id");
    }
    sql.push(" GROUP BY o.id, o.name, b.balance");
    match page {
        Some(page) => sql.page_order(page, "o.id"),
        None => sql.push(" ORDER BY o.id"),
    };
    Ok(sql
        .load::<BudgetRow>(conn)?
        .into_iter()
        .map(|r| OrganisationBudget {
            organisation_id: r.organisation_id,
            name: r.name,
            balance: r.balance,
            allocated: r.allocated,
            paid_out: r.paid_out,
            residents_paid: r.residents_paid,
        })
        .collect())
}

pub(crate) fn count_budgets(conn: &mut DbConnection, filter: &InsightFilter) -> DomainResult<i64> {
    let mut sql = Sql::new(
        conn,
        "SELECT COUNT(*) AS n FROM organisation o \
         JOIN account b ON b.kind = 'BUDGET' AND b.owner_id = o.id WHERE 1 = 1",
    );
    organisations_where(&mut sql, filter);
    Ok(sql.load::<CountRow>(conn)?.first().map_or(0, |r| r.n))
}

#[derive(QueryableByName)]
struct AttendanceRow {
    #[diesel(sql_type = Text)]
    activity_id: ActivityId,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Timestamp)]
    starts_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    status: ActivityStatus,
    #[diesel(sql_type = Text)]
    organisation: String,
    #[diesel(sql_type = Nullable<Text>)]
    community: Option<String>,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = BigInt)]
    signed_up: i64,
    #[diesel(sql_type = BigInt)]
    attended: i64,
    #[diesel(sql_type = BigInt)]
    verified: i64,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
    #[diesel(sql_type = BigInt)]
    points: i64,
}

const ACTIVITIES_WHERE: &str = " WHERE a.status IN ('PUBLISHED', 'COMPLETED', 'CANCELLED')";

fn activities_where(sql: &mut Sql, filter: &InsightFilter) {
    sql.period(filter, "a.starts_at")
        .community(filter, "a.community_id")
        .category(filter, "a.category_id");
}

/// Attendance and service per activity started in the period (drafts aside), ascending by
/// activity id: a page, or all of them for an export.
pub(crate) fn attendance(
    conn: &mut DbConnection,
    filter: &InsightFilter,
    page: Option<&PageRequest>,
) -> DomainResult<Vec<ActivityAttendance>> {
    let mut sql = Sql::new(conn, "");
    sql.push(&format!(
        "SELECT a.id AS activity_id, a.title AS title, a.starts_at AS starts_at, \
           a.status AS status, o.name AS organisation, c.name AS community, \
           cat.name_zh AS category, {signed_up} AS signed_up, {attended} AS attended, \
           {verified} AS verified, {minutes} AS minutes, {points} AS points \
         FROM activity a JOIN organisation o ON o.id = a.organisation_id \
         JOIN category cat ON cat.id = a.category_id \
         LEFT JOIN community c ON c.id = a.community_id \
         LEFT JOIN participation p ON p.activity_id = a.id",
        signed_up = count_if("p.status = 'REGISTERED'"),
        attended = count_if("p.checked_in_at IS NOT NULL OR p.manual OR p.verified_at IS NOT NULL"),
        verified = count_if("p.verified_at IS NOT NULL"),
        minutes = sum(SERVICE_MINUTES),
        points = sum("p.points_awarded"),
    ));
    sql.push(ACTIVITIES_WHERE);
    activities_where(&mut sql, filter);
    if let Some(page) = page {
        sql.after_cursors(page, "a.id");
    }
    sql.push(" GROUP BY a.id, a.title, a.starts_at, a.status, o.name, c.name, cat.name_zh");
    match page {
        Some(page) => sql.page_order(page, "a.id"),
        None => sql.push(" ORDER BY a.starts_at, a.id"),
    };
    Ok(sql
        .load::<AttendanceRow>(conn)?
        .into_iter()
        .map(|r| ActivityAttendance {
            activity_id: r.activity_id,
            title: r.title,
            starts_at: r.starts_at,
            status: r.status,
            organisation: r.organisation,
            community: r.community,
            category: r.category,
            signed_up: r.signed_up,
            attended: r.attended,
            verified: r.verified,
            minutes: r.minutes,
            points: r.points,
        })
        .collect())
}

pub(crate) fn count_attendance(
    conn: &mut DbConnection,
    filter: &InsightFilter,
) -> DomainResult<i64> {
    let mut sql = Sql::new(conn, "SELECT COUNT(*) AS n FROM activity a");
    sql.push(ACTIVITIES_WHERE);
    activities_where(&mut sql, filter);
    Ok(sql.load::<CountRow>(conn)?.first().map_or(0, |r| r.n))
}

#[derive(QueryableByName)]
struct ResidentRow {
    #[diesel(sql_type = Text)]
    user_id: UserId,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    community: Option<String>,
    #[diesel(sql_type = BigInt)]
    participations: i64,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
    #[diesel(sql_type = BigInt)]
    points: i64,
}

const SERVICE_FROM: &str = " FROM participation p JOIN activity a ON a.id = p.activity_id \
     WHERE p.verified_at IS NOT NULL";

/// Verified service per resident in activities started in the period (placed by the
/// activity, as every figure is), ascending by user id: a page, or all for an export.
pub(crate) fn resident_hours(
    conn: &mut DbConnection,
    filter: &InsightFilter,
    page: Option<&PageRequest>,
) -> DomainResult<Vec<ResidentHours>> {
    let mut sql = Sql::new(conn, "");
    sql.push(&format!(
        "SELECT s.user_id AS user_id, u.display_name AS name, c.name AS community, \
           s.participations AS participations, s.minutes AS minutes, s.points AS points \
         FROM (SELECT p.user_id AS user_id, COUNT(*) AS participations, {minutes} AS minutes, \
           {points} AS points{SERVICE_FROM}",
        minutes = sum(SERVICE_MINUTES),
        points = sum("p.points_awarded"),
    ));
    activities_where(&mut sql, filter);
    if let Some(page) = page {
        sql.after_cursors(page, "p.user_id");
    }
    sql.push(" GROUP BY p.user_id");
    match page {
        Some(page) => sql.page_order(page, "p.user_id"),
        None => sql.push(" ORDER BY p.user_id"),
    };
    sql.push(
        ") s JOIN app_user u ON u.id = s.user_id LEFT JOIN community c ON c.id = u.community_id",
    );
    // The outer join keeps the inner order on neither engine by promise: order again.
    sql.push(match page {
        Some(page) if page.backward => " ORDER BY s.user_id DESC",
        _ => " ORDER BY s.user_id",
    });
    Ok(sql
        .load::<ResidentRow>(conn)?
        .into_iter()
        .map(|r| ResidentHours {
            user_id: r.user_id,
            name: r.name,
            community: r.community,
            participations: r.participations,
            minutes: r.minutes,
            points: r.points,
        })
        .collect())
}

pub(crate) fn count_residents(
    conn: &mut DbConnection,
    filter: &InsightFilter,
) -> DomainResult<i64> {
    let mut sql = Sql::new(conn, "SELECT COUNT(DISTINCT p.user_id) AS n");
    sql.push(SERVICE_FROM);
    activities_where(&mut sql, filter);
    Ok(sql.load::<CountRow>(conn)?.first().map_or(0, |r| r.n))
}
