//! Values that cross service boundaries: ids, points, idempotency keys and the clock.
//! Each is built once at the edge through `parse`, so a service never sees an unchecked one.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use crate::error::{DomainError, DomainResult};

/// An enum stored as TEXT (with a CHECK constraint in the migrations): its variants, their
/// stable spellings, and the conversions both ways — including to and from the database, so a
/// row struct holds the enum itself and no store writes a text-to-enum mapper by hand. One
/// definition for every context.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                match raw { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        $crate::types::text_sql!($name, |raw: String| $name::parse(&raw)
            .ok_or_else(|| format!("unknown {} {raw:?}", stringify!($name)).into()),
            |value: &$name| value.as_str());
    };
}
pub(crate) use text_enum;

/// diesel conversions for a type stored as TEXT, for every backend (so for both engines
/// behind the `MultiConnection` as well).
macro_rules! text_sql {
    ($name:ident, $from:expr, $to:expr) => {
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                use diesel::deserialize::FromSql;
                use diesel::sql_types::Text;
                let raw = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                let from: fn(String) -> diesel::deserialize::Result<Self> = $from;
                from(raw)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                let to: fn(&$name) -> &str = $to;
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    to(self),
                    out,
                )
            }
        }
    };
}
pub(crate) use text_sql;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub struct $name(String);

        $crate::types::text_sql!($name, |raw: String| Ok($name(raw)), |value: &$name| &value.0);

        impl $name {
            /// A fresh UUIDv7: time-ordered, so newest-first listings can sort by id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Accepts only a canonical UUID, so no other text ever reaches a query as an id.
            pub fn parse(raw: &str) -> Option<Self> {
                uuid::Uuid::try_parse(raw).ok().map(|u| Self(u.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A person: resident, staff or admin.
    UserId
);
id_type!(CommunityId);
id_type!(OrganisationId);
id_type!(AccountId);

impl AccountId {
    /// A system account whose id the migrations of both engines fix (the issuance account).
    pub(crate) fn fixed(raw: &'static str) -> Self {
        Self(raw.to_owned())
    }
}
id_type!(TransferId);
id_type!(ProductId);
id_type!(ActivityId);
id_type!(ParticipationId);
id_type!(MerchantId);
id_type!(RewardId);
id_type!(RedemptionId);
id_type!(GroupId);
id_type!(NeedId);
id_type!(MatchId);
id_type!(ApprovalRequestId);
id_type!(SettlementId);
id_type!(BookingId);
id_type!(CertificateId);
id_type!(ReviewCaseId);

/// An amount of volunteer points. Always a whole number; arithmetic is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Points(i64);

impl Points {
    pub const ZERO: Points = Points(0);

    /// The largest single movement the API accepts; far above any real reward or budget, small
    /// enough that sums over a district's history cannot overflow.
    pub const MAX_TRANSFER: i64 = 100_000_000;

    /// A positive amount for a transfer.
    pub fn positive(value: i64, field: &'static str) -> DomainResult<Self> {
        if value <= 0 {
            return Err(DomainError::invalid(field, "积分数量必须为正整数"));
        }
        if value > Self::MAX_TRANSFER {
            return Err(DomainError::invalid(field, "积分数量超出上限"));
        }
        Ok(Self(value))
    }

    pub(crate) fn from_db(value: i64) -> Self {
        Self(value)
    }

    pub fn value(self) -> i64 {
        self.0
    }
}

/// Adds points. A sum beyond `i64` means the books are wrong, so it fails as `INTERNAL` —
/// never capped, never wrapped — wherever points are added up.
pub(crate) fn add_points(a: i64, b: i64) -> DomainResult<i64> {
    a.checked_add(b)
        .ok_or_else(|| DomainError::internal(format!("points overflow adding {a} and {b}")))
}

/// A total of points, failing like [`add_points`].
pub(crate) fn sum_points(values: impl IntoIterator<Item = i64>) -> DomainResult<i64> {
    values.into_iter().try_fold(0, add_points)
}

impl std::fmt::Display for Points {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A client's key for one balance-changing request. Scoped to the caller when stored, so two
/// people can never collide on the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> DomainResult<Self> {
        let ok = (8..=100).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if !ok {
            return Err(DomainError::invalid(
                "idempotencyKey",
                "幂等键须为 8 到 100 个字母、数字或 - _ . : 字符",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trims free text and checks its length in characters (not bytes: the text is Chinese).
pub fn text(raw: &str, field: &'static str, min: usize, max: usize) -> DomainResult<String> {
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars < min || chars > max {
        return Err(DomainError::invalid(
            field,
            format!("长度须在 {min} 到 {max} 个字符之间"),
        ));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err(DomainError::invalid(field, "不能包含控制字符"));
    }
    Ok(trimmed.to_owned())
}

/// Search text for staff's directory as a `LIKE … ESCAPE '\\'` pattern matching any part of
/// a value: trimmed, at most 60 characters, lower-cased (emails are stored lower-cased) and
/// with `%`, `_` and `\\` taken literally. None when there is nothing to search for.
pub fn contains_pattern(raw: Option<&str>) -> DomainResult<Option<String>> {
    let Some(raw) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let needle = text(raw, "text", 1, 60)?.to_lowercase();
    let mut pattern = String::from("%");
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Ok(Some(pattern))
}

/// China Standard Time is UTC+8 all year (no daylight saving): residents' days, months and
/// clocks are counted in it, while Linli stores UTC.
pub const CHINA_OFFSET: TimeDelta = TimeDelta::hours(8);

/// A stored UTC time as a clock in Chengdu shows it.
pub fn china_time(utc: NaiveDateTime) -> NaiveDateTime {
    utc.checked_add_signed(CHINA_OFFSET).unwrap_or(utc)
}

/// The UTC instant at which the day in Chengdu that contains `utc` began.
pub fn china_day_start(utc: NaiveDateTime) -> NaiveDateTime {
    let midnight = china_time(utc).date().and_time(chrono::NaiveTime::MIN);
    midnight
        .checked_sub_signed(CHINA_OFFSET)
        .unwrap_or(midnight)
}

/// The time source. Real time in production; tests move it forward to reach expiries; the
/// seed stops it at chosen instants to replay a district's past exactly.
#[derive(Debug, Clone)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    /// Microseconds since the epoch while stopped; `REAL` while running.
    stopped_at: Arc<AtomicI64>,
}

const REAL: i64 = i64::MIN;

impl Default for Clock {
    fn default() -> Self {
        Self {
            offset_ms: Arc::default(),
            stopped_at: Arc::new(AtomicI64::new(REAL)),
        }
    }
}

impl Clock {
    /// Now in UTC, truncated to microseconds: PostgreSQL keeps microseconds, and both engines
    /// must read back exactly what was written.
    pub fn now(&self) -> NaiveDateTime {
        let stopped = self.stopped_at.load(Ordering::Relaxed);
        if stopped != REAL
            && let Some(at) = DateTime::from_timestamp_micros(stopped)
        {
            return at.naive_utc();
        }
        let now = Utc::now() + TimeDelta::milliseconds(self.offset_ms.load(Ordering::Relaxed));
        let micros = now.timestamp_micros();
        DateTime::from_timestamp_micros(micros)
            .unwrap_or(now)
            .naive_utc()
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Stops this clock (and every clone) at `at`, so that everything done meanwhile happens
    /// at that instant; the seed replays past activities this way. `None` returns to real time.
    pub fn travel_to(&self, at: Option<NaiveDateTime>) {
        let stopped = at.map_or(REAL, |at| at.and_utc().timestamp_micros());
        self.stopped_at.store(stopped, Ordering::Relaxed);
    }
}
