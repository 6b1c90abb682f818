//! Enumeration resistance for the public status path. Three limits: lookups per
//! client address, lookups per tracking ID, and — throttled harder — lookups per
//! client that find nothing (an unknown or malformed ID, or a confidential
//! report, which counts as a miss for anyone on the public path). Once a client
//! exhausts its misses it is refused everything until the quota recovers, so a
//! 429 never tells a hit from a miss.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::settings;

pub struct StatusLimits {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    misses: DefaultKeyedRateLimiter<IpAddr>,
    per_report: DefaultKeyedRateLimiter<String>,
    penalty: Mutex<HashMap<IpAddr, Instant>>,
    trusted_proxies: Vec<IpAddr>,
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

fn wait(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> Duration {
    not_until.wait_time_from(DefaultClock::default().now())
}

impl StatusLimits {
    pub fn new(cfg: &settings::Status, trusted_proxies: &[String]) -> StatusLimits {
        StatusLimits {
            per_client: RateLimiter::hashmap(quota(
                cfg.per_client_per_minute,
                cfg.per_client_burst,
            )),
            misses: RateLimiter::hashmap(quota(cfg.misses_per_client_per_minute, cfg.misses_burst)),
            per_report: RateLimiter::hashmap(quota(
                cfg.per_report_per_minute,
                cfg.per_report_burst,
            )),
            penalty: Mutex::new(HashMap::new()),
            trusted_proxies: trusted_proxies
                .iter()
                .filter_map(|p| p.parse().ok())
                .collect(),
        }
    }

    /// The client a request is from: the peer, or, from a trusted proxy, the
    /// last address of X-Forwarded-For.
    pub fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let ip = peer.ip();
        if !self.trusted_proxies.contains(&ip) {
            return ip;
        }
        headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(ip)
    }

    /// Before a lookup: Err(how long to wait) when refused.
    pub fn admit(&self, client: IpAddr, tracking_id: Option<&str>) -> Result<(), Duration> {
        let now = Instant::now();
        if let Some(until) = self.penalty.lock().expect("penalty lock").get(&client) {
            if *until > now {
                return Err(*until - now);
            }
        }
        self.per_client.check_key(&client).map_err(wait)?;
        if let Some(id) = tracking_id {
            self.per_report.check_key(&id.to_string()).map_err(wait)?;
        }
        Ok(())
    }

    /// After a lookup that found nothing: Err when the client is out of misses,
    /// which also blocks its next lookups until the quota recovers.
    pub fn miss(&self, client: IpAddr) -> Result<(), Duration> {
        self.misses.check_key(&client).map_err(|n| {
            let w = wait(n).max(Duration::from_secs(1));
            self.penalty
                .lock()
                .expect("penalty lock")
                .insert(client, Instant::now() + w);
            w
        })
    }

    /// Forgets idle clients so memory stays bounded under a flood.
    pub fn housekeeping(&self) {
        self.per_client.retain_recent();
        self.misses.retain_recent();
        self.per_report.retain_recent();
        let now = Instant::now();
        self.penalty
            .lock()
            .expect("penalty lock")
            .retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> StatusLimits {
        StatusLimits::new(
            &settings::Status {
                per_client_per_minute: 60,
                per_client_burst: 5,
                misses_per_client_per_minute: 2,
                misses_burst: 2,
                per_report_per_minute: 60,
                per_report_burst: 3,
            },
            &["10.0.0.1".into()],
        )
    }

    #[test]
    fn misses_block_the_client_entirely() {
        let l = limits();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        assert!(l.admit(ip, Some("1")).is_ok());
        assert!(l.miss(ip).is_ok());
        assert!(l.miss(ip).is_ok());
        assert!(l.miss(ip).is_err());
        // Now even a lookup of a real ID is refused.
        assert!(l.admit(ip, Some("2")).is_err());
        // Another client is not affected.
        assert!(l.admit("192.0.2.8".parse().unwrap(), Some("2")).is_ok());
    }

    #[test]
    fn one_id_cannot_be_hammered() {
        let l = limits();
        for i in 0..3 {
            let ip: IpAddr = format!("192.0.2.{i}").parse().unwrap();
            assert!(l.admit(ip, Some("42")).is_ok());
        }
        assert!(l.admit("192.0.2.9".parse().unwrap(), Some("42")).is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let l = limits();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "203.0.113.5, 198.51.100.2".parse().unwrap(),
        );
        assert_eq!(
            l.client("10.0.0.1:5000".parse().unwrap(), &h),
            "198.51.100.2".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            l.client("10.0.0.2:5000".parse().unwrap(), &h),
            "10.0.0.2".parse::<IpAddr>().unwrap()
        );
    }
}
