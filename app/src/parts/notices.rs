//! Notices: what the user should know about an action that could not happen as asked —
//! why, and what will happen instead (a folder that is none, a dialog already open,
//! paths of the last session that are gone, engine flags that could become the default).
//! Each kind is shown once (a newer notice of a kind replaces the older) until dismissed.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// Paths of the last session that no longer exist.
    SessionSkipped,
    /// The window runs with engine options from the command line.
    EngineFlags,
    /// What was done with the engine options.
    EngineSaved,
    /// A file dialog is already open.
    DialogBusy,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Notices {
    list: Vec<Notice>,
}

impl Notices {
    /// Shows `text` as the notice of `kind` (replacing the one shown).
    pub fn set(&mut self, kind: NoticeKind, text: impl Into<String>) {
        self.dismiss(kind);
        self.list.push(Notice {
            kind,
            text: text.into(),
        });
    }

    pub fn dismiss(&mut self, kind: NoticeKind) {
        self.list.retain(|n| n.kind != kind);
    }

    pub fn get(&self, kind: NoticeKind) -> Option<&Notice> {
        self.list.iter().find(|n| n.kind == kind)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Notice> {
        self.list.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_shown_once_until_dismissed() {
        let mut n = Notices::default();
        n.set(NoticeKind::DialogBusy, "first");
        n.set(NoticeKind::SessionSkipped, "gone");
        n.set(NoticeKind::DialogBusy, "second");
        let texts: Vec<_> = n.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(texts, ["gone", "second"]);
        n.dismiss(NoticeKind::SessionSkipped);
        assert!(n.get(NoticeKind::SessionSkipped).is_none());
        n.dismiss(NoticeKind::DialogBusy);
        assert!(n.is_empty());
    }
}
