use std::fmt;

use serde::{Deserialize, Serialize};

/// The leading number of a migration's file name. Ordering is numeric, never lexical, so that
/// `10_x.sql` sorts after `9_x.sql` even when a project mixes widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Version(pub u64);

impl Version {
    /// Parses the digits a file name starts with. Returns `None` when there are none or they do
    /// not fit in 64 bits (a 14-digit timestamp fits comfortably).
    pub fn from_leading_digits(name: &str) -> Option<(Version, &str)> {
        let digits = name.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let number = name[..digits].parse().ok()?;
        Some((Version(number), &name[digits..]))
    }

    /// A version as a person writes it (`0030`, `30`): digits only, nothing after them.
    pub fn from_written(text: &str) -> Option<Version> {
        match Version::from_leading_digits(text) {
            Some((version, "")) => Some(version),
            _ => None,
        }
    }
}

/// A version in a configuration file: `"0030"` (a string keeps the leading zeros people
/// write in file names) or `30`. The error gives what was written, for the caller's message.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum WrittenVersion {
    Text(String),
    Number(u64),
}

impl WrittenVersion {
    /// The version, or the written value quoted for an error message.
    pub fn version(self) -> Result<Version, String> {
        match self {
            WrittenVersion::Number(n) => Ok(Version(n)),
            WrittenVersion::Text(text) => Version::from_written(&text).ok_or(format!("{text:?}")),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_not_lexical_order() {
        let (nine, _) = Version::from_leading_digits("9_a.sql").unwrap();
        let (ten, rest) = Version::from_leading_digits("0010_b.sql").unwrap();
        assert!(nine < ten);
        assert_eq!(rest, "_b.sql");
        assert_eq!(Version::from_leading_digits("x_1.sql"), None);
        assert_eq!(
            Version::from_leading_digits("99999999999999999999999_x.sql"),
            None
        );
    }

    #[test]
    fn written_versions_are_digits_only() {
        assert_eq!(Version::from_written("0030"), Some(Version(30)));
        assert_eq!(Version::from_written("30"), Some(Version(30)));
        assert_eq!(Version::from_written("v30"), None);
        assert_eq!(Version::from_written("30_x"), None);
        assert_eq!(Version::from_written(""), None);
        assert_eq!(Version::from_written("99999999999999999999999"), None);
    }
}
