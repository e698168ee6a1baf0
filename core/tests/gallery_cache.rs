//! `gallery::GalleryCache`: round trips, damage of every kind reported (never a panic or a
//! wrong album), atomic saves, and the time to save and load a large album.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use facesorter_core::gallery::{
    Album, CacheError, CacheLoad, FaceRecord, Fingerprint, GalleryCache, PhotoRecord,
    FORMAT_VERSION,
};
use facesorter_core::geometry::{FaceBox, Landmarks};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// A tiny deterministic generator: reproducible albums without a `rand` dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// In [-1, 1).
    fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

fn fingerprint(dim: u32) -> Fingerprint {
    Fingerprint {
        recognizer_sha256: "a".repeat(64),
        detector_sha256: "b".repeat(64),
        detector_params: "score=3f000000 nms=3e99999a".into(),
        alignment: "umeyama-112".into(),
        recognizer_input: "112x112 Bgr".into(),
        detection: "v2".into(),
        embedding_dim: dim,
    }
}

/// `faces_per_photo[i]` faces in photo `i`, with unit embeddings of `dim` floats.
fn album(dim: usize, faces_per_photo: &[usize], seed: u64) -> Album {
    let mut rng = Rng(seed | 1);
    let mut album = Album::new(dim);
    for (i, &n) in faces_per_photo.iter().enumerate() {
        let photo = PhotoRecord {
            rel_path: format!("2024/été/IMG_{i:05}.jpg").into(),
            size: rng.next_u64() >> 20,
            mtime_ns: (rng.next_u64() >> 2) as i64 - (1 << 60),
            content_sha256: std::array::from_fn(|_| rng.next_u64() as u8),
            width: 4000,
            height: 3000,
            first_face: 0,
            face_count: 0,
        };
        let faces = (0..n)
            .map(|_| {
                let x = rng.f32().abs() * 3000.0;
                let y = rng.f32().abs() * 2000.0;
                let face = FaceRecord {
                    photo: 0,
                    face_box: FaceBox {
                        x1: x,
                        y1: y,
                        x2: x + 120.5,
                        y2: y + 150.25,
                    },
                    landmarks: Landmarks::from_interleaved(&std::array::from_fn(|_| {
                        rng.f32() * 1000.0
                    })),
                    detector_score: rng.f32().abs(),
                    norm: rng.f32().abs() * 30.0,
                };
                let mut e: Vec<f32> = (0..dim).map(|_| rng.f32()).collect();
                let norm = e.iter().map(|v| v * v).sum::<f32>().sqrt();
                e.iter_mut().for_each(|v| *v /= norm);
                (face, e)
            })
            .collect();
        album.push_photo(photo, faces);
    }
    assert!(album.is_consistent());
    album
}

/// A cache directory and a gallery root, both temporary.
struct Setup {
    _cache_dir: TempDir,
    root_dir: TempDir,
    cache: GalleryCache,
}

impl Setup {
    fn new() -> Self {
        let cache_dir = tempfile::tempdir().expect("cache dir");
        let root_dir = tempfile::tempdir().expect("root dir");
        let cache = GalleryCache::new(cache_dir.path().join("galleries"));
        Self {
            _cache_dir: cache_dir,
            root_dir,
            cache,
        }
    }
    fn root(&self) -> &Path {
        self.root_dir.path()
    }
}

const DIM: u32 = 16;

/// Saves a small album with some face-less photos; returns it and the file's bytes.
fn saved_small(s: &Setup) -> (Album, Vec<u8>) {
    let album = album(DIM as usize, &[2, 0, 3, 0, 1], 42);
    s.cache
        .save(s.root(), &fingerprint(DIM), &album)
        .expect("save");
    let bytes = fs::read(s.cache.path_for(s.root(), &fingerprint(DIM))).expect("read back");
    (album, bytes)
}

