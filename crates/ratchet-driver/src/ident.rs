//! Identifiers. Every identifier that reaches SQL text goes through [`quote_ident`]; values
//! never do — they are bound parameters.

use std::fmt;

/// `name` or `schema.name`, as configured by `history_table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    pub schema: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid table name {text:?}: expected `name` or `schema.name` (use double quotes around a part that contains a dot)")]
pub struct TableNameError {
    pub text: String,
}

impl TableName {
    /// Parses `name`, `schema.name`, or either part double-quoted (`"my.schema".history`).
    pub fn parse(text: &str) -> Result<TableName, TableNameError> {
        let err = || TableNameError {
            text: text.to_owned(),
        };
        let mut parts = Vec::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            let (part, after) = if let Some(quoted) = rest.strip_prefix('"') {
                let mut value = String::new();
                let mut chars = quoted.char_indices();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    if c == '"' {
                        if quoted[i + 1..].starts_with('"') {
                            value.push('"');
                            chars.next();
                        } else {
                            end = Some(i + 1);
                            break;
                        }
                    } else {
                        value.push(c);
                    }
                }
                let end = end.ok_or_else(err)?;
                (value, &quoted[end..])
            } else {
                let end = rest.find('.').unwrap_or(rest.len());
                (rest[..end].to_owned(), &rest[end..])
            };
            if part.is_empty() {
                return Err(err());
            }
            parts.push(part);
            rest = match after.strip_prefix('.') {
                Some(r) if !r.is_empty() => r,
                Some(_) => return Err(err()),
                None if after.is_empty() => after,
                None => return Err(err()),
            };
        }
        match parts.len() {
            1 => Ok(TableName {
                schema: None,
                name: parts.remove(0),
            }),
            2 => Ok(TableName {
                name: parts.remove(1),
                schema: Some(parts.remove(0)),
            }),
            _ => Err(err()),
        }
    }

    /// The table name quoted for SQL, schema-qualified when a schema was given.
    pub fn quoted(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", quote_ident(schema), quote_ident(&self.name)),
            None => quote_ident(&self.name),
        }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Double-quotes an identifier, doubling embedded quotes. Valid for PostgreSQL and SQLite.
pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_quotes() {
        let t = TableName::parse("ops.ratchet_history").unwrap();
        assert_eq!(t.quoted(), r#""ops"."ratchet_history""#);
        let t = TableName::parse(r#""we""ird.s".Hist"#).unwrap();
        assert_eq!(t.schema.as_deref(), Some(r#"we"ird.s"#));
        assert_eq!(t.quoted(), r#""we""ird.s"."Hist""#);
        assert!(TableName::parse("a.b.c").is_err());
        assert!(TableName::parse("a.").is_err());
        assert!(TableName::parse("").is_err());
    }
}
