//! What is saved between runs: recent galleries, the engine settings, theme, quality
//! filter, thumbnail size and export options. The file is the app's own schema (`settings.json` in the
//! config folder, never a core struct serialised as it is), read leniently so it survives
//! versions: unknown fields are ignored, missing ones take their default, and a field of
//! the wrong type is dropped alone, everything else kept. It is written atomically
//! (temporary file, sync, rename). Runtime handles — threads, channels, textures, the
//! engine — live in `parts` and are never saved.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use facesorter_core::align::AlignMethod;
use facesorter_core::detect::DetectorParams;
use facesorter_core::engine::EngineOptions;
use facesorter_core::export::PairSize;
use facesorter_core::models::{ColorOrder, ModelSpec, RecognizerOverrides};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::parts::results::{THUMB_SIZE_DEFAULT, THUMB_SIZE_RANGE};

/// How many recent galleries are remembered.
const RECENT_MAX: usize = 8;

/// The settings file, in the config folder (`~/.config/facesorter/` on Linux).
pub const SETTINGS_FILE: &str = "settings.json";
/// eframe's own state (window size and position), beside it.
pub const WINDOW_FILE: &str = "window.ron";
/// The key under which versions before the settings file kept the settings in eframe's.
const OLD_STORAGE_KEY: &str = "facesorter";

/// The settings as the app uses them.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub recent_galleries: Vec<PathBuf>,
    pub engine: EngineOptions,
    pub dark_mode: bool,
    /// Results whose AdaFace norm is below `low_quality_norm` are hidden.
    pub hide_low_quality: bool,
    pub low_quality_norm: f32,
    pub export_dir: String,
    pub copy_originals: bool,
    /// How big the exported pair images are drawn.
    pub pair_size: PairSize,
    /// The results grid's face thumbnails, in points (within `THUMB_SIZE_RANGE`).
    pub thumb_size: f32,
    /// The side panel: its width (points) and whether it is shown.
    pub panel: PanelLayout,
    /// Reopen the last gallery, probe photos and threshold at start.
    pub restore_session: bool,
    /// What was open when the window last closed (kept only while `restore_session`).
    pub last_session: LastSession,
}

/// The side panel's remembered width and whether it is open.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PanelLayout {
    pub width: f32,
    pub open: bool,
}

impl PanelLayout {
    /// The side panel never gets narrower or wider than this (points, outer width).
    pub const WIDTH_RANGE: std::ops::RangeInclusive<f32> = 240.0..=480.0;

    /// `width` within [`Self::WIDTH_RANGE`] (a hand-edited or old file may hold anything).
    pub fn clamped_width(&self) -> f32 {
        let (lo, hi) = (*Self::WIDTH_RANGE.start(), *Self::WIDTH_RANGE.end());
        if self.width.is_finite() {
            self.width.clamp(lo, hi)
        } else {
            Self::default().width
        }
    }
}

impl Default for PanelLayout {
    fn default() -> Self {
        Self {
            width: 320.0,
            open: true,
        }
    }
}

/// The gallery, probe photos and threshold open when the window closed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LastSession {
    pub gallery: Option<PathBuf>,
    pub probes: Vec<PathBuf>,
    pub threshold: Option<f32>,
    /// The recognizer the threshold was set for: a threshold means nothing for another model.
    pub threshold_model: Option<String>,
}

impl LastSession {
    pub fn is_empty(&self) -> bool {
        self.gallery.is_none() && self.probes.is_empty() && self.threshold.is_none()
    }
}

impl Default for Settings {
    fn default() -> Self {
        SettingsFile::default().into_settings()
    }
}

impl Settings {
    /// Puts `root` first in the recent list, without duplicates.
    pub fn remember_gallery(&mut self, root: &Path) {
        self.recent_galleries.retain(|p| p != root);
        self.recent_galleries.insert(0, root.to_path_buf());
        self.recent_galleries.truncate(RECENT_MAX);
    }

    /// The quality filter: the smallest norm shown, when low-quality faces are hidden.
    pub fn min_quality(&self) -> Option<f32> {
        self.hide_low_quality.then_some(self.low_quality_norm)
    }

