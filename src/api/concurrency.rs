//! How many calls a client keeps in flight: a fixed number, or a limit that finds what the cluster
//! sustains.
//!
//! Against a real cluster ThoughtSpot is the bottleneck: each page is a warehouse query that takes
//! seconds, the cluster serves a limited number at once (more wait in its queue, so latency grows),
//! and it answers 429 past a per-address request rate. A fixed number of requests in flight is
//! either too few for a cluster with room or too many for a busy one, so by default the limit
//! adapts ([`InFlight::Auto`]), the way TCP congestion control and Netflix's concurrency-limits do:
//!
//! - **Slow start**: the limit grows by one per successful call (doubling every round trip) until
//!   the first sign of congestion or [`AdaptiveLimit::max`].
//! - **Additive increase, multiplicative decrease (AIMD)**: after that, it grows by `1/limit` per
//!   success (one per round trip) while calls keep the cluster's no-load latency, and is multiplied
//!   by [`AdaptiveLimit::backoff`] on congestion: a 429, a 5xx, a timeout, or a call slower than
//!   [`AdaptiveLimit::latency_tolerance`] times the no-load latency (the latency gradient: a queue is
//!   forming on the cluster, or in the client when it cannot keep up).
//! - **One cut per round trip**: a call sent before the last cut reports on the old limit, so its
//!   signal is ignored; a burst of failures from one window costs one cut, as in TCP.
//! - **Retry-After**: a 429 holds every new call of the client until the time the server gave, so
//!   the calls in flight do not each hammer the limit.
//! - **Pacing** ([`Pacer`]): a per-address request rate is not a concurrency (fast calls exceed
//!   it one at a time), so the first 429 also starts spacing calls out, at
//!   [`AdaptiveLimit::pace_backoff`] times the rate the server had been accepting over the last
//!   second; the rate then grows each second, quickly back towards the rate that failed and slowly
//!   past it, and each later 429 cuts it (AIMD again, on the rate). A rate limiter answers 429 and waits a whole second per excess
//!   request, so sending just under its rate is several times faster than bursting into it.
//!
//! The no-load latency is a windowed minimum per endpoint (the minimum of the last
//! [`AdaptiveLimit::baseline_window`] successful calls, carried over one window), so it follows a
//! cluster that became slower for good. The control law ([`Controller`]) is a pure function of the
//! instants it is given, so its tests are exact; [`Limiter`] adds the waiting.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

/// The most calls an adaptive limit allows by default: past the capacity of most clusters, and few
/// enough pages held in memory.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 8;

/// How many page requests an export keeps in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InFlight {
    /// Adapt to what the cluster sustains, up to a maximum ([`AdaptiveLimit`]).
    #[default]
    Auto,
    /// Exactly this many, whatever the cluster answers.
    Fixed(usize),
}

/// Text that is neither `auto` nor a positive number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a number of requests in flight: give `auto` or a number from 1")]
pub struct InvalidInFlight(pub String);

impl FromStr for InFlight {
    type Err = InvalidInFlight;

    fn from_str(text: &str) -> Result<Self, InvalidInFlight> {
        match text.trim() {
            "auto" => Ok(InFlight::Auto),
            number => number
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .map(InFlight::Fixed)
                .ok_or_else(|| InvalidInFlight(text.to_string())),
        }
    }
}

impl fmt::Display for InFlight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InFlight::Auto => f.write_str("auto"),
            InFlight::Fixed(n) => write!(f, "{n}"),
        }
    }
}

