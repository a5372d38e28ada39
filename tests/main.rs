//! Integration tests: one binary, a module per topic. They drive the real `ptsplan` binary
//! (see `util`) and the library's public API.

mod diagnostics;
mod engine;
mod examples;
mod fuzz;
mod schema;
mod target;
mod util;
