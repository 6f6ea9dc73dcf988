//! Service certificates: issued for verified service, checkable by anyone with the district's
//! keys, on either engine; any changed byte fails; a reversal revokes; the printed page's QR
//! code, decoded from Chromium's PDF, opens the verification page.

use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::browser::{Browser, Driver, browser_available};
use crate::support::volunteering::RECORD_ATTENDANCE;
use crate::support::volunteering::{Activity, Organiser};
use crate::support::{
    Engine, PASSWORD, TestApp, accepted, both_engines, postgres_available, text_at,
    top_level_error, unique_email, user_error, user_error_field,
};

const ISSUE: &str = r"
    mutation ($input: IssueCertificateInput!) {
        issueCertificate(input: $input) {
            certificate {
                number document keyId revokedAt
                content {
                    holder from until scopeOrganisation totalMinutes totalHours issuer verifyUrl
                    organisations { name minutes hours }
                    activities { organisation title date minutes hours }
                }
            }
            errors { code field message }
        }
    }
";

const VERIFY: &str = r"
    query ($number: String!, $document: String) {
        verifyCertificate(number: $number, document: $document) {
            validity keyId recordedHere revokedAt revocationReason
            content { holder totalHours totalMinutes }
        }
    }
";

const CERTIFICATE: &str = r"
    query ($number: String!) { certificate(number: $number) { number revokedAt } }
";

const REVOKE_HOURS: &str = r"
    mutation ($input: RevokeServiceHoursInput!) {
        revokeServiceHours(input: $input) {
            participation { id hoursRevokedAt }
            errors { code }
        }
    }
";

const SERVICE_MINUTES: &str = r"{ me { serviceRecord { totalMinutes } } }";

const EARNINGS: &str = r#"
    { me { wallet { history(first: 5) { edges { node { transfer { id code } } } } } } }
"#;

const REVERSE: &str = r"
    mutation ($input: ReverseTransferInput!) {
        reverseTransfer(input: $input) { transfer { id } errors { code } }
    }
";

/// A resident named 张小明 who served 90 minutes with the organiser's home visits, verified.
pub(crate) async fn ninety_verified_minutes(app: &TestApp) -> (Organiser, Activity, String) {
    let organiser = app.organiser(1000).await;
    let activity = app.activity(&organiser).await;
    let resident = app.named_resident("张小明").await;
    accepted(
        &app.sign_up(&activity, &resident).await,
        "signUpForActivity",
    );
    app.attend(&activity, &[&resident], 90).await;
    app.verify_all(&activity, &organiser.verifier).await;
    (organiser, activity, resident)
}

async fn issue(app: &TestApp, resident: &str, input: Value) -> Value {
    app.ok(ISSUE, json!({ "input": input }), Some(resident))
        .await
}

pub(crate) async fn certificate(app: &TestApp, resident: &str, input: Value) -> Value {
    let issued = issue(app, resident, input).await;
    accepted(&issued, "issueCertificate")["certificate"].clone()
}

async fn verify(app: &TestApp, number: &str, document: Option<&str>) -> Value {
    app.ok(
        VERIFY,
        json!({ "number": number, "document": document }),
        None,
    )
    .await["verifyCertificate"]
        .clone()
}

/// The document with its content replaced by `change` applied to the content, the header and
/// signature kept: what a forger who edits the hours produces.
fn forged(document: &str, change: impl Fn(&mut Value)) -> String {
    let parts: Vec<&str> = document.split('.').collect();
    let mut content: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    change(&mut content);
    let content = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&content).unwrap());
    format!("{}.{content}.{}", parts[0], parts[2])
}

both_engines!(
    verified_service_is_certified_and_anyone_can_check_it,
    asking_again_for_the_same_service_returns_the_same_certificate,
    a_certificate_counts_only_its_period_and_organisation,
    a_changed_byte_or_a_forged_record_fails_verification,
    reversing_counted_service_revokes_the_certificate,
    nobody_reads_another_residents_certificate,
    staff_revoke_hand_recorded_hours_and_the_certificate_with_them,
    hours_that_earned_points_go_with_their_points,
    a_request_without_service_or_with_a_bad_period_is_refused_by_field,
);