/// A job file gives `in_flight = "auto"` or `in_flight = 4`.
impl<'de> serde::Deserialize<'de> for InFlight {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = InFlight;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"auto\" or a number of requests from 1")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<InFlight, E> {
                text.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<InFlight, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<InFlight, E> {
                self.visit_str(&n.to_string())
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The settings of an adaptive limit.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptiveLimit {
    /// The limit a client starts with (4: a cluster serves a few queries at once, and one round
    /// trip of slow start then reaches 8).
    pub initial: usize,
    /// The limit never exceeds this ([`DEFAULT_MAX_IN_FLIGHT`] by default).
    pub max: usize,
    /// A successful call slower than this times the no-load latency is congestion (1.5 by default:
    /// a queue half as long as the work itself).
    pub latency_tolerance: f64,
    /// The factor the limit is multiplied by on congestion (0.75 by default).
    pub backoff: f64,
    /// Successful calls per window of the no-load latency's minimum (50 by default).
    pub baseline_window: u32,
    /// After a 429, calls are paced at this share of the rate the server accepted (0.8 by
    /// default).
    pub pace_backoff: f64,
}

impl Default for AdaptiveLimit {
    fn default() -> Self {
        Self {
            initial: 4,
            max: DEFAULT_MAX_IN_FLIGHT,
            latency_tolerance: 1.5,
            backoff: 0.75,
            baseline_window: 50,
            pace_backoff: 0.8,
        }
    }
}

impl AdaptiveLimit {
    /// The default settings with at most `max` calls in flight.
    pub fn up_to(max: usize) -> Self {
        Self {
            max: max.max(1),
            initial: Self::default().initial.min(max.max(1)),
            ..Self::default()
        }
    }
}

/// What a client's calls met, counted since it was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RequestStats {
    /// Requests sent, each attempt counted (sign-in calls, made inside another call, are not).
    pub requests: u64,
    /// Answers of 429 Too Many Requests.
    pub rate_limited: u64,
    /// Answers of 5xx and timeouts.
    pub server_errors: u64,
    /// Attempts that were a retry of a failed one.
    pub retries: u64,
    /// The most calls that were in flight at once.
    pub peak_in_flight: u64,
    /// The limit the adaptive controller ended at (the fixed limit, or 0 without one).
    pub final_limit: u64,
}

impl RequestStats {
    /// The counts since `earlier`, a snapshot of the same client; the peak and the limit as now.
    pub fn since(&self, earlier: &RequestStats) -> RequestStats {
        RequestStats {
            requests: self.requests.saturating_sub(earlier.requests),
            rate_limited: self.rate_limited.saturating_sub(earlier.rate_limited),
            server_errors: self.server_errors.saturating_sub(earlier.server_errors),
            retries: self.retries.saturating_sub(earlier.retries),
            ..*self
        }
    }
}

/// What one call said about the cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Signal {
    /// Answered successfully after `latency`.
    Ok {
        /// From sending to the body read whole.
        latency: Duration,
    },
    /// 429: the per-address rate is exceeded; wait `retry_after` if the server said.
    RateLimited {
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// A 5xx or a timeout: the cluster is overloaded or failing.
    Overloaded,
    /// Anything else (a 4xx, a broken connection, a decode error): says nothing about load.
    Neutral,
}

/// The no-load latency of one endpoint: a windowed minimum.
#[derive(Debug, Clone, Copy)]
struct Baseline {
    /// The minimum of the previous window and the current one so far.
    min: Duration,
    /// The minimum of the current window.
    current: Duration,
    samples: u32,
}

/// The control law: the limit, and how each call's outcome moves it. Pure: the caller gives every
/// instant.
#[derive(Debug)]
pub(crate) struct Controller {
    config: AdaptiveLimit,
    limit: f64,
    slow_start: bool,
    baselines: HashMap<String, Baseline>,
    last_cut: Option<Instant>,
}

/// A change of the limit, for the log.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    pub from: usize,
    pub to: usize,
    pub why: String,
}

impl Controller {
    pub(crate) fn new(config: AdaptiveLimit) -> Self {
        let max = config.max.max(1);
        Self {
            limit: config.initial.clamp(1, max) as f64,
            config: AdaptiveLimit { max, ..config },
            slow_start: true,
            baselines: HashMap::new(),
            last_cut: None,
        }
    }

    /// Calls allowed in flight now.
    pub(crate) fn limit(&self) -> usize {
        (self.limit.floor() as usize).clamp(1, self.config.max)
    }

