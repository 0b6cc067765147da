//! Runs the rules over files: directives, splitting, parsing, rules, suppressions.

use std::path::PathBuf;

use pg_query::NodeEnum;
use ratchet_sql::{Directives, LineIndex, Suppression};

use crate::context::{make, relation_name, FileState, StatementContext};
use crate::objects::{self, FileObjects};
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

/// Lints every file, in parallel (files are independent), and returns the findings in file
/// order, each file's sorted by position. Then, when `undeclared-dependency` is on, a second
/// pass looks across files at what each one creates and uses.
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
    let per_file: Vec<(Vec<Diagnostic>, Option<FileObjects>)> = if workers < 2 || inputs.len() < 2 {
        inputs
            .iter()
            .map(|f| lint_file(f, config, &enabled, collect))
            .collect()
    } else {
        let chunk = inputs.len().div_ceil(workers);
        std::thread::scope(|scope| {
            let handles: Vec<_> = inputs
                .chunks(chunk)
                .map(|part| {
                    let enabled = &enabled;
                    scope.spawn(move || {
                        part.iter()
                            .map(|f| lint_file(f, config, enabled, collect))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a lint rule panicked"))
                .collect()
        })
    };
    let (mut found, collected): (Vec<Vec<Diagnostic>>, Vec<Option<FileObjects>>) =
        per_file.into_iter().unzip();
    if let Some(severity) = dependencies {
        cross_file(inputs, &collected, severity, &mut found);
    }
    found.into_iter().flatten().collect()
}

/// The second pass: `undeclared-dependency` findings, through the same suppression logic as
/// the per-file findings (each file's suppressions of this rule were kept aside for it).
fn cross_file(
    inputs: &[LintInput],
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
        let lines = LineIndex::new(&input.source);
        let findings = findings
            .into_iter()
            .map(|f| {
                let d = make(
                    &input.path,
                    &lines,
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
        suppress(&input.path, &lines, suppressions, findings, out);
        out.sort_by_key(|d| (d.start, d.rule));
    }
}

fn lint_file(
    input: &LintInput,
    config: &LintConfig,
    enabled: &[(&'static dyn Rule, Severity)],
    collect_objects: bool,
) -> (Vec<Diagnostic>, Option<FileObjects>) {
    let source = input.source.as_str();
    let lines = LineIndex::new(source);
    let at = |rule, span, message: String, help: Option<&str>| {
        make(
            &input.path,
            &lines,
            rule,
            Severity::Error,
            span,
            message,
            help.map(str::to_owned),
        )
    };
    let mut out = Vec::new();

    let mut directives = match ratchet_sql::parse_directives(source, config.dialect) {
        Ok(d) => d,
        Err(errors) => {
            for e in errors {
                let end = line_end(source, e.offset);
                out.push(at(INVALID_DIRECTIVE, (e.offset, end), e.message, None));
            }
            Directives::default()
        }
    };
    let statements = match ratchet_sql::split(source, config.dialect) {
        Ok(s) => s,
        Err(e) => {
            let end = line_end(source, e.offset);
            out.push(at(
                SYNTAX_ERROR,
                (e.offset, end),
                format!("{} is never closed", e.kind),
                None,
            ));
            return (out, None);
        }
    };
    let mut collected = collect_objects.then(FileObjects::default);

    let transactional = !directives.no_transaction;
    let mut state = FileState::default();
    // (first line of the statement, finding) for the suppression pass.
    let mut findings: Vec<(usize, Diagnostic)> = Vec::new();
    for statement in &statements {
        let text = statement.text(source);
        let offset = statement.range.start;
        let first_line = lines.line_col(offset).0;
        let parsed = match crate::parse::parse(text) {
            Ok(parsed) => parsed,
            // The rules speak PostgreSQL. In a SQLite project, a statement its grammar cannot
            // read (`CREATE TRIGGER ... BEGIN ... END`, `INSERT OR REPLACE`) is SQLite's own
            // syntax, not a mistake: it is left unchecked rather than reported.
            Err(_) if config.dialect == ratchet_sql::Dialect::Sqlite => continue,
            Err(e) => {
                let start = offset + e.offset.unwrap_or(0);
                let end = line_end(source, start).max(start + 1).min(source.len());
                out.push(at(SYNTAX_ERROR, (start, end), e.message, None));
                continue;
            }
        };
        for raw in &parsed.protobuf.stmts {
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
                parsed: &parsed,
                transactional,
                state: &state,
                lines: &lines,
            };
            let mut found = Vec::new();
            for (rule, severity) in enabled {
                rule.check(&cx, *severity, &mut found);
            }
            findings.extend(found.into_iter().map(|d| (first_line, d)));
            if let Some(collected) = &mut collected {
                collected.statement(node, &parsed, text, offset, first_line);
            }
            learn(&mut state, node);
        }
    }

    if let Some(collected) = &mut collected {
        // Findings of the cross-file rule only exist after the second pass, which applies
        // (and checks) these suppressions itself.
        let is_cross_file = |s: &Suppression| s.rule == objects::UNDECLARED_DEPENDENCY;
        let suppressions = &mut collected.suppressions;
        (suppressions.allow, directives.allow) =
            directives.allow.drain(..).partition(is_cross_file);
        (suppressions.allow_file, directives.allow_file) =
            directives.allow_file.drain(..).partition(is_cross_file);
    }
    suppress(&input.path, &lines, &directives, findings, &mut out);
    out.sort_by_key(|d| (d.start, d.rule));
    (out, collected)
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
