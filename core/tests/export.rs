//! `export`: pair images, manifests and copies written into a folder without ever
//! replacing a file, into a new subfolder when the folder already holds something. Real
//! photos are read in place from ../shared; everything written goes to a temporary folder
//! (or to `$FACESORTER_KEEP_EXPORT`, to look at the output).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use facesorter_core::export::{
    export_matches, save_face_crop, write_matches, ExportError, ExportFolder, ExportMatch,
    ExportRequest, ExportSummary, PairSize, ProbeInfo, EXPORT_MARKER, GALLERY_MAX_WIDTH, GAP,
    MANIFEST_COLUMNS, MATCH_LINE_HEIGHT, PAIR_HEIGHT, PANEL_HEIGHT, PROBE_BOX_COLOR,
    PROBE_LINE_HEIGHT, PROBE_MAX_WIDTH, UNMATCHED_DIR,
};
use facesorter_core::geometry::FaceBox;
use facesorter_core::photo::{load_photo, PhotoLimits};
use image::{ImageFormat, ImageReader, Rgb, RgbImage};

fn fb(x1: f32, y1: f32, x2: f32, y2: f32) -> FaceBox {
    FaceBox { x1, y1, x2, y2 }
}

fn probe_path() -> PathBuf {
    common::shared("faces/adaface_demo/img1.jpeg")
}

fn probe() -> ProbeInfo {
    ProbeInfo {
        path: probe_path(),
        face_box: fb(90.0, 49.0, 154.0, 138.0),
        image: None,
    }
}

fn m(rel: &str, face_box: FaceBox, score: f32, norm: f32) -> ExportMatch {
    ExportMatch {
        photo_path: common::shared(rel),
        face_box,
        score,
        norm,
    }
}

/// Four deepface photos with their faces (boxes from the parity reference), best first.
fn four_matches() -> Vec<ExportMatch> {
    vec![
        m(
            "faces/deepface/img1.jpg",
            fb(425.0, 183.0, 1005.0, 996.0),
            0.734,
            21.3,
        ),
        m(
            "faces/deepface/img2.jpg",
            fb(587.0, 150.0, 957.0, 703.0),
            0.612,
            18.25,
        ),
        m(
            "faces/deepface/img17.jpg",
            fb(374.0, 90.0, 583.0, 369.0),
            0.45,
            15.0,
        ),
        m(
            "faces/deepface/couple.jpg",
            fb(350.0, 485.0, 964.0, 1300.0),
            0.36,
            12.5,
        ),
    ]
}

fn request(dir: &Path, matches: Vec<ExportMatch>, copy_originals: bool) -> ExportRequest {
    ExportRequest {
        dir: dir.to_path_buf(),
        probe: probe(),
        matches,
        threshold: 0.35,
        model: "adaface_ir_18".into(),
        copy_originals,
        pair_size: PairSize::Normal,
    }
}

fn run(req: &ExportRequest) -> ExportSummary {
    export_matches(req, &mut |_, _| {}, &AtomicBool::new(false)).expect("export")
}

/// Width and height of a file that must be a decodable JPEG.
fn jpeg_size(path: &Path) -> (u32, u32) {
    let reader = ImageReader::open(path)
        .expect("open")
        .with_guessed_format()
        .expect("sniff");
    assert_eq!(
        reader.format(),
        Some(ImageFormat::Jpeg),
        "{}",
        path.display()
    );
    let image = reader.decode().expect("decode");
    (image.width(), image.height())
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut reader = csv::Reader::from_path(path).expect("open csv");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.expect("csv record");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

/// The names in `dir`, sorted.
fn file_names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("file name")
}

/// Every file under `dir` with its bytes, except the export marker (an
/// empty file that tells the indexer to skip the folder, not an export).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n == EXPORT_MARKER) {
            continue;
        }
        if path.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.insert(path.clone(), std::fs::read(&path).expect("read"));
        }
    }
    out
}

fn originals_state(matches: &[ExportMatch]) -> Vec<(Vec<u8>, SystemTime)> {
    matches
        .iter()
        .map(|m| {
            let bytes = std::fs::read(&m.photo_path).expect("read original");
            let mtime = std::fs::metadata(&m.photo_path)
                .and_then(|md| md.modified())
                .expect("mtime");
            (bytes, mtime)
        })
        .collect()
}

fn output_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("FACESORTER_KEEP_EXPORT") {
        Some(dir) => (None, PathBuf::from(dir)),
        None => {
            let tmp = tempfile::tempdir().expect("tempdir");
            let path = tmp.path().join("export");
            (Some(tmp), path)
        }
    }
}

