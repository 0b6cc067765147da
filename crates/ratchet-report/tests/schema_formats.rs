//! What users read about schemas: the text and JSON of a diff covering every kind of change,
//! from two hand-built schemas (the database-backed tests in ratchet-driver snapshot real
//! introspection).

use std::collections::BTreeMap;

use ratchet_report::schema_text::{self, Sides};
use ratchet_report::text::Color;
use ratchet_schema::{
    diff, Column, Constraint, ConstraintKind, Deferrable, Dialect, Domain, DomainCheck, EnumType,
    Extension, ForeignKey, Function, FunctionId, Identity, Index, QualifiedName, ReferentialAction,
    RoutineKind, Schema, Sequence, Table, Trigger, View, Volatility,
};

fn name(text: &str) -> QualifiedName {
    QualifiedName::parse(text, "public").expect("name")
}

fn column(name: &str, data_type: &str, nullable: bool) -> Column {
    Column {
        nullable,
        ..Column::new(name, data_type)
    }
}

fn index(definition: &str, valid: bool) -> Index {
    Index {
        method: "btree".into(),
        unique: false,
        columns: vec!["user_id".into()],
        include: vec![],
        predicate: None,
        valid,
        definition: definition.into(),
    }
}

fn fk(validated: bool) -> Constraint {
    Constraint {
        kind: ConstraintKind::ForeignKey(ForeignKey {
            columns: vec!["user_id".into()],
            referenced_table: name("users"),
            referenced_columns: vec!["id".into()],
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::NoAction,
        }),
        definition: "FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE".into(),
        validated,
        deferrable: Deferrable::NotDeferrable,
    }
}

fn function(body: &str, volatility: Volatility) -> Function {
    Function {
        kind: RoutineKind::Function,
        arguments: "a integer".into(),
        language: "sql".into(),
        return_type: Some("integer".into()),
        body_sha256: ratchet_schema::body_hash(body),
        volatility,
        security_definer: false,
    }
}

/// The schema as the migrations say it should be.
fn expected() -> Schema {
    let mut s = Schema::new(Dialect::Postgres);
    s.schemas.extend(["public".to_owned(), "audit".to_owned()]);
    s.extensions.insert(
        "citext".into(),
        Extension {
            version: "1.6".into(),
            schema: "public".into(),
        },
    );
    s.enums.insert(
        name("mood"),
        EnumType {
            labels: vec!["sad".into(), "ok".into(), "happy".into()],
        },
    );
    s.domains.insert(
        name("positive"),
        Domain {
            base_type: "integer".into(),
            not_null: true,
            default: None,
            collation: None,
            checks: BTreeMap::from([(
                "positive_check".into(),
                DomainCheck {
                    definition: "CHECK ((VALUE > 0))".into(),
                    validated: true,
                },
            )]),
        },
    );
    s.sequences.insert(
        name("invoice_numbers"),
        Sequence {
            data_type: "bigint".into(),
            start: 1000,
            increment: 1,
            min_value: 1,
            max_value: i64::MAX,
            cache: 1,
            cycle: false,
            owned_by: None,
        },
    );
    let users = Table {
        columns: vec![
            Column {
                identity: Some(Identity::Always),
                ..column("id", "bigint", false)
            },
            column("email", "character varying(200)", false),
            Column {
                default: Some("now()".into()),
                ..column("created_at", "timestamp with time zone", false)
            },
        ],
        ..Table::default()
    };
    s.tables.insert(name("users"), users);
    let mut orders = Table {
        columns: vec![
            column("id", "uuid", false),
            column("user_id", "uuid", false),
            column("total", "numeric(10,2)", false),
        ],
        ..Table::default()
    };
    orders
        .constraints
        .insert("orders_user_id_fkey".into(), fk(true));
    orders.indexes.insert(
        "orders_user_idx".into(),
        index(
            "CREATE INDEX orders_user_idx ON public.orders USING btree (user_id)",
            true,
        ),
    );
    orders.triggers.insert(
        "orders_audit".into(),
        Trigger {
            definition: "CREATE TRIGGER orders_audit AFTER INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION audit.log()".into(),
        },
    );
    s.tables.insert(name("orders"), orders);
    s.tables.insert(
        name("audit.audit_log"),
        Table {
            columns: vec![
                column("id", "bigint", false),
                column("entry", "jsonb", true),
            ],
            ..Table::default()
        },
    );
    s.views.insert(
        name("active_users"),
        View {
            materialized: false,
            definition: " SELECT users.id,\n    users.email\n   FROM public.users;".into(),
            columns: vec![
                column("id", "bigint", true),
                column("email", "character varying(200)", true),
            ],
            indexes: BTreeMap::new(),
            triggers: BTreeMap::new(),
        },
    );
    s.functions.insert(
        FunctionId::new(name("add_one"), "integer"),
        function("SELECT a + 1", Volatility::Immutable),
    );
    s
}

