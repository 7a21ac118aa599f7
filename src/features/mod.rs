//! The grant-bearing features: each reads its properties, checks them and says what it needs
//! granted, so that the roles are the sum of what the features ask for.

pub mod artifacts;
pub mod exec;
pub mod images;
pub mod secrets;
pub mod signing;
