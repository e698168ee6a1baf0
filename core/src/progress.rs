//! Progress reporting for long-running jobs: workers only update counters, and a reporter
//! thread ([`report_until`]) sends their state at most every [`REPORT_INTERVAL`], so a fast
//! job does not flood a channel (or a UI thread) and a slow one still shows movement.
//! Stopping is an `&AtomicBool` checked between items. Indexing uses it; export and model
//! download call their progress callback on the working thread, per item or chunk (their
//! callers cancel from inside it), so they keep their own signatures.

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn the_reporter_always_sends_the_final_state() {
        let done = AtomicBool::new(true);
        let seen = Mutex::new(Vec::new());
        report_until(&done, || 3, &|p| seen.lock().expect("lock").push(p));
        assert_eq!(seen.into_inner().expect("lock").last(), Some(&3));
    }
}
