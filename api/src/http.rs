//! HTTP: routes, the `/graphql` handler with its limits, health, metrics and GraphiQL.
//!
//! The handler is ours rather than an integration crate's so that every request meets the same
//! gate: JSON only, bounded body, no batches, bounded depth/aliases/tokens/fields, a deadline,
//! and a verified token. It follows the GraphQL-over-HTTP specification for media types and
//! status codes.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Server;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use juniper::parser::parse_document_source;
use juniper::{
    DefaultScalarValue, ExecutionError, GraphQLError, ID, InputValue, ValidatedOperation, Value,
};
use linli_domain::directory::CommunityType;
use linli_domain::identity::Actor;
use linli_domain::insight::{Export, InsightFilter};
use linli_domain::ledger::HistoryFilter;
use linli_domain::rewards::model::parse_month;
use linli_domain::settlement::{Month, SettlementFilter, SettlementStatus};
use linli_domain::{DomainResult, Services};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Deserialize;
use serde_json::json;

use crate::auth::TokenError;
use crate::budget::{Budget, Standing};
use crate::config::{CorsOrigins, Limits};
use crate::cost;
use crate::graphql::relay::Kind;
use crate::graphql::{
    Account, Community, Context, Merchant, Redemption, Refusal, Schema, Settlement, Shared,
    Transfer,
};
use crate::page_cache;

/// Codes of request-level errors raised by this layer (the domain's are in `ErrorCode`).
pub const PROTOCOL_CODES: &[&str] = &[
    "BAD_REQUEST",
    "BATCH_NOT_SUPPORTED",
    "UNSUPPORTED_MEDIA_TYPE",
    "METHOD_NOT_ALLOWED",
    "PAYLOAD_TOO_LARGE",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "QUERY_TOO_COMPLEX",
    "REQUEST_TIMEOUT",
];

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

pub struct AppState {
    pub shared: Arc<Shared>,
    pub schema: Schema,
    pub limits: Limits,
    pub graphiql: bool,
    pub prometheus: PrometheusHandle,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub budget: Arc<Budget>,
    pub cors: CorsOrigins,
    /// Permits for GraphQL requests executing at once (`Limits::max_in_flight`).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// Anonymous catalogue pages kept in memory; `None` when `LINLI_CATALOGUE_CACHE_MS` is 0.
    pub pages: Option<page_cache::PageCache>,
}

/// Starts the HTTP server on an already bound listener (tests bind port 0).
pub fn server(state: AppState, listener: TcpListener) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    // actix-web's connection limit is per worker: share the configured total among them.
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let per_worker = state.limits.max_connections.div_ceil(workers);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(state.clone())
            .wrap(actix_web::middleware::Compress::default())
            .wrap(tracing_actix_web::TracingLogger::default())
            // CORS wraps only what other origins call: the API, not the app's own files.
            .service(
                web::resource("/graphql")
                    .wrap(cors(&state.cors))
                    .route(web::post().to(graphql_post))
                    .route(web::get().to(graphql_get))
                    .default_service(web::to(method_not_allowed)),
            )
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .route("/metrics", web::get().to(metrics_text))
            .route(
                "/statements/{merchant}/{file}",
                web::get().to(statement_csv),
            )
            .route("/settlements.csv", web::get().to(settlements_csv))
            .route("/exports/{file}", web::get().to(export_csv))
            .route(
                "/exports/accounts/{account}/history.csv",
                web::get().to(history_csv),
            )
            .route(
                "/.well-known/linli-certificate-keys.json",
                web::get().to(certificate_keys),
            )
            .route("/graphiql", web::get().to(graphiql_page))
            .route("/graphiql/assets/{file}", web::get().to(graphiql_asset))
            .default_service(web::to(crate::app::serve))
    })
    .workers(workers)
    .max_connections(per_worker)
    .listen(listener)?
    .shutdown_timeout(10)
    .run();
    Ok(server)
}

/// The district's certificate keys as a JWK set: anyone verifies a certificate's signature
/// with them, from any site and without asking Linli.
async fn certificate_keys(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(state.shared.services.certificates().keys().jwks())
}

