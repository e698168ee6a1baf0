//! The People view: every person of the gallery as a card (cover face, name or
//! "Unnamed", photo count), largest first, with a name filter; a person's page with
//! their faces (least certain last, marked) and the corrections; the unsorted faces with
//! suggestions; hidden persons; the split proposal and the sort dialog. Only the rows on
//! screen are built. Everything slow runs on core's people worker: this only draws the
//! last snapshot and pushes commands.
//!
//! Keys (outside text fields): arrows move, Enter opens, Delete = not this person (not a
//! face on the Unsorted page), F2 renames, Escape goes back, Ctrl+Z undoes.

use facesorter_core::people::sort::LinkMode;
use facesorter_core::people::worker::{Correction, PeopleSnapshot, Stage};
use facesorter_core::people::{FaceView, PersonId, PersonView};

use super::photo_view::{photo_with_box, show_thumb};
use super::results::clicked;
use crate::command::Command;
use crate::parts::dialogs::Pick;
use crate::parts::people::{PeopleCommand, PeoplePage, PeoplePart};
use crate::parts::AppState;
use crate::thumbnails::{Thumb, ThumbKey, Thumbnails};

/// The cover's side on a card, and a face's on a person's page, in points.
const COVER: f32 = 120.0;
const FACE: f32 = 104.0;
/// Room under the cover (name, count) and under a face (score, file, buttons).
const CARD_TEXT_H: f32 = 46.0;
const FACE_TEXT_H: f32 = 70.0;
/// Faces shown per suggestion and per split part.
const STRIP: usize = 8;

fn cmd(c: PeopleCommand) -> Command {
    c.into()
}

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    let AppState { people, thumbs, .. } = state;
    status(ui, people, commands);
    let Some(snapshot) = people.snapshot.clone() else {
        if people.stage.is_none() && people.error.is_none() && !people.cancelled {
            ui.label("Open a gallery folder: its people appear here once its faces are found.");
        }
        return;
    };
    dialogs(ui, people, &snapshot, thumbs, commands);
    let typing = ui.ctx().egui_wants_keyboard_input();
    if !typing && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z)) {
        commands.push(cmd(PeopleCommand::Undo));
    }
    if !typing && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
        commands.push(cmd(PeopleCommand::Back));
    }
    if people.photo_open {
        photo(ui, people, &snapshot, thumbs, commands);
        return;
    }
    match people.page {
        PeoplePage::Grid => grid(ui, people, &snapshot, thumbs, commands),
        PeoplePage::Person(id) => match snapshot.person(id) {
            Some(person) => person_page(ui, people, &snapshot, person, thumbs, commands),
            None => commands.push(cmd(PeopleCommand::ShowPage(PeoplePage::Grid))),
        },
        PeoplePage::Unsorted => unsorted_page(ui, people, &snapshot, thumbs, commands),
        PeoplePage::Hidden => hidden_page(ui, &snapshot, thumbs, commands),
    }
}

/// The worker's state: what runs (with Cancel while clustering), the last error, the
/// notices from opening.
fn status(ui: &mut egui::Ui, people: &PeoplePart, commands: &mut Vec<Command>) {
    if let Some(stage) = &people.stage {
        ui.horizontal(|ui| {
            ui.spinner();
            let secs = people.stage_started.map_or(0, |t| t.elapsed().as_secs());
            let text = match stage {
                Stage::Clustering { faces, preview } => format!(
                    "Sorting {faces} faces into people{}… {secs} s",
                    if *preview {
                        " (preview while indexing)"
                    } else {
                        ""
                    }
                ),
                Stage::Correcting(what) => format!("Saving: {what}…"),
                Stage::Undoing(what) => format!("Undoing {what}…"),
                Stage::Splitting(_) => "Looking for a stricter split…".into(),
                Stage::Sorting { photos, folders } => {
                    format!("Sorting {photos} photos into {folders} folders… {secs} s")
                }
            };
            ui.label(text);
            if matches!(stage, Stage::Clustering { .. }) && clicked(&ui.button("Cancel")) {
                commands.push(cmd(PeopleCommand::CancelClustering));
            }
        });
    }
    if people.cancelled {
        ui.horizontal(|ui| {
            ui.label("Sorting the faces into people was cancelled.");
            if clicked(&ui.button("Sort into people again")) {
                commands.push(cmd(PeopleCommand::Retry));
            }
        });
    }
    if let Some(e) = &people.error {
        ui.horizontal(|ui| {
            ui.colored_label(ui.visuals().error_fg_color, e);
            if clicked(&ui.small_button("Dismiss")) {
                commands.push(cmd(PeopleCommand::DismissError));
            }
        });
    }
    for n in &people.notices {
        ui.colored_label(ui.visuals().warn_fg_color, n);
    }
}

