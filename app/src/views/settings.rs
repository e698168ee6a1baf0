//! Settings: recognizer (and a custom one's input convention and threshold, with a
//! *Test*), execution provider and precision, detector thresholds, minimum face size, the
//! low-quality cut-off, theme. Edited as a draft; Apply restarts the engine and indexes
//! again.

use std::path::{Path, PathBuf};

use facesorter_core::models::{
    format_triplet, parse_triplet, ColorOrder, ModelSpec, RecognizerOverrides, RecognizerProfile,
    SettingSource, Sidecar,
};
use facesorter_core::runtime::{ExecutionProviderKind, Precision};

use crate::command::Command;
use crate::jobs::probe::ProbeSource;
use crate::parts::dialogs::{DialogCommand, Pick};
use crate::parts::download::DownloadCommand;
use crate::parts::engine::EngineCommand;
use crate::parts::AppState;

const IR101: &str = "adaface-ir101";
const IR18: &str = "adaface-ir18";

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    ui.heading("Settings");
    egui::ScrollArea::vertical().show(ui, |ui| {
        recognizer(ui, state, commands);
        custom_convention(ui, state);
        model_test(ui, state, commands);
        downloads(ui, state, commands);
        ui.separator();
        provider(ui, state);
        ui.separator();
        detector(ui, state);
        ui.separator();
        quality(ui, state, commands);
        ui.separator();
        ui.strong("Theme");
        let mut dark = state.settings.dark_mode;
        ui.horizontal(|ui| {
            if ui.radio_value(&mut dark, false, "Light").changed()
                | ui.radio_value(&mut dark, true, "Dark").changed()
            {
                commands.push(Command::SetDarkMode(dark));
            }
        });
        ui.separator();
        ui.horizontal(|ui| {
            let changed = state.dialogs.settings_draft != state.engine.options;
            if ui
                .add_enabled(
                    changed,
                    egui::Button::new("Apply (reloads the models and indexes again)"),
                )
                .clicked()
            {
                commands.push(
                    DialogCommand::ApplySettings(state.dialogs.settings_draft.clone()).into(),
                );
            }
            if ui.button("Close").clicked() {
                commands.push(DialogCommand::ShowSettings(false).into());
            }
        });
    });
}

fn recognizer(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    ui.strong("Recognizer");
    let draft = &mut state.dialogs.settings_draft;
    let current = draft.recognizer.clone();
    let is_id = |id: &str| matches!(&current, Some(ModelSpec::Id(x)) if x == id);
    let custom = matches!(current, Some(ModelSpec::Path(_)));
    // A known model runs with its manifest's convention: a custom model's settings must
    // not follow the user back to AdaFace.
    if ui
        .radio(
            is_id(IR101) || current.is_none(),
            "AdaFace IR-101 (accurate, default)",
        )
        .clicked()
    {
        draft.recognizer = Some(ModelSpec::Id(IR101.into()));
        draft.recognizer_overrides = RecognizerOverrides::default();
    }
    if ui.radio(is_id(IR18), "AdaFace IR-18 (fast)").clicked() {
        draft.recognizer = Some(ModelSpec::Id(IR18.into()));
        draft.recognizer_overrides = RecognizerOverrides::default();
    }
    ui.horizontal(|ui| {
        if ui.radio(custom, "Custom ONNX file:").clicked() && !custom {
            draft.recognizer = Some(ModelSpec::Path(PathBuf::new()));
        }
        let mut text = match &draft.recognizer {
            Some(ModelSpec::Path(p)) => p.display().to_string(),
            _ => String::new(),
        };
        let edit = ui.add_enabled(
            custom,
            egui::TextEdit::singleline(&mut text)
                .hint_text("path to a .onnx recognizer")
                .desired_width(320.0),
        );
        if edit.changed() {
            draft.recognizer = Some(ModelSpec::Path(PathBuf::from(text)));
        }
        if ui
            .add_enabled(custom, egui::Button::new("Browse…"))
            .clicked()
        {
            commands.push(Pick::CustomModel.into());
        }
    });
}

/// Downloads of the known models: after the custom model's block, which belongs to the
/// *Custom ONNX file* choice above it.
fn downloads(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.label("Download a model:");
        let busy = state.download.running();
        for id in [IR101, IR18, "yunet-2023mar"] {
            if ui.add_enabled(!busy, egui::Button::new(id)).clicked() {
                commands.push(DownloadCommand::Start(id.into()).into());
            }
        }
        if busy && ui.button("Cancel download").clicked() {
            commands.push(DownloadCommand::Cancel.into());
        }
    });
    if state.download.running() {
        super::empty::download_progress(ui, state);
    }
    if let Some(m) = &state.download.message {
        ui.label(m);
    }
}

