//! The client side of the PTS OpenAPI: request signing (pure functions), credentials and
//! transport.

pub mod sign;
