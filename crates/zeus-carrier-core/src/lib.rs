//! # zeus-carrier-core
//!
//! The pure model of ZEUS carrier billing (docomo, au, SoftBank: the charge
//! lands on the shopper's phone bill).
//!
//! **What it promises.** This crate does no I/O, reads no clock and draws no
//! randomness. Every rule that depends on time takes `now` as an argument
//! (Japan time, SPEC D-5/D-6). Every rule lives here once; the sandbox
//! gateway, the Secure Link client and the CGI receiver call it rather than
//! re-implementing it.
//!
//! **How a caller drives it.** Feed inputs in, get decisions out:
//! - validate a Link Point order request and render it as a form
//!   ([`link_point`]);
//! - apply events to an [`Order`] with `now` ([`Order::apply`]), checked
//!   against the one [`transition::TRANSITIONS`] table;
//! - before a settle or cancel, ask the pre-check what the gateway will answer
//!   ([`settle::check_settle`], [`cancel::check_cancel`]);
//! - encode Secure Link requests and parse their responses into an
//!   [`secure_link::Outcome`];
//! - parse CGI callbacks ([`callback`]);
//! - keep the merchant's record of an order ([`merchant`]): what a
//!   notification or the outcome of its own settle or cancel does to it,
//!   the integrity check against its checkout, and its deadlines.
//!
#![doc = include_str!("../README.md")]

pub mod callback;
pub mod cancel;
pub mod carrier;
pub mod charset;
pub mod docs;
pub mod error_code;
pub mod html;
pub mod link_point;
pub mod mail;
pub mod merchant;
pub mod order;
pub mod secure_link;
pub mod settle;
pub mod status;
#[cfg(feature = "proptest")]
pub mod strategies;
pub mod test_mode;
pub mod time;
pub mod transition;
pub mod values;

pub use carrier::Carrier;
pub use charset::Charset;
pub use order::{Event, Order, OrderDetails, PaymentMode};
pub use status::Status;
pub use time::JstDateTime;
pub use transition::{EventKind, TransitionError};
pub use values::{ClientIp, Money, OrderNo, SendId, ValueError};