fn display_name(p: &PersonView) -> String {
    p.name.clone().unwrap_or_else(|| "Unnamed".into())
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

fn thumb_px(ui: &egui::Ui, side: f32) -> u32 {
    let want = side * ui.ctx().pixels_per_point();
    [128, 256, 384]
        .into_iter()
        .find(|&px| px as f32 >= want)
        .unwrap_or(384)
}

fn face_thumb(thumbs: &mut Thumbnails, f: &FaceView, px: u32) -> Thumb {
    thumbs.get(&ThumbKey::face(f.path.clone(), &f.face_box, px))
}

/// The undo button (Ctrl+Z), when there is something to undo.
fn undo_button(ui: &mut egui::Ui, snapshot: &PeopleSnapshot, commands: &mut Vec<Command>) {
    if let Some(label) = &snapshot.undo {
        if clicked(
            &ui.button(format!("Undo {label}"))
                .on_hover_text("Ctrl+Z: takes back the last correction"),
        ) {
            commands.push(cmd(PeopleCommand::Undo));
        }
    }
}

/// Arrow keys, Enter, Delete and F2 for a grid of `columns`; ignored while typing.
fn grid_keys(
    ui: &egui::Ui,
    people: &PeoplePart,
    columns: usize,
    commands: &mut Vec<Command>,
) -> bool {
    // While renaming, Enter and Escape are the name field's.
    if ui.ctx().egui_wants_keyboard_input() || people.rename.is_some() {
        return false;
    }
    let step = columns.max(1) as isize;
    let (by, enter, delete) = ui.input(|i| {
        let by = [
            (egui::Key::ArrowLeft, -1),
            (egui::Key::ArrowRight, 1),
            (egui::Key::ArrowUp, -step),
            (egui::Key::ArrowDown, step),
        ]
        .into_iter()
        .find(|(k, _)| i.key_pressed(*k))
        .map(|(_, by)| by);
        (
            by,
            i.key_pressed(egui::Key::Enter),
            i.key_pressed(egui::Key::Delete),
        )
    });
    if let Some(by) = by {
        commands.push(cmd(PeopleCommand::Move(by)));
    }
    if enter {
        commands.push(cmd(PeopleCommand::OpenCursor));
    }
    if delete {
        commands.push(cmd(PeopleCommand::RejectCursor));
    }
    by.is_some()
}

fn f2(ui: &egui::Ui, people: &PeoplePart) -> bool {
    people.rename.is_none()
        && !ui.ctx().egui_wants_keyboard_input()
        && ui.input(|i| i.key_pressed(egui::Key::F2))
}

/// How many cells of `cell_w` fit in the width left, with egui's spacing between them.
fn columns_for(ui: &egui::Ui, cell_w: f32) -> usize {
    let spacing = ui.spacing().item_spacing.x;
    (((ui.available_width() + spacing) / (cell_w + spacing)).floor() as usize).max(1)
}

// ---- the grid of persons ----------------------------------------------------------------

fn grid(
    ui: &mut egui::Ui,
    people: &mut PeoplePart,
    snapshot: &PeopleSnapshot,
    thumbs: &mut Thumbnails,
    commands: &mut Vec<Command>,
) {
    let faces: usize = snapshot.persons.iter().map(|p| p.faces.len()).sum();
    ui.horizontal_wrapped(|ui| {
        ui.heading("People");
        ui.label(format!(
            "{} · {} in them · {} unsorted{}",
            plural(snapshot.persons.len(), "person"),
            plural(faces, "face"),
            snapshot.unsorted.len(),
            if snapshot.preview {
                " · preview: indexing goes on, corrections wait for it"
            } else {
                ""
            }
        ));
    });
    ui.horizontal_wrapped(|ui| {
        let filter = ui.add(
            egui::TextEdit::singleline(&mut people.filter)
                .hint_text("filter by name")
                .desired_width(180.0),
        );
        ui.ctx()
            .accesskit_node_builder(filter.id, |n| n.set_label("Filter people by name"));
        if filter.changed() {
            people.filter_changed();
        }
        let selected = people.selected.len();
        let merge = if selected >= 2 {
            format!("Merge ({selected})")
        } else {
            "Merge".into()
        };
        if clicked(
            &ui.add_enabled(selected >= 2, egui::Button::new(merge))
                .on_hover_text(
                    "Merges the selected people (Ctrl/Shift-click cards) into the largest; \
                     or drop a card on another",
                ),
        ) {
            commands.push(cmd(PeopleCommand::MergeSelected));
        }
        if clicked(
            &ui.add_enabled(selected >= 1, egui::Button::new("Hide"))
                .on_hover_text("Hides the selected people (listed under Hidden)"),
        ) {
            commands.push(cmd(PeopleCommand::HideSelected));
        }
        ui.separator();
        if clicked(&ui.button(format!("Unsorted ({})", snapshot.unsorted.len()))) {
            commands.push(cmd(PeopleCommand::ShowPage(PeoplePage::Unsorted)));
        }
        if !snapshot.hidden.is_empty()
            && clicked(&ui.button(format!("Hidden ({})", snapshot.hidden.len())))
        {
            commands.push(cmd(PeopleCommand::ShowPage(PeoplePage::Hidden)));
        }
        if clicked(
            &ui.add_enabled(
                !snapshot.preview,
                egui::Button::new("Sort album into folders…"),
            )
            .on_hover_text("A folder per person, with links to (or copies of) the photos"),
        ) {
            commands.push(cmd(PeopleCommand::ShowSortDialog(true)));
        }
        if clicked(
            &ui.add_enabled(!snapshot.preview, egui::Button::new("Cluster again"))
                .on_hover_text("Sorts every face again; every correction is kept"),
        ) {
            commands.push(cmd(PeopleCommand::Correct(Correction::Recluster)));
        }
        undo_button(ui, snapshot, commands);
    });
    ui.separator();
    let cards = people.cards().len();
    if cards == 0 {
        ui.label(if snapshot.persons.is_empty() {
            "No person yet: a person needs the same face in at least two photos."
        } else {
            "No person's name matches the filter."
        });
        return;
    }
    let cell = egui::vec2(COVER + 20.0, COVER + CARD_TEXT_H + 14.0);
    let columns = columns_for(ui, cell.x);
    let row_h = cell.y + ui.spacing().item_spacing.y;
    let rows = cards.div_ceil(columns);
    if f2(ui, people) {
        if let Some(p) = people.cursor.and_then(|c| people.card_person(c)) {
            commands.push(cmd(PeopleCommand::StartRename(p.id)));
        }
    }
    let moved = grid_keys(ui, people, columns, commands);
    let area = scroll_to_cursor(ui, "people-grid", people.cursor, moved, columns, row_h);
    let px = thumb_px(ui, COVER);
    let modifiers = ui.input(|i| i.modifiers);
    let output = area.show_rows(ui, row_h, rows, |ui, range| {
        for row in range {
            ui.horizontal(|ui| {
                for card in row * columns..((row + 1) * columns).min(cards) {
                    let Some(person) = people.card_person(card).cloned() else {
                        continue;
                    };
                    let info = CardInfo {
                        card,
                        selected: people.selected.contains(&person.id),
                        cursor: people.cursor == Some(card),
                    };
                    let thumb = face_thumb(thumbs, &person.cover, px);
                    draw_card(ui, cell, &person, &thumb, info, people, modifiers, commands);
                }
            });
        }
    });
    remember_offset(ui, "people-grid", output.state.clamped_offset().y);
}

#[derive(Clone, Copy)]
struct CardInfo {
    card: usize,
    selected: bool,
    cursor: bool,
}

#[allow(clippy::too_many_arguments)]
fn draw_card(
    ui: &mut egui::Ui,
    size: egui::Vec2,
    person: &PersonView,
    thumb: &Thumb,
    info: CardInfo,
    people: &mut PeoplePart,
    modifiers: egui::Modifiers,
    commands: &mut Vec<Command>,
) {
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
    // The id keeps the unnamed apart (for screen readers and tests).
    let label = format!(
        "{}, person {}: {}",
        display_name(person),
        person.id,
        plural(person.photos, "photo")
    );
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::Button, true, info.selected, &label)
    });
    // A card dragged onto another merges it there.
    if response.drag_started() {
        egui::DragAndDrop::set_payload(ui.ctx(), person.id);
    }
    let dropping = response
        .dnd_hover_payload::<PersonId>()
        .is_some_and(|p| *p != person.id);
    if let Some(from) = response.dnd_release_payload::<PersonId>() {
        if *from != person.id {
            commands.push(cmd(PeopleCommand::MergeInto {
                into: person.id,
                from: *from,
            }));
        }
    }
    if clicked(&response) {
        if modifiers.command || modifiers.shift {
            commands.push(cmd(PeopleCommand::ClickCard {
                card: info.card,
                toggle: modifiers.command,
                range: modifiers.shift,
            }));
        } else {
            commands.push(cmd(PeopleCommand::ShowPage(PeoplePage::Person(person.id))));
        }
    }
    let _ = response
        .on_hover_cursor(egui::CursorIcon::PointingHand)
        .on_hover_text("Click: open · Ctrl/Shift-click: select · drag onto another: merge");
    let visuals = ui.visuals().clone();
    let stroke = if dropping {
        egui::Stroke::new(3.0, egui::Color32::from_rgb(240, 170, 40))
    } else if info.selected {
        egui::Stroke::new(3.0, visuals.selection.stroke.color)
    } else if info.cursor {
        egui::Stroke::new(2.0, visuals.selection.stroke.color.gamma_multiply(0.6))
    } else {
        visuals.widgets.noninteractive.bg_stroke
    };
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect.shrink(2.0))
            .layout(egui::Layout::top_down(egui::Align::Center)),
    );
    let fill = if info.selected {
        visuals.selection.bg_fill.gamma_multiply(0.35)
    } else {
        visuals.faint_bg_color
    };
    egui::Frame::group(child.style())
        .stroke(stroke)
        .fill(fill)
        .show(&mut child, |ui| {
            ui.set_width(size.x - 18.0);
            ui.set_min_height(size.y - 18.0);
            show_thumb(ui, thumb, egui::vec2(COVER, COVER));
            let renaming = people
                .rename
                .as_ref()
                .is_some_and(|(id, _)| *id == person.id);
            if renaming {
                rename_field(ui, people, size.x - 24.0, commands);
            } else {
                let text = egui::RichText::new(display_name(person)).strong();
                let text = if person.name.is_none() {
                    text.italics()
                } else {
                    text
                };
                let name = ui
                    .add(
                        egui::Label::new(text)
                            .truncate()
                            .sense(egui::Sense::click()),
                    )
                    .on_hover_text("Click (or F2) to rename");
                if clicked(&name) {
                    commands.push(cmd(PeopleCommand::StartRename(person.id)));
                }
            }
            ui.weak(plural(person.photos, "photo"));
        });
}

