//! Index and constraint definitions written from catalog columns, byte for byte as
//! PostgreSQL's `pg_get_indexdef(oid)` and `pg_get_constraintdef(oid)` print them.
//!
//! Why not call the server's printers (issue 3, `bench/diff.py`): on a new backend they cost
//! more than all the rest of the introspection. Every `pg_get_indexdef` opens the table it
//! indexes (building its relation cache entry) and looks up the index, its class, its access
//! method and every key column's name, type, operator class and collation one by one in
//! cold catalog caches: 300 ms for the 10,000 indexes of 2,000 tables, against the few
//! milliseconds it takes to read the same catalog columns in one scan and print them here.
//!
//! What is printed here is what those printers print for PostgreSQL 12 to 17, for:
//!
//! * indexes whose keys are plain columns: `UNIQUE`, `ON ONLY` (an index of a partitioned
//!   table), the access method, `COLLATE` when the key's collation is not its column's,
//!   the operator class when it is not the default one for the column's type (decided as
//!   the server's `GetDefaultOpClass` decides, see [`Catalog::default_opclass`]) or takes
//!   options, `DESC`/`NULLS FIRST`/`NULLS LAST` for methods that order, `INCLUDE`,
//!   `NULLS NOT DISTINCT`, `WITH (...)` storage parameters and the `WHERE` of a partial
//!   index, which the server prints (it is an expression);
//! * `PRIMARY KEY`, `UNIQUE` and `FOREIGN KEY` constraints.
//!
//! Indexes with expression keys, CHECK and EXCLUDE constraints keep the server's printers:
//! only the server can print an expression, and an expression key's type and collation
//! (which decide its decorations) are not in the catalog. The caller asks the server for
//! those, and for everything on servers newer than the printers described here.
//!
//! The proof is `postgres::tests::client_written_definitions_are_the_servers`, which
//! compares every definition written here with the server's on a schema of many variants.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use ratchet_schema::QualifiedName;

/// `indoption` bits (`catalog/pg_index.h`).
const INDOPTION_DESC: i16 = 0x0001;
const INDOPTION_NULLS_FIRST: i16 = 0x0002;

/// The catalog data the printers need beyond the index or constraint itself: the server's
/// keywords (for quoting), operator classes, access methods, collations, and what decides
/// which operator class is a type's default.
#[derive(Debug, Default)]
pub(super) struct Catalog {
    /// Keywords that are not `UNRESERVED`: an identifier spelled like one is quoted.
    pub keywords: HashSet<String>,
    pub opclasses: HashMap<u32, Opclass>,
    /// Access method name -> whether it orders (`amcanorder`: DESC and NULLS are printed).
    pub orders: HashMap<String, bool>,
    pub collations: HashMap<u32, SchemaName>,
    pub types: HashMap<u32, TypeInfo>,
    /// `(source, target)` of the casts that make a type binary-coercible to another
    /// (`castmethod = 'b'`, `castcontext = 'i'`).
    pub binary_casts: HashSet<(u32, u32)>,
    /// [`Catalog::default_opclass`] by (type, access method), computed once each.
    pub defaults: RefCell<HashMap<(u32, u32), Option<u32>>>,
}

/// An object named in a schema, as the catalog stores it (unquoted).
#[derive(Debug, Clone)]
pub(super) struct SchemaName {
    pub schema: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub(super) struct Opclass {
    pub name: SchemaName,
    /// `opcmethod`
    pub method: u32,
    /// `opcdefault`
    pub default: bool,
    /// `opcintype`
    pub input: u32,
}

/// What `GetDefaultOpClass` looks at in a type.
#[derive(Debug, Clone)]
pub(super) struct TypeInfo {
    /// `typtype`: `b`ase, `c`omposite, `d`omain, `e`num, `p`seudo, `r`ange, `m`ultirange.
    pub kind: char,
    /// `typbasetype`: a domain's type, 0 otherwise.
    pub base: u32,
    pub category: char,
    pub preferred: bool,
    /// A true array (`type_is_array`), whose element type is `element`.
    pub array: bool,
    pub element: u32,
    /// The name of a pseudo-type (`anyarray`, `record`...), which matches types by kind.
    pub pseudo: Option<String>,
}

/// A table column, for the keys that refer to it.
#[derive(Debug, Clone, Copy)]
pub(super) struct KeyColumn<'a> {
    /// A column's name, or an expression key as printed (already in parentheses where
    /// it needs them, see [`KeyColumn::expression`]).
    pub name: &'a str,
    /// Whether `name` is an expression, written as it is rather than quoted.
    pub expression: bool,
    /// `atttypid`
    pub type_oid: u32,
    /// `attcollation`
    pub collation: u32,
}

