//! Deterministic district data for Linli, built through the domain services — so every
//! invariant, index and audit record holds exactly as it would for real use.
//!
//! A fixed random seed gives the same district every time (names, numbers, who did what);
//! generated ids and timestamps differ between runs. Running the seed on a seeded database
//! changes nothing: it stops at its own staff account, which it creates first.

mod data;

use std::time::Instant;

use chrono::{NaiveDateTime, TimeDelta};
use fake::Fake;
use fake::faker::name::zh_cn::Name;
use linli_domain::catalogue::{PriceTier, ProductInput, ProductReview};
use linli_domain::directory::{MemberRole, NewOrganisation, OrganisationKind, Review};
use linli_domain::identity::{Actor, NewUser, Role, User};
use linli_domain::rewards::{NewMerchant, NewReward};
use linli_domain::types::{CommunityId, IdempotencyKey, OrganisationId};
use linli_domain::volunteering::{ActivityStatus, NewActivity};
use linli_domain::{DomainError, DomainResult, Services};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The password of every seeded account. Demo data only: never seed a production database.
pub const DEMO_PASSWORD: &str = "linli-demo-2026";
pub const STAFF_LOGIN: &str = "staff@linli.demo";
pub const DEFAULT_SEED: u64 = 2026;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// A few communities and dozens of everything: seconds.
    Demo,
    /// The district at the scale in the domain notes.
    District,
}

impl Profile {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "demo" => Some(Self::Demo),
            "district" => Some(Self::District),
            _ => None,
        }
    }
}

/// How much of everything to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    pub communities: usize,
    pub residents: usize,
    pub organisations: usize,
    pub products: usize,
    pub merchants: usize,
    pub past_activities: usize,
    pub upcoming_activities: usize,
    pub participants_per_activity: usize,
    pub redemptions: usize,
    pub groups: usize,
}

impl Figures {
    pub fn of(profile: Profile, scale: usize) -> Self {
        let scale = scale.max(1);
        match profile {
            Profile::Demo => Self {
                communities: 6,
                residents: 60,
                organisations: 12,
                products: 36,
                merchants: 6,
                past_activities: 8,
                upcoming_activities: 4,
                participants_per_activity: 4,
                redemptions: 12,
                groups: 6,
            },
            Profile::District => Self {
                communities: data::COMMUNITIES.len(),
                residents: 20_000 * scale,
                organisations: 820 * scale,
                products: 2_800 * scale,
                merchants: 261 * scale,
                past_activities: 900 * scale,
                upcoming_activities: 300 * scale,
                participants_per_activity: 3,
                redemptions: 600 * scale,
                groups: 71 * scale,
            },
        }
    }
}

/// What the seed made, and ready logins for the README's first run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub already_seeded: bool,
    pub figures: Figures,
    pub logins: Vec<(String, String)>,
    pub elapsed_ms: u128,
}

struct Seeder<'a> {
    services: &'a Services,
    rng: StdRng,
    staff: Actor,
    progress: &'a mut dyn FnMut(&str),
}

