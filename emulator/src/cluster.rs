//! The cluster model: how slow, how busy and how strict the emulated ThoughtSpot is.
//!
//! A real cluster is not an instant, unlimited server. Each data page is a warehouse query that
//! takes time (a fixed latency plus time for the rows it returns), the cluster runs only so many
//! queries at once and queues the rest, and the public API refuses clients that call it too often
//! (ThoughtSpot documents about 100 requests per second per client address, with a burst of about
//! 10). A client's concurrency, retry and back-off logic can only be tested and benchmarked against
//! a server that behaves like that, so this module models it, driven by five profile settings
//! (`page_latency_ms`, `rows_per_second`, `max_concurrent`, `rate_limit_per_sec`,
//! `rate_limit_burst`), each off at 0:
//!
//! - **Service slots.** A data page waits for one of `max_concurrent` slots, in arrival order (a
//!   Tokio [`Semaphore`] is FIFO-fair), so under load its latency grows with the queue. The wait
//!   in the queue is not service time.
//! - **Service time.** Once it holds a slot, a page is "in service" for at least `page_latency_ms`
//!   plus (rows in the page) / `rows_per_second` seconds, measured from the moment it got the slot;
//!   the emulator's own search and rendering count toward it. Only then are the response headers
//!   sent.
//! - **Rate limit.** Every request, of either API, takes a token from its client address's
//!   **token bucket** ([`TokenBucket`]): a bucket holds at most `rate_limit_burst` tokens, starts
//!   full and refills continuously at `rate_limit_per_sec` tokens a second. A request that finds
//!   less than one token is answered 429 with a `Retry-After` (whole seconds until a token is there,
//!   at least 1) and takes nothing.
//!
//! Times use [`tokio::time`], so they follow the runtime's clock.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::profile::Profile;

/// Longest service time one page can be given, so that absurd settings cannot overflow a deadline.
const MAX_SERVICE: Duration = Duration::from_secs(365 * 24 * 3600);

/// Client buckets kept before idle (full again) ones are dropped.
const PRUNE_AT: usize = 1024;

/// The model of one emulated cluster: service slots, service time and per-client rate limits,
/// with the counters tests and benchmarks read.
#[derive(Debug)]
pub(crate) struct Cluster {
    page_latency: Duration,
    rows_per_second: u64,
    /// `None`: as many queries in service as arrive (`max_concurrent` 0).
    slots: Option<Semaphore>,
    /// `None`: no rate limit (`rate_limit_per_sec` 0).
    limiter: Option<RateLimiter>,
    in_service: AtomicU64,
    max_in_service: AtomicU64,
    rate_limited: AtomicU64,
}

impl Cluster {
    /// The model the profile's cluster settings describe.
    pub(crate) fn new(profile: &Profile) -> Self {
        Self {
            page_latency: Duration::from_millis(profile.page_latency_ms),
            rows_per_second: profile.rows_per_second,
            slots: (profile.max_concurrent > 0)
                .then(|| Semaphore::new(profile.max_concurrent as usize)),
            limiter: RateLimiter::new(profile.rate_limit_per_sec, profile.rate_limit_burst),
            in_service: AtomicU64::new(0),
            max_in_service: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
        }
    }

    /// Waits for a service slot (in arrival order) and starts a data query's service. Dropping the
    /// result frees the slot; [`InService::finish`] first waits out the service time.
    pub(crate) async fn begin_query(&self) -> InService<'_> {
        let permit = match &self.slots {
            // The semaphore is never closed, so acquiring only fails if it were.
            Some(slots) => slots.acquire().await.ok(),
            None => None,
        };
        let now = self.in_service.fetch_add(1, Ordering::Relaxed) + 1;
        self.max_in_service.fetch_max(now, Ordering::Relaxed);
        InService {
            cluster: self,
            _permit: permit,
            started: Instant::now(),
        }
    }

    /// How long a page of `rows` rows is in service: `page_latency_ms` + rows / `rows_per_second`.
    pub(crate) fn service_time(&self, rows: u64) -> Duration {
        let for_rows = match self.rows_per_second {
            0 => Duration::ZERO,
            rps => Duration::try_from_secs_f64(rows as f64 / rps as f64).unwrap_or(MAX_SERVICE),
        };
        self.page_latency.saturating_add(for_rows).min(MAX_SERVICE)
    }

    /// Whether a request from `client` (its address; `None` when unknown) may be served at `now`:
    /// `Err` holds how long until its bucket has a token again, and counts a 429.
    pub(crate) fn admit(&self, client: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let client = client.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let admitted = limiter.take(client, now);
        if admitted.is_err() {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
        admitted
    }

    /// The limit, for the 429's debug text: `(requests per second, burst)`.
    pub(crate) fn rate_limit(&self) -> Option<(f64, u32)> {
        self.limiter.as_ref().map(|l| (l.rate, l.burst))
    }

    /// Requests answered 429 by the rate limit so far.
    pub(crate) fn rate_limited_count(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// The most data queries that were in service at once.
    pub(crate) fn max_in_service(&self) -> u64 {
        self.max_in_service.load(Ordering::Relaxed)
    }
}

/// A data query in service: it holds a slot (when slots are limited) until dropped.
#[derive(Debug)]
pub(crate) struct InService<'a> {
    cluster: &'a Cluster,
    _permit: Option<SemaphorePermit<'a>>,
    started: Instant,
}