/// CORS for browser apps on other origins (a mini-program's web view, a district portal):
/// only configured origins, preflights cached for an hour, the budget headers readable.
fn cors(origins: &CorsOrigins) -> actix_cors::Cors {
    let cors = match origins {
        CorsOrigins::Listed(list) => list
            .iter()
            .fold(actix_cors::Cors::default(), |cors, origin| {
                cors.allowed_origin(origin)
            }),
        CorsOrigins::Loopback => actix_cors::Cors::default().allowed_origin_fn(|origin, _| {
            origin.to_str().is_ok_and(|o| {
                ["http://localhost:", "http://127.0.0.1:"]
                    .iter()
                    .any(|prefix| {
                        o.strip_prefix(prefix)
                            .is_some_and(|port| port.parse::<u16>().is_ok())
                    })
            })
        }),
    };
    cors.allowed_methods(["GET", "POST"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-ratelimit-limit"),
            header::HeaderName::from_static("x-ratelimit-remaining"),
            header::HeaderName::from_static("x-ratelimit-reset"),
        ])
        .max_age(3600)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphQlRequest {
    query: String,
    operation_name: Option<String>,
    variables: Option<HashMap<String, InputValue<DefaultScalarValue>>>,
}

/// Which media type the client reads; it decides the status code of request errors.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Json,
    GraphQlResponse,
}

impl Flavour {
    fn of(req: &HttpRequest) -> Self {
        let accepts = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accepts.contains(GRAPHQL_RESPONSE_JSON) {
            Self::GraphQlResponse
        } else {
            Self::Json
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json; charset=utf-8",
            Self::GraphQlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }

    /// A well-formed request the GraphQL engine refused (parse, validation, limits): the
    /// specification keeps 200 for `application/json` clients and 400 for the newer type.
    fn request_error_status(self) -> StatusCode {
        match self {
            Self::Json => StatusCode::OK,
            Self::GraphQlResponse => StatusCode::BAD_REQUEST,
        }
    }
}

fn error_body(code: &str, message: &str) -> serde_json::Value {
    json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

fn respond(flavour: Flavour, status: StatusCode, body: &serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(flavour.content_type())
        .body(body.to_string())
}

fn reject(
    flavour: Flavour,
    status: StatusCode,
    code: &str,
    message: &str,
    outcome: &str,
) -> HttpResponse {
    record("invalid", outcome, None);
    respond(flavour, status, &error_body(code, message))
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    not_allowed(
        Flavour::of(&req),
        "只接受 GET（查询）或 POST 请求",
        "GET, POST",
    )
}

/// 405 with the methods that would have been taken.
fn not_allowed(flavour: Flavour, message: &str, allow: &'static str) -> HttpResponse {
    let mut response = reject(
        flavour,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        message,
        "rejected",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// GraphQL over HTTP's `GET`: `query`, `operationName` and `variables` (JSON) in the URL.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
}

/// A query sent as `GET`, so that a reverse proxy or a browser may cache public answers.
/// Mutations are refused: a `GET` must not change anything.
async fn graphql_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let started = Instant::now();
    let flavour = Flavour::of(&req);
    let bad = |message: &str| {
        reject(
            flavour,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            message,
            "rejected",
        )
    };
    let Ok(params) = web::Query::<GetParams>::from_query(req.query_string()) else {
        return bad("查询参数无法解析");
    };
    let GetParams {
        query,
        operation_name,
        variables,
    } = params.into_inner();
    let Some(query) = query else {
        return bad("GET 请求须在 query 参数中给出查询");
    };
    let variables = match variables
        .as_deref()
        .map(serde_json::from_str::<serde_json::Value>)
    {
        None => serde_json::Value::Null,
        Some(Ok(value @ (serde_json::Value::Object(_) | serde_json::Value::Null))) => value,
        Some(_) => return bad("variables 参数须为 JSON 对象"),
    };
    let value = json!({ "query": query, "operationName": operation_name, "variables": variables });
    match decode(value) {
        Ok(request) => answer(&req, &state, flavour, request, true, started).await,
        Err((code, message)) => reject(flavour, StatusCode::BAD_REQUEST, code, message, "rejected"),
    }
}

async fn graphql_post(
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let started = Instant::now();
    let flavour = Flavour::of(&req);
    debug_assert!(req.method() == Method::POST);

    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return reject(
            flavour,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "请求须为 application/json",
            "rejected",
        );
    }

    // The body, refused as soon as it is known to be too large.
    let limit = state.limits.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || {
        reject(
            flavour,
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("请求体不能超过 {} KiB", limit / 1024),
            "rejected",
        )
    };
    if declared.is_some_and(|n| n > limit) {
        return too_large();
    }
    let mut body = web::BytesMut::new();
    let body_due = tokio::time::Instant::now() + state.limits.body_deadline;
    loop {
        let Ok(next) = tokio::time::timeout_at(body_due, payload.next()).await else {
            return reject(
                flavour,
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "请求体发送超时",
                "rejected",
            );
        };
        let Some(chunk) = next else { break };
        let Ok(chunk) = chunk else {
            return reject(
                flavour,
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "请求体读取失败",
                "rejected",
            );
        };
        if body.len() + chunk.len() > limit {
            return too_large();
        }
        body.extend_from_slice(&chunk);
    }

    let value = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Array(_)) => {
            return reject(
                flavour,
                StatusCode::BAD_REQUEST,
                "BATCH_NOT_SUPPORTED",
                "不支持批量请求，请逐个发送",
                "rejected",
            );
        }
        Ok(value) => value,
        Err(_) => {
            return reject(
                flavour,
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "请求体不是合法的 JSON",
                "rejected",
            );
        }
    };
    match decode(value) {
        Ok(request) => answer(&req, &state, flavour, request, false, started).await,
        Err((code, message)) => reject(flavour, StatusCode::BAD_REQUEST, code, message, "rejected"),
    }
}

