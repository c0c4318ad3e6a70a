//! Retries for reads: which failures, how long to wait, when to stop.
//!
//! Waits follow exponential backoff with decorrelated jitter (Brooker, "Exponential Backoff And
//! Jitter", AWS Architecture Blog, 2015): the first wait is `init_backoff`; each later one is drawn
//! uniformly between `init_backoff` and `base` times the previous wait, capped at `max_backoff`. The
//! spread keeps many clients that failed together from retrying together. A `Retry-After` from the
//! server replaces the drawn wait. Randomness is injectable so tests see exact waits.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of uniform random numbers in `[0, 1)`.
pub type Jitter = Arc<dyn Fn() -> f64 + Send + Sync>;

/// How reads are retried. Writes are never retried.
#[derive(Clone)]
pub struct RetryConfig {
    /// Retries after the first attempt (so `max_retries + 1` attempts in all).
    pub max_retries: u32,
    /// No retry starts after this much time since the first attempt.
    pub retry_timeout: Duration,
    /// The first wait, and the lower bound of every later one (200 ms by default).
    pub init_backoff: Duration,
    /// The longest drawn wait between attempts (30 s by default); a `Retry-After` is bounded by
    /// `max_retry_after` instead.
    pub max_backoff: Duration,
    /// Growth factor: each wait is drawn up to `base` times the previous one (3 by default).
    pub base: f64,
    /// Longest `Retry-After` honoured; a longer one ends the retries.
    pub max_retry_after: Duration,
    /// Random numbers in `[0, 1)`; defaults to a time-seeded SplitMix64.
    pub jitter: Jitter,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 5,
            retry_timeout: Duration::from_secs(180),
            init_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
            base: 3.0,
            max_retry_after: Duration::from_secs(120),
            jitter: default_jitter(),
        }
    }
}

impl fmt::Debug for RetryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryConfig")
            .field("max_retries", &self.max_retries)
            .field("retry_timeout", &self.retry_timeout)
            .field("init_backoff", &self.init_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("base", &self.base)
            .field("max_retry_after", &self.max_retry_after)
            .finish_non_exhaustive()
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }
}

fn default_jitter() -> Jitter {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let state = Mutex::new(seed);
    Arc::new(move || {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// The waits of one request's retries.
#[derive(Debug)]
pub(crate) struct Backoff<'a> {
    config: &'a RetryConfig,
    previous: Option<Duration>,
}

impl<'a> Backoff<'a> {
    pub(super) fn new(config: &'a RetryConfig) -> Self {
        Self {
            config,
            previous: None,
        }
    }

    /// The next wait: the server's `Retry-After` if it gave one, else the next jittered backoff.
    pub(super) fn next(&mut self, retry_after: Option<Duration>) -> Duration {
        let drawn = match self.previous {
            None => self.config.init_backoff,
            Some(previous) => {
                let low = self.config.init_backoff.as_secs_f64();
                let high = (previous.as_secs_f64() * self.config.base).max(low);
                Duration::from_secs_f64(low + (self.config.jitter)() * (high - low))
            }
        }
        .min(self.config.max_backoff);
        self.previous = Some(drawn);
        retry_after.unwrap_or(drawn)
    }
}

/// Reads `Retry-After` in seconds (the HTTP-date form is read as "no hint").
pub(crate) fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_with_jitter_and_respect_the_cap_and_retry_after() {
        let config = RetryConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            base: 3.0,
            jitter: Arc::new(|| 1.0),
            ..RetryConfig::default()
        };
        let mut backoff = Backoff::new(&config);
        let waits: Vec<u128> = (0..4).map(|_| backoff.next(None).as_millis()).collect();
        assert_eq!(waits, [100, 300, 900, 1000]);
        assert_eq!(
            backoff.next(Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        let low = RetryConfig {
            jitter: Arc::new(|| 0.0),
            ..config
        };
        let mut backoff = Backoff::new(&low);
        assert!((0..5).all(|_| backoff.next(None) == Duration::from_millis(100)));
        assert_eq!(parse_retry_after(Some(" 3 ")), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
    }
}
