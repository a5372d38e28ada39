//! Integration tests: one binary, a module per topic. They drive the real `ptsplan` binary
//! (see `util`) and the library's public API.

mod apply;
mod client;
mod data_files;
mod diagnostics;
mod emulator;
mod engine;
mod examples;
mod fuzz;
mod import;
mod jmeter;
mod jmeter_run;
mod plan;
mod pts_server;
mod quickstart;
mod reliability;
mod report_html;
mod run;
mod sample_app;
mod schema;
mod sweep;
mod target;
mod util;