    /// Reads `path`; a missing file gives the defaults, a damaged one what can be read.
    pub fn load(path: &Path) -> Self {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_json(&text),
            Err(e) => {
                if e.kind() != std::io::ErrorKind::NotFound {
                    log::warn!(
                        "cannot read {}: {e}; using the default settings",
                        path.display()
                    );
                }
                Self::default()
            }
        }
    }

    /// Parses a settings file's text, keeping every field that reads.
    pub fn from_json(text: &str) -> Self {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => lenient::<SettingsFile>(&value).into_settings(),
            Err(e) => {
                log::warn!("the settings file is not JSON ({e}); using the default settings");
                Self::default()
            }
        }
    }

    pub fn to_json(&self) -> String {
        let file = SettingsFile::from_settings(self);
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    /// Writes `path` atomically: a reader (or a crash) sees the old file or the new one.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        write_atomically(path, self.to_json().as_bytes())
    }
}

/// The config folder: `~/.config/facesorter` on Linux (core's spelling of the folders).
pub fn config_dir() -> Option<PathBuf> {
    facesorter_core::dirs::project_dirs().map(|d| d.config_dir().to_path_buf())
}

/// Versions before the settings file used the config folder's own path as eframe's
/// storage *file*. Moves that file into the folder as eframe's window file, taking the
/// settings out of it into the settings file. Returns whether there was one to move.
pub fn migrate_old_file(config_dir: &Path) -> std::io::Result<bool> {
    if !config_dir.is_file() {
        return Ok(false);
    }
    let text = std::fs::read_to_string(config_dir).unwrap_or_default();
    let settings = settings_from_old_storage(&text);
    let mut moving = config_dir.as_os_str().to_owned();
    moving.push(".moving");
    let moving = PathBuf::from(moving);
    std::fs::rename(config_dir, &moving)?;
    std::fs::create_dir_all(config_dir)?;
    std::fs::rename(&moving, config_dir.join(WINDOW_FILE))?;
    settings.save(&config_dir.join(SETTINGS_FILE))?;
    Ok(true)
}

/// The settings kept in an old eframe storage file (RON: key → RON text), as far as they
/// read. The old layout had core's engine options as they were; what is recognised of
/// them is kept.
fn settings_from_old_storage(text: &str) -> Settings {
    let Some(old_text) = ron::from_str::<std::collections::HashMap<String, String>>(text)
        .ok()
        .and_then(|kv| kv.get(OLD_STORAGE_KEY).cloned())
    else {
        return Settings::default();
    };
    // The plain fields, each as far as it reads (RON's untyped value keeps no enum
    // variant names, so the engine options are read typed below).
    let mut settings = ron::from_str::<ron::Value>(&old_text)
        .ok()
        .and_then(|v| serde_json::to_value(v).ok())
        .map_or_else(Settings::default, |v| {
            lenient::<SettingsFile>(&v).into_settings()
        });
    #[derive(Deserialize)]
    struct OldEngine {
        engine: EngineOptions,
    }
    match ron::from_str::<OldEngine>(&old_text) {
        Ok(old) => settings.engine = old.engine,
        Err(e) => log::warn!("the old engine settings do not read ({e}); using the defaults"),
    }
    settings
}

/// `T` from `value` field by field: the defaults, overlaid with each field of `value`
/// that keeps the whole readable (nested objects field by field too). Unknown fields are
/// ignored; a wrong type in one field drops that field alone.
fn lenient<T: Serialize + DeserializeOwned + Default>(value: &Value) -> T {
    let Ok(mut merged) = serde_json::to_value(T::default()) else {
        return T::default();
    };
    let readable = |v: &Value| serde_json::from_value::<T>(v.clone()).is_ok();
    overlay(&mut merged, value, &mut Vec::new(), &readable);
    serde_json::from_value(merged).unwrap_or_default()
}

fn overlay(
    merged: &mut Value,
    file: &Value,
    path: &mut Vec<String>,
    readable: &dyn Fn(&Value) -> bool,
) {
    let Some(fields) = file.as_object() else {
        return;
    };
    for (key, new) in fields {
        path.push(key.clone());
        let known = pointer_mut(merged, path).map(|old| old.clone());
        match known {
            // A field of this schema; nested objects are merged field by field.
            Some(Value::Object(_)) if new.is_object() => overlay(merged, new, path, readable),
            Some(old) => {
                set(merged, path, new.clone());
                if !readable(merged) {
                    log::warn!(
                        "settings: ignoring {} (unexpected value {new})",
                        path.join(".")
                    );
                    set(merged, path, old);
                }
            }
            None => {}
        }
        path.pop();
    }
}

fn pointer_mut<'a>(value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter()
        .try_fold(value, |v, key| v.as_object_mut()?.get_mut(key))
}

