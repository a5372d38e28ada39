//! Apply: performs a plan's changes against the backend, journaled, and undoes them.
//!
//! - [`order`] turns the plan's scene changes into numbered steps in a safe order.
//! - [`journal`] is the write-ahead journal: a record before each mutation, one after.
//! - [`executor`] sends the steps through the client (steps of one phase in parallel), stamps the ownership marker with the
//!   applied fingerprint, resolves lost answers by reading, and stops at the first failure;
//!   what was done is returned as data even then (after Terraform's apply).
//! - [`saved`] applies a saved plan only if the live scenes it touches did not move.
//! - [`rollback`] restores touched scenes to their before-images and deletes what was
//!   created, comparing with the live state first, so running it twice is harmless.
//!
//! Decisions are taken from the plan's actions alone; the field changes are for display.

pub mod executor;
mod jmeter;
pub mod journal;
pub mod order;
pub mod rollback;
pub mod saved;

pub use jmeter::before_images as jmeter_images;

use crate::plan::Live;
use crate::wire::{self, Marker};

/// The live scene that `workspace` owns under `key`, if any.
fn owned<'a>(live: &'a [Live], workspace: &str, key: &str) -> Option<&'a Live> {
    live.iter()
        .find(|l| Marker::of(&l.scene).is_some_and(|m| m.workspace == workspace && m.key == key))
}

/// The fingerprint of a scene's normalized view.
fn fingerprint(scene: &wire::Scene) -> String {
    crate::plan::view::fingerprint(&crate::plan::view::view(scene))
}