impl InService<'_> {
    /// Waits until the query has been in service for the service time of a page of `rows` rows,
    /// then frees its slot. With no latency set, returns at once.
    pub(crate) async fn finish(self, rows: u64) {
        let service = self.cluster.service_time(rows);
        if !service.is_zero() {
            tokio::time::sleep_until(self.started + service).await;
        }
    }
}

impl Drop for InService<'_> {
    fn drop(&mut self) {
        self.cluster.in_service.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The `Retry-After` of a 429: whole seconds until a token is there, rounded up, at least 1.
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// The burst when `rate_limit_burst` is 0: a tenth of the rate, rounded up, at least 1 (ThoughtSpot's
/// documented 100 per second with a burst of 10).
pub(crate) fn default_burst(rate: f64) -> u32 {
    (rate / 10.0).ceil().clamp(1.0, u32::MAX as f64) as u32
}

/// One token bucket per client address.
#[derive(Debug)]
struct RateLimiter {
    rate: f64,
    burst: u32,
    buckets: Mutex<HashMap<IpAddr, TokenBucket>>,
}

impl RateLimiter {
    /// `None` unless `rate` is a positive number.
    fn new(rate: f64, burst: u32) -> Option<Self> {
        (rate.is_finite() && rate > 0.0).then(|| Self {
            rate,
            burst: if burst == 0 {
                default_burst(rate)
            } else {
                burst
            },
            buckets: Mutex::new(HashMap::new()),
        })
    }

    fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= PRUNE_AT && !buckets.contains_key(&client) {
            // A bucket that has refilled completely is the same as a new one: forget it.
            let refill = Duration::try_from_secs_f64(capacity / self.rate).unwrap_or(MAX_SERVICE);
            buckets.retain(|_, b| now.saturating_duration_since(b.last) < refill);
        }
        buckets
            .entry(client)
            .or_insert_with(|| TokenBucket::full(capacity, now))
            .take(self.rate, capacity, now)
    }
}

/// The token bucket algorithm: `tokens` refill continuously at `rate` a second up to `capacity`;
/// a request takes one whole token, or is refused and takes nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TokenBucket {
    tokens: f64,
    /// When `tokens` was last brought up to date.
    last: Instant,
}

impl TokenBucket {
    fn full(capacity: f64, now: Instant) -> Self {
        Self {
            tokens: capacity,
            last: now,
        }
    }