/// The request's members, or the refusal to send (400 with this code and message).
fn decode(value: serde_json::Value) -> Result<GraphQlRequest, (&'static str, &'static str)> {
    // PostgreSQL cannot store U+0000 in text and SQLite would, so the same request would be a
    // server fault on one engine and an answer on the other: refuse it here.
    if holds_nul(&value) || value["query"].as_str().is_some_and(escapes_nul) {
        return Err(("INVALID_INPUT", "请求中含有不允许的空字符（U+0000）"));
    }
    serde_json::from_value::<GraphQlRequest>(value).map_err(|_| {
        (
            "BAD_REQUEST",
            "请求须包含字符串 query，以及可选的 operationName 和 variables 对象",
        )
    })
}

/// Runs a decoded request through the gate (token, price, shedding, budget), from the page
/// cache when it may be, and answers it.
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    flavour: Flavour,
    request: GraphQlRequest,
    get: bool,
    started: Instant,
) -> HttpResponse {
    let actor = match bearer(req) {
        None => Actor::Anonymous,
        Some(token) => match state.shared.tokens.verify(token) {
            Ok(actor) => actor,
            Err(err) => {
                let message = match err {
                    TokenError::Expired => "登录已过期，请刷新或重新登录",
                    TokenError::Invalid => "访问令牌无效，请重新登录",
                };
                let mut response = reject(
                    flavour,
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHENTICATED",
                    message,
                    "unauthenticated",
                );
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return response;
            }
        },
    };

    let variables = request.variables.unwrap_or_default();
    let operation_name = request.operation_name.as_deref();
    // juniper parses and validates once; the price is measured on its own parse of the same
    // text, so what is priced is exactly what runs.
    let validated = match ValidatedOperation::new(&request.query, operation_name, &state.schema) {
        Ok(validated) => validated,
        Err(err) => return refused_document(flavour, &err),
    };
    let price = match parse_document_source(&request.query, &state.schema.schema) {
        Ok(document) => cost::price(&document, operation_name, &state.schema.schema, &variables),
        Err(err) => return refused_document(flavour, &GraphQLError::ParseError(err)),
    };
    if get && !price.operation.starts_with("query:") {
        return not_allowed(flavour, "变更须以 POST 发送", "POST");
    }
    if let Some(refusal) = price.exceeds(&state.limits) {
        record("invalid", "rejected", None);
        let body = json!({ "errors": [{
            "message": refusal.message,
            "extensions": {
                "code": "QUERY_TOO_COMPLEX",
                "measure": refusal.measure,
                "requested": refusal.requested,
                "allowed": refusal.allowed,
                "cost": { "requested": price.cost, "limit": state.limits.max_cost,
                          "nodes": price.nodes, "nodeLimit": state.limits.max_nodes },
            }
        }] });
        return respond(flavour, flavour.request_error_status(), &body);
    }
    // Beyond what the pool serves soon, a request is shed at once (and costs no budget)
    // rather than queued until every admitted one is slow too.
    let Ok(_admitted) = state.in_flight.clone().try_acquire_owned() else {
        let mut response = reject(
            flavour,
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "服务繁忙，请稍后再试",
            "shed",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let client = match &actor {
        Actor::User { id, .. } => format!("user:{id}"),
        Actor::Anonymous => format!("address:{}", client_address(req, &state.trusted_proxies)),
    };
    if !state.budget.knows(&client)
        && let Err(e) = state.budget.learn(&state.shared.background, &client).await
    {
        // Without the shared level, the local bucket still bounds this instance.
        tracing::warn!(error = %e, "request budget not read");
    }
    let standing = match state.budget.charge(&client, price.cost) {
        Ok(standing) => standing,
        Err(exhausted) => {
            record(&price.operation, "rate_limited", None);
            let secs = exhausted.retry_after_secs;
            let body = json!({ "errors": [{
                "message": format!("请求过于频繁，请 {secs} 秒后再试"),
                "extensions": {
                    "code": "RATE_LIMITED",
                    "retryAfter": secs,
                    "cost": cost_extension(price.cost, &state.limits, exhausted.standing),
                }
            }] });
            let mut response = respond(flavour, StatusCode::TOO_MANY_REQUESTS, &body);
            rate_headers(&mut response, exhausted.standing, Some(secs));
            return response;
        }
    };

    // An anonymous page of the catalogue: from memory while the catalogue has not changed.
    let anonymous = matches!(actor, Actor::Anonymous);
    let cached = match &state.pages {
        Some(pages) if anonymous && price.catalogue => pages
            .version(&state.shared.background)
            .await
            .map(|version| {
                (
                    pages,
                    version,
                    page_cache::Key::new(&request.query, operation_name, &variables),
                )
            }),
        _ => None,
    };
    if let Some((pages, version, key)) = &cached
        && let Some(page) = pages.get(key, *version)
    {
        metrics::counter!("linli_catalogue_cache_total", "result" => "hit").increment(1);
        record(&price.operation, "ok", Some(started));
        let cost = cost_extension(price.cost, &state.limits, standing);
        return page_response(
            req,
            flavour,
            &page,
            cost,
            standing,
            get.then(|| pages.interval()),
        );
    }

    // An anonymous query only reads what is public: the replica may answer it. Anyone who
    // writes is signed in, and their reads stay on the primary, so they see their own writes.
    // A page for the cache is read on the primary: it is kept under the primary's version.
    let public = anonymous && price.operation.starts_with("query:") && cached.is_none();
    let context = Context::new(
        state.shared.clone(),
        public,
        actor,
        client_address(req, &state.trusted_proxies),
        req.extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    let execution = validated.execute(&variables, &context);
    let result = match tokio::time::timeout(state.limits.request_deadline, execution).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(request_id = %context.request_id, "request deadline exceeded");
            return reject(
                flavour,
                StatusCode::SERVICE_UNAVAILABLE,
                "REQUEST_TIMEOUT",
                "请求处理超时，请稍后再试",
                "timeout",
            );
        }
    };

    let refusal = context.refusal.lock().ok().and_then(|slot| *slot);
    // The request's connection goes back to the pool before the answer is written out.
    drop(context);
    if let Some(pages) = &state.pages
        && price.operation.starts_with("mutation:")
    {
        pages.forget_version();
    }
    match result {
        Ok((data, errors)) => {
            let outcome = if errors.is_empty() { "ok" } else { "error" };
            record(&price.operation, outcome, Some(started));
            let cost = cost_extension(price.cost, &state.limits, standing);
            if let Some((pages, version, key)) = cached
                && errors.is_empty()
                && refusal.is_none()
            {
                metrics::counter!("linli_catalogue_cache_total", "result" => "miss").increment(1);
                let page = page_cache::Page::new(version, to_json(&data).to_string());
                pages.insert(key, page.clone());
                return page_response(
                    req,
                    flavour,
                    &page,
                    cost,
                    standing,
                    get.then(|| pages.interval()),
                );
            }
            let mut response = executed(flavour, &data, &errors, refusal, cost);
            rate_headers(&mut response, standing, None);
            if get {
                // Signed-in or not the catalogue's: for this client only, never kept.
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, no-store"),
                );
            }
            response
        }
        // Variables that do not fit the operation's definitions.
        Err(err) => refused_document(flavour, &err),
    }
}

