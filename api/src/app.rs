//! The Linli app: the static files under `app/`, embedded in the binary and served at `/`.
//!
//! Release builds carry every file inside the executable, so `cargo run --release` serves a
//! working app on a fresh clone with no npm step and no CDN (it must work on a district's
//! intranet and in mainland China). Debug builds read the same files from disk, so the app can
//! be edited and reloaded without rebuilding.
//!
//! Caching: files under `vendor/` carry their library's version in their name, so a new
//! version is a new URL and they may be cached for a year. Everything else (the app's own
//! modules, `index.html`, the service worker and the manifest) is revalidated on every use
//! with its ETag, which costs a 304 and never serves a stale app after an upgrade.
//! Compression (gzip, brotli) is the `Compress` middleware's, which wraps every response.

use actix_web::http::header::{self, EntityTag, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../app/"]
// Type-checking and documentation files are for developers, not for browsers.
#[exclude = "jsconfig.json"]
#[exclude = "*.md"]
#[exclude = "*.d.ts"]
#[exclude = "*.d.mts"]
struct Files;

const INDEX: &str = "index.html";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Keeps the app's scripts to this server: no inline script, no other origin. The QR codes
/// are inline SVG, the chart a canvas, so nothing else is needed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Answers every GET or HEAD that no other route took: an app file by its path, and
/// `index.html` for the app's own screens (`/wallet`, `/verify-email?token=…`), which the
/// app routes in the browser. Paths that look like files but are not there stay 404, so a
/// missing script is an error rather than a page of HTML.
pub async fn serve(req: HttpRequest) -> HttpResponse {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, HEAD"))
            .finish();
    }
    let path = req.path().trim_start_matches('/');
    let name = if path.is_empty() || is_client_route(path) {
        INDEX
    } else {
        path
    };
    match Files::get(name) {
        Some(file) => respond(&req, name, &file),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("未找到"),
    }
}

/// A screen of the app rather than a file: its last segment has no extension.
fn is_client_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    !last.contains('.')
}

fn respond(req: &HttpRequest, name: &str, file: &rust_embed::EmbeddedFile) -> HttpResponse {
    let etag = EntityTag::new_strong(hex(&file.metadata.sha256_hash()[..16]));
    let cache = if name.starts_with("vendor/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == etag.to_string())
        });
    let mut response = if fresh {
        HttpResponse::build(StatusCode::NOT_MODIFIED)
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if name == INDEX {
        response
            .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
            .insert_header((header::REFERRER_POLICY, "same-origin"));
    }
    if name == "sw.js" {
        // The worker controls the whole origin although the file could live anywhere.
        response.insert_header(("Service-Worker-Allowed", HeaderValue::from_static("/")));
    }
    if fresh {
        return response.finish();
    }
    response
        .content_type(content_type(name, file.metadata.mimetype()))
        .body(file.data.clone().into_owned())
}

/// The file's media type, with the charset every text file here is written in.
fn content_type(name: &str, guessed: &str) -> String {
    let media = if name.ends_with(".webmanifest") {
        "application/manifest+json"
    } else if name.ends_with(".js") || name.ends_with(".mjs") {
        "text/javascript"
    } else {
        guessed
    };
    if media.starts_with("text/") || media.ends_with("json") || media.ends_with("+xml") {
        format!("{media}; charset=utf-8")
    } else {
        media.to_owned()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
