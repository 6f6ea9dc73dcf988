//! End-to-end tests: the real HTTP app, on SQLite always and on PostgreSQL when reachable.

mod support;

mod contracts;
mod http_gate;
mod identity;
mod ledger;
mod ledger_model;
mod storage;
