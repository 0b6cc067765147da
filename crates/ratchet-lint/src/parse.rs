//! PostgreSQL's own grammar, through libpg_query.

use std::ffi::{c_char, c_int, CStr, CString};

/// A statement PostgreSQL's parser rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// Byte offset into the statement's text, when the parser said where.
    pub offset: Option<usize>,
}

/// Parses one statement.
pub fn parse(statement: &str) -> Result<pg_query::ParseResult, SyntaxError> {
    pg_query::parse(statement, pg_query::ParserOptions::DEFAULT).map_err(|err| SyntaxError {
        offset: error_position(statement).map(|p| ratchet_sql::char_position_to_byte(statement, p)),
        message: match err {
            pg_query::Error::Parse(message) => message,
            other => other.to_string(),
        },
    })
}

// libpg_query's C interface (pg_query.h), declared here because the pg_query crate keeps its
// bindings private and its `Error::Parse` drops the position. The library itself is linked
// by the pg_query crate.
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
struct PgQueryParseResult {
    parse_tree: *mut c_char,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    fn pg_query_parse(input: *const c_char) -> PgQueryParseResult;
    fn pg_query_free_parse_result(result: PgQueryParseResult);
}

/// The 1-based character position of the syntax error in `statement`, asked of libpg_query
/// directly. Only called on the error path, so the second parse costs nothing on clean files.
#[allow(unsafe_code)] // FFI: the position exists only in libpg_query's C result.
fn error_position(statement: &str) -> Option<usize> {
    let input = CString::new(statement).ok()?;
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the result is
    // read only while it is alive and freed exactly once with the library's own function.
    unsafe {
        let result = pg_query_parse(input.as_ptr());
        let position = if result.error.is_null() {
            None
        } else {
            let error = &*result.error;
            // The message is read to make sure the struct is the one we expect to be filled.
            let _ = (!error.message.is_null()).then(|| CStr::from_ptr(error.message));
            usize::try_from(error.cursorpos).ok().filter(|&p| p > 0)
        };
        pg_query_free_parse_result(result);
        position
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
}
