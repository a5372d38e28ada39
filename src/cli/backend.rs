//! The backend options every command takes (`--backend`, `--endpoint`, `--region`,
//! `--profile`), and connecting to the backend they select.

use std::sync::Arc;

use super::{Exit, GlobalArgs};
use crate::api::backend::{self, Backend, BackendFlags, LocalReason, PtsSettings};
use crate::api::client::RequestLogger;
use crate::api::credentials::ProcessEnvironment;
use crate::api::{ApiError, Client};
use crate::config::{self, BackendKind};
use crate::diag::{Diagnostic, Sources};

/// Where API calls go. Each overrides the environment and `ptsplan.toml`
/// (docs/configuration.md).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BackendArgs {
    /// Backend: `local` (embedded) or `pts` (Alibaba Cloud PTS or a PTS-compatible server).
    #[arg(long = "backend", global = true, value_enum, value_name = "KIND")]
    pub kind: Option<BackendKind>,
    /// PTS endpoint: `host[:port]` (HTTPS) or `http(s)://host[:port]`.
    #[arg(long, global = true, value_name = "ENDPOINT")]
    pub endpoint: Option<String>,
    /// Region id, e.g. `cn-hangzhou`.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Credentials profile in ~/.alibabacloud/credentials or ~/.aliyun/config.json.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
}

impl BackendArgs {
    fn flags(&self) -> BackendFlags {
        BackendFlags {
            kind: self.kind,
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
        }
    }
}

/// A client for the selected backend, and where its key came from (for error hints).
pub struct Connection {
    /// The client.
    pub client: Client,
    /// The settings it was built from.
    pub settings: PtsSettings,
}

impl Connection {
    /// Registers the credential's secrets (access key secret, STS token) in `redactor`:
    /// they must never reach output, journals or evidence.
    pub fn redact_credentials(&self, redactor: &mut crate::redact::Redactor) {
        let credential = &self.settings.credential.credential;
        redactor.add(credential.access_key_secret());
        if let Some(token) = credential.security_token() {
            redactor.add(token);
        }
    }

    /// Prints an API error as a diagnostic naming the credential source.
    pub fn report(&self, global: &GlobalArgs, error: &ApiError) -> Exit {
        let source = self.settings.credential.source.to_string();
        report(
            global,
            &error.to_diagnostic(Some(&source)),
            &Sources::default(),
        )
    }
}

/// Resolves the backend (flags → environment → ptsplan.toml → defaults) and builds a client.
/// Problems are printed; the exit code is returned instead.
pub fn connect(global: &GlobalArgs) -> Result<Connection, Exit> {
    let mut sources = Sources::default();
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let loaded = config::discover(&cwd, &mut sources)
        .map_err(|diagnostic| report(global, &diagnostic, &sources))?;
    let resolved = backend::resolve(
        &global.backend.flags(),
        &ProcessEnvironment,
        &loaded.file.backend,
    )
    .map_err(|error| report(global, &error.to_diagnostic(), &sources))?;
    let settings = match resolved {
        Backend::Pts(settings) => *settings,
        Backend::Local { reason } => {
            if reason == LocalReason::NoCredentials && !global.quiet {
                eprintln!(
                    "using the embedded local backend (no PTS credentials found); see \
                     docs/backends.md"
                );
            }
            let dir = super::embedded::state_dir(
                loaded.root.as_deref(),
                loaded.file.backend.state_dir.as_deref(),
            );
            let parallelism = loaded.file.backend.parallelism.unwrap_or(8);
            super::embedded::start(&dir, parallelism).map_err(|message| {
                let diagnostic = Diagnostic::error("backend::local", message).with_help(
                    "the local backend keeps its state in .ptsplan/local (or [backend] state_dir)",
                );
                report(global, &diagnostic, &sources)
            })?
        }
    };
    if global.verbose > 0 {
        eprintln!(
            "backend: {} (region {}, credentials from {})",
            settings.endpoint, settings.region, settings.credential.source
        );
    }
    let logger: Option<RequestLogger> = if global.verbose > 0 {
        Some(Arc::new(|record| eprintln!("{record}")))
    } else {
        None
    };
    let client = settings.client(logger).map_err(|error| {
        report(
            global,
            &Diagnostic::error("backend::client", error.to_string()),
            &sources,
        )
    })?;
    Ok(Connection { client, settings })
}

/// Connects to the backend and starts the async runtime its calls run on; problems are
/// printed and their exit code returned.
pub fn connect_with_runtime(
    global: &GlobalArgs,
) -> Result<(Connection, tokio::runtime::Runtime), Exit> {
    let connection = connect(global)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            let diagnostic = Diagnostic::error("cli::runtime", format!("cannot start: {error}"));
            report(global, &diagnostic, &Sources::default())
        })?;
    Ok((connection, runtime))
}

/// Prints a diagnostic on stderr and returns [`Exit::Error`].
pub fn report(global: &GlobalArgs, diagnostic: &Diagnostic, sources: &Sources) -> Exit {
    eprint!(
        "{}",
        super::stderr_renderer(global).render(diagnostic, sources)
    );
    Exit::Error
}
