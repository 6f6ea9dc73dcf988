//! Deterministic district data for Linli, built through the domain services — so every
//! invariant, index and audit record holds exactly as it would for real use.
//!
//! A fixed random seed gives the same district every time (names, numbers, who did what);
//! generated ids and timestamps differ between runs. Running the seed on a seeded database
//! changes nothing: it stops at its own staff account, which it creates first.

mod data;

use std::time::Instant;

use chrono::{NaiveDateTime, TimeDelta, Timelike};
use fake::Fake;
use fake::faker::name::zh_cn::Name;
use linli_domain::booking::TermsInput;
use linli_domain::catalogue::{PriceTier, ProductInput, ProductReview};
use linli_domain::directory::{MemberRole, NewOrganisation, OrganisationKind, Review};
use linli_domain::identity::{Actor, NewUser, Role, User};
use linli_domain::page::PageRequest;
use linli_domain::rewards::{
    MerchantDecision, NewMerchant, NewReward, RedemptionStatus, RewardFilter,
};
use linli_domain::types::{CommunityId, IdempotencyKey, OrganisationId};
use linli_domain::volunteering::{ActivityFilter, ActivityStatus, NewActivity};
use linli_domain::{DomainError, DomainResult, Services};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The password of every seeded account. Demo data only: never seed a production database.
pub const DEMO_PASSWORD: &str = "linli-demo-2026";
pub const STAFF_LOGIN: &str = "staff@linli.demo";
/// A resident who volunteers and redeems, with no organisation of their own.
pub const RESIDENT_LOGIN: &str = "resident@linli.demo";
/// The owner of the first partner organisation that runs activities.
pub const ORGANISER_LOGIN: &str = "organiser@linli.demo";
/// The owner of the first alliance merchant, who confirms redemptions at its counter.
pub const MERCHANT_LOGIN: &str = "merchant@linli.demo";
/// The ready logins a demo start prints: who, and the login.
pub const LOGINS: &[(&str, &str)] = &[
    ("居民（有积分和流水，今天有活动可签到）", RESIDENT_LOGIN),
    ("组织成员（今天的活动正在签到）", ORGANISER_LOGIN),
    ("商家店员（有待核销的兑换）", MERCHANT_LOGIN),
    ("中心工作人员（有待审核）", STAFF_LOGIN),
];
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

/// What the seed made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub already_seeded: bool,
    pub figures: Figures,
    pub elapsed: std::time::Duration,
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
                elapsed: started.elapsed(),
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
    result?;
    Ok(Report {
        already_seeded: false,
        figures,
        elapsed: started.elapsed(),
    })
}

struct Org {
    id: OrganisationId,
    owner: Actor,
    checker: Actor,
    category: &'static str,
    verified: bool,
}

fn actor(user: &User) -> Actor {
    Actor::User {
        id: user.id.clone(),
        role: Role::Resident,
    }
}

/// `n` days (the seed's counts are small).
fn days(n: usize) -> TimeDelta {
    TimeDelta::days(i64::try_from(n).unwrap_or(i64::MAX / 86_400_000))
}

fn key(raw: String) -> DomainResult<IdempotencyKey> {
    IdempotencyKey::parse(&raw)
}

/// The service entry of a category: (category, organisation word, product titles,
/// description).
fn service(category: &str) -> data::Service {
    data::SERVICES
        .iter()
        .find(|(c, ..)| *c == category)
        .copied()
        .unwrap_or(data::SERVICES[0])
}

/// The `n`th activity an organisation of `category` runs: one of the category's own, or a
/// call for volunteers for one of its services, in turn.
fn activity_title(category: &str, n: usize) -> String {
    let (_, _, services, _) = service(category);
    let titles: Vec<String> = data::ACTIVITY_TITLES
        .iter()
        .filter(|(c, _)| *c == category)
        .map(|(_, title)| (*title).to_owned())
        .chain(services.iter().map(|title| format!("{title}志愿者")))
        .collect();
    titles[n % titles.len()].clone()
}

/// What a demo start renewed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    pub activities: usize,
    pub redemptions: usize,
}

/// How many published activities the demo keeps in the coming week.
const UPCOMING: usize = 3;
/// How many unexpired pending redemptions the demo merchant's counter keeps.
const PENDING: usize = 2;