/// A catalogue page's answer. Sent for a `GET` (`keep_for`: the cache's interval), it may be
/// kept by a proxy or the browser that long, and a client holding the same page gets 304.
fn page_response(
    req: &HttpRequest,
    flavour: Flavour,
    page: &page_cache::Page,
    cost: serde_json::Value,
    standing: Standing,
    keep_for: Option<std::time::Duration>,
) -> HttpResponse {
    let etag = HeaderValue::from_str(&page.etag).ok();
    let mut response = match (keep_for, &etag) {
        (Some(_), Some(etag))
            if req
                .headers()
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|held| held.split(',').any(|t| t.trim() == page.etag.as_ref())) =>
        {
            let mut response = HttpResponse::NotModified().finish();
            response.headers_mut().insert(header::ETAG, etag.clone());
            response
        }
        _ => HttpResponse::Ok()
            .content_type(flavour.content_type())
            .body(format!(
                "{{\"data\":{},\"extensions\":{}}}",
                page.data,
                json!({ "cost": cost })
            )),
    };
    rate_headers(&mut response, standing, None);
    if let Some(keep_for) = keep_for {
        let headers = response.headers_mut();
        if let Some(etag) = etag {
            headers.insert(header::ETAG, etag);
        }
        let max_age = keep_for.as_secs();
        if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
            headers.insert(header::CACHE_CONTROL, value);
        }
        headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    response
}