/// The name being typed, in place: Enter (or leaving the field) keeps it, Escape cancels.
fn rename_field(
    ui: &mut egui::Ui,
    people: &mut PeoplePart,
    width: f32,
    commands: &mut Vec<Command>,
) {
    let Some((_, text)) = people.rename.as_mut() else {
        return;
    };
    let edit = ui.add(
        egui::TextEdit::singleline(text)
            .hint_text("name")
            .desired_width(width),
    );
    ui.ctx()
        .accesskit_node_builder(edit.id, |n| n.set_label("Name"));
    let id_key = egui::Id::unique("people-rename-focused");
    let focused_once: bool = ui.ctx().data(|d| d.get_temp(id_key)).unwrap_or(false);
    if !focused_once {
        edit.request_focus();
        ui.ctx().data_mut(|d| d.insert_temp(id_key, true));
    }
    let escape = ui.input(|i| i.key_pressed(egui::Key::Escape));
    if escape {
        commands.push(cmd(PeopleCommand::CancelRename));
        ui.ctx().data_mut(|d| d.remove::<bool>(id_key));
    } else if edit.lost_focus() {
        commands.push(cmd(PeopleCommand::CommitRename));
        ui.ctx().data_mut(|d| d.remove::<bool>(id_key));
    }
}

/// The scroll area, scrolled so the cursor's row shows when the keyboard moved it.
fn scroll_to_cursor(
    ui: &egui::Ui,
    key: &str,
    cursor: Option<usize>,
    moved: bool,
    columns: usize,
    row_h: f32,
) -> egui::ScrollArea {
    let mut area = egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .id_salt(key);
    if let (true, Some(c)) = (moved, cursor) {
        let view_h = ui.available_height();
        let offset: f32 = ui
            .ctx()
            .data(|d| d.get_temp(egui::Id::unique(key)))
            .unwrap_or(0.0);
        let top = (c / columns.max(1)) as f32 * row_h;
        if top < offset {
            area = area.vertical_scroll_offset(top);
        } else if top + row_h > offset + view_h {
            area = area.vertical_scroll_offset(top + row_h - view_h);
        }
    }
    area
}

