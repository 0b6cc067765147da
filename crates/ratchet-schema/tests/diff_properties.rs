//! Properties of `diff` over generated schemas: a schema never differs from itself, any
//! difference at all is reported, and one mutation is reported as exactly one change that
//! names it.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use ratchet_schema::{
    diff, Change, Column, Constraint, ConstraintKind, Deferrable, Dialect, Direction, Domain,
    DomainCheck, EnumType, Extension, ForeignKey, Function, FunctionId, Identity, Index, Object,
    PartitionOf, QualifiedName, ReferentialAction, RoutineKind, Schema, Sequence, Table, Trigger,
    View, Volatility,
};

const TYPES: &[&str] = &[
    "integer",
    "bigint",
    "text",
    "uuid",
    "character varying(20)",
    "timestamp with time zone",
    "numeric(10,2)",
    "jsonb",
];

fn name_in(
    schemas: &'static [&'static str],
    names: &'static [&'static str],
) -> BoxedStrategy<QualifiedName> {
    (prop::sample::select(schemas), prop::sample::select(names))
        .prop_map(|(s, n)| QualifiedName::new(s, n))
        .boxed()
}

fn relation_name() -> BoxedStrategy<QualifiedName> {
    name_in(
        &["public", "app"],
        &["users", "orders", "events", "Items", "a.b"],
    )
}

fn opt_text(choices: &'static [&'static str]) -> BoxedStrategy<Option<String>> {
    prop::option::of(prop::sample::select(choices).prop_map(str::to_owned)).boxed()
}

fn column(name: String) -> impl Strategy<Value = Column> {
    (
        prop::sample::select(TYPES),
        any::<bool>(),
        opt_text(&["0", "now()", "'x'::text"]),
        prop::option::of(prop_oneof![
            Just(Identity::Always),
            Just(Identity::ByDefault)
        ]),
        opt_text(&["(a + 1)", "lower(b)"]),
        opt_text(&["\"C\"", "\"en_US\""]),
    )
        .prop_map(
            move |(data_type, nullable, default, identity, generated, collation)| Column {
                name: name.clone(),
                data_type: data_type.to_owned(),
                nullable,
                default,
                identity,
                generated,
                collation,
            },
        )
}

/// Columns with distinct names, in a random order.
fn columns() -> impl Strategy<Value = Vec<Column>> {
    prop::sample::subsequence(
        vec!["id", "email", "user_id", "created_at", "a", "b"],
        0..=6,
    )
    .prop_shuffle()
    .prop_flat_map(|names| {
        names
            .into_iter()
            .map(|n| column(n.to_owned()))
            .collect::<Vec<_>>()
    })
}

fn names_list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(vec!["id", "email", "user_id"]).prop_map(str::to_owned),
        1..3,
    )
}

fn constraint() -> impl Strategy<Value = Constraint> {
    let kind = prop_oneof![
        names_list().prop_map(|columns| ConstraintKind::PrimaryKey { columns }),
        names_list().prop_map(|columns| ConstraintKind::Unique { columns }),
        (names_list(), relation_name(), names_list()).prop_map(|(columns, table, referenced)| {
            ConstraintKind::ForeignKey(ForeignKey {
                columns,
                referenced_table: table,
                referenced_columns: referenced,
                on_delete: ReferentialAction::Cascade,
                on_update: ReferentialAction::NoAction,
            })
        }),
        prop::sample::select(vec!["(a > 0)", "(b <> '')"]).prop_map(|e| ConstraintKind::Check {
            expression: e.to_owned()
        }),
        Just(ConstraintKind::Exclusion),
    ];
    (
        kind,
        prop::sample::select(vec!["CHECK (x)", "UNIQUE (id)", "FOREIGN KEY (user_id)"]),
        any::<bool>(),
        prop_oneof![
            Just(Deferrable::NotDeferrable),
            Just(Deferrable::InitiallyImmediate),
            Just(Deferrable::InitiallyDeferred)
        ],
    )
        .prop_map(|(kind, definition, validated, deferrable)| Constraint {
            kind,
            definition: definition.to_owned(),
            validated,
            deferrable,
        })
}

fn index() -> impl Strategy<Value = Index> {
    (
        prop::sample::select(vec!["btree", "gin"]),
        any::<bool>(),
        names_list(),
        prop::collection::vec(Just("total".to_owned()), 0..2),
        opt_text(&["(active)", "(deleted_at IS NULL)"]),
        any::<bool>(),
        prop::sample::select(vec!["CREATE INDEX i ON t (a)", "CREATE INDEX i ON t (b)"]),
    )
        .prop_map(
            |(method, unique, columns, include, predicate, valid, definition)| Index {
                method: method.to_owned(),
                unique,
                columns,
                include,
                predicate,
                valid,
                definition: definition.to_owned(),
            },
        )
}

