//! Face crops and photos (downscaled only beyond `max_side`) for the grid and the photo
//! view: decoded by worker threads (never the UI thread), uploaded as textures, kept in an
//! LRU cache bounded in bytes. The newest request is served first, so scrolling fast loads what is on screen.
//! A decode that panics is reported as a failed thumbnail, never left loading.

use std::collections::{HashMap, HashSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use crossbeam_channel::{Receiver, Sender};
use facesorter_core::geometry::FaceBox;
use facesorter_core::photo::{load_photo, PhotoLimits};
use image::RgbImage;
use lru::LruCache;

/// Requests beyond this many are dropped, oldest first (they scrolled out of view).
const QUEUE_MAX: usize = 256;

/// What to show: a whole photo, or the area around one face, at most `max_side` pixels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThumbKey {
    pub path: PathBuf,
    /// Face box in displayed-photo pixels, rounded.
    pub face: Option<[i32; 4]>,
    pub max_side: u32,
}

impl ThumbKey {
    pub fn face(path: PathBuf, b: &FaceBox, max_side: u32) -> Self {
        Self {
            path,
            face: Some([b.x1 as i32, b.y1 as i32, b.x2 as i32, b.y2 as i32]),
            max_side,
        }
    }

    pub fn photo(path: PathBuf, max_side: u32) -> Self {
        Self {
            path,
            face: None,
            max_side,
        }
    }
}

pub enum Thumb {
    Ready(egui::TextureHandle),
    Loading,
    Failed(String),
}

struct Cached {
    texture: egui::TextureHandle,
    bytes: usize,
}

struct Queue {
    items: Mutex<VecDeque<ThumbKey>>,
    ready: Condvar,
    stop: AtomicBool,
}

type Decoded = (ThumbKey, Result<egui::ColorImage, String>);

pub struct Thumbnails {
    queue: Arc<Queue>,
    done: Receiver<Decoded>,
    /// Most recently used first; bounded by `budget_bytes`, not by count.
    cache: LruCache<ThumbKey, Cached>,
    pending: HashSet<ThumbKey>,
    failed: HashMap<ThumbKey, String>,
    bytes: usize,
    budget_bytes: usize,
}

