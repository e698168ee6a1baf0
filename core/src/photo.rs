//! Loading a photo from disk (or memory) safely, in its displayed orientation.
//!
//! Every input is untrusted: sizes are checked against [`PhotoLimits`] from the header before
//! any pixel buffer is allocated, the format is taken from the content (not the extension),
//! and a panicking decoder is turned into an error instead of taking the scan down.

use std::fmt;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};

pub use image::metadata::Orientation;

/// What a photo may cost before it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhotoLimits {
    pub max_width: u32,
    pub max_height: u32,
    /// Width × height, as stored.
    pub max_pixels: u64,
    /// Size of the file (or byte buffer) itself.
    pub max_file_bytes: u64,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        Self {
            max_width: 20_000,
            max_height: 20_000,
            // The largest phone sensors (16320×12240 ≈ 199.8 Mpx) still fit.
            max_pixels: 200_000_000,
            max_file_bytes: 512 * 1024 * 1024,
        }
    }
}

impl PhotoLimits {
    /// Bytes a decoder may allocate: enough for the widest layout we accept (16-bit RGBA,
    /// 8 bytes a pixel) at the pixel limit.
    fn max_alloc(&self) -> u64 {
        self.max_pixels.saturating_mul(8)
    }

    fn to_image_limits(self) -> image::Limits {
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(self.max_width);
        limits.max_image_height = Some(self.max_height);
        limits.max_alloc = Some(self.max_alloc());
        limits
    }

    fn check(&self, width: u32, height: u32) -> Result<(), SizeLimit> {
        if width > self.max_width {
            Err(SizeLimit::Width(self.max_width))
        } else if height > self.max_height {
            Err(SizeLimit::Height(self.max_height))
        } else if u64::from(width) * u64::from(height) > self.max_pixels {
            Err(SizeLimit::Pixels(self.max_pixels))
        } else {
            Ok(())
        }
    }
}

/// A decoded photo.
#[derive(Debug, Clone)]
pub struct Photo {
    /// RGB8 pixels in displayed orientation (EXIF orientation applied, alpha composited
    /// over white).
    pub image: RgbImage,
    /// The EXIF orientation that was found and applied (`NoTransforms` when absent).
    pub orientation: Orientation,
    /// Width and height as stored in the file, before the orientation was applied.
    pub original_size: (u32, u32),
}

/// Which limit a photo exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeLimit {
    Width(u32),
    Height(u32),
    Pixels(u64),
    /// Bytes the decoder would need.
    Memory(u64),
}

impl fmt::Display for SizeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Width(w) => write!(f, "width {w} px"),
            Self::Height(h) => write!(f, "height {h} px"),
            Self::Pixels(p) => write!(f, "{:.1} megapixels", *p as f64 / 1e6),
            Self::Memory(b) => write!(f, "{} MiB of memory", b / (1024 * 1024)),
        }
    }
}

/// Why a photo could not be loaded: the file (when known) and what was wrong with it. One
/// line, naming the file; an I/O cause is [`source`](std::error::Error::source).
#[derive(Debug)]
pub struct PhotoError {
    /// The file, when the photo came from [`load_photo`] (not from bytes in memory).
    pub path: Option<PathBuf>,
    pub kind: PhotoErrorKind,
}

/// What was wrong with a photo.
#[derive(Debug, thiserror::Error)]
pub enum PhotoErrorKind {
    /// Common kinds are said in words; any other I/O error is the `source()`.
    #[error("{}", io_text(error).unwrap_or("cannot read"))]
    Io { error: io::Error },
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("file is too big ({} MiB, limit {} MiB)", bytes / MIB, limit / MIB)]
    FileTooLarge { bytes: u64, limit: u64 },
    #[error("not an image{}", if *looks_like_text { " (text file?)" } else { "" })]
    NotAnImage { looks_like_text: bool },
    #[error("{format} images are not supported")]
    UnsupportedFormat { format: String },
    #[error("image is too large ({width}×{height}, limit: {limit})")]
    TooLarge {
        width: u32,
        height: u32,
        limit: SizeLimit,
    },
    #[error("image is truncated ({message})")]
    Truncated { message: String },
    #[error("image is damaged ({message})")]
    Corrupt { message: String },
}

const MIB: u64 = 1024 * 1024;

/// Words for the I/O errors a user meets; `None` for the rest.
fn io_text(e: &io::Error) -> Option<&'static str> {
    match e.kind() {
        io::ErrorKind::NotFound => Some("file not found"),
        io::ErrorKind::PermissionDenied => Some("permission denied"),
        io::ErrorKind::IsADirectory => Some("is a folder, not a file"),
        _ => None,
    }
}

impl fmt::Display for PhotoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}: {}", p.display(), self.kind),
            None => self.kind.fmt(f),
        }
    }
}

impl std::error::Error for PhotoError {
    // The kind's text is already this error's message; only an I/O error not put into
    // words there is a further cause.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            PhotoErrorKind::Io { error } if io_text(error).is_none() => Some(error),
            _ => None,
        }
    }
}