/// An index's catalog columns (`pg_index`, its `pg_class` row and its method's name).
#[derive(Debug)]
pub(super) struct IndexParts<'a> {
    pub name: &'a str,
    pub table: &'a QualifiedName,
    pub method: &'a str,
    pub unique: bool,
    /// An index of a partitioned table (`relkind = 'I'`), printed `ON ONLY`.
    pub partitioned: bool,
    /// `indkey`: key columns, then INCLUDE columns.
    pub key: &'a [i16],
    /// `indnkeyatts`
    pub key_count: usize,
    /// `indclass`, `indcollation`, `indoption`: one per key column.
    pub classes: &'a [u32],
    pub collations: &'a [u32],
    pub options: &'a [i16],
    /// Operator class options of each key column (the index's `attoptions`).
    pub class_options: &'a [Option<&'a [String]>],
    pub nulls_not_distinct: bool,
    /// The index's `reloptions`.
    pub storage: Option<&'a [String]>,
    /// The predicate of a partial index as `pg_get_expr(indpred, indrelid)` prints it.
    pub predicate: Option<&'a str>,
    /// The expression keys, in order, for the keys numbered 0.
    pub expressions: &'a [KeyColumn<'a>],
}

/// Why a definition could not be written: catalog data that does not fit together.
pub(super) type Mismatch = String;

