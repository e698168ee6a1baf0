//! The gallery overview: photos, faces, and each photo that could not be read, with why.

use crate::command::Command;
use crate::parts::gallery::GalleryCommand;
use crate::parts::AppState;

pub fn draw(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let Some(g) = &state.gallery.gallery else {
        return;
    };
    ui.heading(format!("Gallery: {}", super::short_path(&g.root)));
    if let Some(e) = &g.error {
        ui.colored_label(ui.visuals().error_fg_color, format!("Indexing failed: {e}"));
    }
    let failures = g.summary.as_ref().map_or(&[][..], |s| &s.failures[..]);
    if g.indexing() {
        // The status bar's readout, word for word: one source for both.
        let readout = super::status::index_readout(g);
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("Indexing… {}", readout[0]));
        });
    } else {
        let (photos, faces) = g
            .album
            .as_ref()
            .map_or((0, 0), |a| (a.photos().len(), a.faces().len()));
        ui.label(format!(
            "{photos} photos, {faces} faces, {} could not be read",
            failures.len()
        ));
    }
    if let Some(s) = &g.summary {
        if s.cancelled {
            ui.label("Indexing was cancelled: the photos done so far are kept. Open the folder again to continue.");
        }
        if let Some(n) = &s.cache_notice {
            ui.weak(n);
        }
    }
    if !failures.is_empty() {
        egui::CollapsingHeader::new(format!("Unreadable photos ({})", failures.len()))
            .default_open(failures.len() <= 5)
            .show(ui, |ui| {
                for f in failures {
                    ui.horizontal_wrapped(|ui| {
                        if ui
                            .link(super::short_path(&f.path))
                            .on_hover_text("Show the file")
                            .clicked()
                        {
                            let dir = f.path.parent().unwrap_or(&f.path).to_path_buf();
                            commands.push(GalleryCommand::OpenFolder(dir).into());
                        }
                        ui.weak(&f.reason);
                    });
                }
            });
    }
    if let Some(e) = &g.open_error {
        ui.add(egui::Label::new(egui::RichText::new(e).color(ui.visuals().error_fg_color)).wrap());
    }
}
