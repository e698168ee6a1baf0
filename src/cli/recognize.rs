//! `detect`, `embed` and `compare`: per-photo commands over the recognition engine.
//! A failing photo is reported on its own line and the others go on.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use facesorter_core::engine::{DetectionEngine, Face, FaceEngine};
use facesorter_core::error::chain;
use facesorter_core::geometry::{DetectedFace, FaceBox, PixelPoint, CROP_SIZE, TEMPLATE_112};
use facesorter_core::models::{format_triplet, ModelLocator};

use super::args::{CompareArgs, DetectArgs, EmbedArgs, EngineArgs};
use super::exit_code;
use super::output::{
    box_text, display_path, print_json, shown_path, terminal_safe, CompareJson, FaceJson,
    ImageErrorJson, ImageJson,
};

fn locator() -> anyhow::Result<ModelLocator> {
    ModelLocator::from_environment().context("reading the model manifest")
}

/// The engine with its models found and checked; they open on first use (a run that
/// embeds nothing never loads them), or earlier in the background after `warm_up`.
pub(super) fn open_engine(args: &EngineArgs) -> anyhow::Result<FaceEngine> {
    let engine = FaceEngine::prepare(args.options()?, &locator()?)?;
    if args.verbose {
        let p = engine.recognizer_profile();
        let c = &p.convention;
        eprintln!(
            "facesorter: {} on {}, recognizer {} ({}): {} mean {} std {} ({}), threshold {} ({})",
            engine.detector_model().display_name(),
            engine.provider(),
            engine.recognizer_model().display_name(),
            shown_path(&engine.recognizer_model().path),
            format!("{:?}", c.color_order).to_lowercase(),
            format_triplet(c.mean),
            format_triplet(c.std),
            p.sources.color_order.label(),
            p.threshold,
            p.sources.threshold.label(),
        );
    }
    Ok(engine)
}

/// Reports one failed input: a line on stderr, and an error object in JSON mode.
fn report_failure(path: &Path, err: &anyhow::Error, json: bool) {
    let message = chain(err.as_ref());
    // Photo errors already name the file; others get it in front.
    if message.contains(&path.display().to_string()) {
        eprintln!("facesorter: {}", terminal_safe(&message));
    } else {
        eprintln!(
            "facesorter: {}: {}",
            shown_path(path),
            terminal_safe(&message)
        );
    }
    if json {
        print_json(&ImageErrorJson {
            image: display_path(path),
            error: message,
        });
    }
}

pub fn detect(engine_args: &EngineArgs, args: &DetectArgs) -> anyhow::Result<ExitCode> {
    // Opened before the first photo: a model that cannot load is one error, not one per photo.
    let engine = DetectionEngine::open(engine_args.options()?, &locator()?)?;
    let mut failures = 0;
    for path in &args.images {
        let result = (|| -> anyhow::Result<ImageJson> {
            let photo = engine.load_photo(path)?;
            let faces = engine.detect(&photo.image)?;
            Ok(ImageJson {
                image: display_path(path),
                width: photo.image.width(),
                height: photo.image.height(),
                faces: faces.iter().map(FaceJson::detected).collect(),
            })
        })();
        match result {
            Ok(out) if args.json => print_json(&out),
            Ok(out) => print_faces_text(&out),
            Err(e) => {
                failures += 1;
                report_failure(path, &e, args.json);
            }
        }
    }
    Ok(exit_code(failures))
}

fn print_faces_text(out: &ImageJson) {
    println!(
        "{} ({}×{}): {} face(s)",
        terminal_safe(&out.image),
        out.width,
        out.height,
        out.faces.len()
    );
    for (i, f) in out.faces.iter().enumerate() {
        let b = FaceBox {
            x1: f.face_box[0],
            y1: f.face_box[1],
            x2: f.face_box[2],
            y2: f.face_box[3],
        };
        let quality = f
            .norm
            .map(|n| format!("  quality {n:.2}"))
            .unwrap_or_default();
        println!(
            "  #{i}  box {}  score {:.3}{quality}",
            box_text(&b),
            f.score
        );
    }
}

