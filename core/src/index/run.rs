//! One indexing run: the orchestration of scan, reconcile, the parallel prepare stage,
//! batched embedding, checkpoints and the final save.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use image::RgbImage;
use rayon::prelude::*;

use super::prepare::{prepare, Prepared, Reuse};
use super::progress::{report_until, Counters, IndexPhase};
use super::reconcile::{reconcile, VanishedPhotos, WorkItem};
use super::scan::scan_gallery;
use super::{IndexError, IndexEvent, IndexFailure, IndexOptions, IndexOutcome, IndexSummary};
use crate::engine::{EngineError, FaceEngine};
use crate::error::chain;
use crate::fault::panic_message;
use crate::gallery::{
    Album, CacheLoad, CheckpointLog, FaceRecord, Fingerprint, GalleryCache, PhotoRecord,
};

/// Indexes the photos under `root` (see the module docs) and returns the album.
///
/// With a `cache`, the album starts from the cached one and is saved at checkpoints and
/// at the end; without one, everything is analysed and nothing is written. Progress and
/// snapshots go to `on_event` (from this thread and a reporter thread). Setting `cancel`
/// stops the run soon; the outcome then holds what was finished, with
/// `summary.cancelled` set. Errors are only for what stops the whole run: a root that is
/// not a readable folder, or a recognizer that fails.
pub fn index_gallery(
    engine: &FaceEngine,
    root: &Path,
    cache: Option<&GalleryCache>,
    options: &IndexOptions,
    on_event: &(dyn Fn(IndexEvent) + Sync),
    cancel: &AtomicBool,
) -> Result<IndexOutcome, IndexError> {
    let started = Instant::now();
    check_root(root)?;
    let dim = engine.embedding_dim()?;
    let cache = match cache {
        Some(c) => Some((c, engine.fingerprint(dim)?)),
        None => None,
    };
    let counters = Counters::default();
    let reporter_done = AtomicBool::new(false);
    let outcome = std::thread::scope(|s| {
        s.spawn(|| {
            report_until(&counters, &reporter_done, &|p| {
                on_event(IndexEvent::Progress(p))
            })
        });
        let run = Run {
            engine,
            root,
            cache: cache.as_ref().map(|(c, fp)| (*c, fp)),
            options,
            on_event,
            cancel,
            counters: &counters,
        };
        let outcome = run.execute(dim);
        counters.set_phase(IndexPhase::Finished);
        reporter_done.store(true, Ordering::Release);
        outcome
    });
    outcome.map(|mut o| {
        o.summary.seconds = started.elapsed().as_secs_f64();
        o
    })
}

fn check_root(root: &Path) -> Result<(), IndexError> {
    let unreadable = |source| IndexError::Unreadable {
        path: root.to_path_buf(),
        source,
    };
    let meta = fs::metadata(root).map_err(unreadable)?;
    if !meta.is_dir() {
        return Err(IndexError::NotAFolder {
            path: root.to_path_buf(),
        });
    }
    fs::read_dir(root).map_err(unreadable)?;
    Ok(())
}

struct Run<'a> {
    engine: &'a FaceEngine,
    root: &'a Path,
    cache: Option<(&'a GalleryCache, &'a Fingerprint)>,
    options: &'a IndexOptions,
    on_event: &'a (dyn Fn(IndexEvent) + Sync),
    cancel: &'a AtomicBool,
    counters: &'a Counters,
}

