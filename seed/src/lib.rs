//! Deterministic demo and district data for Linli, built through the domain services.
//! Empty until the seed profiles land; the crate holds its place in the workspace.
