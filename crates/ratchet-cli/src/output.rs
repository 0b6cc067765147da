//! Where output goes and how it looks: results on stdout (text or one JSON document),
//! progress and diagnostics on stderr, colour only on a terminal and never with NO_COLOR.
//!
//! Colour is a handful of ANSI codes, written here rather than pulled in as a crate: the whole
//! need is "bold/red/green/yellow/dim, or nothing".

use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::cli::Format;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub format: Format,
    pub quiet: bool,
    color_out: bool,
    color_err: bool,
}

#[derive(Debug, Clone, Copy)]
pub enum Tone {
    Bold,
    Red,
    Green,
    Yellow,
    Dim,
}

impl Output {
    pub fn new(format: Format, quiet: bool) -> Output {
        let allowed = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Output {
            format,
            quiet,
            color_out: allowed && std::io::stdout().is_terminal(),
            color_err: allowed && std::io::stderr().is_terminal(),
        }
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Whether stdout gets colour: a terminal, and no NO_COLOR.
    pub fn color(&self) -> bool {
        self.color_out
    }

    /// Text already rendered (it carries its own line endings) on stdout, in one write.
    pub fn text(&self, text: &str) {
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }

    /// Styles text for stdout.
    pub fn paint(&self, tone: Tone, text: &str) -> String {
        paint(self.color_out, tone, text)
    }

    /// Styles text for stderr.
    pub fn paint_err(&self, tone: Tone, text: &str) -> String {
        paint(self.color_err, tone, text)
    }

    /// A result line on stdout (text mode).
    pub fn line(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
    }

    /// Many result lines on stdout in one write: a status of thousands of migrations would
    /// otherwise cost a system call per line.
    pub fn lines(&self, lines: &[String]) {
        let mut text = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }

    /// Progress on stderr, unless --quiet.
    pub fn progress(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// A diagnostic on stderr, always.
    pub fn diagnostic(&self, text: &str) {
        eprintln!("{text}");
    }

    /// The one JSON document of this command, on stdout.
    pub fn document<T: Serialize>(&self, value: &T) {
        let mut out = std::io::stdout().lock();
        let text = serde_json::to_string_pretty(value)
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise output: {e}\"}}"));
        let _ = writeln!(out, "{text}");
    }
}

fn paint(enabled: bool, tone: Tone, text: &str) -> String {
    if !enabled {
        return text.to_owned();
    }
    let code = match tone {
        Tone::Bold => "1",
        Tone::Red => "31",
        Tone::Green => "32",
        Tone::Yellow => "33",
        Tone::Dim => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// `2026-11-21 13:40:01` in UTC: sortable and unambiguous in a table.
pub fn timestamp(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Pads `cells` into columns separated by two spaces; the last column is not padded.
pub fn table(rows: &[Vec<String>]) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| visible_len(cell))
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if c + 1 < row.len() {
                    let pad = widths[c] - visible_len(cell) + 2;
                    line.push_str(&" ".repeat(pad));
                }
            }
            line.trim_end().to_owned()
        })
        .collect()
}

/// Length without ANSI escape sequences.
fn visible_len(text: &str) -> usize {
    let mut len = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => len += 1,
        }
    }
    len
}
