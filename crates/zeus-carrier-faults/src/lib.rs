//! # zeus-carrier-faults
//!
//! Fault and hostile-input tests of the workspace, run by CI with bounded
//! counts and times: duplicate and out-of-order storms across two receiver
//! instances, storage outages (SQLite made unwritable, PostgreSQL stopped),
//! Secure Link gateway faults, no-panic runs of every parser, HTML escaping
//! of every user-controlled field, and secrets kept out of logs and
//! `Debug`. The library is empty: everything is in `tests/it`. What was
//! tried, the figures and the results are in `docs/RELIABILITY.md`.
