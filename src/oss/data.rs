//! Data files as OSS objects: where a plan's local CSV lives once uploaded. Pure: the
//! address of a file follows from its content and `[data]` of `ptsplan.toml`, so `plan`
//! needs no network and the same file has the same address on every machine.
//!
//! The key is content-addressed, `ptsplan/data/<first 16 hex of SHA-256>/<file name>`: an
//! edited file gets a new key (the scene's `FileOssAddress` changes, and the plan shows it),
//! an unchanged one keeps its key (and is never uploaded twice).

use std::path::{Path, PathBuf};

use crate::api::Endpoint;

/// The bucket when `[data] bucket` is not set.
pub const DEFAULT_BUCKET: &str = "ptsplan-data";

/// The folder of every key ptsplan writes.
pub const KEY_PREFIX: &str = "ptsplan/data";

/// Where data files are stored (`[data]` of `ptsplan.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataStore {
    /// The bucket.
    pub bucket: String,
    /// The OSS endpoint (`oss-cn-shanghai.aliyuncs.com`); `None`: the backend itself (the
    /// local backend serves the OSS subset ptsplan needs at its own address).
    pub endpoint: Option<Endpoint>,
}

impl Default for DataStore {
    fn default() -> DataStore {
        DataStore {
            bucket: DEFAULT_BUCKET.to_owned(),
            endpoint: None,
        }
    }
}

/// Where an object request goes and what it signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectUrl {
    /// The URL to send to.
    pub url: String,
    /// `/bucket/key`, the signed resource.
    pub resource: String,
}

impl DataStore {
    /// The address a scene's `FileOssAddress` holds for `key`: `oss://bucket/key` on the
    /// backend itself (the same whatever port the local backend listens on), else the
    /// object's URL on the endpoint.
    pub fn address(&self, key: &str) -> String {
        match &self.endpoint {
            None => format!("oss://{}/{key}", self.bucket),
            Some(endpoint) => self.url_on(endpoint, key),
        }
    }

    /// Where requests for `key` go; `backend` is the PTS backend's endpoint, used when no
    /// OSS endpoint is configured.
    pub fn object_url(&self, key: &str, backend: &Endpoint) -> ObjectUrl {
        let endpoint = self.endpoint.as_ref().unwrap_or(backend);
        ObjectUrl {
            url: self.url_on(endpoint, key),
            resource: super::sign::resource(&self.bucket, key),
        }
    }

    /// Why files cannot be stored when talking to `backend`: with no OSS endpoint they go to
    /// the backend itself, which Alibaba Cloud's PTS (`*.aliyuncs.com`) does not serve.
    pub fn unusable_with(&self, backend: &Endpoint) -> Option<String> {
        (self.endpoint.is_none() && backend.authority().ends_with(".aliyuncs.com")).then(|| {
            format!(
                "the plan names local data files, and PTS ({backend}) does not store them: set \
                 [data] bucket and endpoint in ptsplan.toml (docs/configuration.md)"
            )
        })
    }

    /// Virtual-hosted (`https://bucket.host/key`, what OSS serves) unless the host is an
    /// IP address or `localhost`, which cannot carry the bucket: then path-style
    /// (`http://host:port/bucket/key`, what the local backend serves).
    fn url_on(&self, endpoint: &Endpoint, key: &str) -> String {
        let scheme = endpoint.scheme().as_str();
        let authority = endpoint.authority();
        if path_style(authority) {
            format!("{scheme}://{authority}/{}/{key}", self.bucket)
        } else {
            format!("{scheme}://{}.{authority}/{key}", self.bucket)
        }
    }
}

fn path_style(authority: &str) -> bool {
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok()
}

