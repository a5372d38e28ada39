//! ptsplan manages Alibaba Cloud PTS (Performance Testing Service) load-test scenes as code.
//!
//! YAML plan files describe scenes, load configurations and token sources. `ptsplan validate`
//! checks them with diagnostics that point into the YAML; later stages lower them to PTS's wire
//! shape, diff them against live state and apply the difference.
//!
//! # Layout
//!
//! | module | holds |
//! |---|---|
//! | [`cli`] | clap arguments → resolved options; one file per command. Nothing imports it. |
//! | [`diag`] | sources, spans and miette diagnostics shared by every stage |
//! | [`spec`] | the plan-file language: YAML tree with spans, model, validation, JSON Schema |
//! | [`live`] | reading every live scene through the client (read-only) |
//! | [`lift`] | PTS scene → plan-file scene (the inverse of lowering), with a commented YAML writer |
//! | [`lower`] | plan → the PTS scenes it asks for (pure), with the ownership marker |
//! | [`plan`] | the planner: normalized views, field-level diff, one action per scene (pure) |
//! | [`apply`] | apply: step order, write-ahead journal, executor over the client, rollback |
//! | [`evidence`] | the evidence bundle of an apply, and the owner-only before-images beside it |
//! | [`render`] | one plan model drawn as text, markdown or JSON, secrets masked |
//! | [`redact`] | masking of secret values in everything printed or written |
//! | [`wire`] | PTS OpenAPI 2020-10-20 request/response types (PascalCase JSON), data only |
//! | [`api`] | the signed client side of the wire: signatures (pure), credentials, transport, backend choice |
//! | [`oss`] | data files in OSS: V1 signing (pure), content-addressed keys, the object client, the upload step |
//! | [`compare`] | two runs side by side: configuration diff of their snapshots, metrics with deltas |
//! | [`config`] | `ptsplan.toml`: discovery and reading |
//! | [`emulator`] | the PTS-compatible local backend (server, auth, state, handlers) |
//! | [`engine`] | the local load engine that runs wire scenes |
//! | [`run`] | running a scene: debug-first check, start, follow (timeline), stop |
//! | [`report`] | a run's report: thresholds judged, baseline compared, text/markdown/JSON/JUnit/HTML |
//! | [`report`] | run reports drawn for people: the self-contained HTML page |
//! | [`sweep`] | tuning sweeps: step values, the comparison, capacity knee and rate-limit advice |
//! | [`soak`] | soak tests: segments, joining their reports, latency and error drift |
//! | [`sample_app`] | the sample mini-program back end of the quickstart (`ptsplan sample-app`) |
//!
//! # Data flow
//!
//! ```text
//! plan files ──spec::yaml (spans)──▶ node tree ──spec::structure (schema)──▶ spec::model
//!                                                         │
//!                                              spec::validate (semantics)
//!                                                         ▼
//!                                        diagnostics (diag) or a checked Plan
//! ```

pub mod api;
pub mod apply;
pub mod cli;
pub mod compare;
pub mod config;
pub mod diag;
pub mod emulator;
pub mod engine;
pub mod evidence;
pub mod lift;
pub mod live;
pub mod lower;
pub mod oss;
pub mod plan;
pub mod redact;
pub mod render;
pub mod report;
pub mod run;
pub mod sample_app;
pub mod soak;
pub mod spec;
pub mod sweep;
pub mod wire;
