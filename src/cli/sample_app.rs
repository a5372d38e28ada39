//! `ptsplan sample-app`: the sample mini-program back end on a loopback port, the target of
//! the quickstart plan (see [`crate::sample_app`]).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::Exit;
use super::emulator::{resolve, shutdown_signal};
use crate::sample_app::pressure::PressureOptions;
use crate::sample_app::{self, App, Options};
use crate::spec::units;

/// The app id the quickstart plan uses; public, like a real mini-program's.
pub const DEFAULT_APP_ID: &str = "wxquickstart00001";

/// Arguments of `ptsplan sample-app`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (loopback only; port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// Port on 127.0.0.1 (shorthand for --listen 127.0.0.1:PORT).
    #[arg(long, value_name = "PORT", conflicts_with = "listen")]
    pub port: Option<u16>,
    /// How long an issued access token stays valid (e.g. 30s, 10m, 2h).
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = parse_duration)]
    pub token_ttl: Duration,
    /// Mean delay added to every order API answer (e.g. 5ms); each answer waits 0.5–1.5
    /// times this.
    #[arg(long, value_name = "DURATION", default_value = "0ms", value_parser = parse_duration)]
    pub latency: Duration,
    /// Requests per second the order APIs complete at most: past it requests queue for
    /// one of `capacity × service time` slots and latency rises with the load (a target
    /// for `ptsplan sweep`). Default: unlimited.
    #[arg(long, value_name = "RPS", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub capacity: Option<u32>,
    /// How long each order API request holds a slot with --capacity (e.g. 100ms).
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = parse_duration)]
    pub service_time: Duration,
    /// Latency added per second the app has been up, e.g. `2ms/s` (a slow leak, for soak
    /// tests). Default: none.
    #[arg(long, value_name = "DURATION/s", default_value = "0ms/s", value_parser = parse_drift)]
    pub drift: Duration,
    /// The app id the token endpoint accepts.
    #[arg(long, value_name = "APPID", default_value = DEFAULT_APP_ID)]
    pub app_id: String,
    /// The app secret the token endpoint accepts (read from the environment only, so it
    /// never shows in process lists). Default: `quickstart-demo-secret`.
    #[arg(
        long = "app-secret-env",
        value_name = "VAR",
        default_value = "SAMPLE_APP_SECRET"
    )]
    pub secret_env: String,
}

/// The secret used when the environment variable named by `--app-secret-env` is unset:
/// the sample app guards nothing, and the quickstart must work with no setup.
pub const DEMO_SECRET: &str = "quickstart-demo-secret";

/// Runs the command.
pub fn run(args: Args) -> Exit {
    match serve(args) {
        Ok(()) => Exit::Ok,
        Err(message) => {
            eprintln!("error: {message}");
            Exit::Error
        }
    }
}

fn serve(args: Args) -> Result<(), String> {
    let address = match args.port {
        Some(port) => SocketAddr::from(([127, 0, 0, 1], port)),
        None => resolve(&args.listen)?,
    };
    if !address.ip().is_loopback() {
        return Err(format!(
            "--listen {address} is not a loopback address; the sample app only serves this machine (try 127.0.0.1:{})",
            address.port()
        ));
    }
    let (app_secret, secret_note) = match std::env::var(&args.secret_env) {
        Ok(secret) if !secret.is_empty() => (secret, format!("from ${}", args.secret_env)),
        _ => (
            DEMO_SECRET.to_owned(),
            format!("the demo secret (set ${} to change it)", args.secret_env),
        ),
    };
    let options = Options {
        app_id: args.app_id,
        app_secret,
        token_ttl: args.token_ttl,
        latency: args.latency,
        pressure: PressureOptions {
            capacity: args.capacity,
            service_time: args.service_time,
            drift_per_second: args.drift,
        },
    };
    let app = Arc::new(App::new(options));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| format!("cannot listen on {address}: {e} (pick another with --port)"))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("cannot read the bound address: {e}"))?;
        print_banner(bound, app.options(), &secret_note);
        sample_app::serve(listener, app, shutdown_signal())
            .await
            .map_err(|e| e.to_string())?;
        let _ = writeln!(std::io::stderr(), "ptsplan sample-app stopped");
        Ok(())
    })
}

/// The address line (first, parseable), then what a plan needs to use the app.
fn print_banner(address: SocketAddr, options: &Options, secret_note: &str) {
    // Nobody may be reading (a closed pipe): the server keeps serving regardless.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ptsplan sample-app listening on http://{address}");
    let _ = writeln!(out, "app id: {}", options.app_id);
    let _ = writeln!(out, "app secret: {secret_note}");
    let _ = writeln!(out, "token lifetime: {}", written(options.token_ttl));
    if !options.latency.is_zero() {
        let _ = writeln!(out, "added latency: {} (mean)", written(options.latency));
    }
    let pressure = &options.pressure;
    if let (Some(slots), Some(capacity)) = (pressure.slots(), pressure.effective_capacity()) {
        let _ = writeln!(
            out,
            "capacity: {capacity:.0} requests/s ({slots} slot(s) of {} each); past it requests queue",
            written(pressure.service_time)
        );
    }
    if !pressure.drift_per_second.is_zero() {
        let _ = writeln!(
            out,
            "drift: +{}/s of latency since start",
            written(pressure.drift_per_second)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  GET|POST /cgi-bin/token   grant_type=client_credential, appid, secret -> access_token, expires_in"
    );
    let _ = writeln!(
        out,
        "  GET  /api/orders          Authorization: Bearer TOKEN; ?page=1&size=10"
    );
    let _ = writeln!(
        out,
        "  POST /api/orders          {{\"sku\":\"SKU-1001\",\"quantity\":2}} -> 201, data.order_id"
    );
    let _ = writeln!(out, "  GET  /api/orders/ID");
    let _ = writeln!(out);
    let _ = writeln!(out, "Ctrl-C stops the server.");
    let _ = out.flush();
}

/// A duration as plans write it (`30s`, `2h`).
fn written(duration: Duration) -> units::Duration {
    units::Duration::from_millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// `2ms/s` or `2ms`: latency added per second of uptime.
fn parse_drift(text: &str) -> Result<Duration, String> {
    parse_duration(text.strip_suffix("/s").unwrap_or(text))
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    units::Duration::parse(text).map(|d| Duration::from_millis(d.as_millis()))
}