/// The faces of one photo for `embed`, honouring `--aligned` and `--landmarks`.
fn embed_one(
    engine: &FaceEngine,
    path: &Path,
    args: &EmbedArgs,
) -> anyhow::Result<(u32, u32, Vec<Face>)> {
    let photo = engine.load_photo(path)?;
    let (w, h) = photo.image.dimensions();
    let faces = if args.aligned {
        anyhow::ensure!(
            (w, h) == (CROP_SIZE, CROP_SIZE),
            "--aligned expects a {CROP_SIZE}×{CROP_SIZE} crop, this image is {w}×{h}"
        );
        let embedding = engine
            .embed_crops(std::slice::from_ref(&photo.image))?
            .remove(0);
        // An aligned crop is its own face: the whole image, the template's landmarks.
        let detection = DetectedFace {
            face_box: FaceBox {
                x1: 0.0,
                y1: 0.0,
                x2: w as f32,
                y2: h as f32,
            },
            score: 1.0,
            landmarks: facesorter_core::geometry::Landmarks(
                TEMPLATE_112.map(|t| PixelPoint::new(t.x, t.y)),
            ),
        };
        vec![Face {
            detection,
            embedding,
        }]
    } else if let Some(landmarks) = args.landmarks {
        let xs = landmarks.0.map(|p| p.x);
        let ys = landmarks.0.map(|p| p.y);
        let fold = |v: [f32; 5], f: fn(f32, f32) -> f32, init: f32| v.into_iter().fold(init, f);
        let face_box = FaceBox {
            x1: fold(xs, f32::min, f32::INFINITY),
            y1: fold(ys, f32::min, f32::INFINITY),
            x2: fold(xs, f32::max, f32::NEG_INFINITY),
            y2: fold(ys, f32::max, f32::NEG_INFINITY),
        };
        engine.embed_faces(
            &photo.image,
            &[DetectedFace {
                face_box,
                score: 1.0,
                landmarks,
            }],
        )?
    } else {
        engine.analyze(&photo.image)?
    };
    Ok((w, h, faces))
}

pub fn embed(engine_args: &EngineArgs, args: &EmbedArgs) -> anyhow::Result<ExitCode> {
    let engine = open_engine(engine_args)?;
    // Every photo needs both models: a model that cannot load is one error, not one per photo.
    engine.open_models()?;
    let mut failures = 0;
    for path in &args.images {
        match embed_one(&engine, path, args) {
            Ok((width, height, faces)) => {
                let out = ImageJson {
                    image: display_path(path),
                    width,
                    height,
                    faces: faces
                        .iter()
                        .map(|f| FaceJson::detected(&f.detection).with_embedding(&f.embedding))
                        .collect(),
                };
                if args.json {
                    print_json(&out);
                } else {
                    print_faces_text(&out);
                }
            }
            Err(e) => {
                failures += 1;
                report_failure(path, &e, args.json);
            }
        }
    }
    Ok(exit_code(failures))
}

pub fn compare(engine_args: &EngineArgs, args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let engine = open_engine(engine_args)?;
    engine.open_models()?;
    let mut failures = 0;
    let mut counts = Vec::new();
    let mut largest = Vec::new();
    for path in &args.images {
        let result = (|| -> anyhow::Result<(usize, Option<Face>)> {
            let photo = engine.load_photo(path)?;
            let faces = engine.detect(&photo.image)?;
            let Some(big) = faces
                .iter()
                .max_by(|a, b| a.face_box.area().total_cmp(&b.face_box.area()))
            else {
                return Ok((0, None));
            };
            let face = engine
                .embed_faces(&photo.image, std::slice::from_ref(big))?
                .remove(0);
            Ok((faces.len(), Some(face)))
        })();
        match result {
            Ok((n, face)) => {
                if face.is_none() {
                    failures += 1;
                    eprintln!("facesorter: {}: no face found", shown_path(path));
                }
                counts.push(n);
                largest.push(face);
            }
            Err(e) => {
                failures += 1;
                report_failure(path, &e, false);
                counts.push(0);
                largest.push(None);
            }
        }
    }
    let matrix: Vec<Vec<Option<f32>>> = largest
        .iter()
        .map(|a| {
            largest
                .iter()
                .map(|b| match (a, b) {
                    (Some(a), Some(b)) => Some(a.embedding.cosine(&b.embedding)),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let names: Vec<String> = args.images.iter().map(|p| display_path(p)).collect();
    if args.json {
        print_json(&CompareJson {
            images: names,
            faces: counts,
            matrix,
        });
    } else {
        print_matrix(&names, &matrix);
    }
    Ok(exit_code(failures))
}

/// The seed demo's similarity table, with file names for rows and columns.
fn print_matrix(names: &[String], matrix: &[Vec<Option<f32>>]) {
    let short: Vec<String> = names
        .iter()
        .map(|n| {
            Path::new(n)
                .file_name()
                .map(|f| terminal_safe(&f.to_string_lossy()))
                .unwrap_or_else(|| terminal_safe(n))
        })
        .collect();
    let width = short
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    print!("{:width$}", "");
    for s in &short {
        print!("  {s:>width$}");
    }
    println!();
    for (s, row) in short.iter().zip(matrix) {
        print!("{s:width$}");
        for v in row {
            match v {
                Some(v) => print!("  {v:>width$.4}"),
                None => print!("  {:>width$}", "-"),
            }
        }
        println!();
    }
}
