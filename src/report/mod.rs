//! Run reports drawn for people.

pub mod html;
