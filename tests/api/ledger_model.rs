//! A property test: random sequences of allocations, donations, adjustments, reversals,
//! replays, the passing of time and expiry sweeps run against the real services and against a
//! model of the balances and of the years residents' points were earned in (lots). After every
//! step the database must agree with the model and every ledger invariant must hold.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDateTime, TimeDelta};

use linli_domain::DomainError;
use linli_domain::directory::{NewOrganisation, OrganisationKind, Review};
use linli_domain::identity::{Actor, NewUser, Role};
use linli_domain::ledger::{AccountKind, Adjustment, Movement, Recipient};
use linli_domain::types::{AccountId, IdempotencyKey, TransferId};
use proptest::prelude::*;

use crate::support::{Engine, PASSWORD, TestApp, postgres_available};

const RESIDENTS: usize = 3;
const BUDGET: usize = RESIDENTS;
const ISSUANCE: usize = RESIDENTS + 1;

#[derive(Debug, Clone)]
enum Op {
    Allocate(i64),
    Donate {
        from: usize,
        to: usize,
        amount: i64,
    },
    Adjust {
        who: usize,
        change: i64,
    },
    Reverse(usize),
    Replay(usize),
    /// Days pass.
    Advance(i64),
    /// The expiry sweeper runs.
    Sweep,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1_i64..400).prop_map(Op::Allocate),
        (0..RESIDENTS, 0..RESIDENTS, 1_i64..150).prop_map(|(from, to, amount)| Op::Donate {
            from,
            to,
            amount
        }),
        (0..RESIDENTS, -120_i64..250)
            .prop_filter("non-zero", |(_, c)| *c != 0)
            .prop_map(|(who, change)| Op::Adjust { who, change }),
        (0_usize..64).prop_map(Op::Reverse),
        (0_usize..64).prop_map(Op::Replay),
        (1_i64..400).prop_map(Op::Advance),
        Just(Op::Sweep),
    ]
}

/// What the model remembers of each successful request: how to replay it and what it moved.
struct Made {
    id: TransferId,
    debit: usize,
    credit: usize,
    amount: i64,
    reversed: bool,
    replay: Op,
    key: String,
    /// What the transfer took from its debit side's lots, and gave to its credit side's.
    took: Lots,
    gave: Lots,
}

/// Points by the year they were earned in (China Standard Time).
type Lots = BTreeMap<i32, i64>;

/// Takes `amount` from `lots`: years in `preferred` first, then oldest first.
fn take(lots: &mut Lots, amount: i64, preferred: &Lots) -> Lots {
    let mut order: Vec<i32> = lots.keys().copied().collect();
    order.sort_by_key(|year| (!preferred.contains_key(year), *year));
    let mut taken = Lots::new();
    let mut left = amount;
    for year in order {
        let have = lots[&year];
        let n = left.min(have);
        if n > 0 {
            *taken.entry(year).or_default() += n;
            left -= n;
            if have == n {
                lots.remove(&year);
            } else {
                lots.insert(year, have - n);
            }
        }
    }
    assert_eq!(left, 0, "the model's lots cover its balances");
    taken
}

fn give(lots: &mut Lots, parts: &Lots) {
    for (year, n) in parts {
        *lots.entry(*year).or_default() += n;
    }
}

fn carries_lots(account: usize) -> bool {
    account < RESIDENTS
}

struct World {
    app: TestApp,
    staff: Actor,
    residents: Vec<(Actor, String)>,
    organisation: linli_domain::types::OrganisationId,
    accounts: Vec<AccountId>,
    balances: Vec<i64>,
    made: Vec<Made>,
    keys: usize,
    lots: Vec<Lots>,
    expired: i64,
    now: NaiveDateTime,
}