#[test]
fn writes_pairs_manifests_and_copies() {
    let (_tmp, dir) = output_dir();
    let matches = four_matches();
    let before = originals_state(&matches);
    let req = request(&dir, matches.clone(), true);
    let mut calls = Vec::new();
    let summary = export_matches(
        &req,
        &mut |done, total| calls.push((done, total)),
        &AtomicBool::new(false),
    )
    .expect("export");

    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert!(!summary.cancelled);
    assert_eq!((summary.pairs, summary.copies), (4, 4));
    // A folder that did not exist is written into as it is, and the summary says so.
    assert_eq!(summary.folder, dir);
    assert_eq!(summary.subfolder_of, None);
    assert_eq!(
        summary.files_text(),
        "4 pair images, 4 originals, matches.csv, matches.json"
    );
    assert_eq!(
        summary.text(),
        format!(
            "4 pair images, 4 originals, matches.csv, matches.json in {}",
            dir.display()
        )
    );
    assert_eq!(calls, [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]);
    for path in &summary.written {
        assert!(path.is_file(), "{}", path.display());
    }

    // Pair images: ranked names, valid JPEGs of the fixed height.
    let expected_names = [
        "001_score-0.734_img1.jpg",
        "002_score-0.612_img2.jpg",
        "003_score-0.450_img17.jpg",
        "004_score-0.360_couple.jpg",
    ];
    for name in expected_names {
        let (w, h) = jpeg_size(&dir.join(name));
        assert_eq!(h, PAIR_HEIGHT, "{name}");
        assert!(
            w > PAIR_HEIGHT && w <= PROBE_MAX_WIDTH + GAP + GALLERY_MAX_WIDTH,
            "{name}: {w}"
        );
    }

    // CSV: header and one row per match, with the request's values.
    let csv_path = summary.csv.clone().expect("csv written");
    assert_eq!(csv_path, dir.join("matches.csv"));
    let (header, rows) = read_csv(&csv_path);
    assert_eq!(header, MANIFEST_COLUMNS);
    assert_eq!(rows.len(), 4);
    for (i, (row, m)) in rows.iter().zip(&matches).enumerate() {
        let num = |k: &str| row[k].parse::<f32>().expect(k);
        assert_eq!(row["rank"], (i + 1).to_string());
        assert_eq!(row["probe_path"], probe().path.to_str().expect("utf-8"));
        assert_eq!(row["photo_path"], m.photo_path.to_str().expect("utf-8"));
        assert_eq!(
            [num("x1"), num("y1"), num("x2"), num("y2")],
            m.face_box.as_array()
        );
        assert_eq!(num("score"), m.score);
        assert_eq!(num("quality"), m.norm);
        assert_eq!(num("threshold"), 0.35);
        assert_eq!(row["model"], "adaface_ir_18");
        assert_eq!(row["pair_image"], expected_names[i]);
        assert_eq!(
            row["original_copy"],
            format!("originals/{}", file_name(&m.photo_path))
        );
    }

    // JSON: the same rows.
    let json_path = summary.json.clone().expect("json written");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_path).expect("read json")).expect("parse");
    let items = json.as_array().expect("array of rows");
    assert_eq!(items.len(), 4);
    for (item, m) in items.iter().zip(&matches) {
        for key in MANIFEST_COLUMNS {
            assert!(item.get(key).is_some(), "json row lacks {key}");
        }
        assert_eq!(item["photo_path"], m.photo_path.to_str().expect("utf-8"));
        assert_eq!(item["score"].as_f64().expect("score") as f32, m.score);
        assert_eq!(item["quality"].as_f64().expect("quality") as f32, m.norm);
        assert_eq!(item["x2"].as_f64().expect("x2") as f32, m.face_box.x2);
        assert_eq!(item["model"], "adaface_ir_18");
    }

    // Copies are byte-identical; the originals are untouched.
    for m in &matches {
        let copy = dir.join("originals").join(file_name(&m.photo_path));
        assert_eq!(
            std::fs::read(&copy).expect("read copy"),
            std::fs::read(&m.photo_path).expect("read original")
        );
    }
    assert!(originals_state(&matches) == before, "an original changed");
}

#[test]
fn a_photo_matched_twice_is_copied_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let couple = |b, s| m("faces/deepface/couple.jpg", b, s, 20.0);
    let matches = vec![
        couple(fb(1422.0, 284.0, 1988.0, 1089.0), 0.8),
        couple(fb(350.0, 485.0, 964.0, 1300.0), 0.7),
        m(
            "faces/deepface/img17.jpg",
            fb(374.0, 90.0, 583.0, 369.0),
            0.6,
            20.0,
        ),
    ];
    let summary = run(&request(&dir, matches, true));
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert_eq!((summary.pairs, summary.copies), (3, 2));
    let copies: Vec<_> = std::fs::read_dir(dir.join("originals"))
        .expect("originals")
        .collect();
    assert_eq!(copies.len(), 2);
    let (_, rows) = read_csv(&dir.join("matches.csv"));
    assert_eq!(rows[0]["original_copy"], "originals/couple.jpg");
    assert_eq!(rows[1]["original_copy"], "originals/couple.jpg");
    assert_eq!(rows[2]["original_copy"], "originals/img17.jpg");
}

