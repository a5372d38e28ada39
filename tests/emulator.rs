//! The local PTS backend (`ptsplan emulator serve`): the official SDK against it, signatures,
//! the scene status machine, paging ranges, durability across SIGKILL, faults, and a request
//! fuzzer.

mod auth;
pub mod client;
mod conformance;
mod durability;
mod faults;
mod fuzz;
mod lifecycle;
mod paging;