impl World {
    fn new(runtime: &tokio::runtime::Runtime, engine: Engine) -> Self {
        let app = runtime.block_on(TestApp::spawn(engine));
        let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 10)
            .and_then(|d| d.and_hms_opt(2, 0, 0))
            .unwrap();
        app.services.clock.travel_to(Some(now));
        let s = &app.services;
        let staff = s
            .identity()
            .create_staff(
                NewUser {
                    email: Some("staff@example.cn".into()),
                    password: PASSWORD.into(),
                    display_name: "工作人员".into(),
                    ..NewUser::default()
                },
                Role::Staff,
            )
            .unwrap();
        let staff = Actor::User {
            id: staff.id,
            role: Role::Staff,
        };
        let mut residents = Vec::new();
        let mut accounts = Vec::new();
        for i in 0..RESIDENTS {
            let email = format!("r{i}@example.cn");
            let user = s
                .identity()
                .register_resident(
                    NewUser {
                        email: Some(email.clone()),
                        password: PASSWORD.into(),
                        display_name: format!("居民{i}"),
                        ..NewUser::default()
                    },
                    "127.0.0.1",
                )
                .unwrap();
            let actor = Actor::User {
                id: user.id.clone(),
                role: Role::Resident,
            };
            accounts.push(s.ledger().wallet(&actor, &user.id).unwrap().id);
            residents.push((actor, email));
        }
        let organisation = s
            .directory()
            .register_organisation(
                &residents[0].0,
                NewOrganisation {
                    name: "锦绣社区志愿队".into(),
                    kind: OrganisationKind::SocialOrganisation,
                    description: String::new(),
                    community_id: None,
                    contact: "028-1234567".into(),
                },
            )
            .unwrap();
        s.directory()
            .review_organisation(&staff, &organisation.id, Review::Verify)
            .unwrap();
        let budget = s
            .ledger()
            .organisation_budget(&staff, &organisation.id)
            .unwrap();
        assert_eq!(budget.kind, AccountKind::Budget);
        accounts.push(budget.id);
        accounts.push(AccountId::parse("00000000-0000-7000-8000-000000000001").unwrap());
        Self {
            app,
            staff,
            residents,
            organisation: organisation.id,
            accounts,
            balances: vec![0; RESIDENTS + 2],
            made: Vec::new(),
            keys: 0,
            lots: vec![Lots::new(); RESIDENTS + 2],
            expired: 0,
            now,
        }
    }

    /// Runs one request; `key` is fresh unless replaying.
    fn request(&self, op: &Op, key: &str) -> Result<linli_domain::ledger::Transfer, DomainError> {
        let ledger = self.app.services.ledger();
        let key = IdempotencyKey::parse(key).unwrap();
        match op {
            Op::Allocate(amount) => ledger
                .allocate_budget(&self.staff, &self.organisation, *amount, "年度预算", &key)
                .map(posted),
            Op::Donate { from, to, amount } => ledger.donate(
                &self.residents[*from].0,
                &Recipient(self.residents[*to].1.clone()),
                *amount,
                "互助",
                &key,
            ),
            Op::Adjust { who, change } => ledger
                .adjust(
                    &self.staff,
                    &Adjustment {
                        account_id: self.accounts[*who].clone(),
                        change: *change,
                        reason: "核对调整".into(),
                    },
                    &key,
                )
                .map(posted),
            Op::Reverse(i) => ledger
                .reverse(&self.staff, &self.made[*i].id, "冲正", &key)
                .map(posted),
            Op::Replay(_) | Op::Advance(_) | Op::Sweep => {
                unreachable!("replays reuse the original request; time and sweeps move nothing")
            }
        }
    }

    /// What a credit from an account without lots brings: `restored`, the rest earned now.
    fn restored(&self, restored: &Lots, amount: i64) -> Lots {
        let mut parts = restored.clone();
        let rest = amount - restored.values().sum::<i64>();
        if rest > 0 {
            *parts.entry(self.year()).or_default() += rest;
        }
        parts
    }

    /// The year in Chengdu.
    fn year(&self) -> i32 {
        (self.now + TimeDelta::hours(8)).year()
    }

    fn step(&mut self, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::Advance(days) => {
                self.now += TimeDelta::days(days);
                self.app.services.clock.travel_to(Some(self.now));
            }
            Op::Sweep => {
                self.app.services.ledger().expire_due().unwrap();
                // The default policy: a year's points lapse when the second year after begins.
                let lapsed = self.year() - 2;
                for i in 0..RESIDENTS {
                    let gone: Vec<(i32, i64)> = self.lots[i]
                        .range(..=lapsed)
                        .map(|(y, n)| (*y, *n))
                        .collect();
                    for (year, n) in gone {
                        self.lots[i].remove(&year);
                        self.balances[i] -= n;
                        self.expired += n;
                    }
                }
            }
            Op::Replay(i) => {
                if self.made.is_empty() {
                    return Ok(());
                }
                let i = i % self.made.len();
                let again = self.request(&self.made[i].replay.clone(), &self.made[i].key.clone());
                prop_assert_eq!(again.map(|t| t.id).ok(), Some(self.made[i].id.clone()));
            }
            Op::Reverse(i) => {
                let candidates: Vec<usize> = (0..self.made.len())
                    .filter(|&j| self.made[j].amount > 0)
                    .collect();
                if candidates.is_empty() {
                    return Ok(());
                }
                let j = candidates[i % candidates.len()];
                let (debit, credit, amount, reversed) = {
                    let m = &self.made[j];
                    (m.debit, m.credit, m.amount, m.reversed)
                };
                let key = self.fresh_key();
                let result = self.request(&Op::Reverse(j), &key);
                if reversed {
                    prop_assert!(
                        matches!(result, Err(DomainError::AlreadyReversed)),
                        "{:?}",
                        result
                    );
                } else if credit != ISSUANCE && self.balances[credit] < amount {
                    prop_assert!(
                        matches!(result, Err(DomainError::InsufficientPoints)),
                        "{:?}",
                        result
                    );
                } else {
                    prop_assert!(result.is_ok(), "{:?}", result);
                    self.balances[credit] -= amount;
                    self.balances[debit] += amount;
                    self.made[j].reversed = true;
                    // The reversal takes back first what the original gave, and puts points
                    // back in the years the original took them from.
                    let (took, gave) = (self.made[j].took.clone(), self.made[j].gave.clone());
                    let taken = if carries_lots(credit) {
                        Some(take(&mut self.lots[credit], amount, &gave))
                    } else {
                        None
                    };
                    if carries_lots(debit) {
                        let parts = taken.unwrap_or_else(|| self.restored(&took, amount));
                        give(&mut self.lots[debit], &parts);
                    }
                }
            }
            op => {
                let (debit, credit, amount) = match &op {
                    Op::Allocate(a) => (ISSUANCE, BUDGET, *a),
                    Op::Donate { from, to, amount } => (*from, *to, *amount),
                    Op::Adjust { who, change } if *change > 0 => (ISSUANCE, *who, *change),
                    Op::Adjust { who, change } => (*who, ISSUANCE, -change),
                    _ => unreachable!(),
                };
                let key = self.fresh_key();
                let result = self.request(&op, &key);
                // A gift is checked against the wallet before the recipient is looked up.
                if debit != ISSUANCE && self.balances[debit] < amount {
                    prop_assert!(
                        matches!(result, Err(DomainError::InsufficientPoints)),
                        "{:?}",
                        result
                    );
                } else if debit == credit {
                    prop_assert!(
                        matches!(result, Err(DomainError::SameAccount)),
                        "{:?}",
                        result
                    );
                } else {
                    let transfer =
                        result.map_err(|e| TestCaseError::fail(format!("{op:?}: {e:?}")))?;
                    self.balances[debit] -= amount;
                    self.balances[credit] += amount;
                    let took = if carries_lots(debit) {
                        take(&mut self.lots[debit], amount, &Lots::new())
                    } else {
                        Lots::new()
                    };
                    let gave = if !carries_lots(credit) {
                        Lots::new()
                    } else if carries_lots(debit) {
                        took.clone()
                    } else {
                        self.restored(&Lots::new(), amount)
                    };
                    give(&mut self.lots[credit], &gave);
                    self.made.push(Made {
                        took,
                        gave,
                        id: transfer.id,
                        debit,
                        credit,
                        amount,
                        reversed: false,
                        replay: op,
                        key,
                    });
                }
            }
        }
        self.check()
    }

    fn fresh_key(&mut self) -> String {
        self.keys += 1;
        format!("model-key-{:06}", self.keys)
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let ledger = self.app.services.ledger();
        for (i, id) in self.accounts.iter().enumerate() {
            let actual = ledger.account(&self.staff, id).unwrap().balance;
            prop_assert_eq!(actual, self.balances[i], "account {}", i);
            let lots: Lots = ledger
                .lots(&self.staff, id)
                .unwrap()
                .into_iter()
                .map(|lot| (lot.earned_year, lot.points))
                .collect();
            prop_assert_eq!(&lots, &self.lots[i], "lots of account {}", i);
        }
        let totals = ledger.system_totals(&self.staff).unwrap();
        prop_assert_eq!(totals.expired, self.expired);
        let report = ledger.verify().unwrap();
        prop_assert!(report.is_ok(), "{}", report);
        Ok(())
    }
}

fn run(engine: Engine, cases: u32) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    runner
        .run(&proptest::collection::vec(op(), 1..40), |ops| {
            let mut world = World::new(&runtime, engine);
            for op in ops {
                world.step(op)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn ledger_matches_its_model_on_sqlite() {
    run(Engine::Sqlite, 24);
}

#[test]
fn ledger_matches_its_model_on_postgres() {
    if postgres_available() {
        run(Engine::Postgres, 12);
    }
}

/// The model's staff movements stay below the dual-control amounts, so each posts at once.
fn posted(movement: Movement) -> linli_domain::ledger::Transfer {
    match movement {
        Movement::Posted(transfer) => transfer,
        Movement::AwaitingApproval(request) => {
            panic!("the model's movements post at once: {request:?}")
        }
    }
}