impl From<PhotoErrorKind> for PhotoError {
    fn from(kind: PhotoErrorKind) -> Self {
        Self { path: None, kind }
    }
}

impl PhotoError {
    /// The file the error is about, if it came from [`load_photo`].
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn at(kind: PhotoErrorKind, path: &Path) -> Self {
        Self {
            path: Some(path.to_path_buf()),
            kind,
        }
    }
}

/// Extensions offered when scanning folders. Loading itself goes by content.
pub const SUPPORTED_EXTENSIONS: [&str; 7] = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff"];

/// Whether `path` has one of [`SUPPORTED_EXTENSIONS`], in any letter case.
pub fn is_supported_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        SUPPORTED_EXTENSIONS
            .iter()
            .any(|s| s.eq_ignore_ascii_case(e))
    })
}

/// Loads the photo at `path` in its displayed orientation, as RGB8.
pub fn load_photo(path: &Path, limits: &PhotoLimits) -> Result<Photo, PhotoError> {
    let bytes = read_limited(path, limits).map_err(|kind| PhotoError::at(kind, path))?;
    decode_photo_from(path, &bytes, limits)
}

/// Reads a photo file's bytes (refusing empty files and files over the size limit)
/// without decoding them: the indexer hashes the bytes before deciding to decode.
pub fn read_photo_bytes(path: &Path, limits: &PhotoLimits) -> Result<Vec<u8>, PhotoError> {
    read_limited(path, limits).map_err(|kind| PhotoError::at(kind, path))
}

/// Decodes bytes read from `path`; errors name the file.
pub fn decode_photo_from(
    path: &Path,
    bytes: &[u8],
    limits: &PhotoLimits,
) -> Result<Photo, PhotoError> {
    decode_kind(bytes, limits).map_err(|kind| PhotoError::at(kind, path))
}

/// Like [`load_photo`], for bytes already in memory (clipboard, tests).
pub fn decode_photo(bytes: &[u8], limits: &PhotoLimits) -> Result<Photo, PhotoError> {
    Ok(decode_kind(bytes, limits)?)
}

fn decode_kind(bytes: &[u8], limits: &PhotoLimits) -> Result<Photo, PhotoErrorKind> {
    if bytes.is_empty() {
        return Err(PhotoErrorKind::Empty);
    }
    let len = bytes.len() as u64;
    if len > limits.max_file_bytes {
        return Err(PhotoErrorKind::FileTooLarge {
            bytes: len,
            limit: limits.max_file_bytes,
        });
    }
    let format = guess_format(bytes)?;
    // Decoders are third-party code fed untrusted bytes: a panic is one more bad file.
    panic::catch_unwind(AssertUnwindSafe(|| decode_checked(bytes, format, limits))).unwrap_or_else(
        |payload| {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "decoder panicked".into());
            Err(PhotoErrorKind::Corrupt { message })
        },
    )
}

/// Reads the whole file, refusing it by its size before reading.
fn read_limited(path: &Path, limits: &PhotoLimits) -> Result<Vec<u8>, PhotoErrorKind> {
    let io_err = |error| PhotoErrorKind::Io { error };
    let file = File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if meta.is_dir() {
        return Err(io_err(io::Error::from(io::ErrorKind::IsADirectory)));
    }
    let too_large = |bytes| PhotoErrorKind::FileTooLarge {
        bytes,
        limit: limits.max_file_bytes,
    };
    if meta.len() > limits.max_file_bytes {
        return Err(too_large(meta.len()));
    }
    if meta.len() == 0 {
        return Err(PhotoErrorKind::Empty);
    }
    // The file may grow between the check and the read: read at most one byte past the limit.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn guess_format(bytes: &[u8]) -> Result<ImageFormat, PhotoErrorKind> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| PhotoErrorKind::Io { error })?;
    match reader.format() {
        Some(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP))
        | Some(f @ (ImageFormat::Bmp | ImageFormat::Tiff)) => Ok(f),
        Some(other) => Err(PhotoErrorKind::UnsupportedFormat {
            format: other
                .extensions_str()
                .first()
                .map_or_else(|| format!("{other:?}"), |ext| ext.to_ascii_uppercase()),
        }),
        None => Err(PhotoErrorKind::NotAnImage {
            looks_like_text: looks_like_text(bytes),
        }),
    }
}

/// Printable UTF-8 in the first KiB: enough to tell a user it is a text file.
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let text = match std::str::from_utf8(head) {
        Ok(s) => s,
        // A multi-byte character cut at the 1 KiB boundary is still text.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty()
        && text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{feff}'))
}

fn reader(bytes: &[u8], format: ImageFormat, limits: image::Limits) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    reader
}