    /// Moves the limit for the outcome of a call to `endpoint` sent at `sent`, with `in_flight`
    /// calls (itself included) in flight when it ended; returns the change when the whole limit
    /// moved.
    pub(crate) fn on_outcome(
        &mut self,
        endpoint: &str,
        sent: Instant,
        now: Instant,
        in_flight: usize,
        signal: Signal,
    ) -> Option<Change> {
        let before = self.limit();
        let why = match signal {
            Signal::Neutral => return None,
            Signal::RateLimited { .. } => self.cut(sent, now).then_some("429 Too Many Requests"),
            Signal::Overloaded => self.cut(sent, now).then_some("a 5xx or a timeout"),
            Signal::Ok { latency } => {
                let baseline = self.observe(endpoint, latency);
                if latency.as_secs_f64() > self.config.latency_tolerance * baseline.as_secs_f64() {
                    self.cut(sent, now).then_some("latency rising")
                } else {
                    self.grow(in_flight);
                    Some(if self.slow_start {
                        "slow start"
                    } else {
                        "latency steady"
                    })
                }
            }
        }?;
        let after = self.limit();
        (after != before).then(|| Change {
            from: before,
            to: after,
            why: why.to_string(),
        })
    }

    /// Cuts the limit unless the call was sent before the last cut; whether it cut.
    fn cut(&mut self, sent: Instant, now: Instant) -> bool {
        self.slow_start = false;
        if self.last_cut.is_some_and(|cut| sent < cut) {
            return false;
        }
        self.limit = (self.limit * self.config.backoff).max(1.0);
        self.last_cut = Some(now);
        true
    }

    /// Grows the limit when it was in use: a client that sends fewer calls than it may learns
    /// nothing about the cluster's room.
    fn grow(&mut self, in_flight: usize) {
        if in_flight < self.limit() {
            return;
        }
        let max = self.config.max as f64;
        self.limit = if self.slow_start {
            self.limit + 1.0
        } else {
            self.limit + 1.0 / self.limit
        }
        .min(max);
        if self.limit >= max {
            self.slow_start = false;
        }
    }

    /// Records a successful call's latency; the no-load latency of its endpoint.
    fn observe(&mut self, endpoint: &str, latency: Duration) -> Duration {
        let window = self.config.baseline_window.max(1);
        let baseline = self
            .baselines
            .entry(endpoint.to_string())
            .or_insert(Baseline {
                min: latency,
                current: latency,
                samples: 0,
            });
        baseline.min = baseline.min.min(latency);
        baseline.current = baseline.current.min(latency);
        baseline.samples += 1;
        if baseline.samples >= window {
            // The new window starts from the last one's minimum, so the floor moves up only after a
            // whole window without a faster call.
            baseline.min = baseline.current;
            baseline.current = latency;
            baseline.samples = 0;
        }
        baseline.min
    }
}

/// Spaces calls out once the server has said 429. Pure, like [`Controller`].
///
/// The rate is learned from what the server accepted just before its 429 (the calls started in
/// the last second, over that second or the shorter time since the first of them), cut by
/// [`AdaptiveLimit::pace_backoff`]. It then grows each second: by a quarter while below nine tenths
/// of the rate that failed, then by a hundredth (at least a tenth of a call a second) times the
/// seconds since the last 429, up to ten. Growing slowly near the rate that failed and faster the
/// longer it holds, as TCP CUBIC plateaus near its last loss, matters because each 429 costs a
/// whole second of `Retry-After`.
#[derive(Debug)]
pub(crate) struct Pacer {
    backoff: f64,
    /// Calls a second; None until the first 429.
    rate: Option<f64>,
    /// The accepted rate at the last 429.
    failed_at: f64,
    /// The earliest start of the next call.
    next: Option<Instant>,
    /// Starts of the last second's calls, to measure the rate the server accepted.
    recent: VecDeque<Instant>,
    /// When the rate was last cut.
    last_cut: Option<Instant>,
    /// When the rate last changed.
    last_change: Option<Instant>,
}

impl Pacer {
    pub(crate) fn new(backoff: f64) -> Self {
        Self {
            backoff,
            rate: None,
            failed_at: 0.0,
            next: None,
            recent: VecDeque::new(),
            last_cut: None,
            last_change: None,
        }
    }

