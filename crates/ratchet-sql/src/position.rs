//! Translating byte offsets into the line/column positions people read.

/// Maps byte offsets of one source text to 1-based line and column numbers.
///
/// Columns count Unicode scalar values, not bytes, because that is what
/// editors show; a tab counts as one column.
#[derive(Debug, Clone)]
pub struct LineIndex {
    // A private copy keeps `line_col` free of a source argument (and of the
    // chance of being handed a different text than the index was built from);
    // migration files are small enough for the duplication not to matter.
    text: Box<str>,
    /// Byte offset where each line starts; always begins with 0.
    line_starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `source`, splitting lines on `'\n'`.
    pub fn new(source: &str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex {
            text: source.into(),
            line_starts,
        }
    }

    /// Number of lines; a trailing newline starts a final empty line.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based `(line, column)` of `byte_offset`.
    ///
    /// Offsets past the end are clamped to the end, and an offset inside a
    /// multi-byte character is treated as that character's start. A `'\r'`
    /// ending a line does not count as a column, so it shares the column of
    /// the `'\n'` after it.
    pub fn line_col(&self, byte_offset: usize) -> (usize, usize) {
        let mut offset = byte_offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self.line_starts[line - 1];
        let before = &self.text[line_start..offset];
        let mut col = before.chars().count() + 1;
        if before.ends_with('\r') && self.text[offset..].starts_with('\n') {
            col -= 1;
        }
        // Editors do not show a UTF-8 BOM, so it must not shift the columns of line 1.
        if line == 1 && before.starts_with('\u{FEFF}') {
            col -= 1;
        }
        (line, col)
    }

    /// The text of 1-based `line` without its line ending; empty for a line
    /// number outside the text.
    pub fn line_text<'a>(&self, source: &'a str, line: usize) -> &'a str {
        let Some(&start) = line.checked_sub(1).and_then(|i| self.line_starts.get(i)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(source.len(), |&next| next - 1);
        let Some(text) = source.get(start..end) else {
            return "";
        };
        let text = text.strip_suffix('\r').unwrap_or(text);
        if line == 1 {
            text.strip_prefix('\u{FEFF}').unwrap_or(text)
        } else {
            text
        }
    }
}

/// Converts a 1-based character position within `text` (as PostgreSQL reports
/// error positions) into a byte offset within `text`, clamped to `text.len()`.
///
/// A position of 0 (which PostgreSQL never sends, but a caller might pass on)
/// maps to the start.
pub fn char_position_to_byte(text: &str, one_based_char_pos: usize) -> usize {
    let Some(index) = one_based_char_pos.checked_sub(1) else {
        return 0;
    };
    text.char_indices()
        .nth(index)
        .map_or(text.len(), |(byte, _)| byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_lines() {
        let src = "ab\ncd\n";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(2), (1, 3));
        assert_eq!(idx.line_col(3), (2, 1));
        assert_eq!(idx.line_col(6), (3, 1));
        assert_eq!(idx.line_count(), 3);
        assert_eq!(idx.line_text(src, 2), "cd");
        assert_eq!(idx.line_text(src, 3), "");
        assert_eq!(idx.line_text(src, 4), "");
        assert_eq!(idx.line_text(src, 0), "");
    }

    #[test]
    fn multibyte_before_column() {
        let src = "x\nélan\t→ y";
        let idx = LineIndex::new(src);
        let y = src.find('y').unwrap();
        // é, l, a, n, \t, →, ' ' precede y.
        assert_eq!(idx.line_col(y), (2, 8));
        // Inside the two-byte é.
        assert_eq!(idx.line_col(3), (2, 1));
    }

    #[test]
    fn a_bom_is_not_a_column() {
        let src = "\u{FEFF}select x;\nselect y;";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(src.find('x').unwrap()), (1, 8));
        assert_eq!(idx.line_col(3), (1, 1));
        assert_eq!(idx.line_text(src, 1), "select x;");
        assert_eq!(idx.line_col(src.find('y').unwrap()), (2, 8));
    }

    #[test]
    fn crlf() {
        let src = "ab\r\ncd\r\n";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(2), (1, 3));
        assert_eq!(idx.line_col(3), (1, 3));
        assert_eq!(idx.line_col(4), (2, 1));
        assert_eq!(idx.line_text(src, 1), "ab");
        assert_eq!(idx.line_text(src, 2), "cd");
    }

    #[test]
    fn last_line_without_newline_and_eof() {
        let src = "a\nbcd";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_text(src, 2), "bcd");
        assert_eq!(idx.line_col(src.len()), (2, 4));
        assert_eq!(idx.line_col(src.len() + 10), (2, 4));
        assert_eq!(LineIndex::new("").line_col(0), (1, 1));
    }

    #[test]
    fn char_positions() {
        let text = "sélect x";
        assert_eq!(char_position_to_byte(text, 1), 0);
        assert_eq!(char_position_to_byte(text, 3), 3);
        assert_eq!(char_position_to_byte(text, 8), 8);
        assert_eq!(char_position_to_byte(text, 9), text.len());
        assert_eq!(char_position_to_byte(text, 100), text.len());
        assert_eq!(char_position_to_byte(text, 0), 0);
    }
}