impl Catalog {
    /// An identifier as `quote_ident` prints it: bare when it is lower case letters,
    /// digits and underscores, starts with a letter or underscore, and is not a keyword
    /// other than an unreserved one; otherwise in double quotes, with quotes doubled.
    pub fn quote<'s>(&self, ident: &'s str) -> std::borrow::Cow<'s, str> {
        quote(&self.keywords, ident)
    }

    /// What [`super::postgres_expr`] prints with, `expressions` added; unlike the whole
    /// catalog, it can be shared between threads.
    pub fn names<'a>(
        &'a self,
        expressions: &'a super::postgres_expr::ExprCatalog,
    ) -> super::postgres_expr::Names<'a> {
        super::postgres_expr::Names {
            keywords: &self.keywords,
            collations: &self.collations,
            expressions,
        }
    }
    fn push_quoted(&self, out: &mut String, ident: &str) {
        out.push_str(&self.quote(ident));
    }

    /// `schema.name`, both quoted: how the printers name a table, always qualified since
    /// the introspection's `search_path` is `pg_catalog` alone.
    fn push_qualified(&self, out: &mut String, schema: &str, name: &str) {
        self.push_quoted(out, schema);
        out.push('.');
        self.push_quoted(out, name);
    }

    /// An operator class or collation: bare when it lives in `pg_catalog` (the only schema
    /// on the introspection's `search_path`, so the only visible one), qualified otherwise.
    fn push_visible(&self, out: &mut String, name: &SchemaName) {
        if name.schema != "pg_catalog" {
            self.push_quoted(out, &name.schema);
            out.push('.');
        }
        self.push_quoted(out, &name.name);
    }

    /// Storage parameters (`reloptions`, `attoptions`: `name=value` texts) as the server's
    /// `get_reloptions` prints them: `name=value, ...`, the name quoted as an identifier, the
    /// value bare when it would not need quoting as an identifier, else as a string literal
    /// (`standard_conforming_strings` is on for the batch: only `'` is doubled).
    pub fn push_options(&self, out: &mut String, options: &[String]) {
        for (i, option) in options.iter().enumerate() {
            let (name, value) = option.split_once('=').unwrap_or((option, ""));
            if i > 0 {
                out.push_str(", ");
            }
            self.push_quoted(out, name);
            out.push('=');
            match self.quote(value) {
                std::borrow::Cow::Borrowed(bare) => out.push_str(bare),
                std::borrow::Cow::Owned(_) => {
                    out.push('\'');
                    out.push_str(&value.replace('\'', "''"));
                    out.push('\'');
                }
            }
        }
    }

    fn push_columns<'c>(&self, out: &mut String, names: impl IntoIterator<Item = &'c str>) {
        for (i, name) in names.into_iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.push_quoted(out, name);
        }
    }

    /// Follows domains to the type under them (`getBaseType`).
    fn base_type(&self, mut oid: u32) -> Option<u32> {
        // A domain cannot be its own base; the bound only guards against corrupt data.
        for _ in 0..100 {
            let info = self.types.get(&oid)?;
            if info.kind != 'd' {
                return Some(oid);
            }
            oid = info.base;
        }
        None
    }

    /// `ISCOMPLEX`: a composite type (or a domain over one), or `record`.
    fn is_complex(&self, oid: u32) -> Option<bool> {
        let base = self.base_type(oid)?;
        let info = self.types.get(&base)?;
        Some(info.kind == 'c' || info.pseudo.as_deref() == Some("record"))
    }

    /// The server's `IsBinaryCoercible(source, target)`, `source` already a base type.
    fn binary_coercible(&self, source: u32, target: u32) -> Option<bool> {
        if source == target {
            return Some(true);
        }
        let from = self.types.get(&source)?;
        let to = self.types.get(&target)?;
        let coercible = match to.pseudo.as_deref() {
            Some("any" | "anyelement" | "anycompatible") => true,
            Some("anyarray" | "anycompatiblearray") if from.array => true,
            Some("anynonarray" | "anycompatiblenonarray") if !from.array => true,
            Some("anyenum") if from.kind == 'e' => true,
            Some("anyrange" | "anycompatiblerange") if from.kind == 'r' => true,
            Some("anymultirange" | "anycompatiblemultirange") if from.kind == 'm' => true,
            Some("record") if self.is_complex(source)? => true,
            Some("_record") if from.array && self.is_complex(from.element)? => true,
            _ => self.binary_casts.contains(&(source, target)),
        };
        Some(coercible)
    }

    /// The operator class an index key of type `type_oid` gets from access method `method`
    /// when none is named: the server's `GetDefaultOpClass`. Among the method's default
    /// classes, the one for exactly the (base) type; else the only one the type is
    /// binary-coercible to, where one for a preferred type of the type's category wins
    /// (`varchar` is coercible to both `text` and `bpchar`: `text` is preferred). `None`
    /// when there is no single answer, or the types are not all known.
    pub fn default_opclass(&self, type_oid: u32, method: u32) -> Option<Option<u32>> {
        let base = self.base_type(type_oid)?;
        let category = self.types.get(&base)?.category;
        let (mut exact, mut compatible, mut preferred) = (Vec::new(), Vec::new(), Vec::new());
        for (oid, class) in &self.opclasses {
            if class.method != method || !class.default {
                continue;
            }
            if class.input == base {
                exact.push(*oid);
            } else if self.binary_coercible(base, class.input)? {
                let input = self.types.get(&class.input)?;
                if input.preferred && input.category == category {
                    preferred.push(*oid);
                } else {
                    compatible.push(*oid);
                }
            }
        }
        let chosen = match (
            exact.as_slice(),
            preferred.as_slice(),
            compatible.as_slice(),
        ) {
            ([one], _, _) => Some(*one),
            ([], [one], _) => Some(*one),
            ([], [], [one]) => Some(*one),
            _ => None,
        };
        Some(chosen)
    }

    /// Whether `class` is the one a key of type `type_oid` gets when none is named, so
    /// that the server leaves its name out.
    fn is_default(&self, oid: u32, class: &Opclass, type_oid: u32) -> Result<bool, Mismatch> {
        if !class.default {
            return Ok(false);
        }
        // Most keys: the default class for exactly the column's type, the only candidate.
        if self.base_type(type_oid) == Some(class.input) {
            return Ok(true);
        }
        let key = (type_oid, class.method);
        let cached = self.defaults.borrow().get(&key).copied();
        let chosen = match cached {
            Some(chosen) => chosen,
            None => {
                let chosen = self
                    .default_opclass(type_oid, class.method)
                    .ok_or_else(|| format!("unknown type {type_oid}"))?;
                self.defaults.borrow_mut().insert(key, chosen);
                chosen
            }
        };
        Ok(chosen == Some(oid))
    }

    /// `CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING method (keys) [INCLUDE
    /// (...)] [NULLS NOT DISTINCT] [WITH (...)] [WHERE predicate]`, as `pg_get_indexdef`.
    /// Every key must be a column (`indkey` not 0).
    pub fn index_definition<'c>(
        &self,
        index: &IndexParts<'_>,
        column: impl Fn(i16) -> Option<KeyColumn<'c>>,
    ) -> Result<String, Mismatch> {
        let mut out = String::with_capacity(128);
        out.push_str(if index.unique {
            "CREATE UNIQUE INDEX "
        } else {
            "CREATE INDEX "
        });
        self.push_quoted(&mut out, index.name);
        out.push_str(" ON ");
        if index.partitioned {
            out.push_str("ONLY ");
        }
        self.push_qualified(&mut out, &index.table.schema, &index.table.name);
        out.push_str(" USING ");
        self.push_quoted(&mut out, index.method);
        out.push_str(" (");
        let orders = *self
            .orders
            .get(index.method)
            .ok_or_else(|| format!("unknown access method {:?}", index.method))?;
        let mut expressions = index.expressions.iter();
        for (position, number) in index.key.iter().enumerate() {
            if position == index.key_count {
                out.push_str(") INCLUDE (");
            } else if position > 0 {
                out.push_str(", ");
            }
            let key = match number {
                0 => expressions.next().copied(),
                _ => column(*number),
            };
            let key = key.ok_or_else(|| format!("no column {number} for a key"))?;
            if key.expression {
                out.push_str(key.name);
            } else {
                self.push_quoted(&mut out, key.name);
            }
            if position >= index.key_count {
                continue;
            }
            let missing = |what: &str| format!("no {what} for key {}", position + 1);
            let collation = *index
                .collations
                .get(position)
                .ok_or_else(|| missing("collation"))?;
            if collation != 0 && collation != key.collation {
                let name = self
                    .collations
                    .get(&collation)
                    .ok_or_else(|| format!("unknown collation {collation}"))?;
                out.push_str(" COLLATE ");
                self.push_visible(&mut out, name);
            }
            let class_oid = *index
                .classes
                .get(position)
                .ok_or_else(|| missing("class"))?;
            let class = self
                .opclasses
                .get(&class_oid)
                .ok_or_else(|| format!("unknown operator class {class_oid}"))?;
            let class_options = index.class_options.get(position).copied().flatten();
            // With options the class is always named (the server skips the default check).
            if class_options.is_some() || !self.is_default(class_oid, class, key.type_oid)? {
                out.push(' ');
                self.push_visible(&mut out, &class.name);
            }
            if let Some(options) = class_options {
                out.push_str(" (");
                self.push_options(&mut out, options);
                out.push(')');
            }
            let option = *index
                .options
                .get(position)
                .ok_or_else(|| missing("option"))?;
            if orders {
                if option & INDOPTION_DESC != 0 {
                    out.push_str(" DESC");
                    if option & INDOPTION_NULLS_FIRST == 0 {
                        out.push_str(" NULLS LAST");
                    }
                } else if option & INDOPTION_NULLS_FIRST != 0 {
                    out.push_str(" NULLS FIRST");
                }
            }
        }
        out.push(')');
        if index.nulls_not_distinct {
            out.push_str(" NULLS NOT DISTINCT");
        }
        if let Some(storage) = index.storage {
            out.push_str(" WITH (");
            self.push_options(&mut out, storage);
            out.push(')');
        }
        if let Some(predicate) = index.predicate {
            out.push_str(" WHERE ");
            out.push_str(predicate);
        }
        Ok(out)
    }

    /// `PRIMARY KEY (...)` or `UNIQUE [NULLS NOT DISTINCT] (...)`, then `INCLUDE (...)` when
    /// the index has more columns than the constraint, as `pg_get_constraintdef` (which,
    /// unlike `pg_get_indexdef`, prints no `WITH (...)` and no tablespace).
    pub fn key_definition(
        &self,
        primary: bool,
        nulls_not_distinct: bool,
        columns: &[String],
        include: &[String],
        deferrable: Deferral,
    ) -> String {
        let mut out = String::with_capacity(64);
        if primary {
            out.push_str("PRIMARY KEY (");
        } else if nulls_not_distinct {
            out.push_str("UNIQUE NULLS NOT DISTINCT (");
        } else {
            out.push_str("UNIQUE (");
        }
        self.push_columns(&mut out, columns.iter().map(String::as_str));
        out.push(')');
        if !include.is_empty() {
            out.push_str(" INCLUDE (");
            self.push_columns(&mut out, include.iter().map(String::as_str));
            out.push(')');
        }
        deferrable.push(&mut out);
        out
    }

    /// `FOREIGN KEY (...) REFERENCES schema.table(...) [MATCH FULL] [ON UPDATE ...]
    /// [ON DELETE ... [(...)]]`, as `pg_get_constraintdef`.
    pub fn foreign_key_definition(&self, key: &ForeignKeyParts<'_>) -> Result<String, Mismatch> {
        let mut out = String::with_capacity(96);
        out.push_str("FOREIGN KEY (");
        self.push_columns(&mut out, key.columns.iter().map(String::as_str));
        out.push_str(") REFERENCES ");
        self.push_qualified(&mut out, &key.table.schema, &key.table.name);
        out.push('(');
        self.push_columns(&mut out, key.referenced.iter().map(String::as_str));
        out.push(')');
        match key.match_type {
            'f' => out.push_str(" MATCH FULL"),
            'p' => out.push_str(" MATCH PARTIAL"),
            's' => {}
            other => return Err(format!("unknown confmatchtype {other:?}")),
        }
        for (clause, code) in [
            (" ON UPDATE ", key.on_update),
            (" ON DELETE ", key.on_delete),
        ] {
            let action = match code {
                'a' => continue,
                'r' => "RESTRICT",
                'c' => "CASCADE",
                'n' => "SET NULL",
                'd' => "SET DEFAULT",
                other => return Err(format!("unknown referential action {other:?}")),
            };
            out.push_str(clause);
            out.push_str(action);
        }
        if let Some(columns) = key.delete_columns {
            out.push_str(" (");
            self.push_columns(&mut out, columns.iter().map(String::as_str));
            out.push(')');
        }
        key.deferrable.push(&mut out);
        Ok(out)
    }
}

