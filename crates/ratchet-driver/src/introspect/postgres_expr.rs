//! Expressions printed from their stored node trees (`pg_node_tree`: `conbin`, `indexprs`,
//! `indpred`), byte for byte as PostgreSQL 15's printers (`ruleutils.c`) print them.
//!
//! Why (issue 3, `bench/diff.py`): to print a CHECK constraint, an index expression or a
//! predicate, the server opens the table to learn its column names (a relation cache
//! build on a new backend), for every table that has one. On 2,000 tables that was about
//! 30 % of the introspection's server time. The node trees name columns by number, and
//! the introspection has already read the numbers' names, so it prints them here.
//!
//! What is printed: column references, constants of the common types (booleans, integers,
//! `numeric`, floats, strings, enum labels), operators, function calls and casts, `AND`,
//! `OR`, `NOT`, `IS [NOT] NULL`, `IS [NOT] TRUE`..., `IS DISTINCT FROM`, `op ANY/ALL
//! (array)`, `ARRAY[...]`, `COALESCE`, `NULLIF` and `COLLATE`, in the plain form of
//! `pg_get_constraintdef` and the pretty form of `pg_get_expr(..., true)`. Anything else
//! (a `CASE`, a sub-select, a constant of another type, an operator or function the
//! server would name differently from here) makes [`template`] answer `None`, and the
//! caller asks the server for that object. Only for PostgreSQL 15, whose printers these
//! are: other versions keep the server's.
//!
//! The proof is `postgres::tests::client_printed_expressions_are_the_servers`, which
//! compares every expression printed here with the server's on a schema of many shapes
//! (`expression_variants.sql`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use serde::Deserialize;

use super::postgres_ddl::{quote, SchemaName};

const BOOL: u32 = 16;
const INT8: u32 = 20;
const INT2: u32 = 21;
const INT4: u32 = 23;
const TEXT: u32 = 25;
const OID: u32 = 26;
const FLOAT4: u32 = 700;
const FLOAT8: u32 = 701;
const BPCHAR: u32 = 1042;
const VARCHAR: u32 = 1043;
const NUMERIC: u32 = 1700;
const NAME: u32 = 19;
const UNKNOWN: u32 = 705;
const RECORD: u32 = 2249;
const ANYENUM: u32 = 3500;

/// `CoercionForm`.
const COERCE_EXPLICIT_CALL: i64 = 0;
const COERCE_EXPLICIT_CAST: i64 = 1;
const COERCE_IMPLICIT_CAST: i64 = 2;

/// What printing looks up: keywords (for quoting), collations, and the [`ExprCatalog`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Names<'a> {
    pub keywords: &'a HashSet<String>,
    pub collations: &'a HashMap<u32, SchemaName>,
    pub expressions: &'a ExprCatalog,
}

impl Names<'_> {
    fn quote<'s>(&self, ident: &'s str) -> std::borrow::Cow<'s, str> {
        quote(self.keywords, ident)
    }
}

/// What the printers look up about operators, functions, types and enum labels, beyond
/// the catalog's keywords and collations.
#[derive(Debug, Default)]
pub(super) struct ExprCatalog {
    pub operators: HashMap<u32, Operator>,
    pub functions: HashMap<u32, Routine>,
    /// `pg_catalog` function names that some overload makes ambiguous to look up by
    /// argument types alone (a VARIADIC argument or defaults): such calls go to the server.
    pub ambiguous_functions: HashSet<String>,
    pub types: HashMap<u32, TypeName>,
    /// `pg_enum` row oid -> label: an enum constant holds its label's oid.
    pub enum_labels: HashMap<u32, String>,
}

#[derive(Debug)]
pub(super) struct Operator {
    pub schema: String,
    pub name: String,
    /// `b` (binary) or `l` (prefix).
    pub kind: char,
    pub left: u32,
    pub right: u32,
}

#[derive(Debug)]
pub(super) struct Routine {
    pub schema: String,
    pub name: String,
    pub args: Vec<u32>,
}

#[derive(Debug)]
pub(super) struct TypeName {
    /// `format_type(oid, -1)` under the introspection's `search_path`.
    pub formatted: String,
    /// `typtype`.
    pub kind: char,
    /// `typcollation`.
    pub collation: u32,
    /// `typelem` of an array type, else 0.
    pub element: u32,
}

/// The operators, functions and types a set of trees refers to: what [`ExprCatalog`]
/// must hold to print them, asked of the server with [`names_statement`].
#[derive(Debug, Default)]
pub(super) struct Referenced {
    pub functions: BTreeSet<u32>,
    pub operators: BTreeSet<u32>,
    pub types: BTreeSet<u32>,
}

/// Fields that hold a type's oid, in the nodes printed here.
const TYPE_FIELDS: [&str; 10] = [
    "vartype",
    "consttype",
    "opresulttype",
    "funcresulttype",
    "resulttype",
    "array_typeid",
    "element_typeid",
    "coalescetype",
    "typeId",
    "minmaxtype",
];

impl Referenced {
    pub fn add(&mut self, tree: &Value<'_>) {
        match tree {
            Value::Node(node) => {
                for (name, value) in &node.fields {
                    let set = match *name {
                        "funcid" => &mut self.functions,
                        "opno" => &mut self.operators,
                        name if TYPE_FIELDS.contains(&name) => &mut self.types,
                        _ => {
                            self.add(value);
                            continue;
                        }
                    };
                    if let Value::Token(oid) = value {
                        set.extend(oid.parse::<u32>());
                    }
                }
            }
            Value::List(items) => items.iter().for_each(|item| self.add(item)),
            _ => {}
        }
    }
}