impl Thumbnails {
    pub fn new(ctx: &egui::Context, workers: usize, budget_bytes: usize) -> Self {
        let queue = Arc::new(Queue {
            items: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let (tx, done) = crossbeam_channel::unbounded();
        for i in 0..workers.max(1) {
            let (queue, tx, ctx) = (queue.clone(), tx.clone(), ctx.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("facesorter-thumbs-{i}"))
                .spawn(move || worker(&queue, &tx, &ctx));
            if let Err(e) = spawned {
                log::error!("cannot start a thumbnail thread: {e}");
            }
        }
        Self {
            queue,
            done,
            cache: LruCache::unbounded(),
            pending: HashSet::new(),
            failed: HashMap::new(),
            bytes: 0,
            budget_bytes,
        }
    }

    /// The texture if decoded; otherwise queues it (once) and says it is loading.
    pub fn get(&mut self, key: &ThumbKey) -> Thumb {
        if let Some(c) = self.cache.get(key) {
            return Thumb::Ready(c.texture.clone());
        }
        if let Some(reason) = self.failed.get(key) {
            return Thumb::Failed(reason.clone());
        }
        if self.pending.insert(key.clone()) {
            if let Ok(mut items) = self.queue.items.lock() {
                items.push_back(key.clone());
                while items.len() > QUEUE_MAX {
                    if let Some(old) = items.pop_front() {
                        self.pending.remove(&old);
                    }
                }
            }
            self.queue.ready.notify_one();
        }
        Thumb::Loading
    }

    /// Uploads what the workers finished and evicts the least recently used beyond the
    /// budget. Call once per frame.
    pub fn poll(&mut self, ctx: &egui::Context) {
        while let Ok((key, result)) = self.done.try_recv() {
            self.pending.remove(&key);
            match result {
                Ok(image) => {
                    let bytes = image.pixels.len() * 4;
                    let name = format!(
                        "thumb:{}:{:?}:{}",
                        key.path.display(),
                        key.face,
                        key.max_side
                    );
                    // Whole photos are shown smaller than decoded (fitted, zoomed out):
                    // mipmaps keep them sharp instead of aliased.
                    let options = match key.face {
                        None => egui::TextureOptions::LINEAR
                            .with_mipmap_mode(Some(egui::TextureFilter::Linear)),
                        Some(_) => egui::TextureOptions::LINEAR,
                    };
                    let texture = ctx.load_texture(name, image, options);
                    self.bytes += bytes;
                    if let Some(old) = self.cache.put(key, Cached { texture, bytes }) {
                        self.bytes -= old.bytes;
                    }
                }
                Err(reason) => {
                    self.failed.insert(key, reason);
                }
            }
        }
        while self.bytes > self.budget_bytes && self.cache.len() > 1 {
            match self.cache.pop_lru() {
                Some((_, c)) => self.bytes -= c.bytes,
                None => break,
            }
        }
    }

    pub fn cached_bytes(&self) -> usize {
        self.bytes
    }

    /// Thumbnails requested and not yet decoded (or failed).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Thumbnails that could not be made, with why.
    pub fn failures(&self) -> impl Iterator<Item = &str> {
        self.failed.values().map(String::as_str)
    }

    /// Forgets everything (a new gallery: paths may now mean other files).
    pub fn clear(&mut self) {
        self.cache.clear();
        self.failed.clear();
        self.bytes = 0;
    }
}

impl Drop for Thumbnails {
    fn drop(&mut self) {
        self.queue.stop.store(true, Ordering::Relaxed);
        self.queue.ready.notify_all();
    }
}

fn worker(queue: &Queue, tx: &Sender<Decoded>, ctx: &egui::Context) {
    // Several faces of one photo come in a row: keep the last photo decoded.
    let mut last: Option<(PathBuf, Arc<RgbImage>)> = None;
    loop {
        let key = {
            let Ok(mut items) = queue.items.lock() else {
                return;
            };
            loop {
                if queue.stop.load(Ordering::Relaxed) {
                    return;
                }
                if let Some(k) = items.pop_back() {
                    break k;
                }
                items = match queue.ready.wait(items) {
                    Ok(g) => g,
                    Err(_) => return,
                };
            }
        };
        let made = std::panic::catch_unwind(AssertUnwindSafe(|| {
            facesorter_core::fault::inject("thumbnail");
            let photo = match &last {
                Some((p, img)) if *p == key.path => Ok(img.clone()),
                _ => load_photo(&key.path, &PhotoLimits::default())
                    .map(|p| Arc::new(p.image))
                    .map_err(|e| facesorter_core::error::chain(&e)),
            };
            photo.map(|img| {
                last = Some((key.path.clone(), img.clone()));
                to_color_image(&render(&img, &key))
            })
        }));
        // A panic (a decoder bug, an injected fault) fails this thumbnail only.
        let result = made.unwrap_or_else(|payload| {
            last = None;
            Err(format!(
                "could not be shown: {}",
                facesorter_core::fault::panic_message(payload.as_ref())
            ))
        });
        if tx.send((key, result)).is_err() {
            return;
        }
        ctx.request_repaint();
    }
}

/// The face with a margin (a square around it), or the whole photo, scaled down.
fn render(img: &RgbImage, key: &ThumbKey) -> RgbImage {
    let view = match key.face {
        Some([x1, y1, x2, y2]) => {
            let (cx, cy) = ((x1 + x2) as f32 / 2.0, (y1 + y2) as f32 / 2.0);
            // 1.6× the larger side: forehead, chin and a little hair, as people expect.
            let side = ((x2 - x1).max(y2 - y1) as f32 * 1.6).max(8.0);
            let (w, h) = (img.width() as f32, img.height() as f32);
            let x = (cx - side / 2.0).clamp(0.0, (w - 1.0).max(0.0));
            let y = (cy - side / 2.0).clamp(0.0, (h - 1.0).max(0.0));
            let cw = side.min(w - x).max(1.0);
            let ch = side.min(h - y).max(1.0);
            image::imageops::crop_imm(img, x as u32, y as u32, cw as u32, ch as u32).to_image()
        }
        None => img.clone(),
    };
    fit(&view, key.max_side)
}

/// Scaled down (never up) so the longer side is at most `max_side`.
pub fn fit(img: &RgbImage, max_side: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let long = w.max(h).max(1);
    if long <= max_side {
        return img.clone();
    }
    let scale = max_side as f32 / long as f32;
    let (nw, nh) = (
        ((w as f32 * scale).round() as u32).max(1),
        ((h as f32 * scale).round() as u32).max(1),
    );
    image::imageops::thumbnail(img, nw, nh)
}

pub fn to_color_image(img: &RgbImage) -> egui::ColorImage {
    egui::ColorImage::from_rgb([img.width() as usize, img.height() as usize], img.as_raw())
}
