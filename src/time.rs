//! Injected time. Behaviour that depends on the wall clock (segment roll by age, retention,
//! file-delete delays, flush intervals, ISR lag, session timeouts) asks a [`Clock`] instead of
//! calling `SystemTime::now()`, so tests advance a [`MockClock`] instead of sleeping.
//! Kafka: `org.apache.kafka.common.utils.Time` / `MockTime`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A source of wall-clock milliseconds (Unix epoch) and monotonic nanoseconds.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch, as Kafka's `Time.milliseconds()`.
    fn milliseconds(&self) -> i64;
    /// Monotonic nanoseconds from an arbitrary origin, as Kafka's `Time.nanoseconds()`.
    fn nanoseconds(&self) -> i64;
}

/// A shared clock handle, the form every component stores.
pub type SharedClock = Arc<dyn Clock>;

/// The real clock.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    pub fn new() -> SystemClock {
        SystemClock {
            origin: Instant::now(),
        }
    }

    /// A shared handle to a new system clock.
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock::new())
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn milliseconds(&self) -> i64 {
        // A clock before 1970 is a misconfigured host; report 0 rather than panic.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }

    fn nanoseconds(&self) -> i64 {
        self.origin.elapsed().as_nanos() as i64
    }
}

/// A clock that only moves when a test advances it. Kafka: `MockTime`.
#[derive(Debug)]
pub struct MockClock {
    ms: AtomicI64,
    ns: AtomicI64,
}

impl MockClock {
    /// A mock clock starting at `start_ms` milliseconds since the epoch.
    pub fn new(start_ms: i64) -> MockClock {
        MockClock {
            ms: AtomicI64::new(start_ms),
            ns: AtomicI64::new(0),
        }
    }

    /// Moves both the wall clock and the monotonic clock forward by `ms`.
    pub fn advance_ms(&self, ms: i64) {
        self.ms.fetch_add(ms, Ordering::SeqCst);
        self.ns
            .fetch_add(ms.saturating_mul(1_000_000), Ordering::SeqCst);
    }

    /// Sets the wall clock (the monotonic clock is unaffected).
    pub fn set_ms(&self, ms: i64) {
        self.ms.store(ms, Ordering::SeqCst);
    }
}

impl Clock for MockClock {
    fn milliseconds(&self) -> i64 {
        self.ms.load(Ordering::SeqCst)
    }

    fn nanoseconds(&self) -> i64 {
        self.ns.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's `MockTime.sleep` advances both clocks; tests rely on time moving only on request.
    #[test]
    fn mock_clock_moves_only_when_advanced() {
        let c = MockClock::new(1_000);
        assert_eq!(c.milliseconds(), 1_000);
        assert_eq!(c.milliseconds(), 1_000);
        c.advance_ms(250);
        assert_eq!(c.milliseconds(), 1_250);
        assert_eq!(c.nanoseconds(), 250_000_000);
    }

    /// The system clock reports a plausible epoch time (after 2020-01-01).
    #[test]
    fn system_clock_is_epoch_millis() {
        assert!(SystemClock::new().milliseconds() > 1_577_836_800_000);
    }
}