/// Seeds `profile` at `scale` with the random `seed`. Logs progress through `progress`.
pub fn run(
    services: &Services,
    profile: Profile,
    scale: usize,
    seed: u64,
    progress: &mut dyn FnMut(&str),
) -> DomainResult<Report> {
    let started = Instant::now();
    let figures = Figures::of(profile, scale);
    let staff_input = NewUser {
        email: Some(STAFF_LOGIN.to_owned()),
        password: DEMO_PASSWORD.to_owned(),
        display_name: "天府社创中心工作人员".to_owned(),
        ..NewUser::default()
    };
    let staff = match services.identity().create_staff(staff_input, Role::Staff) {
        Ok(user) => user,
        Err(DomainError::EmailTaken) => {
            return Ok(Report {
                already_seeded: true,
                figures,
                logins: Vec::new(),
                elapsed_ms: started.elapsed().as_millis(),
            });
        }
        Err(e) => return Err(e),
    };
    let mut seeder = Seeder {
        services,
        rng: StdRng::seed_from_u64(seed),
        staff: Actor::User {
            id: staff.id,
            role: Role::Staff,
        },
        progress,
    };
    let result = seeder.district(figures);
    // Whatever happened, the clock goes back to real time.
    services.clock.travel_to(None);
    let logins = result?;
    Ok(Report {
        already_seeded: false,
        figures,
        logins,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

struct Org {
    id: OrganisationId,
    owner: Actor,
    checker: Actor,
    owner_login: String,
    category: &'static str,
    verified: bool,
}

fn actor(user: &User) -> Actor {
    Actor::User {
        id: user.id.clone(),
        role: Role::Resident,
    }
}

fn key(raw: String) -> DomainResult<IdempotencyKey> {
    IdempotencyKey::parse(&raw)
}

impl Seeder<'_> {
    fn say(&mut self, message: &str) {
        (self.progress)(message);
    }

    fn district(&mut self, f: Figures) -> DomainResult<Vec<(String, String)>> {
        let s = self.services;
        self.say("communities");
        let mut communities = Vec::new();
        for (name, street, kind) in data::COMMUNITIES.iter().take(f.communities) {
            communities.push(
                s.directory()
                    .create_community(&self.staff, name, street, *kind)?
                    .id,
            );
        }

        self.say(&format!("{} residents", f.residents));
        let people: Vec<NewUser> = (0..f.residents)
            .map(|i| NewUser {
                email: Some(format!("resident{i:05}@linli.demo")),
                display_name: Name().fake_with_rng(&mut self.rng),
                community_id: Some(communities[i % communities.len()].clone()),
                ..NewUser::default()
            })
            .collect();
        let residents = s
            .identity()
            .import_residents(&self.staff, &people, DEMO_PASSWORD)?;
        if residents.len() < f.residents {
            return Err(DomainError::internal("some seed residents already existed"));
        }

        self.say(&format!("{} partner organisations", f.organisations));
        let mut orgs = Vec::new();
        for i in 0..f.organisations {
            let (category, word, _, description) = data::SERVICES[i % data::SERVICES.len()];
            let community = &communities[i % communities.len()];
            let community_name = data::COMMUNITIES[i % communities.len()]
                .0
                .trim_end_matches("社区");
            let suffix = data::ORGANISATION_SUFFIXES
                [self.rng.random_range(0..data::ORGANISATION_SUFFIXES.len())];
            let kind = if i < f.merchants {
                OrganisationKind::Enterprise
            } else {
                [
                    OrganisationKind::SocialOrganisation,
                    OrganisationKind::SocialOrganisation,
                    OrganisationKind::PublicInstitution,
                    OrganisationKind::Foundation,
                ][i % 4]
            };
            let owner = &residents[i % residents.len()];
            let checker = &residents[(i + residents.len() / 2) % residents.len()];
            let name = if kind == OrganisationKind::Enterprise {
                let shop = data::MERCHANTS[i % data::MERCHANTS.len()].0;
                format!("成华区{community_name}{shop}{}号", i + 1)
            } else {
                format!("成华区{community_name}{word}{suffix}{}号", i + 1)
            };
            let organisation = s.directory().register_organisation(
                &actor(owner),
                NewOrganisation {
                    name,
                    kind,
                    description: description.to_owned(),
                    community_id: Some(community.clone()),
                    contact: format!("028-8{:07}", 4_000_000 + i),
                },
            )?;
            // Every tenth organisation waits in the staff review queue (merchants are all in).
            let verified = i < f.merchants || i % 10 != 9;
            if verified {
                s.directory()
                    .review_organisation(&self.staff, &organisation.id, Review::Verify)?;
                let checker_login = checker
                    .email
                    .as_ref()
                    .map(|e| e.as_str().to_owned())
                    .unwrap_or_default();
                if checker.id != owner.id {
                    s.directory().add_member(
                        &actor(owner),
                        &organisation.id,
                        &checker_login,
                        MemberRole::Member,
                    )?;
                }
                s.ledger().allocate_budget(
                    &self.staff,
                    &organisation.id,
                    3_000,
                    "年度志愿积分预算",
                    &key(format!("seed-budget-{i:06}"))?,
                )?;
            }
            orgs.push(Org {
                id: organisation.id,
                owner: actor(owner),
                checker: actor(checker),
                owner_login: owner
                    .email
                    .as_ref()
                    .map(|e| e.as_str().to_owned())
                    .unwrap_or_default(),
                category,
                verified,
            });
        }

        self.say(&format!("{} products", f.products));
        let verified: Vec<usize> = (0..orgs.len()).filter(|&i| orgs[i].verified).collect();
        for p in 0..f.products {
            let o = &orgs[verified[p % verified.len()]];
            let service = data::SERVICES
                .iter()
                .find(|(c, ..)| *c == o.category)
                .copied()
                .unwrap_or(data::SERVICES[0]);
            let (category, _, titles, description) = service;
            let title = titles[p % titles.len()];
            let tier = [PriceTier::Free, PriceTier::LowCost, PriceTier::Market]
                [self.rng.random_range(0..3)];
            let serves: Vec<CommunityId> = (0..self.rng.random_range(1..=3))
                .map(|k| communities[(p + k * 7) % communities.len()].clone())
                .collect();
            let input = ProductInput {
                category_id: category.to_owned(),
                title: format!("{title}（{}期）", p / titles.len() + 1),
                summary: description.chars().take(30).collect(),
                description: description.to_owned(),
                price_tier: tier,
                price_yuan: (tier != PriceTier::Free)
                    .then(|| format!("{}", self.rng.random_range(5..200))),
                price_points: (tier == PriceTier::LowCost).then(|| self.rng.random_range(5..100)),
                community_ids: serves,
            };
            let product = s
                .catalogue()
                .create_product(&o.owner, &o.id, input)?
                .product;
            // A few stay drafts, a few wait for review; the rest are published.
            match p % 25 {
                23 => {}
                24 => {
                    s.catalogue().submit_product(&o.owner, &product.id)?;
                }
                _ => {
                    s.catalogue().submit_product(&o.owner, &product.id)?;
                    s.catalogue().review_product(
                        &self.staff,
                        &product.id,
                        ProductReview::Publish,
                    )?;
                }
            }
        }

        self.say(&format!("{} alliance merchants", f.merchants));
        let mut rewards = Vec::new();
        let mut merchants = Vec::new();
        for (m, o) in orgs.iter().take(f.merchants).enumerate() {
            if !o.verified {
                continue;
            }
            let (shop, category, offers) = data::MERCHANTS[m % data::MERCHANTS.len()];
            let merchant = s.rewards().apply(
                &o.owner,
                NewMerchant {
                    organisation_id: o.id.clone(),
                    shop_name: format!(
                        "{}{shop}",
                        data::COMMUNITIES[m % communities.len()]
                            .0
                            .trim_end_matches("社区")
                    ),
                    community_id: Some(communities[m % communities.len()].clone()),
                    address: format!(
                        "成华区{}路{}号",
                        ["建设", "府青", "双林", "二环", "万年"][m % 5],
                        10 + m
                    ),
                    category_id: category.to_owned(),
                    opening_hours: "09:00–21:00".to_owned(),
                },
            )?;
            s.rewards()
                .set_merchant_status(&self.staff, &merchant.id, true)?;
            for (title, price) in offers.iter() {
                let reward = s.rewards().create_reward(
                    &o.owner,
                    NewReward {
                        merchant_id: merchant.id.clone(),
                        title: (*title).to_owned(),
                        description: format!("{}，凭兑换码到店使用", title),
                        points_price: *price,
                        stock: Some(self.rng.random_range(50..500)),
                        limit_per_period: Some(2),
                        period_days: Some(30),
                        valid_from: None,
                        valid_until: None,
                    },
                )?;
                rewards.push((reward.reward.id, o.owner.clone(), merchant.id.clone()));
            }
            merchants.push((merchant.id, o.owner_login.clone()));
        }

        self.say(&format!("{} self-governance groups", f.groups));
        let mentors: Vec<&Org> = orgs.iter().filter(|o| o.verified).collect();
        self.groups(f, &communities, &residents, &mentors)?;

        self.say(&format!(
            "{} activities with verified attendance",
            f.past_activities
        ));
        let now = s.clock.now();
        let organisers: Vec<&Org> = orgs
            .iter()
            .filter(|o| o.verified && o.checker != o.owner)
            .collect();
        let mut earners = Vec::new();
        for a in 0..f.past_activities + f.upcoming_activities {
            let o = organisers[a % organisers.len()];
            let (category, title) = data::ACTIVITY_TITLES[a % data::ACTIVITY_TITLES.len()];
            let past = a < f.past_activities;
            let day = if past {
                -((a % 180) as i64) - 1
            } else {
                (a % 60) as i64 + 1
            };
            // 09:30 in Chengdu.
            let starts = (now + TimeDelta::days(day))
                .date()
                .and_hms_opt(1, 30, 0)
                .unwrap_or(now);
            if past {
                s.clock.travel_to(Some(starts - TimeDelta::days(2)));
            }
            let activity = s.volunteering().create_activity(
                &o.owner,
                NewActivity {
                    organisation_id: Some(o.id.clone()),
                    group_id: None,
                    category_id: category.to_owned(),
                    community_id: Some(communities[a % communities.len()].clone()),
                    title: title.to_owned(),
                    description: "服务时长由签到签退核验，按每小时 10 分计入志愿积分。".to_owned(),
                    place: format!("{}党群服务中心", data::COMMUNITIES[a % communities.len()].0),
                    starts_at: starts,
                    ends_at: starts + TimeDelta::hours(3),
                    capacity: 10,
                    points_per_hour: 10,
                    points_cap: 30,
                },
            )?;
            s.volunteering()
                .change_status(&o.owner, &activity.id, ActivityStatus::Published)?;
            let participants: Vec<&User> = (0..f.participants_per_activity)
                .map(|k| &residents[(a * 7 + k * 13) % residents.len()])
                .filter(|u| u.id != *o.checker.user_id().unwrap_or(&u.id))
                .collect();
            for u in &participants {
                s.volunteering().sign_up(&actor(u), &activity.id)?;
            }
            if past {
                self.attend(&activity.id, o, &participants, starts)?;
                earners.extend(participants.iter().map(|u| (*u).clone()));
            }
        }
        s.clock.travel_to(None);

        self.say(&format!("{} redemptions", f.redemptions));
        let mut pending_for = None;
        for r in 0..f.redemptions.min(earners.len()) {
            let resident = &earners[r];
            let (reward, operator, merchant) = &rewards[r % rewards.len()];
            let redemption = match s.rewards().redeem(
                &actor(resident),
                reward,
                &key(format!("seed-redeem-{r:06}"))?,
            ) {
                Ok(redemption) => redemption,
                // Operators never redeem at their own shop; the next resident does.
                Err(
                    DomainError::InsufficientPoints
                    | DomainError::RedemptionLimitReached
                    | DomainError::OutOfStock
                    | DomainError::SelfDealing(_),
                ) => continue,
                Err(e) => return Err(e),
            };
            // Two in three are confirmed at the counter; the rest stay pending.
            if r % 3 == 2 {
                pending_for.get_or_insert(merchant.clone());
            } else {
                let code = redemption.code.unwrap_or_default();
                s.rewards().confirm(operator, merchant, &code)?;
            }
        }
        if earners.len() > 2 {
            let to = earners[1]
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default();
            let _ = s.ledger().donate(
                &actor(&earners[0]),
                &linli_domain::ledger::Recipient(to),
                5,
                "邻里互助",
                &key("seed-donate-000001".to_owned())?,
            );
        }

        let verify = s.ledger().verify()?;
        if !verify.is_ok() {
            return Err(DomainError::internal(format!(
                "seeded ledger fails its checks:\n{verify}"
            )));
        }
        // A resident who only volunteers and redeems (no organisation of their own).
        let resident_login = earners
            .iter()
            .find(|u| {
                !orgs
                    .iter()
                    .any(|o| o.owner == actor(u) || o.checker == actor(u))
            })
            .or(earners.first())
            .and_then(|u| u.email.as_ref())
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default();
        let merchant_login = pending_for
            .and_then(|m| {
                merchants
                    .iter()
                    .find(|(id, _)| *id == m)
                    .map(|(_, login)| login.clone())
            })
            .or_else(|| merchants.first().map(|(_, login)| login.clone()))
            .unwrap_or_default();
        let member_login = organisers
            .first()
            .map(|o| o.owner_login.clone())
            .unwrap_or_default();
        Ok(vec![
            ("居民（有积分和流水）".to_owned(), resident_login),
            ("组织成员".to_owned(), member_login),
            ("商家店员（有待核销的兑换）".to_owned(), merchant_login),
            (
                "中心工作人员（有待审核）".to_owned(),
                STAFF_LOGIN.to_owned(),
            ),
        ])
    }

    /// Groups founded months ago, with members and a mentor, spread over the first three stages.
    fn groups(
        &mut self,
        f: Figures,
        communities: &[CommunityId],
        residents: &[User],
        mentors: &[&Org],
    ) -> DomainResult<()> {
        use linli_domain::incubation::{Decision, NewGroup, Stage};
        let s = self.services;
        let now = s.clock.now();
        for g in 0..f.groups {
            let (word, category) = data::GROUPS[g % data::GROUPS.len()];
            let place = data::COMMUNITIES[g % communities.len()]
                .0
                .trim_end_matches("社区");
            let convenor = &residents[(g * 37 + 5) % residents.len()];
            s.clock
                .travel_to(Some(now - TimeDelta::days(150 + (g % 30) as i64)));
            let group = s.incubation().found(
                &actor(convenor),
                NewGroup {
                    name: format!("{place}{word}{}", g / data::GROUPS.len() + 1),
                    purpose: format!("{place}居民自发组织的{word}，互帮互助，共建共享。"),
                    community_id: communities[g % communities.len()].clone(),
                    category_id: category.to_owned(),
                },
            )?;
            let size = 2 + g % 8;
            for k in 1..=size {
                let member = &residents[(g * 37 + 5 + k * 101) % residents.len()];
                if member.id == convenor.id {
                    continue;
                }
                match s.incubation().request_to_join(&actor(member), &group.id) {
                    Ok(_) => {
                        s.incubation()
                            .approve_member(&actor(convenor), &group.id, &member.id)?;
                    }
                    Err(DomainError::AlreadyMember) => {}
                    Err(e) => return Err(e),
                }
            }
            let mentor = &mentors[g % mentors.len()].id;
            s.incubation().set_mentor(&self.staff, &group.id, mentor)?;
            let target = [Stage::Proposed, Stage::Incubating, Stage::Growing][g % 3];
            if target != Stage::Proposed && size >= 3 {
                s.incubation().decide(
                    &self.staff,
                    &group.id,
                    Decision::Advance,
                    "成员和导师到位，进入培育",
                )?;
                if target == Stage::Growing && size >= 5 {
                    s.clock.travel_to(Some(now - TimeDelta::days(60)));
                    s.incubation().decide(
                        &self.staff,
                        &group.id,
                        Decision::Advance,
                        "运行稳定，进入成长",
                    )?;
                }
            }
        }
        s.clock.travel_to(None);
        Ok(())
    }

    /// Check-in at the start, check-out 90–180 minutes later, verified by the second member.
    fn attend(
        &mut self,
        activity: &linli_domain::types::ActivityId,
        o: &Org,
        participants: &[&User],
        starts: NaiveDateTime,
    ) -> DomainResult<()> {
        let s = self.services;
        s.clock.travel_to(Some(starts));
        let code = s.volunteering().check_in_code(&o.owner, activity)?.code;
        for u in participants {
            s.volunteering().check(&actor(u), activity, &code, false)?;
        }
        let stay = TimeDelta::minutes(self.rng.random_range(90..=180));
        s.clock.travel_to(Some(starts + stay));
        let code = s.volunteering().check_in_code(&o.owner, activity)?.code;
        for u in participants {
            s.volunteering().check(&actor(u), activity, &code, true)?;
        }
        s.volunteering().verify_all(&o.checker, activity)?;
        s.volunteering()
            .change_status(&o.owner, activity, ActivityStatus::Completed)?;
        Ok(())
    }
}