/// Keeps a seeded demo alive on the day it starts: the demo organiser has an activity open
/// for check-in now (the demo resident signed up) and activities in the coming week, and the
/// demo merchant's counter has redemptions waiting. It only adds, through the same use cases
/// as everyone, so the ledger's history stays as it was; a second call the same hour adds
/// nothing. `None` on a database the demo did not seed.
pub fn refresh(services: &Services) -> DomainResult<Option<Refreshed>> {
    let session = match services
        .identity()
        .sign_in(STAFF_LOGIN, DEMO_PASSWORD, "linli-demo")
    {
        Ok(session) => session,
        Err(DomainError::InvalidCredentials) => return Ok(None),
        Err(e) => return Err(e),
    };
    services.identity().sign_out(&session.refresh_token)?;
    let staff = Actor::User {
        id: session.user.id,
        role: session.user.role,
    };
    let find = |login: &str| services.identity().user_by_login(&staff, login);
    let (Some(resident), Some(organiser), Some(operator)) = (
        find(RESIDENT_LOGIN)?,
        find(ORGANISER_LOGIN)?,
        find(MERCHANT_LOGIN)?,
    ) else {
        return Ok(None);
    };
    Ok(Some(Refreshed {
        activities: keep_activities(services, &actor(&organiser), &actor(&resident))?,
        redemptions: keep_redemptions(services, &staff, &actor(&operator))?,
    }))
}

/// One of the organiser's activities under way now, and `UPCOMING` in the coming week.
fn keep_activities(
    services: &Services,
    organiser: &Actor,
    resident: &Actor,
) -> DomainResult<usize> {
    let s = services;
    let Some((organisation, _)) = s
        .directory()
        .my_organisations(organiser)?
        .into_iter()
        .next()
    else {
        return Ok(0);
    };
    let now = s.clock.now();
    let listed = s.volunteering().upcoming(
        &ActivityFilter {
            organisation_id: Some(organisation.id.clone()),
            from: Some(now - TimeDelta::days(1)),
            until: Some(now + TimeDelta::days(7)),
            ..ActivityFilter::default()
        },
        &PageRequest::new(Some(100), None)?,
    )?;
    let running = listed
        .items
        .iter()
        .any(|a| a.starts_at <= now && now < a.ends_at);
    let upcoming = listed.items.iter().filter(|a| a.starts_at > now).count();
    // Under way since half an hour ago, on the ten minutes; then 09:30 in Chengdu on the
    // following days.
    let started = now - TimeDelta::minutes(30);
    let started = started - TimeDelta::minutes(i64::from(started.minute() % 10));
    let today = (!running).then_some(started.with_second(0).unwrap_or(started));
    let coming = (upcoming..UPCOMING).map(|k| {
        let day = now.date() + days(2 * k + 1);
        day.and_hms_opt(1, 30, 0).unwrap_or(now)
    });
    let mut made = 0;
    if let Some(starts) = today {
        // Created, published and signed up for before it began, as an organiser would have.
        s.clock.travel_to(Some(starts - TimeDelta::hours(1)));
        let opened = publish(s, organiser, &organisation, 0, starts).and_then(|id| {
            match s.volunteering().sign_up(resident, &id) {
                Ok(_) | Err(DomainError::AlreadySignedUp) => Ok(()),
                Err(e) => Err(e),
            }
        });
        s.clock.travel_to(None);
        opened?;
        made += 1;
    }
    for (n, starts) in coming.enumerate() {
        publish(s, organiser, &organisation, n + 1, starts)?;
        made += 1;
    }
    Ok(made)
}

/// Creates and publishes the demo organiser's `n`th renewed activity, three hours from
/// `starts`.
fn publish(
    s: &Services,
    organiser: &Actor,
    organisation: &linli_domain::directory::Organisation,
    n: usize,
    starts: NaiveDateTime,
) -> DomainResult<linli_domain::types::ActivityId> {
    // The first organisation after the merchants takes the first service (see `district`).
    let category = data::SERVICES[0].0;
    let activity = s.volunteering().create_activity(
        organiser,
        NewActivity {
            organisation_id: Some(organisation.id.clone()),
            group_id: None,
            title: activity_title(category, n),
            category_id: category.to_owned(),
            community_id: organisation.community_id.clone(),
            description: "服务时长由签到签退核验，按每小时 10 分计入志愿积分。".to_owned(),
            place: "社区党群服务中心".to_owned(),
            starts_at: starts,
            ends_at: starts + TimeDelta::hours(3),
            capacity: 10,
            points_per_hour: 10,
            points_cap: 30,
        },
        None,
    )?;
    s.volunteering()
        .change_status(organiser, &activity.id, ActivityStatus::Published)?;
    Ok(activity.id)
}