fn load_bytes(s: &Setup, bytes: &[u8]) -> CacheLoad {
    fs::write(s.cache.path_for(s.root(), &fingerprint(DIM)), bytes).expect("write");
    s.cache.load(s.root(), &fingerprint(DIM))
}

fn assert_damaged(load: CacheLoad, what: &str) -> String {
    match load {
        CacheLoad::Damaged { reason, .. } => reason,
        CacheLoad::Loaded(_) => panic!("{what}: loaded a damaged file"),
        CacheLoad::Missing => panic!("{what}: reported Missing, expected Damaged"),
    }
}

fn must_load(load: CacheLoad) -> Album {
    match load {
        CacheLoad::Loaded(a) => a,
        other => panic!("expected Loaded, got {other:?}"),
    }
}

/// Byte ranges of the file's parts, from its own header and the album's shape.
struct Layout {
    header: std::ops::Range<usize>,
    photos: std::ops::Range<usize>,
    faces: std::ops::Range<usize>,
    embeddings: std::ops::Range<usize>,
}

fn layout(bytes: &[u8], album: &Album) -> Layout {
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
    let header = 16..16 + header_len;
    let photos_len: usize = album.photos().iter().map(|p| 68 + p.rel_path.len()).sum();
    let photos = header.end + 32..header.end + 32 + photos_len;
    let faces = photos.end + 32..photos.end + 32 + 68 * album.faces().len();
    let embeddings = faces.end + 32..faces.end + 32 + 4 * album.embeddings().len();
    assert_eq!(embeddings.end + 32, bytes.len(), "layout as documented");
    Layout {
        header,
        photos,
        faces,
        embeddings,
    }
}

/// The file with its header replaced by `edit(header)`, length and checksum fixed up, so
/// only the header's content is wrong.
fn with_header(bytes: &[u8], album: &Album, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let l = layout(bytes, album);
    let mut header: serde_json::Value =
        serde_json::from_slice(&bytes[l.header.clone()]).expect("header json");
    edit(&mut header);
    let new_header = serde_json::to_vec(&header).expect("json");
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&(new_header.len() as u32).to_le_bytes());
    out.extend_from_slice(&new_header);
    out.extend_from_slice(&Sha256::digest(&new_header));
    out.extend_from_slice(&bytes[l.header.end + 32..]);
    out
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn round_trip_is_identical() {
    let s = Setup::new();
    let fp = fingerprint(DIM);
    assert!(matches!(s.cache.load(s.root(), &fp), CacheLoad::Missing));
    let (album, _) = saved_small(&s);
    assert_eq!(must_load(s.cache.load(s.root(), &fp)), album);

    let name = file_names(s.cache.dir()).join(",");
    let expected = format!("-{}-v{FORMAT_VERSION}.fsc", fp.digest());
    assert!(
        name.starts_with("g-")
            && name.ends_with(&expected)
            && name.len() == 2 + 16 + expected.len(),
        "one file named g-<16 hex>-<digest>-v1.fsc, got {name}"
    );

    // Saving again (the indexer does so after every batch) replaces it.
    let bigger = self::album(DIM as usize, &[1, 0, 4, 2, 0, 0, 1], 7);
    s.cache.save(s.root(), &fp, &bigger).expect("save again");
    assert_eq!(must_load(s.cache.load(s.root(), &fp)), bigger);
    assert_eq!(
        file_names(s.cache.dir()).len(),
        1,
        "no temp file left behind"
    );
}

#[test]
fn empty_album_round_trips() {
    let s = Setup::new();
    let fp = fingerprint(DIM);
    let empty = Album::new(DIM as usize);
    s.cache.save(s.root(), &fp, &empty).expect("save");
    assert_eq!(must_load(s.cache.load(s.root(), &fp)), empty);
    let only_faceless = album(DIM as usize, &[0, 0, 0], 3);
    s.cache.save(s.root(), &fp, &only_faceless).expect("save");
    assert_eq!(must_load(s.cache.load(s.root(), &fp)), only_faceless);
}

