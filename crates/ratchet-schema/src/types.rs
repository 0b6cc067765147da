//! Comparing a column type someone declared (`int`, `varchar(20)`, `timestamptz`, in a
//! model or `schema.toml`) with the type the database reports ([`crate::Column::data_type`]:
//! `integer`, `character varying(20)`, `timestamp with time zone`).
//!
//! PostgreSQL: [`normalize`] rewrites the aliases PostgreSQL itself accepts into the names
//! `format_type()` prints, so `same_type(Postgres, "int4", "integer")` holds. Introspection
//! prints user-defined types schema-qualified (`public.mood`); the default schema is dropped
//! when comparing, so a declared `mood` matches. `serial` is `integer` (the sequence is a
//! default, not a type).
//!
//! SQLite keeps whatever text a column was declared with; comparison ignores case and
//! spacing. [`sqlite_affinity`] gives the storage class rules SQLite itself applies.

use crate::model::Dialect;

/// `declared` in the form the database prints it, for comparison.
pub fn normalize(dialect: Dialect, declared: &str) -> String {
    match dialect {
        Dialect::Postgres => normalize_postgres(declared),
        Dialect::Sqlite => normalize_sqlite(declared),
    }
}

/// Whether `a` and `b` name the same type in `dialect`.
pub fn same_type(dialect: Dialect, a: &str, b: &str) -> bool {
    normalize(dialect, a) == normalize(dialect, b)
}

/// SQLite's type affinity of a declared type (section 3.1 of SQLite's "Datatypes" page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

/// The affinity SQLite gives a column declared `declared`. The rules apply in order: `INT`
/// anywhere, then `CHAR`/`CLOB`/`TEXT`, then `BLOB` or no type, then `REAL`/`FLOA`/`DOUB`.
pub fn sqlite_affinity(declared: &str) -> Affinity {
    let upper = declared.to_ascii_uppercase();
    if upper.contains("INT") {
        Affinity::Integer
    } else if ["CHAR", "CLOB", "TEXT"].iter().any(|s| upper.contains(s)) {
        Affinity::Text
    } else if upper.contains("BLOB") || upper.trim().is_empty() {
        Affinity::Blob
    } else if ["REAL", "FLOA", "DOUB"].iter().any(|s| upper.contains(s)) {
        Affinity::Real
    } else {
        Affinity::Numeric
    }
}

fn normalize_sqlite(declared: &str) -> String {
    tidy(declared).to_ascii_uppercase()
}

/// Collapses whitespace, and drops it next to parentheses and commas.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.trim().chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !matches!(c, '(' | ')' | ',') && !out.ends_with(['(', ',']) {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// Lowercases outside double quotes (PostgreSQL folds unquoted identifiers).
fn fold_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        out.push(if quoted { c } else { c.to_ascii_lowercase() });
    }
    out
}