/// True when any string or key of the request's JSON holds U+0000.
fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(fields) => fields
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

/// Whether a GraphQL document escapes U+0000 in a string literal: `\u` then four zeros, or
/// `\u{` zeros `}`.
fn escapes_nul(text: &str) -> bool {
    text.match_indices("\\u").any(|(at, _)| {
        let rest = &text[at + 2..];
        rest.starts_with("0000")
            || rest
                .strip_prefix('{')
                .and_then(|inner| inner.split_once('}'))
                .is_some_and(|(digits, _)| !digits.is_empty() && digits.bytes().all(|b| b == b'0'))
    })
}

/// A document (or its variables) refused by juniper before anything ran.
fn refused_document(flavour: Flavour, err: &GraphQLError) -> HttpResponse {
    let code = match err {
        GraphQLError::ParseError(spanning) => match spanning.item {
            juniper::parser::ParseError::DepthLimitExceeded(_)
            | juniper::parser::ParseError::TokenLimitExceeded(_)
            | juniper::parser::ParseError::FieldLimitExceeded(_) => "QUERY_TOO_COMPLEX",
            _ => "GRAPHQL_PARSE_FAILED",
        },
        GraphQLError::ValidationError(_) => "GRAPHQL_VALIDATION_FAILED",
        _ => "BAD_REQUEST",
    };
    record("invalid", "rejected", None);
    let mut body = serde_json::to_value(err).unwrap_or_else(|_| json!([]));
    if let Some(list) = body.as_array_mut() {
        for entry in list.iter_mut() {
            entry["extensions"] = json!({ "code": code });
        }
    }
    respond(
        flavour,
        flavour.request_error_status(),
        &json!({ "errors": body }),
    )
}

/// `extensions.cost` of an answer, as Shopify and Saleor report it.
fn cost_extension(requested: u64, limits: &Limits, standing: Standing) -> serde_json::Value {
    json!({
        "requested": requested,
        "limit": limits.max_cost,
        "remaining": standing.remaining,
        "budget": standing.limit,
    })
}

/// `X-RateLimit-*` (and `Retry-After` when refused), as GitHub sends them.
fn rate_headers(response: &mut HttpResponse, standing: Standing, retry_after: Option<u64>) {
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: u64| {
        if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
            headers.insert(header::HeaderName::from_static(name), value);
        }
    };
    set("x-ratelimit-limit", standing.limit);
    set("x-ratelimit-remaining", standing.remaining);
    set("x-ratelimit-reset", standing.reset_at);
    if let Some(secs) = retry_after {
        set("retry-after", secs);
    }
}

/// When a client should try again after the database was unavailable: the pool's checkout
/// timeout and a database restart both take about this long.
const UNAVAILABLE_RETRY_SECS: u64 = 2;

