//! Email: password reset, address confirmation, preferences, and the staff's view of the outbox.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID};
use linli_domain::outbox;

use super::relay::{Kind, NodeValue, connection, page_request, payload};
use super::{Context, int, mirror_enum};

payload!(
    /// A mutation that only succeeds or fails.
    DonePayload {
        /// True when it succeeded; false when `errors` says why.
        ok: bool,
    }
    from () => with |_, done| Ok((done.is_some(),))
);

/// Where to send a password-reset link.
#[derive(Debug, GraphQLInputObject)]
pub struct RequestPasswordResetInput {
    /// The account's email address.
    pub email: String,
}

/// Always answers `ok`: whether the address has an account is not revealed.
pub async fn request_password_reset(
    ctx: &Context,
    input: RequestPasswordResetInput,
) -> FieldResult<DonePayload> {
    ctx.mutate(Ok(input), |s, _, input| {
        s.identity().request_password_reset(&input.email)
    })
    .await
}

/// A new password, with the emailed token that allows setting it.
#[derive(Debug, GraphQLInputObject)]
pub struct ResetPasswordInput {
    /// The token from the email.
    pub token: String,
    /// At least 10 characters, not a well-known password, not containing the account's email or
    /// phone.
    pub new_password: String,
}

pub async fn reset_password(ctx: &Context, input: ResetPasswordInput) -> FieldResult<DonePayload> {
    ctx.mutate_hashing(Ok(input), |s, _, input| {
        s.identity()
            .reset_password(&input.token, &input.new_password)
    })
    .await
}

pub async fn request_email_verification(ctx: &Context) -> FieldResult<DonePayload> {
    ctx.mutate(Ok(ctx.client_addr.clone()), |s, actor, address| {
        s.identity().request_email_verification(actor, &address)
    })
    .await
}

/// An emailed confirmation token.
#[derive(Debug, GraphQLInputObject)]
pub struct VerifyEmailInput {
    /// The token from the confirmation email.
    pub token: String,
}

pub async fn verify_email(ctx: &Context, input: VerifyEmailInput) -> FieldResult<DonePayload> {
    ctx.mutate(Ok(input), |s, _, input| {
        s.identity().verify_email(&input.token)
    })
    .await
}

/// Turns one kind of email on or off for the signed-in person.
#[derive(Debug, GraphQLInputObject)]
pub struct SetNotificationPreferenceInput {
    /// Which kind of email (account and redemption-code emails cannot be turned off).
    pub kind: NotificationKind,
    /// False turns it off.
    pub enabled: bool,
}

mirror_enum!(
    /// The kinds of email a person may turn off.
    NotificationKind = linli_domain::outbox::NotificationKind {
        /// Points were paid for your verified volunteering.
        PointsEarned,
        /// A merchant confirmed your redemption.
        RedemptionConfirmed,
        /// Staff published or sent back a product of an organisation you own.
        ProductReviewed,
        /// Staff verified an organisation you own.
        OrganisationVerified,
        /// Announcements from the centre's staff.
        Announcement,
        /// Staff proposed your organisation, product or group for a community's need.
        MatchProposed,
        /// A seat freed up and your place on an activity's waitlist became a seat.
        WaitlistPromoted,
        /// Points you earned lapse in 30 and again in 7 days.
        PointsExpiring,
        /// A resident booked one of your organisation's services.
        BookingRequested,
        /// A resident cancelled a booking of your organisation's services.
        BookingCancelled,
        /// Your booking was accepted, declined or delivered, or it lapsed.
        BookingDecided,
    }
);

pub async fn set_preference(
    ctx: &Context,
    input: SetNotificationPreferenceInput,
) -> FieldResult<DonePayload> {
    ctx.mutate(Ok(input), |s, actor, input| {
        s.outbox()
            .set_preference(actor, input.kind.into(), input.enabled)
    })
    .await
}

pub async fn opted_out(
    ctx: &Context,
    user: linli_domain::types::UserId,
) -> FieldResult<Vec<NotificationKind>> {
    let result = ctx
        .run(move |s, actor| s.outbox().opted_out(actor, &user))
        .await;
    ctx.answer(result)
        .map(|kinds| kinds.into_iter().map(Into::into).collect())
}

