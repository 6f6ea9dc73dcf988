//! Every known way to mint, move or see points that are not yours, tried through the HTTP API
//! on both engines and shown refused: typed codes, nothing moved, the ledger's invariants
//! checked after each (by `both_engines!`). `docs/SECURITY.md` maps each rule to its test.

mod check_in;
mod dual_control;
mod fixtures;
mod group_funds;
mod oracles;
mod records;
mod self_dealing;
mod suspension;
mod throttles;
