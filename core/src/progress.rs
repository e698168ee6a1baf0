//! Progress reporting shared by the long-running jobs (indexing, export, model download):
//! workers only update counters, and reports reach the front end at most every
//! [`REPORT_INTERVAL`], so a fast job does not flood a channel (or a UI thread) and a slow
//! one still shows movement. Stopping is always an `&AtomicBool` checked between items.
//!
//! Two shapes of the same rule: [`report_until`] is a reporter thread reading shared
//! counters (indexing, whose workers are many threads); [`Throttle`] gates a callback
//! called on the working thread itself (download, export), keeping the final report.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often progress is reported at most.
pub const REPORT_INTERVAL: Duration = Duration::from_millis(200);

/// Sends `snapshot()` through `report` every [`REPORT_INTERVAL`] until `done` is set, then
/// once more so the last state is always seen. Run it on its own thread.
pub fn report_until<P>(done: &AtomicBool, snapshot: impl Fn() -> P, report: &dyn Fn(P)) {
    loop {
        report(snapshot());
        let deadline = Instant::now() + REPORT_INTERVAL;
        while Instant::now() < deadline {
            if done.load(Ordering::Acquire) {
                report(snapshot());
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Lets a report through at most every `interval`, and always the first and the final.
#[derive(Debug, Clone)]
pub struct Throttle {
    interval: Duration,
    last: Option<Instant>,
}

impl Throttle {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: None,
        }
    }

    /// Whether to report now; `is_final` always passes.
    pub fn ready(&mut self, is_final: bool) -> bool {
        let now = Instant::now();
        let due = self
            .last
            .is_none_or(|last| now.duration_since(last) >= self.interval);
        if due || is_final {
            self.last = Some(now);
        }
        due || is_final
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(REPORT_INTERVAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn the_throttle_passes_the_first_the_final_and_one_per_interval() {
        let mut t = Throttle::new(Duration::from_millis(40));
        assert!(t.ready(false));
        assert!(!t.ready(false));
        assert!(t.ready(true));
        std::thread::sleep(Duration::from_millis(50));
        assert!(t.ready(false));
        assert!(!t.ready(false));
    }

    #[test]
    fn the_reporter_always_sends_the_final_state() {
        let done = AtomicBool::new(true);
        let seen = Mutex::new(Vec::new());
        report_until(&done, || 3, &|p| seen.lock().expect("lock").push(p));
        assert_eq!(seen.into_inner().expect("lock").last(), Some(&3));
    }
}
