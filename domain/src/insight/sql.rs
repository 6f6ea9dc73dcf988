//! Aggregate statements written as SQL text, because what they group by and which filters
//! apply vary with the request: the text is built from fixed fragments, and every value is a
//! bound parameter (`$1`, `$2` … in the order written, which both engines accept).

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::{QueryableByName, RunQueryDsl};

use super::InsightFilter;
use crate::db::{DbConnection, MultiBackend};
use crate::error::DomainResult;
use crate::page::PageRequest;
use crate::types::CHINA_OFFSET;

enum Bind {
    Text(String),
    Time(NaiveDateTime),
    Int(i64),
}

/// A statement under construction.
pub(crate) struct Sql {
    text: String,
    binds: Vec<Bind>,
    postgres: bool,
}

impl Sql {
    pub(crate) fn new(conn: &DbConnection, text: &str) -> Self {
        Self {
            text: text.to_owned(),
            binds: Vec::new(),
            postgres: matches!(conn, DbConnection::Pg(_)),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn placeholder(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.binds.len())
    }

    pub(crate) fn text(&mut self, value: &str) -> String {
        self.placeholder(Bind::Text(value.to_owned()))
    }

    pub(crate) fn time(&mut self, value: NaiveDateTime) -> String {
        self.placeholder(Bind::Time(value))
    }

    pub(crate) fn int(&mut self, value: i64) -> String {
        self.placeholder(Bind::Int(value))
    }

    /// A key for the month of the UTC timestamp `column` that is cheap to group by: the first
    /// instant of the China Standard Time month on PostgreSQL (`date_trunc`), the `YYYY-MM`
    /// text on SQLite, whose date functions only make text. Keys order as months do;
    /// [`Sql::month_label`] turns one into `YYYY-MM` once per group instead of once per row.
    pub(crate) fn month_key(&self, column: &str) -> String {
        let hours = CHINA_OFFSET.num_hours();
        if self.postgres {
            format!("date_trunc('month', {column} + INTERVAL '{hours} hours')")
        } else {
            format!("strftime('%Y-%m', {column}, '+{hours} hours')")
        }
    }

    /// The `YYYY-MM` of a [`Sql::month_key`].
    pub(crate) fn month_label(&self, key: &str) -> String {
        if self.postgres {
            format!("to_char({key}, 'YYYY-MM')")
        } else {
            key.to_owned()
        }
    }

    /// `AND` the period: `at` (the column dating the event) in [from, to).
    pub(crate) fn period(&mut self, filter: &InsightFilter, at: &str) -> &mut Self {
        if let Some(from) = filter.from {
            let p = self.time(from);
            self.push(&format!(" AND {at} >= {p}"));
        }
        if let Some(to) = filter.to {
            let p = self.time(to);
            self.push(&format!(" AND {at} < {p}"));
        }
        self
    }

    /// `AND` the community and the community type: `community` is the column placing the
    /// event in a community (events without one drop out when either is asked for).
    pub(crate) fn community(&mut self, filter: &InsightFilter, community: &str) -> &mut Self {
        if let Some(id) = &filter.community_id {
            let p = self.text(id.as_str());
            self.push(&format!(" AND {community} = {p}"));
        }
        if let Some(kind) = filter.community_type {
            let p = self.text(kind.as_str());
            self.push(&format!(
                " AND {community} IN (SELECT id FROM community WHERE community_type = {p})"
            ));
        }
        self
    }

    /// [`Sql::community`] for a product, placed in every community it serves.
    pub(crate) fn served(&mut self, filter: &InsightFilter, product: &str) -> &mut Self {
        if filter.community_id.is_none() && filter.community_type.is_none() {
            return self;
        }
        self.push(&format!(
            " AND EXISTS (SELECT 1 FROM product_community served \
             WHERE served.product_id = {product}"
        ));
        self.community(filter, "served.community_id");
        self.push(")")
    }

    /// `AND` the category: the column's category is the one asked for or one of its
    /// sub-categories. One `IN` over the category table (not `= … OR IN …`), so the database
    /// can join the few categories to an index on the column.
    pub(crate) fn category(&mut self, filter: &InsightFilter, category: &str) -> &mut Self {
        if let Some(id) = &filter.category_id {
            let p = self.text(id);
            let q = self.text(id);
            self.push(&format!(
                " AND {category} IN (SELECT id FROM category WHERE id = {p} OR parent_id = {q})"
            ));
        }
        self
    }

    /// `AND` the cursors of `page` on the text key `key`, for a listing in ascending order.
    pub(crate) fn after_cursors(&mut self, page: &PageRequest, key: &str) -> &mut Self {
        if let Some(after) = &page.after {
            let p = self.text(after);
            self.push(&format!(" AND {key} > {p}"));
        }
        if let Some(before) = &page.before {
            let p = self.text(before);
            self.push(&format!(" AND {key} < {p}"));
        }
        self
    }

    /// `ORDER BY key` in the reading direction of `page`, one row more than the page.
    pub(crate) fn page_order(&mut self, page: &PageRequest, key: &str) -> &mut Self {
        let direction = if page.backward { "DESC" } else { "ASC" };
        let limit = self.int(page.limit());
        self.push(&format!(" ORDER BY {key} {direction} LIMIT {limit}"))
    }

    pub(crate) fn load<T>(self, conn: &mut DbConnection) -> DomainResult<Vec<T>>
    where
        T: QueryableByName<MultiBackend> + 'static,
    {
        let mut query = diesel::sql_query(self.text).into_boxed::<MultiBackend>();
        for bind in self.binds {
            query = match bind {
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::Time(v) => query.bind::<Timestamp, _>(v),
                Bind::Int(v) => query.bind::<BigInt, _>(v),
            };
        }
        Ok(query.load(conn)?)
    }
}

/// `CAST(COALESCE(SUM(x), 0) AS BIGINT)`: PostgreSQL sums BIGINT into NUMERIC, SQLite into
/// INTEGER; both come back as BIGINT, and an empty group as 0.
pub(crate) fn sum(expression: &str) -> String {
    format!("CAST(COALESCE(SUM({expression}), 0) AS BIGINT)")
}

/// How many rows `condition` holds for, as BIGINT on both engines.
pub(crate) fn count_if(condition: &str) -> String {
    sum(&format!("CASE WHEN {condition} THEN 1 ELSE 0 END"))
}
