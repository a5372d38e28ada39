//! Where the access key comes from: the credentials chain (I/O), kept apart from the pure
//! signer in [`super::sign`].
//!
//! Order (reference §4.2, "Suggested order for ptsplan"), first hit wins:
//!
//! 1. an explicit `--profile` flag: only the two files below, with that profile, which must
//!    exist (the user named it for this invocation, so keys in the environment do not
//!    silently win over it);
//! 2. `ALICLOUD_ACCESS_KEY_ID` + `ALICLOUD_ACCESS_KEY_SECRET` (+ `ALICLOUD_SECURITY_TOKEN`);
//! 3. the same with `ALIBABA_CLOUD_`, then `ALIBABACLOUD_`;
//! 4. the shared INI file: `ALIBABA_CLOUD_CREDENTIALS_FILE`, else `~/.alibabacloud/credentials`,
//!    else `~/.alibabacloud/credentials.ini`; section = the configured profile,
//!    `ALIBABA_CLOUD_PROFILE` or `default`; only `type = access_key`;
//! 5. the aliyun CLI's `~/.aliyun/config.json`: profile = the configured one,
//!    `ALIBABA_CLOUD_PROFILE`, or the file's `current`; modes `AK` and `StsToken`;
//! 6. none (the caller then picks the embedded local backend).
//!
//! A half-configured source (a key id without its secret, an unreadable file, a profile of a
//! type ptsplan cannot use) is an error, not a reason to fall through: falling through would
//! silently use another account or the local backend.
//!
//! Every result records its [`CredentialSource`], so that an `InvalidAccessKeyId` answer can
//! say which key was used. The process environment and the home directory are read through
//! [`Environment`], so tests can use a fake one.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::sign::Credential;
use crate::diag::Diagnostic;

/// Variable lookup and home directory: the process environment in the CLI, a map in tests.
pub trait Environment {
    /// The value of variable `name`; empty values count as unset.
    fn var(&self, name: &str) -> Option<String>;
    /// The user's home directory.
    fn home(&self) -> Option<PathBuf>;
}

/// The real process environment; home is `$HOME` (Windows: `USERPROFILE`, then
/// `HOMEDRIVE`+`HOMEPATH`), as the Alibaba Cloud tools look it up.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|value| !value.is_empty())
    }

    fn home(&self) -> Option<PathBuf> {
        if let Some(home) = self.var("HOME") {
            return Some(PathBuf::from(home));
        }
        if let Some(profile) = self.var("USERPROFILE") {
            return Some(PathBuf::from(profile));
        }
        match (self.var("HOMEDRIVE"), self.var("HOMEPATH")) {
            (Some(drive), Some(path)) => Some(PathBuf::from(format!("{drive}{path}"))),
            _ => None,
        }
    }
}

/// A fixed environment: for tests, and for embedding ptsplan without touching the process
/// environment.
#[derive(Debug, Clone, Default)]
pub struct StaticEnvironment {
    /// Variables by name.
    pub vars: BTreeMap<String, String>,
    /// The home directory.
    pub home: Option<PathBuf>,
}

impl StaticEnvironment {
    /// An environment with a home directory and no variables.
    pub fn with_home(home: impl Into<PathBuf>) -> Self {
        Self {
            vars: BTreeMap::new(),
            home: Some(home.into()),
        }
    }

    /// Sets a variable.
    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }
}

impl Environment for StaticEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .filter(|value| !value.is_empty())
            .cloned()
    }

    fn home(&self) -> Option<PathBuf> {
        self.home.clone()
    }
}