/// `img1-YYYYMMDD-HHMMSS` for an export between `before` and `after` (local time): the
/// stamp is one of the seconds in that span.
fn assert_stamped_subfolder(folder: &Path, stem: &str, before: SystemTime, after: SystemTime) {
    let name = file_name(folder);
    let stamp = |t: SystemTime| {
        chrono::DateTime::<chrono::Local>::from(t)
            .format("%Y%m%d-%H%M%S")
            .to_string()
    };
    let (first, last) = (stamp(before), stamp(after));
    let got = name
        .strip_prefix(&format!("{stem}-"))
        .unwrap_or_else(|| panic!("{name} is not named after {stem}"));
    assert!(
        got.len() == 15 && got >= first.as_str() && got <= last.as_str(),
        "{name}: stamp not in {first}..={last}"
    );
}

#[test]
fn a_second_export_into_the_same_folder_goes_into_a_new_subfolder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let matches = four_matches()[..2].to_vec();
    let before_originals = originals_state(&matches);
    let req = request(&dir, matches.clone(), true);
    let first = run(&req);
    assert_eq!(first.folder, dir);
    assert!(dir.join(EXPORT_MARKER).is_file(), "export marker missing");
    let first_files = snapshot(&dir);
    assert_eq!(first_files.len(), first.written.len());

    let before = SystemTime::now();
    let second = run(&req);
    let after = SystemTime::now();
    assert!(second.failed.is_empty(), "{:?}", second.failed);
    assert_eq!((second.pairs, second.copies), (2, 2));
    // The folder held the first export: the second goes into a new subfolder of it,
    // named after the probe (img1.jpeg) and the time, laid out as at the top.
    assert_eq!(second.subfolder_of.as_deref(), Some(dir.as_path()));
    assert_eq!(second.folder.parent(), Some(dir.as_path()));
    assert_stamped_subfolder(&second.folder, "img1", before, after);
    let sub = &second.folder;
    assert!(sub.join(EXPORT_MARKER).is_file(), "subfolder not marked");
    let mut relative: Vec<String> = second
        .written
        .iter()
        .map(|p| {
            p.strip_prefix(sub)
                .unwrap_or_else(|_| panic!("{} outside {}", p.display(), sub.display()))
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    relative.sort();
    assert_eq!(
        relative,
        [
            "001_score-0.734_img1.jpg",
            "002_score-0.612_img2.jpg",
            "matches.csv",
            "matches.json",
            "originals/img1.jpg",
            "originals/img2.jpg",
        ],
        "no numbered names, no second 001_ beside the first"
    );
    assert_eq!(
        second.csv.as_deref(),
        Some(sub.join("matches.csv").as_path())
    );
    assert_eq!(
        second.files_text(),
        "2 pair images, 2 originals, matches.csv, matches.json"
    );
    assert!(second.text().ends_with(&format!(" in {}", sub.display())));
    let (_, rows) = read_csv(&sub.join("matches.csv"));
    assert_eq!(rows[0]["pair_image"], "001_score-0.734_img1.jpg");
    assert_eq!(rows[0]["original_copy"], "originals/img1.jpg");

    // The first export is untouched, and nothing was added beside it but the subfolder.
    let now = snapshot(&dir);
    for (path, bytes) in &first_files {
        assert_eq!(now.get(path), Some(bytes), "{} changed", path.display());
    }
    assert_eq!(now.len(), first_files.len() + second.written.len());
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let mut want = vec![dir.join("originals"), sub.clone()];
    want.sort();
    assert_eq!(folders, want);
    assert!(
        originals_state(&matches) == before_originals,
        "an original changed"
    );

    // A third run makes yet another subfolder; within the same second it gets a number,
    // the last guard against a clash.
    let third = run(&req);
    assert_ne!(third.folder, second.folder);
    assert_eq!(third.folder.parent(), Some(dir.as_path()));
    assert!(third.folder.join("001_score-0.734_img1.jpg").is_file());
}

#[test]
fn an_empty_or_missing_folder_is_written_into_as_it_is() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let matches = four_matches()[..1].to_vec();
    // Missing, with missing parents.
    let missing = tmp.path().join("a/b/missing");
    let summary = run(&request(&missing, matches.clone(), false));
    assert_eq!(
        (summary.folder.as_path(), summary.subfolder_of),
        (missing.as_path(), None)
    );
    assert!(missing.join("001_score-0.734_img1.jpg").is_file());
    // Existing and empty.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let summary = run(&request(&empty, matches.clone(), false));
    assert_eq!(
        (summary.folder.as_path(), summary.subfolder_of),
        (empty.as_path(), None)
    );
    assert_eq!(
        file_names_in(&empty),
        [
            EXPORT_MARKER,
            "001_score-0.734_img1.jpg",
            "matches.csv",
            "matches.json"
        ]
    );
    // Holding only an export marker (an earlier export that wrote nothing): still empty.
    let marked = tmp.path().join("marked");
    std::fs::create_dir(&marked).expect("mkdir");
    std::fs::write(marked.join(EXPORT_MARKER), b"").expect("marker");
    let summary = run(&request(&marked, matches, false));
    assert_eq!(summary.folder, marked);
}

