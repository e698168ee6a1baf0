//! The packages' layout, from the test build: scripts/package-layout.sh lays the installed
//! files out (as scripts/package.sh does for the release build), the .deb is built from
//! them and unpacked with `dpkg-deb -x`, and the unpacked binary runs with its bundled
//! ONNX Runtime alone. Needs what scripts/setup.sh installs (the runtime in the data folder,
//! rsvg-convert, desktop-file-validate, appstreamcli) and ../shared.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared(rel: &str) -> PathBuf {
    repo().join("../shared").join(rel)
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The laid-out root, made once for every test here (it copies ~180 MB of libraries).
fn layout() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("package-layout");
        let ort = facesorter_core::runtime::data_dir_location()
            .and_then(|lib| lib.parent().map(Path::to_path_buf))
            .expect("the data folder");
        run(Command::new("bash")
            .arg(repo().join("scripts/package-layout.sh"))
            .args(["--binary", env!("CARGO_BIN_EXE_facesorter")])
            .arg("--onnxruntime")
            .arg(&ort)
            .arg("--out")
            .arg(&root));
        root
    })
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("under the root");
                found.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_layout_holds_every_part_and_passes_the_validators() {
    let root = layout();
    let files = files_under(root);
    let has = |f: &str| files.iter().any(|x| x == f);
    for f in [
        "usr/bin/facesorter",
        "usr/lib/facesorter/libonnxruntime.so",
        "usr/lib/facesorter/libonnxruntime_providers_openvino.so",
        "usr/lib/facesorter/libopenvino.so.2541",
        "usr/lib/facesorter/libopenvino_intel_cpu_plugin.so",
        "usr/lib/facesorter/libtbb.so.12",
        "usr/share/applications/facesorter.desktop",
        "usr/share/icons/hicolor/scalable/apps/facesorter.svg",
        "usr/share/metainfo/org.facesorter.FaceSorter.metainfo.xml",
        "usr/share/man/man1/facesorter.1.gz",
        "usr/share/man/man1/facesorter-find.1.gz",
        "usr/share/bash-completion/completions/facesorter",
        "usr/share/zsh/vendor-completions/_facesorter",
        "usr/share/fish/vendor_completions.d/facesorter.fish",
        "usr/share/doc/facesorter/copyright",
        "usr/share/doc/facesorter/licenses/BUNDLED.md",
        "usr/share/doc/facesorter/licenses/Apache-2.0.txt",
        "usr/share/doc/facesorter/licenses/onnxruntime/LICENSE",
        "usr/share/doc/facesorter/licenses/onnxruntime/ThirdPartyNotices.txt",
        "usr/share/doc/facesorter/licenses/cargo-dependencies.txt",
        "DEBIAN/control",
    ] {
        assert!(has(f), "{f} is missing from the layout: {files:#?}");
    }
    for size in [16, 24, 32, 48, 64, 128, 256, 512] {
        let icon = root.join(format!(
            "usr/share/icons/hicolor/{size}x{size}/apps/facesorter.png"
        ));
        let img = image::ImageReader::open(&icon)
            .and_then(|r| r.with_guessed_format())
            .map(|r| r.into_dimensions())
            .unwrap_or_else(|e| panic!("{}: {e}", icon.display()));
        assert_eq!(img.ok(), Some((size, size)), "{}", icon.display());
    }
    // The wheel's duplicate copies became links to the file the soname names.
    let lib = root.join("usr/lib/facesorter");
    assert_eq!(
        std::fs::read_link(lib.join("libopenvino.so")).ok(),
        Some(PathBuf::from("libopenvino.so.2541"))
    );

    // The generated parts speak of the binary as it is.
    let completion =
        std::fs::read_to_string(root.join("usr/share/bash-completion/completions/facesorter"))
            .expect("bash completion");
    for sub in ["embed", "find", "people", "models"] {
        assert!(completion.contains(sub), "{sub} not completed");
    }
    assert!(
        !completion.contains("generate-package-files"),
        "the hidden subcommand is completed"
    );
    let man = run(Command::new("gzip")
        .arg("-dc")
        .arg(root.join("usr/share/man/man1/facesorter.1.gz")));
    let man = String::from_utf8_lossy(&man.stdout);
    assert!(man.contains(".TH facesorter 1"), "{man}");
    assert!(man.contains("DIR|PHOTO"), "{man}");

    let licences = std::fs::read_to_string(
        root.join("usr/share/doc/facesorter/licenses/cargo-dependencies.txt"),
    )
    .expect("licence summary");
    assert!(
        licences.lines().any(|l| l.starts_with("clap v4")),
        "{licences}"
    );
    assert!(
        licences.lines().any(|l| l.starts_with("ort v")),
        "{licences}"
    );

    run(Command::new("desktop-file-validate")
        .arg(root.join("usr/share/applications/facesorter.desktop")));
    run(Command::new("appstreamcli")
        .args(["validate", "--no-net"])
        .arg(root.join("usr/share/metainfo/org.facesorter.FaceSorter.metainfo.xml")));
    let desktop = std::fs::read_to_string(root.join("usr/share/applications/facesorter.desktop"))
        .expect("desktop entry");
    assert!(desktop.contains("\nExec=facesorter %F\n"), "{desktop}");
    assert!(desktop.contains("inode/directory;image/jpeg;"), "{desktop}");

    // The metainfo's screenshots are the README's.
    let metainfo = std::fs::read_to_string(
        root.join("usr/share/metainfo/org.facesorter.FaceSorter.metainfo.xml"),
    )
    .expect("metainfo");
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let shots: Vec<&str> = metainfo
        .split("<image>")
        .skip(1)
        .filter_map(|s| s.split("</image>").next())
        .collect();
    assert!(!shots.is_empty());
    for url in shots {
        let rel = url
            .split("/main/")
            .nth(1)
            .unwrap_or_else(|| panic!("{url}"));
        assert!(
            repo().join(rel).is_file(),
            "{url}: no {rel} in the repository"
        );
        assert!(
            readme.contains(&format!("({rel})")),
            "{rel} is not in the README"
        );
    }
}

