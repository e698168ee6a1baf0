//! `photo`: loading untrusted files safely, in displayed orientation, as RGB8.
//! Synthetic images are generated here at test time; real photos are read from ../shared.

mod common;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use facesorter_core::photo::{
    decode_photo, is_supported_extension, load_photo, Orientation, Photo, PhotoError,
    PhotoErrorKind, PhotoLimits, SizeLimit,
};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

fn limits() -> PhotoLimits {
    PhotoLimits::default()
}

/// The error, without printing a whole photo's pixels when there is none.
fn must_fail(result: Result<Photo, PhotoError>) -> PhotoError {
    match result {
        Ok(photo) => panic!(
            "expected an error, got a {:?} photo",
            photo.image.dimensions()
        ),
        Err(e) => e,
    }
}

fn load_err(path: &Path) -> PhotoError {
    must_fail(load_photo(path, &limits()))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

/// A smooth colour gradient: every pixel's value is predictable from its position.
fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / (width - 1)) as u8,
            (y * 255 / (height - 1)) as u8,
            128,
        ])
    })
}

fn assert_near(actual: [u8; 3], expected: [u8; 3], tolerance: u8, what: &str) {
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            a.abs_diff(e) <= tolerance,
            "{what}: got {actual:?}, expected {expected:?} ± {tolerance}"
        );
    }
}

/// Mean absolute difference per channel after both are shrunk to 64×64.
fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    use image::imageops::{resize, FilterType};
    let a = resize(a, 64, 64, FilterType::Triangle);
    let b = resize(b, 64, 64, FilterType::Triangle);
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

// ---- errors -------------------------------------------------------------------------------

#[test]
fn truncated_jpeg_is_refused_as_truncated() {
    let original = std::fs::read(common::shared("faces/deepface/img1.jpg")).expect("read img1");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "half.jpg", &original[..original.len() / 2]);

    // zune-jpeg would fill the missing half with grey; we refuse it instead so a half photo
    // never enters the gallery.
    let err = load_err(&path);
    assert!(
        matches!(err.kind, PhotoErrorKind::Truncated { .. }),
        "expected Truncated, got {err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
    assert!(message.contains("truncated"), "{message}");
}

#[test]
fn truncated_webp_and_png_are_refused_as_truncated() {
    // deepface's img47.jpg is really a WebP.
    let webp = std::fs::read(common::shared("faces/deepface/img47.jpg")).expect("read img47");
    assert_eq!(&webp[..4], b"RIFF");
    let png = encode(&DynamicImage::ImageRgb8(gradient(64, 64)), ImageFormat::Png);
    for (name, bytes) in [("WebP", webp), ("PNG", png)] {
        let err = must_fail(decode_photo(&bytes[..bytes.len() / 2], &limits()));
        assert!(
            matches!(err.kind, PhotoErrorKind::Truncated { .. }),
            "{name}: expected Truncated, got {err:?}"
        );
    }
}

