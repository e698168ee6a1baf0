//! `models::download` against a tiny HTTP/1.1 server on 127.0.0.1 that can cut a
//! response short, corrupt it, or ignore range requests.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use facesorter_core::models::{download, sha256_file, DownloadProgress, ModelError};

/// How the server answers one connection.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Honours `Range: bytes=N-` with 206 (or 416 past the end).
    Normal,
    /// Like `Normal`, but closes after this many body bytes despite its Content-Length.
    CutShort(usize),
    /// Like `Normal`, with one byte of the content flipped.
    Corrupt,
    /// Always 200 with the whole file, whatever the Range header says.
    IgnoreRange,
    /// 404.
    Missing,
}

/// Serves `data` at any path; connection i uses `modes[i]` (then `Normal`).
struct TestServer {
    addr: SocketAddr,
    /// The Range header of each request, in order (`None` if absent).
    ranges: Arc<Mutex<Vec<Option<String>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Bounds the server thread even if a test goes wrong.
const MAX_CONNECTIONS: usize = 16;

impl TestServer {
    fn start(data: Arc<Vec<u8>>, modes: Vec<Mode>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (ranges, stop) = (Arc::clone(&ranges), Arc::clone(&stop));
            std::thread::spawn(move || {
                for (i, stream) in listener.incoming().take(MAX_CONNECTIONS).enumerate() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let mode = modes.get(i).copied().unwrap_or(Mode::Normal);
                    serve(stream, &data, mode, &ranges);
                }
            })
        };
        Self {
            addr,
            ranges,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/model.onnx", self.addr)
    }

    fn ranges(&self) -> Vec<Option<String>> {
        self.ranges.lock().expect("ranges lock").clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, data: &[u8], mode: Mode, ranges: &Mutex<Vec<Option<String>>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let mut range = None;
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return; // the wake-up connection from Drop
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_owned());
            }
        }
    }
    ranges.lock().expect("ranges lock").push(range.clone());

    let len = data.len();
    let corrupt;
    let content: &[u8] = if mode == Mode::Corrupt {
        let mut c = data.to_vec();
        c[len / 2] ^= 0xff;
        corrupt = c;
        &corrupt
    } else {
        data
    };
    let offset = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|_| mode != Mode::IgnoreRange);

    let mut out = &stream;
    let (head, body): (String, &[u8]) = match (mode, offset) {
        (Mode::Missing, _) => (
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n".into(),
            &[],
        ),
        (_, Some(n)) if n >= len => (
            format!("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\n"),
            &[],
        ),
        (_, Some(n)) => (
            format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {n}-{}/{len}\r\nContent-Length: {}\r\n",
                len - 1,
                len - n
            ),
            &content[n..],
        ),
        (_, None) => (format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n"), content),
    };
    let body = match mode {
        Mode::CutShort(k) => &body[..k.min(body.len())],
        _ => body,
    };
    let _ = out.write_all(format!("{head}Connection: close\r\n\r\n").as_bytes());
    let _ = out.write_all(body);
    let _ = out.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// A few hundred KB of deterministic, non-repeating bytes.
fn test_bytes() -> Arc<Vec<u8>> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes = (0..300 * 1024)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 56) as u8
        })
        .collect();
    Arc::new(bytes)
}

fn sha_of(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x");
    std::fs::write(&path, bytes).expect("write");
    sha256_file(&path).expect("sha256")
}

fn part_of(dest: &Path) -> PathBuf {
    dest.with_file_name(format!(
        "{}.part",
        dest.file_name().expect("name").to_string_lossy()
    ))
}

/// Runs `download` recording every progress report.
fn fetch(
    server: &TestServer,
    dest: &Path,
    sha: &str,
) -> (Result<(), ModelError>, Vec<DownloadProgress>) {
    let mut reports = Vec::new();
    let result = download(
        &server.url(),
        dest,
        sha,
        &mut |p| reports.push(p),
        &AtomicBool::new(false),
    );
    (result, reports)
}

#[test]
fn whole_file_is_downloaded_verified_and_no_part_is_left() {
    let data = test_bytes();
    let sha = sha_of(&data);
    let server = TestServer::start(Arc::clone(&data), vec![Mode::Normal]);
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("sub").join("model.onnx");

    let (result, reports) = fetch(&server, &dest, &sha);

    result.expect("download");
    assert_eq!(std::fs::read(&dest).expect("read dest"), *data);
    assert!(!part_of(&dest).exists());
    assert_eq!(server.ranges(), vec![None]);
    let last = reports.last().expect("progress reported");
    assert_eq!(last.bytes_done, data.len() as u64);
    assert_eq!(last.bytes_total, Some(data.len() as u64));
    assert!(reports
        .windows(2)
        .all(|w| w[0].bytes_done <= w[1].bytes_done));
}

#[test]
fn cut_short_download_fails_then_resumes_with_range() {
    let data = test_bytes();
    let sha = sha_of(&data);
    let cut = 100_000;
    let server = TestServer::start(Arc::clone(&data), vec![Mode::CutShort(cut), Mode::Normal]);
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("model.onnx");

    let (first, _) = fetch(&server, &dest, &sha);
    let err = first.expect_err("a cut-short body must fail");
    assert!(matches!(err, ModelError::Transfer { .. }), "{err}");
    assert!(!dest.exists(), "no half file at dest");
    let kept = std::fs::metadata(part_of(&dest)).expect("part kept").len();
    assert_eq!(kept, cut as u64);

    let (second, reports) = fetch(&server, &dest, &sha);
    second.expect("resumed download");
    assert_eq!(std::fs::read(&dest).expect("read dest"), *data);
    assert!(!part_of(&dest).exists());
    assert_eq!(
        server.ranges(),
        vec![None, Some(format!("bytes={cut}-"))],
        "second request resumes at the part's length"
    );
    assert_eq!(reports.first().map(|p| p.bytes_done), Some(cut as u64));
}