#[test]
fn truncated_files_are_damaged() {
    let s = Setup::new();
    let (album, bytes) = saved_small(&s);
    let l = layout(&bytes, &album);
    let cuts = [
        0,
        3,
        8,
        12,
        16,
        l.header.start + 5,
        l.header.end,
        l.header.end + 31,
        l.photos.start + 70,
        l.photos.end + 10,
        l.faces.start + 68,
        l.faces.end,
        l.embeddings.start + 4 * 17 + 2,
        l.embeddings.end,
        bytes.len() - 1,
    ];
    for cut in cuts {
        assert_damaged(load_bytes(&s, &bytes[..cut]), &format!("cut at {cut}"));
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_damaged(load_bytes(&s, &longer), "one trailing byte");
}

#[test]
fn flipped_bytes_in_every_part_are_damaged() {
    let s = Setup::new();
    let (album, bytes) = saved_small(&s);
    let l = layout(&bytes, &album);
    let mid = |r: &std::ops::Range<usize>| (r.start + r.end) / 2;
    let spots = [
        ("magic", 2),
        ("version", 9),
        ("header length", 12),
        ("header start", l.header.start),
        ("header middle", mid(&l.header)),
        ("header checksum", l.header.end + 5),
        ("photos start", l.photos.start),
        ("photos path", l.photos.start + 6),
        ("photos middle", mid(&l.photos)),
        ("photos end", l.photos.end - 1),
        ("photos checksum", l.photos.end + 31),
        ("faces start", l.faces.start),
        ("faces middle", mid(&l.faces)),
        ("faces end", l.faces.end - 1),
        ("faces checksum", l.faces.end),
        ("embeddings start", l.embeddings.start),
        ("embeddings middle", mid(&l.embeddings)),
        ("embeddings end", l.embeddings.end - 1),
        ("embeddings checksum", bytes.len() - 1),
    ];
    for (what, at) in spots {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[at] ^= mask;
            let reason = assert_damaged(load_bytes(&s, &bad), what);
            assert!(!reason.is_empty());
        }
    }
}