/// Where a credential was found; shown in error hints ("the key from environment
/// ALICLOUD_ACCESS_KEY_ID was not found").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// Environment variables; `variable` is the key id's name.
    Environment {
        /// e.g. `ALICLOUD_ACCESS_KEY_ID`.
        variable: &'static str,
    },
    /// A section of the shared INI credentials file.
    SharedFile {
        /// The file, with the home directory shown as `~`.
        path: String,
        /// The section.
        profile: String,
    },
    /// A profile of the aliyun CLI's `config.json`.
    CliConfig {
        /// The file, with the home directory shown as `~`.
        path: String,
        /// The profile name.
        profile: String,
    },
    /// The key pair the embedded local backend generated for itself.
    LocalBackend {
        /// Its keys file.
        path: String,
    },
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Environment { variable } => write!(f, "environment {variable}"),
            Self::SharedFile { path, profile } | Self::CliConfig { path, profile } => {
                write!(f, "{path} [{profile}]")
            }
            Self::LocalBackend { path } => write!(f, "the local backend's key ({path})"),
        }
    }
}

/// A credential and where it came from, with the region its profile names (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCredential {
    /// The key (its `Debug` is redacted).
    pub credential: Credential,
    /// Where it was found.
    pub source: CredentialSource,
    /// `region_id` of the CLI profile it came from.
    pub region: Option<String>,
}

/// How the profile to read was chosen; an explicit one must exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileChoice {
    /// `--profile NAME`: only the files are read, and the profile must be in one of them.
    Flag(String),
    /// `PTSPLAN_PROFILE` or `ptsplan.toml`: selects the file profile if the chain gets there;
    /// it must then exist in one of the files.
    Configured(String),
    /// Nothing configured: `ALIBABA_CLOUD_PROFILE`, then `default` / the CLI's `current`.
    Default,
}

/// A credential source that is present but unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// One half of an environment key pair is set.
    #[error("{present} is set but {missing} is not")]
    IncompleteEnvironment {
        /// The variable that is set.
        present: &'static str,
        /// Its missing partner.
        missing: &'static str,
    },
    /// A credentials file exists but cannot be read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// A credentials file is not in the expected format.
    #[error("{path} is malformed: {reason}")]
    Malformed {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The selected profile is of a kind ptsplan does not support (role assumption…).
    #[error("{location} is of type `{kind}`; ptsplan supports only {supported}")]
    Unsupported {
        /// The profile.
        location: CredentialSource,
        /// Its type or mode.
        kind: String,
        /// What is supported there.
        supported: &'static str,
    },
    /// The selected profile lacks a field.
    #[error("{location} has no `{field}`")]
    MissingField {
        /// The profile.
        location: CredentialSource,
        /// The field.
        field: &'static str,
    },
    /// A profile was named but is in neither file.
    #[error("credentials profile `{profile}` was not found (looked in {searched})")]
    ProfileNotFound {
        /// The profile name.
        profile: String,
        /// The files looked at.
        searched: String,
    },
}

impl CredentialError {
    /// The error as a diagnostic with a fix.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let help = match self {
            Self::IncompleteEnvironment { missing, .. } => {
                format!("set {missing} too, or unset both to use another credentials source")
            }
            Self::Unreadable { .. } | Self::Malformed { .. } => {
                "fix or remove the file; see docs/configuration.md#credentials".to_owned()
            }
            Self::Unsupported { supported, .. } => format!(
                "use a profile with {supported}, or export ALICLOUD_ACCESS_KEY_ID / \
                 ALICLOUD_ACCESS_KEY_SECRET (and ALICLOUD_SECURITY_TOKEN for STS)"
            ),
            Self::MissingField { .. } => "complete the profile".to_owned(),
            Self::ProfileNotFound { .. } => {
                "check the profile name (--profile, PTSPLAN_PROFILE or [backend] profile)"
                    .to_owned()
            }
        };
        Diagnostic::error("credentials::invalid", self.to_string()).with_help(help)
    }
}

