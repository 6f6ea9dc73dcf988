//! Booking community services: a resident books a published product (the elder canteen's
//! lunch, day care, a home repair) for a day. Free products are booked at once; priced ones wait
//! for the organisation to accept. A yuan price is paid off-platform and recorded; a points
//! price is held from the wallet (`BOOK_HOLD`), paid to the organisation's budget when it marks
//! the service delivered (`BOOK_CAPTURE`), and returned when the booking is cancelled, declined
//! or lapses (`BOOK_RELEASE`). Seats a day are taken by a conditional update, so concurrent
//! bookings never overbook.

pub(crate) mod store;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use crate::Services;
use crate::catalogue::{PriceTier, ProductStatus};
use crate::db::DbConnection;
use crate::directory::{self, OrganisationStatus};
use crate::error::{DomainError, DomainResult};
use crate::identity::Actor;
use crate::ledger::{self, AccountKind, TransferCode, store::NewTransfer};
use crate::outbox::{self, Template};
use crate::page::{Page, PageRequest};
use crate::types::{
    BookingId, IdempotencyKey, OrganisationId, Points, ProductId, UserId, china_time, text,
};

crate::types::text_enum!(
    /// Where a booking stands. The organisation drives it: requested → accepted → delivered, or
    /// declined; the resident may cancel until it is delivered; an open booking whose day has
    /// passed lapses.
    BookingStatus {
        Requested => "REQUESTED",
        Accepted => "ACCEPTED",
        Delivered => "DELIVERED",
        Declined => "DECLINED",
        Cancelled => "CANCELLED",
        Lapsed => "LAPSED",
    }
);

impl BookingStatus {
    /// The statuses a booking holds its seat and points in, until it is finished.
    pub const OPEN: [BookingStatus; 2] = [BookingStatus::Requested, BookingStatus::Accepted];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

/// The cause a booking's transfers name.
const BOOKING_CAUSE: &str = "booking";

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::booking)]
pub struct Booking {
    pub id: BookingId,
    pub product_id: ProductId,
    pub organisation_id: OrganisationId,
    pub user_id: UserId,
    /// `YYYY-MM-DD` in Chengdu.
    pub day: String,
    pub status: BookingStatus,
    pub price_tier: PriceTier,
    /// The yuan price when booked, in fen: paid to the organisation off-platform.
    pub price_fen: Option<i64>,
    /// Points held from the wallet (0 when the product has no points price).
    pub points: i64,
    pub note: String,
    /// Why the organisation declined it.
    pub reason: Option<String>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// How a product takes bookings, set by its organisation.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::booking_terms)]
pub struct BookingTerms {
    pub product_id: ProductId,
    /// Seats a day; none: no limit.
    pub seats_per_day: Option<i32>,
    pub per_resident_per_day: i32,
    /// Residents book from today up to this many days ahead.
    pub days_ahead: i32,
    pub open: bool,
    pub updated_at: NaiveDateTime,
}

/// What an organisation member sets.
#[derive(Debug, Clone)]
pub struct TermsInput {
    pub seats_per_day: Option<i32>,
    pub per_resident_per_day: i32,
    pub days_ahead: i32,
    pub open: bool,
}

/// What a resident asks for.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub product_id: ProductId,
    pub day: NaiveDate,
    pub note: String,
}

/// A step the organisation takes on a booking.
#[derive(Debug, Clone)]
pub enum Decision {
    Accept,
    Decline { reason: String },
    Deliver,
}

/// An open booking lapses when the day after its day ends in Chengdu: the organisation has
/// that day to mark it delivered.
const LAPSE_AFTER_DAYS: i64 = 2;

pub struct Bookings<'a> {
    services: &'a Services,
}