#[test]
fn text_file_named_jpg_is_not_an_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "photo.jpg",
        b"Shopping list:\n- milk\n- bread\n",
    );
    let err = load_err(&path);
    assert!(
        matches!(
            err.kind,
            PhotoErrorKind::NotAnImage {
                looks_like_text: true
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("{}: not an image (text file?)", path.display())
    );
    assert_eq!(err.path(), Some(path.as_path()));
}

#[test]
fn binary_garbage_is_not_an_image_without_the_text_hint() {
    let err = must_fail(decode_photo(
        &[0x00, 0x9f, 0x13, 0x07, 0xff, 0x00, 0x42],
        &limits(),
    ));
    assert!(
        matches!(
            err,
            PhotoError {
                kind: PhotoErrorKind::NotAnImage {
                    looks_like_text: false
                },
                path: None
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "not an image");
}

#[test]
fn empty_file_is_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "empty.png", b"");
    let err = load_err(&path);
    assert!(matches!(err.kind, PhotoErrorKind::Empty), "{err:?}");
    assert!(err.to_string().contains("empty file"), "{err}");
    assert!(matches!(
        decode_photo(&[], &limits()),
        Err(PhotoError {
            kind: PhotoErrorKind::Empty,
            path: None
        })
    ));
}

#[test]
fn missing_file_and_folder_are_io_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.jpg");
    let err = load_err(&missing);
    match &err.kind {
        PhotoErrorKind::Io { error } => assert_eq!(error.kind(), std::io::ErrorKind::NotFound),
        other => panic!("expected Io, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!("{}: file not found", missing.display())
    );

    let err = load_err(dir.path());
    assert!(matches!(err.kind, PhotoErrorKind::Io { .. }), "{err:?}");
}

#[test]
fn file_over_the_byte_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().expect("tempdir");
    let png = encode(&DynamicImage::ImageRgb8(gradient(32, 32)), ImageFormat::Png);
    let path = write(dir.path(), "big.png", &png);
    let small = PhotoLimits {
        max_file_bytes: 100,
        ..limits()
    };
    let err = must_fail(load_photo(&path, &small));
    assert!(
        matches!(err.kind, PhotoErrorKind::FileTooLarge { bytes, limit: 100 } if bytes == png.len() as u64),
        "{err:?}"
    );
    assert!(load_photo(&path, &limits()).is_ok());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// PNG signature + a valid IHDR chunk, nothing else.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut chunk = b"IHDR".to_vec();
    chunk.extend(width.to_be_bytes());
    chunk.extend(height.to_be_bytes());
    chunk.extend([8, 2, 0, 0, 0]); // 8-bit RGB, deflate, adaptive filter, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(13u32.to_be_bytes());
    png.extend(&chunk);
    png.extend(crc32(&chunk).to_be_bytes());
    png
}

