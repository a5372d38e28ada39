//! RFC 3986 percent-encoding, as both signature versions use it.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Every byte except the RFC 3986 unreserved characters `A–Z a–z 0–9 - _ . ~`.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `text` over its UTF-8 bytes, `%XX` upper-case: space → `%20`, `*` → `%2A`,
/// `/` → `%2F`, `~` kept. Unlike form encoding, never `+` for space.
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, NOT_UNRESERVED).to_string()
}

/// `name=value` pairs, both sides percent-encoded, joined with `&`, in the given order. Also a
/// valid `application/x-www-form-urlencoded` body or query string.
pub fn encode_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The pairs sorted by name (then value, for repeated names) and encoded: the canonical query
/// of both signature versions.
pub(super) fn canonical_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<_> = pairs.into_iter().collect();
    pairs.sort_unstable();
    encode_pairs(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_are_kept() {
        let unreserved = "AZaz09-_.~";
        assert_eq!(percent_encode(unreserved), unreserved);
    }

    #[test]
    fn reserved_characters_are_encoded_upper_case() {
        for (text, encoded) in [
            (" ", "%20"),
            ("*", "%2A"),
            ("/", "%2F"),
            ("+", "%2B"),
            ("=", "%3D"),
            ("&", "%26"),
            (":", "%3A"),
            ("%", "%25"),
            ("\"", "%22"),
            ("[", "%5B"),
            ("\n", "%0A"),
            ("ÿ", "%C3%BF"),
            ("场景", "%E5%9C%BA%E6%99%AF"),
            ("a b*c~d/e", "a%20b%2Ac~d%2Fe"),
        ] {
            assert_eq!(percent_encode(text), encoded, "{text:?}");
        }
    }

    #[test]
    fn canonical_pairs_sort_by_name_in_byte_order() {
        let pairs = [("b", "2"), ("a", "x y"), ("B", "1"), ("a", "w")];
        assert_eq!(canonical_pairs(pairs), "B=1&a=w&a=x%20y&b=2");
        assert_eq!(canonical_pairs([]), "");
    }
}
