//! PostgreSQL's own grammar, through libpg_query.

use std::ffi::{c_char, c_int, CStr, CString};

use pg_query::protobuf::ParseResult;
use prost::Message;

/// A statement PostgreSQL's parser rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// Byte offset into the statement's text, when the parser said where.
    pub offset: Option<usize>,
}

/// Parses one statement.
///
/// This calls libpg_query directly rather than through `pg_query::parse`, which also walks
/// every tree into lists of tables, functions and filter columns that ratchet never reads
/// (about a tenth of the parse time on issue 4's benchmark), and whose error drops the
/// position, which took a second parse to get back.
pub fn parse(statement: &str) -> Result<ParseResult, SyntaxError> {
    let input = CString::new(statement).map_err(|e| SyntaxError {
        message: pg_query::Error::Conversion(e).to_string(),
        offset: None,
    })?;
    match parse_protobuf(&input) {
        Ok(Ok(tree)) => Ok(tree),
        Ok(Err(e)) => Err(SyntaxError {
            message: pg_query::Error::Decode(e).to_string(),
            offset: None,
        }),
        Err((message, position)) => Err(SyntaxError {
            message,
            offset: position.map(|p| ratchet_sql::char_position_to_byte(statement, p)),
        }),
    }
}

// libpg_query's C interface (pg_query.h), declared here because the pg_query crate keeps its
// bindings private. The library itself is linked by the pg_query crate.
#[repr(C)]
struct PgQueryError {
    message: *const c_char,
    funcname: *const c_char,
    filename: *const c_char,
    lineno: c_int,
    /// 1-based character position in the query, 0 when unknown.
    cursorpos: c_int,
    context: *const c_char,
}

#[repr(C)]
struct PgQueryProtobuf {
    len: usize,
    data: *const c_char,
}

#[repr(C)]
struct PgQueryProtobufParseResult {
    parse_tree: PgQueryProtobuf,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    fn pg_query_parse_protobuf(input: *const c_char) -> PgQueryProtobufParseResult;
    fn pg_query_free_protobuf_parse_result(result: PgQueryProtobufParseResult);
}

/// The decoded parse tree, or the parser's message and the 1-based character position it
/// gave, if any.
#[allow(unsafe_code)] // FFI: libpg_query's C entry point.
fn parse_protobuf(
    input: &CStr,
) -> Result<Result<ParseResult, prost::DecodeError>, (String, Option<usize>)> {
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call. The result is
    // read only while it is alive: on success `parse_tree` points to `len` initialised bytes,
    // on error `error` points to a filled `PgQueryError` whose `message` is a NUL-terminated
    // string. It is freed exactly once, with the library's own function, after the tree has
    // been decoded into owned Rust values.
    unsafe {
        let result = pg_query_parse_protobuf(input.as_ptr());
        let out = if result.error.is_null() {
            let tree = &result.parse_tree;
            let bytes = if tree.len == 0 {
                &[][..]
            } else {
                std::slice::from_raw_parts(tree.data.cast::<u8>(), tree.len)
            };
            Ok(ParseResult::decode(bytes))
        } else {
            let error = &*result.error;
            let message = CStr::from_ptr(error.message).to_string_lossy().into_owned();
            Err((
                message,
                usize::try_from(error.cursorpos).ok().filter(|&p| p > 0),
            ))
        };
        pg_query_free_protobuf_parse_result(result);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_has_its_position() {
        let err = parse("select * frm t").unwrap_err();
        assert!(err.message.contains("syntax error"), "{}", err.message);
        assert_eq!(err.offset, Some("select * ".len()));
        assert!(parse("create table t (id int)").is_ok());
    }

    #[test]
    fn a_nul_byte_is_an_error_not_a_panic() {
        let err = parse("select 1\0").unwrap_err();
        assert_eq!(err.offset, None);
        assert!(err.message.contains("nul byte"), "{}", err.message);
    }
}