fn normalize_postgres(declared: &str) -> String {
    let mut text = fold_case(&tidy(declared));
    // Arrays: PostgreSQL records no dimensions, and `format_type` prints one `[]`.
    let mut array = false;
    loop {
        if let Some(rest) = text.strip_suffix(']') {
            if let Some(open) = rest.rfind('[') {
                if rest[open + 1..].chars().all(|c| c.is_ascii_digit()) {
                    text = rest[..open].trim_end().to_owned();
                    array = true;
                    continue;
                }
            }
        }
        if let Some(rest) = text.strip_suffix(" array") {
            text = rest.to_owned();
            array = true;
            continue;
        }
        break;
    }
    let text = text
        .strip_prefix("pg_catalog.")
        .or_else(|| text.strip_prefix("public."))
        .unwrap_or(&text)
        .to_owned();
    // Split off the modifier: `timestamp(3) with time zone` -> `timestamp with time zone`
    // and `(3)`.
    let (name, modifier) = match (text.find('('), text.find(')')) {
        (Some(open), Some(close)) if close > open && !text.starts_with('"') => {
            let name = format!("{}{}", &text[..open], &text[close + 1..]);
            (tidy(&name), Some(text[open..=close].to_owned()))
        }
        _ => (text, None),
    };
    let modifier = modifier.unwrap_or_default();
    let base = match name.as_str() {
        "int" | "int4" | "integer" | "serial" | "serial4" => "integer".to_owned(),
        "int2" | "smallint" | "smallserial" | "serial2" => "smallint".to_owned(),
        "int8" | "bigint" | "bigserial" | "serial8" => "bigint".to_owned(),
        "float4" | "real" => "real".to_owned(),
        "float8" | "double precision" => "double precision".to_owned(),
        "float" => {
            // float(1..24) is real, anything else double precision.
            let precision = modifier
                .trim_matches(['(', ')'])
                .parse::<u32>()
                .unwrap_or(53);
            return with_array(
                if precision <= 24 {
                    "real"
                } else {
                    "double precision"
                }
                .to_owned(),
                array,
            );
        }
        "bool" | "boolean" => "boolean".to_owned(),
        "varchar" | "character varying" | "char varying" => {
            format!("character varying{modifier}")
        }
        "char" | "character" if modifier.is_empty() => "character(1)".to_owned(),
        "char" | "character" | "bpchar" => format!("character{modifier}"),
        "bit" if modifier.is_empty() => "bit(1)".to_owned(),
        "varbit" | "bit varying" => format!("bit varying{modifier}"),
        "decimal" | "numeric" => format!("numeric{modifier}"),
        "timestamptz" | "timestamp with time zone" => {
            format!("timestamp{modifier} with time zone")
        }
        "timestamp" | "timestamp without time zone" => {
            format!("timestamp{modifier} without time zone")
        }
        "timetz" | "time with time zone" => format!("time{modifier} with time zone"),
        "time" | "time without time zone" => format!("time{modifier} without time zone"),
        other => format!("{other}{modifier}"),
    };
    with_array(base, array)
}

fn with_array(base: String, array: bool) -> String {
    if array {
        format!("{base}[]")
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_aliases_match_format_type() {
        let pg = |a: &str, b: &str| same_type(Dialect::Postgres, a, b);
        assert!(pg("int", "integer"));
        assert!(pg("INT4", "integer"));
        assert!(pg("serial", "integer"));
        assert!(pg("bigserial", "bigint"));
        assert!(pg("varchar(20)", "character varying(20)"));
        assert!(pg("VARCHAR ( 20 )", "character varying(20)"));
        assert!(pg("timestamptz", "timestamp with time zone"));
        assert!(pg("timestamptz(3)", "timestamp(3) with time zone"));
        assert!(pg("timestamp", "timestamp without time zone"));
        assert!(pg("decimal(10, 2)", "numeric(10,2)"));
        assert!(pg("float", "double precision"));
        assert!(pg("float(10)", "real"));
        assert!(pg("bool", "boolean"));
        assert!(pg("char", "character(1)"));
        assert!(pg("int[][]", "integer[]"));
        assert!(pg("text array", "text[]"));
        assert!(pg("mood", "public.mood"));
        assert!(pg("pg_catalog.int8", "bigint"));
        assert!(pg("uuid", "uuid"));
        assert!(!pg("integer", "uuid"));
        assert!(!pg("varchar(20)", "character varying(30)"));
        assert!(!pg("timestamp", "timestamptz"));
        assert!(!pg("app.mood", "public.mood"));
        assert!(!pg(r#""Mood""#, "mood"));
    }

    #[test]
    fn sqlite_ignores_case_and_spacing() {
        assert!(same_type(Dialect::Sqlite, "varchar (20)", "VARCHAR(20)"));
        assert!(!same_type(Dialect::Sqlite, "INTEGER", "INT"));
        assert_eq!(sqlite_affinity("BIGINT"), Affinity::Integer);
        assert_eq!(sqlite_affinity("varchar(20)"), Affinity::Text);
        assert_eq!(sqlite_affinity(""), Affinity::Blob);
        assert_eq!(sqlite_affinity("DOUBLE"), Affinity::Real);
        assert_eq!(sqlite_affinity("DECIMAL(10,2)"), Affinity::Numeric);
    }
}
