//! The district's impact in figures: aggregates only, never a person.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::Services;
use crate::db::DbConnection;
use crate::error::DomainResult;
use crate::schema::{
    activity, category, community, merchant, need, organisation, participation, product,
    product_community, redemption,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Community,
    Category,
    Organisation,
}

/// One row of the impact view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpactRow {
    pub key: String,
    pub name: String,
    pub activities_held: i64,
    pub participants: i64,
    pub service_minutes: i64,
    pub points_earned: i64,
    pub points_redeemed: i64,
    pub products_published: i64,
    pub needs_matched: i64,
    pub needs_delivered: i64,
}

pub struct Impact<'a> {
    services: &'a Services,
}

impl<'a> Impact<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// Public figures per community, category or organisation, largest service time first.
    pub fn by(&self, dimension: Dimension) -> DomainResult<Vec<ImpactRow>> {
        self.services.db.read(|conn| aggregate(conn, dimension))
    }
}

fn aggregate(conn: &mut DbConnection, dimension: Dimension) -> DomainResult<Vec<ImpactRow>> {
    let mut rows: HashMap<String, ImpactRow> = HashMap::new();
    let pick = |community: Option<&String>,
                category: Option<&String>,
                organisation: Option<&String>| match dimension {
        Dimension::Community => community.cloned(),
        Dimension::Category => category.cloned(),
        Dimension::Organisation => organisation.cloned(),
    };

    let activities: HashMap<String, (Option<String>, String, String, String)> = activity::table
        .select((
            activity::id,
            activity::community_id,
            activity::category_id,
            activity::organisation_id,
            activity::status,
        ))
        .load::<(String, Option<String>, String, String, String)>(conn)?
        .into_iter()
        .map(|(id, community, category, organisation, status)| {
            (id, (community, category, organisation, status))
        })
        .collect();
    for (community, category, organisation, status) in activities.values() {
        if status == "COMPLETED"
            && let Some(key) = pick(community.as_ref(), Some(category), Some(organisation))
        {
            rows.entry(key).or_default().activities_held += 1;
        }
    }
    for (activity_id, minutes, points) in participation::table
        .filter(participation::verified_at.is_not_null())
        .select((
            participation::activity_id,
            participation::verified_minutes,
            participation::points_awarded,
        ))
        .load::<(String, Option<i32>, Option<i64>)>(conn)?
    {
        if let Some((community, category, organisation, _)) = activities.get(&activity_id)
            && let Some(key) = pick(community.as_ref(), Some(category), Some(organisation))
        {
            let row = rows.entry(key).or_default();
            row.participants += 1;
            row.service_minutes += i64::from(minutes.unwrap_or(0));
            row.points_earned += points.unwrap_or(0);
        }
    }
    for (community, category, organisation, points) in redemption::table
        .inner_join(merchant::table.on(merchant::id.eq(redemption::merchant_id)))
        .filter(redemption::status.eq("CONFIRMED"))
        .select((
            merchant::community_id,
            merchant::category_id,
            merchant::organisation_id,
            redemption::points,
        ))
        .load::<(Option<String>, String, String, i64)>(conn)?
    {
        if let Some(key) = pick(community.as_ref(), Some(&category), Some(&organisation)) {
            rows.entry(key).or_default().points_redeemed += points;
        }
    }
    let served: Vec<(String, String)> = product_community::table
        .select((
            product_community::product_id,
            product_community::community_id,
        ))
        .load(conn)?;
    for (id, category, organisation) in product::table
        .filter(product::status.eq("PUBLISHED"))
        .select((product::id, product::category_id, product::organisation_id))
        .load::<(String, String, String)>(conn)?
    {
        let keys: Vec<String> = match dimension {
            Dimension::Community => served
                .iter()
                .filter(|(p, _)| *p == id)
                .map(|(_, c)| c.clone())
                .collect(),
            Dimension::Category => vec![category],
            Dimension::Organisation => vec![organisation],
        };
        for key in keys {
            rows.entry(key).or_default().products_published += 1;
        }
    }
    for (community, category, status) in need::table
        .select((need::community_id, need::category_id, need::status))
        .load::<(String, String, String)>(conn)?
    {
        if let Some(key) = pick(Some(&community), Some(&category), None) {
            let row = rows.entry(key).or_default();
            if matches!(status.as_str(), "MATCHED" | "DELIVERED" | "CLOSED") {
                row.needs_matched += 1;
            }
            if matches!(status.as_str(), "DELIVERED" | "CLOSED") {
                row.needs_delivered += 1;
            }
        }
    }

    let names: HashMap<String, String> = match dimension {
        Dimension::Community => community::table
            .select((community::id, community::name))
            .load(conn)?,
        Dimension::Category => category::table
            .select((category::id, category::name_zh))
            .load(conn)?,
        Dimension::Organisation => organisation::table
            .select((organisation::id, organisation::name))
            .load(conn)?,
    }
    .into_iter()
    .collect();
    let mut out: Vec<ImpactRow> = rows
        .into_iter()
        .map(|(key, mut row)| {
            row.name = names.get(&key).cloned().unwrap_or_default();
            row.key = key;
            row
        })
        .collect();
    out.sort_by(|a, b| {
        b.service_minutes
            .cmp(&a.service_minutes)
            .then(a.name.cmp(&b.name))
    });
    Ok(out)
}