impl<'a> Bookings<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// Opens, changes or closes booking of a product: its organisation's members.
    pub fn set_terms(
        &self,
        actor: &Actor,
        product_id: &ProductId,
        input: &TermsInput,
    ) -> DomainResult<BookingTerms> {
        let user = actor.user_id()?;
        let mut problems = crate::Problems::default();
        if input
            .seats_per_day
            .is_some_and(|n| !(1..=10_000).contains(&n))
        {
            problems.add(DomainError::invalid(
                "seatsPerDay",
                "每天名额须在 1 到 10000 之间",
            ));
        }
        if !(1..=20).contains(&input.per_resident_per_day) {
            problems.add(DomainError::invalid(
                "perResidentPerDay",
                "每人每天可约次数须在 1 到 20 之间",
            ));
        }
        if !(1..=90).contains(&input.days_ahead) {
            problems.add(DomainError::invalid(
                "daysAhead",
                "可提前预约天数须在 1 到 90 之间",
            ));
        }
        problems.finish()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let product = find_product(conn, product_id)?;
            require_member(conn, &product.organisation_id, user)?;
            store::save_terms(conn, product_id, input, user, now)?;
            store::terms(conn, product_id)?.ok_or_else(|| DomainError::internal("terms not saved"))
        })
    }

    /// How a product takes bookings, if it does; public like the product.
    pub fn terms(&self, product_id: &ProductId) -> DomainResult<Option<BookingTerms>> {
        self.services.db.read(|conn| store::terms(conn, product_id))
    }

    /// Seats still free on `day`; none when the product has no limit a day.
    pub fn seats_left(&self, product_id: &ProductId, day: NaiveDate) -> DomainResult<Option<i32>> {
        self.services.db.read(|conn| {
            let Some(terms) = store::terms(conn, product_id)? else {
                return Ok(Some(0));
            };
            let Some(seats) = terms.seats_per_day else {
                return Ok(None);
            };
            let taken = store::taken(conn, product_id, &day_key(day))?;
            Ok(Some((seats - taken).max(0)))
        })
    }

    /// A resident books a product for a day. Idempotent per key: the same request again gets
    /// the same booking; the key reused for another product or day is refused.
    #[tracing::instrument(skip_all, fields(product = %input.product_id))]
    pub fn book(
        &self,
        actor: &Actor,
        input: &NewBooking,
        key: &IdempotencyKey,
    ) -> DomainResult<Booking> {
        let user = actor.user_id()?;
        let note = text(&input.note, "note", 0, 200)?;
        let day = day_key(input.day);
        let scoped = ledger::store::scoped_key(user.as_str(), key.as_str());
        let hash = ledger::store::request_hash(&[input.product_id.as_str(), &day, &note]);
        let replay = |conn: &mut DbConnection| {
            Ok(store::by_key(conn, &scoped)?.map(|(first, stored)| (first, stored == hash)))
        };
        ledger::service::once(self.services, replay, |conn, now| {
            let (wallet, hold) = ledger::store::personal_accounts(conn, user)?;
            ledger::store::lock_account(conn, &wallet)?;
            crate::identity::store::require_active(conn, user)?;
            let product = find_product(conn, &input.product_id)?;
            let terms = store::terms(conn, &product.id)?;
            let organisation = directory::store::find_organisation(conn, &product.organisation_id)?
                .ok_or_else(|| DomainError::internal("product without organisation"))?;
            let Some(terms) = terms.filter(|t| {
                t.open
                    && product.status == ProductStatus::Published
                    && organisation.status == OrganisationStatus::Verified
            }) else {
                return Err(DomainError::BookingUnavailable);
            };
            let today = china_time(now).date();
            if input.day < today || input.day > today + TimeDelta::days(terms.days_ahead.into()) {
                return Err(DomainError::invalid(
                    "day",
                    "只能预约今天起可预约天数内的日期",
                ));
            }
            if directory::store::member_role(conn, &organisation.id, user)?.is_some() {
                return Err(DomainError::SelfDealing("不能预约自己所在组织的服务"));
            }
            if store::count_of_resident(conn, &product.id, &day, user)?
                >= i64::from(terms.per_resident_per_day)
            {
                return Err(DomainError::BookingLimitReached);
            }
            if let Some(seats) = terms.seats_per_day
                && !store::take_seat(conn, &product.id, &day, seats)?
            {
                return Err(DomainError::FullyBooked);
            }
            let id = BookingId::generate();
            let points = product.price_points.unwrap_or(0);
            // A free service is booked at once; a priced one waits for the organisation.
            let status = if product.price_tier == PriceTier::Free {
                BookingStatus::Accepted
            } else {
                BookingStatus::Requested
            };
            store::insert(
                conn,
                &store::NewRow {
                    id: &id,
                    product: &product,
                    user,
                    day: &day,
                    status,
                    points,
                    note: &note,
                    idempotency_key: &scoped,
                    request_hash: &hash,
                    at: now,
                },
            )?;
            if points > 0 {
                let held = NewTransfer::new(
                    TransferCode::BookHold,
                    &wallet,
                    &hold,
                    Points::positive(points, "points")?,
                    "预约服务冻结",
                    now,
                );
                ledger::store::post_step(conn, BOOKING_CAUSE, id.as_str(), "hold", held.by(user))?;
            }
            let template = Template::BookingRequested {
                product: product.title.clone(),
                day: day.clone(),
                resident: crate::identity::store::find_user(conn, user)?
                    .map(|u| u.display_name)
                    .unwrap_or_default(),
                confirmed: status == BookingStatus::Accepted,
            };
            tell_members(conn, &organisation.id, &template, now)?;
            find(conn, &id)
        })
    }

    /// The resident cancels their open booking: the seat and any held points come back.
    pub fn cancel(&self, actor: &Actor, id: &BookingId) -> DomainResult<Booking> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let booking = find(conn, id)?;
            if &booking.user_id != user {
                return Err(DomainError::NotFound { what: "预约" });
            }
            let done = finish(conn, &booking, BookingStatus::Cancelled, None, None, now)?;
            let product = find_product(conn, &booking.product_id)?;
            let template = Template::BookingCancelled {
                product: product.title,
                day: booking.day.clone(),
            };
            tell_members(conn, &booking.organisation_id, &template, now)?;
            Ok(done)
        })
    }

    /// The organisation accepts, declines or marks a booking delivered: its members, never the
    /// resident themself.
    pub fn decide(
        &self,
        actor: &Actor,
        id: &BookingId,
        decision: &Decision,
    ) -> DomainResult<Booking> {
        let user = actor.user_id()?;
        let reason = match decision {
            Decision::Decline { reason } => Some(text(reason, "reason", 2, 200)?),
            _ => None,
        };
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let booking = find(conn, id)?;
            require_member(conn, &booking.organisation_id, user)?;
            let done = match decision {
                Decision::Accept => {
                    if !store::transition(
                        conn,
                        id,
                        &[BookingStatus::Requested],
                        BookingStatus::Accepted,
                        Some(user),
                        None,
                        now,
                    )? {
                        return Err(state_error(&booking));
                    }
                    find(conn, id)?
                }
                Decision::Decline { .. } => finish(
                    conn,
                    &booking,
                    BookingStatus::Declined,
                    Some(user),
                    reason.as_deref(),
                    now,
                )?,
                Decision::Deliver => deliver(conn, &booking, user, now)?,
            };
            tell_resident(conn, &done, now)?;
            Ok(done)
        })
    }

    /// Lapses open bookings whose day has passed (see [`LAPSE_AFTER_DAYS`]), giving back seats
    /// and points; run by the sweeper on every instance, each booking once (a conditional
    /// update).
    pub fn lapse_due(&self) -> DomainResult<usize> {
        let now = self.services.clock.now();
        let last_open_day = day_key(china_time(now).date() - TimeDelta::days(LAPSE_AFTER_DAYS));
        let due = self
            .services
            .db
            .read(|conn| store::open_through(conn, &last_open_day, 200))?;
        let mut lapsed = 0;
        for booking in due {
            let done = self.services.db.write(|conn| {
                match finish(conn, &booking, BookingStatus::Lapsed, None, None, now) {
                    Ok(done) => {
                        tell_resident(conn, &done, now)?;
                        Ok(true)
                    }
                    Err(DomainError::InvalidState(_)) => Ok(false),
                    Err(e) => Err(e),
                }
            })?;
            lapsed += usize::from(done);
        }
        Ok(lapsed)
    }

    /// The signed-in resident's bookings, newest first.
    pub fn mine(&self, actor: &Actor, page: &PageRequest) -> DomainResult<Page<Booking>> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            let (mut items, total) = store::of_user(conn, user, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// An organisation's bookings, newest first, optionally of one status: its members and
    /// staff.
    pub fn of_organisation(
        &self,
        actor: &Actor,
        organisation: &OrganisationId,
        status: Option<BookingStatus>,
        page: &PageRequest,
    ) -> DomainResult<Page<Booking>> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            if !actor.is_staff() {
                require_member(conn, organisation, user)?;
            }
            let (mut items, total) = store::of_organisation(conn, organisation, status, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// One booking: its resident, its organisation's members and staff.
    pub fn booking(&self, actor: &Actor, id: &BookingId) -> DomainResult<Booking> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            let booking = find(conn, id)?;
            if &booking.user_id == user
                || actor.is_staff()
                || directory::store::member_role(conn, &booking.organisation_id, user)?.is_some()
            {
                Ok(booking)
            } else {
                Err(DomainError::NotFound { what: "预约" })
            }
        })
    }
}

