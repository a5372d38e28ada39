//! Token steps: the token API at the head of a relation, fetched again only when its
//! refresh policy says so (from the scene's ptsplan marker), and the clock that tells
//! whether a 401/403 came from a token that had outlived its declared lifetime.

use std::time::{Duration, Instant};

use crate::wire::TokenStep;

/// When the token step runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refresh {
    /// Every iteration (PTS's own behaviour).
    PerIteration,
    /// When the token is within `margin` of its lifetime.
    BeforeExpiry { margin: Duration },
    /// Every `period`.
    Interval { period: Duration },
    /// Once per virtual user.
    Once,
}

/// The compiled policy of a relation's token step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenPolicy {
    /// Index of the token API in the relation.
    pub step: usize,
    /// Declared lifetime.
    pub ttl: Duration,
    pub refresh: Refresh,
}

impl TokenPolicy {
    /// Compiles a marker entry; `step` is the token API's index.
    pub(crate) fn compile(token: &TokenStep, step: usize) -> Result<TokenPolicy, String> {
        let ttl = Duration::from_millis(token.ttl_ms);
        let refresh_ms = token.refresh_ms.map(Duration::from_millis);
        let refresh = match token.refresh.as_str() {
            "per_iteration" => Refresh::PerIteration,
            "once" => Refresh::Once,
            // Default margin: a tenth of the lifetime.
            "before_expiry" => Refresh::BeforeExpiry {
                margin: refresh_ms.unwrap_or(ttl / 10).min(ttl),
            },
            "interval" => Refresh::Interval {
                period: refresh_ms
                    .filter(|p| !p.is_zero())
                    .ok_or("token refresh `interval` needs refresh_ms")?,
            },
            other => return Err(format!("unknown token refresh policy `{other}`")),
        };
        Ok(TokenPolicy { step, ttl, refresh })
    }

    /// Whether the token step must run now, given when the current token was fetched.
    pub(crate) fn due(&self, fetched: Option<Instant>, now: Instant) -> bool {
        let Some(fetched) = fetched else {
            return true;
        };
        let age = now.saturating_duration_since(fetched);
        match self.refresh {
            Refresh::PerIteration => true,
            Refresh::Once => false,
            Refresh::BeforeExpiry { margin } => age + margin >= self.ttl,
            Refresh::Interval { period } => age >= period,
        }
    }

    /// Whether a token fetched at `fetched` had expired at `now`.
    pub(crate) fn expired(&self, fetched: Option<Instant>, now: Instant) -> bool {
        fetched.is_some_and(|f| now.saturating_duration_since(f) >= self.ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(refresh: &str, refresh_ms: Option<u64>) -> Result<TokenPolicy, String> {
        let step = TokenStep {
            relation: "r".into(),
            api: "token".into(),
            ttl_ms: 1000,
            refresh: refresh.into(),
            refresh_ms,
        };
        TokenPolicy::compile(&step, 0)
    }

    #[test]
    fn policies_decide_when_to_refresh() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let before = policy("before_expiry", Some(200)).expect("ok");
        assert!(before.due(None, t0));
        assert!(!before.due(Some(t0), at(799)) && before.due(Some(t0), at(800)));
        let once = policy("once", None).expect("ok");
        assert!(!once.due(Some(t0), at(5000)) && once.expired(Some(t0), at(1000)));
        let every = policy("interval", Some(300)).expect("ok");
        assert!(!every.due(Some(t0), at(299)) && every.due(Some(t0), at(300)));
        assert!(policy("per_iteration", None).expect("ok").due(Some(t0), t0));
        assert!(policy("interval", None).is_err() && policy("sometimes", None).is_err());
    }
}