/// The statement that reads what printing `referenced` needs, as one JSON document for
/// [`ExprCatalog::from_json`]: a few hundred rows at most, where reading all of
/// `pg_proc`, `pg_operator` and `pg_type` cost the server 15 ms on a new backend. Only
/// oids are spliced in. A `pg_catalog` function's name is ambiguous when a function of that
/// name takes VARIADIC arguments or has defaults: looking it up by argument types may then
/// find another.
pub(super) fn names_statement(referenced: &Referenced) -> String {
    let list = |oids: &BTreeSet<u32>| {
        let texts: Vec<String> = oids.iter().map(u32::to_string).collect();
        format!("'{{{}}}'::oid[]", texts.join(","))
    };
    let (functions, operators, types) = (
        list(&referenced.functions),
        list(&referenced.operators),
        list(&referenced.types),
    );
    format!(
        "SELECT json_build_object(\
         'functions', (SELECT json_agg(json_build_array(p.oid::int8, n.nspname, p.proname, \
         p.proargtypes::oid[]::int8[], n.nspname = 'pg_catalog' AND EXISTS (SELECT FROM pg_proc q \
         WHERE q.proname = p.proname AND q.pronamespace = p.pronamespace \
         AND (q.provariadic <> 0 OR q.pronargdefaults > 0)))) \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = ANY({functions})), \
         'operators', (SELECT json_agg(json_build_array(o.oid::int8, n.nspname, o.oprname, \
         o.oprkind, o.oprleft::int8, o.oprright::int8)) FROM pg_operator o \
         JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE o.oid = ANY({operators})), \
         'types', (SELECT json_agg(json_build_array(t.oid::int8, format_type(t.oid, -1), t.typtype, \
         t.typcollation::int8, CASE WHEN t.typsubscript = 'pg_catalog.array_subscript_handler'::regproc \
         THEN t.typelem::int8 ELSE 0 END)) FROM pg_type t WHERE t.oid = ANY({types}) \
         OR t.oid IN (SELECT e.typelem FROM pg_type e WHERE e.oid = ANY({types}))), \
         'labels', (SELECT json_agg(json_build_array(e.oid::int8, e.enumlabel)) FROM pg_enum e \
         WHERE e.enumtypid = ANY({types}) \
         OR e.enumtypid IN (SELECT t.typelem FROM pg_type t WHERE t.oid = ANY({types}))))"
    )
}

/// (oid, schema, name, argument types, ambiguous name).
type FunctionEntry = (u32, String, String, Vec<u32>, bool);
/// (oid, schema, name, kind, left, right).
type OperatorEntry = (u32, String, String, char, u32, u32);
/// (oid, `format_type`, kind, collation, array element).
type TypeEntry = (u32, String, char, u32, u32);

/// [`names_statement`]'s document.
#[derive(Debug, Default, Deserialize)]
struct NamesDocument {
    #[serde(default)]
    functions: Option<Vec<FunctionEntry>>,
    #[serde(default)]
    operators: Option<Vec<OperatorEntry>>,
    #[serde(default)]
    types: Option<Vec<TypeEntry>>,
    #[serde(default)]
    labels: Option<Vec<(u32, String)>>,
}

impl ExprCatalog {
    pub fn from_json(json: &str) -> Result<ExprCatalog, serde_json::Error> {
        let document: NamesDocument = serde_json::from_str(json)?;
        let mut catalog = ExprCatalog::default();
        for (oid, schema, name, args, ambiguous) in document.functions.unwrap_or_default() {
            if ambiguous {
                catalog.ambiguous_functions.insert(name.clone());
            }
            catalog
                .functions
                .insert(oid, Routine { schema, name, args });
        }
        for (oid, schema, name, kind, left, right) in document.operators.unwrap_or_default() {
            let operator = Operator {
                schema,
                name,
                kind,
                left,
                right,
            };
            catalog.operators.insert(oid, operator);
        }
        for (oid, formatted, kind, collation, element) in document.types.unwrap_or_default() {
            let name = TypeName {
                formatted,
                kind,
                collation,
                element,
            };
            catalog.types.insert(oid, name);
        }
        catalog
            .enum_labels
            .extend(document.labels.unwrap_or_default());
        Ok(catalog)
    }
}

