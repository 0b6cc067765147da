//! What a database's schema is, and how two schemas differ. Pure: no database I/O.
//!
//! * [`Schema`] (in [`model`]): every user object of one database — schemas, tables and
//!   partitions, columns, constraints, indexes, views, sequences, enums, domains, functions,
//!   triggers, extensions — in deterministic order, with lookups such as
//!   `schema.table("users")?.column("email")`. Drivers build it by introspection
//!   (`ratchet_driver::Driver::introspect`).
//! * [`diff()`]: the typed [`Change`]s between a left and a right schema.
//! * [`expect`]: declared expectations (`schema.toml`) and checking a schema against them.
//! * [`lineage`]: which migration created and which dropped each table and column.
//! * [`types`]: whether a declared column type (`int`, `varchar(20)`, `timestamptz`) is the
//!   type the database reports (`integer`, ...).
//!
//! Rendering (text, JSON) lives in `ratchet-report`.

pub mod diff;
pub mod expect;
pub mod lineage;
pub mod model;
pub mod name;
pub mod types;

pub use crate::diff::{diff, Change, Direction, Group, Object, ObjectKind, Relation};
pub use crate::expect::{Due, Expectations, ExpectationsError, Violation};
pub use crate::lineage::{Life, Lineage};
pub use crate::model::*;
pub use crate::name::{FunctionId, NameError, QualifiedName};

use sha2::{Digest, Sha256};

/// The SHA-256 of a function body as lowercase hex: the value of
/// [`Function::body_sha256`]. The text is hashed exactly as given (no whitespace
/// normalisation), as PostgreSQL stores it.
pub fn body_hash(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from_digit(u32::from(byte >> 4), 16).expect("a nibble"));
        hex.push(char::from_digit(u32::from(byte & 0xf), 16).expect("a nibble"));
    }
    hex
}

#[cfg(test)]
mod tests {
    #[test]
    fn body_hash_is_lowercase_sha256_hex() {
        assert_eq!(
            super::body_hash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