#[test]
fn a_folder_holding_the_users_files_gets_a_subfolder_and_keeps_its_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("photos");
    std::fs::create_dir(&dir).expect("mkdir");
    // Files a person keeps there, including names an export would use.
    std::fs::write(dir.join("notes.txt"), b"mine").expect("write");
    std::fs::write(dir.join("matches.csv"), b"my own table").expect("write");
    std::fs::create_dir(dir.join("originals")).expect("mkdir");
    std::fs::write(dir.join("originals/img1.jpg"), b"not a photo").expect("write");
    let before_files = snapshot(&dir);

    let mut req = request(&dir, four_matches()[..2].to_vec(), true);
    req.probe.path = tmp.path().join("Alice Smith.v2.jpg");
    req.probe.image = Some(std::sync::Arc::new(
        load_photo(&probe_path(), &PhotoLimits::default())
            .expect("probe")
            .image,
    ));
    let summary = run(&req);
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert_eq!(summary.subfolder_of.as_deref(), Some(dir.as_path()));
    assert!(
        file_name(&summary.folder).starts_with("Alice Smith.v2-"),
        "{}",
        summary.folder.display()
    );
    assert_eq!(
        summary.csv.as_deref(),
        Some(summary.folder.join("matches.csv").as_path())
    );
    assert!(summary.folder.join("originals/img1.jpg").is_file());
    let after = snapshot(&dir);
    for (path, bytes) in &before_files {
        assert_eq!(after.get(path), Some(bytes), "{} changed", path.display());
    }
    // The folder's own files are not exported again, nor is its marker set: it is the
    // user's folder, which the indexer must go on reading.
    assert!(!dir.join(EXPORT_MARKER).exists());
}

#[test]
fn two_runs_in_the_same_second_get_two_subfolders() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("keep.txt"), b"x").expect("write");
    let when = SystemTime::now();
    let probe = probe_path();
    let a = ExportFolder::open_at(&dir, &probe, when).expect("first");
    let b = ExportFolder::open_at(&dir, &probe, when).expect("second");
    assert!(a.is_new_subfolder() && b.is_new_subfolder());
    assert_eq!(
        file_name(b.root()),
        format!("{} (2)", file_name(a.root())),
        "a clash within one second is the only place a number is added"
    );
    assert!(a.root().is_dir() && b.root().is_dir());
}

#[test]
fn a_run_with_several_probe_faces_lays_out_its_folders_inside_the_subfolder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("keep.txt"), b"x").expect("write");
    let mut folder = ExportFolder::open(&dir, &probe_path()).expect("open");
    let root = folder.root().to_path_buf();
    assert_eq!(root.parent(), Some(dir.as_path()));
    let face1 = folder.face_folder("me_face1");
    let face1_again = folder.face_folder("me_face1");
    assert_eq!(face1, root.join("me_face1"));
    assert_eq!(face1_again, root.join("me_face1 (2)"));
    assert_eq!(folder.unmatched(), root.join(UNMATCHED_DIR));
    let summary = write_matches(
        &request(&face1, four_matches()[..1].to_vec(), false),
        &mut |_, _| {},
        &AtomicBool::new(false),
    )
    .expect("export");
    assert_eq!(summary.folder, face1);
    assert_eq!(summary.subfolder_of, None);
    assert!(face1.join("001_score-0.734_img1.jpg").is_file());
}

#[test]
fn a_missing_or_corrupt_photo_fails_alone() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let corrupt = tmp.path().join("broken.jpg");
    std::fs::write(&corrupt, b"\xFF\xD8\xFF\xE0 this is not really a jpeg").expect("write");
    let missing = tmp.path().join("gone.jpg");
    let good = four_matches();
    let matches = vec![
        good[0].clone(),
        ExportMatch {
            photo_path: missing.clone(),
            ..good[1].clone()
        },
        ExportMatch {
            photo_path: corrupt.clone(),
            ..good[2].clone()
        },
        good[3].clone(),
    ];
    let summary = run(&request(&dir, matches, true));
    assert_eq!(summary.pairs, 2);
    assert_eq!(
        summary.copies, 3,
        "the corrupt file is still copied as it is"
    );
    let failed: Vec<&PathBuf> = summary.failed.iter().map(|(p, _)| p).collect();
    // The missing photo fails twice (pair and copy), the corrupt one once (pair).
    assert_eq!(
        failed,
        [&missing, &missing, &corrupt],
        "{:?}",
        summary.failed
    );
    assert!(
        summary.failed[0].1.contains("not found"),
        "{:?}",
        summary.failed
    );
    assert!(dir.join("001_score-0.734_img1.jpg").is_file());
    assert!(dir.join("004_score-0.360_couple.jpg").is_file());
    let (_, rows) = read_csv(&dir.join("matches.csv"));
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1]["pair_image"], "");
    assert_eq!(rows[2]["pair_image"], "");
    assert_eq!(rows[3]["pair_image"], "004_score-0.360_couple.jpg");
}