fn executed(
    flavour: Flavour,
    data: &Value<DefaultScalarValue>,
    errors: &[ExecutionError<DefaultScalarValue>],
    refusal: Option<Refusal>,
    cost: serde_json::Value,
) -> HttpResponse {
    let mut body = json!({ "data": to_json(data) });
    if !errors.is_empty() {
        body["errors"] = serde_json::to_value(errors).unwrap_or_else(|_| json!([]));
    }
    body["extensions"] = json!({ "cost": cost });
    // An outage is the server's, not the client's: 503 lets a load balancer and the client
    // see it, and `Retry-After` says when to come back.
    let (status, retry_after) = match refusal {
        Some(Refusal::Unavailable) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some(UNAVAILABLE_RETRY_SECS),
        ),
        Some(Refusal::RateLimited { retry_after_secs }) => {
            (StatusCode::TOO_MANY_REQUESTS, Some(retry_after_secs))
        }
        None => (StatusCode::OK, None),
    };
    let mut response = respond(flavour, status, &body);
    if let Some(secs) = retry_after
        && let Ok(value) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the last address
/// in `X-Forwarded-For` that is not one of ours. Believing the header from anyone would let
/// every client pick the address its throttles count under.
fn client_address(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".to_owned();
    };
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(forwarded.first())
        .unwrap_or(&peer)
        .to_string()
}

/// An answer as JSON, the way the reference implementation (graphql-js) writes it: fields in
/// the order the query asked for them, and whole numbers without a fraction — so `Points`
/// beyond GraphQL's 32-bit `Int` read back as exact integers.
fn to_json(value: &Value<DefaultScalarValue>) -> serde_json::Value {
    /// The largest integer a JSON number (an IEEE double) holds exactly.
    const MAX_EXACT: f64 = 9_007_199_254_740_991.0;
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Scalar(DefaultScalarValue::Int(i)) => json!(i),
        Value::Scalar(DefaultScalarValue::Float(f)) if f.fract() == 0.0 && f.abs() <= MAX_EXACT => {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::as_conversions,
                reason = "integral and within 2^53; floats convert to integers only by `as`"
            )]
            let whole = *f as i64;
            json!(whole)
        }
        Value::Scalar(DefaultScalarValue::Float(f)) => json!(f),
        Value::Scalar(DefaultScalarValue::String(s)) => json!(s),
        Value::Scalar(DefaultScalarValue::Boolean(b)) => json!(b),
        Value::List(items) => items.iter().map(to_json).collect(),
        Value::Object(fields) => fields
            .iter()
            .map(|(name, field)| (name.to_string(), to_json(field)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    // Anything but a bearer token is as bad as a forged one: it must not silently be anonymous.
    Some(value.strip_prefix("Bearer ").unwrap_or("").trim())
}

fn record(operation: &str, outcome: &str, started: Option<Instant>) {
    metrics::counter!(
        "linli_graphql_requests_total",
        "operation" => operation.to_owned(),
        "outcome" => outcome.to_owned()
    )
    .increment(1);
    if let Some(started) = started {
        metrics::histogram!("linli_graphql_request_duration_seconds", "operation" => operation.to_owned())
            .record(started.elapsed().as_secs_f64());
    }
}

/// A merchant's monthly statement as CSV (`/statements/<merchant id>/<YYYY-MM>.csv?token=…`).
/// The link comes from `MerchantStatement.csvUrl`.
async fn statement_csv(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (merchant, file) = path.into_inner();
    // A path that names no statement is 404 whoever asks: it reveals nothing.
    let (Ok(merchant), Some(month)) = (
        Merchant::decode(&ID::new(merchant), "merchant"),
        file.strip_suffix(".csv").and_then(|m| parse_month(m).ok()),
    ) else {
        return not_found("对账单不存在");
    };
    let name = format!("statement-{}.csv", month.format("%Y-%m"));
    download(&req, &state, name, move |services, actor| {
        services
            .rewards()
            .statement(actor, &merchant, month)?
            .to_csv(|id| Redemption::global_id(id).to_string())
    })
    .await
}

/// Settlements as CSV (`/settlements.csv?month=…&status=…&merchant=…&token=…`), from
/// `settlementTotals.csvUrl` (staff: every merchant's) or `Merchant.settlementsCsvUrl` (a
/// merchant's own): the filter is the link's query, signed with it.
async fn settlements_csv(
    req: HttpRequest,
    query: web::Query<SettlementsQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(filter) = query.into_inner().decode() else {
        return not_found("结算单不存在");
    };
    let name = match filter.month {
        Some(month) => format!("settlements-{month}.csv"),
        None => "settlements.csv".to_owned(),
    };
    download(&req, &state, name, move |services, actor| {
        services
            .settlement()
            .csv(actor, &filter, |id| Settlement::global_id(id).to_string())
    })
    .await
}

/// The query of a settlements link (besides its token).
#[derive(Deserialize)]
struct SettlementsQuery {
    month: Option<String>,
    status: Option<String>,
    merchant: Option<String>,
}

impl SettlementsQuery {
    /// The filter the link was made for; none when a part does not parse.
    fn decode(self) -> Option<SettlementFilter> {
        Some(SettlementFilter {
            month: match self.month {
                Some(month) => Some(Month::parse(&month).ok()?),
                None => None,
            },
            status: match self.status {
                Some(status) => Some(SettlementStatus::parse(&status)?),
                None => None,
            },
            merchant_id: match self.merchant {
                Some(id) => Some(Merchant::decode(&ID::new(id), "merchant").ok()?),
                None => None,
            },
        })
    }
}

/// A staff export (`/exports/<file>.csv?<filter>&token=…`), from `insightExports`: the filter
/// is the link's query, signed with it.
async fn export_csv(
    req: HttpRequest,
    file: web::Path<String>,
    filter: web::Query<ExportQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (Some(export), Some(filter)) = (Export::from_file(&file), filter.into_inner().decode())
    else {
        return not_found("导出不存在");
    };
    download(
        &req,
        &state,
        export.file().to_owned(),
        move |services, actor| services.insight().export(actor, export, &filter),
    )
    .await
}

/// An account's history for a period (`/exports/accounts/<account id>/history.csv?from=…&until=…
/// &token=…`), from `Account.historyCsvUrl`.
async fn history_csv(
    req: HttpRequest,
    account: web::Path<String>,
    period: web::Query<ExportQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let period = period.into_inner();
    let (Ok(account), Some(from), Some(until)) = (
        Account::decode(&ID::new(account.into_inner()), "account"),
        instant(period.from.as_deref()),
        instant(period.until.as_deref()),
    ) else {
        return not_found("账户不存在");
    };
    let filter = HistoryFilter {
        codes: Vec::new(),
        from,
        until,
    };
    download(
        &req,
        &state,
        "history.csv".to_owned(),
        move |services, actor| {
            services
                .ledger()
                .history_csv(actor, &account, &filter, |id| {
                    Transfer::global_id(id).to_string()
                })
        },
    )
    .await
}

/// The query of an export link (besides its token).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExportQuery {
    from: Option<String>,
    to: Option<String>,
    until: Option<String>,
    community: Option<String>,
    community_type: Option<String>,
    category: Option<String>,
}