/// A stored node tree, read.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value<'a> {
    Node(Node<'a>),
    List(Vec<Value<'a>>),
    /// A scalar field: a number, `true`, a name...
    Token(&'a str),
    /// A constant's bytes (`:constvalue 4 [ 1 0 0 0 0 0 0 0 ]`).
    Datum(Vec<u8>),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node<'a> {
    pub tag: &'a str,
    fields: Vec<(&'a str, Value<'a>)>,
}

impl<'a> Node<'a> {
    fn field(&self, name: &str) -> Option<&Value<'a>> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn node(&self, name: &str) -> Option<&Node<'a>> {
        match self.field(name)? {
            Value::Node(node) => Some(node),
            _ => None,
        }
    }

    fn list(&self, name: &str) -> Option<&[Value<'a>]> {
        match self.field(name)? {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    fn int(&self, name: &str) -> Option<i64> {
        match self.field(name)? {
            Value::Token(t) => t.parse().ok(),
            _ => None,
        }
    }

    fn oid(&self, name: &str) -> Option<u32> {
        u32::try_from(self.int(name)?).ok()
    }

    fn flag(&self, name: &str) -> Option<bool> {
        match self.field(name)? {
            Value::Token("true") => Some(true),
            Value::Token("false") => Some(false),
            _ => None,
        }
    }

    fn token(&self, name: &str) -> Option<&'a str> {
        match self.field(name)? {
            Value::Token(t) => Some(t),
            _ => None,
        }
    }

    /// The `args` list's nodes.
    fn args(&self) -> Option<Vec<&Node<'a>>> {
        self.list("args")?.iter().map(as_node).collect()
    }
}

fn as_node<'v, 'a>(value: &'v Value<'a>) -> Option<&'v Node<'a>> {
    match value {
        Value::Node(node) => Some(node),
        _ => None,
    }
}

/// Reads a node tree as the server's `stringToNode` would: `None` if it is not one.
pub(super) fn read(text: &str) -> Option<Value<'_>> {
    let mut reader = Reader { text, at: 0 };
    let value = reader.value()?;
    reader.token().is_none().then_some(value)
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    /// The next token, as the server's `pg_strtok` splits them: `(`, `)`, `{` and `}` on
    /// their own, else up to whitespace or one of those, a backslash escaping the next byte.
    fn token(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() && matches!(bytes[self.at], b' ' | b'\n' | b'\t') {
            self.at += 1;
        }
        let start = self.at;
        let first = *bytes.get(start)?;
        if matches!(first, b'(' | b')' | b'{' | b'}') {
            self.at += 1;
            return self.text.get(start..self.at);
        }
        while let Some(&b) = bytes.get(self.at) {
            match b {
                b' ' | b'\n' | b'\t' | b'(' | b')' | b'{' | b'}' => break,
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
        self.at = self.at.min(bytes.len());
        self.text.get(start..self.at)
    }

    fn peek(&mut self) -> Option<&'a str> {
        let at = self.at;
        let token = self.token();
        self.at = at;
        token
    }

    fn value(&mut self) -> Option<Value<'a>> {
        match self.token()? {
            "{" => self.node().map(Value::Node),
            "(" => self.list(),
            "<>" => Some(Value::Null),
            token => Some(Value::Token(token)),
        }
    }

    fn node(&mut self) -> Option<Node<'a>> {
        let tag = self.token()?;
        let mut fields = Vec::with_capacity(12);
        loop {
            match self.token()? {
                "}" => return Some(Node { tag, fields }),
                field => {
                    let name = field.strip_prefix(':')?;
                    let value = if name == "constvalue" {
                        self.datum()?
                    } else {
                        self.value()?
                    };
                    fields.push((name, value));
                }
            }
        }
    }

    fn list(&mut self) -> Option<Value<'a>> {
        let mut items = Vec::new();
        // Integer, oid and bitmap lists start with a letter: kept as tokens.
        loop {
            match self.peek()? {
                ")" => {
                    self.token();
                    return Some(Value::List(items));
                }
                _ => items.push(self.value()?),
            }
        }
    }

    /// `<>`, or a length and `[ b0 b1 ... ]`, the bytes as signed decimals.
    fn datum(&mut self) -> Option<Value<'a>> {
        let length = self.token()?;
        if length == "<>" {
            return Some(Value::Null);
        }
        let length: usize = length.parse().ok()?;
        if self.token()? != "[" {
            return None;
        }
        let mut bytes = Vec::with_capacity(length.max(8));
        loop {
            match self.token()? {
                "]" => break,
                byte => bytes.push(byte.parse::<i16>().ok()? as u8),
            }
        }
        Some(Value::Datum(bytes))
    }
}

/// How an expression is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// `pg_get_constraintdef(oid)`, `pg_get_indexdef(oid)`: every operator in parentheses.
    Plain,
    /// `pg_get_expr(expr, rel, true)`, `pg_get_indexdef(oid, n, true)`: parentheses only
    /// where precedence needs them.
    Pretty,
}

/// `expression` (one node of a tree) as the server prints it in `style`, but with its
/// columns left as `\0attnum\0` marks for [`fill`]; `None` if it has a part printed only
/// by the server. Trees that differ only in which table they are on print alike but for
/// the names, and most CHECK constraints of a large schema repeat a few shapes (2,000
/// tables: 1,423 distinct trees for 8,099 constraints), so a template serves many.
pub(super) fn template(expression: &Node<'_>, style: Style, catalog: Names<'_>) -> Option<String> {
    let mut printer = Printer {
        out: String::with_capacity(64),
        pretty: style == Style::Pretty,
        catalog,
        names: catalog.expressions,
    };
    printer.expr(expression, false)?;
    Some(printer.out)
}

/// A [`template`] with its columns named by `column`, quoted as identifiers.
pub(super) fn fill<'c>(
    template: &str,
    keywords: &HashSet<String>,
    column: &dyn Fn(i16) -> Option<&'c str>,
) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 16);
    for (i, part) in template.split('\0').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        } else {
            out.push_str(&quote(keywords, column(part.parse().ok()?)?));
        }
    }
    Some(out)
}