    /// Calls a second, once pacing started.
    pub(crate) fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// When a call ready at `now` may start; the one after it waits its turn.
    pub(crate) fn slot(&mut self, now: Instant) -> Instant {
        let start = self.next.map_or(now, |next| next.max(now));
        if let Some(rate) = self.rate {
            self.next = Some(start + Duration::from_secs_f64(1.0 / rate));
        }
        while self.recent.front().is_some_and(|t| *t + SECOND <= start) {
            self.recent.pop_front();
        }
        self.recent.push_back(start);
        start
    }

    /// A call started at `sent` was answered 429 at `now`: cut the rate, unless it was sent before
    /// the last cut.
    pub(crate) fn on_rate_limited(&mut self, sent: Instant, now: Instant) {
        if self.last_cut.is_some_and(|cut| sent < cut) {
            return;
        }
        let window: Vec<Instant> = self
            .recent
            .iter()
            .copied()
            .filter(|t| *t + SECOND > sent && *t <= sent)
            .collect();
        let span = window
            .first()
            .map_or(SECOND, |first| sent.saturating_duration_since(*first))
            .clamp(SECOND / 4, SECOND);
        let accepted = (window.len().max(1) as f64 / span.as_secs_f64()).max(0.5);
        self.failed_at = accepted;
        let rate = self.rate.map_or(accepted, |rate| rate.min(accepted));
        self.rate = Some((rate * self.backoff).max(0.5));
        self.last_cut = Some(now);
        self.last_change = Some(now);
    }

    /// A call succeeded at `now`: a second after the last change, the rate grows.
    pub(crate) fn on_success(&mut self, now: Instant) {
        let (Some(rate), Some(since)) = (self.rate, self.last_change) else {
            return;
        };
        if now.saturating_duration_since(since) >= SECOND {
            let calm = self
                .last_cut
                .map_or(1.0, |cut| now.saturating_duration_since(cut).as_secs_f64())
                .clamp(1.0, 10.0);
            self.rate = Some(if rate < 0.9 * self.failed_at {
                rate + (rate / 4.0).max(1.0)
            } else {
                rate + (rate / 100.0).max(0.1) * calm
            });
            self.last_change = Some(now);
        }
    }
}

const SECOND: Duration = Duration::from_secs(1);

/// How a client's limiter decides.
#[derive(Debug)]
enum Mode {
    Unbounded,
    Fixed(usize),
    Adaptive(Box<(Controller, Pacer)>),
}

#[derive(Debug)]
struct State {
    mode: Mode,
    in_flight: usize,
    /// Calls waiting for a place, first come first served.
    queue: VecDeque<oneshot::Sender<()>>,
    /// No call starts before this instant (a 429's `Retry-After`).
    hold_until: Option<Instant>,
    stats: RequestStats,
}

impl State {
    fn limit(&self) -> usize {
        match &self.mode {
            Mode::Unbounded => usize::MAX,
            Mode::Fixed(n) => *n,
            Mode::Adaptive(adaptive) => adaptive.0.limit(),
        }
    }

    /// Hands free places to waiting calls, oldest first.
    fn admit(&mut self) {
        while self.in_flight < self.limit() {
            let Some(waiter) = self.queue.pop_front() else {
                break;
            };
            // A waiter that gave up (its call was dropped) takes no place.
            if waiter.send(()).is_ok() {
                self.take_place();
            }
        }
    }

    fn take_place(&mut self) {
        self.in_flight += 1;
        self.stats.peak_in_flight = self.stats.peak_in_flight.max(self.in_flight as u64);
    }
}

/// The calls a client and its clones have in flight, capped by a fixed number or an adaptive limit.
#[derive(Debug)]
pub(crate) struct Limiter {
    state: Mutex<State>,
}

/// A call's place in flight. Give it back with [`Permit::finish`]; a dropped permit frees its
/// place without a signal.
#[derive(Debug)]
pub(crate) struct Permit {
    limiter: Arc<Limiter>,
    sent: Instant,
    done: bool,
}

impl Limiter {
    /// No cap: calls only count.
    pub(crate) fn unbounded() -> Self {
        Self::with_mode(Mode::Unbounded)
    }

    /// At most `n` calls at once.
    pub(crate) fn fixed(n: usize) -> Self {
        Self::with_mode(Mode::Fixed(n.max(1)))
    }

