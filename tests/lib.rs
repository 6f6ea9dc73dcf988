//! Linli's end-to-end suite lives in `api/`: the real HTTP app on both engines, and a
//! property test of the ledger against a model. This library is intentionally empty.
