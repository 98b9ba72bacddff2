//! Fault and hostile-input tests of the whole workspace (issue #6; what
//! was tried and what held: docs/RELIABILITY.md). Every test is bounded in
//! count and time.

mod escaping;
mod gateway;
mod hostile;
mod limits;
mod outage;
mod secrets;
mod storms;
mod support;
