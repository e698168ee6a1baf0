//! What the views ask for. Views only read state and push commands; the commands are
//! applied after the frame is drawn, so no widget mutates deep state mid-frame. Each
//! part of the state has its own command enum; this one only says which part.

use crate::parts::dialogs::{DialogCommand, Pick};
use crate::parts::download::DownloadCommand;
use crate::parts::engine::EngineCommand;
use crate::parts::export::ExportCommand;
use crate::parts::gallery::GalleryCommand;
use crate::parts::notices::NoticeKind;
use crate::parts::people::PeopleCommand;
use crate::parts::probes::ProbeCommand;
use crate::parts::results::ResultsCommand;

#[must_use]
#[derive(Debug, Clone)]
pub enum Command {
    Gallery(GalleryCommand),
    Probe(ProbeCommand),
    Results(ResultsCommand),
    Export(ExportCommand),
    Download(DownloadCommand),
    Dialog(DialogCommand),
    Engine(EngineCommand),
    People(PeopleCommand),
    /// The norm under which a face is low quality (saved; filters the results).
    SetLowQualityNorm(f32),
    /// Saved in the settings, and filters the results.
    SetHideLowQuality(bool),
    SetDarkMode(bool),
    Layout(LayoutCommand),
    DismissNotice(NoticeKind),
    /// The engine options given on the command line become the saved ones.
    SaveEngineAsDefault,
    /// Saved in the settings: reopen the last session at start.
    SetRestoreSession(bool),
}

/// The window's layout, remembered in the settings.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayoutCommand {
    /// The side panel's outer width, as the user dragged it.
    SetPanelWidth(f32),
    SetPanelOpen(bool),
}

macro_rules! from_part {
    ($($part:ty => $variant:ident),* $(,)?) => {
        $(impl From<$part> for Command {
            fn from(c: $part) -> Self {
                Self::$variant(c)
            }
        })*
    };
}

from_part!(
    GalleryCommand => Gallery,
    ProbeCommand => Probe,
    ResultsCommand => Results,
    ExportCommand => Export,
    DownloadCommand => Download,
    DialogCommand => Dialog,
    EngineCommand => Engine,
    LayoutCommand => Layout,
    PeopleCommand => People,
);

impl From<Pick> for Command {
    fn from(what: Pick) -> Self {
        Self::Dialog(DialogCommand::Pick(what))
    }
}