/// The environment variable families, in the order they are tried.
const ENV_PREFIXES: [EnvNames; 3] = [
    EnvNames::new(
        "ALICLOUD_ACCESS_KEY_ID",
        "ALICLOUD_ACCESS_KEY_SECRET",
        "ALICLOUD_SECURITY_TOKEN",
    ),
    EnvNames::new(
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
    ),
    EnvNames::new(
        "ALIBABACLOUD_ACCESS_KEY_ID",
        "ALIBABACLOUD_ACCESS_KEY_SECRET",
        "ALIBABACLOUD_SECURITY_TOKEN",
    ),
];

/// The region variables, in the order they are tried (reference §4.2).
pub const REGION_VARIABLES: [&str; 3] = [
    "ALICLOUD_REGION_ID",
    "ALIBABA_CLOUD_REGION_ID",
    "ALIBABACLOUD_REGION_ID",
];

struct EnvNames {
    id: &'static str,
    secret: &'static str,
    token: &'static str,
}

impl EnvNames {
    const fn new(id: &'static str, secret: &'static str, token: &'static str) -> Self {
        Self { id, secret, token }
    }
}

/// Runs the chain. `Ok(None)` means no source is configured at all.
pub fn resolve(
    env: &dyn Environment,
    profile: &ProfileChoice,
) -> Result<Option<ResolvedCredential>, CredentialError> {
    if !matches!(profile, ProfileChoice::Flag(_)) {
        for names in &ENV_PREFIXES {
            if let Some(found) = from_environment(env, names)? {
                return Ok(Some(found));
            }
        }
    }
    let (name, must_exist) = match profile {
        ProfileChoice::Flag(name) | ProfileChoice::Configured(name) => (Some(name.clone()), true),
        ProfileChoice::Default => (env.var("ALIBABA_CLOUD_PROFILE"), false),
    };
    let mut searched = Vec::new();
    if let Some(found) = from_shared_file(env, name.as_deref(), &mut searched)? {
        return Ok(Some(found));
    }
    if let Some(found) = from_cli_config(env, name.as_deref(), &mut searched)? {
        return Ok(Some(found));
    }
    match name {
        Some(profile) if must_exist => Err(CredentialError::ProfileNotFound {
            profile,
            searched: if searched.is_empty() {
                "no credentials file exists".to_owned()
            } else {
                searched.join(", ")
            },
        }),
        _ => Ok(None),
    }
}

fn from_environment(
    env: &dyn Environment,
    names: &EnvNames,
) -> Result<Option<ResolvedCredential>, CredentialError> {
    match (env.var(names.id), env.var(names.secret)) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(CredentialError::IncompleteEnvironment {
            present: names.id,
            missing: names.secret,
        }),
        (None, Some(_)) => Err(CredentialError::IncompleteEnvironment {
            present: names.secret,
            missing: names.id,
        }),
        (Some(id), Some(secret)) => {
            let mut credential = Credential::new(id, secret);
            if let Some(token) = env.var(names.token) {
                credential = credential.with_security_token(token);
            }
            Ok(Some(ResolvedCredential {
                credential,
                source: CredentialSource::Environment { variable: names.id },
                region: None,
            }))
        }
    }
}

/// `path` for messages: the home directory shown as `~`.
fn display_path(env: &dyn Environment, path: &Path) -> String {
    // No let-chains: the crate's rust-version is 1.85.
    match env.home().as_deref().map(|home| path.strip_prefix(home)) {
        Some(Ok(rest)) => format!("~/{}", rest.display()),
        _ => path.display().to_string(),
    }
}

fn read_optional(env: &dyn Environment, path: &Path) -> Result<Option<String>, CredentialError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(CredentialError::Unreadable {
            path: display_path(env, path),
            reason: error.to_string(),
        }),
    }
}