/// Wrong magic or version at this file's path is damage, not absence: the name promises
/// a v1 FaceSorter cache and the content is something else, so the caller should know the
/// file is bad (it will be overwritten by the next save).
#[test]
fn wrong_magic_or_version_is_damaged() {
    let s = Setup::new();
    let (_, bytes) = saved_small(&s);
    let mut bad = bytes.clone();
    bad[..8].copy_from_slice(b"PNG\r\n\x1a\n\0");
    let reason = assert_damaged(load_bytes(&s, &bad), "magic");
    assert!(reason.contains("magic"), "{reason}");

    let mut bad = bytes.clone();
    bad[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let reason = assert_damaged(load_bytes(&s, &bad), "version");
    assert!(reason.contains("version"), "{reason}");

    assert_damaged(load_bytes(&s, b"hello, world"), "text file");
}

/// Files of another format version have another name: they are never read, so loading
/// gives Missing, and `remove_stale` deletes them.
#[test]
fn other_versions_are_missing_and_removed_as_stale() {
    let s = Setup::new();
    let fp = fingerprint(DIM);
    saved_small(&s);
    let path = s.cache.path_for(s.root(), &fp);
    let old_name = path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .replace(&format!("-v{FORMAT_VERSION}.fsc"), "-v0.fsc");
    fs::rename(&path, s.cache.dir().join(&old_name)).expect("rename");
    assert!(matches!(s.cache.load(s.root(), &fp), CacheLoad::Missing));
    assert_eq!(s.cache.remove_stale(s.root(), &fp).expect("clean"), 1);
    assert!(file_names(s.cache.dir()).is_empty());
}

#[test]
fn another_fingerprint_is_not_loaded() {
    let s = Setup::new();
    let (_, bytes) = saved_small(&s);
    let mut other = fingerprint(DIM);
    other.detector_params = "score=3f19999a nms=3e99999a".into();
    assert_ne!(other.digest(), fingerprint(DIM).digest());
    assert!(matches!(s.cache.load(s.root(), &other), CacheLoad::Missing));

    // Even a file at the other fingerprint's path (a copy, or a digest collision) is
    // checked against the full fingerprint in its header.
    fs::write(s.cache.path_for(s.root(), &other), &bytes).expect("copy");
    assert!(matches!(s.cache.load(s.root(), &other), CacheLoad::Missing));

    // Same for another gallery's file.
    let root2 = tempfile::tempdir().expect("root2");
    fs::write(s.cache.path_for(root2.path(), &fingerprint(DIM)), &bytes).expect("copy");
    assert!(matches!(
        s.cache.load(root2.path(), &fingerprint(DIM)),
        CacheLoad::Missing
    ));
}

#[test]
fn huge_lengths_fail_fast_without_allocating() {
    let s = Setup::new();
    let (album, bytes) = saved_small(&s);

    let mut bad = bytes.clone();
    bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    let start = Instant::now();
    assert_damaged(load_bytes(&s, &bad), "header length u32::MAX");

    // Checksummed headers with absurd counts: only the size checks stand in the way.
    let edits: [(&str, serde_json::Value); 6] = [
        ("faces", 1_000_000_000_000_000u64.into()),
        ("faces", u64::MAX.into()),
        ("photos", 1_000_000_000_000u64.into()),
        ("photos", u64::MAX.into()),
        ("photos_bytes", u64::MAX.into()),
        ("dim", u32::MAX.into()),
    ];
    for (field, value) in edits {
        let bad = with_header(&bytes, &album, |h| h[field] = value.clone());
        let reason = assert_damaged(load_bytes(&s, &bad), field);
        println!("{field} = {value}: {reason}");
    }
    // Tens of millions of photos in the right number of bytes would allocate a lot;
    // the count is checked against the minimum size per photo first.
    let bad = with_header(&bytes, &album, |h| h["photos"] = 50_000_000u64.into());
    assert_damaged(load_bytes(&s, &bad), "photo count");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );

    // An unchanged header rebuilt the same way still loads: the edits above are the cause.
    let same = with_header(&bytes, &album, |_| {});
    assert_eq!(must_load(load_bytes(&s, &same)), album);
}

#[test]
fn inconsistent_content_with_valid_checksums_is_damaged() {
    let s = Setup::new();
    let (album, bytes) = saved_small(&s);
    let l = layout(&bytes, &album);
    // Point the first face at photo 3 and fix the faces checksum: only the album's
    // invariants can notice.
    let mut bad = bytes.clone();
    bad[l.faces.start..l.faces.start + 4].copy_from_slice(&3u32.to_le_bytes());
    let sum = Sha256::digest(&bad[l.faces.clone()]);
    bad[l.faces.end..l.faces.end + 32].copy_from_slice(&sum);
    let reason = assert_damaged(load_bytes(&s, &bad), "face → wrong photo");
    assert!(reason.contains("invariants"), "{reason}");
}

#[test]
fn inconsistent_albums_are_refused() {
    let s = Setup::new();
    let fp = fingerprint(DIM);
    // An album can no longer be made inconsistent; its parts are checked instead.
    let good = album(DIM as usize, &[2, 1], 5);
    let mut embeddings = good.embeddings().to_vec();
    embeddings.pop();
    assert!(Album::from_parts(
        good.dim(),
        good.photos().to_vec(),
        good.faces().to_vec(),
        embeddings
    )
    .is_err());
    let mut faces = good.faces().to_vec();
    faces[0].photo = 1;
    assert!(Album::from_parts(
        good.dim(),
        good.photos().to_vec(),
        faces,
        good.embeddings().to_vec()
    )
    .is_err());
    let wrong_dim = album(DIM as usize + 1, &[1], 5);
    assert!(matches!(
        s.cache.save(s.root(), &fp, &wrong_dim),
        Err(CacheError::InvalidAlbum { .. })
    ));
    assert!(!s.cache.dir().exists(), "nothing written");
}