/// Ends an open booking as cancelled, declined or lapsed: the seat comes back and held points
/// return to the wallet in the years they were held from.
fn finish(
    conn: &mut DbConnection,
    booking: &Booking,
    to: BookingStatus,
    by: Option<&UserId>,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> DomainResult<Booking> {
    if !store::transition(conn, &booking.id, &BookingStatus::OPEN, to, by, reason, now)? {
        return Err(state_error(booking));
    }
    store::give_back_seat(conn, &booking.product_id, &booking.day)?;
    if booking.points > 0 {
        let (wallet, hold) = ledger::store::personal_accounts(conn, &booking.user_id)?;
        let released = NewTransfer::new(
            TransferCode::BookRelease,
            &hold,
            &wallet,
            Points::positive(booking.points, "points")?,
            "预约未完成，积分退回",
            now,
        );
        ledger::store::post_step(
            conn,
            BOOKING_CAUSE,
            booking.id.as_str(),
            "release",
            released.by(by),
        )?;
    }
    find(conn, &booking.id)
}

/// An accepted booking, delivered: held points go to the organisation's budget.
fn deliver(
    conn: &mut DbConnection,
    booking: &Booking,
    by: &UserId,
    now: NaiveDateTime,
) -> DomainResult<Booking> {
    let accepted = [BookingStatus::Accepted];
    if !store::transition(
        conn,
        &booking.id,
        &accepted,
        BookingStatus::Delivered,
        Some(by),
        None,
        now,
    )? {
        return Err(state_error(booking));
    }
    if booking.points > 0 {
        let (_, hold) = ledger::store::personal_accounts(conn, &booking.user_id)?;
        let budget = ledger::store::owned_account(
            conn,
            AccountKind::Budget,
            booking.organisation_id.as_str(),
        )?
        .ok_or_else(|| DomainError::internal("organisation without budget"))?;
        let captured = NewTransfer::new(
            TransferCode::BookCapture,
            &hold,
            &budget.id,
            Points::positive(booking.points, "points")?,
            "预约服务已完成",
            now,
        );
        ledger::store::post_step(
            conn,
            BOOKING_CAUSE,
            booking.id.as_str(),
            "capture",
            captured.by(by),
        )?;
    }
    find(conn, &booking.id)
}

/// Emails every member of the organisation providing the service.
fn tell_members(
    conn: &mut DbConnection,
    organisation: &OrganisationId,
    template: &Template,
    now: NaiveDateTime,
) -> DomainResult<()> {
    for member in directory::store::members(conn, organisation)? {
        outbox::notify(conn, &member.user_id, template, now)?;
    }
    Ok(())
}

/// Emails the resident what became of their booking.
fn tell_resident(
    conn: &mut DbConnection,
    booking: &Booking,
    now: NaiveDateTime,
) -> DomainResult<()> {
    let product = find_product(conn, &booking.product_id)?;
    let template = Template::BookingDecided {
        product: product.title,
        day: booking.day.clone(),
        status: booking.status.as_str(),
        reason: booking.reason.clone(),
        points: booking.points,
    };
    outbox::notify(conn, &booking.user_id, &template, now)
}

/// Why a step does not apply to the booking as it stands.
fn state_error(booking: &Booking) -> DomainError {
    DomainError::InvalidState(match booking.status {
        BookingStatus::Requested => "该预约还待确认，请先确认",
        BookingStatus::Accepted => "该预约已确认",
        BookingStatus::Delivered => "该预约的服务已完成",
        BookingStatus::Declined => "该预约已被婉拒",
        BookingStatus::Cancelled => "该预约已取消",
        BookingStatus::Lapsed => "该预约已过期",
    })
}

fn require_member(
    conn: &mut DbConnection,
    organisation: &OrganisationId,
    user: &UserId,
) -> DomainResult<()> {
    if directory::store::member_role(conn, organisation, user)?.is_some() {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

fn find_product(
    conn: &mut DbConnection,
    id: &ProductId,
) -> DomainResult<crate::catalogue::Product> {
    crate::catalogue::store::find_product(conn, id)?.ok_or(DomainError::NotFound { what: "产品" })
}

fn find(conn: &mut DbConnection, id: &BookingId) -> DomainResult<Booking> {
    store::find(conn, id)?.ok_or(DomainError::NotFound { what: "预约" })
}

/// The stored form of a day.
pub fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}