/// Where an outbox message is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLEnum)]
pub enum EmailStatus {
    /// Waiting to be sent (again at `nextAttemptAt`, after a failed attempt).
    Queued,
    /// Claimed by a relay that is sending it.
    Sending,
    /// Accepted by the mail server.
    Sent,
    /// Given up after 8 failed attempts; staff may `retryEmail` it.
    Failed,
}

impl From<outbox::Status> for EmailStatus {
    fn from(s: outbox::Status) -> Self {
        match s {
            outbox::Status::Queued => Self::Queued,
            outbox::Status::Sending => Self::Sending,
            outbox::Status::Sent => Self::Sent,
            outbox::Status::Failed => Self::Failed,
        }
    }
}

impl From<EmailStatus> for outbox::Status {
    fn from(s: EmailStatus) -> Self {
        match s {
            EmailStatus::Queued => Self::Queued,
            EmailStatus::Sending => Self::Sending,
            EmailStatus::Sent => Self::Sent,
            EmailStatus::Failed => Self::Failed,
        }
    }
}

/// One message in the outbox (staff).
#[derive(Debug, Clone, GraphQLObject)]
#[graphql(context = Context, impl = NodeValue)]
pub struct EmailMessage {
    /// Opaque global id.
    pub id: ID,
    /// The email address it goes to.
    pub recipient: String,
    /// Which email it is, e.g. `RESET_PASSWORD` or `POINTS_EARNED`.
    pub template: String,
    /// The subject line, in Chinese.
    pub subject: String,
    /// Where it is in its delivery.
    pub status: EmailStatus,
    /// Sending attempts so far.
    pub attempts: i32,
    /// When a relay next tries to send it.
    pub next_attempt_at: DateTime<Utc>,
    /// What went wrong on the last failed attempt; null when none failed.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the mail server accepted it; null until then.
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<outbox::Message> for EmailMessage {
    fn from(m: outbox::Message) -> Self {
        Self {
            id: EmailMessage::global_id(&m.id),
            recipient: m.recipient,
            template: m.template,
            subject: m.subject,
            status: m.status.into(),
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at.and_utc(),
            last_error: m.last_error,
            created_at: m.created_at.and_utc(),
            sent_at: m.sent_at.map(|t| t.and_utc()),
        }
    }
}

pub async fn message(ctx: &Context, id: String) -> FieldResult<EmailMessage> {
    let result = ctx
        .run(move |s, actor| s.outbox().message(actor, &id))
        .await;
    ctx.answer(result).map(EmailMessage::from)
}

connection!(
    /// A page of the email outbox, newest first.
    EmailMessageConnection,
    /// An outbox message in a page, with its cursor.
    EmailMessageEdge,
    EmailMessage,
    |m| m.id.to_string()
);

pub async fn messages(
    ctx: &Context,
    status: Option<EmailStatus>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<EmailMessageConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let status = status.map(Into::into);
    let result = ctx
        .run(move |s, actor| s.outbox().messages(actor, status, &page))
        .await;
    ctx.answer(result)
        .map(|p| EmailMessageConnection::from_page(p, EmailMessage::from))
}

/// A failed outbox message to send again.
#[derive(Debug, GraphQLInputObject)]
pub struct RetryEmailInput {
    /// The failed message's id.
    pub message_id: ID,
}

payload!(
    /// What `retryEmail` returns.
    RetryEmailPayload {
        /// The message, queued again; null when the request was refused.
        message: Option<EmailMessage>,
    }
    from outbox::Message => EmailMessage::from
);

pub async fn retry(ctx: &Context, input: RetryEmailInput) -> FieldResult<RetryEmailPayload> {
    let id = EmailMessage::decode(&input.message_id, "messageId");
    ctx.mutate(id, |s, actor, id| s.outbox().retry(actor, &id))
        .await
}

/// An announcement to email to every resident who has not turned announcements off.
#[derive(Debug, GraphQLInputObject)]
pub struct AnnounceInput {
    /// The subject line.
    pub subject: String,
    /// The announcement's text.
    pub body: String,
}

payload!(
    /// What `announce` returns.
    AnnouncePayload {
        /// Messages queued.
        queued: Option<i32>,
    }
    from usize => with |_, queued| Ok((queued.map(int),))
);

pub async fn announce(ctx: &Context, input: AnnounceInput) -> FieldResult<AnnouncePayload> {
    ctx.mutate(Ok(input), |s, actor, input| {
        s.outbox().announce(actor, &input.subject, &input.body)
    })
    .await
}