fn provider(ui: &mut egui::Ui, state: &mut AppState) {
    ui.strong("Execution");
    let p = &mut state.dialogs.settings_draft.provider;
    // One box a row: side by side, the first one's label sat between the two boxes.
    ui.vertical(|ui| {
        egui::ComboBox::from_label("Execution provider")
            .selected_text(p.ep.map_or("automatic".to_string(), |e| e.to_string()))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut p.ep, None, "automatic");
                for e in [
                    ExecutionProviderKind::Cpu,
                    ExecutionProviderKind::OpenVino,
                    ExecutionProviderKind::Cuda,
                ] {
                    ui.selectable_value(&mut p.ep, Some(e), e.to_string());
                }
            });
        egui::ComboBox::from_label("Precision")
            .selected_text(
                p.precision
                    .map_or("automatic".to_string(), |e| e.to_string()),
            )
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut p.precision, None, "automatic");
                for e in [Precision::Fp32, Precision::Bf16] {
                    ui.selectable_value(&mut p.precision, Some(e), e.to_string());
                }
            });
    });
}

fn detector(ui: &mut egui::Ui, state: &mut AppState) {
    ui.strong("Face detection");
    let d = &mut state.dialogs.settings_draft.detector_params;
    ui.add(egui::Slider::new(&mut d.score_threshold, 0.1..=0.99).text("Detector score threshold"));
    ui.add(egui::Slider::new(&mut d.nms_threshold, 0.1..=0.9).text("Overlap (NMS) threshold"));
    ui.add(
        egui::Slider::new(&mut d.min_face_px, 8.0..=200.0)
            .text("Smallest face (pixels)")
            .step_by(1.0),
    );
}

/// The sidecar beside `model`, read once per path (not every frame): the parsed file, or
/// why it cannot be used.
fn sidecar_of(ui: &egui::Ui, model: &Path) -> Result<Option<Sidecar>, String> {
    type Cached = (PathBuf, Result<Option<Sidecar>, String>);
    let id = ui.scope_id().with("settings-sidecar");
    if let Some((path, read)) = ui.data(|d| d.get_temp::<Cached>(id)) {
        if path == model {
            return read;
        }
    }
    let read = Sidecar::beside(model).map_err(|e| facesorter_core::error::chain(&e));
    ui.data_mut(|d| d.insert_temp::<Cached>(id, (model.to_path_buf(), read.clone())));
    read
}

fn source_text(source: SettingSource, sidecar: Option<&Sidecar>) -> String {
    match (source, sidecar) {
        (SettingSource::Sidecar, Some(s)) => format!(
            "from {}",
            s.path.file_name().map_or_else(
                || s.path.display().to_string(),
                |n| n.to_string_lossy().into()
            )
        ),
        _ => source.label().to_string(),
    }
}

/// A custom recognizer's input convention and threshold: shown as the model's sidecar (or
/// AdaFace's defaults) gives them; editing a field makes it the user's, which overrides
/// the sidecar (the core's [`RecognizerProfile::resolve`] rule, as for the flags).
fn custom_convention(ui: &mut egui::Ui, state: &mut AppState) {
    let draft = &mut state.dialogs.settings_draft;
    let Some(ModelSpec::Path(model)) = draft.recognizer.clone() else {
        return;
    };
    ui.indent("custom-convention", |ui| {
        let sidecar = if model.as_os_str().is_empty() {
            Ok(None)
        } else {
            sidecar_of(ui, &model)
        };
        let sidecar = match sidecar {
            Ok(s) => s,
            Err(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
                None
            }
        };
        match &sidecar {
            Some(s) => {
                let mut about = format!(
                    "Sidecar {}",
                    s.path
                        .file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                );
                if let Some(n) = &s.name {
                    about.push_str(&format!(": {n}"));
                }
                if let Some(l) = &s.license {
                    about.push_str(&format!(" (licence {l})"));
                }
                ui.label(about);
            }
            None => {
                ui.label("No sidecar file (NAME.toml beside the model): AdaFace's defaults unless set here.");
            }
        }
        let overrides = &mut draft.recognizer_overrides;
        let resolved = RecognizerProfile::resolve(None, sidecar.as_ref(), overrides);
        let profile = match resolved {
            Ok(p) => p,
            Err(e) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    facesorter_core::error::chain(&e),
                );
                match RecognizerProfile::resolve(None, None, &RecognizerOverrides::default()) {
                    Ok(p) => p,
                    Err(_) => return,
                }
            }
        };
        let side = sidecar.as_ref();
        let c = profile.convention;
        ui.horizontal(|ui| {
            let mut order = c.color_order;
            egui::ComboBox::from_label("Colour order")
                .selected_text(match order {
                    ColorOrder::Rgb => "RGB",
                    ColorOrder::Bgr => "BGR",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut order, ColorOrder::Rgb, "RGB");
                    ui.selectable_value(&mut order, ColorOrder::Bgr, "BGR");
                });
            if order != c.color_order {
                overrides.color_order = Some(order);
            }
            ui.weak(source_text(profile.sources.color_order, side));
        });
        let source = source_text(profile.sources.mean, side);
        if let Some(v) = triplet_field(ui, "Mean", c.mean, &source) {
            overrides.mean = Some(v);
        }
        let source = source_text(profile.sources.std, side);
        if let Some(v) = triplet_field(ui, "Std", c.std, &source) {
            overrides.std = Some(v);
        }
        ui.label(format!(
            "Input size {}×{} (FaceSorter feeds aligned 112×112 crops)",
            c.size[0], c.size[1]
        ));
        ui.horizontal(|ui| {
            let mut threshold = profile.threshold;
            if ui
                .add(egui::Slider::new(&mut threshold, -1.0..=1.0).text("Match threshold"))
                .changed()
            {
                overrides.threshold = Some(threshold);
            }
            ui.weak(source_text(profile.sources.threshold, side));
        });
        if ui
            .add_enabled(!overrides.is_empty(), egui::Button::new("Use the model's values"))
            .clicked()
        {
            *overrides = RecognizerOverrides::default();
        }
    });
}

