//! Identifiers and times in PTS's forms: short upper-case alphanumeric ids (`NHBG6V`),
//! `YYYY-MM-DD HH:MM:SS` scene times, epoch milliseconds for run times, and request ids.

/// Characters of PTS ids: upper-case letters and digits.
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A random id of `len` upper-case alphanumerics, like PTS's `NHBG6V` / `DYYPZIH`.
pub(crate) fn new_id(len: usize) -> String {
    (0..len)
        .map(|_| char::from(ALPHABET[rand::random_range(..ALPHABET.len())]))
        .collect()
}

/// A fresh id for a collection: `len` characters, drawn again until `taken` says it is free.
pub(crate) fn unique_id(len: usize, taken: impl Fn(&str) -> bool) -> String {
    loop {
        let id = new_id(len);
        if !taken(&id) {
            return id;
        }
    }
}

/// A request id in the gateway's form (`8-4-4-4-12` upper-case hex).
pub(crate) fn request_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let hex = hex::encode_upper(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Whether `id` is one this emulator could have made, and so safe as a file name.
pub(crate) fn is_safe_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Now as `YYYY-MM-DD HH:MM:SS` in the machine's time zone, the form of scene and report
/// times (PTS shows its console's local time, not UTC).
pub(crate) fn now_text() -> String {
    time_text(jiff::Timestamp::now())
}

/// `time` as `YYYY-MM-DD HH:MM:SS` in the machine's time zone.
pub(crate) fn time_text(time: jiff::Timestamp) -> String {
    time.to_zoned(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Now in epoch milliseconds, the form of run start times.
pub(crate) fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_upper_case_alphanumeric() {
        for _ in 0..100 {
            let id = new_id(6);
            assert_eq!(id.len(), 6);
            assert!(is_safe_id(&id), "{id}");
            assert!(id.bytes().all(|b| !b.is_ascii_lowercase()));
        }
        assert!(!is_safe_id("../x"));
        assert!(!is_safe_id(""));
    }

    #[test]
    fn request_ids_look_like_the_gateway_s() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
    }

    #[test]
    fn times_have_the_scene_form() {
        let text = now_text();
        assert_eq!(text.len(), 19, "{text}");
        assert_eq!(&text[4..5], "-");
        assert_eq!(&text[10..11], " ");
    }
}