impl Run<'_> {
    fn execute(&self, dim: usize) -> Result<IndexOutcome, IndexError> {
        let mut summary = IndexSummary::default();
        // Held until the run's last save: a second run of the same gallery waits here,
        // then finds this one's work in the cache.
        let _lock = match self.cache {
            Some((cache, fp)) => {
                let waiting = || self.counters.set_phase(IndexPhase::Waiting);
                match cache.lock(self.root, fp, self.cancel, &waiting) {
                    Ok(Some(lock)) => Some(lock),
                    Ok(None) => {
                        summary.cancelled = true;
                        let cached = self.load_cache(dim, &mut summary);
                        return Ok(finish(Arc::new(cached), summary));
                    }
                    Err(e) => {
                        log::warn!("indexing without the gallery lock: {e}");
                        None
                    }
                }
            }
            None => None,
        };
        self.counters.set_phase(IndexPhase::Scanning);
        let cached = self.load_cache(dim, &mut summary);
        let Some(scan) = scan_gallery(self.root, self.cancel) else {
            summary.cancelled = true;
            return Ok(finish(Arc::new(cached), summary));
        };
        let reconciled = reconcile(&scan, &cached);
        if !reconciled.work.is_empty() {
            // The models compile on their own threads while the first photos are read.
            self.engine.warm_up();
        }
        summary.failures.extend(scan.failures);
        summary.unchanged = reconciled.kept.photos().len();
        // A log left by a killed run is folded into the cache file at the end.
        let leftover_log = self
            .cache
            .is_some_and(|(cache, fp)| cache.log_path_for(self.root, fp).exists());
        self.counters.start_indexing(
            scan.photos.len() + reconciled.kept_unreadable,
            reconciled.kept.photos().len(),
            reconciled.kept.faces().len(),
            reconciled.work.len(),
        );
        let mut state = RunState {
            logged: reconciled.kept.photos().len(),
            album: reconciled.kept,
            settled: vec![false; reconciled.work.len()],
            pending: Vec::new(),
            pending_crops: 0,
            pending_since: None,
            dirty: !reconciled.work.is_empty()
                || cached.photos().len() != scan.photos.len() + reconciled.kept_unreadable
                || leftover_log,
            summary,
            checkpoints: Checkpoints::new(),
            log: self
                .cache
                .map(|(cache, fp)| cache.checkpoint_log(self.root, fp)),
        };
        let work = &reconciled.work;
        let vanished = &reconciled.vanished;
        let result = self.pipeline(&mut state, work, &cached, vanished);
        let cancelled = self.cancel.load(Ordering::Relaxed);
        let mut summary = std::mem::take(&mut state.summary);
        summary.cancelled = cancelled;
        // After a cancel or an error the unsettled cached photos stay in the cache, to be
        // checked again next time; the result only shows the ones still on disk.
        let present = with_unsettled(&state, work, &cached, None);
        let to_save = if cancelled || result.is_err() {
            with_unsettled(&state, work, &cached, Some(vanished))
        } else {
            summary.removed = vanished.unclaimed().len();
            present.clone()
        };
        summary.cache_bytes_written = state.log.as_ref().map_or(0, |l| l.bytes_written());
        if state.dirty || summary.cache_notice.is_some() {
            self.counters.set_phase(IndexPhase::Saving);
            self.save(&to_save, &mut summary);
        }
        result?;
        Ok(finish(Arc::new(present), summary))
    }

    fn load_cache(&self, dim: usize, summary: &mut IndexSummary) -> Album {
        let Some((cache, fp)) = self.cache else {
            return Album::new(dim);
        };
        match cache.load(self.root, fp) {
            CacheLoad::Loaded(album) if album.dim() == dim => album,
            CacheLoad::Loaded(_) | CacheLoad::Missing => Album::new(dim),
            CacheLoad::Damaged { path, reason } => {
                summary.cache_notice = Some(format!(
                    "the cache file {} was damaged ({reason}); the gallery was indexed again",
                    path.display()
                ));
                Album::new(dim)
            }
        }
    }

    /// Runs the prepare stage on the rayon pool and the embedding stage on this thread,
    /// joined by a bounded channel.
    fn pipeline(
        &self,
        state: &mut RunState,
        work: &[WorkItem],
        cached: &Album,
        vanished: &VanishedPhotos,
    ) -> Result<(), IndexError> {
        let (tx, rx) = crossbeam_channel::bounded(self.options.in_flight.max(1));
        // Set when the consumer stops early, so workers stop taking new photos.
        let stop = AtomicBool::new(false);
        // The prepare stage gets a pool of its own: on the global pool its long tasks
        // (decode + detect, seconds for a large photo) would queue ahead of short work of
        // other threads — the window's ranking of each snapshot waited behind a
        // 1 000-photo album for minutes.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(rayon::current_num_threads())
            .thread_name(|i| format!("facesorter-prepare-{i}"))
            .build()
            .map_err(|e| log::warn!("indexing on the shared thread pool: {e}"))
            .ok();
        std::thread::scope(|s| {
            let stop = &stop;
            let pool = pool.as_ref();
            s.spawn(move || {
                let prepare_all = move || {
                    work.par_iter()
                        .enumerate()
                        .for_each_with(tx, |tx, (i, item)| {
                            if stop.load(Ordering::Relaxed) || self.cancel.load(Ordering::Relaxed) {
                                return;
                            }
                            self.counters.reading(&item.photo.path);
                            // A panic in decoding, detection or alignment is this photo's
                            // failure; the others go on.
                            let prepared = catch_unwind(AssertUnwindSafe(|| {
                                prepare(self.engine, item.clone(), cached, vanished)
                            }))
                            .unwrap_or_else(|payload| Prepared::Failed {
                                item: item.clone(),
                                reason: format!(
                                    "analysis crashed ({}); it will be tried again next time",
                                    panic_message(&*payload)
                                ),
                            });
                            // A closed channel means the run stopped; the photo is dropped.
                            let _ = tx.send((i, prepared));
                        })
                };
                match pool {
                    Some(pool) => pool.install(prepare_all),
                    None => prepare_all(),
                }
            });
            // However the consumer ends (error or panic), the workers stop taking photos.
            let _stop_workers = SetOnDrop(stop);
            let result = self.consume(state, &rx, cached);
            drop(rx);
            result
        })
    }

    fn consume(
        &self,
        state: &mut RunState,
        rx: &crossbeam_channel::Receiver<(usize, Prepared)>,
        cached: &Album,
    ) -> Result<(), IndexError> {
        let batch = self.engine.batch().max(1);
        let wait_at_most = self.options.embed_after;
        loop {
            // A prepared photo waits at most `embed_after` for its batch to fill, so the
            // progress readout (photos count once embedded) keeps moving on slow machines.
            let received = match state.pending_since {
                None => rx.recv().ok(),
                Some(since) => {
                    match rx.recv_timeout(wait_at_most.saturating_sub(since.elapsed())) {
                        Ok(message) => Some(message),
                        Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                            self.flush(state)?;
                            self.checkpoint(state);
                            continue;
                        }
                        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => None,
                    }
                }
            };
            let Some((i, prepared)) = received else {
                break;
            };
            match prepared {
                Prepared::Reused {
                    record,
                    from,
                    reuse,
                } => {
                    state.album.push_photo_from(cached, from, record);
                    let faces = cached.photos()[from].face_count as usize;
                    match reuse {
                        Reuse::Touched => state.summary.unchanged += 1,
                        Reuse::Renamed => state.summary.renamed += 1,
                    }
                    state.settle(i);
                    self.counters.photo_processed(faces);
                }
                Prepared::Stopped(error) => return Err(IndexError::Engine(error)),
                Prepared::Failed { item, reason } => {
                    state
                        .summary
                        .failures
                        .push(IndexFailure::new(&item.photo.path, reason));
                    state.settle(i);
                    self.counters.photo_processed(0);
                }
                Prepared::Analysed {
                    record,
                    faces,
                    updated,
                } => {
                    state.pending_crops += faces.len();
                    state.pending_since.get_or_insert_with(Instant::now);
                    state.pending.push(PendingPhoto {
                        item: i,
                        record,
                        faces,
                        updated,
                    });
                    let waited_enough = state
                        .pending_since
                        .is_some_and(|since| since.elapsed() >= wait_at_most);
                    // While the album has no face yet, a face is embedded as soon as it
                    // is found: the window's first result does not wait for a batch.
                    let first_faces = self.options.snapshots && state.album.faces().is_empty();
                    if state.pending_crops >= batch || waited_enough || first_faces {
                        self.flush(state)?;
                    }
                }
            }
            self.checkpoint(state);
            if self.cancel.load(Ordering::Relaxed) {
                break;
            }
        }
        // Photos already prepared are finished work: embed them even after a cancel.
        self.flush(state)
    }

    /// Embeds every pending crop and moves the pending photos into the album.
    fn flush(&self, state: &mut RunState) -> Result<(), IndexError> {
        if state.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut state.pending);
        state.pending_crops = 0;
        state.pending_since = None;
        let mut faces_of = Vec::with_capacity(pending.len());
        let mut crops: Vec<RgbImage> = Vec::new();
        let mut photos = Vec::with_capacity(pending.len());
        for p in pending {
            let (records, photo_crops): (Vec<FaceRecord>, Vec<RgbImage>) =
                p.faces.into_iter().unzip();
            crops.extend(photo_crops);
            faces_of.push(records);
            photos.push((p.item, p.record, p.updated));
        }
        // A panicking recognizer would panic on every batch: the run ends with an error
        // (the photos of this batch stay unsettled, so their cached faces are kept).
        let embedded = catch_unwind(AssertUnwindSafe(|| self.engine.embed_crops(&crops))).map_err(
            |payload| IndexError::Panicked {
                stage: "face embedding",
                message: panic_message(&*payload),
            },
        )?;
        let mut embeddings = embedded?.into_iter();
        drop(crops);
        for ((item, record, updated), records) in photos.into_iter().zip(faces_of) {
            let mut faces = Vec::with_capacity(records.len());
            for mut face in records {
                let embedding = embeddings.next().ok_or_else(|| {
                    IndexError::Engine(EngineError::Embed(crate::embed::EmbedError::WrongOutput {
                        model: self.engine.recognizer_model().name(),
                        shape: vec![],
                    }))
                })?;
                face.norm = embedding.norm;
                faces.push((face, embedding.unit));
            }
            let count = faces.len();
            state.album.push_photo(record, faces);
            if updated {
                state.summary.updated += 1;
            } else {
                state.summary.added += 1;
            }
            state.settle(item);
            self.counters.photo_processed(count);
        }
        Ok(())
    }

    /// Appends the photos settled since the last checkpoint to the cache's log, and
    /// publishes a snapshot when someone listens, each when enough time has passed.
    fn checkpoint(&self, state: &mut RunState) {
        let now = Instant::now();
        if self.options.snapshots
            && state.checkpoints.unsnapshotted
            // The first faces are shown at once; later snapshots are paced.
            && (!state.checkpoints.faces_shown
                || now.duration_since(state.checkpoints.last_snapshot)
                    >= self.options.snapshot_every)
        {
            (self.on_event)(IndexEvent::Snapshot(Arc::new(state.album.clone())));
            state.checkpoints.last_snapshot = now;
            state.checkpoints.unsnapshotted = false;
            state.checkpoints.faces_shown = !state.album.faces().is_empty();
        }
        let Some(log) = state.log.as_mut() else {
            return;
        };
        let interval = self
            .options
            .checkpoint_every
            .max(state.checkpoints.last_save_cost * 2);
        let photos = state.album.photos().len();
        if state.logged == photos || now.duration_since(state.checkpoints.last_save) < interval {
            return;
        }
        let save_started = Instant::now();
        if let Err(e) = log.append(&state.album, state.logged..photos) {
            log::warn!("checkpoint not saved: {}", chain(&e));
        }
        state.logged = photos;
        state.checkpoints.last_save_cost = save_started.elapsed();
        state.checkpoints.last_save = Instant::now();
    }

    fn save(&self, album: &Album, summary: &mut IndexSummary) {
        let Some((cache, fp)) = self.cache else {
            return;
        };
        let result = cache.save(self.root, fp, album);
        summary.cache_bytes_written +=
            fs::metadata(cache.path_for(self.root, fp)).map_or(0, |m| m.len());
        if let Err(e) = result {
            let text = format!(
                "the cache could not be saved ({}); the next run will index again",
                chain(&e)
            );
            summary.cache_notice = Some(match summary.cache_notice.take() {
                Some(earlier) => format!("{earlier}; {text}"),
                None => text,
            });
        }
    }
}