#[test]
fn png_declaring_50000_square_is_too_large_from_its_header() {
    assert_eq!(crc32(b"IEND"), 0xAE42_6082, "CRC helper");
    let bytes = png_header_only(50_000, 50_000);
    let start = Instant::now();
    let err = must_fail(decode_photo(&bytes, &limits()));
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
    assert!(
        matches!(
            err.kind,
            PhotoErrorKind::TooLarge {
                width: 50_000,
                height: 50_000,
                limit: SizeLimit::Width(20_000),
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("50000×50000"), "{err}");
}

#[test]
fn pixel_limit_is_checked_from_the_header() {
    // 19000×19000 passes the side limits but is 361 Mpx.
    let err = must_fail(decode_photo(&png_header_only(19_000, 19_000), &limits()));
    assert!(
        matches!(
            err.kind,
            PhotoErrorKind::TooLarge {
                limit: SizeLimit::Pixels(200_000_000),
                ..
            }
        ),
        "{err:?}"
    );

    let jpeg = encode(
        &DynamicImage::ImageRgb8(gradient(40, 30)),
        ImageFormat::Jpeg,
    );
    let tight = PhotoLimits {
        max_pixels: 1000,
        ..limits()
    };
    let err = must_fail(decode_photo(&jpeg, &tight));
    assert!(
        matches!(
            err.kind,
            PhotoErrorKind::TooLarge {
                width: 40,
                height: 30,
                limit: SizeLimit::Pixels(1000),
            }
        ),
        "{err:?}"
    );
    let narrow = PhotoLimits {
        max_height: 20,
        ..limits()
    };
    let err = must_fail(decode_photo(&jpeg, &narrow));
    assert!(
        matches!(
            err.kind,
            PhotoErrorKind::TooLarge {
                width: 40,
                height: 30,
                limit: SizeLimit::Height(20),
            }
        ),
        "{err:?}"
    );
}

#[test]
fn known_but_unaccepted_format_is_unsupported() {
    // A whole 1×1 GIF, written out: the image crate is built without a GIF codec.
    let gif: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    let err = must_fail(decode_photo(gif, &limits()));
    assert!(
        matches!(&err.kind, PhotoErrorKind::UnsupportedFormat { format } if format == "GIF"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "GIF images are not supported");
}

#[test]
fn damaged_inputs_never_panic() {
    let jpeg = encode(
        &DynamicImage::ImageRgb8(gradient(48, 40)),
        ImageFormat::Jpeg,
    );
    let png = encode(&DynamicImage::ImageRgb8(gradient(48, 40)), ImageFormat::Png);
    for original in [jpeg, png] {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for i in 0..300 {
            let mut bytes = original.clone();
            // Keep the signature so the decoders, not the sniffer, see the damage.
            for _ in 0..1 + i % 4 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = 8 + (seed as usize) % (bytes.len() - 8);
                bytes[at] = (seed >> 32) as u8;
            }
            if i % 3 == 0 {
                bytes.truncate(8 + (seed as usize >> 8) % (bytes.len() - 8));
            }
            if let Ok(photo) = decode_photo(&bytes, &limits()) {
                assert_eq!(photo.image.dimensions(), photo.original_size);
            }
        }
    }
}

// ---- colour layouts -----------------------------------------------------------------------

#[test]
fn grayscale_jpeg_decodes_to_grey_rgb() {
    let gray = image::GrayImage::from_fn(64, 32, |x, _| image::Luma([(x * 4) as u8]));
    let jpeg = encode(&DynamicImage::ImageLuma8(gray), ImageFormat::Jpeg);
    let photo = decode_photo(&jpeg, &limits()).expect("grayscale JPEG");
    assert_eq!(photo.image.dimensions(), (64, 32));
    for x in [4, 32, 60] {
        let v = (x * 4) as u8;
        assert_near(photo.image.get_pixel(x, 16).0, [v, v, v], 6, "grey ramp");
    }
}

/// Four flat quadrants, each an ink mix that has one obvious RGB meaning.
fn cmyk_quadrants(size: u16) -> Vec<u8> {
    let mut data = Vec::new();
    for y in 0..size {
        for x in 0..size {
            let cmyk = match (x < size / 2, y < size / 2) {
                (true, true) => [0, 255, 255, 0],  // red
                (false, true) => [255, 0, 255, 0], // green
                (true, false) => [255, 255, 0, 0], // blue
                (false, false) => [0, 0, 0, 255],  // black
            };
            data.extend(cmyk);
        }
    }
    data
}

#[test]
fn cmyk_jpeg_decodes_to_rgb() {
    // jpeg-encoder writes Adobe-style (inverted, APP14) CMYK, as Photoshop does.
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 95)
        .encode(&cmyk_quadrants(32), 32, 32, jpeg_encoder::ColorType::Cmyk)
        .expect("encode CMYK");
    let photo = decode_photo(&jpeg, &limits()).expect("CMYK JPEG");
    assert_eq!(photo.image.dimensions(), (32, 32));
    let px = |x, y| photo.image.get_pixel(x, y).0;
    assert_near(px(8, 8), [255, 0, 0], 24, "red quadrant");
    assert_near(px(24, 8), [0, 255, 0], 24, "green quadrant");
    assert_near(px(8, 24), [0, 0, 255], 24, "blue quadrant");
    assert_near(px(24, 24), [0, 0, 0], 24, "black quadrant");
}

#[test]
fn progressive_jpeg_decodes() {
    let source = gradient(80, 60);
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 95);
    encoder.set_progressive(true);
    encoder
        .encode(source.as_raw(), 80, 60, jpeg_encoder::ColorType::Rgb)
        .expect("encode progressive");
    // SOF2 marks a progressive frame: make sure the fixture really is one.
    assert!(
        jpeg.windows(2).any(|w| w == [0xFF, 0xC2]),
        "not progressive"
    );
    let photo = decode_photo(&jpeg, &limits()).expect("progressive JPEG");
    assert_eq!(photo.image.dimensions(), (80, 60));
    for (x, y) in [(10, 10), (40, 30), (70, 50)] {
        assert_near(
            photo.image.get_pixel(x, y).0,
            source.get_pixel(x, y).0,
            8,
            "gradient",
        );
    }
}