/// `PENDING` unexpired redemptions at the demo merchant, redeemed by residents with points
/// (not the demo resident, whose points stay theirs to redeem).
fn keep_redemptions(services: &Services, staff: &Actor, operator: &Actor) -> DomainResult<usize> {
    let s = services;
    // Holds past their time go back to their wallets first, as the sweeper would.
    s.rewards().expire_due()?;
    let Some((organisation, _)) = s.directory().my_organisations(operator)?.into_iter().next()
    else {
        return Ok(0);
    };
    let Some(merchant) = s.rewards().merchant_of(&organisation.id)? else {
        return Ok(0);
    };
    let page = PageRequest::new(Some(100), None)?;
    let waiting = s
        .rewards()
        .merchant_redemptions(staff, &merchant.id, Some(RedemptionStatus::Pending), &page)?
        .total_count;
    let rewards = s.rewards().rewards(
        &RewardFilter {
            merchant_id: Some(merchant.id.clone()),
            ..RewardFilter::default()
        },
        &page,
    )?;
    let stamp = s.clock.now().format("%Y%m%d%H%M%S");
    let mut made = 0;
    for i in 0..200 {
        if usize::try_from(waiting).unwrap_or(0) + made >= PENDING {
            break;
        }
        let login = format!("resident{i:05}@linli.demo");
        let Some(user) = s.identity().user_by_login(staff, &login)? else {
            continue;
        };
        for view in &rewards.items {
            let key = key(format!("demo-{stamp}-{i:05}-{}", view.reward.id))?;
            match s.rewards().redeem(&actor(&user), &view.reward.id, &key) {
                Ok(_) => {
                    made += 1;
                    break;
                }
                Err(
                    DomainError::InsufficientPoints
                    | DomainError::RedemptionLimitReached
                    | DomainError::OutOfStock
                    | DomainError::SelfDealing(_),
                ) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(made)
}

impl Seeder<'_> {
    fn say(&mut self, message: &str) {
        (self.progress)(message);
    }

    fn district(&mut self, f: Figures) -> DomainResult<()> {
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
        // Three residents get the demo's memorable logins: the first merchant's owner, the
        // first organiser's owner, and one who only volunteers (see `LOGINS`).
        let named = |i: usize| match i {
            0 => MERCHANT_LOGIN.to_owned(),
            i if i == f.merchants => ORGANISER_LOGIN.to_owned(),
            i if i == f.residents / 4 => RESIDENT_LOGIN.to_owned(),
            i => format!("resident{i:05}@linli.demo"),
        };
        let people: Vec<NewUser> = (0..f.residents)
            .map(|i| NewUser {
                email: Some(named(i)),
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
            // A merchant's organisation works in its shop's category; the others take the
            // services in turn.
            let (category, word, _, description) = if i < f.merchants {
                service(data::MERCHANTS[i % data::MERCHANTS.len()].1)
            } else {
                data::SERVICES[(i - f.merchants) % data::SERVICES.len()]
            };
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
                category,
                verified,
            });
        }

        self.say(&format!("{} products", f.products));
        let verified: Vec<usize> = (0..orgs.len()).filter(|&i| orgs[i].verified).collect();
        for p in 0..f.products {
            let o = &orgs[verified[p % verified.len()]];
            let (category, _, titles, description) = service(o.category);
            let title = titles[p % titles.len()];
            let tier = [PriceTier::Free, PriceTier::LowCost, PriceTier::Market]
                [self.rng.random_range(0..3)];
            let serves: Vec<CommunityId> = (0..self.rng.random_range(1..=3))
                .map(|k| communities[(p + k * 7) % communities.len()].clone())
                .collect();
            let price = (tier != PriceTier::Free).then(|| self.rng.random_range(5..200));
            let input = ProductInput {
                category_id: category.to_owned(),
                title: format!("{title}（{}期）", p / titles.len() + 1),
                summary: description.chars().take(30).collect(),
                description: description.to_owned(),
                price_tier: tier,
                price_yuan: price.map(|p| p.to_string()),
                // A low-cost service costs about half its market price.
                market_price_yuan: price
                    .filter(|_| tier == PriceTier::LowCost)
                    .map(|p| (p * 2).to_string()),
                price_points: (tier == PriceTier::LowCost).then(|| self.rng.random_range(5..100)),
                community_ids: serves,
            };
            let product = s
                .catalogue()
                .create_product(&o.owner, &o.id, input, None)?
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
                    // A fifth of the published services take bookings, with the seats a day
                    // of a canteen's lunch or a day-care centre.
                    if p % 5 == 0 {
                        let terms = TermsInput {
                            seats_per_day: Some(20),
                            per_resident_per_day: 1,
                            days_ahead: 14,
                            open: true,
                        };
                        s.bookings().set_terms(&o.owner, &product.id, &terms)?;
                    }
                }
            }
        }

        self.say(&format!("{} alliance merchants", f.merchants));
        let mut rewards = Vec::new();
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
            s.rewards().decide_merchant(
                &self.staff,
                &merchant.id,
                MerchantDecision::Admit,
                None,
            )?;
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
                    None,
                )?;
                rewards.push((reward.reward.id, o.owner.clone(), merchant.id.clone()));
            }
        }

        self.say(&format!("{} self-governance groups", f.groups));
        let mentors: Vec<&Org> = orgs.iter().filter(|o| o.verified).collect();
        self.groups(f, &communities, &residents, &mentors)?;

        self.say(&format!(
            "{} activities with verified attendance",
            f.past_activities
        ));
        let now = s.clock.now();
        // Partner organisations run the activities (the shops' are merchants only); the first
        // is the demo organiser's.
        let organisers: Vec<&Org> = orgs
            .iter()
            .skip(f.merchants)
            .filter(|o| o.verified && o.checker != o.owner)
            .collect();
        let named_resident = residents
            .iter()
            .find(|u| {
                u.email
                    .as_ref()
                    .is_some_and(|e| e.as_str() == RESIDENT_LOGIN)
            })
            .ok_or_else(|| DomainError::internal("the demo resident was not imported"))?;
        let mut earners = Vec::new();
        for a in 0..f.past_activities + f.upcoming_activities {
            let o = organisers[a % organisers.len()];
            let title = activity_title(o.category, a);
            let past = a < f.past_activities;
            let day = if past {
                -days(a % 180) - TimeDelta::days(1)
            } else {
                days(a % 60) + TimeDelta::days(1)
            };
            // 09:30 in Chengdu.
            let starts = (now + day).date().and_hms_opt(1, 30, 0).unwrap_or(now);
            if past {
                s.clock.travel_to(Some(starts - TimeDelta::days(2)));
            }
            let activity = s.volunteering().create_activity(
                &o.owner,
                NewActivity {
                    organisation_id: Some(o.id.clone()),
                    group_id: None,
                    category_id: o.category.to_owned(),
                    community_id: Some(communities[a % communities.len()].clone()),
                    title,
                    description: "服务时长由签到签退核验，按每小时 10 分计入志愿积分。".to_owned(),
                    place: format!("{}党群服务中心", data::COMMUNITIES[a % communities.len()].0),
                    starts_at: starts,
                    ends_at: starts + TimeDelta::hours(3),
                    capacity: 10,
                    points_per_hour: 10,
                    points_cap: 30,
                },
                None,
            )?;
            s.volunteering()
                .change_status(&o.owner, &activity.id, ActivityStatus::Published)?;
            // The demo resident served at the first three, so their wallet has a history.
            let participants: Vec<&User> = (0..f.participants_per_activity)
                .map(|k| &residents[(a * 7 + k * 13) % residents.len()])
                .chain((a < 3).then_some(named_resident))
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

        // Redemptions in the history were all confirmed; `refresh` leaves some pending.
        self.say(&format!("{} redemptions", f.redemptions));
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
            let code = redemption.code.unwrap_or_default();
            s.rewards().confirm(operator, merchant, &code)?;
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
        Ok(())
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
            s.clock.travel_to(Some(now - days(150 + g % 30)));
            let group = s.incubation().found(
                &actor(convenor),
                NewGroup {
                    name: format!("{place}{word}{}", g / data::GROUPS.len() + 1),
                    purpose: format!("{place}居民自发组织的{word}，互帮互助，共建共享。"),
                    community_id: communities[g % communities.len()].clone(),
                    category_id: category.to_owned(),
                },
                None,
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
