//! Real headless Chromium, driven through WebDriver (Debian's `chromium` and `chromium-driver`),
//! for the app's journeys: each person gets their own browser with a fresh profile, at a
//! phone's 390 × 844. Besides clicking and reading, a browser checks what a test of a real
//! screen should: axe-core finds no serious or critical accessibility violation, 长辈版's text
//! and targets are large enough, no request left the Linli server, and a screenshot of it is
//! kept for people to look at.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub const WIDTH: u32 = 390;
pub const HEIGHT: u32 = 844;
/// A staff member's desk: the console's screenshots are taken at this size.
pub const CONSOLE_WIDTH: u32 = 1440;
pub const CONSOLE_HEIGHT: u32 = 900;
/// 18 pt, the MIIT rules' smallest main text in elder mode, in CSS pixels.
pub const ELDER_MIN_FONT_PX: f64 = 24.0;
/// The MIIT rules' smallest tap target in elder mode, in CSS pixels.
pub const ELDER_MIN_TARGET_PX: f64 = 60.0;
const WAIT: Duration = Duration::from_secs(20);

/// The flags the brief fixes: nothing runs in the background that could call another host.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--lang=zh-CN",
];

const AXE: &str = include_str!("../browser/axe-4.14.1.min.js");

const RUN_AXE: &str = include_str!("../browser/probes/run-axe.js");

/// Every visible element's own text below the elder minimum, and every control smaller than
/// the elder target.
const MEASURE_ELDER: &str = include_str!("../browser/probes/measure-elder.js");

const HOSTS: &str = include_str!("../browser/probes/hosts.js");

/// Installed in every document before the app runs: what went wrong without the page saying
/// so (a script error, a refused promise, a resource that failed, a Content-Security-Policy
/// violation) is kept for `check_screen`.
const RECORD_PROBLEMS: &str = include_str!("../browser/probes/record-problems.js");

const PROBLEMS: &str = "return window.linliProblems || ['the problem recorder is missing']";

const TRANSFERRED: &str = include_str!("../browser/probes/transferred.js");