/// The nodes of an `indexprs` list.
pub(super) fn list_nodes<'v, 'a>(tree: &'v Value<'a>) -> Option<Vec<&'v Node<'a>>> {
    match tree {
        Value::List(items) => items.iter().map(as_node).collect(),
        _ => None,
    }
}

/// The node of a single expression (`conbin`, `indpred`).
pub(super) fn single_node<'v, 'a>(tree: &'v Value<'a>) -> Option<&'v Node<'a>> {
    as_node(tree)
}

/// Whether an index key prints without parentheses around it (`looks_like_function`).
pub(super) fn looks_like_function(node: &Node<'_>) -> bool {
    match node.tag {
        "FUNCEXPR" => matches!(node.int("funcformat"), Some(0 | 3)),
        "NULLIFEXPR" | "COALESCEEXPR" | "MINMAXEXPR" | "SQLVALUEFUNCTION" | "XMLEXPR" => true,
        _ => false,
    }
}

/// `exprType`.
pub(super) fn type_of(node: &Node<'_>) -> Option<u32> {
    match node.tag {
        "VAR" => node.oid("vartype"),
        "CONST" => node.oid("consttype"),
        "OPEXPR" | "NULLIFEXPR" => node.oid("opresulttype"),
        "FUNCEXPR" => node.oid("funcresulttype"),
        "RELABELTYPE" | "COERCEVIAIO" | "ARRAYCOERCEEXPR" => node.oid("resulttype"),
        "BOOLEXPR" | "NULLTEST" | "BOOLEANTEST" | "SCALARARRAYOPEXPR" | "DISTINCTEXPR" => {
            Some(BOOL)
        }
        "ARRAYEXPR" => node.oid("array_typeid"),
        "COALESCEEXPR" => node.oid("coalescetype"),
        "COLLATEEXPR" => type_of(node.node("arg")?),
        _ => None,
    }
}

/// `exprCollation`.
pub(super) fn collation_of(node: &Node<'_>) -> Option<u32> {
    match node.tag {
        "VAR" => node.oid("varcollid"),
        "CONST" => node.oid("constcollid"),
        "OPEXPR" | "NULLIFEXPR" => node.oid("opcollid"),
        "FUNCEXPR" => node.oid("funccollid"),
        "RELABELTYPE" | "COERCEVIAIO" | "ARRAYCOERCEEXPR" => node.oid("resultcollid"),
        "BOOLEXPR" | "NULLTEST" | "BOOLEANTEST" | "SCALARARRAYOPEXPR" | "DISTINCTEXPR" => Some(0),
        "ARRAYEXPR" => node.oid("array_collid"),
        "COALESCEEXPR" => node.oid("coalescecollid"),
        "COLLATEEXPR" => node.oid("collOid"),
        _ => None,
    }
}

struct Printer<'p> {
    out: String,
    pretty: bool,
    catalog: Names<'p>,
    names: &'p ExprCatalog,
}

