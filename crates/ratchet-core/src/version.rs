use std::fmt;

use serde::Serialize;

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
}