fn from_shared_file(
    env: &dyn Environment,
    profile: Option<&str>,
    searched: &mut Vec<String>,
) -> Result<Option<ResolvedCredential>, CredentialError> {
    let (path, text) = if let Some(path) = env.var("ALIBABA_CLOUD_CREDENTIALS_FILE") {
        let path = PathBuf::from(path);
        // A file named explicitly must exist, as the official library requires.
        let text = read_optional(env, &path)?.ok_or_else(|| CredentialError::Unreadable {
            path: display_path(env, &path),
            reason: "ALIBABA_CLOUD_CREDENTIALS_FILE names a file that does not exist".into(),
        })?;
        (path, text)
    } else {
        let Some(home) = env.home() else {
            return Ok(None);
        };
        let dir = home.join(".alibabacloud");
        let mut found = None;
        for name in ["credentials", "credentials.ini"] {
            let path = dir.join(name);
            if let Some(text) = read_optional(env, &path)? {
                found = Some((path, text));
                break;
            }
        }
        let Some(found) = found else {
            return Ok(None);
        };
        found
    };
    let shown = display_path(env, &path);
    searched.push(shown.clone());
    let sections = parse_ini(&text).map_err(|reason| CredentialError::Malformed {
        path: shown.clone(),
        reason,
    })?;
    let profile = profile.unwrap_or("default");
    let Some(section) = sections.get(profile) else {
        return Ok(None);
    };
    let source = CredentialSource::SharedFile {
        path: shown,
        profile: profile.to_owned(),
    };
    match section.get("type").map(String::as_str) {
        Some("access_key") => {}
        Some(kind) => {
            return Err(CredentialError::Unsupported {
                location: source,
                kind: kind.to_owned(),
                supported: "`type = access_key`",
            });
        }
        None => {
            return Err(CredentialError::MissingField {
                location: source,
                field: "type",
            });
        }
    }
    let field = |name: &'static str| {
        section
            .get(name)
            .filter(|value| !value.is_empty())
            .cloned()
            .ok_or_else(|| CredentialError::MissingField {
                location: source.clone(),
                field: name,
            })
    };
    let credential = Credential::new(field("access_key_id")?, field("access_key_secret")?);
    Ok(Some(ResolvedCredential {
        credential,
        source,
        region: None,
    }))
}

/// Sections of an INI file: `[name]` headers, `key = value` lines. Values are trimmed and
/// anything after `#` is dropped, as the official library does; lines starting with `;` or
/// `#` are comments.
fn parse_ini(text: &str) -> Result<BTreeMap<String, BTreeMap<String, String>>, String> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            let name = name
                .strip_suffix(']')
                .ok_or_else(|| format!("line {}: unclosed section header", index + 1))?
                .trim()
                .to_owned();
            sections.entry(name.clone()).or_default();
            current = Some(name);
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: expected `key = value`", index + 1))?;
        let section = current
            .as_ref()
            .ok_or_else(|| format!("line {}: a key before any [section]", index + 1))?;
        sections
            .entry(section.clone())
            .or_default()
            .insert(key.trim().to_owned(), value.trim().to_owned());
    }
    Ok(sections)
}

