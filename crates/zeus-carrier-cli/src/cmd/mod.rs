//! One module per subcommand.

pub(crate) mod check_order;
pub(crate) mod demo;
pub(crate) mod error_code;
pub(crate) mod sandbox;
pub(crate) mod transitions;
