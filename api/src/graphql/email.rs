//! Email: password reset, address confirmation, preferences, and the staff's view of the outbox.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID};
use linli_domain::outbox;

use super::relay::{connection, page_request};
use super::{Context, UserError, int};

/// A mutation that only succeeds or fails.
#[derive(Debug, GraphQLObject)]
pub struct DonePayload {
    pub ok: bool,
    pub errors: Vec<UserError>,
}

fn done(ctx: &Context, result: linli_domain::DomainResult<()>) -> FieldResult<DonePayload> {
    let (ok, errors) = ctx.payload(result)?;
    Ok(DonePayload {
        ok: ok.is_some(),
        errors,
    })
}

#[derive(Debug, GraphQLInputObject)]
pub struct RequestPasswordResetInput {
    pub email: String,
}

/// Always answers `ok`: whether the address has an account is not revealed.
pub async fn request_password_reset(
    ctx: &Context,
    input: RequestPasswordResetInput,
) -> FieldResult<DonePayload> {
    let result = ctx
        .run(move |s, _| s.identity().request_password_reset(&input.email))
        .await;
    done(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct ResetPasswordInput {
    /// The token from the email.
    pub token: String,
    pub new_password: String,
}

pub async fn reset_password(ctx: &Context, input: ResetPasswordInput) -> FieldResult<DonePayload> {
    let result = ctx
        .run_hashing(move |s, _| {
            s.identity()
                .reset_password(&input.token, &input.new_password)
        })
        .await;
    done(ctx, result)
}

pub async fn request_email_verification(ctx: &Context) -> FieldResult<DonePayload> {
    let address = ctx.client_addr.clone();
    let result = ctx
        .run(move |s, actor| s.identity().request_email_verification(actor, &address))
        .await;
    done(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct VerifyEmailInput {
    pub token: String,
}

pub async fn verify_email(ctx: &Context, input: VerifyEmailInput) -> FieldResult<DonePayload> {
    let result = ctx
        .run(move |s, _| s.identity().verify_email(&input.token))
        .await;
    done(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct SetNotificationPreferenceInput {
    /// One of POINTS_EARNED, REDEMPTION_CONFIRMED, PRODUCT_REVIEWED, ORGANISATION_VERIFIED,
    /// ANNOUNCEMENT (account and redemption-code emails cannot be turned off).
    pub kind: String,
    pub enabled: bool,
}

pub async fn set_preference(
    ctx: &Context,
    input: SetNotificationPreferenceInput,
) -> FieldResult<DonePayload> {
    let result = ctx
        .run(move |s, actor| s.outbox().set_preference(actor, &input.kind, input.enabled))
        .await;
    done(ctx, result)
}

pub async fn opted_out(ctx: &Context) -> FieldResult<Vec<String>> {
    let result = ctx.run(|s, actor| s.outbox().opted_out(actor)).await;
    ctx.answer(result)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLEnum)]
pub enum EmailStatus {
    Queued,
    Sending,
    Sent,
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
pub struct EmailMessage {
    pub id: ID,
    pub recipient: String,
    pub template: String,
    pub subject: String,
    pub status: EmailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<outbox::Message> for EmailMessage {
    fn from(m: outbox::Message) -> Self {
        Self {
            id: ID::new(m.id),
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

connection!(
    EmailMessageConnection,
    EmailMessageEdge,
    EmailMessage,
    |m| m.id.to_string()
);

pub async fn messages(
    ctx: &Context,
    status: Option<EmailStatus>,
    first: Option<i32>,
    after: Option<String>,
) -> FieldResult<EmailMessageConnection> {
    let page = ctx.answer(page_request(first, after))?;
    let status = status.map(Into::into);
    let result = ctx
        .run(move |s, actor| s.outbox().messages(actor, status, &page))
        .await;
    ctx.answer(result)
        .map(|p| EmailMessageConnection::from_page(p, EmailMessage::from))
}

#[derive(Debug, GraphQLInputObject)]
pub struct RetryEmailInput {
    pub message_id: ID,
}

#[derive(Debug, GraphQLObject)]
pub struct RetryEmailPayload {
    pub message: Option<EmailMessage>,
    pub errors: Vec<UserError>,
}

pub async fn retry(ctx: &Context, input: RetryEmailInput) -> FieldResult<RetryEmailPayload> {
    let result = ctx
        .run(move |s, actor| s.outbox().retry(actor, &input.message_id))
        .await;
    let (message, errors) = ctx.payload(result)?;
    Ok(RetryEmailPayload {
        message: message.map(EmailMessage::from),
        errors,
    })
}

#[derive(Debug, GraphQLInputObject)]
pub struct AnnounceInput {
    pub subject: String,
    pub body: String,
}

#[derive(Debug, GraphQLObject)]
pub struct AnnouncePayload {
    /// Messages queued.
    pub queued: Option<i32>,
    pub errors: Vec<UserError>,
}

pub async fn announce(ctx: &Context, input: AnnounceInput) -> FieldResult<AnnouncePayload> {
    let result = ctx
        .run(move |s, actor| s.outbox().announce(actor, &input.subject, &input.body))
        .await;
    let (queued, errors) = ctx.payload(result)?;
    Ok(AnnouncePayload {
        queued: queued.map(int),
        errors,
    })
}
