//! The end-to-end suite lives in `api/`; this library is empty on purpose so the crate has a target.
