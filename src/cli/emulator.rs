//! `ptsplan emulator serve`: the local PTS backend on a loopback port, for any PTS client.

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::Exit;
use crate::emulator::{self, Faults, Keys, Options, Server};

/// Arguments of `ptsplan emulator`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: EmulatorCommand,
}

/// What to do with the local backend.
#[derive(Debug, Subcommand)]
pub enum EmulatorCommand {
    /// Serve the PTS OpenAPI (2020-10-20) on a local port until Ctrl-C.
    ///
    /// The first line printed is `ptsplan emulator listening on http://HOST:PORT`; an
    /// environment block and a Python SDK snippet follow.
    Serve(ServeArgs),
}

/// Arguments of `ptsplan emulator serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:18100")]
    pub listen: String,
    /// Allow a non-loopback --listen address (the API then answers the network).
    #[arg(long)]
    pub allow_remote: bool,
    /// Where scenes, runs, reports and baselines are kept.
    #[arg(long, value_name = "DIR", default_value = ".ptsplan/local")]
    pub state_dir: PathBuf,
    /// TOML file of [[access_keys]] tables (id, secret). Default: a key pair generated once
    /// and kept in STATE_DIR/keys.toml (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub keys: Option<PathBuf>,
    /// Inject a fault (repeatable): latency=200ms, error=0.1, error=ACTION:0.5, throttle=0.2,
    /// fail-mutation=N, drop-after-mutation=N. See docs/emulator.md.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<String>,
    /// A host besides loopback that runs may send load to (repeatable).
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
}

/// Runs the command.
pub fn run(args: Args) -> Exit {
    match args.command {
        EmulatorCommand::Serve(args) => match serve(args) {
            Ok(()) => Exit::Ok,
            Err(message) => {
                eprintln!("error: {message}");
                Exit::Error
            }
        },
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let address = resolve(&args.listen)?;
    if !address.ip().is_loopback() && !args.allow_remote {
        return Err(format!(
            "--listen {address} is not a loopback address; add --allow-remote to serve the network"
        ));
    }
    let mut faults = Faults::default();
    for spec in &args.faults {
        faults.apply_spec(spec).map_err(|e| e.to_string())?;
    }
    let (keys, keys_note, show_secret) = match &args.keys {
        Some(path) => {
            let keys = Keys::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
            (keys, format!("keys: {}", path.display()), false)
        }
        None => {
            let path = args.state_dir.join(emulator::GENERATED_KEYS_FILE);
            let (keys, created) =
                Keys::load_or_generate(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let how = if created { "generated" } else { "reused" };
            (keys, format!("keys: {} ({how})", path.display()), true)
        }
    };
    let mut options = Options::new(args.state_dir.clone(), keys.clone());
    options.faults = faults;
    options.allow_hosts = args.allow_hosts;
    let server = Server::open(options).map_err(|e| format!("state directory: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let (listener, bound) = emulator::bind(&address.to_string())
            .await
            .map_err(|e| format!("cannot listen on {address}: {e}"))?;
        print_banner(
            bound,
            &args.state_dir,
            &keys_note,
            &keys,
            show_secret,
            args.keys.as_deref(),
        );
        emulator::serve(listener, server, shutdown_signal())
            .await
            .map_err(|e| e.to_string())?;
        let _ = writeln!(std::io::stderr(), "ptsplan emulator stopped");
        Ok(())
    })
}

pub(super) fn resolve(listen: &str) -> Result<SocketAddr, String> {
    listen
        .to_socket_addrs()
        .map_err(|e| format!("--listen {listen}: {e}"))?
        .next()
        .ok_or_else(|| format!("--listen {listen}: no address"))
}

/// The endpoint line (first, parseable), then what a client needs to connect.
fn print_banner(
    address: SocketAddr,
    state_dir: &Path,
    keys_note: &str,
    keys: &Keys,
    show_secret: bool,
    keys_file: Option<&Path>,
) {
    let (id, secret) = match keys.first() {
        Some(key) if show_secret => (key.id.clone(), key.secret.clone()),
        Some(key) => (
            key.id.clone(),
            format!(
                "<the secret of {} in {}>",
                key.id,
                keys_file
                    .map(Path::display)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            ),
        ),
        None => (String::new(), String::new()),
    };
    // Nobody may be reading (a closed pipe): the server keeps serving regardless.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ptsplan emulator listening on http://{address}");
    let _ = writeln!(out, "state: {}", state_dir.display());
    let _ = writeln!(out, "{keys_note}");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "# environment for ptsplan and other Alibaba Cloud clients"
    );
    let _ = writeln!(out, "export PTSPLAN_ENDPOINT=http://{address}");
    let _ = writeln!(out, "export ALICLOUD_ACCESS_KEY_ID={id}");
    let _ = writeln!(out, "export ALICLOUD_ACCESS_KEY_SECRET={secret}");
    let _ = writeln!(out, "export ALIBABA_CLOUD_ACCESS_KEY_ID={id}");
    let _ = writeln!(out, "export ALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}");
    let _ = writeln!(out);
    let _ = writeln!(out, "# Python SDK (alibabacloud-pts20201020)");
    let _ = writeln!(out, "from alibabacloud_tea_openapi.models import Config");
    let _ = writeln!(out, "from alibabacloud_pts20201020.client import Client");
    let _ = writeln!(
        out,
        "client = Client(Config(access_key_id=\"{id}\", access_key_secret=\"{secret}\", endpoint=\"{address}\", protocol=\"http\"))"
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "Ctrl-C stops the server.");
    let _ = out.flush();
}

/// Ctrl-C, or SIGTERM on Unix.
pub(super) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
