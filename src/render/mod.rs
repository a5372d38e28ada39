//! Renderers: one model, several drawings (text for terminals, markdown for pull requests,
//! JSON for machines). Computing a plan is kept apart from drawing it; every renderer
//! writes through the [`Redactor`](crate::redact::Redactor), so no secret reaches output.

pub mod plan;