fn remember_offset(ui: &egui::Ui, key: &str, offset: f32) {
    ui.ctx()
        .data_mut(|d| d.insert_temp(egui::Id::unique(key), offset));
}

// ---- a person's page ----------------------------------------------------------------------

fn person_page(
    ui: &mut egui::Ui,
    people: &mut PeoplePart,
    snapshot: &PeopleSnapshot,
    person: &PersonView,
    thumbs: &mut Thumbnails,
    commands: &mut Vec<Command>,
) {
    let id = person.id;
    ui.horizontal_wrapped(|ui| {
        if clicked(&ui.button("Back to people (Esc)")) {
            commands.push(cmd(PeopleCommand::Back));
        }
        let renaming = people.rename.as_ref().is_some_and(|(r, _)| *r == id);
        if renaming {
            rename_field(ui, people, 220.0, commands);
        } else {
            let text = egui::RichText::new(display_name(person)).heading();
            let name = ui
                .add(egui::Label::new(text).sense(egui::Sense::click()))
                .on_hover_text("Click (or F2) to rename");
            name.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::Role::Button,
                    true,
                    format!("Rename {}", display_name(person)),
                )
            });
            if clicked(&name) {
                commands.push(cmd(PeopleCommand::StartRename(id)));
            }
        }
        ui.label(format!(
            "{} · {}",
            plural(person.photos, "photo"),
            plural(person.faces.len(), "face")
        ));
    });
    let editable = !snapshot.preview;
    ui.horizontal_wrapped(|ui| {
        if clicked(
            &ui.button("Find this person")
                .on_hover_text("Searches the gallery for them in Find (their faces are the probe)"),
        ) {
            commands.push(cmd(PeopleCommand::FindPerson(id)));
        }
        if clicked(
            &ui.add_enabled(editable, egui::Button::new("Confirm all shown"))
                .on_hover_text("These faces are this person: they stay, whatever happens"),
        ) {
            let faces = person
                .faces
                .iter()
                .filter(|f| !f.confirmed)
                .map(|f| f.key.clone())
                .collect::<Vec<_>>();
            if !faces.is_empty() {
                commands.push(cmd(PeopleCommand::Correct(Correction::Confirm {
                    id,
                    faces,
                })));
            }
        }
        if clicked(
            &ui.add_enabled(editable, egui::Button::new("Split…"))
                .on_hover_text("Shows how this person would split if clustered more strictly"),
        ) {
            commands.push(cmd(PeopleCommand::ProposeSplit(id)));
        }
        if clicked(
            &ui.add_enabled(editable, egui::Button::new("Hide"))
                .on_hover_text("Hides this person (listed under Hidden)"),
        ) {
            commands.push(cmd(PeopleCommand::HideSelected));
        }
        undo_button(ui, snapshot, commands);
    });
    ui.separator();
    if f2(ui, people) {
        commands.push(cmd(PeopleCommand::StartRename(id)));
    }
    face_grid(
        ui,
        people,
        &person.faces,
        Some(id),
        editable,
        thumbs,
        commands,
    );
}