#[test]
fn roots_get_their_own_files() {
    let s = Setup::new();
    let fp = fingerprint(DIM);
    let root2 = tempfile::tempdir().expect("root2");
    assert_ne!(
        s.cache.path_for(s.root(), &fp),
        s.cache.path_for(root2.path(), &fp)
    );

    // Spellings of the same folder share one file.
    let sub = s.root().join("sub");
    fs::create_dir(&sub).expect("mkdir");
    let dotted = sub.join("..").join(".");
    assert_eq!(
        s.cache.path_for(s.root(), &fp),
        s.cache.path_for(&dotted, &fp)
    );

    let a = album(DIM as usize, &[1, 2], 11);
    let b = album(DIM as usize, &[3], 12);
    s.cache.save(s.root(), &fp, &a).expect("save a");
    s.cache.save(root2.path(), &fp, &b).expect("save b");
    assert_eq!(must_load(s.cache.load(&dotted, &fp)), a);
    assert_eq!(must_load(s.cache.load(root2.path(), &fp)), b);
}

#[test]
fn remove_stale_keeps_the_current_file_and_other_roots() {
    let s = Setup::new();
    let fp = fingerprint(DIM);
    let mut old_fp = fingerprint(DIM);
    old_fp.recognizer_sha256 = "c".repeat(64);
    let root2 = tempfile::tempdir().expect("root2");
    let a = album(DIM as usize, &[1, 0, 2], 21);
    s.cache.save(s.root(), &old_fp, &a).expect("save old");
    s.cache.save(s.root(), &fp, &a).expect("save current");
    s.cache
        .save(root2.path(), &old_fp, &a)
        .expect("save other root");

    assert_eq!(s.cache.remove_stale(s.root(), &fp).expect("clean"), 1);
    assert!(!s.cache.path_for(s.root(), &old_fp).exists());
    assert_eq!(must_load(s.cache.load(s.root(), &fp)), a);
    assert_eq!(must_load(s.cache.load(root2.path(), &old_fp)), a);
    assert_eq!(s.cache.remove_stale(s.root(), &fp).expect("again"), 0);

    let nowhere = GalleryCache::new(s.root().join("no-such-dir"));
    assert_eq!(nowhere.remove_stale(s.root(), &fp).expect("absent dir"), 0);
}

/// A killed save leaves a temp file; the next load ignores it.
#[test]
fn stray_temp_files_are_ignored() {
    let s = Setup::new();
    let fp = fingerprint(DIM);
    let (album, bytes) = saved_small(&s);
    let path = s.cache.path_for(s.root(), &fp);
    let name = path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let temp = s.cache.dir().join(format!(".{name}.99999-0.tmp"));
    fs::write(&temp, &bytes[..bytes.len() / 2]).expect("partial temp");
    assert_eq!(must_load(s.cache.load(s.root(), &fp)), album);
    // Too fresh to be sure it is dead: kept (it might be another process's save).
    assert_eq!(s.cache.remove_stale(s.root(), &fp).expect("clean"), 0);
    assert!(temp.exists());
}

/// A reader racing repeated saves only ever sees a whole old or whole new album.
#[test]
fn readers_never_see_a_partial_file() {
    let s = Arc::new(Setup::new());
    let fp = fingerprint(64);
    let a = album(64, &vec![3; 300], 31);
    let b = album(64, &vec![2; 500], 32);
    s.cache.save(s.root(), &fp, &a).expect("save a");

    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (s, fp, done) = (Arc::clone(&s), fp.clone(), Arc::clone(&done));
        let (a, b) = (a.clone(), b.clone());
        std::thread::spawn(move || {
            let mut loads = 0;
            while !done.load(Ordering::Relaxed) {
                let album = must_load(s.cache.load(s.root(), &fp));
                assert!(album == a || album == b, "a mixed album");
                loads += 1;
            }
            loads
        })
    };
    for i in 0..40 {
        let next = if i % 2 == 0 { &b } else { &a };
        s.cache.save(s.root(), &fp, next).expect("save");
    }
    done.store(true, Ordering::Relaxed);
    let loads = reader.join().expect("reader thread");
    println!("{loads} loads raced 40 saves");
    assert_eq!(file_names(s.cache.dir()).len(), 1);
}