fn set(value: &mut Value, path: &[String], new: Value) {
    if let Some(slot) = pointer_mut(value, path) {
        *slot = new;
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

// ---- the file's schema --------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct SettingsFile {
    recent_galleries: Vec<PathBuf>,
    dark_mode: bool,
    hide_low_quality: bool,
    low_quality_norm: f32,
    export_dir: String,
    copy_originals: bool,
    /// "normal" or "large" (`PairSize::name`); anything else reads as normal.
    pair_size: String,
    thumb_size: f32,
    engine: EngineFile,
    panel: PanelLayout,
    restore_session: bool,
    last_session: LastSession,
}

impl Default for SettingsFile {
    fn default() -> Self {
        Self {
            recent_galleries: Vec::new(),
            engine: EngineFile::default(),
            dark_mode: true,
            hide_low_quality: false,
            // AdaFace norms under ~15 are blurry, tiny or turned faces (AdaFace paper, Fig. 3).
            low_quality_norm: 15.0,
            export_dir: String::new(),
            copy_originals: false,
            pair_size: PairSize::default().name().to_string(),
            thumb_size: THUMB_SIZE_DEFAULT,
            panel: PanelLayout::default(),
            restore_session: true,
            last_session: LastSession::default(),
        }
    }
}

/// A model: a manifest id or a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ModelFile {
    Id(String),
    Path(PathBuf),
}

/// The engine settings. Names of providers, precisions and alignments are strings, so a
/// name this version does not know falls back to automatic instead of failing the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct EngineFile {
    recognizer: Option<ModelFile>,
    detector: Option<ModelFile>,
    ep: Option<String>,
    precision: Option<String>,
    align: Option<String>,
    score_threshold: f32,
    nms_threshold: f32,
    min_face_px: f32,
    batch: Option<usize>,
    /// Input convention of a custom recognizer: "bgr"/"rgb", mean and std per channel.
    color_order: Option<String>,
    mean: Option<[f32; 3]>,
    std: Option<[f32; 3]>,
    /// The recognizer's match threshold, when set in Settings (else the model's).
    threshold: Option<f32>,
}

impl Default for EngineFile {
    fn default() -> Self {
        let d = DetectorParams::default();
        Self {
            recognizer: None,
            detector: None,
            ep: None,
            precision: None,
            align: None,
            score_threshold: d.score_threshold,
            nms_threshold: d.nms_threshold,
            min_face_px: d.min_face_px,
            batch: None,
            color_order: None,
            mean: None,
            std: None,
            threshold: None,
        }
    }
}

fn model_spec(m: Option<ModelFile>) -> Option<ModelSpec> {
    m.map(|m| match m {
        ModelFile::Id(id) => ModelSpec::Id(id),
        ModelFile::Path(p) => ModelSpec::Path(p),
    })
}

fn model_file(m: &Option<ModelSpec>) -> Option<ModelFile> {
    m.as_ref().map(|m| match m {
        ModelSpec::Id(id) => ModelFile::Id(id.clone()),
        ModelSpec::Path(p) => ModelFile::Path(p.clone()),
    })
}

fn parsed<T: std::str::FromStr>(name: Option<String>, what: &str) -> Option<T> {
    let name = name?;
    let value = name.parse().ok();
    if value.is_none() {
        log::warn!("settings: unknown {what} '{name}', using the default");
    }
    value
}

impl EngineFile {
    fn into_options(self) -> EngineOptions {
        let defaults = EngineOptions::default();
        let mut params = defaults.detector_params;
        params.score_threshold = self.score_threshold;
        params.nms_threshold = self.nms_threshold;
        params.min_face_px = self.min_face_px;
        // Only the fields set: the rest come from the model's sidecar or the defaults.
        let recognizer_overrides = RecognizerOverrides {
            color_order: match self.color_order.as_deref() {
                Some("rgb") => Some(ColorOrder::Rgb),
                Some("bgr") => Some(ColorOrder::Bgr),
                _ => None,
            },
            mean: self.mean,
            std: self.std,
            threshold: self.threshold,
            ..RecognizerOverrides::default()
        };
        EngineOptions {
            provider: facesorter_core::runtime::ProviderRequest {
                ep: parsed(self.ep, "execution provider"),
                precision: parsed(self.precision, "precision"),
            },
            detector: model_spec(self.detector),
            recognizer: model_spec(self.recognizer),
            recognizer_overrides,
            detector_params: params,
            align: parsed::<AlignMethod>(self.align, "alignment").unwrap_or(defaults.align),
            batch: self.batch,
            ..defaults
        }
    }