/// A grid of faces (a person's, or the unsorted ones): the crop, its confidence, the
/// file, and the corrections. Clicking the crop opens the photo.
fn face_grid(
    ui: &mut egui::Ui,
    people: &PeoplePart,
    faces: &[FaceView],
    person: Option<PersonId>,
    editable: bool,
    thumbs: &mut Thumbnails,
    commands: &mut Vec<Command>,
) {
    if faces.is_empty() {
        ui.label("No face here.");
        return;
    }
    let cell = egui::vec2(FACE + 56.0, FACE + FACE_TEXT_H + 14.0);
    let columns = columns_for(ui, cell.x);
    let row_h = cell.y + ui.spacing().item_spacing.y;
    let rows = faces.len().div_ceil(columns);
    let moved = grid_keys(ui, people, columns, commands);
    let area = scroll_to_cursor(ui, "people-faces", people.cursor, moved, columns, row_h);
    let px = thumb_px(ui, FACE);
    let output = area.show_rows(ui, row_h, rows, |ui, range| {
        for row in range {
            ui.horizontal(|ui| {
                let first = row * columns;
                for (i, f) in faces.iter().enumerate().skip(first).take(columns) {
                    let thumb = face_thumb(thumbs, f, px);
                    let selected = people.cursor == Some(i);
                    draw_face(ui, cell, i, f, &thumb, selected, person, editable, commands);
                }
            });
        }
    });
    remember_offset(ui, "people-faces", output.state.clamped_offset().y);
}