#[test]
fn sixteen_bit_png_decodes_to_8_bit() {
    let deep = image::ImageBuffer::<Rgb<u16>, _>::from_fn(20, 10, |x, y| {
        Rgb([(x * 3000) as u16, (y * 6000) as u16, 0xFFFF])
    });
    let png = encode(&DynamicImage::ImageRgb16(deep), ImageFormat::Png);
    let photo = decode_photo(&png, &limits()).expect("16-bit PNG");
    assert_eq!(photo.image.dimensions(), (20, 10));
    // 16 → 8 bits is a rounding of v / 257.
    let expect = |v: u32| ((v + 128) / 257) as u8;
    assert_near(
        photo.image.get_pixel(10, 5).0,
        [expect(30_000), expect(30_000), 255],
        1,
        "16-bit pixel",
    );
}

#[test]
fn palette_png_decodes_to_its_colours() {
    let palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0];
    let (w, h) = (16u32, 8u32);
    let indices: Vec<u8> = (0..w * h).map(|i| ((i % w) / 4) as u8).collect();
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, w, h);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_palette(palette.to_vec());
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(&indices).expect("data");
    }
    let photo = decode_photo(&png, &limits()).expect("palette PNG");
    assert_eq!(photo.image.dimensions(), (w, h));
    assert_eq!(photo.image.get_pixel(1, 3).0, [255, 0, 0]);
    assert_eq!(photo.image.get_pixel(5, 3).0, [0, 255, 0]);
    assert_eq!(photo.image.get_pixel(9, 3).0, [0, 0, 255]);
    assert_eq!(photo.image.get_pixel(14, 7).0, [255, 255, 0]);
}

#[test]
fn alpha_is_composited_over_white() {
    let rgba = image::RgbaImage::from_fn(4, 1, |x, _| match x {
        0 => image::Rgba([0, 0, 0, 0]),      // fully transparent black
        1 => image::Rgba([255, 0, 0, 128]),  // half red
        2 => image::Rgba([10, 20, 30, 255]), // opaque
        _ => image::Rgba([0, 0, 255, 64]),   // quarter blue
    });
    let png = encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png);
    let photo = decode_photo(&png, &limits()).expect("RGBA PNG");
    let px = |x| photo.image.get_pixel(x, 0).0;
    assert_eq!(px(0), [255, 255, 255]);
    assert_eq!(px(1), [255, 127, 127]);
    assert_eq!(px(2), [10, 20, 30]);
    assert_eq!(px(3), [191, 191, 255]);
}

#[test]
fn other_formats_load_by_content_not_extension() {
    let source = DynamicImage::ImageRgb8(gradient(24, 16));
    let dir = tempfile::tempdir().expect("tempdir");
    for (format, name) in [
        (ImageFormat::Png, "really_png.jpg"),
        (ImageFormat::Bmp, "really_bmp.png"),
        (ImageFormat::Tiff, "really_tiff.webp"),
        (ImageFormat::WebP, "really_webp.tif"),
    ] {
        let path = write(dir.path(), name, &encode(&source, format));
        let photo = load_photo(&path, &limits()).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!(photo.image.dimensions(), (24, 16), "{format:?}");
        // All four are lossless here.
        assert_eq!(
            photo.image.get_pixel(23, 15),
            source.as_rgb8().expect("rgb").get_pixel(23, 15)
        );
        assert_eq!(photo.orientation, Orientation::NoTransforms);
    }
}

// ---- EXIF orientation ---------------------------------------------------------------------

/// An APP1 segment holding a little-endian TIFF with a single IFD0 entry: Orientation.
fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes()); // IFD0 right after the header
    tiff.extend(1u16.to_le_bytes()); // one entry
    tiff.extend(0x0112u16.to_le_bytes()); // Orientation
    tiff.extend(3u16.to_le_bytes()); // SHORT
    tiff.extend(1u32.to_le_bytes()); // count
    tiff.extend(orientation.to_le_bytes());
    tiff.extend([0, 0]); // value padding
    tiff.extend(0u32.to_le_bytes()); // no next IFD
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend(((payload.len() + 2) as u16).to_be_bytes());
    segment.extend(payload);
    segment
}