    /// A limit that adapts ([`Controller`]).
    pub(crate) fn adaptive(config: AdaptiveLimit) -> Self {
        let pacer = Pacer::new(config.pace_backoff);
        Self::with_mode(Mode::Adaptive(Box::new((Controller::new(config), pacer))))
    }

    fn with_mode(mode: Mode) -> Self {
        Self {
            state: Mutex::new(State {
                mode,
                in_flight: 0,
                queue: VecDeque::new(),
                hold_until: None,
                stats: RequestStats::default(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a place, then for any hold a 429 set, and counts the request.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Permit {
        let waiting = {
            let mut state = self.lock();
            if state.queue.is_empty() && state.in_flight < state.limit() {
                state.take_place();
                None
            } else {
                let (tx, rx) = oneshot::channel();
                state.queue.push_back(tx);
                Some(rx)
            }
        };
        if let Some(admitted) = waiting {
            let mut waiter = Waiter {
                limiter: self.clone(),
                admitted: Some(admitted),
            };
            if let Some(admitted) = waiter.admitted.as_mut() {
                if admitted.await.is_err() {
                    // Only a dropped limiter drops a waiter unanswered, and this call holds it.
                    self.lock().take_place();
                }
            }
            waiter.admitted = None;
        }
        let mut permit = Permit {
            limiter: self.clone(),
            sent: Instant::now(),
            done: false,
        };
        // A 429 may arrive while this call waits for its turn: wait out every hold, then a slot.
        loop {
            let wake = {
                let mut state = self.lock();
                let now = Instant::now();
                match state.hold_until.filter(|until| *until > now) {
                    Some(until) => Some(until),
                    None => match &mut state.mode {
                        Mode::Adaptive(adaptive) => Some(adaptive.1.slot(now)).filter(|s| *s > now),
                        _ => None,
                    },
                }
            };
            match wake {
                Some(at) => tokio::time::sleep_until(at).await,
                None => break,
            }
            if self
                .lock()
                .hold_until
                .is_none_or(|until| until <= Instant::now())
            {
                break;
            }
        }
        permit.sent = Instant::now();
        self.lock().stats.requests += 1;
        permit
    }

    /// Counts a retry.
    pub(crate) fn count_retry(&self) {
        self.lock().stats.retries += 1;
    }

    /// What the calls met so far.
    pub(crate) fn stats(&self) -> RequestStats {
        let state = self.lock();
        let mut stats = state.stats;
        stats.final_limit = match &state.mode {
            Mode::Unbounded => 0,
            Mode::Fixed(n) => *n as u64,
            Mode::Adaptive(adaptive) => adaptive.0.limit() as u64,
        };
        stats
    }

    fn release(&self, sent: Instant, endpoint: &str, signal: Signal) {
        let now = Instant::now();
        let mut state = self.lock();
        let in_flight = state.in_flight;
        state.in_flight = in_flight.saturating_sub(1);
        match signal {
            Signal::RateLimited { retry_after } => {
                state.stats.rate_limited += 1;
                if let Some(wait) = retry_after {
                    let until = now + wait;
                    state.hold_until = Some(state.hold_until.map_or(until, |u| u.max(until)));
                }
            }
            Signal::Overloaded => state.stats.server_errors += 1,
            Signal::Ok { .. } | Signal::Neutral => {}
        }
        if let Mode::Adaptive(adaptive) = &mut state.mode {
            let (controller, pacer) = &mut **adaptive;
            match signal {
                Signal::RateLimited { .. } => {
                    let before = pacer.rate();
                    pacer.on_rate_limited(sent, now);
                    if pacer.rate() != before {
                        tracing::info!(
                            endpoint,
                            "pacing requests at {:.1} a second (429 Too Many Requests)",
                            pacer.rate().unwrap_or_default()
                        );
                    }
                }
                Signal::Ok { .. } => pacer.on_success(now),
                Signal::Overloaded | Signal::Neutral => {}
            }
            if let Some(change) = controller.on_outcome(endpoint, sent, now, in_flight, signal) {
                tracing::info!(
                    from = change.from,
                    to = change.to,
                    endpoint,
                    "requests in flight {} -> {} ({})",
                    change.from,
                    change.to,
                    change.why
                );
            }
        }
        state.admit();
    }
}

/// A call waiting in the queue. Dropped before it learns it was admitted (its call was cancelled),
/// it gives the place back.
struct Waiter {
    limiter: Arc<Limiter>,
    admitted: Option<oneshot::Receiver<()>>,
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Some(mut admitted) = self.admitted.take() {
            admitted.close();
            if admitted.try_recv().is_ok() {
                self.limiter.release(Instant::now(), "", Signal::Neutral);
            }
        }
    }
}

impl Permit {
    /// When the call was sent (after any wait for a place or a hold).
    pub(crate) fn sent(&self) -> Instant {
        self.sent
    }

    /// Frees the place, telling the limiter what the call met.
    pub(crate) fn finish(mut self, endpoint: &str, signal: Signal) {
        self.done = true;
        self.limiter.release(self.sent, endpoint, signal);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.done {
            self.limiter.release(self.sent, "", Signal::Neutral);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "searchdata";

    fn ok(ms: u64) -> Signal {
        Signal::Ok {
            latency: Duration::from_millis(ms),
        }
    }

    /// Feeds `n` successes of `latency` ms, each sent at `t` and ending at `t` plus its latency, with
    /// the limit in use; returns the limit after.
    fn successes(c: &mut Controller, t: &mut Instant, n: usize, latency: u64) -> usize {
        for _ in 0..n {
            let sent = *t;
            *t += Duration::from_millis(latency);
            let in_flight = c.limit();
            c.on_outcome(PAGE, sent, *t, in_flight, ok(latency));
        }
        c.limit()
    }

    #[test]
    fn slow_start_doubles_each_round_trip_up_to_the_max() {
        let mut c = Controller::new(AdaptiveLimit::default());
        let mut t = Instant::now();
        assert_eq!(c.limit(), 4);
        assert_eq!(successes(&mut c, &mut t, 4, 400), 8);
        assert_eq!(successes(&mut c, &mut t, 50, 400), 8, "never past the max");
    }

    #[test]
    fn rising_latency_cuts_once_per_round_trip_then_growth_is_additive() {
        let mut c = Controller::new(AdaptiveLimit::default());
        let mut t = Instant::now();
        successes(&mut c, &mut t, 4, 400);
        assert_eq!(c.limit(), 8);
        // Three calls sent in the same window come back twice as slow: one cut, to 6.
        let sent = t;
        t += Duration::from_millis(800);
        for _ in 0..3 {
            c.on_outcome(PAGE, sent, t, 8, ok(800));
        }
        assert_eq!(c.limit(), 6);
        // Later calls at the no-load latency grow the limit by about one per round trip.
        assert_eq!(successes(&mut c, &mut t, 7, 400), 7);
        // A queue shorter than the tolerance is not congestion.
        assert_eq!(successes(&mut c, &mut t, 3, 550), 7);
    }

    #[test]
    fn rate_limits_and_server_errors_cut_and_neutral_outcomes_do_not() {
        let mut c = Controller::new(AdaptiveLimit::default());
        let mut t = Instant::now();
        successes(&mut c, &mut t, 4, 100);
        let change = c.on_outcome(PAGE, t, t, 8, Signal::RateLimited { retry_after: None });
        assert_eq!(
            change.map(|c| (c.from, c.to)),
            Some((8, 6)),
            "a 429 is congestion"
        );
        t += Duration::from_millis(1);
        c.on_outcome(PAGE, t, t, 6, Signal::Overloaded);
        assert_eq!(c.limit(), 4);
        t += Duration::from_millis(1);
        c.on_outcome(PAGE, t, t, 4, Signal::Neutral);
        assert_eq!(c.limit(), 4);
        for _ in 0..20 {
            t += Duration::from_millis(1);
            c.on_outcome(PAGE, t, t, 1, Signal::Overloaded);
        }
        assert_eq!(c.limit(), 1, "never below one");
    }

    #[test]
    fn an_idle_client_does_not_grow_and_endpoints_keep_their_own_baseline() {
        let mut c = Controller::new(AdaptiveLimit::default());
        let t = Instant::now();
        for _ in 0..10 {
            c.on_outcome(PAGE, t, t, 1, ok(100));
        }
        assert_eq!(
            c.limit(),
            4,
            "one call at a time says nothing about room for more"
        );
        // A fast metadata call does not make data pages look congested.
        c.on_outcome("metadata/list", t, t, 1, ok(5));
        assert_eq!(c.on_outcome(PAGE, t, t, 4, ok(120)).map(|c| c.to), Some(5));
    }

    #[test]
    fn the_baseline_follows_a_cluster_that_became_slower_after_a_window() {
        let config = AdaptiveLimit {
            baseline_window: 4,
            ..AdaptiveLimit::default()
        };
        let mut c = Controller::new(config);
        for latency in [100, 100, 100, 100] {
            c.observe(PAGE, Duration::from_millis(latency));
        }
        // The next window sees only 300 ms calls; after it, 300 ms is the no-load latency.
        let mut floor = Duration::ZERO;
        for _ in 0..8 {
            floor = c.observe(PAGE, Duration::from_millis(300));
        }
        assert_eq!(floor, Duration::from_millis(300));
    }

    #[test]
    fn a_pacer_learns_the_accepted_rate_from_a_429_and_grows_back_slowly_near_it() {
        let mut p = Pacer::new(0.8);
        let t0 = Instant::now();
        let ms = |n: u64| Duration::from_millis(n);
        // Unpaced until a 429: 20 calls in the first second start at once.
        for i in 0..20 {
            assert_eq!(p.slot(t0 + ms(50 * i)), t0 + ms(50 * i));
        }
        let sent = t0 + ms(950);
        p.on_rate_limited(sent, sent + ms(10));
        // 20 calls in the 0.95 s before the 429's call was sent.
        let accepted = 20.0 / 0.95;
        let close = |got: Option<f64>, want: f64| (got.unwrap() - want).abs() < 1e-9;
        assert!(close(p.rate(), 0.8 * accepted), "{:?}", p.rate());
        // Calls now start 1/rate apart, and a 429 of a call sent before the cut changes nothing.
        let next = sent + ms(20);
        let first = p.slot(next);
        let gap = (p.slot(next) - first).as_secs_f64();
        assert!((gap - 1.0 / (0.8 * accepted)).abs() < 1e-6, "{gap}");
        p.on_rate_limited(sent, sent + ms(15));
        assert!(close(p.rate(), 0.8 * accepted));
        // A second later it grows by a quarter (below nine tenths of the rate that failed), then by
        // a hundredth per second since the cut.
        p.on_success(sent + ms(1010));
        assert!(close(p.rate(), accepted));
        p.on_success(sent + ms(3010));
        assert!(close(p.rate(), accepted * (1.0 + 0.03)), "{:?}", p.rate());
    }

    #[test]
    fn in_flight_parses_auto_and_positive_numbers() {
        assert_eq!("auto".parse(), Ok(InFlight::Auto));
        assert_eq!(" 6 ".parse(), Ok(InFlight::Fixed(6)));
        for bad in ["0", "-1", "many", ""] {
            assert!(bad.parse::<InFlight>().is_err(), "{bad}");
        }
        assert_eq!(InFlight::Fixed(3).to_string(), "3");
    }

    #[tokio::test]
    async fn a_fixed_limiter_admits_in_order_and_a_429_holds_every_call() {
        let limiter = Arc::new(Limiter::fixed(1));
        let first = limiter.acquire().await;
        let waiting = tokio::spawn({
            let limiter = limiter.clone();
            async move { limiter.acquire().await.sent() }
        });
        tokio::task::yield_now().await;
        let started = Instant::now();
        first.finish(
            PAGE,
            Signal::RateLimited {
                retry_after: Some(Duration::from_millis(200)),
            },
        );
        let second_sent = waiting.await.expect("the waiting call runs");
        assert!(second_sent - started >= Duration::from_millis(200));
        let stats = limiter.stats();
        assert_eq!(
            (stats.requests, stats.rate_limited, stats.peak_in_flight),
            (2, 1, 1)
        );
    }
}