fn small_map<V: std::fmt::Debug>(
    names: &'static [&'static str],
    value: impl Strategy<Value = V>,
) -> impl Strategy<Value = BTreeMap<String, V>> {
    prop::collection::btree_map(
        prop::sample::select(names).prop_map(str::to_owned),
        value,
        0..3,
    )
}

fn trigger() -> impl Strategy<Value = Trigger> {
    prop::sample::select(vec![
        "CREATE TRIGGER t BEFORE UPDATE",
        "CREATE TRIGGER t AFTER INSERT",
    ])
    .prop_map(|d| Trigger {
        definition: d.to_owned(),
    })
}

fn table() -> impl Strategy<Value = Table> {
    (
        columns(),
        small_map(&["t_pkey", "t_a_check", "t_fkey"], constraint()),
        small_map(&["t_a_idx", "t_b_idx"], index()),
        small_map(&["touch", "audit"], trigger()),
        opt_text(&["RANGE (at)", "LIST (kind)"]),
        prop::option::of(
            (
                relation_name(),
                prop::sample::select(vec!["DEFAULT", "FOR VALUES IN (1)"]),
            )
                .prop_map(|(parent, bound)| PartitionOf {
                    parent,
                    bound: bound.to_owned(),
                }),
        ),
    )
        .prop_map(
            |(columns, constraints, indexes, triggers, partition_key, partition_of)| Table {
                columns,
                constraints,
                indexes,
                triggers,
                partition_key,
                partition_of,
            },
        )
}

fn view() -> impl Strategy<Value = View> {
    (
        any::<bool>(),
        prop::sample::select(vec![" SELECT 1;", " SELECT id FROM users;"]),
        columns(),
        small_map(&["v_idx"], index()),
        small_map(&["instead"], trigger()),
    )
        .prop_map(
            |(materialized, definition, columns, indexes, triggers)| View {
                materialized,
                definition: definition.to_owned(),
                columns,
                indexes,
                triggers,
            },
        )
}

fn function() -> impl Strategy<Value = Function> {
    (
        prop_oneof![Just(RoutineKind::Function), Just(RoutineKind::Procedure)],
        prop::sample::select(vec!["sql", "plpgsql"]),
        opt_text(&["integer", "trigger"]),
        prop::sample::select(vec!["SELECT 1", "SELECT 2"]),
        prop_oneof![Just(Volatility::Immutable), Just(Volatility::Volatile)],
        any::<bool>(),
    )
        .prop_map(
            |(kind, language, return_type, body, volatility, security_definer)| Function {
                kind,
                arguments: "a integer".to_owned(),
                language: language.to_owned(),
                return_type,
                body_sha256: ratchet_schema::body_hash(body),
                volatility,
                security_definer,
            },
        )
}

fn schema() -> impl Strategy<Value = Schema> {
    let labels = prop::sample::subsequence(vec!["sad", "ok", "happy"], 0..=3)
        .prop_shuffle()
        .prop_map(|l| EnumType {
            labels: l.into_iter().map(str::to_owned).collect(),
        });
    let domain = (prop::sample::select(TYPES), any::<bool>(), any::<bool>()).prop_map(
        |(base, not_null, validated)| Domain {
            base_type: base.to_owned(),
            not_null,
            default: None,
            collation: None,
            checks: BTreeMap::from([(
                "positive".to_owned(),
                DomainCheck {
                    definition: "CHECK ((VALUE > 0))".to_owned(),
                    validated,
                },
            )]),
        },
    );
    let sequence = (1i64..3, any::<bool>()).prop_map(|(increment, cycle)| Sequence {
        data_type: "bigint".to_owned(),
        start: 1,
        increment,
        min_value: 1,
        max_value: i64::MAX,
        cache: 1,
        cycle,
        owned_by: None,
    });
    let extension = prop::sample::select(vec!["1.5", "1.6"]).prop_map(|v| Extension {
        version: v.to_owned(),
        schema: "public".to_owned(),
    });
    let function_id = (
        name_in(&["public", "app"], &["add", "touch"]),
        prop::sample::select(vec!["", "integer", "integer, text"]),
    )
        .prop_map(|(name, args)| FunctionId::new(name, args));
    (
        prop::sample::subsequence(vec!["public", "app", "ops"], 0..=3),
        prop::collection::btree_map(
            prop::sample::select(vec!["citext", "pg_trgm"]).prop_map(str::to_owned),
            extension,
            0..2,
        ),
        prop::collection::btree_map(name_in(&["public"], &["mood", "state"]), labels, 0..2),
        prop::collection::btree_map(name_in(&["app"], &["positive"]), domain, 0..2),
        prop::collection::btree_map(name_in(&["public"], &["seq"]), sequence, 0..2),
        prop::collection::btree_map(relation_name(), table(), 0..4),
        prop::collection::btree_map(name_in(&["public"], &["v", "mv"]), view(), 0..2),
        prop::collection::btree_map(function_id, function(), 0..3),
    )
        .prop_map(
            |(schemas, extensions, enums, domains, sequences, tables, views, functions)| Schema {
                dialect: Dialect::Postgres,
                schemas: schemas
                    .into_iter()
                    .map(str::to_owned)
                    .collect::<BTreeSet<_>>(),
                extensions,
                enums,
                domains,
                sequences,
                tables,
                views,
                functions,
            },
        )
}