#[allow(clippy::too_many_arguments)]
fn draw_face(
    ui: &mut egui::Ui,
    size: egui::Vec2,
    i: usize,
    f: &FaceView,
    thumb: &Thumb,
    selected: bool,
    person: Option<PersonId>,
    editable: bool,
    commands: &mut Vec<Command>,
) {
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
    let uncertain = person.is_some() && f.uncertain;
    let name = f
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let label = format!("Face {} {name}", i + 1);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
    if clicked(&response) {
        commands.push(cmd(PeopleCommand::OpenFace(i)));
    }
    let _ = response
        .on_hover_cursor(egui::CursorIcon::PointingHand)
        .on_hover_text(f.path.display().to_string());
    let visuals = ui.visuals().clone();
    let stroke = if selected {
        egui::Stroke::new(2.0, visuals.selection.stroke.color)
    } else if uncertain {
        egui::Stroke::new(1.5, visuals.warn_fg_color)
    } else {
        visuals.widgets.noninteractive.bg_stroke
    };
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect.shrink(2.0))
            .layout(egui::Layout::top_down(egui::Align::Center)),
    );
    egui::Frame::group(child.style())
        .stroke(stroke)
        .show(&mut child, |ui| {
            ui.set_width(size.x - 18.0);
            ui.set_min_height(size.y - 18.0);
            show_thumb(ui, thumb, egui::vec2(FACE, FACE));
            ui.horizontal(|ui| {
                if f.confirmed {
                    ui.colored_label(egui::Color32::from_rgb(60, 170, 90), "confirmed");
                } else if person.is_some() {
                    ui.strong(format!("{:.2}", f.score));
                    if uncertain {
                        ui.colored_label(visuals.warn_fg_color, "uncertain")
                            .on_hover_text("The least certain faces come last: check them");
                    }
                }
            });
            ui.add(egui::Label::new(egui::RichText::new(&name).small()).truncate());
            ui.horizontal(|ui| {
                if let Some(id) = person {
                    let r = ui
                        .add_enabled(
                            editable,
                            egui::Button::new(egui::RichText::new("Not this person").small()),
                        )
                        .on_hover_text("Delete: takes this face out of the person, for good");
                    let label = format!("Not this person, face {}", i + 1);
                    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
                    if clicked(&r) {
                        commands.push(cmd(PeopleCommand::Correct(Correction::Reject {
                            id,
                            faces: vec![f.key.clone()],
                        })));
                    }
                }
                let r = ui
                    .add_enabled(
                        editable,
                        egui::Button::new(egui::RichText::new("Not a face").small()),
                    )
                    .on_hover_text("Not a face (or not to be sorted): left out of every person");
                let label = format!("Not a face, face {}", i + 1);
                r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
                if clicked(&r) {
                    commands.push(cmd(PeopleCommand::Correct(Correction::Ignore {
                        faces: vec![f.key.clone()],
                    })));
                }
            });
        });
}

// ---- unsorted and hidden -----------------------------------------------------------------

fn unsorted_page(
    ui: &mut egui::Ui,
    people: &PeoplePart,
    snapshot: &PeopleSnapshot,
    thumbs: &mut Thumbnails,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        if clicked(&ui.button("Back to people (Esc)")) {
            commands.push(cmd(PeopleCommand::Back));
        }
        ui.heading("Unsorted");
        ui.label(format!(
            "{} in no person",
            plural(snapshot.unsorted.len(), "face")
        ));
        undo_button(ui, snapshot, commands);
    });
    let editable = !snapshot.preview;
    let px = thumb_px(ui, 56.0);
    for s in snapshot
        .suggestions
        .iter()
        .filter(|s| !people.dismissed.contains(&s.person))
    {
        let name = s
            .name
            .clone()
            .unwrap_or_else(|| format!("Unnamed person {}", s.person));
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "{} may be {name}",
                    if s.faces.len() == 1 {
                        "This face".to_string()
                    } else {
                        format!("These {} faces", s.faces.len())
                    }
                ));
                // Who that is, by their cover face.
                if let Some(p) = snapshot.person(s.person) {
                    show_thumb(
                        ui,
                        &face_thumb(thumbs, &p.cover, px),
                        egui::vec2(48.0, 48.0),
                    );
                    ui.label("—");
                }
                for f in s.faces.iter().take(STRIP) {
                    show_thumb(ui, &face_thumb(thumbs, f, px), egui::vec2(48.0, 48.0));
                }
                if s.faces.len() > STRIP {
                    ui.weak(format!("+{}", s.faces.len() - STRIP));
                }
                let confirm = ui.add_enabled(editable, egui::Button::new("Confirm"));
                let label = format!("Confirm as {name}");
                confirm.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
                if clicked(&confirm) {
                    commands.push(cmd(PeopleCommand::Correct(Correction::Confirm {
                        id: s.person,
                        faces: s.faces.iter().map(|f| f.key.clone()).collect(),
                    })));
                }
                if clicked(&ui.button("Dismiss")) {
                    commands.push(cmd(PeopleCommand::DismissSuggestion(s.person)));
                }
            });
        });
    }
    ui.separator();
    face_grid(
        ui,
        people,
        &snapshot.unsorted,
        None,
        editable,
        thumbs,
        commands,
    );
}

