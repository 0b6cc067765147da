//! Names of schema objects: `schema.name`, and a function's `schema.name(arguments)`.
//!
//! This is ratchet's own notation, not SQL: each part is the name exactly as the catalog
//! stores it (case-sensitive, no folding), and a part is double-quoted only when it could not
//! be read back otherwise (it is empty, or contains `.`, `"`, `(` or surrounding spaces).
//! So `public.users`, `public.Users` and `"my.schema".t` all round-trip through
//! [`QualifiedName::parse`] and `Display`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A schema-qualified object name. Orders by schema, then name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

/// A name that is not `name` or `schema.name` (or, for a function, lacks its argument list).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object name {text:?}: {reason}")]
pub struct NameError {
    pub text: String,
    pub reason: &'static str,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> QualifiedName {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// Parses `name` or `schema.name` (either part may be double-quoted, `""` inside quotes
    /// being one quote). An unqualified name is put in `default_schema`.
    pub fn parse(text: &str, default_schema: &str) -> Result<QualifiedName, NameError> {
        let (parts, rest) = parse_parts(text)?;
        if !rest.is_empty() {
            return Err(error(text, "unexpected text after the name"));
        }
        from_parts(text, parts, Some(default_schema))
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_part(f, &self.schema)?;
        f.write_str(".")?;
        write_part(f, &self.name)
    }
}

/// Requires the schema: a serialised name is always qualified.
impl FromStr for QualifiedName {
    type Err = NameError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (parts, rest) = parse_parts(text)?;
        if !rest.is_empty() {
            return Err(error(text, "unexpected text after the name"));
        }
        from_parts(text, parts, None)
    }
}

/// A function or procedure: its qualified name and its input argument types, which together
/// tell overloads apart, as PostgreSQL prints them (`oidvectortypes(proargtypes)`:
/// `integer, text`, user types schema-qualified). Displayed `public.add(integer, integer)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionId {
    pub name: QualifiedName,
    pub arguments: String,
}

impl FunctionId {
    pub fn new(name: QualifiedName, arguments: impl Into<String>) -> FunctionId {
        FunctionId {
            name,
            arguments: arguments.into(),
        }
    }

    /// Parses `name(args)` or `schema.name(args)`; an unqualified name is put in
    /// `default_schema`. The arguments are taken verbatim.
    pub fn parse(text: &str, default_schema: &str) -> Result<FunctionId, NameError> {
        parse_function(text, Some(default_schema))
    }
}

impl fmt::Display for FunctionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name, self.arguments)
    }
}

impl FromStr for FunctionId {
    type Err = NameError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_function(text, None)
    }
}

fn parse_function(text: &str, default_schema: Option<&str>) -> Result<FunctionId, NameError> {
    let (parts, rest) = parse_parts(text)?;
    let name = from_parts(text, parts, default_schema)?;
    let arguments = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| error(text, "expected an argument list in parentheses"))?;
    Ok(FunctionId {
        name,
        arguments: arguments.to_owned(),
    })
}

fn error(text: &str, reason: &'static str) -> NameError {
    NameError {
        text: text.to_owned(),
        reason,
    }
}

fn needs_quotes(part: &str) -> bool {
    part.is_empty()
        || part.contains(['.', '"', '('])
        || part.starts_with(char::is_whitespace)
        || part.ends_with(char::is_whitespace)
}

fn write_part(f: &mut fmt::Formatter<'_>, part: &str) -> fmt::Result {
    if needs_quotes(part) {
        write!(f, "\"{}\"", part.replace('"', "\"\""))
    } else {
        f.write_str(part)
    }
}

/// Reads up to two dot-separated parts; returns them and the unread rest (which starts at a
/// `(` for a function).
fn parse_parts(text: &str) -> Result<(Vec<String>, &str), NameError> {
    let mut parts = Vec::new();
    let mut rest = text;
    loop {
        let (part, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut end = None;
            let mut chars = quoted.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if c != '"' {
                    value.push(c);
                } else if chars.peek().is_some_and(|&(_, next)| next == '"') {
                    value.push('"');
                    chars.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            }
            let end = end.ok_or_else(|| error(text, "unterminated double quote"))?;
            (value, &quoted[end..])
        } else {
            let end = rest.find(['.', '(']).unwrap_or(rest.len());
            if end == 0 {
                return Err(error(text, "empty name part"));
            }
            (rest[..end].to_owned(), &rest[end..])
        };
        parts.push(part);
        match after.strip_prefix('.') {
            Some(next) if parts.len() < 2 => rest = next,
            Some(_) => return Err(error(text, "more than two dot-separated parts")),
            None => return Ok((parts, after)),
        }
    }
}

fn from_parts(
    text: &str,
    mut parts: Vec<String>,
    default_schema: Option<&str>,
) -> Result<QualifiedName, NameError> {
    match (parts.len(), default_schema) {
        (1, Some(schema)) => Ok(QualifiedName::new(schema, parts.remove(0))),
        (1, None) => Err(error(text, "expected schema.name")),
        _ => {
            let name = parts.remove(1);
            Ok(QualifiedName::new(parts.remove(0), name))
        }
    }
}

macro_rules! string_serde {
    ($type:ty) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

// As strings, so that maps keyed by names are JSON objects.
string_serde!(QualifiedName);
string_serde!(FunctionId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        let n = QualifiedName::parse("users", "public").unwrap();
        assert_eq!(n, QualifiedName::new("public", "users"));
        assert_eq!(n.to_string(), "public.users");
        let n = QualifiedName::parse(r#""my.schema"."Weird""Name""#, "public").unwrap();
        assert_eq!(n.schema, "my.schema");
        assert_eq!(n.name, "Weird\"Name");
        assert_eq!(n.to_string(), r#""my.schema"."Weird""Name""#);
        assert_eq!(n.to_string().parse::<QualifiedName>().unwrap(), n);
        assert!("users".parse::<QualifiedName>().is_err());
        assert!(QualifiedName::parse("a.b.c", "public").is_err());
        assert!(QualifiedName::parse("a.", "public").is_err());
        assert!(QualifiedName::parse("", "public").is_err());
    }

    #[test]
    fn function_ids() {
        let f = FunctionId::parse("add(integer, integer)", "public").unwrap();
        assert_eq!(f.to_string(), "public.add(integer, integer)");
        assert_eq!(f.to_string().parse::<FunctionId>().unwrap(), f);
        let f: FunctionId = "s.now()".parse().unwrap();
        assert_eq!(f.arguments, "");
        assert!(FunctionId::parse("add", "public").is_err());
    }
}