fn finish(album: Arc<Album>, mut summary: IndexSummary) -> IndexOutcome {
    summary.photos = album.photos().len();
    summary.faces = album.faces().len();
    summary.failed = summary.failures.len();
    IndexOutcome { album, summary }
}

/// The album plus the cached photos of work not settled yet (they are still on disk),
/// and with `vanished` also the cached photos whose path is gone and that no rename
/// claimed: what a checkpoint must keep so a later run can still reuse them.
fn with_unsettled(
    state: &RunState,
    work: &[WorkItem],
    cached: &Album,
    vanished: Option<&VanishedPhotos>,
) -> Album {
    let mut album = state.album.clone();
    for (item, _) in work.iter().zip(&state.settled).filter(|(_, &s)| !s) {
        if let Some(j) = item.previous {
            album.push_photo_from(cached, j, cached.photos()[j].clone());
        }
    }
    for j in vanished.map(VanishedPhotos::unclaimed).unwrap_or_default() {
        album.push_photo_from(cached, j, cached.photos()[j].clone());
    }
    album
}

struct PendingPhoto {
    item: usize,
    record: PhotoRecord,
    faces: Vec<(FaceRecord, RgbImage)>,
    updated: bool,
}

struct RunState {
    album: Album,
    /// Photos `..logged` of the album are in the cache file or its log.
    logged: usize,
    log: Option<CheckpointLog>,
    /// Per work item: its outcome is in the album (or it failed).
    settled: Vec<bool>,
    pending: Vec<PendingPhoto>,
    pending_crops: usize,
    /// When the oldest pending photo arrived.
    pending_since: Option<Instant>,
    /// The album differs from the cached file.
    dirty: bool,
    summary: IndexSummary,
    checkpoints: Checkpoints,
}

impl RunState {
    fn settle(&mut self, item: usize) {
        self.settled[item] = true;
        self.dirty = true;
        self.checkpoints.unsnapshotted = true;
    }
}

struct Checkpoints {
    last_save: Instant,
    last_save_cost: Duration,
    last_snapshot: Instant,
    unsnapshotted: bool,
    /// A snapshot with faces was published: the window has something to show.
    faces_shown: bool,
}

impl Checkpoints {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            last_save: now,
            last_save_cost: Duration::ZERO,
            last_snapshot: now,
            unsnapshotted: false,
            faces_shown: false,
        }
    }
}

/// Sets the flag when dropped, also while unwinding.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
