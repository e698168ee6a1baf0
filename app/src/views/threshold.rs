//! The threshold: a slider across the panel with its number field, the counts above it,
//! the histogram. A click on the slider gives it the keyboard: Left/Right and Up/Down
//! step 0.01, with Shift 0.05 (the grid's arrow keys rest while it has focus).

use crate::command::Command;
use crate::parts::results::ResultsCommand;
use crate::parts::AppState;

/// The slider's and the histogram's score range.
pub const RANGE: std::ops::RangeInclusive<f32> = -0.2..=1.0;
/// One arrow key press.
pub const STEP: f32 = 0.01;
/// One arrow key press with Shift.
pub const BIG_STEP: f32 = 0.05;
/// Room for the number field beside the slider.
const NUMBER_FIELD: f32 = 56.0;

pub fn draw(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let heading = ui.heading("Threshold");
    let results = &state.results;
    let current = results.threshold();
    let mut t = current;
    let mut rail_width = 0.0;
    let slider = ui
        .scope(|ui| {
            rail_width = (ui.available_width() - NUMBER_FIELD).max(60.0);
            ui.spacing_mut().slider_width = rail_width;
            ui.add(
                egui::Slider::new(&mut t, RANGE)
                    .step_by(f64::from(STEP))
                    .fixed_decimals(2),
            )
        })
        .inner
        .labelled_by(heading.id);
    // A press on the rail gives the slider the keyboard — also when press and release
    // arrive in one frame, which makes no drag (the number field takes focus itself).
    let rail = egui::Rect::from_min_size(
        slider.rect.min,
        egui::vec2(rail_width, slider.rect.height()),
    );
    let pressed_on_rail = ui.input(|i| {
        i.pointer.any_pressed() && i.pointer.interact_pos().is_some_and(|p| rail.contains(p))
    });
    if pressed_on_rail || slider.drag_started() {
        slider.request_focus();
    }
    if slider.has_focus() {
        // The slider's own keys step 0.01 whatever the modifiers, and only Left/Right:
        // these replace them. Up/Down are held so they do not move the focus on.
        ui.memory_mut(|m| {
            m.set_focus_lock_filter(
                slider.id,
                egui::EventFilter {
                    horizontal_arrows: true,
                    vertical_arrows: true,
                    ..Default::default()
                },
            );
        });
        if let Some(stepped) = ui.input(|i| keyboard_step(i, current)) {
            t = stepped;
        }
    }
    // egui's slider puts a threshold set from elsewhere (0.8837 from a histogram click or
    // the command line) on its 0.01 grid when it draws; only a real move is a change.
    if t != current && (t - snap(current)).abs() > 1e-4 {
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
        let drawn =
            super::histogram::draw(ui, &counts, RANGE, current, session.first_rejected_score());
        if let Some(clicked) = drawn.clicked {
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

/// The threshold after this frame's arrow keys, from `current`; `None` without any.
fn keyboard_step(input: &egui::InputState, current: f32) -> Option<f32> {
    let mut delta = 0.0;
    for event in &input.events {
        if let egui::Event::Key {
            key,
            pressed: true,
            modifiers,
            ..
        } = event
        {
            let sign = match key {
                egui::Key::ArrowRight | egui::Key::ArrowUp => 1.0,
                egui::Key::ArrowLeft | egui::Key::ArrowDown => -1.0,
                _ => continue,
            };
            delta += sign * if modifiers.shift { BIG_STEP } else { STEP };
        }
    }
    (delta != 0.0).then(|| snap(current + delta))
}

/// `t` on the 0.01 grid, within the range (no 0.30000001 from float steps).
fn snap(t: f32) -> f32 {
    ((t * 100.0).round() / 100.0).clamp(*RANGE.start(), *RANGE.end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(presses: &[(egui::Key, bool)]) -> egui::InputState {
        let events = presses
            .iter()
            .map(|&(key, shift)| egui::Event::Key {
                key,
                physical_key: None,
                pressed: true,
                repeat: false,
                modifiers: if shift {
                    egui::Modifiers::SHIFT
                } else {
                    egui::Modifiers::NONE
                },
            })
            .collect();
        let raw = egui::RawInput {
            events,
            ..Default::default()
        };
        egui::InputState::default().begin_pass(raw, false, 1.0, egui::InputOptions::default())
    }

    #[test]
    fn arrows_step_a_hundredth_and_shift_a_twentieth() {
        use egui::Key::*;
        assert_eq!(
            keyboard_step(&keys(&[(ArrowRight, false)]), 0.30),
            Some(0.31)
        );
        assert_eq!(keyboard_step(&keys(&[(ArrowUp, false)]), 0.30), Some(0.31));
        assert_eq!(
            keyboard_step(&keys(&[(ArrowLeft, false)]), 0.30),
            Some(0.29)
        );
        assert_eq!(keyboard_step(&keys(&[(ArrowDown, true)]), 0.30), Some(0.25));
        assert_eq!(
            keyboard_step(&keys(&[(ArrowRight, true)]), 0.30),
            Some(0.35)
        );
        assert_eq!(
            keyboard_step(&keys(&[(ArrowRight, false), (ArrowRight, true)]), 0.30),
            Some(0.36)
        );
        assert_eq!(keyboard_step(&keys(&[(Enter, false)]), 0.30), None);
        assert_eq!(keyboard_step(&keys(&[(ArrowRight, true)]), 0.98), Some(1.0));
        assert_eq!(
            keyboard_step(&keys(&[(ArrowLeft, true)]), -0.18),
            Some(-0.2)
        );
    }
}
