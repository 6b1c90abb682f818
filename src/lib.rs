//! lapord: the intake daemon of a national public-service complaint system in
//! the mould of Indonesia's LAPOR! / SP4N.
//!
//! Channels (`adapters/*`) hand messages to the [`intake`], which routes them
//! ([`routing`]), mints a [`tracking`] ID and commits them to the [`store`];
//! agencies pull their reports from durable queues over [`http`]. [`daemon`]
//! wires it together; `main.rs` is the command line.

pub mod calendar;
pub mod callbacks;
pub mod clock;
pub mod commands;
pub mod daemon;
pub mod http;
pub mod identity;
pub mod intake;
pub mod lifecycle;
pub mod lookup;
pub mod metrics;
pub mod model;
pub mod ops;
pub mod outbox;
pub mod phone;
pub mod privacy;
pub mod replies;
pub mod routing;
pub mod settings;
pub mod sms;
pub mod stats;
pub mod store;
pub mod systemd;
pub mod telemetry;
#[doc(hidden)]
pub mod testing;
pub mod tracking;
pub mod views;
