//! Runs the rules over files: directives, splitting, parsing, rules, suppressions.

use std::path::PathBuf;

use pg_query::NodeEnum;
use ratchet_sql::{Directives, LineIndex, Statement, Suppression};

use crate::context::{make, relation_name, FileState, StatementContext};
use crate::objects::{self, FileObjects};
use crate::pipeline::{self, Chunk};
use crate::rules::{self, Rule};
use crate::{Diagnostic, LintConfig, Severity};

/// A file to lint: its path (as shown in findings) and its text.
#[derive(Debug, Clone)]
pub struct LintInput {
    pub path: PathBuf,
    pub source: String,
}

/// Ids of findings the engine itself reports. They are not rules and cannot be suppressed.
pub const SYNTAX_ERROR: &str = "syntax-error";
pub const INVALID_DIRECTIVE: &str = "invalid-directive";
pub const UNUSED_SUPPRESSION: &str = "unused-suppression";
pub const SUPPRESSION_WITHOUT_REASON: &str = "suppression-without-reason";

/// How much statement text one parse job holds. Small enough that a 5 MB file is hundreds of
/// jobs that every core can share, large enough that claiming a job costs nothing next to
/// parsing it; a migration of a few statements is one job.
const CHUNK_BYTES: usize = 8 * 1024;

/// Lints every file and returns the findings in file order, each file's sorted by position.
/// Then, when `undeclared-dependency` is on, a second pass looks across files at what each
/// one creates and uses.
///
/// Files are split in parallel; then their statements are parsed in parallel, in chunks, and
/// each file's rule pass takes its chunks in order (see `pipeline.rs`), so one big file uses
/// every core as well as many small ones do.
pub fn lint(inputs: &[LintInput], config: &LintConfig) -> Vec<Diagnostic> {
    let enabled: Vec<(&'static dyn Rule, Severity)> = rules::ALL
        .iter()
        .filter_map(|r| config.severity(*r).map(|s| (*r, s)))
        .collect();
    let dependencies = enabled
        .iter()
        .find(|(r, _)| r.id() == objects::UNDECLARED_DEPENDENCY)
        .map(|(_, s)| *s);
    let collect = dependencies.is_some();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Enough parse jobs ahead of the rules to keep every core busy; bounded, so a big file's
    // parse trees are not all held at once.
    let window = 4 * workers;

    let one_per_file: Vec<Chunk> = (0..inputs.len())
        .map(|group| Chunk {
            group,
            items: group..group + 1,
        })
        .collect();
    let prepared = pipeline::run(
        inputs.iter().map(|_| None).collect(),
        &one_per_file,
        workers,
        window,
        |chunk| Some(prepare(chunk.group, &inputs[chunk.group], config, collect)),
        |slot, file| *slot = file.take(),
    );
    let (files, passes): (Vec<SplitFile>, Vec<Pass>) = prepared
        .into_iter()
        .map(|p| p.expect("every file was prepared"))
        .unzip();

    let chunks = chunks(&files);
    let linter = Linter {
        config,
        enabled: &enabled,
        files: &files,
    };
    let passes = pipeline::run(
        passes,
        &chunks,
        workers,
        window,
        |chunk| linter.parse(chunk),
        |pass, (items, parsed)| linter.check(pass, items.clone(), parsed),
    );

    let (mut found, collected): (Vec<Vec<Diagnostic>>, Vec<Option<FileObjects>>) =
        passes.into_iter().map(|p| (p.out, p.collected)).unzip();
    if let Some(severity) = dependencies {
        cross_file(inputs, &files, &collected, severity, &mut found);
    }
    found.into_iter().flatten().collect()
}

/// Each file's statements in consecutive chunks of about [`CHUNK_BYTES`].
fn chunks(files: &[SplitFile]) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for (group, file) in files.iter().enumerate() {
        let mut start = 0;
        let mut bytes = 0;
        for (index, statement) in file.statements.iter().enumerate() {
            bytes += statement.range.len();
            if bytes >= CHUNK_BYTES || index + 1 == file.statements.len() {
                chunks.push(Chunk {
                    group,
                    items: start..index + 1,
                });
                start = index + 1;
                bytes = 0;
            }
        }
    }
    chunks
}

/// A file split into statements: what parsing and the rules read, shared by every thread.
struct SplitFile<'a> {
    input: &'a LintInput,
    lines: LineIndex,
    statements: Vec<Statement>,
    transactional: bool,
}

/// One file's rule pass: what it has learned and found so far. Owned by one thread at a time.
struct Pass {
    file: usize,
    directives: Directives,
    state: FileState,
    /// Rule findings with the first line of their statement, for the suppression pass.
    findings: Vec<(usize, Diagnostic)>,
    /// Findings that cannot be suppressed (syntax errors, invalid directives); at the end,
    /// every finding of the file.
    out: Vec<Diagnostic>,
    collected: Option<FileObjects>,
}