#[test]
fn cancelling_stops_early() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let req = request(&dir, four_matches(), false);
    let cancel = AtomicBool::new(false);
    let mut calls = Vec::new();
    let summary = export_matches(
        &req,
        &mut |done, total| {
            calls.push((done, total));
            if done == 1 {
                cancel.store(true, Ordering::Relaxed);
            }
        },
        &cancel,
    )
    .expect("export");
    assert!(summary.cancelled);
    assert_eq!(summary.pairs, 1);
    assert_eq!(calls, [(0, 4), (1, 4)]);
    let (_, rows) = read_csv(&dir.join("matches.csv"));
    assert_eq!(rows.len(), 1, "the manifest lists what was done");

    // Cancelled before it starts: no pair at all.
    let summary = export_matches(&req, &mut |_, _| {}, &AtomicBool::new(true)).expect("export");
    assert!(summary.cancelled);
    assert_eq!(summary.pairs, 0);
}

#[test]
fn bad_boxes_never_panic() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let photo = "faces/deepface/img17.jpg";
    let boxes = [
        fb(5000.0, 5000.0, 6000.0, 6000.0),
        fb(-400.0, -300.0, 80.0, 60.0),
        fb(f32::NAN, 0.0, f32::INFINITY, 10.0),
        fb(100.0, 100.0, 100.0, 100.0),
        fb(300.0, 300.0, 200.0, 200.0),
        fb(-1e30, -1e30, 1e30, 1e30),
    ];
    let matches = boxes.iter().map(|&b| m(photo, b, 0.5, 10.0)).collect();
    let mut req = request(&dir, matches, false);
    // The probe box is outside the probe photo too: the whole photo is shown instead.
    req.probe.face_box = fb(-900.0, -900.0, -800.0, -800.0);
    let summary = run(&req);
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert_eq!(summary.pairs, boxes.len());
    for path in summary
        .written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
    {
        assert_eq!(jpeg_size(path).1, PAIR_HEIGHT);
    }

    let image = load_photo(&common::shared(photo), &PhotoLimits::default())
        .expect("load")
        .image;
    for b in [boxes[0], boxes[2], boxes[3], boxes[4]] {
        let err = save_face_crop(&dir, &image, &b, "face").expect_err("empty crop");
        assert!(matches!(err, ExportError::EmptyCrop { .. }), "{err}");
    }
    // Partly outside: cut to the image.
    let path = save_face_crop(&dir, &image, &boxes[1], "corner").expect("crop");
    let (w, h) = jpeg_size(&path);
    assert!(w <= image.width() && h <= image.height() && w > 0 && h > 0);
    let whole = save_face_crop(&dir, &image, &boxes[5], "all").expect("crop");
    assert_eq!(jpeg_size(&whole), image.dimensions());
}

#[test]
fn face_crops_are_never_overwritten() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("unmatched");
    let image = load_photo(
        &common::shared("faces/adaface_demo/img1.jpeg"),
        &PhotoLimits::default(),
    )
    .expect("load")
    .image;
    let face = fb(90.0, 49.0, 154.0, 138.0);
    let first = save_face_crop(&dir, &image, &face, "img1_face0").expect("save");
    let first_bytes = std::fs::read(&first).expect("read");
    let second = save_face_crop(&dir, &image, &face, "img1_face0").expect("save");
    let third = save_face_crop(&dir, &image, &face, "img1_face0.jpg").expect("save");
    assert_eq!(file_name(&first), "img1_face0.jpg");
    assert_eq!(file_name(&second), "img1_face0 (2).jpg");
    assert_eq!(file_name(&third), "img1_face0 (3).jpg");
    assert_eq!(std::fs::read(&first).expect("reread"), first_bytes);
    // The box with room around it, at the photo's resolution.
    let (w, h) = jpeg_size(&first);
    assert!(
        (140..=160).contains(&w) && (140..=160).contains(&h),
        "{w}×{h}"
    );
}