#[test]
fn errors_name_the_path() {
    let s = Setup::new();
    // The cache "directory" is a file: nothing can be created under it.
    let file = s.root().join("not-a-dir");
    fs::write(&file, b"x").expect("write");
    let cache = GalleryCache::new(file.join("galleries"));
    let err = cache
        .save(s.root(), &fingerprint(DIM), &album(DIM as usize, &[1], 1))
        .expect_err("cannot create");
    assert!(matches!(err, CacheError::Io { .. }));
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

#[test]
fn large_album_save_and_load_time() {
    let s = Setup::new();
    let fp = fingerprint(512);
    // 10k photos, 30k faces: a mix of 0..6 faces per photo.
    let per_photo: Vec<usize> = (0..10_000).map(|i| [0, 1, 2, 3, 4, 5, 6][i % 7]).collect();
    let big = album(512, &per_photo, 99);
    assert_eq!(big.photos().len(), 10_000);
    assert!(
        (29_000..=31_000).contains(&big.faces().len()),
        "{}",
        big.faces().len()
    );

    let start = Instant::now();
    s.cache.save(s.root(), &fp, &big).expect("save");
    let save = start.elapsed();
    let start = Instant::now();
    let loaded = must_load(s.cache.load(s.root(), &fp));
    let load = start.elapsed();
    let size = fs::metadata(s.cache.path_for(s.root(), &fp))
        .expect("size")
        .len();
    println!(
        "{} photos, {} faces × 512: file {:.1} MB, save {save:?}, load {load:?}",
        big.photos().len(),
        big.faces().len(),
        size as f64 / 1e6
    );
    assert!(loaded == big);
}

/// The log of an album appended in batches of `batch` photos, as an indexing run does.
/// Returns the bytes written and the log's length after each batch.
fn log_in_batches(s: &Setup, album: &Album, batch: usize) -> (u64, Vec<u64>) {
    let fp = fingerprint(DIM);
    let mut log = s.cache.checkpoint_log(s.root(), &fp);
    let n = album.photos().len();
    let mut lengths = Vec::new();
    for start in (0..n).step_by(batch) {
        log.append(album, start..(start + batch).min(n))
            .expect("append");
        lengths.push(
            fs::metadata(s.cache.log_path_for(s.root(), &fp))
                .expect("log")
                .len(),
        );
    }
    (log.bytes_written(), lengths)
}

#[test]
fn a_checkpoint_log_is_replayed_and_a_torn_tail_loses_only_its_batch() {
    let s = Setup::new();
    let fp = fingerprint(DIM);
    let full = album(DIM as usize, &[2, 0, 3, 1, 1, 2, 0, 1, 4], 7);
    let (_, lengths) = log_in_batches(&s, &full, 3);
    // The first batch also wrote an (empty) cache file for the log to extend.
    assert!(s.cache.path_for(s.root(), &fp).is_file());
    let log_path = s.cache.log_path_for(s.root(), &fp);
    assert_eq!(must_load(s.cache.load(s.root(), &fp)), full);

    // The last record cut anywhere (a kill while appending): the first two batches load.
    let bytes = fs::read(&log_path).expect("log");
    assert_eq!(lengths.last().copied(), Some(bytes.len() as u64));
    let last_batch_len = (lengths[2] - lengths[1]) as usize;
    let first_two = album(DIM as usize, &[2, 0, 3, 1, 1, 2], 7);
    for cut in [1, 8, last_batch_len / 2, last_batch_len - 1] {
        fs::write(&log_path, &bytes[..bytes.len() - cut]).expect("tear");
        assert_eq!(
            must_load(s.cache.load(s.root(), &fp)),
            first_two,
            "cut {cut}"
        );
    }
    // A damaged byte inside the last record: the same.
    let mut flipped = bytes.clone();
    let at = bytes.len() - last_batch_len / 2;
    flipped[at] ^= 0x10;
    fs::write(&log_path, &flipped).expect("flip");
    assert_eq!(must_load(s.cache.load(s.root(), &fp)), first_two);

    // A run resuming after the tear appends after the last complete batch.
    let mut log = s.cache.checkpoint_log(s.root(), &fp);
    log.append(&full, 6..9).expect("append");
    assert_eq!(must_load(s.cache.load(s.root(), &fp)), full);

    // Compaction: one file, the log gone, the same album.
    s.cache.save(s.root(), &fp, &full).expect("save");
    assert!(!log_path.exists());
    assert_eq!(must_load(s.cache.load(s.root(), &fp)), full);
}

#[test]
fn a_log_left_over_from_an_older_cache_file_is_ignored() {
    let s = Setup::new();
    let fp = fingerprint(DIM);
    let first = album(DIM as usize, &[1, 2, 1], 1);
    log_in_batches(&s, &first, 2);
    let log_path = s.cache.log_path_for(s.root(), &fp);
    let stale_log = fs::read(&log_path).expect("log");
    // A save (compaction) killed after its rename, before removing the log.
    let other = album(DIM as usize, &[3], 2);
    s.cache.save(s.root(), &fp, &other).expect("save");
    fs::write(&log_path, &stale_log).expect("put back");
    assert_eq!(must_load(s.cache.load(s.root(), &fp)), other);
}

#[test]
fn a_later_batch_replaces_the_same_photo() {
    let s = Setup::new();
    let fp = fingerprint(DIM);
    let base = album(DIM as usize, &[1, 2], 3);
    s.cache.save(s.root(), &fp, &base).expect("save");
    // Photo 1 analysed again (new faces), and a new photo.
    let changed = album(DIM as usize, &[1, 1, 2], 4);
    let mut rewritten = Album::new(DIM as usize);
    for i in 1..3 {
        let mut record = changed.photos()[i].clone();
        if i == 1 {
            record.rel_path = base.photos()[1].rel_path.clone();
        }
        rewritten.push_photo_from(&changed, i, record);
    }
    let mut log = s.cache.checkpoint_log(s.root(), &fp);
    log.append(&rewritten, 0..2).expect("append");
    let loaded = must_load(s.cache.load(s.root(), &fp));
    assert_eq!(loaded.photos().len(), 3);
    let mut expected = Album::new(DIM as usize);
    expected.push_photo_from(&base, 0, base.photos()[0].clone());
    expected.push_photo_from(&rewritten, 0, rewritten.photos()[0].clone());
    expected.push_photo_from(&rewritten, 1, rewritten.photos()[1].clone());
    assert_eq!(loaded, expected);
}

#[test]
fn a_run_writes_at_most_three_times_the_final_cache() {
    let s = Setup::new();
    let fp = fingerprint(DIM);
    // 600 photos of 0–3 faces, checkpointed every 4 photos as a first run does.
    let faces: Vec<usize> = (0..600).map(|i| i % 4).collect();
    let full = album(DIM as usize, &faces, 9);
    let (logged, _) = log_in_batches(&s, &full, 4);
    s.cache.save(s.root(), &fp, &full).expect("save");
    let final_size = fs::metadata(s.cache.path_for(s.root(), &fp))
        .expect("cache file")
        .len();
    let total = logged + final_size;
    assert!(
        total <= 3 * final_size,
        "{total} bytes written for a {final_size}-byte cache"
    );
}