impl ExportQuery {
    /// The filter the link was made for; none when a part does not parse.
    fn decode(self) -> Option<InsightFilter> {
        Some(InsightFilter {
            from: instant(self.from.as_deref())?,
            to: instant(self.to.as_deref())?,
            community_id: match self.community {
                Some(id) => Some(Community::decode(&ID::new(id), "community").ok()?),
                None => None,
            },
            community_type: match self.community_type {
                Some(kind) => Some(CommunityType::parse(&kind)?),
                None => None,
            },
            category_id: self.category,
        })
    }
}

/// An optional RFC 3339 instant: `Some(None)` when absent, `None` when malformed.
fn instant(raw: Option<&str>) -> Option<Option<chrono::NaiveDateTime>> {
    match raw {
        None => Some(None),
        Some(raw) => chrono::DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|t| Some(t.naive_utc())),
    }
}

fn not_found(message: &str) -> HttpResponse {
    respond(
        Flavour::Json,
        StatusCode::NOT_FOUND,
        &error_body("NOT_FOUND", message),
    )
}

/// The target a download link signed (its path and query without the token, which comes last)
/// and the token.
fn signed_link(req: &HttpRequest) -> (String, &str) {
    let query = req.query_string();
    let (rest, token) = match query.strip_prefix("token=") {
        Some(token) => ("", token),
        None => query.rsplit_once("&token=").unwrap_or((query, "")),
    };
    let target = if rest.is_empty() {
        req.path().to_owned()
    } else {
        format!("{}?{rest}", req.path())
    };
    (target, token)
}