/// The first table that has a column, with that column's index.
fn some_column(schema: &Schema) -> Option<(QualifiedName, usize)> {
    schema
        .tables
        .iter()
        .find(|(_, t)| !t.columns.is_empty())
        .map(|(name, t)| (name.clone(), t.columns.len() / 2))
}

fn count(changes: &[Change], direction: Direction) -> usize {
    changes
        .iter()
        .filter(|c| c.direction() == direction)
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_schema_never_differs_from_itself(a in schema()) {
        prop_assert_eq!(diff(&a, &a), vec![]);
        prop_assert_eq!(diff(&a, &a.clone()), vec![]);
    }

    #[test]
    fn no_differences_exactly_when_equal(a in schema(), b in schema()) {
        let changes = diff(&a, &b);
        prop_assert_eq!(changes.is_empty(), a == b, "{:#?}", changes);
        // Seen from the other side, what was missing is extra.
        let back = diff(&b, &a);
        prop_assert_eq!(count(&changes, Direction::Missing), count(&back, Direction::Extra));
        prop_assert_eq!(count(&changes, Direction::Extra), count(&back, Direction::Missing));
        prop_assert_eq!(count(&changes, Direction::Changed), count(&back, Direction::Changed));
    }

    #[test]
    fn a_changed_column_type_is_one_type_mismatch(a in schema(), new_type in prop::sample::select(TYPES)) {
        let Some((table, i)) = some_column(&a) else { return Ok(()) };
        let mut b = a.clone();
        let column = &mut b.tables.get_mut(&table).unwrap().columns[i];
        prop_assume!(column.data_type != new_type);
        let old_type = std::mem::replace(&mut column.data_type, new_type.to_owned());
        let name = column.name.clone();
        prop_assert_ne!(&a, &b);
        prop_assert_eq!(
            diff(&a, &b),
            vec![Change::ColumnType {
                table,
                relation: ratchet_schema::Relation::Table,
                column: name,
                left: old_type,
                right: new_type.to_owned(),
            }]
        );
    }

    #[test]
    fn a_dropped_column_is_missing_on_one_side_and_extra_on_the_other(a in schema()) {
        let Some((table, i)) = some_column(&a) else { return Ok(()) };
        let mut b = a.clone();
        let dropped = b.tables.get_mut(&table).unwrap().columns.remove(i);
        let changes = diff(&a, &b);
        prop_assert_eq!(changes.len(), 1, "{:#?}", changes);
        let Change::Missing { object: Object::Column { table: t, column, .. } } = &changes[0] else {
            return Err(TestCaseError::fail(format!("{changes:#?}")));
        };
        prop_assert_eq!(t, &table);
        prop_assert_eq!(column, &dropped);
        let back = diff(&b, &a);
        prop_assert_eq!(back.len(), 1);
        let extra = matches!(&back[0], Change::Extra { object: Object::Column { .. } });
        prop_assert!(extra, "{:#?}", back);
    }

    #[test]
    fn an_index_left_invalid_is_one_validity_change(a in schema()) {
        let Some((table, name)) = a.tables.iter().find_map(|(t, table)| {
            table.indexes.iter().find(|(_, i)| i.valid).map(|(n, _)| (t.clone(), n.clone()))
        }) else { return Ok(()) };
        let mut b = a.clone();
        b.tables.get_mut(&table).unwrap().indexes.get_mut(&name).unwrap().valid = false;
        let changes = diff(&a, &b);
        prop_assert_eq!(changes.len(), 1);
        let is_validity = matches!(
            &changes[0],
            Change::IndexValidity { index, left: true, right: false, .. } if *index == name
        );
        prop_assert!(is_validity, "{:#?}", changes);
    }

    #[test]
    fn reordered_enum_labels_are_one_change(a in schema()) {
        let Some((name, labels)) = a.enums.iter().find(|(_, e)| e.labels.len() > 1) else {
            return Ok(())
        };
        let mut b = a.clone();
        b.enums.get_mut(name).unwrap().labels.reverse();
        let changes = diff(&a, &b);
        prop_assert_eq!(
            changes,
            vec![Change::EnumLabels {
                name: name.clone(),
                left: labels.labels.clone(),
                right: b.enums[name].labels.clone(),
            }]
        );
    }

    #[test]
    fn schemas_and_changes_survive_json(a in schema(), b in schema()) {
        let json = serde_json::to_string(&a).unwrap();
        prop_assert_eq!(serde_json::from_str::<Schema>(&json).unwrap(), a.clone());
        let changes = diff(&a, &b);
        let json = serde_json::to_string(&changes).unwrap();
        prop_assert_eq!(serde_json::from_str::<Vec<Change>>(&json).unwrap(), changes);
    }
}
