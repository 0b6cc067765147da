//! Introspection: a live database's schema as a [`ratchet_schema::Schema`], read on the
//! driver's own connection ([`crate::Driver::introspect`]).
//!
//! Both dialects only run plain queries: no transaction control, so a caller can
//! introspect inside a migration's open transaction and see its uncommitted DDL.

pub(crate) mod postgres;
mod postgres_ddl;
mod postgres_expr;
pub(crate) mod sqlite;
mod sqlite_ddl;