async fn verified_service_is_certified_and_anyone_can_check_it(app: &TestApp) {
    let (_, _, resident) = ninety_verified_minutes(app).await;

    let c = certificate(app, &resident, json!({ "name": "MASKED" })).await;

    let number = text_at(&c, "/number");
    assert!(number.starts_with("LL-") && number.len() == 17, "{number}");
    let content = &c["content"];
    assert_eq!(content["holder"], "张*明");
    assert_eq!(content["totalMinutes"], 90);
    assert_eq!(content["totalHours"], "1.5");
    assert_eq!(content["organisations"][0]["name"], "猛追湾志愿服务队");
    assert_eq!(content["activities"][0]["title"], "独居老人上门探访");
    assert_eq!(content["activities"][0]["hours"], "1.5");
    assert_eq!(content["from"], content["until"]);
    assert_eq!(
        text_at(content, "/verifyUrl"),
        format!("{}/verify/{number}", app.base)
    );

    // Anyone, signed in or not, checks it by its number, typed in lower case from paper.
    let checked = verify(app, &number.to_lowercase(), None).await;
    assert_eq!(checked["validity"], "GENUINE");
    assert_eq!(checked["recordedHere"], true);
    assert_eq!(checked["content"]["totalHours"], "1.5");
    assert_eq!(checked["keyId"], c["keyId"]);

    // The key that signed it is published as a JWK set anyone can fetch.
    let keys: Value = app
        .client
        .get(format!(
            "{}/.well-known/linli-certificate-keys.json",
            app.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &keys["keys"][0];
    assert_eq!(key["kid"], c["keyId"]);
    assert_eq!(
        (&key["kty"], &key["crv"]),
        (&json!("OKP"), &json!("Ed25519"))
    );
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(text_at(&c, "/document").split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], c["keyId"]);
}

async fn asking_again_for_the_same_service_returns_the_same_certificate(app: &TestApp) {
    let (_, _, resident) = ninety_verified_minutes(app).await;
    let first = certificate(app, &resident, json!({ "name": "FULL" })).await;

    let again = certificate(app, &resident, json!({ "name": "FULL" })).await;
    let masked = certificate(app, &resident, json!({ "name": "MASKED" })).await;

    assert_eq!(again["number"], first["number"]);
    assert_eq!(again["document"], first["document"]);
    assert_eq!(first["content"]["holder"], "张小明");
    assert_ne!(
        masked["number"], first["number"],
        "another name, another certificate"
    );
}

async fn a_certificate_counts_only_its_period_and_organisation(app: &TestApp) {
    let (_, first, resident) = ninety_verified_minutes(app).await;
    // A week later, 100 minutes with another organisation.
    app.days_pass(7);
    let other = app.organiser_named("建设路社区志愿者协会", 1000).await;
    let second = app.activity(&other).await;
    accepted(&app.sign_up(&second, &resident).await, "signUpForActivity");
    app.attend(&second, &[&resident], 100).await;
    app.verify_all(&second, &other.verifier).await;
    let first_day = first
        .starts_at
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let first_day = first_day.format("%Y-%m-%d").to_string();

    let all = certificate(app, &resident, json!({})).await;
    let period = certificate(
        app,
        &resident,
        json!({ "from": first_day, "until": first_day }),
    )
    .await;
    let one = certificate(
        app,
        &resident,
        json!({ "organisationId": other.organisation }),
    )
    .await;

    assert_eq!(all["content"]["totalMinutes"], 190);
    assert_eq!(all["content"]["activities"].as_array().unwrap().len(), 2);
    assert_eq!(period["content"]["totalMinutes"], 90);
    assert_eq!(period["content"]["from"], first_day.as_str());
    assert_eq!(one["content"]["totalMinutes"], 100);
    assert_eq!(one["content"]["scopeOrganisation"], "建设路社区志愿者协会");
    assert_eq!(
        one["content"]["organisations"][0]["name"],
        "建设路社区志愿者协会"
    );
    let names: Vec<&Value> = all["content"]["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["name"])
        .collect();
    assert_eq!(
        names,
        [&json!("猛追湾志愿服务队"), &json!("建设路社区志愿者协会")]
    );
}

async fn a_changed_byte_or_a_forged_record_fails_verification(app: &TestApp) {
    let (_, _, resident) = ninety_verified_minutes(app).await;
    let c = certificate(app, &resident, json!({})).await;
    let number = text_at(&c, "/number");
    let document = text_at(&c, "/document");
    assert_eq!(
        verify(app, &number, Some(&document)).await["validity"],
        "GENUINE"
    );

    // A byte changed anywhere — header, content or signature — fails.
    let step = (document.len() / 40).max(1);
    for at in (0..document.len()).step_by(step) {
        let mut bytes = document.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        let checked = verify(app, &number, Some(&changed)).await;
        assert_eq!(checked["validity"], "ALTERED", "byte {at}");
        assert!(checked["content"].is_null());
    }
    // The hours edited and the signature kept: altered, whether presented or written into
    // the record itself.
    let more_hours = forged(&document, |c| c["totalHours"] = json!("150.0"));
    assert_eq!(
        verify(app, &number, Some(&more_hours)).await["validity"],
        "ALTERED"
    );
    app.services
        .db
        .write(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("UPDATE certificate SET document = $1 WHERE number = $2")
                .bind::<diesel::sql_types::Text, _>(&more_hours)
                .bind::<diesel::sql_types::Text, _>(&number)
                .execute(conn)?;
            Ok(())
        })
        .unwrap();
    assert_eq!(verify(app, &number, None).await["validity"], "ALTERED");
}

async fn reversing_counted_service_revokes_the_certificate(app: &TestApp) {
    let (_, _, resident) = ninety_verified_minutes(app).await;
    let c = certificate(app, &resident, json!({})).await;
    let number = text_at(&c, "/number");
    let history = app.ok(EARNINGS, json!({}), Some(&resident)).await;
    let earn = &history["me"]["wallet"]["history"]["edges"][0]["node"]["transfer"];
    assert_eq!(earn["code"], "EARN");
    let staff = app.staff().await;

    let reversed = app
        .ok(
            REVERSE,
            json!({ "input": {
                "transferId": earn["id"], "reason": "签到记录不实", "idempotencyKey": "reverse-earn-1"
            } }),
            Some(&staff),
        )
        .await;

    accepted(&reversed, "reverseTransfer");
    let checked = verify(app, &number, Some(&text_at(&c, "/document"))).await;
    assert_eq!(checked["validity"], "REVOKED");
    assert!(checked["revokedAt"].is_string());
    assert!(
        text_at(&checked, "/revocationReason").contains("冲正"),
        "{checked}"
    );
    assert!(
        !text_at(&checked, "/revocationReason").contains("签到记录不实"),
        "staff notes stay inside"
    );
    let mine = app
        .ok(CERTIFICATE, json!({ "number": number }), Some(&resident))
        .await;
    assert!(mine["certificate"]["revokedAt"].is_string());
    let record = app.ok(SERVICE_MINUTES, json!({}), Some(&resident)).await;
    assert_eq!(record["me"]["serviceRecord"]["totalMinutes"], 0);
    // Nothing is left to certify.
    let again = issue(app, &resident, json!({})).await;
    assert_eq!(user_error_field(&again, "issueCertificate"), "input.from");
    app.assert_ledger_ok().await;
}

/// Hours recorded by hand pay no points, so no EARN can be reversed: staff revoke the hours
/// themselves, and the certificate that counts them falls with them.
async fn staff_revoke_hand_recorded_hours_and_the_certificate_with_them(app: &TestApp) {
    let organiser = app.organiser(1000).await;
    let activity = app.activity(&organiser).await;
    let email = unique_email("elder");
    let resident = app.resident(&email).await;
    app.activity_begins(&activity);
    app.minutes_pass(70);
    let now = app.services.clock.now().and_utc();
    let recorded = app
        .ok(
            RECORD_ATTENDANCE,
            json!({ "input": {
                "activityId": activity.id, "resident": email, "requestPoints": false,
                "from": (now - chrono::TimeDelta::minutes(60)).to_rfc3339(), "until": now.to_rfc3339()
            } }),
            Some(&organiser.owner),
        )
        .await;
    let participation = accepted(&recorded, "recordAttendance")["participation"]["id"].clone();
    app.verify_attendance(&participation, &organiser.verifier)
        .await;
    let c = certificate(app, &resident, json!({})).await;
    assert_eq!(c["content"]["totalMinutes"], 60);
    let revoke =
        |reason: &str| json!({ "input": { "participationId": participation, "reason": reason } });

    for who in [&resident, &organiser.owner, &organiser.verifier] {
        let code = app
            .top_level_code(REVOKE_HOURS, revoke("不是工作人员"), Some(who))
            .await;
        assert_eq!(code, "FORBIDDEN");
    }
    assert_eq!(
        verify(app, &text_at(&c, "/number"), None).await["validity"],
        "GENUINE"
    );
    let staff = app.staff().await;
    let revoked = app
        .ok(REVOKE_HOURS, revoke("补录的签到不实"), Some(&staff))
        .await;

    assert!(
        accepted(&revoked, "revokeServiceHours")["participation"]["hoursRevokedAt"].is_string()
    );
    assert_eq!(
        verify(app, &text_at(&c, "/number"), None).await["validity"],
        "REVOKED"
    );
    let record = app.ok(SERVICE_MINUTES, json!({}), Some(&resident)).await;
    assert_eq!(record["me"]["serviceRecord"]["totalMinutes"], 0);
    let twice = app.ok(REVOKE_HOURS, revoke("再撤一次"), Some(&staff)).await;
    assert_eq!(user_error(&twice, "revokeServiceHours"), "INVALID_STATE");
}

async fn hours_that_earned_points_go_with_their_points(app: &TestApp) {
    let (_, activity, _) = ninety_verified_minutes(app).await;
    let sheet = app.attendance_sheet(&activity).await;
    let staff = app.staff().await;

    let refused = app
        .ok(
            REVOKE_HOURS,
            json!({ "input": { "participationId": sheet[0]["id"], "reason": "想只撤时长" } }),
            Some(&staff),
        )
        .await;

    assert_eq!(user_error(&refused, "revokeServiceHours"), "INVALID_STATE");
}

async fn nobody_reads_another_residents_certificate(app: &TestApp) {
    let (_, _, resident) = ninety_verified_minutes(app).await;
    let c = certificate(app, &resident, json!({})).await;
    let neighbour = app.new_resident().await;

    let (_, body) = app
        .post(
            CERTIFICATE,
            json!({ "number": c["number"] }),
            Some(&neighbour),
        )
        .await;

    assert_eq!(top_level_error(&body), "NOT_FOUND");
    // A number nobody issued is simply unknown.
    assert_eq!(
        verify(app, "LL-0000-0000-0000", None).await["validity"],
        "UNKNOWN"
    );
}

async fn a_request_without_service_or_with_a_bad_period_is_refused_by_field(app: &TestApp) {
    let newcomer = app.new_resident().await;
    let none = issue(app, &newcomer, json!({})).await;
    assert_eq!(user_error_field(&none, "issueCertificate"), "input.from");

    let backwards = issue(
        app,
        &newcomer,
        json!({ "from": "2026-05-02", "until": "2026-05-01" }),
    )
    .await;
    assert_eq!(
        user_error_field(&backwards, "issueCertificate"),
        "input.until"
    );
    let malformed = issue(app, &newcomer, json!({ "from": "5月1日" })).await;
    assert_eq!(
        user_error_field(&malformed, "issueCertificate"),
        "input.from"
    );
}

/// A certificate issued on one engine's server verifies on the other's: the district's key,
/// not the database, is what makes it genuine.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_certificate_issued_on_one_engine_verifies_on_the_other() {
    if !postgres_available() {
        return;
    }
    let sqlite = TestApp::spawn(Engine::Sqlite).await;
    let postgres = TestApp::spawn(Engine::Postgres).await;
    for (issuer, verifier) in [(&sqlite, &postgres), (&postgres, &sqlite)] {
        let (_, _, resident) = ninety_verified_minutes(issuer).await;
        let c = certificate(issuer, &resident, json!({})).await;
        let number = text_at(&c, "/number");
        let document = text_at(&c, "/document");

        let elsewhere = verify(verifier, &number, Some(&document)).await;

        assert_eq!(elsewhere["validity"], "GENUINE");
        assert_eq!(elsewhere["recordedHere"], false);
        assert_eq!(elsewhere["content"]["totalHours"], "1.5");
        let forged = forged(&document, |c| c["holder"] = json!("李*华"));
        assert_eq!(
            verify(verifier, &number, Some(&forged)).await["validity"],
            "ALTERED"
        );
        assert_eq!(verify(verifier, &number, None).await["validity"], "UNKNOWN");
    }
}

