//! Which migration created each table and column, and which one dropped it.
//!
//! One incident behind ratchet: a table was created by one migration stream and dropped by
//! another while the code still used it. A replay records the schema after every migration;
//! comparing each snapshot with the one before tells who created and who dropped what, so a
//! report can name both migrations instead of just saying "missing".

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{ColumnRef, Schema};
use crate::QualifiedName;

/// The last creation and the last drop of an object, by migration name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Life {
    pub created_by: Option<String>,
    /// Set when the object does not exist after the replay: the migration that removed it.
    pub dropped_by: Option<String>,
}

/// What a replay learned, migration by migration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lineage {
    pub tables: BTreeMap<QualifiedName, Life>,
    pub columns: BTreeMap<ColumnRef, Life>,
    now: Names,
    /// Of the replayed database, to qualify names given without a schema.
    default_schema: Option<&'static str>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Names {
    tables: BTreeSet<QualifiedName>,
    columns: BTreeSet<ColumnRef>,
}

impl Names {
    fn of(schema: &Schema) -> Names {
        let mut names = Names::default();
        for (name, table) in &schema.tables {
            names.tables.insert(name.clone());
            for column in &table.columns {
                names.columns.insert(ColumnRef {
                    table: name.clone(),
                    column: column.name.clone(),
                });
            }
        }
        names
    }
}

impl Lineage {
    /// Records the schema as it stands after `migration`.
    pub fn after(&mut self, migration: &str, schema: &Schema) {
        self.default_schema = Some(schema.default_schema());
        let next = Names::of(schema);
        step(&mut self.tables, &self.now.tables, &next.tables, migration);
        step(
            &mut self.columns,
            &self.now.columns,
            &next.columns,
            migration,
        );
        self.now = next;
    }

    pub fn table(&self, name: &QualifiedName) -> Option<&Life> {
        self.tables.get(name)
    }

    /// The table `name` (`users`, `app.users`), unqualified names in the replayed database's
    /// default schema.
    pub fn table_named(&self, name: &str) -> Option<&Life> {
        let qualified = QualifiedName::parse(name, self.default_schema.unwrap_or("public")).ok()?;
        self.tables.get(&qualified)
    }

    pub fn column(&self, table: &QualifiedName, column: &str) -> Option<&Life> {
        self.columns.get(&ColumnRef {
            table: table.clone(),
            column: column.to_owned(),
        })
    }
}

fn step<K: Ord + Clone>(
    lives: &mut BTreeMap<K, Life>,
    before: &BTreeSet<K>,
    after: &BTreeSet<K>,
    migration: &str,
) {
    for created in after.difference(before) {
        let life = lives.entry(created.clone()).or_default();
        life.created_by = Some(migration.to_owned());
        life.dropped_by = None;
    }
    for dropped in before.difference(after) {
        lives.entry(dropped.clone()).or_default().dropped_by = Some(migration.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Dialect, Table};

    fn schema(tables: &[(&str, &[&str])]) -> Schema {
        let mut schema = Schema::new(Dialect::Postgres);
        for (name, columns) in tables {
            let table = Table {
                columns: columns.iter().map(|c| Column::new(*c, "integer")).collect(),
                ..Table::default()
            };
            schema
                .tables
                .insert(QualifiedName::new("public", *name), table);
        }
        schema
    }

    #[test]
    fn created_by_one_migration_dropped_by_another() {
        let mut lineage = Lineage::default();
        lineage.after("0001_core", &schema(&[("users", &["id"])]));
        lineage.after(
            "0002_audit",
            &schema(&[("users", &["id"]), ("audit_log", &["id"])]),
        );
        lineage.after(
            "0003_email",
            &schema(&[("users", &["id", "email"]), ("audit_log", &["id"])]),
        );
        lineage.after("0004_cleanup", &schema(&[("users", &["id", "email"])]));
        let audit = lineage
            .table(&QualifiedName::new("public", "audit_log"))
            .expect("known");
        assert_eq!(audit.created_by.as_deref(), Some("0002_audit"));
        assert_eq!(audit.dropped_by.as_deref(), Some("0004_cleanup"));
        let users = QualifiedName::new("public", "users");
        assert_eq!(
            lineage
                .column(&users, "email")
                .and_then(|l| l.created_by.as_deref()),
            Some("0003_email")
        );
        assert_eq!(
            lineage.table(&users).and_then(|l| l.dropped_by.as_deref()),
            None
        );
    }

    #[test]
    fn recreated_objects_are_alive_again() {
        let mut lineage = Lineage::default();
        lineage.after("0001", &schema(&[("t", &["a"])]));
        lineage.after("0002", &schema(&[]));
        lineage.after("0003", &schema(&[("t", &["a"])]));
        let t = lineage
            .table(&QualifiedName::new("public", "t"))
            .expect("known");
        assert_eq!(t.created_by.as_deref(), Some("0003"));
        assert_eq!(t.dropped_by, None);
    }
}