/// The bucket and key an address may name, most likely first: `oss://bucket/key`; an
/// `http(s)` URL read virtual-hosted (`bucket.host/key`) and path-style (`host/bucket/key`).
/// The local backend tries them against its own objects.
pub fn candidates(address: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    if let Some(rest) = address.strip_prefix("oss://") {
        if let Some((bucket, key)) = rest.split_once('/') {
            found.push((bucket.to_owned(), key.to_owned()));
        }
        return found;
    }
    let Ok(url) = url::Url::parse(address) else {
        return found;
    };
    if !matches!(url.scheme(), "http" | "https") {
        return found;
    }
    let path = percent_encoding::percent_decode_str(url.path().trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    if let Some((bucket, _)) = url.host_str().and_then(|host| host.split_once('.')) {
        found.push((bucket.to_owned(), path.clone()));
    }
    if let Some((bucket, key)) = path.split_once('/') {
        found.push((bucket.to_owned(), key.to_owned()));
    }
    found
}

/// What of a local file is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// The file as it is: JMeter scripts and the files they read themselves.
    Whole,
    /// A CSV file's records after its header line: the data files and CSV token pools of
    /// PTS scenes. PTS has no header setting and reads every line of a file as data; the
    /// header stays in the local file, where the plan names columns by it.
    DataRows,
}

/// A local data file named by a plan, as it will be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// As the plan names it (relative to the plan file).
    pub path: String,
    /// Where it is read from.
    pub local: PathBuf,
    /// What of it is stored.
    pub content: Content,
    /// Lower-case hex SHA-256 of what is stored.
    pub sha256: String,
    /// CSV records after the header line.
    pub rows: usize,
    /// The header line's column names.
    pub header: Vec<String>,
    /// Bytes stored.
    pub size: u64,
    /// The object key.
    pub key: String,
    /// The scene's `FileOssAddress`.
    pub address: String,
}

impl DataFile {
    /// Reads `path` (relative to `dir`) and derives what of it is stored (`content`), its
    /// key and its address in `store`.
    pub fn read(
        dir: &Path,
        path: &str,
        content: Content,
        store: &DataStore,
    ) -> std::io::Result<DataFile> {
        let local = dir.join(path);
        let bytes = std::fs::read(&local)?;
        let stored = stored_part(&bytes, content);
        let sha256 = sha256_hex(stored);
        let key = key(&sha256, path);
        let (header, records) = crate::engine::csv_outline(&bytes);
        Ok(DataFile {
            path: path.to_owned(),
            local,
            content,
            rows: records.saturating_sub(1),
            header,
            size: stored.len() as u64,
            address: store.address(&key),
            key,
            sha256,
        })
    }

    /// What is stored of the local file as it is now, with the SHA-256 (hex) of it: apply
    /// compares that hash with the planned one before it uploads.
    pub fn stored_bytes(&self) -> std::io::Result<(Vec<u8>, String)> {
        let bytes = std::fs::read(&self.local)?;
        let stored = stored_part(&bytes, self.content).to_vec();
        let sha256 = sha256_hex(&stored);
        Ok((stored, sha256))
    }

    /// What people are shown of the file's size: `N rows, ` for a CSV file (records after
    /// the header), nothing for other files (JMX, JAR), whose rows mean nothing.
    pub fn rows_shown(&self) -> String {
        if self.path.to_ascii_lowercase().ends_with(".csv") {
            format!("{} rows, ", self.rows)
        } else {
            String::new()
        }
    }

    /// The short hash shown to people (16 hex characters, as in the key).
    pub fn short_hash(&self) -> &str {
        &self.sha256[..16.min(self.sha256.len())]
    }
}

