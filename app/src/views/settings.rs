//! Settings: recognizer, execution provider and precision, detector thresholds, minimum
//! face size, theme. Edited as a draft; Apply restarts the engine and indexes again.

use std::path::PathBuf;

use facesorter_core::models::ModelSpec;
use facesorter_core::runtime::{ExecutionProviderKind, Precision};

use crate::command::Command;
use crate::parts::dialogs::{DialogCommand, Pick};
use crate::parts::download::DownloadCommand;
use crate::parts::AppState;

const IR101: &str = "adaface-ir101";
const IR18: &str = "adaface-ir18";

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    ui.heading("Settings");
    egui::ScrollArea::vertical().show(ui, |ui| {
        recognizer(ui, state, commands);
        ui.separator();
        provider(ui, state);
        ui.separator();
        detector(ui, state);
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
    if ui
        .radio(
            is_id(IR101) || current.is_none(),
            "AdaFace IR-101 (accurate, default)",
        )
        .clicked()
    {
        draft.recognizer = Some(ModelSpec::Id(IR101.into()));
    }
    if ui.radio(is_id(IR18), "AdaFace IR-18 (fast)").clicked() {
        draft.recognizer = Some(ModelSpec::Id(IR18.into()));
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
    ui.horizontal(|ui| {
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
