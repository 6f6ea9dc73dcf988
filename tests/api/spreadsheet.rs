//! A merchant's statement and a staff export opened where people open them, in a spreadsheet:
//! LibreOffice Calc (Debian's `libreoffice-calc-nogui`), headless, importing the CSV with
//! formulas evaluated. A name like a formula must arrive as text, never run (OWASP, CSV
//! injection), and points as numbers.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Engine, TestApp, accepted, text_at};

/// The title an attacker gives a reward, to run in the merchant's spreadsheet.
const FORMULA_TITLE: &str = r#"=HYPERLINK("http://x","y")"#;

/// CSV import as a spreadsheet user gets it: comma, double quotes, UTF-8, from line 1, with
/// formulas evaluated (the 13th token), so a formula that got through would run.
const CSV_IMPORT: &str = "--infilter=CSV:44,34,76,1,,0,false,true,false,false,false,-1,true";

/// `soffice`, or `None` with a loud notice outside CI (in CI its absence fails).
fn soffice() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("soffice"))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the spreadsheet test needs LibreOffice in CI (apt-get install libreoffice-calc-nogui)"
        );
        eprintln!(
            "\n*** soffice not found: the spreadsheet test is SKIPPED \
             (apt-get install libreoffice-calc-nogui) ***\n"
        );
    }
    found
}

/// Opens `csv` in LibreOffice and saves it as flat OpenDocument XML: the sheet as Calc has it.
fn opened_in_calc(soffice: &Path, dir: &Path, name: &str, csv: &[u8]) -> String {
    let file = dir.join(format!("{name}.csv"));
    std::fs::write(&file, csv).unwrap();
    let profile = format!("file://{}", dir.join("profile").display());
    let output = Command::new(soffice)
        .arg("--headless")
        .arg(format!("-env:UserInstallation={profile}"))
        .arg(CSV_IMPORT)
        .args(["--convert-to", "fods", "--outdir"])
        .arg(dir)
        .arg(&file)
        .output()
        .unwrap();
    let sheet = dir.join(format!("{name}.fods"));
    assert!(
        sheet.exists(),
        "LibreOffice did not convert {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(sheet).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reward_titled_like_a_formula_opens_in_a_spreadsheet_as_text() {
    let Some(soffice) = soffice() else {
        return;
    };
    let app = TestApp::spawn(Engine::Sqlite).await;
    let merchant = app.merchant().await;
    let reward = app.reward(&merchant).titled(FORMULA_TITLE).await;
    let resident = app.funded_resident(100).await;
    let redemption = app.redemption(&resident, &reward, "redeem-0001").await;
    let confirmed = app.confirm(&merchant, &text_at(&redemption, "/code")).await;
    accepted(&confirmed, "confirmRedemption");
    let url = text_at(&app.statement(&merchant).await, "/csvUrl");
    let csv = app
        .client
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let dir = std::env::temp_dir()
        .join("linli-tests")
        .join(format!("calc-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();

    let sheet = opened_in_calc(&soffice, &dir, "statement", &csv);
    // The control: the same statement without the neutralising apostrophe does run, so the
    // import above would have shown a formula that got through.
    let unguarded = String::from_utf8_lossy(&csv).replace("'=HYPERLINK", "=HYPERLINK");
    let control = opened_in_calc(&soffice, &dir, "unguarded", unguarded.as_bytes());
    let _ = std::fs::remove_dir_all(&dir);

    assert!(
        control.contains("table:formula=\"of:=HYPERLINK"),
        "the control did not evaluate formulas:\n{control}"
    );
    assert!(!sheet.contains("table:formula"), "a formula ran:\n{sheet}");
    assert!(
        sheet.contains("<text:p>&apos;=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)</text:p>"),
        "the title is not shown as text:\n{sheet}"
    );
}

/// The staff's exports go through the same writer: an organisation named like a formula
/// arrives as text, and its points arrive as numbers a spreadsheet can add up.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_organisation_named_like_a_formula_opens_in_the_budget_export_as_text() {
    let Some(soffice) = soffice() else {
        return;
    };
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.new_resident().await;
    let organisation = app.register_organisation(&owner, FORMULA_TITLE).await;
    app.verify_organisation(&organisation).await;
    app.allocate_budget(&organisation, 500).await;
    let staff = app.staff().await;
    let links = app
        .ok(
            "{ insightExports { organisationBudgets } }",
            serde_json::json!({}),
            Some(&staff),
        )
        .await;
    let url = text_at(&links, "/insightExports/organisationBudgets");
    let csv = app
        .client
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let dir = std::env::temp_dir()
        .join("linli-tests")
        .join(format!("calc-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();

    let sheet = opened_in_calc(&soffice, &dir, "budgets", &csv);
    let _ = std::fs::remove_dir_all(&dir);

    assert!(!sheet.contains("table:formula"), "a formula ran:\n{sheet}");
    assert!(
        sheet.contains("<text:p>&apos;=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)</text:p>"),
        "the name is not shown as text:\n{sheet}"
    );
    assert!(
        sheet.contains("office:value-type=\"float\" office:value=\"500\""),
        "the allocation is not a number:\n{sheet}"
    );
}