/// What the live database has: one of everything changed.
fn live() -> Schema {
    let mut s = expected();
    s.schemas.remove("audit");
    s.tables.remove(&name("audit.audit_log"));
    s.extensions.get_mut("citext").unwrap().version = "1.5".into();
    s.enums.get_mut(&name("mood")).unwrap().labels.pop();
    s.domains.get_mut(&name("positive")).unwrap().not_null = false;
    s.sequences.get_mut(&name("invoice_numbers")).unwrap().start = 1;
    let users = s.tables.get_mut(&name("users")).unwrap();
    users.columns[0].identity = Some(Identity::ByDefault);
    users.columns[1].nullable = true;
    users.columns[2].default = None;
    users.columns.push(column("nickname", "text", true));
    let orders = s.tables.get_mut(&name("orders")).unwrap();
    orders.columns[1].data_type = "integer".into();
    orders.columns.swap(0, 2);
    orders
        .constraints
        .insert("orders_user_id_fkey".into(), fk(false));
    orders.indexes.get_mut("orders_user_idx").unwrap().valid = false;
    orders.indexes.insert(
        "orders_total_idx".into(),
        index(
            "CREATE INDEX orders_total_idx ON public.orders USING btree (total)",
            true,
        ),
    );
    orders.triggers.clear();
    s.views.get_mut(&name("active_users")).unwrap().definition =
        " SELECT users.id\n   FROM public.users;".into();
    s.functions.insert(
        FunctionId::new(name("add_one"), "integer"),
        function("SELECT a + 2", Volatility::Stable),
    );
    s
}

const SIDES: Sides<'static> = Sides {
    left: "expected",
    right: "live",
};

#[test]
fn diff_text() {
    let changes = diff(&expected(), &live());
    insta::assert_snapshot!(schema_text::diff(&changes, SIDES, Color::Never));
}

#[test]
fn diff_text_in_colour_only_adds_escapes() {
    let changes = diff(&expected(), &live());
    let coloured = schema_text::diff(&changes, SIDES, Color::Always);
    assert!(coloured.contains("\x1b[31m  - "), "{coloured}");
    assert!(coloured.contains("\x1b[32m  + "), "{coloured}");
    let stripped = regex_free_strip(&coloured);
    assert_eq!(stripped, schema_text::diff(&changes, SIDES, Color::Never));
}

/// Removes `ESC [ ... m` sequences.
fn regex_free_strip(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn diff_json() {
    let changes = diff(&expected(), &live());
    insta::assert_snapshot!(ratchet_report::schema_json::diff(&changes, SIDES));
}

#[test]
fn no_differences() {
    assert_eq!(
        schema_text::diff(&[], SIDES, Color::Always),
        "no differences\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ratchet_report::schema_json::diff(&[], SIDES)).expect("json");
    assert_eq!(json["ok"], true);
}

#[test]
fn schema_text() {
    insta::assert_snapshot!(schema_text::schema(&expected()));
}
