use std::path::Path;
use std::process::ExitCode;

use ratchet::{Migrator, Version};
use serde_json::json;

use crate::cli::NewArgs;
use crate::failure::Failure;
use crate::output::Output;

/// Creates `<next version>_<name>.sql` (and its `.down.sql`). The next version is one above
/// the highest version of any file in the folder, retired ones included, in the width the
/// folder already uses (four digits in a new one).
pub fn run(migrator: &Migrator, args: &NewArgs, out: &Output) -> Result<ExitCode, Failure> {
    let dir = &migrator.settings().migrations_dir;
    if !dir.is_dir() {
        return Err(Failure::Usage(format!(
            "the migrations folder {} does not exist; run `ratchet init` first",
            dir.display()
        )));
    }
    let name = snake_case(&args.name);
    if name.is_empty() {
        return Err(Failure::Usage(format!(
            "{:?} has no letters or digits to name a migration with",
            args.name
        )));
    }
    let (highest, width) = highest_version(dir)?;
    let next = Version(highest.map_or(1, |v| v.0 + 1));
    let file_name = format!("{:0width$}_{name}.sql", next.0);
    let pattern = regex::Regex::new(&migrator.settings().name_pattern)
        .map_err(|e| Failure::Usage(format!("name_pattern: {e}")))?;
    if !pattern.is_match(&file_name) {
        return Err(Failure::Usage(format!(
            "{file_name} would not match the configured name_pattern {}",
            pattern.as_str()
        )));
    }
    let path = dir.join(&file_name);
    let mut body = String::new();
    if args.no_transaction {
        body.push_str(
            "-- ratchet:no-transaction\n\
             -- Runs statement by statement outside a transaction (e.g. CREATE INDEX CONCURRENTLY).\n\
             -- If a statement fails, the migration is marked failed until `ratchet repair --failed`.\n",
        );
    }
    body.push_str(&format!("-- {name}\n\n"));
    write_new(&path, &body)?;
    let mut created = vec![path.clone()];
    if args.down {
        let down = dir.join(format!("{:0width$}_{name}.down.sql", next.0));
        write_new(&down, &format!("-- undo {name}\n\n"))?;
        created.push(down);
    }
    if out.json() {
        out.document(&json!({ "ok": true, "version": next, "created": created }));
    } else {
        for path in &created {
            out.line(&format!("created {}", path.display()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_new(path: &Path, body: &str) -> Result<(), Failure> {
    use std::io::Write;
    // create_new: never overwrite a file that appeared meanwhile.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(body.as_bytes())
        .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))
}

fn highest_version(dir: &Path) -> Result<(Option<Version>, usize), Failure> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", dir.display())))?;
    let mut highest: Option<(Version, usize)> = None;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let digits = name.bytes().take_while(u8::is_ascii_digit).count();
        if let Some((version, _)) = Version::from_leading_digits(name) {
            if highest.is_none_or(|(h, _)| version > h) {
                highest = Some((version, digits));
            }
        }
    }
    Ok(match highest {
        Some((v, width)) => (Some(v), width),
        None => (None, 4),
    })
}

/// `Add Email-To users` → `add_email_to_users`.
fn snake_case(text: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && previous_lower && !out.ends_with('_') {
                out.push('_');
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            previous_lower = false;
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
    }
    out.trim_end_matches('_').to_owned()
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn names_become_snake_case() {
        assert_eq!(snake_case("AddEmailToUsers"), "add_email_to_users");
        assert_eq!(snake_case("add email-to users"), "add_email_to_users");
        assert_eq!(snake_case("__x__"), "x");
        assert_eq!(snake_case("é"), "");
    }
}