impl Printer<'_> {
    /// `(` in the plain style, where the server writes one whatever the context.
    fn open(&mut self) {
        if !self.pretty {
            self.out.push('(');
        }
    }

    fn close(&mut self) {
        if !self.pretty {
            self.out.push(')');
        }
    }

    /// `get_rule_expr_paren`.
    fn paren(&mut self, node: &Node<'_>, show_implicit: bool, parent: &Node<'_>) -> Option<()> {
        let wrap = self.pretty && !self.is_simple(node, parent)?;
        if wrap {
            self.out.push('(');
        }
        self.expr(node, show_implicit)?;
        if wrap {
            self.out.push(')');
        }
        Some(())
    }

    /// `isSimpleNode`, for the pretty style.
    fn is_simple(&self, node: &Node<'_>, parent: &Node<'_>) -> Option<bool> {
        let own_parentheses = |parent: &Node<'_>| match parent.tag {
            "FUNCEXPR" => Some(!matches!(parent.int("funcformat")?, 1..=3)),
            "BOOLEXPR" | "ARRAYEXPR" | "COALESCEEXPR" | "NULLIFEXPR" | "CASEEXPR" => Some(true),
            _ => Some(false),
        };
        Some(match node.tag {
            "VAR" | "CONST" | "COERCETODOMAINVALUE" => true,
            "ARRAYEXPR" | "COALESCEEXPR" | "NULLIFEXPR" | "FUNCEXPR" => true,
            "RELABELTYPE" | "COERCEVIAIO" | "ARRAYCOERCEEXPR" => {
                self.is_simple(node.node("arg")?, node)?
            }
            "OPEXPR" if parent.tag == "OPEXPR" => {
                let Some(op) = self.single_char_operator(node)? else {
                    return Some(false);
                };
                let Some(parent_op) = self.single_char_operator(parent)? else {
                    return Some(false);
                };
                let low = |c: char| matches!(c, '+' | '-');
                let high = |c: char| matches!(c, '*' | '/' | '%');
                if !(low(op) || high(op)) || !(low(parent_op) || high(parent_op)) {
                    false
                } else if high(op) && low(parent_op) {
                    true
                } else if low(op) && high(parent_op) {
                    false
                } else {
                    // Same priority: (a - b) - c needs none, a - (b - c) does.
                    let first = parent.args()?.first().copied()?;
                    std::ptr::eq(first, node)
                }
            }
            "OPEXPR" | "NULLTEST" | "BOOLEANTEST" | "DISTINCTEXPR" => own_parentheses(parent)?,
            "BOOLEXPR" => match parent.tag {
                "BOOLEXPR" => {
                    let own = node.token("boolop")?;
                    let theirs = parent.token("boolop")?;
                    match own {
                        "not" | "and" => matches!(theirs, "and" | "or"),
                        _ => theirs == "or",
                    }
                }
                _ => own_parentheses(parent)?,
            },
            _ => false,
        })
    }

    /// `get_simple_binary_op_name`: the operator of a binary `OpExpr` when it prints as
    /// one character.
    fn single_char_operator(&self, node: &Node<'_>) -> Option<Option<char>> {
        let args = node.args()?;
        if args.len() != 2 {
            return Some(None);
        }
        let name = self.operator_name(node.oid("opno")?, type_of(args[0])?, type_of(args[1])?)?;
        let mut chars = name.chars();
        Some(match (chars.next(), chars.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        })
    }

    /// `get_rule_expr`.
    fn expr(&mut self, node: &Node<'_>, show_implicit: bool) -> Option<()> {
        match node.tag {
            "VAR" => self.var(node),
            "CONST" => self.constant(node, 0),
            "OPEXPR" => self.operator(node),
            "FUNCEXPR" => self.function(node, show_implicit),
            "DISTINCTEXPR" => {
                let args = node.args()?;
                let [left, right] = args.as_slice() else {
                    return None;
                };
                self.open();
                self.paren(left, true, node)?;
                self.out.push_str(" IS DISTINCT FROM ");
                self.paren(right, true, node)?;
                self.close();
                Some(())
            }
            "NULLIFEXPR" => {
                self.out.push_str("NULLIF(");
                self.list(&node.args()?)?;
                self.out.push(')');
                Some(())
            }
            "SCALARARRAYOPEXPR" => self.array_operator(node),
            "BOOLEXPR" => self.boolean(node),
            "RELABELTYPE" | "COERCEVIAIO" | "ARRAYCOERCEEXPR" => {
                let arg = node.node("arg")?;
                let form = match node.tag {
                    "RELABELTYPE" => node.int("relabelformat")?,
                    _ => node.int("coerceformat")?,
                };
                if form == COERCE_IMPLICIT_CAST && !show_implicit {
                    self.paren(arg, false, node)
                } else {
                    let typmod = match node.tag {
                        "COERCEVIAIO" => -1,
                        _ => node.int("resulttypmod")?,
                    };
                    self.coercion(arg, node.oid("resulttype")?, typmod, node)
                }
            }
            "COLLATEEXPR" => {
                let arg = node.node("arg")?;
                self.open();
                self.paren(arg, show_implicit, node)?;
                self.out.push_str(" COLLATE ");
                self.collation(node.oid("collOid")?)?;
                self.close();
                Some(())
            }
            "ARRAYEXPR" => {
                self.out.push_str("ARRAY[");
                self.list(&nodes(node.list("elements")?)?)?;
                self.out.push(']');
                // An empty array would need its type: left to the server.
                (!node.list("elements")?.is_empty()).then_some(())
            }
            "COALESCEEXPR" => {
                self.out.push_str("COALESCE(");
                self.list(&node.args()?)?;
                self.out.push(')');
                Some(())
            }
            "NULLTEST" => {
                let arg = node.node("arg")?;
                let row = node.flag("argisrow")?;
                let arg_type = type_of(arg)?;
                let is_row = arg_type == RECORD || self.names.types.get(&arg_type)?.kind == 'c';
                if !row && is_row {
                    return None;
                }
                self.open();
                self.paren(arg, true, node)?;
                self.out.push_str(match node.int("nulltesttype")? {
                    0 => " IS NULL",
                    1 => " IS NOT NULL",
                    _ => return None,
                });
                self.close();
                Some(())
            }
            "BOOLEANTEST" => {
                self.open();
                self.paren(node.node("arg")?, false, node)?;
                self.out.push_str(match node.int("booltesttype")? {
                    0 => " IS TRUE",
                    1 => " IS NOT TRUE",
                    2 => " IS FALSE",
                    3 => " IS NOT FALSE",
                    4 => " IS UNKNOWN",
                    5 => " IS NOT UNKNOWN",
                    _ => return None,
                });
                self.close();
                Some(())
            }
            _ => None,
        }
    }

    /// Arguments separated by `, ` (`get_rule_expr` of a List).
    fn list(&mut self, items: &[&Node<'_>]) -> Option<()> {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.expr(item, true)?;
        }
        Some(())
    }

    /// A column of the table (`get_variable` with the one-table context of the printers),
    /// as a mark for [`fill`].
    fn var(&mut self, node: &Node<'_>) -> Option<()> {
        if node.int("varno")? != 1 || node.int("varlevelsup")? != 0 {
            return None;
        }
        let number = i16::try_from(node.int("varattno")?).ok()?;
        if number <= 0 {
            return None;
        }
        let _ = write!(self.out, "\0{number}\0");
        Some(())
    }

    /// `get_const_expr`; `show_type` -1: never `::type`, 0: when the literal needs it.
    fn constant(&mut self, node: &Node<'_>, show_type: i8) -> Option<()> {
        let type_oid = node.oid("consttype")?;
        let typmod = node.int("consttypmod")?;
        let datum = match node.field("constvalue")? {
            Value::Datum(bytes) => bytes,
            Value::Null => {
                self.out.push_str("NULL");
                if show_type >= 0 {
                    self.out.push_str("::");
                    self.type_name(type_oid, typmod)?;
                    self.const_collation(node, type_oid)?;
                }
                return Some(());
            }
            _ => return None,
        };
        let text = self.output(type_oid, datum)?;
        let mut label = false;
        match type_oid {
            INT4 => {
                if text.starts_with('-') {
                    let _ = write!(self.out, "'{text}'");
                    label = true;
                } else {
                    self.out.push_str(&text);
                }
            }
            NUMERIC => {
                if text.starts_with(|c: char| c.is_ascii_digit()) && text.contains(['e', 'E', '.'])
                {
                    self.out.push_str(&text);
                } else {
                    let _ = write!(self.out, "'{text}'");
                    label = true;
                }
            }
            BOOL => self
                .out
                .push_str(if text == "t" { "true" } else { "false" }),
            _ => {
                self.out.push('\'');
                self.out.push_str(&text.replace('\'', "''"));
                self.out.push('\'');
            }
        }
        if show_type < 0 {
            return Some(());
        }
        let label = match type_oid {
            BOOL | UNKNOWN => false,
            INT4 => label,
            NUMERIC => label || typmod >= 0,
            _ => true,
        };
        if label {
            self.out.push_str("::");
            self.type_name(type_oid, typmod)?;
        }
        self.const_collation(node, type_oid)
    }

    fn const_collation(&mut self, node: &Node<'_>, type_oid: u32) -> Option<()> {
        let collation = node.oid("constcollid")?;
        if collation != 0 && collation != self.names.types.get(&type_oid)?.collation {
            self.out.push_str(" COLLATE ");
            self.collation(collation)?;
        }
        Some(())
    }

    /// The type's output function, for the types printed here.
    fn output(&self, type_oid: u32, datum: &[u8]) -> Option<String> {
        let word = || -> Option<[u8; 8]> { datum.get(..8)?.try_into().ok() };
        Some(match type_oid {
            BOOL => if word()?[0] != 0 { "t" } else { "f" }.to_owned(),
            INT2 => (i64::from_le_bytes(word()?) as i16).to_string(),
            INT4 => (i64::from_le_bytes(word()?) as i32).to_string(),
            INT8 => i64::from_le_bytes(word()?).to_string(),
            OID => (u64::from_le_bytes(word()?) as u32).to_string(),
            FLOAT8 => shortest(f64::from_le_bytes(word()?), 15)?,
            FLOAT4 => {
                let bytes: [u8; 4] = datum.get(..4)?.try_into().ok()?;
                shortest(f32::from_le_bytes(bytes), 6)?
            }
            TEXT | VARCHAR | BPCHAR => String::from_utf8(varlena(datum)?.to_vec()).ok()?,
            NAME => {
                let end = datum.iter().position(|b| *b == 0).unwrap_or(datum.len());
                String::from_utf8(datum[..end].to_vec()).ok()?
            }
            NUMERIC => numeric(varlena(datum)?)?,
            _ => {
                let kind = self.names.types.get(&type_oid)?.kind;
                if kind != 'e' {
                    return None;
                }
                let label = u64::from_le_bytes(word()?) as u32;
                self.names.enum_labels.get(&label)?.clone()
            }
        })
    }

    /// `format_type_with_typemod`.
    fn type_name(&mut self, type_oid: u32, typmod: i64) -> Option<()> {
        let name = &self.names.types.get(&type_oid)?.formatted;
        if typmod < 0 {
            self.out.push_str(name);
            return Some(());
        }
        match type_oid {
            VARCHAR => {
                let _ = write!(self.out, "character varying({})", typmod - 4);
            }
            BPCHAR => {
                let _ = write!(self.out, "character({})", typmod - 4);
            }
            NUMERIC => {
                let t = typmod - 4;
                let _ = write!(self.out, "numeric({},{})", (t >> 16) & 0xffff, t & 0xffff);
            }
            _ => return None,
        }
        Some(())
    }

    fn collation(&mut self, oid: u32) -> Option<()> {
        let name = self.catalog.collations.get(&oid)?;
        if name.schema != "pg_catalog" {
            self.out.push_str(&self.catalog.quote(&name.schema));
            self.out.push('.');
        }
        self.out.push_str(&self.catalog.quote(&name.name));
        Some(())
    }

    /// `get_coercion_expr`: `(arg)::type`, or a constant of that type with no decoration.
    fn coercion(
        &mut self,
        arg: &Node<'_>,
        result_type: u32,
        typmod: i64,
        parent: &Node<'_>,
    ) -> Option<()> {
        if arg.tag == "CONST"
            && arg.oid("consttype")? == result_type
            && arg.int("consttypmod")? == -1
        {
            self.constant(arg, -1)?;
        } else {
            self.open();
            self.paren(arg, false, parent)?;
            self.close();
        }
        self.out.push_str("::");
        self.type_name(result_type, typmod)
    }

    /// `get_oper_expr`.
    fn operator(&mut self, node: &Node<'_>) -> Option<()> {
        let opno = node.oid("opno")?;
        let args = node.args()?;
        self.open();
        match args.as_slice() {
            [left, right] => {
                self.paren(left, true, node)?;
                let name = self.operator_name(opno, type_of(left)?, type_of(right)?)?;
                self.out.push(' ');
                self.out.push_str(&name);
                self.out.push(' ');
                self.paren(right, true, node)?;
            }
            [arg] => {
                let name = self.operator_name(opno, 0, type_of(arg)?)?;
                self.out.push_str(&name);
                self.out.push(' ');
                self.paren(arg, true, node)?;
            }
            _ => return None,
        }
        self.close();
        Some(())
    }

    /// `generate_operator_name`: bare when looking the name up with these argument types
    /// on the `search_path` (`pg_catalog` alone) finds this operator, which is known here
    /// when it is `pg_catalog`'s with exactly these types (or `anyenum`'s, with enums);
    /// `OPERATOR(schema.name)` for another schema's. Anything else is the server's to say.
    fn operator_name(&self, opno: u32, left: u32, right: u32) -> Option<String> {
        let op = self.names.operators.get(&opno)?;
        if op.schema != "pg_catalog" {
            return Some(format!(
                "OPERATOR({}.{})",
                self.catalog.quote(&op.schema),
                op.name
            ));
        }
        let matches = |declared: u32, actual: u32| {
            declared == actual
                || declared == ANYENUM
                    && self.names.types.get(&actual).is_some_and(|t| t.kind == 'e')
        };
        let found = match op.kind {
            'b' => {
                // anyenum only when both sides are enums: with one side of another type
                // the server's resolution may pick another operator.
                let polymorphic = op.left == ANYENUM || op.right == ANYENUM;
                matches(op.left, left)
                    && matches(op.right, right)
                    && (!polymorphic || op.left == op.right)
            }
            'l' => left == 0 && op.right == right,
            _ => false,
        };
        found.then(|| op.name.clone())
    }

    /// `get_func_expr`.
    fn function(&mut self, node: &Node<'_>, show_implicit: bool) -> Option<()> {
        let args = node.args()?;
        let format = node.int("funcformat")?;
        if format == COERCE_IMPLICIT_CAST && !show_implicit {
            return self.paren(args.first()?, false, node);
        }
        if format == COERCE_EXPLICIT_CAST || format == COERCE_IMPLICIT_CAST {
            // exprIsLengthCoercion: a second argument, an int4 constant, is the typmod.
            let typmod = match args.get(1) {
                Some(length) if length.tag == "CONST" && length.oid("consttype")? == INT4 => {
                    match length.field("constvalue")? {
                        Value::Datum(bytes) => {
                            i64::from(i64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as i32)
                        }
                        _ => -1,
                    }
                }
                _ => -1,
            };
            return self.coercion(args.first()?, node.oid("funcresulttype")?, typmod, node);
        }
        if format != COERCE_EXPLICIT_CALL || node.flag("funcvariadic")? {
            return None;
        }
        let function = self.names.functions.get(&node.oid("funcid")?)?;
        let types: Vec<u32> = args.iter().map(|a| type_of(a)).collect::<Option<_>>()?;
        if function.schema == "pg_catalog" {
            // Found by its name only if this is the exact match for these types.
            if function.args != types || self.names.ambiguous_functions.contains(&function.name) {
                return None;
            }
        } else {
            self.out.push_str(&self.catalog.quote(&function.schema));
            self.out.push('.');
        }
        self.out.push_str(&self.catalog.quote(&function.name));
        self.out.push('(');
        self.list(&args)?;
        self.out.push(')');
        Some(())
    }

    /// `x op ANY (array)` / `ALL`.
    fn array_operator(&mut self, node: &Node<'_>) -> Option<()> {
        let args = node.args()?;
        let [left, right] = args.as_slice() else {
            return None;
        };
        let array_type = type_of(right)?;
        let element = self.names.types.get(&array_type)?.element;
        if element == 0 {
            return None;
        }
        let name = self.operator_name(node.oid("opno")?, type_of(left)?, element)?;
        self.open();
        self.paren(left, true, node)?;
        let quantifier = if node.flag("useOr")? { "ANY" } else { "ALL" };
        let _ = write!(self.out, " {name} {quantifier} (");
        self.paren(right, true, node)?;
        self.out.push(')');
        self.close();
        Some(())
    }

    fn boolean(&mut self, node: &Node<'_>) -> Option<()> {
        let args = node.args()?;
        let separator = match node.token("boolop")? {
            "and" => " AND ",
            "or" => " OR ",
            "not" => {
                self.open();
                self.out.push_str("NOT ");
                self.paren(args.first()?, false, node)?;
                self.close();
                return Some(());
            }
            _ => return None,
        };
        self.open();
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                self.out.push_str(separator);
            }
            self.paren(arg, false, node)?;
        }
        self.close();
        Some(())
    }
}

