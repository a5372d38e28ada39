//! Which backend a command talks to, resolved once from, in order: command-line flags, the
//! environment, `ptsplan.toml`, defaults.
//!
//! | setting | flag | environment | `ptsplan.toml` | default |
//! |---|---|---|---|---|
//! | kind | `--backend` | `PTSPLAN_BACKEND` | `[backend] kind` | `pts` with credentials or an endpoint, else `local` |
//! | endpoint | `--endpoint` | `PTSPLAN_ENDPOINT` | `[backend] endpoint` | `pts.aliyuncs.com` (every region, reference §4.1) |
//! | region | `--region` | `ALICLOUD_REGION_ID`, `ALIBABA_CLOUD_REGION_ID`, `ALIBABACLOUD_REGION_ID` | `[backend] region` | the CLI profile's `region_id`, else `cn-hangzhou` |
//! | profile | `--profile` | `PTSPLAN_PROFILE` | `[backend] profile` | `ALIBABA_CLOUD_PROFILE`, `default` |
//! | parallelism, rate limit | | | `[backend] parallelism`, `rate_limit` | 4, 10/s |
//!
//! Credentials come from [`super::credentials`]. With neither credentials nor an endpoint
//! (and no explicit `pts`), the embedded local backend is used; the CLI says so in one line.

use super::client::{BuildError, Client, ClientOptions, RequestLogger};
use super::credentials::{
    self, CredentialError, Environment, ProfileChoice, REGION_VARIABLES, ResolvedCredential,
};
use super::endpoint::{Endpoint, EndpointError};
use crate::config::{BackendKind, BackendTable};
use crate::diag::Diagnostic;

/// The region when nothing names one.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// Backend settings given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendFlags {
    /// `--backend`.
    pub kind: Option<BackendKind>,
    /// `--endpoint`.
    pub endpoint: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
}

/// The resolved backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// PTS, or a PTS-compatible server at a configured endpoint.
    Pts(Box<PtsSettings>),
    /// The embedded local backend.
    Local {
        /// Why it was chosen.
        reason: LocalReason,
    },
}

/// Why the local backend was chosen; the CLI announces the implicit choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalReason {
    /// `kind = local` was asked for.
    Chosen,
    /// No credentials and no endpoint are configured.
    NoCredentials,
}

/// Everything needed to build a [`Client`] for PTS.
#[derive(Debug, Clone, PartialEq)]
pub struct PtsSettings {
    /// Where to send requests.
    pub endpoint: Endpoint,
    /// The region (recorded in evidence; PTS's host is the same for every region).
    pub region: String,
    /// The key and where it came from.
    pub credential: ResolvedCredential,
    /// Calls in flight at once.
    pub parallelism: usize,
    /// Calls per second.
    pub rate_limit: Option<f64>,
}

impl PtsSettings {
    /// A client with these settings and the default timeouts and retries.
    pub fn client(&self, logger: Option<RequestLogger>) -> Result<Client, BuildError> {
        let options = ClientOptions {
            parallelism: self.parallelism,
            rate_limit: self.rate_limit,
            logger,
            ..ClientOptions::default()
        };
        Client::new(
            self.endpoint.clone(),
            self.credential.credential.clone(),
            options,
        )
    }
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// A value is out of range or misspelt.
    #[error("{origin}: invalid value `{value}`: expected {expected}")]
    Invalid {
        /// Where the value came from (`PTSPLAN_BACKEND`, `ptsplan.toml [backend] parallelism`…).
        origin: &'static str,
        /// The value.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The endpoint does not parse.
    #[error("{origin}: {error}")]
    Endpoint {
        /// Where the value came from.
        origin: &'static str,
        /// Why.
        error: EndpointError,
    },
    /// A credentials source is present but unusable.
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    /// PTS was asked for (or an endpoint set) but no credentials were found.
    #[error("{why}, but no credentials were found")]
    NoCredentials {
        /// What asked for PTS.
        why: String,
    },
}

impl BackendError {
    /// The error as a diagnostic with a fix.
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            Self::Credentials(error) => error.to_diagnostic(),
            Self::NoCredentials { .. } => {
                Diagnostic::error("backend::no-credentials", self.to_string()).with_help(
                    "export ALICLOUD_ACCESS_KEY_ID and ALICLOUD_ACCESS_KEY_SECRET, or configure \
                     ~/.alibabacloud/credentials; see docs/configuration.md#credentials",
                )
            }
            Self::Invalid { .. } | Self::Endpoint { .. } => {
                Diagnostic::error("backend::invalid", self.to_string())
                    .with_help("see docs/configuration.md")
            }
        }
    }
}