#[test]
fn the_unpacked_deb_runs_with_its_bundled_runtime() {
    let root = layout();
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("package-deb");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    // Uncompressed: this checks the contents; scripts/package.sh compresses.
    let deb = work.join("facesorter_test_amd64.deb");
    run(Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Znone", "--build"])
        .arg(root)
        .arg(&deb));
    let depends = run(Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Depends"));
    let depends = String::from_utf8_lossy(&depends.stdout);
    for needed in [
        "libgtk-3-0",
        "libxkbcommon-x11-0",
        "libgl1",
        "libegl1",
        "libgl1-mesa-dri",
    ] {
        assert!(
            depends.contains(needed),
            "Depends lacks {needed}: {depends}"
        );
    }
    let installed = work.join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&installed));

    // Nothing but the package: an empty data folder (no runtime, no models there) and no
    // ORT_DYLIB_PATH.
    let data_home = work.join("empty-data");
    let config_home = work.join("config");
    std::fs::create_dir_all(&data_home).expect("data home");
    let facesorter = installed.join("usr/bin/facesorter");
    let installed_cmd = || {
        let mut c = Command::new(&facesorter);
        c.env_remove("ORT_DYLIB_PATH")
            .env_remove("FACESORTER_MODELS")
            .env("XDG_DATA_HOME", &data_home)
            .env("XDG_CONFIG_HOME", &config_home)
            .env("XDG_CACHE_HOME", work.join("cache"));
        c
    };

    let version = run(installed_cmd().arg("--version"));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("facesorter {}", env!("CARGO_PKG_VERSION"))
    );

    let list = run(installed_cmd().args(["models", "list"]));
    let list = String::from_utf8_lossy(&list.stdout);
    let searched = list
        .split("Models folders searched, in order:")
        .nth(1)
        .unwrap_or_else(|| panic!("no folders listed: {list}"));
    for folder in [
        data_home.join("facesorter/models"),
        installed.join("usr/share/facesorter/models"),
    ] {
        assert!(
            searched.contains(p(&folder)),
            "{} not listed: {list}",
            folder.display()
        );
    }

    // The real recognizer, from ../shared by flags.
    let photo = shared("faces/adaface_demo/img1.jpeg");
    let embed = run(installed_cmd()
        .arg("--detector")
        .arg(shared("models/face_detection_yunet_2023mar.onnx"))
        .arg("--model")
        .arg(shared("models/facenet_casia_112.onnx"))
        .args([
            "--color-order",
            "rgb",
            "--mean",
            "0",
            "--std",
            "1",
            "--ep",
            "cpu",
        ])
        .args(["embed", "--json"])
        .arg(&photo));
    let line = String::from_utf8_lossy(&embed.stdout);
    let json: serde_json::Value =
        serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{line}: {e}"));
    let faces = json["faces"].as_array().unwrap_or_else(|| panic!("{json}"));
    assert_eq!(faces.len(), 1, "{json}");
    let embedding = faces[0]["embedding"].as_array().expect("embedding");
    let norm: f64 = embedding
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .map(|x| x * x)
        .sum::<f64>()
        .sqrt();
    assert!(
        embedding.len() >= 128 && (norm - 1.0).abs() < 1e-3,
        "{json}"
    );
    assert!(
        std::fs::read_dir(&data_home)
            .expect("data home")
            .next()
            .is_none(),
        "the run put something in the data folder"
    );
}