#[test]
fn corrupted_content_is_rejected_and_part_deleted() {
    let data = test_bytes();
    let sha = sha_of(&data);
    let server = TestServer::start(Arc::clone(&data), vec![Mode::Corrupt]);
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("model.onnx");

    let (result, _) = fetch(&server, &dest, &sha);

    let err = result.expect_err("sha mismatch");
    let ModelError::DownloadCorrupt {
        expected, actual, ..
    } = &err
    else {
        panic!("expected DownloadCorrupt, got {err}");
    };
    assert_eq!(expected, &sha);
    assert_ne!(actual, &sha);
    let msg = err.to_string();
    assert!(msg.contains(&sha) && msg.contains(actual.as_str()), "{msg}");
    assert!(msg.contains("deleted"), "{msg}");
    assert!(!part_of(&dest).exists(), "corrupt part deleted");
    assert!(!dest.exists(), "dest absent");
}

#[test]
fn server_ignoring_range_restarts_from_zero() {
    let data = test_bytes();
    let sha = sha_of(&data);
    let server = TestServer::start(Arc::clone(&data), vec![Mode::IgnoreRange]);
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("model.onnx");
    std::fs::write(part_of(&dest), &data[..50_000]).expect("write part");

    let (result, _) = fetch(&server, &dest, &sha);

    result.expect("download");
    assert_eq!(server.ranges(), vec![Some("bytes=50000-".to_owned())]);
    assert_eq!(std::fs::read(&dest).expect("read dest"), *data);
    assert!(!part_of(&dest).exists());
}

#[test]
fn complete_part_answered_416_is_verified_and_moved() {
    let data = test_bytes();
    let sha = sha_of(&data);
    let server = TestServer::start(Arc::clone(&data), vec![Mode::Normal]);
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("model.onnx");
    std::fs::write(part_of(&dest), &*data).expect("write part");

    let (result, _) = fetch(&server, &dest, &sha);

    result.expect("download");
    assert_eq!(
        server.ranges(),
        vec![Some(format!("bytes={}-", data.len()))]
    );
    assert_eq!(std::fs::read(&dest).expect("read dest"), *data);
    assert!(!part_of(&dest).exists());
}

#[test]
fn existing_dest_is_not_clobbered_on_failure() {
    let data = test_bytes();
    let sha = sha_of(&data);
    let server = TestServer::start(
        Arc::clone(&data),
        vec![Mode::Corrupt, Mode::CutShort(1000), Mode::Missing],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("model.onnx");
    std::fs::write(&dest, b"an older model").expect("write dest");

    for _ in 0..3 {
        let (result, _) = fetch(&server, &dest, &sha);
        assert!(result.is_err());
        assert_eq!(std::fs::read(&dest).expect("read dest"), b"an older model");
    }
    assert_eq!(server.ranges().len(), 3);
}

#[test]
fn valid_dest_is_kept_without_a_request() {
    let data = test_bytes();
    let sha = sha_of(&data);
    let server = TestServer::start(Arc::clone(&data), vec![]);
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("model.onnx");
    std::fs::write(&dest, &*data).expect("write dest");

    let (result, _) = fetch(&server, &dest, &sha);

    result.expect("already there");
    assert!(server.ranges().is_empty());
}

#[test]
fn http_error_status_names_the_url() {
    let data = test_bytes();
    let sha = sha_of(&data);
    let server = TestServer::start(Arc::clone(&data), vec![Mode::Missing]);
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("model.onnx");

    let (result, _) = fetch(&server, &dest, &sha);

    let err = result.expect_err("404");
    assert!(
        matches!(err, ModelError::HttpStatus { status: 404, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&server.url()));
    assert!(!dest.exists());
}

#[test]
fn cancel_keeps_the_part_and_a_later_call_resumes() {
    let data = test_bytes();
    let sha = sha_of(&data);
    let server = TestServer::start(Arc::clone(&data), vec![]);
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("model.onnx");
    let cancel = AtomicBool::new(false);

    let result = download(
        &server.url(),
        &dest,
        &sha,
        &mut |p| {
            if p.bytes_done > 0 {
                cancel.store(true, Ordering::Relaxed);
            }
        },
        &cancel,
    );

    let err = result.expect_err("cancelled");
    let ModelError::Cancelled { bytes, .. } = err else {
        panic!("expected Cancelled, got {err}");
    };
    assert!(bytes > 0 && bytes < data.len() as u64, "{bytes}");
    assert_eq!(
        std::fs::metadata(part_of(&dest)).expect("part kept").len(),
        bytes
    );
    assert!(!dest.exists());

    let (resumed, _) = fetch(&server, &dest, &sha);
    resumed.expect("resumed");
    assert_eq!(server.ranges()[1], Some(format!("bytes={bytes}-")));
    assert_eq!(std::fs::read(&dest).expect("read dest"), *data);
}

#[test]
fn malformed_sha256_is_rejected_before_any_request() {
    let server = TestServer::start(test_bytes(), vec![]);
    let dir = tempfile::tempdir().expect("tempdir");
    let (result, _) = fetch(&server, &dir.path().join("m.onnx"), "not-a-hash");
    assert!(matches!(result, Err(ModelError::InvalidSha256 { .. })));
    assert!(server.ranges().is_empty());
}