    /// Takes a token at `now`, or says how long until one is there.
    fn take(&mut self, rate: f64, capacity: f64, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(capacity);
        self.last = self.last.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - self.tokens) / rate;
            Err(Duration::try_from_secs_f64(wait).unwrap_or(MAX_SERVICE))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_bucket_serves_its_burst_then_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::full(3.0, t0);
        for _ in 0..3 {
            assert_eq!(bucket.take(2.0, 3.0, t0), Ok(()));
        }
        // Empty: a token comes back after 1/rate = 500 ms.
        let wait = bucket.take(2.0, 3.0, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-9, "{wait:?}");
        // A refusal takes nothing: 100 ms later the wait is 100 ms shorter.
        let wait = bucket.take(2.0, 3.0, t0 + ms(100)).unwrap_err();
        assert!((wait.as_secs_f64() - 0.4).abs() < 1e-9, "{wait:?}");
        assert_eq!(bucket.take(2.0, 3.0, t0 + ms(500)), Ok(()));
        assert!(bucket.take(2.0, 3.0, t0 + ms(500)).is_err());
    }

    #[test]
    fn a_bucket_never_holds_more_than_its_capacity() {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::full(2.0, t0);
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(bucket.take(10.0, 2.0, later), Ok(()));
        assert_eq!(bucket.take(10.0, 2.0, later), Ok(()));
        assert!(bucket.take(10.0, 2.0, later).is_err());
        // An instant before the last one (out-of-order callers) adds nothing and moves nothing back.
        assert!(bucket.take(10.0, 2.0, t0).is_err());
        assert_eq!(bucket.last, later);
    }

    #[test]
    fn a_slow_rate_waits_whole_seconds() {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::full(1.0, t0);
        assert_eq!(bucket.take(0.25, 1.0, t0), Ok(()));
        let wait = bucket.take(0.25, 1.0, t0 + ms(1500)).unwrap_err();
        assert!((wait.as_secs_f64() - 2.5).abs() < 1e-9, "{wait:?}");
        assert_eq!(retry_after_secs(wait), 3);
    }

    #[test]
    fn retry_after_rounds_up_to_at_least_one_second() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(ms(1)), 1);
        assert_eq!(retry_after_secs(ms(1000)), 1);
        assert_eq!(retry_after_secs(ms(1001)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(7)), 7);
    }

    #[test]
    fn the_default_burst_is_a_tenth_of_the_rate() {
        assert_eq!(default_burst(100.0), 10);
        assert_eq!(default_burst(2.0), 1);
        assert_eq!(default_burst(0.5), 1);
        assert_eq!(default_burst(25.0), 3);
    }

    fn profile(settings: &[&str]) -> Profile {
        Profile::v2021()
            .with_overrides(settings.iter().copied())
            .unwrap()
    }

    #[test]
    fn each_client_address_has_its_own_bucket() {
        let cluster = Cluster::new(&profile(&["rate_limit_per_sec=1", "rate_limit_burst=2"]));
        let (a, b) = (
            Some(IpAddr::from([127, 0, 0, 1])),
            Some(IpAddr::from([10, 0, 0, 2])),
        );
        let t0 = Instant::now();
        assert!(cluster.admit(a, t0).is_ok());
        assert!(cluster.admit(a, t0).is_ok());
        assert!(cluster.admit(a, t0).is_err());
        assert!(cluster.admit(b, t0).is_ok());
        assert!(cluster.admit(None, t0).is_ok());
        assert_eq!(cluster.rate_limited_count(), 1);
        assert!(cluster.admit(a, t0 + ms(1000)).is_ok());
    }

    #[test]
    fn everything_is_off_by_default() {
        let cluster = Cluster::new(&Profile::v2021());
        assert!(cluster.slots.is_none() && cluster.rate_limit().is_none());
        assert_eq!(cluster.service_time(1_000_000), Duration::ZERO);
        let t0 = Instant::now();
        for _ in 0..10_000 {
            assert!(cluster.admit(None, t0).is_ok());
        }
        assert_eq!(cluster.rate_limited_count(), 0);
        // A zero or nonsense rate is no limit either.
        assert!(RateLimiter::new(0.0, 5).is_none());
        assert!(RateLimiter::new(f64::NAN, 5).is_none());
        assert!(RateLimiter::new(-1.0, 5).is_none());
        assert_eq!(RateLimiter::new(100.0, 0).map(|l| l.burst), Some(10));
    }

    #[test]
    fn service_time_adds_latency_and_rows() {
        let cluster = Cluster::new(&profile(&["page_latency_ms=200", "rows_per_second=1000"]));
        assert_eq!(cluster.service_time(0), ms(200));
        assert_eq!(cluster.service_time(500), ms(700));
        let rows_only = Cluster::new(&profile(&["rows_per_second=4"]));
        assert_eq!(rows_only.service_time(10), ms(2500));
        assert_eq!(rows_only.service_time(u64::MAX), MAX_SERVICE);
    }

    #[tokio::test]
    async fn slots_count_the_queries_in_service() {
        let cluster = Cluster::new(&profile(&["max_concurrent=2"]));
        let a = cluster.begin_query().await;
        let b = cluster.begin_query().await;
        assert_eq!(cluster.slots.as_ref().unwrap().available_permits(), 0);
        drop(a);
        let c = cluster.begin_query().await;
        assert_eq!(cluster.max_in_service(), 2);
        c.finish(10).await;
        b.finish(10).await;
        assert_eq!(cluster.slots.as_ref().unwrap().available_permits(), 2);
        assert_eq!(cluster.in_service.load(Ordering::Relaxed), 0);
    }
}
