//! The flags, as clap sees them, and their translation into engine options.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use facesorter_core::align::AlignMethod;
use facesorter_core::detect::DetectorParams;
use facesorter_core::engine::EngineOptions;
use facesorter_core::export::PairSize;
use facesorter_core::geometry::Landmarks;
use facesorter_core::models::{self, ColorOrder, ModelSpec, RecognizerOverrides};
use facesorter_core::people::sort::LinkMode;
use facesorter_core::people::PersonId;
use facesorter_core::runtime::{ExecutionProviderKind, Precision, ProviderRequest};
use facesorter_core::search::Threshold;

#[derive(Debug, Parser)]
#[command(
    name = "facesorter",
    version,
    about = "Sort a photo album by face (YuNet + AdaFace on ONNX Runtime)."
)]
pub struct Cli {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Open the window with this gallery folder (no subcommand).
    #[arg(long, value_name = "DIR")]
    pub gallery: Option<PathBuf>,
    /// Open the window with this probe photo; repeat for more photos of the person.
    #[arg(long, value_name = "FILE")]
    pub probe: Vec<PathBuf>,
    /// Open the window on the People view (the gallery's persons).
    #[arg(long)]
    pub people: bool,
    /// The recognizer's verification threshold for this window: the people are clustered
    /// with it (as `people --threshold`) and the Find slider starts there.
    #[arg(long, value_name = "T")]
    pub threshold: Option<f32>,
    /// Folders and photos to open in the window (no subcommand): a folder as the gallery,
    /// photos as probes; photos alone open with the last gallery. What the desktop's
    /// "Open with FaceSorter" passes.
    #[arg(value_name = "DIR|PHOTO")]
    pub paths: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find faces: box, score and 5 landmarks per face.
    Detect(DetectArgs),
    /// Find faces and embed them with AdaFace (unit embedding + quality norm).
    Embed(EmbedArgs),
    /// Cosine similarity matrix of the largest face of each photo.
    Compare(CompareArgs),
    /// List, download or verify the known models.
    Models(ModelsArgs),
    /// Index a gallery folder (every face of every photo) into its cache.
    Index(IndexArgs),
    /// Find the person of each probe photo in a gallery folder.
    Find(FindArgs),
    /// Group every face of a gallery into persons (indexing it first when needed), list
    /// them, or correct them.
    People(PeopleArgs),
    /// Sort a gallery into a folder per person (hard links by default).
    Sort(SortArgs),
    /// Write the man pages and shell completions (generated from these definitions) into a
    /// folder; run by scripts/package.sh.
    #[command(hide = true, name = "generate-package-files")]
    GeneratePackageFiles {
        /// The folder to write `man/` and `completions/` into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// Options shared by every command that runs the models.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Recognizer: a manifest id (adaface-ir101, adaface-ir18) or an .onnx path.
    #[arg(long, global = true, value_name = "ID|PATH")]
    pub model: Option<String>,
    /// Detector: a manifest id (yunet-2023mar) or an .onnx path.
    #[arg(long, global = true, value_name = "ID|PATH")]
    pub detector: Option<String>,
    /// Execution provider (default: CUDA if present, else OpenVINO, else plain CPU).
    #[arg(long, global = true, value_name = "cpu|openvino|cuda")]
    pub ep: Option<ExecutionProviderKind>,
    /// Inference precision (default: bf16 with OpenVINO on CPUs with AMX/AVX512-BF16, else fp32).
    #[arg(long, global = true, value_name = "fp32|bf16")]
    pub precision: Option<Precision>,
    /// Face alignment: umeyama (least squares) or reference (the AdaFace demo's cp2tform).
    #[arg(long, global = true, value_name = "umeyama|reference")]
    pub align: Option<AlignMethod>,
    /// Detector score threshold.
    #[arg(long, global = true, default_value_t = DetectorParams::default().score_threshold)]
    pub score_threshold: f32,
    /// Detector NMS IoU threshold.
    #[arg(long, global = true, default_value_t = DetectorParams::default().nms_threshold)]
    pub nms_threshold: f32,
    /// Smallest face searched for, in pixels of the original photo.
    #[arg(long, global = true, default_value_t = DetectorParams::default().min_face_px)]
    pub min_face: f32,
    /// Faces per recognizer call.
    #[arg(long, global = true)]
    pub batch: Option<usize>,
    /// Color order of the recognizer's input (overrides its sidecar NAME.toml).
    #[arg(long, global = true, value_parser = parse_color_order, value_name = "bgr|rgb")]
    pub color_order: Option<ColorOrder>,
    /// Per-channel mean of the recognizer's input, one value or three, comma-separated
    /// (overrides its sidecar).
    #[arg(long, global = true, value_name = "M[,M,M]")]
    pub mean: Option<String>,
    /// Per-channel std of the recognizer's input, one value or three, comma-separated
    /// (overrides its sidecar).
    #[arg(long, global = true, value_name = "S[,S,S]")]
    pub std: Option<String>,
    /// Show details of errors.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

fn parse_color_order(s: &str) -> Result<ColorOrder, String> {
    match s.to_ascii_lowercase().as_str() {
        "bgr" => Ok(ColorOrder::Bgr),
        "rgb" => Ok(ColorOrder::Rgb),
        _ => Err(format!("unknown color order '{s}' (expected bgr or rgb)")),
    }
}

fn parse_triplet(s: &str, what: &str) -> anyhow::Result<[f32; 3]> {
    models::parse_triplet(s)
        .with_context(|| format!("--{what} takes one or three numbers, comma-separated, got '{s}'"))
}

impl EngineArgs {
    /// Whether any engine flag was given (then it overrides the window's saved settings).
    #[cfg_attr(not(feature = "window"), allow(dead_code))]
    pub fn any_given(&self) -> bool {
        let d = DetectorParams::default();
        self.model.is_some()
            || self.detector.is_some()
            || self.ep.is_some()
            || self.precision.is_some()
            || self.align.is_some()
            || self.batch.is_some()
            || self.color_order.is_some()
            || self.mean.is_some()
            || self.std.is_some()
            || self.score_threshold != d.score_threshold
            || self.nms_threshold != d.nms_threshold
            || self.min_face != d.min_face_px
    }

    pub fn options(&self) -> anyhow::Result<EngineOptions> {
        // Only what was given: the rest comes from the model's sidecar or the defaults
        // (RecognizerProfile::resolve).
        let std = self
            .std
            .as_deref()
            .map(|s| parse_triplet(s, "std"))
            .transpose()?;
        if std.is_some_and(|s| s.contains(&0.0)) {
            bail!("--std must not be zero");
        }
        let overrides = RecognizerOverrides {
            color_order: self.color_order,
            mean: self
                .mean
                .as_deref()
                .map(|m| parse_triplet(m, "mean"))
                .transpose()?,
            std,
            ..RecognizerOverrides::default()
        };
        Ok(EngineOptions {
            provider: ProviderRequest {
                ep: self.ep,
                precision: self.precision,
            },
            detector: self.detector.as_deref().map(ModelSpec::parse),
            recognizer: self.model.as_deref().map(ModelSpec::parse),
            recognizer_overrides: overrides,
            detector_params: DetectorParams {
                score_threshold: self.score_threshold,
                nms_threshold: self.nms_threshold,
                min_face_px: self.min_face,
                ..DetectorParams::default()
            },
            align: self.align.unwrap_or_default(),
            batch: self.batch,
            ..EngineOptions::default()
        })
    }
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Photos to read.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// One JSON object per image, one per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EmbedArgs {
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// Each image is already an aligned 112×112 crop (one face, no detection).
    #[arg(long, conflicts_with = "landmarks")]
    pub aligned: bool,
    /// Use these 5 points (x1,y1,…,x5,y5 in template order) instead of detecting.
    #[arg(long, value_parser = parse_landmarks, allow_hyphen_values = true)]
    pub landmarks: Option<Landmarks>,
    #[arg(long)]
    pub json: bool,
}

fn parse_landmarks(s: &str) -> Result<Landmarks, String> {
    let v: Vec<f32> = s
        .split(',')
        .map(|p| p.trim().parse::<f32>().map_err(|e| format!("'{p}': {e}")))
        .collect::<Result<_, _>>()?;
    let arr: [f32; 10] = v
        .try_into()
        .map_err(|v: Vec<f32>| format!("expected 10 numbers (x1,y1,…,x5,y5), got {}", v.len()))?;
    if arr.iter().any(|x| !x.is_finite()) {
        return Err("landmarks must be finite numbers".into());
    }
    Ok(Landmarks::from_interleaved(&arr))
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Two or more photos.
    #[arg(required = true, num_args = 2..)]
    pub images: Vec<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub action: ModelsAction,
}

#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// Known models, and whether each is present.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Download a model (resumable, sha256-checked) into the models folder.
    Fetch {
        /// Manifest id, e.g. adaface-ir101.
        id: String,
        /// Folder to save into (default: the first models folder searched).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Download from this URL instead of the manifest's (a mirror).
        #[arg(long)]
        url: Option<String>,
    },
    /// Check present models against their sha256.
    Verify {
        /// Ids to check (default: all present).
        ids: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// The gallery folder.
    pub gallery: PathBuf,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Which faces of a probe photo are searched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FaceChoice {
    #[default]
    Largest,
    All,
}

/// How big exported pair images are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PairSizeArg {
    #[default]
    Normal,
    Large,
}

impl From<PairSizeArg> for PairSize {
    fn from(size: PairSizeArg) -> Self {
        match size {
            PairSizeArg::Normal => PairSize::Normal,
            PairSizeArg::Large => PairSize::Large,
        }
    }
}

#[derive(Debug, Args)]
pub struct FindArgs {
    /// The gallery folder searched (indexed first when needed).
    #[arg(long, value_name = "GALLERY")]
    pub gallery: PathBuf,
    /// Probe photos, or folders of them (every face of every photo is searched).
    #[arg(required = true, value_name = "PROBE")]
    pub probes: Vec<PathBuf>,
    /// Minimum similarity (default: the recognizer's threshold from the manifest): a
    /// cosine, or inf/-inf (-inf keeps every face); NaN is refused.
    #[arg(long, allow_hyphen_values = true, value_name = "COSINE")]
    pub threshold: Option<Threshold>,
    /// At most this many matches per search.
    #[arg(long)]
    pub top: Option<usize>,
    /// Faces of a probe photo to search for.
    #[arg(long, value_enum, default_value_t = FaceChoice::Largest)]
    pub face: FaceChoice,
    /// Every probe face is the same person: one search with their quality-weighted
    /// combined query (the window's search), instead of one search per face.
    #[arg(long)]
    pub same_person: bool,
    /// Export the matched pairs into this folder: a sub-folder per search when there are
    /// several (named after its probe photo and face, never shared); faces with no match
    /// go to unmatched/.
    ///
    /// A DIR that already holds anything gets a new sub-folder `<probe>-<YYYYMMDD-HHMMSS>`
    /// (local time) for this export, so exports never mix.
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// Leave this face out of every search and export (may be repeated): PATH as given or
    /// relative to the gallery, INDEX the face's 0-based index within the photo (the
    /// `index` of find's JSON matches; faces are numbered in reading order, top-left first).
    #[arg(long, value_name = "PATH#INDEX", value_parser = parse_face_ref)]
    pub exclude: Vec<FaceRef>,
    /// Size of the exported pair images: normal (panels 400 px high) or large (800 px).
    #[arg(long, value_enum, default_value_t = PairSizeArg::Normal, requires = "export")]
    pub pair_size: PairSizeArg,
    /// One JSON object per search, one per line.
    #[arg(long)]
    pub json: bool,
}

/// A face named on the command line: a photo and the face's index within it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceRef {
    pub path: PathBuf,
    pub index: u32,
}

/// `PATH#INDEX`; the last `#` splits, so a path may hold `#` itself.
fn parse_face_ref(s: &str) -> Result<FaceRef, String> {
    let (path, index) = s
        .rsplit_once('#')
        .ok_or_else(|| format!("'{s}' is not PATH#INDEX (e.g. photos/a.jpg#0)"))?;
    if path.is_empty() {
        return Err(format!("'{s}' names no photo before '#'"));
    }
    let index = index.trim().parse().map_err(|_| {
        format!("'{index}' after '#' is not a face index (0, 1, 2, … within the photo)")
    })?;
    Ok(FaceRef {
        path: PathBuf::from(path),
        index,
    })
}

#[derive(Debug, Args)]
pub struct PeopleArgs {
    /// The gallery folder (indexed first when needed).
    pub gallery: PathBuf,
    /// The recognizer's verification threshold every clustering threshold derives from
    /// (default: the recognizer's threshold from its sidecar or the manifest).
    #[arg(long, global = true, value_name = "COSINE")]
    pub threshold: Option<f32>,
    /// Print JSON (one object).
    #[arg(long, global = true)]
    pub json: bool,
    /// The gallery moved from this folder: take over its people (names, corrections).
    #[arg(long, value_name = "OLD_PATH")]
    pub from: Option<PathBuf>,
    /// Cluster every face again (corrections are kept; ids follow the overlap).
    #[arg(long)]
    pub recluster: bool,
    #[command(subcommand)]
    pub action: Option<PeopleAction>,
}

/// A correction; each prints the person(s) it changed, and an unknown id or face changes
/// nothing.
#[derive(Debug, Subcommand)]
pub enum PeopleAction {
    /// Name a person (the words are joined; an empty name removes the name).
    Name {
        id: PersonId,
        #[arg(required = true, num_args = 1.., value_name = "NAME")]
        name: Vec<String>,
    },
    /// Merge persons into the first one given.
    Merge {
        #[arg(required = true, num_args = 2.., value_name = "ID")]
        ids: Vec<PersonId>,
    },
    /// These faces are this person (they stay with it whatever re-clustering does).
    Confirm {
        id: PersonId,
        #[arg(required = true, value_name = "PATH#INDEX", value_parser = parse_face_ref)]
        faces: Vec<FaceRef>,
    },
    /// These faces are not this person (never placed in it again).
    Reject {
        id: PersonId,
        #[arg(required = true, value_name = "PATH#INDEX", value_parser = parse_face_ref)]
        faces: Vec<FaceRef>,
    },
    /// These are not faces (or not to be sorted): left out of every person.
    Ignore {
        #[arg(required = true, value_name = "PATH#INDEX", value_parser = parse_face_ref)]
        faces: Vec<FaceRef>,
    },
    /// Hide a person (not listed, not sorted).
    Hide { id: PersonId },
    /// Show a hidden person again.
    Unhide { id: PersonId },
    /// Re-cluster one person more strictly and print the proposal.
    Split {
        id: PersonId,
        /// Apply the proposal.
        #[arg(long)]
        apply: bool,
    },
}

/// How `sort` puts a photo into a person's folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LinkArg {
    /// A hard link (a copy where that is impossible, e.g. across file systems).
    #[default]
    Hard,
    /// A symbolic link to the original.
    Symbolic,
    /// A copy.
    Copy,
}

impl From<LinkArg> for LinkMode {
    fn from(link: LinkArg) -> Self {
        match link {
            LinkArg::Hard => LinkMode::Hard,
            LinkArg::Symbolic => LinkMode::Symbolic,
            LinkArg::Copy => LinkMode::Copy,
        }
    }
}

#[derive(Debug, Args)]
pub struct SortArgs {
    /// The gallery folder (indexed and its people found first when needed).
    pub gallery: PathBuf,
    /// The folder to sort into: a folder per person inside it.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// How photos get into the folders.
    #[arg(long, value_enum, default_value_t = LinkArg::Hard)]
    pub link: LinkArg,
    /// Also a folder `unsorted` of the photos in which no face was placed in a person.
    #[arg(long)]
    pub unsorted: bool,
    /// Persons in fewer photos get no folder.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub min_photos: usize,
    /// Remove the files an earlier sort wrote for photos that have since left a person
    /// (only files sort made; never originals).
    #[arg(long)]
    pub prune: bool,
    /// The recognizer's verification threshold (as for `people`).
    #[arg(long, value_name = "COSINE")]
    pub threshold: Option<f32>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
}
