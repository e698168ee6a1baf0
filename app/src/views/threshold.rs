//! The threshold: a slider with its number field, the counts above it, the histogram.

use crate::command::Command;
use crate::parts::results::ResultsCommand;
use crate::parts::AppState;

/// The slider's and the histogram's score range.
pub const RANGE: std::ops::RangeInclusive<f32> = -0.2..=1.0;

pub fn draw(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    ui.heading("Threshold");
    let results = &state.results;
    let current = results.threshold();
    let mut t = current;
    let slider = ui.add(
        egui::Slider::new(&mut t, RANGE)
            .text("Threshold")
            .step_by(0.01)
            .fixed_decimals(2),
    );
    if slider.changed() && t != current {
        commands.push(ResultsCommand::SetThreshold(t).into());
    }
    let counts = results.counts();
    ui.label(format!(
        "{} faces in {} photos at or above {current:.2}",
        counts.faces, counts.photos
    ));
    if let Some(session) = results.session().filter(|_| results.has_ranking()) {
        if results.partial() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "Partial: indexing goes on, results update as faces arrive",
            );
        }
        let counts = session.histogram(super::histogram::BINS, RANGE);
        if let Some(clicked) = super::histogram::draw(ui, &counts, RANGE, current) {
            commands.push(ResultsCommand::SetThreshold(clicked).into());
        }
    }
    let mut hide = state.settings.hide_low_quality;
    if ui
        .checkbox(&mut hide, "Hide low-quality faces")
        .on_hover_text(format!(
            "Faces with an AdaFace norm under {:.0} (blurry, tiny or turned)",
            state.settings.low_quality_norm
        ))
        .changed()
    {
        commands.push(Command::SetHideLowQuality(hide));
    }
}
