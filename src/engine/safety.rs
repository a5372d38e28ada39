//! Where load may go, and how much of it: targets must resolve to loopback unless their host
//! is on the run's allow-list; every run has a finite duration and request budget.
//!
//! Names are resolved once per run (pinned addresses from `DomainBindingList` first), and
//! every resolved address is checked, so a name that points both at loopback and elsewhere
//! is refused rather than raced.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use super::EngineError;
use crate::wire::DomainBinding;

/// The longest run PTS allows (`MaxRunningTime` ≤ 1440 minutes).
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(1440 * 60);

/// Most virtual users of one run.
pub(crate) const MAX_VIRTUAL_USERS: u64 = 100_000;

/// Highest rate of one API, requests per second.
pub(crate) const MAX_RPS: u64 = 10_000_000;

/// Request budget of a run without an explicit one: a rate no single machine reaches,
/// for the whole duration, so that the bound exists without ever being the limit.
pub(crate) fn default_request_budget(duration: Duration) -> u64 {
    duration.as_secs().max(1).saturating_mul(MAX_RPS)
}

/// Resolves `host:port` once and checks that load may go there.
pub(crate) fn resolve(
    host: &str,
    port: u16,
    bindings: &[DomainBinding],
    allow_hosts: &[String],
) -> Result<SocketAddr, EngineError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let pinned: Vec<SocketAddr> = bindings
        .iter()
        .filter(|b| {
            b.domain
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case(bare))
        })
        .flat_map(|b| b.ips.iter())
        .filter_map(|ip| ip.trim().parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    let addresses = if pinned.is_empty() {
        (bare, port)
            .to_socket_addrs()
            .map_err(|e| EngineError::Target {
                host: host.to_owned(),
                reason: format!("cannot resolve: {e}"),
            })?
            .collect()
    } else {
        pinned
    };
    let allowed = allow_hosts.iter().any(|a| a.eq_ignore_ascii_case(bare));
    if !allowed {
        if let Some(outside) = addresses.iter().find(|a| !a.ip().is_loopback()) {
            return Err(EngineError::Target {
                host: host.to_owned(),
                reason: format!(
                    "resolves to {} which is not loopback; the local engine only sends load \
                     to loopback unless the host is allow-listed",
                    outside.ip()
                ),
            });
        }
    }
    addresses
        .into_iter()
        .next()
        .ok_or_else(|| EngineError::Target {
            host: host.to_owned(),
            reason: "resolves to no address".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_unless_allowed() {
        assert!(resolve("127.0.0.1", 80, &[], &[]).is_ok());
        assert!(resolve("[::1]", 80, &[], &[]).is_ok());
        assert!(resolve("localhost", 80, &[], &[]).is_ok());
        let far = resolve("10.1.2.3", 80, &[], &[]);
        assert!(matches!(far, Err(EngineError::Target { .. })), "{far:?}");
        assert!(resolve("10.1.2.3", 80, &[], &["10.1.2.3".into()]).is_ok());
        let pinned = DomainBinding {
            domain: Some("shop.example".into()),
            ips: vec!["127.0.0.2".into()],
            ..DomainBinding::default()
        };
        let address =
            resolve("shop.example", 8080, std::slice::from_ref(&pinned), &[]).expect("pinned");
        assert_eq!(address.to_string(), "127.0.0.2:8080");
        let outside = DomainBinding {
            ips: vec!["8.8.8.8".into()],
            ..pinned
        };
        assert!(resolve("shop.example", 80, &[outside], &[]).is_err());
    }
}
