//! The plan-file language.