/// Whether browser tests run. Missing chromium or chromedriver skips them loudly, except in
/// CI, where it fails the suite (as `postgres_available`).
pub fn browser_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let missing: Vec<&str> = ["chromium", "chromedriver"]
            .into_iter()
            .filter(|program| on_path(program).is_none())
            .collect();
        if missing.is_empty() {
            return true;
        }
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "browser tests need {} in CI (apt-get install chromium chromium-driver)",
            missing.join(" and ")
        );
        eprintln!(
            "\n*** {} not found: browser tests are SKIPPED \
             (apt-get install chromium chromium-driver) ***\n",
            missing.join(" and ")
        );
        false
    })
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// One chromedriver on a free loopback port for the whole test, stopped when dropped.
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(on_path("chromedriver").unwrap())
            // Its own process group, which the browsers it starts join: dropping the driver
            // ends them too, even when a failed test never closed its browser.
            .process_group(0)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            // Chromium takes its locale from the environment (with Debian's chromium-l10n):
            // date and time pickers then read as on a phone set to Chinese.
            .env("LANGUAGE", "zh_CN")
            .env("LANG", "zh_CN.UTF-8")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(started.elapsed() < WAIT, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self { child, url }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A DevTools command through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct DevTools {
    command: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.command, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// One person's browser on the Linli server at `base`.
pub struct Browser {
    pub client: Client,
    base: String,
    profile: PathBuf,
}

/// The screen a browser has: a resident's phone, an engineer's desk, or the centre's staff
/// member's desk, where the console is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Phone,
    Desk,
    Console,
}

impl Browser {
    /// A phone's browser, as residents, organisers and counters use the app.
    pub async fn open(driver: &Driver, base: &str) -> Self {
        Self::open_on(driver, base, Screen::Phone).await
    }

    pub async fn open_on(driver: &Driver, base: &str, screen: Screen) -> Self {
        let profile = std::env::temp_dir()
            .join("linli-tests")
            .join(format!("chromium-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&profile).unwrap();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut options = json!({
            "binary": on_path("chromium").unwrap(),
            "prefs": { "intl.accept_languages": "zh-CN,zh" },
        });
        match screen {
            Screen::Phone => {
                args.push(format!("--window-size={WIDTH},{HEIGHT}"));
                // The page sees a phone's viewport exactly (the window flag alone leaves room
                // for browser chrome that headless Chromium does not draw).
                let metrics = json!({
                    "width": WIDTH,
                    "height": HEIGHT,
                    "pixelRatio": 1.0,
                    "touch": true,
                    "mobile": true,
                });
                options["mobileEmulation"] = json!({ "deviceMetrics": metrics });
            }
            Screen::Desk => args.push("--window-size=1280,800".to_owned()),
            Screen::Console => {
                args.push(format!("--window-size={CONSOLE_WIDTH},{CONSOLE_HEIGHT}"));
            }
        }
        options["args"] = json!(args);
        let capabilities = json!({ "browserName": "chrome", "goog:chromeOptions": options });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap();
        client
            .issue_cmd(DevTools {
                command: "Page.addScriptToEvaluateOnNewDocument",
                params: json!({ "source": RECORD_PROBLEMS }),
            })
            .await
            .unwrap();
        if screen == Screen::Console {
            // The page's viewport exactly 1440 × 900 at one device pixel per CSS pixel, as
            // the phone's is set above, so the console's screenshots are that size.
            let metrics = json!({
                "width": CONSOLE_WIDTH,
                "height": CONSOLE_HEIGHT,
                "deviceScaleFactor": 1,
                "mobile": false,
            });
            client
                .issue_cmd(DevTools {
                    command: "Emulation.setDeviceMetricsOverride",
                    params: metrics,
                })
                .await
                .unwrap();
        }
        Self {
            client,
            base: base.to_owned(),
            profile,
        }
    }

    /// Opens `path` on the server as a typed address would.
    pub async fn visit(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// Types into the field whose label starts with `label`.
    pub async fn fill(&self, label: &str, text: &str) {
        let field = self.field(label).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Types into whatever has focus, as a USB or Bluetooth barcode scanner does.
    pub async fn type_as_scanner(&self, text: &str) {
        // A scanner types into whatever has the focus: wait, as the shop assistant would,
        // until the screen has put it in a field.
        let started = Instant::now();
        loop {
            let tag = self
                .client
                .execute("return document.activeElement.tagName", vec![])
                .await
                .unwrap();
            if tag == "INPUT" || tag == "TEXTAREA" {
                break;
            }
            assert!(
                started.elapsed() < WAIT,
                "no field has the focus for the scanner"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let focused = self.client.active_element().await.unwrap();
        focused.send_keys(text).await.unwrap();
    }

    /// Chooses the option shown as `option` in the select labelled `label`.
    pub async fn choose(&self, label: &str, option: &str) {
        let field = self.field(label).await;
        let option = field
            .find(Locator::XPath(&format!(
                "./option[normalize-space(.)={}]",
                xpath_literal(option)
            )))
            .await
            .unwrap();
        self.click(&option).await;
    }

    /// The error shown under the field labelled `label` (what the field's
    /// `aria-describedby` reads out), once there is one.
    pub async fn field_error(&self, label: &str) -> String {
        let id = self.field(label).await.attr("id").await.unwrap().unwrap();
        self.wait_for(Locator::Id(&format!("{id}-error")))
            .await
            .text()
            .await
            .unwrap()
    }

    async fn field(&self, label: &str) -> fantoccini::elements::Element {
        let xpath = format!(
            "//label[starts-with(normalize-space(.), {})]",
            xpath_literal(label)
        );
        let label_element = self.wait_for(Locator::XPath(&xpath)).await;
        let id = label_element.attr("for").await.unwrap().unwrap();
        self.client.find(Locator::Id(&id)).await.unwrap()
    }

    /// Clicks the button or link whose visible text or accessible name is `name`.
    pub async fn press(&self, name: &str) {
        let literal = xpath_literal(name);
        let xpath = format!(
            "//*[self::button or self::a]\
             [normalize-space(.)={literal} or @aria-label={literal}][not(@disabled)]"
        );
        let element = self.wait_for(Locator::XPath(&xpath)).await;
        self.click(&element).await;
    }

    /// Clicks after scrolling the element to the middle of the screen, as a person scrolls
    /// a button out from under the tab bar before tapping it.
    async fn click(&self, element: &fantoccini::elements::Element) {
        let element_json = serde_json::to_value(element).unwrap();
        self.client
            .execute(
                "arguments[0].scrollIntoView({ block: 'center' })",
                vec![element_json],
            )
            .await
            .unwrap();
        element.clone().click().await.unwrap();
    }

    /// The first element matching the CSS `selector`, once it is there.
    pub async fn element(&self, selector: &str) -> fantoccini::elements::Element {
        self.wait_for(Locator::Css(selector)).await
    }

    async fn wait_for(&self, locator: Locator<'_>) -> fantoccini::elements::Element {
        match self.client.wait().at_most(WAIT).for_element(locator).await {
            Ok(element) => element,
            Err(e) => panic!(
                "{locator:?} never appeared ({e}); the page shows:\n{}",
                self.page_text().await
            ),
        }
    }

    /// The page's visible text.
    pub async fn page_text(&self) -> String {
        self.client
            .execute("return document.body.innerText", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the page shows `text`, and fails with what it shows instead.
    pub async fn wait_for_text(&self, text: &str) {
        let started = Instant::now();
        loop {
            let shown = self.page_text().await;
            if shown.contains(text) {
                return;
            }
            if started.elapsed() > WAIT {
                let shot = self.profile.join("failure.png");
                let _ = std::fs::write(&shot, self.client.screenshot().await.unwrap_or_default());
                panic!(
                    "the page never showed «{text}»; it shows:\n{shown}\n(screenshot: {})",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The text of the element marked `data-testid="{test_id}"`, once it is there.
    pub async fn text_of(&self, test_id: &str) -> String {
        self.wait_for(Locator::Css(&format!("[data-testid=\"{test_id}\"]")))
            .await
            .text()
            .await
            .unwrap()
            .trim()
            .to_owned()
    }

    /// Where the link marked `test_id` points, as written in the page (a download's path).
    pub async fn href_of(&self, test_id: &str) -> String {
        self.wait_for(Locator::Css(&format!("[data-testid=\"{test_id}\"]")))
            .await
            .attr("href")
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{test_id} has no href"))
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Turns 长辈版 on or off with the switch in the header, as a person would; full-screen
    /// screens (the check-in code, the counter code) have no header, so there the setting is
    /// stored as the switch stores it and the screen opened again.
    pub async fn set_elder_mode(&self, on: bool) {
        let switches = self
            .client
            .find_all(Locator::Css(".elder-switch"))
            .await
            .unwrap();
        if let Some(switch) = switches.first() {
            let pressed = switch.attr("aria-pressed").await.unwrap().as_deref() == Some("true");
            if pressed != on {
                self.click(switch).await;
            }
            return;
        }
        let value = if on { "on" } else { "off" };
        self.client
            .execute(
                &format!("localStorage.setItem('linli.elder', '{value}')"),
                vec![],
            )
            .await
            .unwrap();
        self.client.refresh().await.unwrap();
    }

    /// Checks the screen the way the issue asks and keeps a screenshot of it:
    /// no serious or critical axe-core violation, no request to another host, no script
    /// error or policy violation, and in 长辈版 every text ≥ 18 pt and every control ≥ 60 × 60.
    pub async fn check_screen(&self, name: &str, elder: bool) {
        // Let loading states settle and fonts render before judging the screen.
        tokio::time::sleep(Duration::from_millis(400)).await;
        self.assert_accessible(name).await;
        self.assert_only_own_host(name).await;
        assert_eq!(
            self.problems().await,
            json!([]),
            "{name}: problems in the page"
        );
        if elder {
            self.assert_elder_sizes(name).await;
        }
        let mode = if elder { "elder" } else { "normal" };
        self.screenshot(&format!("{name}-{mode}")).await;
    }

    /// What the page recorded going wrong since it was loaded (see `RECORD_PROBLEMS`).
    pub async fn problems(&self) -> Value {
        self.client.execute(PROBLEMS, vec![]).await.unwrap()
    }

    pub async fn assert_accessible(&self, screen: &str) {
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object'", vec![])
            .await
            .unwrap();
        if loaded != Value::Bool(true) {
            self.client.execute(AXE, vec![]).await.unwrap();
        }
        let violations = self.client.execute_async(RUN_AXE, vec![]).await.unwrap();
        assert_eq!(
            violations,
            json!([]),
            "axe-core on {screen}: serious or critical violations"
        );
    }

    /// Texts below 18 pt and controls below 60 × 60 on the screen now, as
    /// `{ text: [...], targets: [...] }`.
    pub async fn elder_size_problems(&self) -> Value {
        self.client
            .execute(
                MEASURE_ELDER,
                vec![json!(ELDER_MIN_FONT_PX), json!(ELDER_MIN_TARGET_PX)],
            )
            .await
            .unwrap()
    }

    pub async fn assert_elder_sizes(&self, screen: &str) {
        let measured = self.elder_size_problems().await;
        assert_eq!(
            measured["text"],
            json!([]),
            "长辈版 {screen}: text below 18 pt (24 px)"
        );
        assert_eq!(
            measured["targets"],
            json!([]),
            "长辈版 {screen}: controls below 60 × 60"
        );
    }

    /// Every request the page made (navigation and resources) went to the Linli server.
    pub async fn assert_only_own_host(&self, screen: &str) {
        let own = self.base.trim_start_matches("http://").to_owned();
        let hosts = self.client.execute(HOSTS, vec![]).await.unwrap();
        assert_eq!(hosts, json!([own]), "{screen} made requests to other hosts");
    }

    /// Bytes transferred (compressed, with headers) for the page since it was loaded.
    pub async fn transferred_bytes(&self) -> u64 {
        self.client
            .execute(TRANSFERRED, vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap_or_default()
    }

    /// Saves a PNG of the viewport as `docs/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A string as an XPath 1.0 literal (which has no escapes).
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else {
        format!("\"{text}\"")
    }
}