fn decode_checked(
    bytes: &[u8],
    format: ImageFormat,
    limits: &PhotoLimits,
) -> Result<Photo, PhotoErrorKind> {
    // The PNG decoder reads on to the first IDAT before reporting a size, so a PNG's
    // declared size is checked straight from IHDR first.
    if let Some((width, height)) = png_ihdr_dimensions(bytes) {
        limits
            .check(width, height)
            .map_err(|limit| PhotoErrorKind::TooLarge {
                width,
                height,
                limit,
            })?;
    }
    // Header only, with the limits already set: a huge declared size fails here, unallocated.
    let (width, height) = match reader(bytes, format, limits.to_image_limits()).into_dimensions() {
        Ok(dims) => dims,
        Err(ImageError::Limits(e)) => {
            return Err(match declared_dimensions(bytes, format) {
                Some((width, height)) => PhotoErrorKind::TooLarge {
                    width,
                    height,
                    limit: limits
                        .check(width, height)
                        .err()
                        .unwrap_or(SizeLimit::Memory(limits.max_alloc())),
                },
                None => PhotoErrorKind::Corrupt {
                    message: e.to_string(),
                },
            })
        }
        Err(e) => return Err(decode_error(e)),
    };
    let too_large = |limit| PhotoErrorKind::TooLarge {
        width,
        height,
        limit,
    };
    limits.check(width, height).map_err(too_large)?;

    if is_truncated(bytes, format) {
        return Err(PhotoErrorKind::Truncated {
            message: "the data ends before the end of the image".into(),
        });
    }

    let mut decoder = reader(bytes, format, limits.to_image_limits())
        .into_decoder()
        .map_err(decode_error)?;
    if decoder.total_bytes() > limits.max_alloc() {
        return Err(too_large(SizeLimit::Memory(limits.max_alloc())));
    }
    // Bad EXIF must not cost the photo: fall back to the stored orientation.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        ImageError::Limits(_) => too_large(SizeLimit::Memory(limits.max_alloc())),
        e => decode_error(e),
    })?;
    image.apply_orientation(orientation);
    Ok(Photo {
        image: to_rgb8(image),
        orientation,
        original_size: (width, height),
    })
}

/// Size from the header when the decoder refused it by its limits, for the message.
fn declared_dimensions(bytes: &[u8], format: ImageFormat) -> Option<(u32, u32)> {
    if format == ImageFormat::Png {
        return png_ihdr_dimensions(bytes);
    }
    let mut unlimited = image::Limits::default();
    unlimited.max_image_width = None;
    unlimited.max_image_height = None;
    reader(bytes, format, unlimited).into_dimensions().ok()
}

/// Width and height from a PNG's IHDR, which must be its first chunk.
fn png_ihdr_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return None;
    }
    let ihdr = bytes.get(12..24).filter(|b| b.starts_with(b"IHDR"))?;
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&ihdr[4..8]), be(&ihdr[8..12])))
}

/// Whether the data ends before the image does, where the container says so cheaply.
fn is_truncated(bytes: &[u8], format: ImageFormat) -> bool {
    match format {
        ImageFormat::Jpeg => jpeg_is_truncated(bytes),
        // The RIFF header holds the size of the rest; image-webp only says "corrupt".
        ImageFormat::WebP => bytes.get(4..8).is_some_and(|n| {
            u64::from(u32::from_le_bytes([n[0], n[1], n[2], n[3]])) + 8 > bytes.len() as u64
        }),
        _ => false,
    }
}

/// Whether a JPEG's data ends before the EOI marker of its main image. zune-jpeg fills a
/// cut-off scan with grey instead of failing, and half a photo must not pass as a photo.
/// Walks the segments (skipping APPn, so an EXIF thumbnail's EOI does not count); anything
/// malformed rather than short is left to the decoder.
fn jpeg_is_truncated(b: &[u8]) -> bool {
    let mut i = 2; // after SOI
    loop {
        if b.get(i) != Some(&0xFF) {
            return i >= b.len();
        }
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&code) = b.get(i) else { return true };
        i += 1;
        match code {
            0xD9 => return false,           // EOI
            0x01 | 0xD0..=0xD7 => continue, // no length
            _ => {}
        }
        let Some(len) = b.get(i..i + 2) else {
            return true;
        };
        i += usize::from(u16::from_be_bytes([len[0], len[1]]));
        if i > b.len() {
            return true;
        }
        if code == 0xDA {
            // Entropy-coded data runs to the next marker other than a stuffed zero or RSTn.
            loop {
                let Some(at) = b[i..].iter().position(|&x| x == 0xFF) else {
                    return true;
                };
                i += at;
                match b.get(i + 1) {
                    None => return true,
                    Some(0x00 | 0xD0..=0xD7) => i += 2,
                    Some(0xFF) => i += 1,
                    Some(_) => break,
                }
            }
        }
    }
}

fn decode_error(e: ImageError) -> PhotoErrorKind {
    let truncated = match &e {
        ImageError::IoError(io) => io.kind() == io::ErrorKind::UnexpectedEof,
        other => {
            let text = other.to_string().to_ascii_lowercase();
            text.contains("eof") || text.contains("end of file") || text.contains("no more data")
        }
    };
    let message = e.to_string();
    if truncated {
        PhotoErrorKind::Truncated { message }
    } else {
        PhotoErrorKind::Corrupt { message }
    }
}

/// RGB8; transparent pixels are composited over white, where a face detector sees background.
fn to_rgb8(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}