/// Whether the PDF's QR code can be read here: poppler's `pdftoppm` renders the page and
/// zbar's `zbarimg` decodes it. Missing, the test skips loudly, except in CI.
fn qr_tools_available() -> bool {
    let missing: Vec<&str> = ["pdftoppm", "zbarimg"]
        .into_iter()
        .filter(|tool| Command::new(tool).arg("-h").output().is_err())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the certificate test needs {} in CI (apt-get install poppler-utils zbar-tools)",
        missing.join(" and ")
    );
    eprintln!(
        "\n*** {} not found: the printed certificate's QR test is SKIPPED ***\n",
        missing.join(" and ")
    );
    false
}

/// The QR codes' texts in the first page of `pdf`.
fn qr_codes_in(pdf: &[u8]) -> Vec<String> {
    let dir = std::env::temp_dir()
        .join("linli-tests")
        .join(format!("print-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf_path = dir.join("certificate.pdf");
    std::fs::write(&pdf_path, pdf).unwrap();
    let rendered = Command::new("pdftoppm")
        .args(["-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf_path)
        .arg(dir.join("page"))
        .status()
        .unwrap();
    assert!(rendered.success(), "pdftoppm failed");
    let decoded = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(dir.join("page.png"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(decoded.stdout)
        .unwrap()
        .lines()
        .map(ToOwned::to_owned)
        .collect()
}

/// A resident asks for a certificate on the service record, prints it (Chromium's own print
/// to PDF), and the QR code read off the printed page opens the verification page, which says
/// it is genuine; after a reversal the same page says it is revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_printed_certificates_qr_code_opens_its_verification_page() {
    if !browser_available() || !qr_tools_available() {
        return;
    }
    let app = TestApp::spawn(Engine::Sqlite).await;
    let (_, _, resident) = ninety_verified_minutes(&app).await;
    let login = app.email_of(&resident).await;
    let driver = Driver::start().await;
    let browser = Browser::open(&driver, &app.base).await;
    browser.visit("/signin").await;
    browser.fill("邮箱或手机号", &login).await;
    browser.fill("密码", PASSWORD).await;
    browser.press("登录").await;
    browser.wait_for_text("我的钱包").await;

    browser.visit("/service").await;
    browser.wait_for_text("申请服务证明").await;
    browser.choose("姓名显示", "隐去中间的字（如 张*明）").await;
    browser.check_screen("certificate-request", false).await;
    browser.press("生成证明").await;
    browser.wait_for_text("兹证明").await;
    browser.wait_for_text("张*明").await;
    browser.check_screen("certificate", false).await;
    let path = browser.path().await;
    let number = path.rsplit('/').next().unwrap().to_owned();

    let pdf = browser
        .client
        .print(
            fantoccini::wd::PrintConfiguration::builder()
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "Chromium printed a PDF");
    let printed: PathBuf =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots/certificate.pdf");
    std::fs::write(&printed, &pdf).unwrap();
    let codes = qr_codes_in(&pdf);
    let url = format!("{}/verify/{number}", app.base);
    assert_eq!(
        codes,
        std::slice::from_ref(&url),
        "the printed QR code is the verification page"
    );

    // A school's clerk scans it on another phone, not signed in.
    let clerk = Browser::open(&driver, &app.base).await;
    clerk.client.goto(&codes[0]).await.unwrap();
    clerk.wait_for_text("真实有效").await;
    clerk.wait_for_text("1.5").await;
    clerk.check_screen("certificate-verified", false).await;

    let history = app.ok(EARNINGS, json!({}), Some(&resident)).await;
    let earn = history["me"]["wallet"]["history"]["edges"][0]["node"]["transfer"]["id"].clone();
    let staff = app.staff().await;
    let reversed = app
        .ok(
            REVERSE,
            json!({ "input": { "transferId": earn, "reason": "核查不实", "idempotencyKey": "reverse-earn-2" } }),
            Some(&staff),
        )
        .await;
    accepted(&reversed, "reverseTransfer");
    clerk.client.goto(&url).await.unwrap();
    clerk.wait_for_text("已撤销").await;
    clerk.check_screen("certificate-revoked", false).await;
    clerk.close().await;
    browser.close().await;
}