/// `~/.aliyun/config.json`, the fields ptsplan reads.
#[derive(Debug, Deserialize)]
struct CliConfig {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

#[derive(Debug, Deserialize)]
struct CliProfile {
    #[serde(default)]
    name: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    access_key_id: String,
    #[serde(default)]
    access_key_secret: String,
    #[serde(default)]
    sts_token: String,
    #[serde(default)]
    region_id: String,
}

fn from_cli_config(
    env: &dyn Environment,
    profile: Option<&str>,
    searched: &mut Vec<String>,
) -> Result<Option<ResolvedCredential>, CredentialError> {
    let disabled = |name| {
        env.var(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    };
    if disabled("ALIBABA_CLOUD_CLI_PROFILE_DISABLED") || disabled("ALIBABA_CLOUD_IGNORE_PROFILE") {
        return Ok(None);
    }
    let Some(home) = env.home() else {
        return Ok(None);
    };
    let path = home.join(".aliyun").join("config.json");
    let Some(text) = read_optional(env, &path)? else {
        return Ok(None);
    };
    let shown = display_path(env, &path);
    searched.push(shown.clone());
    let config: CliConfig =
        serde_json::from_str(&text).map_err(|error| CredentialError::Malformed {
            path: shown.clone(),
            reason: error.to_string(),
        })?;
    let name = profile
        .map(str::to_owned)
        .or(config.current.filter(|current| !current.is_empty()))
        .unwrap_or_else(|| "default".to_owned());
    let Some(found) = config.profiles.into_iter().find(|p| p.name == name) else {
        return Ok(None);
    };
    let source = CredentialSource::CliConfig {
        path: shown,
        profile: name,
    };
    let required = |value: String, field: &'static str| {
        if value.is_empty() {
            Err(CredentialError::MissingField {
                location: source.clone(),
                field,
            })
        } else {
            Ok(value)
        }
    };
    let key = |found: &CliProfile| -> Result<Credential, CredentialError> {
        Ok(Credential::new(
            required(found.access_key_id.clone(), "access_key_id")?,
            required(found.access_key_secret.clone(), "access_key_secret")?,
        ))
    };
    let credential = match found.mode.as_str() {
        // Profiles written by old CLI versions have no mode and hold an access key.
        "AK" | "" => key(&found)?,
        "StsToken" => key(&found)?.with_security_token(required(found.sts_token, "sts_token")?),
        other => {
            return Err(CredentialError::Unsupported {
                location: source,
                kind: other.to_owned(),
                supported: "modes `AK` and `StsToken`",
            });
        }
    };
    Ok(Some(ResolvedCredential {
        credential,
        source,
        region: Some(found.region_id).filter(|region| !region.is_empty()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> (tempfile::TempDir, StaticEnvironment) {
        let dir = tempfile::tempdir().expect("temp dir");
        let env = StaticEnvironment::with_home(dir.path());
        (dir, env)
    }

    fn write(dir: &Path, relative: &str, text: &str) {
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    const INI: &str = "\
[default]
type = access_key
access_key_id = INI_DEFAULT   # a comment
access_key_secret = ini-secret

[ci]
type = access_key
access_key_id = INI_CI
access_key_secret = ci-secret

[role]
type = ram_role_arn
access_key_id = x
access_key_secret = y
role_arn = acs:ram::1:role/x
";

    const CONFIG: &str = r#"{
  "current": "work",
  "profiles": [
    {"name": "work", "mode": "AK", "access_key_id": "CLI_WORK", "access_key_secret": "w",
     "region_id": "cn-shanghai"},
    {"name": "temp", "mode": "StsToken", "access_key_id": "STS.ID", "access_key_secret": "s",
     "sts_token": "token-value", "region_id": ""},
    {"name": "sso", "mode": "CloudSSO"}
  ],
  "meta_path": ""
}"#;

    fn key_id(found: &Option<ResolvedCredential>) -> Option<&str> {
        found.as_ref().map(|f| f.credential.access_key_id())
    }

    #[test]
    fn nothing_configured_is_none() {
        let (_dir, env) = home();
        assert_eq!(resolve(&env, &ProfileChoice::Default), Ok(None));
        let homeless = StaticEnvironment::default();
        assert_eq!(resolve(&homeless, &ProfileChoice::Default), Ok(None));
    }

    #[test]
    fn environment_families_in_order() {
        let (dir, env) = home();
        write(dir.path(), ".alibabacloud/credentials", INI);
        let all = env
            .clone()
            .set("ALIBABACLOUD_ACCESS_KEY_ID", "C")
            .set("ALIBABACLOUD_ACCESS_KEY_SECRET", "c")
            .set("ALIBABA_CLOUD_ACCESS_KEY_ID", "B")
            .set("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "b")
            .set("ALICLOUD_ACCESS_KEY_ID", "A")
            .set("ALICLOUD_ACCESS_KEY_SECRET", "a");
        let found = resolve(&all, &ProfileChoice::Default).expect("resolves");
        assert_eq!(key_id(&found), Some("A"));
        assert_eq!(
            found.expect("found").source.to_string(),
            "environment ALICLOUD_ACCESS_KEY_ID"
        );

        let mut second = all.clone();
        second.vars.retain(|name, _| !name.starts_with("ALICLOUD_"));
        assert_eq!(
            key_id(&resolve(&second, &ProfileChoice::Default).expect("resolves")),
            Some("B")
        );
        let mut third = second.clone();
        third
            .vars
            .retain(|name, _| !name.starts_with("ALIBABA_CLOUD_"));
        assert_eq!(
            key_id(&resolve(&third, &ProfileChoice::Default).expect("resolves")),
            Some("C")
        );
        // Environment before files; files when the environment is empty.
        let mut none = third.clone();
        none.vars.clear();
        assert_eq!(
            key_id(&resolve(&none, &ProfileChoice::Default).expect("resolves")),
            Some("INI_DEFAULT")
        );
    }

    #[test]
    fn environment_sts_token_and_empty_values() {
        let env = StaticEnvironment::default()
            .set("ALICLOUD_ACCESS_KEY_ID", "STS.X")
            .set("ALICLOUD_ACCESS_KEY_SECRET", "s")
            .set("ALICLOUD_SECURITY_TOKEN", "tok")
            .set("ALIBABA_CLOUD_ACCESS_KEY_ID", "");
        let found = resolve(&env, &ProfileChoice::Default)
            .expect("resolves")
            .expect("found");
        assert_eq!(found.credential.security_token(), Some("tok"));
        assert!(!format!("{found:?}").contains("tok\""), "{found:?}");
    }

    #[test]
    fn half_a_key_is_an_error() {
        let env = StaticEnvironment::default().set("ALICLOUD_ACCESS_KEY_ID", "A");
        let error = resolve(&env, &ProfileChoice::Default).expect_err("incomplete");
        assert_eq!(
            error.to_string(),
            "ALICLOUD_ACCESS_KEY_ID is set but ALICLOUD_ACCESS_KEY_SECRET is not"
        );
        let diagnostic = error.to_diagnostic();
        assert!(
            diagnostic
                .help
                .expect("help")
                .contains("set ALICLOUD_ACCESS_KEY_SECRET")
        );
    }

    #[test]
    fn shared_file_profiles() {
        let (dir, env) = home();
        write(dir.path(), ".alibabacloud/credentials", INI);
        let ci = resolve(&env, &ProfileChoice::Configured("ci".into()))
            .expect("resolves")
            .expect("found");
        assert_eq!(ci.credential.access_key_id(), "INI_CI");
        assert_eq!(ci.credential.access_key_secret(), "ci-secret");
        assert_eq!(ci.source.to_string(), "~/.alibabacloud/credentials [ci]");

        let by_env = env.clone().set("ALIBABA_CLOUD_PROFILE", "ci");
        let found = resolve(&by_env, &ProfileChoice::Default).expect("resolves");
        assert_eq!(key_id(&found), Some("INI_CI"));

        let role =
            resolve(&env, &ProfileChoice::Configured("role".into())).expect_err("unsupported");
        assert_eq!(
            role.to_string(),
            "~/.alibabacloud/credentials [role] is of type `ram_role_arn`; ptsplan supports \
             only `type = access_key`"
        );
    }

    #[test]
    fn shared_file_fallbacks_and_override() {
        let (dir, env) = home();
        write(dir.path(), ".alibabacloud/credentials.ini", INI);
        assert_eq!(
            key_id(&resolve(&env, &ProfileChoice::Default).expect("resolves")),
            Some("INI_DEFAULT")
        );
        write(
            dir.path(),
            "elsewhere.ini",
            "[default]\ntype=access_key\naccess_key_id=OTHER\naccess_key_secret=o\n",
        );
        let env = env.set(
            "ALIBABA_CLOUD_CREDENTIALS_FILE",
            &dir.path().join("elsewhere.ini").display().to_string(),
        );
        assert_eq!(
            key_id(&resolve(&env, &ProfileChoice::Default).expect("resolves")),
            Some("OTHER")
        );
        let missing = env.set("ALIBABA_CLOUD_CREDENTIALS_FILE", "/nonexistent/file");
        assert!(matches!(
            resolve(&missing, &ProfileChoice::Default),
            Err(CredentialError::Unreadable { .. })
        ));
    }

    #[test]
    fn malformed_files_are_errors() {
        let (dir, env) = home();
        write(
            dir.path(),
            ".alibabacloud/credentials",
            "access_key_id = x\n",
        );
        assert!(matches!(
            resolve(&env, &ProfileChoice::Default),
            Err(CredentialError::Malformed { .. })
        ));
        let (dir, env) = home();
        write(dir.path(), ".aliyun/config.json", "{not json");
        assert!(matches!(
            resolve(&env, &ProfileChoice::Default),
            Err(CredentialError::Malformed { .. })
        ));
    }

    #[test]
    fn cli_config_current_named_and_sts() {
        let (dir, env) = home();
        write(dir.path(), ".aliyun/config.json", CONFIG);
        let current = resolve(&env, &ProfileChoice::Default)
            .expect("resolves")
            .expect("found");
        assert_eq!(current.credential.access_key_id(), "CLI_WORK");
        assert_eq!(current.region.as_deref(), Some("cn-shanghai"));
        assert_eq!(current.source.to_string(), "~/.aliyun/config.json [work]");

        let sts = resolve(&env, &ProfileChoice::Flag("temp".into()))
            .expect("resolves")
            .expect("found");
        assert_eq!(sts.credential.security_token(), Some("token-value"));
        assert_eq!(sts.region, None);

        let sso = resolve(&env, &ProfileChoice::Flag("sso".into())).expect_err("unsupported");
        assert!(sso.to_string().contains("`CloudSSO`"), "{sso}");

        let disabled = env.set("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true");
        assert_eq!(resolve(&disabled, &ProfileChoice::Default), Ok(None));
    }

    #[test]
    fn shared_file_before_cli_config() {
        let (dir, env) = home();
        write(dir.path(), ".alibabacloud/credentials", INI);
        write(dir.path(), ".aliyun/config.json", CONFIG);
        assert_eq!(
            key_id(&resolve(&env, &ProfileChoice::Default).expect("resolves")),
            Some("INI_DEFAULT")
        );
        // A profile only in config.json is found there.
        assert_eq!(
            key_id(&resolve(&env, &ProfileChoice::Configured("work".into())).expect("resolves")),
            Some("CLI_WORK")
        );
    }

    #[test]
    fn flag_profile_skips_the_environment_and_must_exist() {
        let (dir, env) = home();
        write(dir.path(), ".alibabacloud/credentials", INI);
        let env = env
            .set("ALICLOUD_ACCESS_KEY_ID", "ENV")
            .set("ALICLOUD_ACCESS_KEY_SECRET", "e");
        assert_eq!(
            key_id(&resolve(&env, &ProfileChoice::Configured("ci".into())).expect("resolves")),
            Some("ENV")
        );
        assert_eq!(
            key_id(&resolve(&env, &ProfileChoice::Flag("ci".into())).expect("resolves")),
            Some("INI_CI")
        );
        let missing = resolve(&env, &ProfileChoice::Flag("nope".into())).expect_err("missing");
        assert_eq!(
            missing.to_string(),
            "credentials profile `nope` was not found (looked in ~/.alibabacloud/credentials)"
        );
    }

    #[test]
    fn ini_syntax() {
        let sections = parse_ini("; c\n# c\n[a]\nk = v # x\n[ b ]\nk2=v2=3\n").expect("parses");
        assert_eq!(sections["a"]["k"], "v");
        assert_eq!(sections["b"]["k2"], "v2=3");
        assert!(parse_ini("[a\n").is_err());
        assert!(parse_ini("[a]\njunk\n").is_err());
    }
}