#[test]
fn paths_with_commas_and_quotes_round_trip_through_the_csv() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let odd_dir = tmp.path().join("party, \"the\" photos");
    std::fs::create_dir_all(&odd_dir).expect("mkdir");
    let photo = odd_dir.join("bob, \"bobby\" smith.png");
    let synthetic = RgbImage::from_fn(320, 240, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    synthetic.save(&photo).expect("save synthetic photo");

    // The probe photo comes already decoded: its (odd, nonexistent) path is only a label.
    let probe_path = tmp.path().join("probe, \"me\".jpg");
    let probe_image = load_photo(
        &common::shared("faces/adaface_demo/img1.jpeg"),
        &PhotoLimits::default(),
    )
    .expect("load")
    .image;
    let dir = tmp.path().join("out");
    let mut req = request(
        &dir,
        vec![ExportMatch {
            photo_path: photo.clone(),
            face_box: fb(100.0, 60.0, 200.0, 180.0),
            score: 0.5,
            norm: 9.75,
        }],
        true,
    );
    req.probe = ProbeInfo {
        path: probe_path.clone(),
        face_box: fb(90.0, 49.0, 154.0, 138.0),
        image: Some(std::sync::Arc::new(probe_image)),
    };
    req.model = "model, \"v2\"".into();
    let summary = run(&req);
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert_eq!((summary.pairs, summary.copies), (1, 1));

    let (_, rows) = read_csv(&dir.join("matches.csv"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["photo_path"], photo.to_str().expect("utf-8"));
    assert_eq!(rows[0]["probe_path"], probe_path.to_str().expect("utf-8"));
    assert_eq!(rows[0]["model"], "model, \"v2\"");
    // `"` is not allowed in file names on every system: the pair image's name avoids it.
    assert_eq!(
        rows[0]["pair_image"],
        "001_score-0.500_bob, _bobby_ smith.jpg"
    );
    assert_eq!(jpeg_size(&dir.join(&rows[0]["pair_image"])).1, PAIR_HEIGHT);
    let copy = dir.join(&rows[0]["original_copy"]);
    assert_eq!(
        std::fs::read(copy).expect("copy"),
        std::fs::read(&photo).expect("photo")
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("matches.json")).expect("json"))
            .expect("parse");
    assert_eq!(json[0]["photo_path"], photo.to_str().expect("utf-8"));
}

#[test]
fn a_folder_that_cannot_be_created_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let req = request(&file.join("sub"), four_matches(), false);
    let err = export_matches(&req, &mut |_, _| {}, &AtomicBool::new(false))
        .expect_err("cannot create a folder under a file");
    assert!(matches!(err, ExportError::CreateDir { .. }), "{err}");
    assert!(err.to_string().contains("a-file"), "{err}");
    let err = export_matches(
        &request(&file, four_matches(), false),
        &mut |_, _| {},
        &AtomicBool::new(false),
    )
    .expect_err("a file is not a folder");
    assert!(matches!(err, ExportError::CreateDir { .. }), "{err}");
}

/// The match lines (first label line) of one export of a synthetic photo saved under each
/// of `names`, every match with the same score and quality, so that they differ only in
/// the name.
fn label_strips(names: &[&str]) -> Vec<RgbImage> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let photo = RgbImage::from_fn(300, 200, |x, y| Rgb([(x % 200) as u8, (y % 200) as u8, 90]));
    let matches = names
        .iter()
        .map(|name| {
            let path = tmp.path().join(name);
            photo
                .save_with_format(&path, ImageFormat::Png)
                .expect("save");
            ExportMatch {
                photo_path: path,
                face_box: fb(100.0, 50.0, 200.0, 150.0),
                score: 0.8,
                norm: 20.0,
            }
        })
        .collect();
    let dir = tmp.path().join("export");
    let req = ExportRequest {
        probe: ProbeInfo {
            path: tmp.path().join("probe.png"),
            face_box: fb(100.0, 50.0, 200.0, 150.0),
            image: Some(std::sync::Arc::new(photo.clone())),
        },
        ..request(&dir, matches, false)
    };
    let summary = run(&req);
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let (_, rows) = read_csv(&dir.join("matches.csv"));
    names
        .iter()
        .map(|name| {
            let row = rows
                .iter()
                .find(|r| r["photo_path"].ends_with(name))
                .unwrap_or_else(|| panic!("{name} not in matches.csv"));
            let pair = image::open(dir.join(&row["pair_image"]))
                .expect("pair image")
                .to_rgb8();
            image::imageops::crop_imm(&pair, 0, PANEL_HEIGHT, pair.width(), MATCH_LINE_HEIGHT)
                .to_image()
        })
        .collect()
}

/// Columns from the first to the last one with light text pixels, right of the colour
/// swatch (which ends 22 px from the left).
fn ink_width(strip: &RgbImage) -> u32 {
    let inked: Vec<u32> = (30..strip.width())
        .filter(|&x| (0..strip.height()).any(|y| strip.get_pixel(x, y).0.iter().all(|&c| c > 140)))
        .collect();
    match (inked.first(), inked.last()) {
        (Some(first), Some(last)) => last - first + 1,
        _ => 0,
    }
}

/// Pixels whose brightness differs by more than JPEG noise.
fn differing_pixels(a: &RgbImage, b: &RgbImage) -> usize {
    a.pixels()
        .zip(b.pixels())
        .filter(|(p, q)| p.0.iter().zip(q.0).any(|(&x, y)| x.abs_diff(y) > 40))
        .count()
}