    fn from_options(o: &EngineOptions) -> Self {
        let c = &o.recognizer_overrides;
        Self {
            recognizer: model_file(&o.recognizer),
            detector: model_file(&o.detector),
            ep: o.provider.ep.map(|e| e.to_string()),
            precision: o.provider.precision.map(|p| p.to_string()),
            align: Some(o.align.to_string()),
            score_threshold: o.detector_params.score_threshold,
            nms_threshold: o.detector_params.nms_threshold,
            min_face_px: o.detector_params.min_face_px,
            batch: o.batch,
            color_order: c.color_order.map(|order| {
                match order {
                    ColorOrder::Rgb => "rgb",
                    ColorOrder::Bgr => "bgr",
                }
                .to_string()
            }),
            mean: c.mean,
            std: c.std,
            threshold: c.threshold,
        }
    }
}

/// The pair size a name stands for; an unknown one (a newer version's) gives the default.
fn pair_size(name: &str) -> PairSize {
    PairSize::ALL
        .into_iter()
        .find(|p| p.name() == name)
        .unwrap_or_else(|| {
            log::warn!("settings: unknown pair size '{name}', using the default");
            PairSize::default()
        })
}

/// `size` within the grid's range (a hand-edited or old file may hold anything).
fn clamped_thumb_size(size: f32) -> f32 {
    let (lo, hi) = THUMB_SIZE_RANGE;
    if size.is_finite() {
        size.clamp(lo, hi)
    } else {
        THUMB_SIZE_DEFAULT
    }
}

impl SettingsFile {
    fn into_settings(self) -> Settings {
        Settings {
            recent_galleries: self.recent_galleries,
            engine: self.engine.into_options(),
            dark_mode: self.dark_mode,
            hide_low_quality: self.hide_low_quality,
            low_quality_norm: self.low_quality_norm,
            export_dir: self.export_dir,
            copy_originals: self.copy_originals,
            pair_size: pair_size(&self.pair_size),
            thumb_size: clamped_thumb_size(self.thumb_size),
            panel: PanelLayout {
                width: self.panel.clamped_width(),
                ..self.panel
            },
            restore_session: self.restore_session,
            last_session: self.last_session,
        }
    }

    fn from_settings(s: &Settings) -> Self {
        Self {
            recent_galleries: s.recent_galleries.clone(),
            engine: EngineFile::from_options(&s.engine),
            dark_mode: s.dark_mode,
            hide_low_quality: s.hide_low_quality,
            low_quality_norm: s.low_quality_norm,
            export_dir: s.export_dir.clone(),
            copy_originals: s.copy_originals,
            pair_size: s.pair_size.name().to_string(),
            thumb_size: s.thumb_size,
            panel: s.panel,
            restore_session: s.restore_session,
            last_session: s.last_session.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use facesorter_core::runtime::{ExecutionProviderKind, Precision};

    fn custom() -> Settings {
        let mut s = Settings {
            recent_galleries: vec![PathBuf::from("/photos/2024"), PathBuf::from("/photos/old")],
            dark_mode: false,
            hide_low_quality: true,
            low_quality_norm: 12.5,
            export_dir: "/out/pairs".into(),
            copy_originals: true,
            ..Settings::default()
        };
        s.engine.recognizer = Some(ModelSpec::Id("adaface-ir18".into()));
        s.engine.provider.ep = Some(ExecutionProviderKind::Cpu);
        s.engine.provider.precision = Some(Precision::Fp32);
        s.engine.detector_params.min_face_px = 32.0;
        s
    }

    #[test]
    fn round_trip_through_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join(SETTINGS_FILE);
        let s = custom();
        s.save(&path).expect("save");
        assert_eq!(Settings::load(&path), s);
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
            .expect("read dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, [SETTINGS_FILE], "no temporary file left");
    }

    #[test]
    fn a_missing_file_gives_the_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            Settings::load(&dir.path().join("none.json")),
            Settings::default()
        );
        assert_eq!(Settings::from_json("not json {"), Settings::default());
        assert_eq!(Settings::from_json("[1, 2]"), Settings::default());
    }

