//! Booking community services: terms, bookings, and the steps organisations take on them.

use chrono::{DateTime, NaiveDate, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::booking::{self as domain, Decision, NewBooking, TermsInput};
use linli_domain::types::{BookingId, IdempotencyKey, OrganisationId, ProductId};

use super::catalogue::{PriceTier, Product};
use super::directory::Organisation;
use super::identity::User;
use super::relay::{Kind, NodeValue, connection, page_request, payload};
use super::{Context, Points, mirror_enum};

mirror_enum!(
    /// Where a booking stands.
    BookingStatus = linli_domain::booking::BookingStatus {
        /// Waiting for the organisation to accept or decline it (priced services).
        Requested,
        /// The organisation will provide it (free services are accepted as they are booked).
        Accepted,
        /// The organisation provided it; held points went to its budget.
        Delivered,
        /// The organisation declined it, with a reason; the seat and held points came back.
        Declined,
        /// The resident cancelled it; the seat and held points came back.
        Cancelled,
        /// Its day passed without the service marked delivered; the seat and held points came
        /// back.
        Lapsed,
    }
);

#[derive(Debug, Clone)]
pub struct Booking(pub domain::Booking);

/// A resident's booking of a community service for a day; visible to the resident, the
/// organisation's members and staff.
#[graphql_object(context = Context, impl = NodeValue)]
impl Booking {
    /// Opaque global id.
    fn id(&self) -> ID {
        Booking::global_id(self.0.id.as_str())
    }

    /// The service booked.
    async fn product(&self, ctx: &Context) -> FieldResult<Product> {
        super::catalogue::product(ctx, self.0.product_id.clone()).await
    }

    /// The organisation providing it.
    async fn organisation(&self, ctx: &Context) -> FieldResult<Organisation> {
        super::directory::organisation(ctx, self.0.organisation_id.clone()).await
    }

    /// The resident who booked it.
    fn resident_id(&self) -> ID {
        User::global_id(self.0.user_id.as_str())
    }

    /// The day, `YYYY-MM-DD` (China Standard Time).
    fn day(&self) -> &str {
        &self.0.day
    }

    /// Where it stands.
    fn status(&self) -> BookingStatus {
        self.0.status.into()
    }

    /// The product's tier when booked.
    fn price_tier(&self) -> PriceTier {
        self.0.price_tier.into()
    }

    /// The yuan price when booked, with two decimals, paid to the organisation off-platform;
    /// null for free services.
    fn price_yuan(&self) -> Option<String> {
        self.0.price_fen.map(linli_domain::settlement::model::yuan)
    }

    /// Points held from the wallet for it (0 when the service has no points price).
    fn points(&self) -> Points {
        Points(self.0.points)
    }

    /// What the resident wrote when booking.
    fn note(&self) -> &str {
        &self.0.note
    }

    /// Why the organisation declined it.
    fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// When the organisation last decided on it.
    fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at.map(|t| t.and_utc())
    }

    /// When it was delivered, declined, cancelled or lapsed.
    fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at.map(|t| t.and_utc())
    }

    /// When the resident booked it.
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }
}

connection!(
    /// A page of bookings, newest first.
    BookingConnection,
    /// A booking in a page, with its cursor.
    BookingEdge,
    Booking,
    |b| b.0.id.to_string()
);

/// How a product takes bookings.
#[derive(Debug, Clone, GraphQLObject)]
pub struct BookingTerms {
    /// Seats a day; null: no limit.
    pub seats_per_day: Option<i32>,
    /// How many bookings of it one resident may hold on one day.
    pub per_resident_per_day: i32,
    /// Residents book from today up to this many days ahead.
    pub days_ahead: i32,
    /// Whether residents can book it now.
    pub open: bool,
    /// When the organisation last changed them.
    pub updated_at: DateTime<Utc>,
}

impl From<domain::BookingTerms> for BookingTerms {
    fn from(t: domain::BookingTerms) -> Self {
        Self {
            seats_per_day: t.seats_per_day,
            per_resident_per_day: t.per_resident_per_day,
            days_ahead: t.days_ahead,
            open: t.open,
            updated_at: t.updated_at.and_utc(),
        }
    }
}

/// `Product.bookingTerms`.
pub async fn terms(ctx: &Context, product: ProductId) -> FieldResult<Option<BookingTerms>> {
    let result = ctx.run(move |s, _| s.bookings().terms(&product)).await;
    ctx.answer(result).map(|t| t.map(Into::into))
}

/// A `YYYY-MM-DD` day given in `field`.
pub(super) fn parse_day(raw: &str, field: &'static str) -> Result<NaiveDate, DomainError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| DomainError::invalid(field, "日期格式应为 YYYY-MM-DD"))
}

/// `Product.seatsLeft`.
pub async fn seats_left(
    ctx: &Context,
    product: ProductId,
    day: String,
) -> FieldResult<Option<i32>> {
    let day = ctx.answer(parse_day(&day, "day"))?;
    let result = ctx
        .run(move |s, _| s.bookings().seats_left(&product, day))
        .await;
    ctx.answer(result)
}