/// Resolves the backend from flags, environment and the `[backend]` table.
pub fn resolve(
    flags: &BackendFlags,
    env: &dyn Environment,
    file: &BackendTable,
) -> Result<Backend, BackendError> {
    let kind = match (&flags.kind, env.var("PTSPLAN_BACKEND")) {
        (Some(kind), _) => Some(*kind),
        (None, Some(value)) => Some(parse_kind(&value)?),
        (None, None) => file.kind,
    };
    if kind == Some(BackendKind::Local) {
        return Ok(Backend::Local {
            reason: LocalReason::Chosen,
        });
    }

    let endpoint = first([
        ("--endpoint", flags.endpoint.clone()),
        ("PTSPLAN_ENDPOINT", env.var("PTSPLAN_ENDPOINT")),
        ("ptsplan.toml [backend] endpoint", file.endpoint.clone()),
    ])
    .map(|(origin, value)| {
        Endpoint::parse(&value)
            .map(|endpoint| (origin, endpoint))
            .map_err(|error| BackendError::Endpoint { origin, error })
    })
    .transpose()?;

    let profile = if let Some(profile) = &flags.profile {
        ProfileChoice::Flag(profile.clone())
    } else if let Some(profile) = env.var("PTSPLAN_PROFILE").or_else(|| file.profile.clone()) {
        ProfileChoice::Configured(profile)
    } else {
        ProfileChoice::Default
    };
    let Some(credential) = credentials::resolve(env, &profile)? else {
        return match (kind, &endpoint) {
            (Some(BackendKind::Pts), _) => Err(BackendError::NoCredentials {
                why: "the pts backend is selected".to_owned(),
            }),
            (_, Some((origin, endpoint))) => Err(BackendError::NoCredentials {
                why: format!("endpoint {endpoint} is set ({origin})"),
            }),
            _ => Ok(Backend::Local {
                reason: LocalReason::NoCredentials,
            }),
        };
    };

    let parallelism = match file.parallelism {
        Some(0) => {
            return Err(BackendError::Invalid {
                origin: "ptsplan.toml [backend] parallelism",
                value: "0".to_owned(),
                expected: "at least 1",
            });
        }
        Some(parallelism) => parallelism,
        None => ClientOptions::default().parallelism,
    };
    let rate_limit = match file.rate_limit {
        Some(rate) if !(rate.is_finite() && rate > 0.0) => {
            return Err(BackendError::Invalid {
                origin: "ptsplan.toml [backend] rate_limit",
                value: rate.to_string(),
                expected: "a number of calls per second above 0",
            });
        }
        Some(rate) => Some(rate),
        None => ClientOptions::default().rate_limit,
    };
    let region = flags
        .region
        .clone()
        .or_else(|| REGION_VARIABLES.iter().find_map(|name| env.var(name)))
        .or_else(|| file.region.clone())
        .or_else(|| credential.region.clone())
        .unwrap_or_else(|| DEFAULT_REGION.to_owned());
    Ok(Backend::Pts(Box::new(PtsSettings {
        endpoint: endpoint.map_or_else(Endpoint::pts, |(_, endpoint)| endpoint),
        region,
        credential,
        parallelism,
        rate_limit,
    })))
}

fn parse_kind(value: &str) -> Result<BackendKind, BackendError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "local" => Ok(BackendKind::Local),
        "pts" => Ok(BackendKind::Pts),
        _ => Err(BackendError::Invalid {
            origin: "PTSPLAN_BACKEND",
            value: value.to_owned(),
            expected: "`local` or `pts`",
        }),
    }
}