/// A foreign key's catalog columns, its column numbers turned into names.
#[derive(Debug)]
pub(super) struct ForeignKeyParts<'a> {
    pub columns: &'a [String],
    pub table: &'a QualifiedName,
    pub referenced: &'a [String],
    /// `confmatchtype`, `confupdtype`, `confdeltype`: the catalog's one-letter codes.
    pub match_type: char,
    pub on_update: char,
    pub on_delete: char,
    /// `ON DELETE SET NULL (...)` (`confdelsetcols`, PostgreSQL 15).
    pub delete_columns: Option<&'a [String]>,
    pub deferrable: Deferral,
}

/// `condeferrable` and `condeferred`, printed after a constraint; `NOT VALID` is left out,
/// as the model keeps it apart ([`ratchet_schema::Constraint::validated`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Deferral {
    pub deferrable: bool,
    pub deferred: bool,
}

impl Deferral {
    fn push(self, out: &mut String) {
        if self.deferrable {
            out.push_str(" DEFERRABLE");
        }
        if self.deferred {
            out.push_str(" INITIALLY DEFERRED");
        }
    }
}

/// An identifier as `quote_ident` prints it: bare when it is lower case letters, digits
/// and underscores, starts with a letter or underscore, and is not one of `keywords`
/// (those that are not `UNRESERVED`); otherwise in double quotes, with quotes doubled.
pub(super) fn quote<'s>(keywords: &HashSet<String>, ident: &'s str) -> std::borrow::Cow<'s, str> {
    let bytes = ident.as_bytes();
    let plain = bytes
        .first()
        .is_some_and(|b| b.is_ascii_lowercase() || *b == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && !keywords.contains(ident);
    if plain {
        std::borrow::Cow::Borrowed(ident)
    } else {
        std::borrow::Cow::Owned(format!("\"{}\"", ident.replace('"', "\"\"")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let keywords = ["select", "user", "table", "order", "between", "int"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        Catalog {
            keywords,
            ..Catalog::default()
        }
    }

    #[test]
    fn quotes_as_quote_ident_does() {
        let c = catalog();
        for (ident, quoted) in [
            ("plain", "plain"),
            ("_under9", "_under9"),
            ("Mixed", "\"Mixed\""),
            ("9lives", "\"9lives\""),
            ("with space", "\"with space\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("café", "\"café\""),
            ("user", "\"user\""),
            ("order", "\"order\""),
            // Unreserved keywords are not in the set: bare.
            ("name", "name"),
            ("", "\"\""),
        ] {
            assert_eq!(c.quote(ident), quoted, "{ident}");
        }
    }

    #[test]
    fn options_print_as_get_reloptions() {
        let c = catalog();
        let mut out = String::new();
        let options = [
            "fillfactor=70".to_owned(),
            "deduplicate_items=off".to_owned(),
            "Odd=it's".to_owned(),
            "bare".to_owned(),
            "k=select".to_owned(),
        ];
        c.push_options(&mut out, &options);
        assert_eq!(
            out,
            "fillfactor='70', deduplicate_items=off, \"Odd\"='it''s', bare='', k='select'"
        );
    }

    fn base(category: char, preferred: bool) -> TypeInfo {
        TypeInfo {
            kind: 'b',
            base: 0,
            category,
            preferred,
            array: false,
            element: 0,
            pseudo: None,
        }
    }

    fn pseudo(name: &str) -> TypeInfo {
        TypeInfo {
            pseudo: Some(name.to_owned()),
            kind: 'p',
            ..base('P', false)
        }
    }

    fn class(name: &str, method: u32, input: u32, default: bool) -> Opclass {
        Opclass {
            name: SchemaName {
                schema: "pg_catalog".into(),
                name: name.into(),
            },
            method,
            default,
            input,
        }
    }

    #[test]
    fn default_opclass_decides_as_get_default_opclass() {
        const BTREE: u32 = 403;
        const GIN: u32 = 2742;
        let (text, varchar, bpchar, int4, int4_array, anyarray, mood, anyenum, domain) =
            (25, 1043, 1042, 23, 1007, 2277, 90_000, 3500, 90_001);
        let mut c = catalog();
        c.types.insert(text, base('S', true));
        c.types.insert(varchar, base('S', false));
        c.types.insert(bpchar, base('S', false));
        c.types.insert(int4, base('N', false));
        c.types.insert(
            int4_array,
            TypeInfo {
                array: true,
                element: int4,
                ..base('A', false)
            },
        );
        c.types.insert(anyarray, pseudo("anyarray"));
        c.types.insert(anyenum, pseudo("anyenum"));
        c.types.insert(
            mood,
            TypeInfo {
                kind: 'e',
                ..base('E', false)
            },
        );
        c.types.insert(
            domain,
            TypeInfo {
                kind: 'd',
                base: varchar,
                ..base('S', false)
            },
        );
        c.binary_casts.insert((varchar, text));
        c.binary_casts.insert((varchar, bpchar));
        c.opclasses.insert(1, class("text_ops", BTREE, text, true));
        c.opclasses
            .insert(2, class("bpchar_ops", BTREE, bpchar, true));
        c.opclasses.insert(3, class("int4_ops", BTREE, int4, true));
        c.opclasses
            .insert(4, class("array_ops", BTREE, anyarray, true));
        c.opclasses
            .insert(5, class("enum_ops", BTREE, anyenum, true));
        c.opclasses
            .insert(6, class("text_pattern_ops", BTREE, text, false));
        c.opclasses
            .insert(7, class("array_ops", GIN, anyarray, true));

        assert_eq!(c.default_opclass(text, BTREE), Some(Some(1)), "exact");
        assert_eq!(c.default_opclass(int4, BTREE), Some(Some(3)));
        // varchar: coercible to text (preferred) and bpchar (not): text wins.
        assert_eq!(c.default_opclass(varchar, BTREE), Some(Some(1)));
        // A domain is its base type.
        assert_eq!(c.default_opclass(domain, BTREE), Some(Some(1)));
        assert_eq!(c.default_opclass(int4_array, BTREE), Some(Some(4)));
        assert_eq!(c.default_opclass(int4_array, GIN), Some(Some(7)));
        assert_eq!(c.default_opclass(mood, BTREE), Some(Some(5)));
        assert_eq!(c.default_opclass(int4, GIN), Some(None), "no class at all");
        assert_eq!(c.default_opclass(12345, BTREE), None, "unknown type");

        // Two non-preferred candidates and no exact one: no default.
        c.types.insert(text, base('S', false));
        assert_eq!(c.default_opclass(varchar, BTREE), Some(None));
    }
}
