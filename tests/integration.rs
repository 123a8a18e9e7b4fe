//! The one integration test crate: drives the real binary against real SMTP servers on loopback.

mod server;
mod util;

mod cases;
