//! The bottom bar: the engine, indexing progress with Cancel, the last frame's time. One
//! row at every width: each text takes the longest phrasing that fits its share, paths are
//! elided in the middle, and the frame time goes first when room runs out. The indexing
//! figures come from [`index_readout`], the one source the gallery view uses as well.

use crate::command::Command;
use crate::parts::engine::EngineStatus;
use crate::parts::gallery::{Gallery, GalleryCommand};
use crate::parts::AppState;

use super::fit;

/// Below this width the frame time is left out.
const FRAME_TIME_MIN_WIDTH: f32 = 900.0;

pub fn draw(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let width = ui.available_width();
    let font = egui::TextStyle::Body.resolve(ui.style());
    ui.horizontal(|ui| {
        let gap = ui.spacing().item_spacing.x;
        let frame_text = format!("frame {:.1} ms", state.frames.last.as_secs_f64() * 1000.0);
        let frame_w = if width >= FRAME_TIME_MIN_WIDTH {
            fit::text_width(ui, &frame_text, &font) + gap
        } else {
            0.0
        };
        // The engine gets up to a third while indexing, more otherwise.
        let indexing = state.gallery.indexing();
        let engine_share = if indexing { 0.3 } else { 0.45 };
        engine(ui, state, &font, width * engine_share);
        if let Some(g) = &state.gallery.gallery {
            ui.separator();
            let room = ui.available_width() - frame_w - gap;
            if g.indexing() {
                indexing_bar(ui, g, &font, room, commands);
            } else if let Some(album) = &g.album {
                let counts = format!(
                    ": {} photos, {} faces",
                    album.photos().len(),
                    album.faces().len()
                );
                let counts_w = fit::text_width(ui, &counts, &font);
                ui.spacing_mut().item_spacing.x = 0.0;
                fit::path_label_within(ui, &g.root.display().to_string(), room - counts_w);
                ui.label(counts);
            }
        }
        if frame_w > 0.0 {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.weak(frame_text);
            });
        }
    });
}

fn engine(ui: &mut egui::Ui, state: &AppState, font: &egui::FontId, max: f32) {
    match &state.engine.status {
        EngineStatus::Starting => {
            ui.spinner();
            let forms = ["Loading the models…".to_string(), "Loading…".into()];
            let i = fit::first_fitting(ui, &forms, font, max - 24.0);
            ui.label(&forms[i]);
        }
        EngineStatus::Ready(engine) => {
            let p = engine.provider();
            // A sidecar's display name when there is one: what the user called the model.
            let name = engine.recognizer_model().display_name();
            let full = format!("Engine: {name} on {} {}", p.ep, p.precision);
            let forms = [full.clone(), format!("{name} · {} {}", p.ep, p.precision)];
            let i = fit::first_fitting(ui, &forms, font, max);
            let text = fit::elide_to_width(ui, &forms[i], font, max);
            let response = ui.add(egui::Label::new(&text).wrap_mode(egui::TextWrapMode::Extend));
            if text != full {
                response.on_hover_text(full);
            }
        }
        EngineStatus::Failed(_) => {
            let forms = [
                "Engine not running (see above)".to_string(),
                "No engine".into(),
            ];
            let i = fit::first_fitting(ui, &forms, font, max);
            ui.colored_label(ui.visuals().error_fg_color, &forms[i])
                .on_hover_text("The engine did not start: the main area says why");
        }
    }
}

fn indexing_bar(
    ui: &mut egui::Ui,
    g: &Gallery,
    font: &egui::FontId,
    room: f32,
    commands: &mut Vec<Command>,
) {
    let forms = index_readout(g);
    let cancel_full = "Cancel indexing";
    let gap = ui.spacing().item_spacing.x;
    let button_pad = 2.0 * ui.spacing().button_padding.x;
    let cancel_full_w = fit::text_width(ui, cancel_full, font) + button_pad;
    // The bar keeps at least a short readout; the Cancel label shortens first.
    let short_w = fit::text_width(ui, forms.last().map_or("", String::as_str), font) + 16.0;
    let spelled = room - cancel_full_w - gap >= short_w.max(160.0);
    let cancel_w = if spelled {
        cancel_full_w
    } else {
        fit::text_width(ui, "×", font) + button_pad
    };
    let bar_w = (room - cancel_w - gap).max(40.0);
    let i = fit::first_fitting(ui, &forms, font, bar_w - 16.0);
    ui.add(
        egui::ProgressBar::new(g.progress.fraction())
            .desired_width(bar_w)
            .text(forms[i].clone()),
    )
    .on_hover_text(&forms[0]);
    let cancel = if spelled {
        ui.button(cancel_full)
    } else {
        let b = ui.button("×").on_hover_text(cancel_full);
        b.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, cancel_full));
        b
    };
    if cancel.clicked() {
        commands.push(GalleryCommand::CancelIndexing.into());
    }
}

/// The indexing progress in words, longest first: what the status bar shows (the longest
/// that fits) and the gallery view shows (the first). One source, so they always agree.
pub fn index_readout(g: &Gallery) -> Vec<String> {
    let p = &g.progress;
    let eta = p
        .eta
        .map(|d| format!(", {} left", format_duration(d.as_secs())))
        .unwrap_or_default();
    let counts = format!(
        "{} of {} photos read, {} faces",
        p.photos_done, p.photos_total, p.faces_found
    );
    vec![
        format!(
            "{}: {counts}, {:.1} photos/s{eta}",
            p.phase.label(),
            p.photos_per_second
        ),
        format!("{}: {counts}", p.phase.label()),
        counts,
        format!("{}/{} photos", p.photos_done, p.photos_total),
        format!("{}/{}", p.photos_done, p.photos_total),
    ]
}

pub fn format_duration(secs: u64) -> String {
    if secs >= 3600 {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    } else if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}
