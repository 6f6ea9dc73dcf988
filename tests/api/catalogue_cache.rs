//! Anonymous catalogue pages from memory: never older than the configured interval after a
//! change, on any instance; `GET` for queries only, with entity tags for the public ones.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::catalogue::canteen_lunch;
use crate::support::{Engine, TestApp, accepted, both_engines, postgres_available};

/// The page the app shows, in short.
const PAGE: &str = "query Page($n: Int) { products(first: $n) { totalCount \
                    nodes { id title organisation { name } } } }";

const RETIRE: &str = "mutation ($id: ID!) { retireProduct(input: { productId: $id }) \
                      { product { status } errors { code } } }";

const INTERVAL_MS: u64 = 1_000;

const CACHE: [(&str, &str); 1] = [("LINLI_CATALOGUE_CACHE_MS", "1000")];

/// A published lunch of a verified canteen: (owner's token, product id).
async fn a_published_lunch(app: &TestApp, title: &str) -> (String, String) {
    let community = app.community("和美社区", "猛追湾街道").await;
    let owner = app.resident("owner@example.cn").await;
    let organisation = app
        .verified_organisation_named(&owner, "和美长者食堂")
        .await;
    let product = app
        .published_product(&owner, &organisation, canteen_lunch(title, &community))
        .await;
    (owner, product)
}

fn titles(data: &Value) -> Vec<String> {
    data["products"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Renames a product behind the services' back: the catalogue's version does not move, so an
/// instance that still shows the old name answered from memory.
fn rename_without_version(app: &TestApp, product: &str, title: &str) {
    app.services
        .db
        .write(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("UPDATE product SET title = $1 WHERE id = $2")
                .bind::<diesel::sql_types::Text, _>(title)
                .bind::<diesel::sql_types::Text, _>(product)
                .execute(conn)?;
            Ok(())
        })
        .unwrap();
}

/// Two instances on one PostgreSQL: a product retired on A leaves B's pages no later than
/// the interval after A answered, and A's own at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_instance_serves_a_page_older_than_the_interval_after_a_change() {
    if !postgres_available() {
        return;
    }
    let a = TestApp::spawn_with(Engine::Postgres, &CACHE).await;
    let b = a.another_instance(&CACHE).await;
    let (owner, product) = a_published_lunch(&a, "爱心午餐").await;
    let page = json!({ "n": 20 });
    for app in [&a, &b] {
        assert_eq!(
            titles(&app.ok(PAGE, page.clone(), None).await),
            ["爱心午餐"]
        );
    }

    // Both answer from memory: a rename that does not move the version is not seen.
    rename_without_version(&a, &product, "改名午餐");
    for app in [&a, &b] {
        assert_eq!(
            titles(&app.ok(PAGE, page.clone(), None).await),
            ["爱心午餐"],
            "served from memory"
        );
    }

    let retired = a.ok(RETIRE, json!({ "id": product }), Some(&owner)).await;
    let committed = Instant::now();
    assert_eq!(
        accepted(&retired, "retireProduct")["product"]["status"],
        "RETIRED"
    );
    assert!(
        titles(&a.ok(PAGE, page.clone(), None).await).is_empty(),
        "the instance that changed it shows the change at once"
    );
    // B may still show the page it holds until the interval has passed, never after.
    let due = committed + Duration::from_millis(INTERVAL_MS);
    loop {
        let asked = Instant::now();
        let seen = titles(&b.ok(PAGE, page.clone(), None).await);
        if seen.is_empty() {
            break;
        }
        assert!(
            asked < due,
            "B served the retired product {:?} after the change",
            asked - committed
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let total = b.ok(PAGE, page, None).await;
    assert_eq!(total["products"]["totalCount"], 0);
}

both_engines!(
    with CACHE:
    a_public_page_is_sent_for_get_with_an_entity_tag,
    mutations_are_only_posted,
    signed_in_answers_to_get_are_never_kept,
);

async fn get(
    app: &TestApp,
    query: &str,
    variables: Value,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app
        .client
        .get(format!("{}/graphql", app.base))
        .query(&[("query", query), ("variables", &variables.to_string())]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn a_public_page_is_sent_for_get_with_an_entity_tag(app: &TestApp) {
    a_published_lunch(app, "爱心午餐").await;

    let first = get(app, PAGE, json!({ "n": 5 }), &[]).await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(first.headers()["cache-control"], "public, max-age=1");
    let body: Value = first.json().await.unwrap();
    assert_eq!(titles(&body["data"]), ["爱心午餐"]);

    // The same page posted is the same data; held already, it is not sent again.
    let posted = app.ok(PAGE, json!({ "n": 5 }), None).await;
    assert_eq!(posted, body["data"]);
    let again = get(app, PAGE, json!({ "n": 5 }), &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    let other = get(app, PAGE, json!({ "n": 0 }), &[("if-none-match", &etag)]).await;
    assert_eq!(other.status(), StatusCode::OK, "another page, another tag");
}

async fn mutations_are_only_posted(app: &TestApp) {
    let mutation = "mutation { signOut(input: { refreshToken: \"x\" }) { signedOut } }";
    let refused = get(app, mutation, json!({}), &[]).await;
    assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(refused.headers()["allow"], "POST");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );

    let no_query = app
        .client
        .get(format!("{}/graphql", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(no_query.status(), StatusCode::BAD_REQUEST);
    let bad_variables = app
        .client
        .get(format!("{}/graphql", app.base))
        .query(&[("query", PAGE), ("variables", "[1]")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_variables.status(), StatusCode::BAD_REQUEST);
    let put = app
        .client
        .put(format!("{}/graphql", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(put.headers()["allow"], "GET, POST");
}

async fn signed_in_answers_to_get_are_never_kept(app: &TestApp) {
    let resident = app.new_resident().await;
    let bearer = format!("Bearer {resident}");
    let mine = get(
        app,
        "{ me { id } }",
        json!({}),
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(mine.status(), StatusCode::OK);
    assert_eq!(mine.headers()["cache-control"], "private, no-store");
    assert!(mine.headers().get("etag").is_none());
    let body: Value = mine.json().await.unwrap();
    assert!(body["data"]["me"]["id"].is_string(), "{body}");

    // Even the catalogue's page, asked signed in, is read afresh and kept by nobody.
    let page = get(app, PAGE, json!({ "n": 5 }), &[("authorization", &bearer)]).await;
    assert_eq!(page.headers()["cache-control"], "private, no-store");
}
