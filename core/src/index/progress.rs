//! Progress of an indexing run. Workers only bump atomic counters; one reporter thread
//! ([`crate::progress::report_until`]) turns them into an [`IndexProgress`] at most every
//! [`REPORT_INTERVAL`], so a fast run does not flood the front end and a slow one still
//! shows the current file.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::progress::REPORT_INTERVAL;

/// The stage an indexing run is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexPhase {
    /// Walking the folder and comparing it with the cache.
    #[default]
    Scanning,
    /// Another run is indexing the same gallery; this one reuses its result after it.
    Waiting,
    /// Reading, detecting and embedding new or changed photos.
    Indexing,
    /// Writing the cache.
    Saving,
    Finished,
}

impl IndexPhase {
    /// A label for front ends, so none has to match on the phase.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Scanning => "Scanning folder",
            Self::Waiting => "Waiting for another indexing run of this gallery",
            Self::Indexing => "Finding faces",
            Self::Saving => "Saving",
            Self::Finished => "Done",
        }
    }
}

/// A snapshot of the run's progress.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexProgress {
    pub phase: IndexPhase,
    /// Photos of the gallery settled so far (unchanged ones count from the start).
    pub photos_done: usize,
    /// Photos in the gallery.
    pub photos_total: usize,
    /// Faces in the settled photos.
    pub faces_found: usize,
    /// The photo being read most recently.
    pub current: Option<PathBuf>,
    /// Photos read and analysed per second in this run (unchanged photos excluded).
    pub photos_per_second: f64,
    /// Time left at the current rate, once there is a rate.
    pub eta: Option<Duration>,
}

impl IndexProgress {
    /// Fraction done, 0..=1.
    pub fn fraction(&self) -> f32 {
        if self.photos_total == 0 {
            1.0
        } else {
            (self.photos_done as f32 / self.photos_total as f32).clamp(0.0, 1.0)
        }
    }
}

/// Shared counters bumped by the pipeline.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    phase: Mutex<IndexPhase>,
    photos_done: AtomicUsize,
    photos_total: AtomicUsize,
    faces_found: AtomicUsize,
    /// Photos that needed reading; the rate is measured on these.
    processed: AtomicUsize,
    to_process: AtomicUsize,
    current: Mutex<Option<PathBuf>>,
    started: Mutex<Option<Instant>>,
}

impl Counters {
    pub fn set_phase(&self, phase: IndexPhase) {
        if let Ok(mut p) = self.phase.lock() {
            *p = phase;
        }
    }

    /// Starts the indexing phase: `settled` photos (with `faces` faces) need no work,
    /// `to_process` need reading.
    pub fn start_indexing(&self, total: usize, settled: usize, faces: usize, to_process: usize) {
        self.photos_total.store(total, Ordering::Relaxed);
        self.photos_done.store(settled, Ordering::Relaxed);
        self.faces_found.store(faces, Ordering::Relaxed);
        self.to_process.store(to_process, Ordering::Relaxed);
        if let Ok(mut s) = self.started.lock() {
            *s = Some(Instant::now());
        }
        self.set_phase(IndexPhase::Indexing);
    }

    pub fn reading(&self, path: &std::path::Path) {
        if let Ok(mut c) = self.current.lock() {
            *c = Some(path.to_path_buf());
        }
    }

    /// A photo that needed reading is settled (added, updated, reused or failed).
    pub fn photo_processed(&self, faces: usize) {
        self.processed.fetch_add(1, Ordering::Relaxed);
        self.photos_done.fetch_add(1, Ordering::Relaxed);
        self.faces_found.fetch_add(faces, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> IndexProgress {
        let phase = self.phase.lock().map(|p| *p).unwrap_or_default();
        let processed = self.processed.load(Ordering::Relaxed);
        let to_process = self.to_process.load(Ordering::Relaxed);
        let elapsed = self
            .started
            .lock()
            .ok()
            .and_then(|s| s.map(|t| t.elapsed().as_secs_f64()))
            .unwrap_or(0.0);
        let photos_per_second = if elapsed > 0.0 {
            processed as f64 / elapsed
        } else {
            0.0
        };
        let eta = (photos_per_second > 0.0 && phase == IndexPhase::Indexing).then(|| {
            Duration::from_secs_f64(to_process.saturating_sub(processed) as f64 / photos_per_second)
        });
        IndexProgress {
            phase,
            photos_done: self.photos_done.load(Ordering::Relaxed),
            photos_total: self.photos_total.load(Ordering::Relaxed),
            faces_found: self.faces_found.load(Ordering::Relaxed),
            current: self.current.lock().ok().and_then(|c| c.clone()),
            photos_per_second,
            eta,
        }
    }
}

/// Sends `counters.snapshot()` through `report` every [`REPORT_INTERVAL`] until `done` is
/// set, then once more so the last state is always seen.
pub(crate) fn report_until(counters: &Counters, done: &AtomicBool, report: &dyn Fn(IndexProgress)) {
    crate::progress::report_until(done, || counters.snapshot(), report);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_time_left_follow_the_processed_photos() {
        let c = Counters::default();
        c.start_indexing(10, 4, 7, 6);
        std::thread::sleep(Duration::from_millis(50));
        c.photo_processed(2);
        c.photo_processed(0);
        let p = c.snapshot();
        assert_eq!((p.photos_done, p.photos_total, p.faces_found), (6, 10, 9));
        assert!(p.photos_per_second > 0.0 && p.photos_per_second < 100.0);
        let eta = p.eta.expect("a rate gives an eta").as_secs_f64();
        // 4 photos left at the measured rate.
        assert!((eta - 4.0 / p.photos_per_second).abs() < 0.05, "{eta}");
        assert!((p.fraction() - 0.6).abs() < 1e-6);
    }

    #[test]
    fn the_reporter_always_sends_the_final_state() {
        let c = Counters::default();
        c.start_indexing(1, 0, 0, 1);
        c.photo_processed(3);
        let done = AtomicBool::new(true);
        let seen = Mutex::new(Vec::new());
        report_until(&c, &done, &|p| seen.lock().expect("lock").push(p));
        let seen = seen.into_inner().expect("lock");
        assert_eq!(seen.last().map(|p| p.faces_found), Some(3));
    }
}