    #[test]
    fn unknown_fields_are_ignored_and_missing_ones_defaulted() {
        let s = Settings::from_json(
            r#"{
                "recent_galleries": ["/photos/a"],
                "export_dir": "/out",
                "a_field_from_a_newer_version": {"x": [1, 2]},
                "engine": {"ep": "cpu", "future_option": true}
            }"#,
        );
        assert_eq!(s.recent_galleries, [PathBuf::from("/photos/a")]);
        assert_eq!(s.export_dir, "/out");
        assert_eq!(s.engine.provider.ep, Some(ExecutionProviderKind::Cpu));
        let d = Settings::default();
        assert_eq!(s.dark_mode, d.dark_mode);
        assert_eq!(s.low_quality_norm, d.low_quality_norm);
        assert_eq!(s.engine.detector_params, d.engine.detector_params);
    }

    #[test]
    fn a_wrong_type_in_one_field_keeps_everything_else() {
        let s = Settings::from_json(
            r#"{
                "recent_galleries": ["/photos/a", "/photos/b"],
                "dark_mode": "yes please",
                "low_quality_norm": 11.0,
                "export_dir": "/out",
                "copy_originals": true,
                "engine": {
                    "recognizer": {"id": "adaface-ir18"},
                    "min_face_px": "large",
                    "score_threshold": 0.7,
                    "ep": "a-provider-from-the-future",
                    "batch": -3
                }
            }"#,
        );
        let d = Settings::default();
        assert_eq!(
            s.dark_mode, d.dark_mode,
            "the wrong-typed field alone is dropped"
        );
        assert_eq!(
            s.recent_galleries,
            [PathBuf::from("/photos/a"), PathBuf::from("/photos/b")]
        );
        assert_eq!(s.low_quality_norm, 11.0);
        assert_eq!(s.export_dir, "/out");
        assert!(s.copy_originals);
        assert_eq!(
            s.engine.recognizer,
            Some(ModelSpec::Id("adaface-ir18".into()))
        );
        assert_eq!(s.engine.detector_params.score_threshold, 0.7);
        assert_eq!(
            s.engine.detector_params.min_face_px,
            d.engine.detector_params.min_face_px
        );
        assert_eq!(s.engine.provider.ep, None, "an unknown provider: automatic");
        assert_eq!(s.engine.batch, None);
    }

    #[test]
    fn a_file_from_before_the_session_fields_restores_by_default() {
        // What versions before the panel and session fields wrote.
        let s = Settings::from_json(
            r#"{"recent_galleries": ["/photos/a"], "dark_mode": false, "engine": {"ep": "cpu"}}"#,
        );
        assert!(s.restore_session, "restoring is on by default");
        assert_eq!(s.last_session, LastSession::default());
        assert_eq!(s.panel, PanelLayout::default());
        assert!(!s.dark_mode, "the old fields are kept");
        assert_eq!(s.recent_galleries, [PathBuf::from("/photos/a")]);
    }

    #[test]
    fn the_session_and_panel_round_trip_and_a_wild_width_is_clamped() {
        let mut s = custom();
        s.restore_session = false;
        s.panel = PanelLayout {
            width: 400.0,
            open: false,
        };
        s.last_session = LastSession {
            gallery: Some(PathBuf::from("/photos/2024")),
            probes: vec![PathBuf::from("/p/a.jpg"), PathBuf::from("/p/b.png")],
            threshold: Some(0.42),
            threshold_model: Some("facenet".into()),
        };
        assert_eq!(Settings::from_json(&s.to_json()), s);

        let wide = Settings::from_json(r#"{"panel": {"width": 840.0}}"#);
        assert_eq!(wide.panel.width, *PanelLayout::WIDTH_RANGE.end());
        assert!(wide.panel.open);
        let narrow = Settings::from_json(r#"{"panel": {"width": 3.0, "open": false}}"#);
        assert_eq!(narrow.panel.width, *PanelLayout::WIDTH_RANGE.start());
        assert!(!narrow.panel.open);
        // A wrong type in the session drops that field alone.
        let odd = Settings::from_json(
            r#"{"last_session": {"gallery": "/g", "probes": "not a list", "threshold": 0.3}}"#,
        );
        assert_eq!(odd.last_session.gallery, Some(PathBuf::from("/g")));
        assert!(odd.last_session.probes.is_empty());
        assert_eq!(odd.last_session.threshold, Some(0.3));
    }

    #[test]
    fn the_view_sizes_round_trip_and_odd_values_are_tamed() {
        let mut s = custom();
        s.pair_size = PairSize::Large;
        s.thumb_size = 180.0;
        assert_eq!(Settings::from_json(&s.to_json()), s);

        let d = Settings::default();
        assert_eq!(d.pair_size, PairSize::Normal);
        assert_eq!(d.thumb_size, THUMB_SIZE_DEFAULT);
        // A file from before these fields: the defaults.
        let old = Settings::from_json(r#"{"export_dir": "/out"}"#);
        assert_eq!((old.pair_size, old.thumb_size), (d.pair_size, d.thumb_size));
        let huge = Settings::from_json(r#"{"thumb_size": 5000.0, "pair_size": "large"}"#);
        assert_eq!(huge.thumb_size, THUMB_SIZE_RANGE.1);
        assert_eq!(huge.pair_size, PairSize::Large);
        let odd = Settings::from_json(
            r#"{"thumb_size": -1.0, "pair_size": "enormous", "export_dir": "/out"}"#,
        );
        assert_eq!(odd.thumb_size, THUMB_SIZE_RANGE.0);
        assert_eq!(
            odd.pair_size,
            PairSize::Normal,
            "an unknown size: the default"
        );
        assert_eq!(odd.export_dir, "/out");
        let wrong = Settings::from_json(r#"{"thumb_size": "big", "pair_size": 2}"#);
        assert_eq!(
            (wrong.thumb_size, wrong.pair_size),
            (d.thumb_size, d.pair_size)
        );
    }

    #[test]
    fn a_wrong_type_at_the_top_gives_the_defaults() {
        assert_eq!(Settings::from_json(r#"{"engine": 5}"#), Settings::default());
        assert_eq!(Settings::from_json("null"), Settings::default());
    }

    /// The settings struct of versions before the settings file: core's engine options
    /// serialised as they were.
    #[derive(Serialize)]
    struct OldPersisted {
        recent_galleries: Vec<PathBuf>,
        engine: EngineOptions,
        dark_mode: bool,
        hide_low_quality: bool,
        low_quality_norm: f32,
        export_dir: String,
        copy_originals: bool,
    }

    /// What those versions left at the config folder's path: eframe's RON storage file,
    /// written as eframe writes it (`set_value` = RON text under a key).
    fn old_storage() -> String {
        let mut engine = EngineOptions {
            recognizer: Some(ModelSpec::Id("adaface-ir18".into())),
            ..EngineOptions::default()
        };
        engine.provider.ep = Some(ExecutionProviderKind::Cpu);
        engine.detector_params.score_threshold = 0.7;
        engine.detector_params.min_face_px = 24.0;
        let old = OldPersisted {
            recent_galleries: vec![PathBuf::from("/photos/2024"), PathBuf::from("/photos/old")],
            engine,
            dark_mode: false,
            hide_low_quality: true,
            low_quality_norm: 12.0,
            export_dir: "/out".into(),
            copy_originals: true,
        };
        let mut kv = std::collections::HashMap::new();
        kv.insert(
            OLD_STORAGE_KEY.to_string(),
            ron::ser::to_string(&old).expect("ron"),
        );
        kv.insert("window".to_string(), "(inner_size_points:None)".to_string());
        ron::ser::to_string_pretty(&kv, Default::default()).expect("ron")
    }

    #[test]
    fn the_old_settings_file_moves_into_the_config_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("facesorter");
        let old = old_storage();
        std::fs::write(&config, &old).expect("old file");
        assert!(migrate_old_file(&config).expect("migrate"));
        assert!(config.is_dir());
        assert_eq!(
            std::fs::read_to_string(config.join(WINDOW_FILE)).expect("window file"),
            old,
            "eframe's state (window size and position) kept"
        );
        let s = Settings::load(&config.join(SETTINGS_FILE));
        assert_eq!(
            s.recent_galleries,
            [PathBuf::from("/photos/2024"), PathBuf::from("/photos/old")]
        );
        assert!(!s.dark_mode);
        assert!(s.hide_low_quality);
        assert_eq!(s.low_quality_norm, 12.0);
        assert_eq!(s.export_dir, "/out");
        assert!(s.copy_originals);
        assert_eq!(s.engine.detector_params.score_threshold, 0.7);
        assert_eq!(s.engine.detector_params.min_face_px, 24.0);
        assert_eq!(s.engine.provider.ep, Some(ExecutionProviderKind::Cpu));
        assert_eq!(
            s.engine.recognizer,
            Some(ModelSpec::Id("adaface-ir18".into()))
        );
        // Moved once: a folder is left alone.
        assert!(!migrate_old_file(&config).expect("second run"));
    }
}