fn nodes<'v, 'a>(values: &'v [Value<'a>]) -> Option<Vec<&'v Node<'a>>> {
    values.iter().map(as_node).collect()
}

/// A variable-length value's bytes without its header (uncompressed, inline only).
fn varlena(datum: &[u8]) -> Option<&[u8]> {
    let first = *datum.first()?;
    if first & 0x01 == 0x01 {
        // One-byte header (0x01 alone is a pointer to an external value).
        let length = usize::from(first >> 1);
        if first == 0x01 || length < 1 {
            return None;
        }
        return datum.get(1..length);
    }
    if first & 0x03 != 0 {
        return None; // compressed
    }
    let header = u32::from_le_bytes(datum.get(..4)?.try_into().ok()?);
    let length = usize::try_from(header >> 2).ok()?;
    datum.get(4..length)
}

/// `numeric_out` of a `numeric`'s bytes (after the varlena header); `None` for NaN and
/// the infinities.
fn numeric(bytes: &[u8]) -> Option<String> {
    let word = |at: usize| -> Option<u16> {
        Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
    };
    let header = word(0)?;
    let (negative, scale, weight, digits_at) = if header & 0xC000 == 0x8000 {
        let weight = if header & 0x0040 != 0 {
            (header & 0x003F) as i16 | !0x003F
        } else {
            (header & 0x003F) as i16
        };
        (
            header & 0x2000 != 0,
            usize::from((header & 0x1F80) >> 7),
            weight,
            2,
        )
    } else {
        match header & 0xC000 {
            0x0000 | 0x4000 => {}
            _ => return None,
        }
        (
            header & 0x4000 != 0,
            usize::from(header & 0x3FFF),
            word(2)? as i16,
            4,
        )
    };
    let digits: Vec<u16> = bytes[digits_at..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let digit = |position: i32| -> u16 {
        usize::try_from(position)
            .ok()
            .and_then(|p| digits.get(p).copied())
            .unwrap_or(0)
    };
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    let weight = i32::from(weight);
    if weight < 0 {
        out.push('0');
    } else {
        for position in 0..=weight {
            if position == 0 {
                let _ = write!(out, "{}", digit(0));
            } else {
                let _ = write!(out, "{:04}", digit(position));
            }
        }
    }
    if scale > 0 {
        out.push('.');
        let mut fraction = String::new();
        let mut position = weight + 1;
        while fraction.len() < scale {
            let _ = write!(fraction, "{:04}", digit(position));
            position += 1;
        }
        fraction.truncate(scale);
        out.push_str(&fraction);
    }
    Some(out)
}

/// `float8out`/`float4out` with `extra_float_digits` above 0: the shortest digits that
/// read back as the same value of the type (as Rust's formatting writes them), in fixed
/// notation for decimal exponents from -4 to `fixed_below - 1`, else as `d.ddde+XX`.
/// `None` for NaN and the infinities.
fn shortest<F>(value: F, fixed_below: i32) -> Option<String>
where
    F: std::fmt::Display + std::fmt::LowerExp,
{
    let plain = value.to_string();
    if plain.contains(['N', 'i']) {
        return None; // NaN, inf
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e')?;
    let exponent: i32 = exponent.parse().ok()?;
    let zero = mantissa.trim_start_matches('-') == "0";
    if zero || (-4..fixed_below).contains(&exponent) {
        return Some(plain);
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    Some(format!("{mantissa}e{sign}{:02}", exponent.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_bytes_print_as_numeric_out() {
        // 1.5 with dscale 1, short format: weight 0, digits 1, 5000.
        let header = 0x8000u16 | (1 << 7);
        let mut bytes = header.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[1, 0, 0x88, 0x13]);
        assert_eq!(numeric(&bytes).as_deref(), Some("1.5"));
        // 0 with no digits.
        assert_eq!(numeric(&0x8000u16.to_le_bytes()).as_deref(), Some("0"));
    }

    #[test]
    fn floats_print_as_float8out() {
        assert_eq!(shortest(0.0, 15).as_deref(), Some("0"));
        assert_eq!(shortest(1.0, 15).as_deref(), Some("1"));
        assert_eq!(shortest(0.1, 15).as_deref(), Some("0.1"));
        assert_eq!(shortest(1e-5, 15).as_deref(), Some("1e-05"));
        assert_eq!(shortest(1.5e20, 15).as_deref(), Some("1.5e+20"));
        assert_eq!(
            shortest(123456789012345.0, 15).as_deref(),
            Some("123456789012345")
        );
        assert_eq!(shortest(1e15, 15).as_deref(), Some("1e+15"));
        assert_eq!(shortest(f64::NAN, 15), None);
        assert_eq!(shortest(f64::INFINITY, 15), None);
        assert_eq!(shortest(-0.0f64, 15).as_deref(), Some("-0"));
        // float4: its own shortest digits, not those of the double it widens to.
        assert_eq!(shortest(0.1f32, 6).as_deref(), Some("0.1"));
        assert_eq!(shortest(1234567.0f32, 6).as_deref(), Some("1.234567e+06"));
        assert_eq!(shortest(123456.0f32, 6).as_deref(), Some("123456"));
    }

    #[test]
    fn trees_read_as_the_server_writes_them() {
        let tree = "{OPEXPR :opno 525 :args ({VAR :varno 1 :varattno 5} {CONST :consttype 23 \
                    :constvalue 4 [ -1 0 0 0 0 0 0 0 ]}) :location 201}";
        let Some(Value::Node(node)) = read(tree) else {
            panic!("not read");
        };
        assert_eq!(node.tag, "OPEXPR");
        let args = node.args().unwrap();
        assert_eq!(args[0].int("varattno"), Some(5));
        assert_eq!(
            args[1].field("constvalue"),
            Some(&Value::Datum(vec![255, 0, 0, 0, 0, 0, 0, 0]))
        );
        assert_eq!(read("{VAR :varno 1"), None);
        assert!(matches!(read("({A} {B})"), Some(Value::List(items)) if items.len() == 2));
    }
}