pub async fn booking(ctx: &Context, id: BookingId) -> FieldResult<Booking> {
    let result = ctx
        .run(move |s, actor| s.bookings().booking(actor, &id))
        .await;
    ctx.answer(result).map(Booking)
}

pub async fn mine(
    ctx: &Context,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<BookingConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let result = ctx
        .run(move |s, actor| s.bookings().mine(actor, &page))
        .await;
    ctx.answer(result)
        .map(|p| BookingConnection::from_page(p, Booking))
}

/// `Organisation.bookings`.
pub async fn of_organisation(
    ctx: &Context,
    organisation: OrganisationId,
    status: Option<BookingStatus>,
    page: (Option<i32>, Option<String>, Option<i32>, Option<String>),
) -> FieldResult<BookingConnection> {
    let (first, after, last, before) = page;
    let page = ctx.answer(page_request(first, after, last, before))?;
    let status = status.map(Into::into);
    let result = ctx
        .run(move |s, actor| {
            s.bookings()
                .of_organisation(actor, &organisation, status, &page)
        })
        .await;
    ctx.answer(result)
        .map(|p| BookingConnection::from_page(p, Booking))
}

/// How a product takes bookings, as its organisation sets it.
#[derive(Debug, GraphQLInputObject)]
pub struct SetBookingTermsInput {
    /// A product of your organisation.
    pub product_id: ID,
    /// Seats a day (1–10,000); null: no limit.
    pub seats_per_day: Option<i32>,
    /// How many bookings one resident may hold on one day (1–20, default 1).
    pub per_resident_per_day: Option<i32>,
    /// How many days ahead residents may book (1–90, default 14).
    pub days_ahead: Option<i32>,
    /// False closes booking; bookings already made stay.
    pub open: bool,
}

payload!(
    /// What setting a product's booking terms returns.
    BookingTermsPayload {
        /// The terms as saved; null when the request was refused.
        terms: Option<BookingTerms>,
    }
    from domain::BookingTerms => BookingTerms::from
);

pub async fn set_terms(
    ctx: &Context,
    input: SetBookingTermsInput,
) -> FieldResult<BookingTermsPayload> {
    let product = Product::decode(&input.product_id, "productId");
    ctx.mutate(product, move |s, actor, product| {
        s.bookings().set_terms(
            actor,
            &product,
            &TermsInput {
                seats_per_day: input.seats_per_day,
                per_resident_per_day: input.per_resident_per_day.unwrap_or(1),
                days_ahead: input.days_ahead.unwrap_or(14),
                open: input.open,
            },
        )
    })
    .await
}

/// A booking to make.
#[derive(Debug, GraphQLInputObject)]
pub struct BookProductInput {
    /// A published product open to booking.
    pub product_id: ID,
    /// The day, `YYYY-MM-DD` (China Standard Time): from today up to the product's
    /// `bookingTerms.daysAhead`.
    pub day: String,
    /// Anything the organisation should know (0–200 characters).
    pub note: Option<String>,
    /// Makes the booking once however often it is sent (8–100 characters).
    pub idempotency_key: String,
}

payload!(
    /// What a booking step returns.
    BookingPayload {
        /// The booking after the step; null when the request was refused.
        booking: Option<Booking>,
    }
    from domain::Booking => Booking
);

pub async fn book(ctx: &Context, input: BookProductInput) -> FieldResult<BookingPayload> {
    let decoded = (|| {
        Ok((
            Product::decode(&input.product_id, "productId")?,
            parse_day(&input.day, "day")?,
            IdempotencyKey::parse(&input.idempotency_key)?,
        ))
    })();
    let note = input.note.unwrap_or_default();
    ctx.mutate(decoded, move |s, actor, (product_id, day, key)| {
        s.bookings().book(
            actor,
            &NewBooking {
                product_id,
                day,
                note,
            },
            &key,
        )
    })
    .await
}

/// A booking to act on.
#[derive(Debug, GraphQLInputObject)]
pub struct BookingInput {
    /// The booking.
    pub booking_id: ID,
}

pub async fn cancel(ctx: &Context, input: BookingInput) -> FieldResult<BookingPayload> {
    let id = Booking::decode(&input.booking_id, "bookingId");
    ctx.mutate(id, |s, actor, id| s.bookings().cancel(actor, &id))
        .await
}

/// A booking to decline, and why.
#[derive(Debug, GraphQLInputObject)]
pub struct DeclineBookingInput {
    /// An open booking of your organisation.
    pub booking_id: ID,
    /// Shown to the resident (2–200 characters).
    pub reason: String,
}

pub async fn decide(ctx: &Context, id: &ID, decision: Decision) -> FieldResult<BookingPayload> {
    let id = Booking::decode(id, "bookingId");
    ctx.mutate(id, move |s, actor, id| {
        s.bookings().decide(actor, &id, &decision)
    })
    .await
}