fn hidden_page(
    ui: &mut egui::Ui,
    snapshot: &PeopleSnapshot,
    thumbs: &mut Thumbnails,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        if clicked(&ui.button("Back to people (Esc)")) {
            commands.push(cmd(PeopleCommand::Back));
        }
        ui.heading("Hidden");
        undo_button(ui, snapshot, commands);
    });
    let px = thumb_px(ui, 64.0);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for p in &snapshot.hidden {
                ui.horizontal(|ui| {
                    show_thumb(
                        ui,
                        &face_thumb(thumbs, &p.cover, px),
                        egui::vec2(64.0, 64.0),
                    );
                    ui.label(format!(
                        "{} · {}",
                        display_name(p),
                        plural(p.photos, "photo")
                    ));
                    if clicked(&ui.button("Show again")) {
                        commands.push(cmd(PeopleCommand::Correct(Correction::Hide {
                            id: p.id,
                            hidden: false,
                        })));
                    }
                });
            }
        });
}

// ---- the photo of a face ------------------------------------------------------------------

fn photo(
    ui: &mut egui::Ui,
    people: &PeoplePart,
    snapshot: &PeopleSnapshot,
    thumbs: &mut Thumbnails,
    commands: &mut Vec<Command>,
) {
    let faces = people.page_faces();
    let Some((i, f)) = people.cursor.and_then(|c| faces.get(c).map(|f| (c, f))) else {
        commands.push(cmd(PeopleCommand::ClosePhoto));
        return;
    };
    let person = match people.page {
        PeoplePage::Person(id) => Some(id),
        _ => None,
    };
    if !ui.ctx().egui_wants_keyboard_input() {
        ui.input(|inp| {
            if inp.key_pressed(egui::Key::ArrowRight) {
                commands.push(cmd(PeopleCommand::Move(1)));
            }
            if inp.key_pressed(egui::Key::ArrowLeft) {
                commands.push(cmd(PeopleCommand::Move(-1)));
            }
            if inp.key_pressed(egui::Key::Delete) {
                commands.push(cmd(PeopleCommand::RejectCursor));
            }
        });
    }
    let editable = !snapshot.preview;
    ui.horizontal_wrapped(|ui| {
        if clicked(&ui.button("Back (Esc)")) {
            commands.push(cmd(PeopleCommand::ClosePhoto));
        }
        if clicked(&ui.add_enabled(i > 0, egui::Button::new("Previous"))) {
            commands.push(cmd(PeopleCommand::Move(-1)));
        }
        if clicked(&ui.add_enabled(i + 1 < faces.len(), egui::Button::new("Next"))) {
            commands.push(cmd(PeopleCommand::Move(1)));
        }
        ui.separator();
        if let Some(id) = person {
            if clicked(
                &ui.add_enabled(editable, egui::Button::new("Not this person"))
                    .on_hover_text("Delete"),
            ) {
                commands.push(cmd(PeopleCommand::Correct(Correction::Reject {
                    id,
                    faces: vec![f.key.clone()],
                })));
            }
        }
        if clicked(&ui.add_enabled(editable, egui::Button::new("Not a face"))) {
            commands.push(cmd(PeopleCommand::Correct(Correction::Ignore {
                faces: vec![f.key.clone()],
            })));
        }
        ui.separator();
        if let Some(name) = person.and_then(|id| snapshot.person(id)).map(display_name) {
            ui.strong(name);
        }
        ui.weak(format!("face {} of {}", i + 1, faces.len()));
        if f.confirmed {
            ui.weak("confirmed");
        } else if person.is_some() {
            ui.weak(format!("confidence {:.2}", f.score));
        }
    });
    ui.weak(f.path.display().to_string());
    ui.separator();
    let record = snapshot.photo_of(f);
    photo_with_box(
        ui,
        thumbs,
        &f.path,
        (record.width, record.height),
        f.face_box,
        f.face,
    );
}

// ---- split and sort ------------------------------------------------------------------------

