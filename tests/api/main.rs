//! End-to-end tests: the real HTTP app, on SQLite always and on PostgreSQL when reachable.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code throughout: a failed setup step must stop the test loudly"
)]

mod support;

mod attacks;

mod app;
mod app_serving;
mod booking;
mod browser;
mod catalogue;
mod catalogue_cache;
mod certificate;
mod clients;
mod console;
mod contracts;
mod creation;
mod directory;
mod email;
mod expiry;
mod front_door;
mod graphiql;
mod http_gate;
mod identity;
mod incubation;
mod insight;
mod ledger;
mod ledger_model;
mod matching;
mod outage;
mod review;
mod rewards;
mod seed;
mod settlement;
mod smtp;
mod spreadsheet;
mod standing;
mod storage;
mod telemetry;
mod volunteering;