#[test]
fn labels_draw_accented_names_and_leave_off_names_no_font_draws() {
    // U+E000 is private use and U+0378 unassigned: no font draws them.
    let names = [
        "Zoë Müller.jpg",
        "Zoe Muller.jpg",
        "\u{e000}\u{378}.jpg",
        "\u{e000}abc.jpg",
        "x.jpg",
    ];
    let strips = label_strips(&names);
    let widths: Vec<u32> = strips.iter().map(ink_width).collect();
    let [accented, folded, unknown, mixed, short] = widths[..] else {
        unreachable!()
    };
    // The accented name is drawn as wide as its ASCII twin (same glyph count).
    assert!(folded > 0, "{widths:?}");
    assert!(accented.abs_diff(folded) * 20 <= folded, "{widths:?}");
    // ... and with its diacritics: the two strips are not the same picture.
    assert!(differing_pixels(&strips[0], &strips[1]) > 0);
    // A name with a character no font draws is left off whole, the score part still shows.
    assert!(unknown > 0, "score text missing: {widths:?}");
    assert!(unknown < short, "name drawn in part: {widths:?}");
    assert_eq!(mixed, unknown, "{widths:?}");
    assert_eq!(differing_pixels(&strips[2], &strips[3]), 0);
}

#[test]
fn cjk_names_are_drawn_or_left_off_never_mangled() {
    let names = ["王小明.jpg", "\u{e000}.jpg", "???.jpg"];
    let strips = label_strips(&names);
    let (cjk, left_off, question_marks) = (&strips[0], &strips[1], &strips[2]);
    if differing_pixels(cjk, left_off) == 0 {
        eprintln!("no CJK font on this system: the name was left off");
    } else {
        assert!(ink_width(cjk) > ink_width(left_off));
        assert!(differing_pixels(cjk, question_marks) > 0, "drawn as '?'");
    }
}

// ---- what a pair image shows ----------------------------------------------------------

/// A grey photo: no pixel of it has the colour of a face box.
fn grey_photo(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let v = 60 + ((x + 2 * y) % 120) as u8;
        Rgb([v, v, v])
    })
}

/// The probe box's blue, after JPEG: much more blue than red.
fn is_probe_blue(p: &Rgb<u8>) -> bool {
    let [r, g, b] = p.0;
    let [_, want_g, _] = PROBE_BOX_COLOR.0;
    i32::from(b) - i32::from(r) > 110 && g.abs_diff(want_g) < 50
}

/// A clear match's green (score ≥ threshold + 0.15), after JPEG.
fn is_match_green(p: &Rgb<u8>) -> bool {
    let [r, g, b] = p.0;
    i32::from(g) - i32::from(r) > 80 && i32::from(g) - i32::from(b) > 70
}

/// Bounding box (x1, y1, x2, y2 inclusive) and count of the pixels of `image` inside
/// `area` (x, y, width, height) for which `hit` holds.
fn pixels_where(
    image: &RgbImage,
    area: (u32, u32, u32, u32),
    hit: impl Fn(&Rgb<u8>) -> bool,
) -> Option<((u32, u32, u32, u32), usize)> {
    let (ax, ay, aw, ah) = area;
    let mut found: Option<(u32, u32, u32, u32)> = None;
    let mut count = 0;
    for y in ay..(ay + ah).min(image.height()) {
        for x in ax..(ax + aw).min(image.width()) {
            if hit(image.get_pixel(x, y)) {
                count += 1;
                found = Some(match found {
                    None => (x, y, x, y),
                    Some((x1, y1, x2, y2)) => (x1.min(x), y1.min(y), x2.max(x), y2.max(y)),
                });
            }
        }
    }
    found.map(|b| (b, count))
}

/// One pair image of a grey 300×200 gallery photo matched (score 0.8, threshold 0.35: a
/// clear match, green) by a grey 300×200 probe photo named `probe_name`; both faces are
/// boxed at (100, 50)–(200, 150).
fn synthetic_pair(size: PairSize, probe_name: &str) -> RgbImage {
    let tmp = tempfile::tempdir().expect("tempdir");
    let photo_path = tmp.path().join("match.png");
    grey_photo(300, 200).save(&photo_path).expect("save");
    let face = fb(100.0, 50.0, 200.0, 150.0);
    let dir = tmp.path().join("export");
    let req = ExportRequest {
        probe: ProbeInfo {
            path: tmp.path().join(probe_name),
            face_box: face,
            image: Some(std::sync::Arc::new(grey_photo(300, 200))),
        },
        pair_size: size,
        ..request(
            &dir,
            vec![ExportMatch {
                photo_path,
                face_box: face,
                score: 0.8,
                norm: 20.0,
            }],
            false,
        )
    };
    let summary = run(&req);
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    image::open(dir.join("001_score-0.800_match.jpg"))
        .expect("pair image")
        .to_rgb8()
}

/// Within `slack` pixels, per side.
fn near(got: (u32, u32, u32, u32), want: (u32, u32, u32, u32), slack: u32) -> bool {
    got.0.abs_diff(want.0) <= slack
        && got.1.abs_diff(want.1) <= slack
        && got.2.abs_diff(want.2) <= slack
        && got.3.abs_diff(want.3) <= slack
}