/// Every CSV download: a signed, short-lived link names the person (so a plain browser
/// download works without a bearer header), `produce` is the one service call that decides
/// what they may read and writes the file, on the blocking pool under the request's span.
async fn download(
    req: &HttpRequest,
    state: &AppState,
    filename: String,
    produce: impl FnOnce(&Services, &Actor) -> DomainResult<Vec<u8>> + Send + 'static,
) -> HttpResponse {
    let json_error = |status: StatusCode, code: &str, message: &str| {
        respond(Flavour::Json, status, &error_body(code, message))
    };
    let (target, token) = signed_link(req);
    let actor = match state.shared.tokens.verify_link(token, &target) {
        Ok(actor) => actor,
        Err(err) => {
            let message = match err {
                TokenError::Expired => "下载链接已过期，请回到页面重新下载",
                TokenError::Invalid => "下载链接无效",
            };
            return json_error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message);
        }
    };
    let services = state.shared.services.clone();
    // The blocking thread logs under the request's span, as `Context::run` does.
    let span = tracing::Span::current();
    let result = web::block(move || {
        let _request = span.enter();
        produce(&services, &actor)
    })
    .await;
    match result {
        Ok(Ok(body)) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ))
            .body(body),
        Ok(Err(err)) => {
            let status = match err.code() {
                linli_domain::ErrorCode::Forbidden => StatusCode::FORBIDDEN,
                linli_domain::ErrorCode::NotFound => StatusCode::NOT_FOUND,
                linli_domain::ErrorCode::InvalidInput => StatusCode::BAD_REQUEST,
                linli_domain::ErrorCode::Unavailable | linli_domain::ErrorCode::OutcomeUnknown => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            if status == StatusCode::INTERNAL_SERVER_ERROR {
                tracing::error!(error = ?err, "download failed");
                return json_error(status, "INTERNAL", "服务器内部错误");
            }
            json_error(status, err.code().as_str(), &err.to_string())
        }
        Err(_) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "服务器内部错误",
        ),
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready when a database round trip succeeds within the pool's checkout timeout.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let services = state.shared.services.clone();
    let ready = web::block(move || services.db.ping()).await;
    match ready {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        _ => HttpResponse::ServiceUnavailable().json(json!({ "status": "database unavailable" })),
    }
}

async fn metrics_text(state: web::Data<AppState>) -> HttpResponse {
    let db = &state.shared.services.db;
    let pool = db.pool_state();
    metrics::gauge!("linli_db_pool_connections", "state" => "idle")
        .set(f64::from(pool.idle_connections));
    metrics::gauge!("linli_db_pool_connections", "state" => "in_use").set(f64::from(
        pool.connections.saturating_sub(pool.idle_connections),
    ));
    metrics::gauge!("linli_db_pool_max_connections").set(f64::from(db.max_connections()));
    metrics::counter!("linli_db_statements_total").absolute(db.statements_executed());
    if let Some(replica) = db.replica() {
        metrics::counter!("linli_db_replica_statements_total")
            .absolute(replica.statements_executed());
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.prometheus.render())
}

const GRAPHIQL_INDEX: &str = include_str!("../assets/graphiql/index.html");

async fn graphiql_page(state: web::Data<AppState>) -> HttpResponse {
    if !state.graphiql {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GRAPHIQL_INDEX)
}

/// GraphiQL's scripts, served by Linli itself so the page works without a CDN.
async fn graphiql_asset(state: web::Data<AppState>, file: web::Path<String>) -> HttpResponse {
    if !state.graphiql {
        return HttpResponse::NotFound().finish();
    }
    let (body, content_type): (&'static [u8], &str) = match file.as_str() {
        "graphiql.min.js" => (
            include_bytes!("../assets/graphiql/graphiql.min.js"),
            "text/javascript",
        ),
        "graphiql.min.css" => (
            include_bytes!("../assets/graphiql/graphiql.min.css"),
            "text/css",
        ),
        "react.production.min.js" => (
            include_bytes!("../assets/graphiql/react.production.min.js"),
            "text/javascript",
        ),
        "react-dom.production.min.js" => (
            include_bytes!("../assets/graphiql/react-dom.production.min.js"),
            "text/javascript",
        ),
        "linli.js" => (
            include_bytes!("../assets/graphiql/linli.js"),
            "text/javascript",
        ),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(format!("{content_type}; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(body)
}