/// Reads the directives and splits `input` into statements. A file without statements is
/// finished here; one that cannot be split is only its syntax error.
fn prepare<'a>(
    file: usize,
    input: &'a LintInput,
    config: &LintConfig,
    collect_objects: bool,
) -> (SplitFile<'a>, Pass) {
    let source = input.source.as_str();
    let lines = LineIndex::new(source);
    let mut out = Vec::new();
    let directives = match ratchet_sql::parse_directives(source, config.dialect) {
        Ok(d) => d,
        Err(errors) => {
            for e in errors {
                let end = line_end(source, e.offset);
                out.push(engine_finding(
                    input,
                    &lines,
                    INVALID_DIRECTIVE,
                    (e.offset, end),
                    e.message,
                ));
            }
            Directives::default()
        }
    };
    let transactional = !directives.no_transaction;
    let mut pass = Pass {
        file,
        directives,
        state: FileState::default(),
        findings: Vec::new(),
        out,
        collected: None,
    };
    let split = ratchet_sql::split(source, config.dialect);
    let mut file = SplitFile {
        input,
        lines,
        statements: Vec::new(),
        transactional,
    };
    match split {
        Ok(statements) => {
            file.statements = statements;
            pass.collected = collect_objects.then(FileObjects::default);
            if file.statements.is_empty() {
                pass.finish(&file);
            }
        }
        // Nothing after an unclosed quote or comment can be split, so nothing is linted.
        Err(e) => {
            let end = line_end(source, e.offset);
            let message = format!("{} is never closed", e.kind);
            let error = engine_finding(input, &file.lines, SYNTAX_ERROR, (e.offset, end), message);
            pass.out.push(error);
        }
    }
    (file, pass)
}

/// A finding of the engine itself: always an error, never with help.
fn engine_finding(
    input: &LintInput,
    lines: &LineIndex,
    rule: &'static str,
    span: (usize, usize),
    message: String,
) -> Diagnostic {
    make(
        &input.path,
        lines,
        rule,
        Severity::Error,
        span,
        message,
        None,
    )
}

/// What the threads share: the configuration and every file's statements.
struct Linter<'a> {
    config: &'a LintConfig,
    enabled: &'a [(&'static dyn Rule, Severity)],
    files: &'a [SplitFile<'a>],
}

type Parsed = Result<pg_query::protobuf::ParseResult, crate::parse::SyntaxError>;

impl Linter<'_> {
    /// Parses a chunk's statements: the part that runs on every core.
    fn parse(&self, chunk: &Chunk) -> (std::ops::Range<usize>, Vec<Parsed>) {
        let file = &self.files[chunk.group];
        let source = file.input.source.as_str();
        let parsed = file.statements[chunk.items.clone()]
            .iter()
            .map(|statement| crate::parse::parse(statement.text(source)))
            .collect();
        (chunk.items.clone(), parsed)
    }

    /// Runs the rules over a chunk's parsed statements, in order, and finishes the file after
    /// its last one.
    fn check(&self, pass: &mut Pass, items: std::ops::Range<usize>, parsed: &[Parsed]) {
        let file = &self.files[pass.file];
        let input = file.input;
        let source = input.source.as_str();
        let lines = &file.lines;
        let last = items.end == file.statements.len();
        for (statement, parsed) in file.statements[items].iter().zip(parsed) {
            let text = statement.text(source);
            let offset = statement.range.start;
            let first_line = lines.line_col(offset).0;
            let parsed = match parsed {
                Ok(parsed) => parsed,
                // The rules speak PostgreSQL. In a SQLite project, a statement its grammar
                // cannot read (`CREATE TRIGGER ... BEGIN ... END`, `INSERT OR REPLACE`) is
                // SQLite's own syntax, not a mistake: it is left unchecked rather than
                // reported.
                Err(_) if self.config.dialect == ratchet_sql::Dialect::Sqlite => continue,
                Err(e) => {
                    let start = offset + e.offset.unwrap_or(0);
                    let end = line_end(source, start).max(start + 1).min(source.len());
                    let message = e.message.clone();
                    let error = engine_finding(input, lines, SYNTAX_ERROR, (start, end), message);
                    pass.out.push(error);
                    continue;
                }
            };
            for raw in &parsed.stmts {
                let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) else {
                    continue;
                };
                let cx = StatementContext {
                    path: &input.path,
                    source,
                    offset,
                    text,
                    index: statement.index,
                    node,
                    parsed,
                    transactional: file.transactional,
                    state: &pass.state,
                    lines,
                };
                let mut found = Vec::new();
                for (rule, severity) in self.enabled {
                    rule.check(&cx, *severity, &mut found);
                }
                pass.findings
                    .extend(found.into_iter().map(|d| (first_line, d)));
                if let Some(collected) = &mut pass.collected {
                    collected.statement(node, parsed, text, offset, first_line);
                }
                learn(&mut pass.state, node);
            }
        }
        if last {
            pass.finish(file);
        }
    }
}