fn dialogs(
    ui: &mut egui::Ui,
    people: &mut PeoplePart,
    snapshot: &PeopleSnapshot,
    thumbs: &mut Thumbnails,
    commands: &mut Vec<Command>,
) {
    if let Some((id, parts)) = &people.split {
        let name = snapshot
            .person(*id)
            .map_or_else(|| "this person".into(), display_name);
        let px = thumb_px(ui, 56.0);
        egui::Window::new("Split")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .show(ui.ctx(), |ui| {
                if parts.len() <= 1 {
                    ui.label(format!("{name} holds together: no stricter split."));
                    if clicked(&ui.button("Close")) {
                        commands.push(cmd(PeopleCommand::CancelSplit));
                    }
                    return;
                }
                ui.label(format!(
                    "{name} would split into {} people. The part with the confirmed faces \
                     (else the largest) keeps the name.",
                    parts.len()
                ));
                for (k, part) in parts.iter().enumerate() {
                    ui.horizontal_wrapped(|ui| {
                        ui.strong(format!("Part {}: {}", k + 1, plural(part.len(), "face")));
                        for f in part.iter().take(STRIP) {
                            show_thumb(ui, &face_thumb(thumbs, f, px), egui::vec2(48.0, 48.0));
                        }
                        if part.len() > STRIP {
                            ui.weak(format!("+{}", part.len() - STRIP));
                        }
                    });
                }
                ui.horizontal(|ui| {
                    if clicked(&ui.button("OK, split")) {
                        commands.push(cmd(PeopleCommand::ApplySplit));
                    }
                    if clicked(&ui.button("Cancel")) {
                        commands.push(cmd(PeopleCommand::CancelSplit));
                    }
                });
            });
    }
    if people.sort.open {
        sort_dialog(ui, people, snapshot, commands);
    }
}

fn sort_dialog(
    ui: &mut egui::Ui,
    people: &mut PeoplePart,
    snapshot: &PeopleSnapshot,
    commands: &mut Vec<Command>,
) {
    let sort = &mut people.sort;
    egui::Window::new("Sort album into folders")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ui.ctx(), |ui| {
            ui.label(format!(
                "A folder per person ({} people; hidden ones left out), named after them, \
                 and \"unsorted\" for the photos with nobody in them.",
                snapshot.persons.len()
            ));
            ui.horizontal(|ui| {
                let label = ui.label("Into:");
                let running = sort.running();
                ui.add_enabled(
                    !running,
                    egui::TextEdit::singleline(&mut sort.out)
                        .hint_text("a folder (created if needed)")
                        .desired_width(300.0),
                )
                .labelled_by(label.id);
                if clicked(&ui.add_enabled(!sort.running(), egui::Button::new("Choose…"))) {
                    commands.push(Pick::SortFolder.into());
                }
            });
            ui.horizontal(|ui| {
                ui.label("Photos as:");
                for (mode, text, hover) in [
                    (
                        LinkMode::Hard,
                        "Hard links",
                        "No extra space (a copy across file systems)",
                    ),
                    (
                        LinkMode::Symbolic,
                        "Symbolic links",
                        "Links to the originals' paths",
                    ),
                    (LinkMode::Copy, "Copies", "Independent copies of the files"),
                ] {
                    if ui
                        .add_enabled(
                            !sort.running(),
                            egui::RadioButton::new(sort.link == mode, text),
                        )
                        .on_hover_text(hover)
                        .clicked()
                    {
                        commands.push(cmd(PeopleCommand::SetSortLink(mode)));
                    }
                }
            });
            ui.horizontal(|ui| {
                if sort.running() {
                    ui.spinner();
                    let secs = sort.started.map_or(0, |t| t.elapsed().as_secs());
                    ui.label(format!("Sorting… {secs} s"));
                    if clicked(&ui.button("Cancel")) {
                        commands.push(cmd(PeopleCommand::CancelSort));
                    }
                } else {
                    if clicked(
                        &ui.add_enabled(!sort.out.trim().is_empty(), egui::Button::new("Sort")),
                    ) {
                        commands.push(cmd(PeopleCommand::StartSort));
                    }
                    if clicked(&ui.button("Close")) {
                        commands.push(cmd(PeopleCommand::ShowSortDialog(false)));
                    }
                }
            });
            match &sort.result {
                Some(Ok(summary)) => {
                    let mut text = format!(
                        "{} {} written into {} in {:.1} s",
                        plural(summary.written(), "photo"),
                        if summary.cancelled { "were" } else { "" },
                        plural(summary.folders.len(), "folder"),
                        summary.seconds
                    )
                    .replace("  ", " ");
                    if summary.existing > 0 {
                        text.push_str(&format!(" ({} already there)", summary.existing));
                    }
                    if summary.cancelled {
                        text.push_str(": cancelled, the rest was not written");
                    }
                    ui.label(text);
                    for (path, why) in summary.failed.iter().take(5) {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            format!("{}: {why}", path.display()),
                        );
                    }
                    if clicked(&ui.button("Open the folder")) {
                        commands.push(cmd(PeopleCommand::OpenSortedFolder));
                    }
                }
                Some(Err(e)) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                None => {}
            }
            if let Some(e) = &sort.open_error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
        });
}