/// The first set value, with where it came from; empty values count as unset.
fn first<const N: usize>(
    candidates: [(&'static str, Option<String>); N],
) -> Option<(&'static str, String)> {
    candidates
        .into_iter()
        .find_map(|(origin, value)| value.filter(|v| !v.trim().is_empty()).map(|v| (origin, v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::credentials::{CredentialSource, StaticEnvironment};

    fn keyed() -> StaticEnvironment {
        StaticEnvironment::default()
            .set("ALICLOUD_ACCESS_KEY_ID", "AK")
            .set("ALICLOUD_ACCESS_KEY_SECRET", "s")
    }

    fn pts(backend: Backend) -> PtsSettings {
        match backend {
            Backend::Pts(settings) => *settings,
            Backend::Local { .. } => panic!("expected pts"),
        }
    }

    #[test]
    fn nothing_configured_is_local() {
        let backend = resolve(
            &BackendFlags::default(),
            &StaticEnvironment::default(),
            &BackendTable::default(),
        );
        assert_eq!(
            backend,
            Ok(Backend::Local {
                reason: LocalReason::NoCredentials
            })
        );
    }

    #[test]
    fn credentials_mean_pts_with_defaults() {
        let settings =
            pts(resolve(&BackendFlags::default(), &keyed(), &BackendTable::default()).expect("ok"));
        assert_eq!(settings.endpoint, Endpoint::pts());
        assert_eq!(settings.region, DEFAULT_REGION);
        assert_eq!(settings.parallelism, 4);
        assert_eq!(
            settings.credential.source,
            CredentialSource::Environment {
                variable: "ALICLOUD_ACCESS_KEY_ID"
            }
        );
    }

    #[test]
    fn flags_then_env_then_file() {
        let file = BackendTable {
            endpoint: Some("file.example:1".into()),
            region: Some("cn-file".into()),
            parallelism: Some(2),
            rate_limit: Some(1.5),
            ..BackendTable::default()
        };
        let settings = pts(resolve(&BackendFlags::default(), &keyed(), &file).expect("ok"));
        assert_eq!(settings.endpoint.to_string(), "https://file.example:1");
        assert_eq!(settings.region, "cn-file");
        assert_eq!((settings.parallelism, settings.rate_limit), (2, Some(1.5)));

        let env = keyed()
            .set("PTSPLAN_ENDPOINT", "http://env.example:2")
            .set("ALIBABA_CLOUD_REGION_ID", "cn-env");
        let settings = pts(resolve(&BackendFlags::default(), &env, &file).expect("ok"));
        assert_eq!(settings.endpoint.to_string(), "http://env.example:2");
        assert_eq!(settings.region, "cn-env");

        let flags = BackendFlags {
            endpoint: Some("http://127.0.0.1:3".into()),
            region: Some("cn-flag".into()),
            ..BackendFlags::default()
        };
        let settings = pts(resolve(&flags, &env, &file).expect("ok"));
        assert_eq!(settings.endpoint.to_string(), "http://127.0.0.1:3");
        assert_eq!(settings.region, "cn-flag");
    }

    #[test]
    fn explicit_kinds() {
        let local_file = BackendTable {
            kind: Some(BackendKind::Local),
            ..BackendTable::default()
        };
        assert_eq!(
            resolve(&BackendFlags::default(), &keyed(), &local_file),
            Ok(Backend::Local {
                reason: LocalReason::Chosen
            })
        );
        // The flag beats the file; the environment variable beats the file too.
        let flags = BackendFlags {
            kind: Some(BackendKind::Pts),
            ..BackendFlags::default()
        };
        assert!(matches!(
            resolve(&flags, &keyed(), &local_file),
            Ok(Backend::Pts(_))
        ));
        let env = keyed().set("PTSPLAN_BACKEND", "PTS");
        assert!(matches!(
            resolve(&BackendFlags::default(), &env, &local_file),
            Ok(Backend::Pts(_))
        ));
        let bad = keyed().set("PTSPLAN_BACKEND", "cloud");
        assert!(matches!(
            resolve(&BackendFlags::default(), &bad, &local_file),
            Err(BackendError::Invalid { .. })
        ));
    }

    #[test]
    fn pts_or_an_endpoint_without_credentials_is_an_error() {
        let flags = BackendFlags {
            kind: Some(BackendKind::Pts),
            ..BackendFlags::default()
        };
        let empty = StaticEnvironment::default();
        let error = resolve(&flags, &empty, &BackendTable::default()).expect_err("no key");
        assert_eq!(
            error.to_string(),
            "the pts backend is selected, but no credentials were found"
        );
        let env = empty.set("PTSPLAN_ENDPOINT", "http://127.0.0.1:9");
        let error =
            resolve(&BackendFlags::default(), &env, &BackendTable::default()).expect_err("no key");
        assert_eq!(
            error.to_string(),
            "endpoint http://127.0.0.1:9 is set (PTSPLAN_ENDPOINT), but no credentials were found"
        );
        assert_eq!(error.to_diagnostic().code, "backend::no-credentials");
    }

    #[test]
    fn invalid_values_name_their_origin() {
        let file = BackendTable {
            endpoint: Some("ftp://x".into()),
            ..BackendTable::default()
        };
        let error = resolve(&BackendFlags::default(), &keyed(), &file).expect_err("bad");
        assert!(
            error
                .to_string()
                .starts_with("ptsplan.toml [backend] endpoint: invalid endpoint"),
            "{error}"
        );
        for file in [
            BackendTable {
                parallelism: Some(0),
                ..BackendTable::default()
            },
            BackendTable {
                rate_limit: Some(-1.0),
                ..BackendTable::default()
            },
        ] {
            assert!(matches!(
                resolve(&BackendFlags::default(), &keyed(), &file),
                Err(BackendError::Invalid { .. })
            ));
        }
    }

    #[test]
    fn profile_region_is_the_fallback() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join(".aliyun");
        std::fs::create_dir_all(&config).expect("mkdir");
        std::fs::write(
            config.join("config.json"),
            r#"{"current":"p","profiles":[{"name":"p","mode":"AK","access_key_id":"A",
               "access_key_secret":"s","region_id":"cn-beijing"}]}"#,
        )
        .expect("write");
        let env = StaticEnvironment::with_home(dir.path());
        let settings =
            pts(resolve(&BackendFlags::default(), &env, &BackendTable::default()).expect("ok"));
        assert_eq!(settings.region, "cn-beijing");
    }
}
