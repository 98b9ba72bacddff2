//! Integration tests of zeus-carrier-serve: the reference merchant
//! service's endpoints against a fake gateway, and its lifecycle (bind,
//! serve, restart).

mod faces;
mod lifecycle;
mod serve;
mod support;