#[test]
fn the_probe_face_is_boxed_and_a_legend_names_the_box_colours() {
    let pair = synthetic_pair(PairSize::Normal, "probe.png");
    assert_eq!(pair.height(), PAIR_HEIGHT);
    // The probe panel: the face with 35 % room on each side, 170×170 px of the photo from
    // (65, 15), scaled to 400×400; the face box maps to (82.4, 82.4)–(317.6, 317.6).
    // The gallery panel: the whole photo at 2×, 600×400, right of the probe and the gap;
    // the face box maps to (200, 100)–(400, 300) within it.
    let gallery_left = 400 + GAP;
    assert_eq!(pair.width(), gallery_left + 600);
    let panels = (0, 0, pair.width(), PANEL_HEIGHT);
    let (blue, blue_count) = pixels_where(&pair, panels, is_probe_blue).expect("no probe box");
    assert!(near(blue, (82, 82, 317, 317), 3), "probe box at {blue:?}");
    assert!(blue_count > 2000, "a 3-px outline: {blue_count} pixels");
    let (green, _) = pixels_where(&pair, panels, is_match_green).expect("no match box");
    let want = (gallery_left + 200, 100, gallery_left + 399, 299);
    assert!(
        near(green, want, 3),
        "match box at {green:?}, want {want:?}"
    );

    // The legend line: the probe box's colour at its left, the matched face's at its right.
    let legend_top = PANEL_HEIGHT + MATCH_LINE_HEIGHT;
    let legend = (0, legend_top, pair.width(), PROBE_LINE_HEIGHT);
    let (blue, _) = pixels_where(&pair, legend, is_probe_blue).expect("no probe legend");
    assert!(blue.2 < 40, "probe legend at {blue:?}");
    let (green, _) = pixels_where(&pair, legend, is_match_green).expect("no match legend");
    assert!(
        green.0 > pair.width() / 2,
        "match legend at {green:?} of {}",
        pair.width()
    );
}

/// Columns with light text pixels in the probe line, left of its middle (the probe's
/// name; the legend is at the right end).
fn probe_line_ink(pair: &RgbImage) -> usize {
    let top = PANEL_HEIGHT + MATCH_LINE_HEIGHT;
    (0..pair.width() / 2)
        .filter(|&x| {
            (top..top + PROBE_LINE_HEIGHT).any(|y| pair.get_pixel(x, y).0.iter().all(|&c| c > 140))
        })
        .count()
}

#[test]
fn the_probe_is_named_on_the_pair() {
    let short = synthetic_pair(PairSize::Normal, "p.png");
    let long = synthetic_pair(PairSize::Normal, "holiday-2024-portrait.png");
    let (a, b) = (probe_line_ink(&short), probe_line_ink(&long));
    assert!(a > 0, "no probe line text");
    // 23 more characters of about 9 px each.
    assert!(
        b > a + 100,
        "probe name not drawn: {a} vs {b} inked columns"
    );
    // ... on the probe line only: the match lines are the same picture.
    let match_line = |p: &RgbImage| {
        image::imageops::crop_imm(p, 0, PANEL_HEIGHT, p.width(), MATCH_LINE_HEIGHT).to_image()
    };
    assert_eq!(differing_pixels(&match_line(&short), &match_line(&long)), 0);
}

#[test]
fn large_pairs_are_twice_the_size_with_the_boxes_in_the_same_places() {
    let pair = synthetic_pair(PairSize::Large, "probe.png");
    assert_eq!(PairSize::Large.pair_height(), 2 * PAIR_HEIGHT);
    assert_eq!(pair.height(), 2 * PAIR_HEIGHT);
    let gallery_left = 800 + 2 * GAP;
    assert_eq!(pair.width(), gallery_left + 1200);
    let panels = (0, 0, pair.width(), 2 * PANEL_HEIGHT);
    // 170 px of the probe photo scaled to 800: the box maps to (164.7, 164.7)–(635.3, 635.3).
    let (blue, _) = pixels_where(&pair, panels, is_probe_blue).expect("no probe box");
    assert!(near(blue, (164, 164, 635, 635), 4), "probe box at {blue:?}");
    let (green, _) = pixels_where(&pair, panels, is_match_green).expect("no match box");
    let want = (gallery_left + 400, 200, gallery_left + 799, 599);
    assert!(
        near(green, want, 4),
        "match box at {green:?}, want {want:?}"
    );
    // Text twice as large: the probe's name takes about twice the columns.
    let normal = probe_line_ink(&synthetic_pair(PairSize::Normal, "probe.png"));
    let top = 2 * (PANEL_HEIGHT + MATCH_LINE_HEIGHT);
    let large = (0..pair.width() / 2)
        .filter(|&x| {
            (top..top + 2 * PROBE_LINE_HEIGHT)
                .any(|y| pair.get_pixel(x, y).0.iter().all(|&c| c > 140))
        })
        .count();
    assert!(large > normal * 3 / 2, "{large} vs {normal}");
}
