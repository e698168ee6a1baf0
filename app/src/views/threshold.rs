//! The threshold: a slider with its number field, the counts above it, the histogram.

use crate::command::Command;
use crate::state::AppState;

pub const RANGE: std::ops::RangeInclusive<f32> = -0.2..=1.0;

pub fn draw(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    ui.heading("Threshold");
    let mut t = state.threshold;
    let slider = ui.add(
        egui::Slider::new(&mut t, RANGE)
            .text("Threshold")
            .step_by(0.01)
            .fixed_decimals(2),
    );
    if slider.changed() && t != state.threshold {
        commands.push(Command::SetThreshold(t));
    }
    let (faces, photos) = state.counts_above();
    ui.label(format!(
        "{faces} faces in {photos} photos at or above {:.2}",
        state.threshold
    ));
    if let Some(r) = &state.results {
        if r.partial {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "Partial: indexing goes on, results update as faces arrive",
            );
        }
        if let Some(clicked) = super::histogram::draw(ui, &r.ranked, state.threshold) {
            commands.push(Command::SetThreshold(clicked));
        }
    }
    let mut hide = state.persisted.hide_low_quality;
    if ui
        .checkbox(&mut hide, "Hide low-quality faces")
        .on_hover_text(format!(
            "Faces with an AdaFace norm under {:.0} (blurry, tiny or turned)",
            state.persisted.low_quality_norm
        ))
        .changed()
    {
        commands.push(Command::SetHideLowQuality(hide));
    }
}
