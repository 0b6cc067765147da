use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// A migration file's fingerprint, stored with the name of the algorithm *and* the
/// normalisation that produced it. refinery had to migrate its users off `DefaultHasher`
/// because the algorithm was never pinned; naming it in every history row means a future
/// normalisation can be added without invalidating a single existing row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Checksum {
    /// Always [`Checksum::SHA256_LF`] for files this version reads; a `&'static str` so that
    /// loading thousands of files does not allocate the same name thousands of times.
    pub algorithm: &'static str,
    /// Lowercase hex.
    pub hex: String,
}

impl Checksum {
    /// SHA-256 over the bytes with a leading UTF-8 BOM removed and every CRLF turned into LF,
    /// so that a Windows checkout (`core.autocrlf`) or an editor adding a BOM does not make an
    /// applied migration look modified.
    pub const SHA256_LF: &'static str = "sha256-lf";

    pub fn of(bytes: &[u8]) -> Checksum {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut hasher = Sha256::new();
        let mut rest = body;
        // Feed the hasher in runs between CRLFs instead of building a normalised copy.
        while let Some(at) = rest.windows(2).position(|w| w == b"\r\n") {
            hasher.update(&rest[..at]);
            hasher.update(b"\n");
            rest = &rest[at + 2..];
        }
        hasher.update(rest);
        Checksum {
            algorithm: Self::SHA256_LF,
            hex: to_hex(&hasher.finalize()),
        }
    }

    /// Whether `stored` (a history row's checksum and algorithm) describes the same content.
    /// Rows written by an algorithm this version does not know are never equal; callers report
    /// them rather than silently accepting them.
    pub fn matches(&self, stored_hex: &str, stored_algorithm: &str) -> bool {
        self.algorithm == stored_algorithm && self.hex.eq_ignore_ascii_case(stored_hex)
    }

    /// The first 12 hex digits: enough to tell checksums apart in a table.
    pub fn short(&self) -> &str {
        &self.hex[..12.min(self.hex.len())]
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    out.extend(hex_digits(bytes).map(char::from));
    out
}

/// The lowercase hex digits of `bytes`, without allocating.
pub(crate) fn hex_digits(bytes: &[u8]) -> impl Iterator<Item = u8> + '_ {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_crlf_do_not_change_the_checksum() {
        let unix = Checksum::of(b"create table t (id int);\nselect 1;\n");
        let windows = Checksum::of(b"\xEF\xBB\xBFcreate table t (id int);\r\nselect 1;\r\n");
        assert_eq!(unix, windows);
        assert_eq!(unix.algorithm, "sha256-lf");
        assert_eq!(unix.hex.len(), 64);
    }

    #[test]
    fn lone_cr_is_content() {
        assert_ne!(Checksum::of(b"a\rb"), Checksum::of(b"a\nb"));
    }

    #[test]
    fn known_vector() {
        // sha256("") — pins the algorithm so a dependency change cannot alter stored values.
        assert_eq!(
            Checksum::of(b"").hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    proptest::proptest! {
        #[test]
        fn crlf_normalisation_equals_replacing(s in "[a-z\r\n]{0,40}") {
            // One left-to-right pass, as `str::replace` does: "\r\r\n" becomes "\r\n".
            let normalised = s.replace("\r\n", "\n");
            let expected = to_hex(&Sha256::digest(normalised.as_bytes()));
            proptest::prop_assert_eq!(Checksum::of(s.as_bytes()).hex, expected);
        }
    }
}