/// Stores `displayed` as a camera would: pixels turned by `store`, tagged with `orientation`.
fn exif_jpeg(displayed: &RgbImage, store: fn(&RgbImage) -> RgbImage, orientation: u16) -> Vec<u8> {
    let stored = DynamicImage::ImageRgb8(store(displayed));
    let jpeg = encode(&stored, ImageFormat::Jpeg);
    assert_eq!(&jpeg[..2], [0xFF, 0xD8]);
    let mut out = jpeg[..2].to_vec();
    out.extend(exif_app1(orientation));
    out.extend(&jpeg[2..]);
    out
}

fn check_orientation(tag: u16, store: fn(&RgbImage) -> RgbImage, expected: Orientation) {
    let original_path = common::shared("faces/deepface/img12.jpg");
    let original = image::open(&original_path)
        .expect("open original")
        .to_rgb8();
    let (w, h) = original.dimensions();
    let bytes = exif_jpeg(&original, store, tag);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "rotated.jpg", &bytes);

    let Photo {
        image,
        orientation,
        original_size,
    } = load_photo(&path, &limits()).expect("rotated JPEG");
    assert_eq!(orientation, expected);
    assert_eq!(
        image.dimensions(),
        (w, h),
        "displayed size is the original's"
    );
    let stored = store(&original);
    assert_eq!(original_size, stored.dimensions());
    let diff = mean_abs_diff(&image, &original);
    assert!(diff < 4.0, "orientation {tag}: mean abs diff {diff:.2}");
    // Guard against a vacuous pass: the stored pixels really differ from the original.
    if stored.dimensions() == (w, h) {
        assert!(mean_abs_diff(&stored, &original) > 4.0 * diff.max(1.0));
    }
}

#[test]
fn exif_orientation_6_is_turned_upright() {
    // 6 = "rotate 90° clockwise to display", so the sensor stored it turned counter-clockwise.
    check_orientation(6, image::imageops::rotate270, Orientation::Rotate90);
}

#[test]
fn exif_orientation_8_is_turned_upright() {
    check_orientation(8, image::imageops::rotate90, Orientation::Rotate270);
}

#[test]
fn exif_orientation_3_is_turned_upright() {
    check_orientation(3, image::imageops::rotate180, Orientation::Rotate180);
}

#[test]
fn real_photo_loads_from_disk_and_memory_alike() {
    let path = common::shared("faces/deepface/img1.jpg");
    let from_disk = load_photo(&path, &limits()).expect("img1");
    let bytes = std::fs::read(&path).expect("read");
    let from_memory = decode_photo(&bytes, &limits()).expect("img1 bytes");
    assert_eq!(from_disk.image, from_memory.image);
    assert_eq!(from_disk.image.dimensions(), from_disk.original_size);
    let reference = image::open(&path).expect("image::open").to_rgb8();
    assert_eq!(from_disk.image, reference);

    // A WebP named .jpg: image::open would trust the extension and fail; we go by content.
    let webp_path = common::shared("faces/deepface/img47.jpg");
    assert!(image::open(&webp_path).is_err());
    let webp = load_photo(&webp_path, &limits()).expect("img47 (WebP)");
    assert_eq!(webp.image.dimensions(), (1350, 1800));
}

// ---- extensions ---------------------------------------------------------------------------

#[test]
fn supported_extensions_in_any_case() {
    for name in [
        "a.jpg",
        "a.JPG",
        "a.jpeg",
        "b.JpEg",
        "c.png",
        "c.PNG",
        "d.webp",
        "e.bmp",
        "f.tif",
        "g.TIFF",
        "dir.x/h.Jpg",
    ] {
        assert!(is_supported_extension(Path::new(name)), "{name}");
    }
    for name in [
        "a.gif",
        "a.txt",
        "jpg",
        ".jpg",
        "a.jpg.bak",
        "a",
        "a.heic",
        "a.jp g",
        "a.",
    ] {
        assert!(!is_supported_extension(Path::new(name)), "{name}");
    }
}
