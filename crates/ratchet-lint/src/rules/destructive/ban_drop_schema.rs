use pg_query::protobuf::{DropBehavior, ObjectType};
use pg_query::NodeEnum;

use super::{find, quote_ident, tokens, Pat};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `DROP SCHEMA`.
///
/// ## Why is this bad?
/// With `CASCADE` it silently deletes every table, view, function and type in the schema,
/// with their data; without it, it fails as soon as the schema holds anything, which usually
/// means the migration was written against a different database than production.
///
/// ## Example
/// ```sql
/// DROP SCHEMA reporting CASCADE;
/// ```
///
/// ## Use instead
/// Drop the objects you mean to drop one by one, so each is reviewed (and flagged by
/// `ban-drop-table`), or suppress this with a reason when the schema really must go:
/// ```sql
/// -- ratchet:allow ban-drop-schema -- reporting moved to the warehouse in v5
/// DROP SCHEMA reporting CASCADE;
/// ```
pub struct BanDropSchema;

impl Rule for BanDropSchema {
    fn id(&self) -> &'static str {
        "ban-drop-schema"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let NodeEnum::DropStmt(stmt) = cx.node else {
            return;
        };
        if stmt.remove_type != ObjectType::ObjectSchema as i32 {
            return;
        }
        let cascade = stmt.behavior == DropBehavior::DropCascade as i32;
        let tokens = tokens(cx);
        for object in &stmt.objects {
            let Some(NodeEnum::String(name)) = &object.node else {
                continue;
            };
            let span = find(cx, &tokens, &[Pat::Name(&[name.sval.as_str()])]);
            let name = quote_ident(&name.sval);
            let message = if cascade {
                format!("DROP SCHEMA ... CASCADE deletes schema {name} and every object in it, with their data")
            } else {
                format!("DROP SCHEMA deletes schema {name}")
            };
            out.push(cx.diagnostic(
                self.id(),
                severity,
                span,
                message,
                Some(
                    "drop the objects you mean to drop one by one, or suppress this with a reason",
                ),
            ));
        }
    }
}