impl Pass {
    /// After the last statement: applies the suppressions and sorts the file's findings.
    fn finish(&mut self, file: &SplitFile<'_>) {
        let directives = &mut self.directives;
        if let Some(collected) = &mut self.collected {
            // Findings of the cross-file rule only exist after the second pass, which applies
            // (and checks) these suppressions itself.
            let is_cross_file = |s: &Suppression| s.rule == objects::UNDECLARED_DEPENDENCY;
            let suppressions = &mut collected.suppressions;
            (suppressions.allow, directives.allow) =
                directives.allow.drain(..).partition(is_cross_file);
            (suppressions.allow_file, directives.allow_file) =
                directives.allow_file.drain(..).partition(is_cross_file);
        }
        let findings = std::mem::take(&mut self.findings);
        suppress(
            &file.input.path,
            &file.lines,
            directives,
            findings,
            &mut self.out,
        );
        self.out.sort_by_key(|d| (d.start, d.rule));
        // Every file's pass is kept until all are done; only what the caller reads stays.
        self.state = FileState::default();
        self.directives = Directives::default();
    }
}

/// The second pass: `undeclared-dependency` findings, through the same suppression logic as
/// the per-file findings (each file's suppressions of this rule were kept aside for it).
fn cross_file(
    inputs: &[LintInput],
    files: &[SplitFile<'_>],
    collected: &[Option<FileObjects>],
    severity: Severity,
    found: &mut [Vec<Diagnostic>],
) {
    let mut by_file: Vec<Vec<objects::Finding>> = inputs.iter().map(|_| Vec::new()).collect();
    for finding in objects::undeclared(inputs, collected) {
        by_file[finding.file].push(finding);
    }
    for (index, findings) in by_file.into_iter().enumerate() {
        let Some(file) = &collected[index] else {
            continue;
        };
        let suppressions = &file.suppressions;
        if findings.is_empty()
            && suppressions.allow.is_empty()
            && suppressions.allow_file.is_empty()
        {
            continue;
        }
        let input = &inputs[index];
        let lines = &files[index].lines;
        let findings = findings
            .into_iter()
            .map(|f| {
                let d = make(
                    &input.path,
                    lines,
                    objects::UNDECLARED_DEPENDENCY,
                    severity,
                    f.span,
                    f.message,
                    Some(f.help),
                );
                (f.first_line, d)
            })
            .collect();
        let out = &mut found[index];
        suppress(&input.path, lines, suppressions, findings, out);
        out.sort_by_key(|d| (d.start, d.rule));
    }
}

/// Updates what the file has done so far after `node` ran.
fn learn(state: &mut FileState, node: &NodeEnum) {
    match node {
        NodeEnum::CreateStmt(s) => {
            if let Some(relation) = &s.relation {
                state.created_tables.insert(relation_name(relation));
                state.created_tables.insert(relation.relname.to_lowercase());
            }
        }
        NodeEnum::CreateTableAsStmt(s) => {
            if let Some(relation) = s.into.as_ref().and_then(|i| i.rel.as_ref()) {
                state.created_tables.insert(relation_name(relation));
                state.created_tables.insert(relation.relname.to_lowercase());
            }
        }
        NodeEnum::AlterEnumStmt(s) if !s.new_val.is_empty() => {
            let type_name = s
                .type_name
                .iter()
                .filter_map(|n| match &n.node {
                    Some(NodeEnum::String(s)) => Some(s.sval.to_lowercase()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(".");
            state.added_enum_values.push((type_name, s.new_val.clone()));
        }
        NodeEnum::VariableSetStmt(s) if s.name.eq_ignore_ascii_case("lock_timeout") => {
            state.lock_timeout_set = true;
        }
        _ => {}
    }
}

/// Drops findings covered by `-- ratchet:allow` (on the statement's first line or the line
/// before it) or `-- ratchet:allow-file`, and reports suppressions without a reason or that
/// suppress nothing.
fn suppress(
    path: &std::path::Path,
    lines: &LineIndex,
    directives: &Directives,
    findings: Vec<(usize, Diagnostic)>,
    out: &mut Vec<Diagnostic>,
) {
    let mut used_line = vec![false; directives.allow.len()];
    let mut used_file = vec![false; directives.allow_file.len()];
    for (first_line, finding) in findings {
        let file_wide = directives
            .allow_file
            .iter()
            .position(|s| s.rule == finding.rule);
        let local = directives.allow.iter().position(|s| {
            s.rule == finding.rule && (s.line == first_line || s.line + 1 == first_line)
        });
        match (local, file_wide) {
            (Some(i), _) => used_line[i] = true,
            (None, Some(i)) => used_file[i] = true,
            (None, None) => out.push(finding),
        }
    }
    let report = |s: &Suppression, used: bool, kind: &str, out: &mut Vec<Diagnostic>| {
        let span = (s.offset, s.offset + s.rule.len());
        if rules::by_id(&s.rule).is_none() {
            out.push(make(
                path,
                lines,
                UNUSED_SUPPRESSION,
                Severity::Warning,
                span,
                format!("`{kind}` names {:?}, which is not a rule", s.rule),
                None,
            ));
        } else if !used {
            out.push(make(
                path,
                lines,
                UNUSED_SUPPRESSION,
                Severity::Warning,
                span,
                format!("`{kind} {}` suppresses nothing here", s.rule),
                Some("remove it, so it cannot hide a future finding".into()),
            ));
        }
        if s.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            out.push(make(
                path,
                lines,
                SUPPRESSION_WITHOUT_REASON,
                Severity::Error,
                span,
                format!("`{kind} {}` has no reason", s.rule),
                Some("say why after `--`, e.g. `-- ratchet:allow ban-drop-column -- column unused since v2.3`".into()),
            ));
        }
    };
    for (s, used) in directives.allow.iter().zip(used_line) {
        report(s, used, "ratchet:allow", out);
    }
    for (s, used) in directives.allow_file.iter().zip(used_file) {
        report(s, used, "ratchet:allow-file", out);
    }
}

fn line_end(source: &str, offset: usize) -> usize {
    let offset = offset.min(source.len());
    source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i)
        .max(offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuleSetting;

    /// Issue 4: a big file is parsed in chunks, on several threads. What the rules learn from
    /// its first statements must still reach its last ones, and its findings, syntax errors
    /// and suppressions must come out as if it had been linted statement by statement.
    #[test]
    fn a_file_of_many_chunks_is_linted_as_one() {
        let filler = "COMMENT ON TABLE fresh IS 'padding, so the file spans many parse chunks';\n";
        let padding = filler.repeat(2 * CHUNK_BYTES / filler.len());
        let padding_lines = padding.lines().count();
        let sql = format!(
            "CREATE TABLE fresh (id bigint);\n\
             {padding}\
             SELEC 1;\n\
             {padding}\
             ALTER TABLE fresh ADD COLUMN a int NOT NULL;\n\
             ALTER TABLE old ADD COLUMN a int NOT NULL;\n\
             -- ratchet:allow ban-drop-column -- unused since v2\n\
             ALTER TABLE old DROP COLUMN b;\n"
        );
        let syntax_error = 2 + padding_lines;
        let not_null = syntax_error + padding_lines + 2;

        let mut config = LintConfig::default();
        for rule in rules::ALL.iter() {
            let on = ["adding-not-null-column-without-default", "ban-drop-column"];
            let setting = if on.contains(&rule.id()) {
                RuleSetting::On(Severity::Error)
            } else {
                RuleSetting::Off
            };
            config.set(rule.id(), setting).unwrap();
        }
        let big = |name: &str| LintInput {
            path: name.into(),
            source: sql.clone(),
        };
        let inputs = [
            big("0001_a.sql"),
            LintInput {
                path: "0002_small.sql".into(),
                source: "ALTER TABLE old ADD COLUMN c int NOT NULL;\n".into(),
            },
            big("0003_b.sql"),
        ];
        let (files, _) = prepare(0, &inputs[0], &config, false);
        assert!(
            chunks(&[files]).len() >= 4,
            "the test file must span chunks"
        );

        let found: Vec<(String, &str, usize)> = lint(&inputs, &config)
            .into_iter()
            .map(|d| (d.path.display().to_string(), d.rule, d.line))
            .collect();
        let expected = |path: &str| {
            [
                (path.to_owned(), SYNTAX_ERROR, syntax_error),
                (
                    path.to_owned(),
                    "adding-not-null-column-without-default",
                    not_null,
                ),
            ]
        };
        let mut want = expected("0001_a.sql").to_vec();
        want.push((
            "0002_small.sql".to_owned(),
            "adding-not-null-column-without-default",
            1,
        ));
        want.extend(expected("0003_b.sql"));
        assert_eq!(found, want);
    }
}