/// A mean or std: one number, or three comma-separated, with where its value comes from
/// on the same row (as for the colour order and threshold). The text being typed is kept
/// while the field has focus; a valid value is returned when it changes.
fn triplet_field(
    ui: &mut egui::Ui,
    label: &str,
    value: [f32; 3],
    source: &str,
) -> Option<[f32; 3]> {
    let id = ui.scope_id().with(("settings-triplet", label));
    let mut changed = None;
    ui.horizontal(|ui| {
        let label = ui.label(label);
        let mut text = ui
            .data(|d| d.get_temp::<String>(id))
            .unwrap_or_else(|| format_triplet(value));
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .desired_width(140.0)
                    .hint_text("one number, or three: R,G,B"),
            )
            .labelled_by(label.id);
        let parsed = parse_triplet(&text);
        if edit.changed() {
            if let Some(v) = parsed.filter(|v| *v != value) {
                changed = Some(v);
            }
        }
        if edit.has_focus() {
            ui.data_mut(|d| d.insert_temp(id, text));
            if parsed.is_none() {
                ui.colored_label(ui.visuals().error_fg_color, "one number or three");
            }
        } else {
            ui.data_mut(|d| d.remove::<String>(id));
        }
        ui.weak(source);
    });
    changed
}

/// The photo the *Test* button embeds: the first probe photo from a file, else the
/// gallery's first photo.
fn test_sample(state: &AppState) -> Option<PathBuf> {
    let probe = state
        .probes
        .list
        .iter()
        .find_map(|p| match &p.analyzed.source {
            ProbeSource::File(path) => Some(path.clone()),
            ProbeSource::Pasted { .. } => None,
        });
    probe.or_else(|| {
        let g = state.gallery.gallery.as_ref()?;
        let album = g.album.as_ref()?;
        Some(album.photos().first()?.path_in(&g.root))
    })
}

fn model_test(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    let test = &state.engine.test;
    ui.horizontal(|ui| {
        let running = test.running();
        if ui
            .add_enabled(!running, egui::Button::new("Test"))
            .on_hover_text(
                "Embed a sample face with these settings: the first probe or gallery \
                 photo's largest face, else a mid-grey crop",
            )
            .clicked()
        {
            commands.push(
                EngineCommand::TestModel {
                    options: state.dialogs.settings_draft.clone(),
                    sample: test_sample(state),
                }
                .into(),
            );
        }
        if running {
            ui.spinner();
            ui.label("Testing the recognizer…");
        }
    });
    match &test.last {
        Some((options, Ok(r))) => {
            let stale = if *options != state.dialogs.settings_draft {
                " (for earlier settings)"
            } else {
                ""
            };
            ui.label(format!(
                "Embedding size {}, norm {:.4}, threshold {} ({}){stale}",
                r.embedding_size, r.norm, r.threshold, r.threshold_source
            ));
            ui.weak(format!("Sample: {}", r.sample));
        }
        Some((_, Err(e))) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("Test failed: {e}"));
        }
        None => {}
    }
}

fn quality(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    ui.strong("Quality");
    let mut hide = state.settings.hide_low_quality;
    if ui
        .checkbox(&mut hide, "Hide low-quality faces (blurry, tiny or turned)")
        .changed()
    {
        commands.push(Command::SetHideLowQuality(hide));
    }
    let mut norm = state.settings.low_quality_norm;
    if ui
        .add(
            egui::Slider::new(&mut norm, 0.0..=60.0)
                .text("Low-quality cut-off (embedding norm)")
                .step_by(0.5),
        )
        .changed()
    {
        commands.push(Command::SetLowQualityNorm(norm));
    }
}
