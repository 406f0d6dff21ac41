//! The logical tables live in the domain; the client maps them per profile.

pub use crate::domain::{Entity, Tables};
