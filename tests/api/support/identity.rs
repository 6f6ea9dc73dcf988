//! People: residents registered over the API (or imported in a batch), and the district's staff
//! member.

use std::time::{Duration, SystemTime};

use linli_domain::identity::{Actor, NewUser, Role};
use linli_domain::types::UserId;
use serde_json::{Value, json};

use super::{PASSWORD, TestApp, accepted, text_at};

pub const REGISTER_RESIDENT: &str = r"
    mutation ($input: RegisterResidentInput!) {
        registerResident(input: $input) {
            user { id displayName role }
            errors { field code message }
        }
    }
";

const MY_EMAIL: &str = "{ me { email } }";

pub const SIGN_IN: &str = r"
    mutation ($input: SignInInput!) {
        signIn(input: $input) {
            session { accessToken refreshToken user { id } }
            errors { field code message }
        }
    }
";

pub const REQUEST_EMAIL_VERIFICATION: &str = r"
    mutation {
        requestEmailVerification { ok errors { code } }
    }
";

const MY_ID: &str = "{ me { id } }";

impl TestApp {
    /// A new resident registered over the API with `email`: their access token.
    ///
    /// The harness issues the token as signing in would (identity.rs tests signing in itself),
    /// which spares every fixture an argon2 verification.
    pub async fn resident(&self, email: &str) -> String {
        self.register(email, "居民").await
    }

    /// A new resident who goes by `name`: their access token.
    pub async fn named_resident(&self, name: &str) -> String {
        self.register(&unique_email("resident"), name).await
    }

    async fn register(&self, email: &str, name: &str) -> String {
        let data = self
            .ok(
                REGISTER_RESIDENT,
                json!({ "input": { "email": email, "password": PASSWORD, "displayName": name } }),
                None,
            )
            .await;
        let user = text_at(accepted(&data, "registerResident"), "/user/id");
        self.token_for(&user_id(&user), Role::Resident)
    }

    /// A new resident whose address does not matter to the test: their access token.
    pub async fn new_resident(&self) -> String {
        self.resident(&unique_email("resident")).await
    }

    /// `n` new residents imported by staff at once, as the seed does (one password hash for
    /// all): their access tokens.
    pub async fn residents(&self, n: usize) -> Vec<String> {
        let staff = self.staff_actor().await;
        let people: Vec<NewUser> = (0..n)
            .map(|i| NewUser {
                email: Some(unique_email("neighbour")),
                display_name: format!("邻居{i}"),
                ..NewUser::default()
            })
            .collect();
        let services = self.services.clone();
        let imported = tokio::task::spawn_blocking(move || {
            services
                .identity()
                .import_residents(&staff, &people, PASSWORD)
                .unwrap()
        })
        .await
        .unwrap();
        assert_eq!(imported.len(), n);
        imported
            .iter()
            .map(|user| self.token_for(&user.id, Role::Resident))
            .collect()
    }

    /// Signs in over the API with the test password; returns the access token.
    pub async fn sign_in(&self, login: &str) -> String {
        let data = self
            .ok(
                SIGN_IN,
                json!({ "input": { "login": login, "password": PASSWORD } }),
                None,
            )
            .await;
        text_at(&data, "/signIn/session/accessToken")
    }

    /// Signs in over the API as a client behind a proxy on loopback forwarding for `address`
    /// (the server must trust loopback, `LINLI_TRUSTED_PROXIES`).
    pub async fn sign_in_from(&self, login: &str, address: &str) {
        let request = json!({
            "query": SIGN_IN,
            "variables": { "input": { "login": login, "password": PASSWORD } }
        });
        let response = self
            .client
            .post(format!("{}/graphql", self.base))
            .header("x-forwarded-for", address)
            .json(&request)
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert!(
            body["data"]["signIn"]["session"].is_object(),
            "sign-in refused: {body}"
        );
    }

    /// The district's staff member, `staff@example.cn`, made the way operators do
    /// (`linli create-staff`) on first use: their access token.
    pub async fn staff(&self) -> String {
        self.staff_member().await.1.clone()
    }

    async fn staff_actor(&self) -> Actor {
        Actor::User {
            id: self.staff_member().await.0.clone(),
            role: Role::Staff,
        }
    }

    async fn staff_member(&self) -> &(UserId, String) {
        self.staff
            .get_or_init(|| async {
                let staff = self.create_staff("staff@example.cn").await;
                let token = self.token_for(&staff, Role::Staff);
                (staff, token)
            })
            .await
    }

    /// Another staff member, `email`, made the same way: the second person that large
    /// movements of points wait for. Their access token.
    pub async fn another_staff_member(&self, email: &str) -> String {
        let staff = self.create_staff(email).await;
        self.token_for(&staff, Role::Staff)
    }

    async fn create_staff(&self, email: &str) -> UserId {
        let services = self.services.clone();
        let person = NewUser {
            email: Some(email.to_owned()),
            password: PASSWORD.to_owned(),
            display_name: "中心工作人员".to_owned(),
            ..NewUser::default()
        };
        tokio::task::spawn_blocking(move || {
            services
                .identity()
                .create_staff(person, Role::Staff)
                .unwrap()
                .id
        })
        .await
        .unwrap()
    }

    /// The email address of the person `token` was issued to: what they type to sign in.
    pub async fn email_of(&self, token: &str) -> String {
        text_at(
            &self.ok(MY_EMAIL, json!({}), Some(token)).await,
            "/me/email",
        )
    }

    /// The global id of the person `token` was issued to.
    pub async fn user_id(&self, token: &str) -> String {
        text_at(&self.ok(MY_ID, json!({}), Some(token)).await, "/me/id")
    }

    /// An access token for `user`, as signing in issues it.
    fn token_for(&self, user: &UserId, role: Role) -> String {
        self.tokens.issue(user, role).unwrap().token
    }

    /// An access token issued `age` ago (for expiry tests).
    pub fn token_issued_ago(&self, user_global_id: &str, age: Duration) -> String {
        self.tokens
            .issue_at(
                &user_id(user_global_id),
                Role::Resident,
                SystemTime::now() - age,
            )
            .unwrap()
            .token
    }
}

/// The user id inside a global id.
fn user_id(global: &str) -> UserId {
    UserId::parse(&global_raw_id(global)).unwrap()
}

/// An address no other fixture uses: `{role}-{uuid}@example.cn`.
pub fn unique_email(role: &str) -> String {
    format!("{role}-{}@example.cn", uuid::Uuid::now_v7().simple())
}

/// The raw UUID inside a global id.
pub fn global_raw_id(global: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global)
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    text.split_once(':').unwrap().1.to_owned()
}