/// The part of a file's `bytes` that is stored as `content`.
fn stored_part(bytes: &[u8], content: Content) -> &[u8] {
    match content {
        Content::Whole => bytes,
        Content::DataRows => crate::engine::csv_data_rows(bytes),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// The content-addressed key of a file with content hash `sha256` (hex) named `path`:
/// `ptsplan/data/<16 hex>/<file name>`, the name reduced to `[A-Za-z0-9._-]` so that keys
/// need no escaping in URLs or signatures.
pub fn key(sha256: &str, path: &str) -> String {
    let name = safe_file_name(path, "data.csv");
    format!("{KEY_PREFIX}/{}/{name}", &sha256[..16.min(sha256.len())])
}

/// The last component of `path` reduced to `[A-Za-z0-9._-]` (others become `_`), or
/// `fallback` when nothing but dots would be left: a name safe in object keys, URLs and
/// local directories.
pub fn safe_file_name(path: &str, fallback: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.trim_matches('.').is_empty() {
        fallback.to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn keys_hold_the_hash_and_a_safe_name() {
        assert_eq!(
            key(HASH, "data/users.csv"),
            "ptsplan/data/9f86d081884c7d65/users.csv"
        );
        assert_eq!(
            key(HASH, "data\\my users (1).csv"),
            "ptsplan/data/9f86d081884c7d65/my_users__1_.csv"
        );
        assert_eq!(key(HASH, ".."), "ptsplan/data/9f86d081884c7d65/data.csv");
    }

    #[test]
    fn addresses_follow_the_store() {
        let key = key(HASH, "tokens.csv");
        let local = DataStore::default();
        assert_eq!(
            local.address(&key),
            "oss://ptsplan-data/ptsplan/data/9f86d081884c7d65/tokens.csv"
        );
        let backend = Endpoint::parse("http://127.0.0.1:4567").expect("endpoint");
        assert_eq!(
            local.object_url(&key, &backend),
            ObjectUrl {
                url: format!("http://127.0.0.1:4567/ptsplan-data/{key}"),
                resource: format!("/ptsplan-data/{key}"),
            }
        );
        let cloud = DataStore {
            bucket: "loadtest".into(),
            endpoint: Some(Endpoint::parse("oss-cn-shanghai.aliyuncs.com").expect("endpoint")),
        };
        let url = format!("https://loadtest.oss-cn-shanghai.aliyuncs.com/{key}");
        assert_eq!(cloud.address(&key), url);
        assert_eq!(cloud.object_url(&key, &backend).url, url);
        assert_eq!(
            cloud.object_url(&key, &backend).resource,
            format!("/loadtest/{key}")
        );
        assert_eq!(local.unusable_with(&backend), None);
        assert_eq!(cloud.unusable_with(&Endpoint::pts()), None);
        let refused = local.unusable_with(&Endpoint::pts()).expect("refused");
        assert!(refused.contains("[data] bucket and endpoint"), "{refused}");
    }

    #[test]
    fn candidates_read_every_style() {
        assert_eq!(
            candidates("oss://b/ptsplan/data/x/u.csv"),
            vec![("b".to_owned(), "ptsplan/data/x/u.csv".to_owned())]
        );
        let found = candidates("https://b.oss-cn-shanghai.aliyuncs.com/k/u.csv");
        assert_eq!(found[0], ("b".to_owned(), "k/u.csv".to_owned()));
        let found = candidates("http://127.0.0.1:1/b/k/u.csv");
        assert!(found.contains(&("b".to_owned(), "k/u.csv".to_owned())));
        assert!(candidates("data/u.csv").is_empty());
        assert!(candidates("file:///tmp/u.csv").is_empty());
    }

    #[test]
    fn a_file_is_read_into_its_address() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("t.csv"), "user,token\nu1,a\nu2,b\n").expect("write");
        let file = DataFile::read(dir.path(), "t.csv", Content::Whole, &DataStore::default())
            .expect("read");
        assert_eq!(file.rows, 2);
        assert_eq!(file.size, 21);
        assert_eq!(file.short_hash().len(), 16);
        assert_eq!(
            file.address,
            format!(
                "oss://ptsplan-data/ptsplan/data/{}/t.csv",
                file.short_hash()
            )
        );
    }

    #[test]
    fn a_csv_data_file_is_stored_without_its_header_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("t.csv"), "user,token\nu1,a\nu2,b\n").expect("write");
        let store = DataStore::default();
        let rows = DataFile::read(dir.path(), "t.csv", Content::DataRows, &store).expect("read");
        let whole = DataFile::read(dir.path(), "t.csv", Content::Whole, &store).expect("read");
        assert_eq!((rows.rows, rows.size), (2, 10));
        assert_eq!(rows.header, ["user", "token"]);
        assert_ne!(rows.key, whole.key);
        let (stored, sha256) = rows.stored_bytes().expect("stored");
        assert_eq!(stored, b"u1,a\nu2,b\n");
        assert_eq!(sha256, rows.sha256);
        // A new header alone leaves what is stored, and so the address, as it was.
        std::fs::write(dir.path().join("t.csv"), "id,tok\nu1,a\nu2,b\n").expect("write");
        let renamed = DataFile::read(dir.path(), "t.csv", Content::DataRows, &store).expect("read");
        assert_eq!(renamed.address, rows.address);
    }
}
