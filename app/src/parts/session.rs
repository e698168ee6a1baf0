//! The session across restarts: what to reopen at start (the last gallery, probe photos
//! and threshold, unless the command line names paths), and what to remember at close.
//! Pure decisions on paths and settings, tested without a window.

use std::path::{Path, PathBuf};

use crate::launch::Launch;
use crate::settings::{LastSession, Settings};

/// What the window opens at start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartPlan {
    pub gallery: Option<PathBuf>,
    pub probes: Vec<PathBuf>,
    /// A remembered threshold and the recognizer it was set for.
    pub threshold: Option<(f32, String)>,
    /// Remembered paths that are gone (skipped, with a notice).
    pub missing: Vec<PathBuf>,
    /// Whether anything came from the last session.
    pub restored: bool,
}

/// Paths on the command line win; without any, the last session is reopened when the
/// setting says so. Probe photos given alone ("Open with FaceSorter" on a photo) are
/// searched in the last gallery — the one of the last session, else the most recent one —
/// whatever that setting says, since a probe has nothing to be searched in otherwise. A
/// remembered path that no longer exists is skipped and reported.
pub fn plan(settings: &Settings, launch: &Launch) -> StartPlan {
    let last = &settings.last_session;
    let mut plan = StartPlan {
        gallery: launch.gallery.clone(),
        probes: launch.probes.clone(),
        ..StartPlan::default()
    };
    if launch.gallery.is_none() && !launch.probes.is_empty() {
        let remembered = last.gallery.iter().chain(&settings.recent_galleries).next();
        if let Some(g) = remembered {
            if g.is_dir() {
                plan.gallery = Some(g.clone());
            } else {
                plan.missing.push(g.clone());
            }
        }
    }
    if !settings.restore_session {
        return plan;
    }
    plan.threshold = last.threshold.zip(last.threshold_model.clone());
    let from_command_line = launch.gallery.is_some() || !launch.probes.is_empty();
    if from_command_line {
        return plan;
    }
    if let Some(g) = &last.gallery {
        if g.is_dir() {
            plan.gallery = Some(g.clone());
        } else {
            plan.missing.push(g.clone());
        }
    }
    for p in &last.probes {
        if p.is_file() {
            plan.probes.push(p.clone());
        } else {
            plan.missing.push(p.clone());
        }
    }
    plan.restored = plan.gallery.is_some() || !plan.probes.is_empty() || plan.threshold.is_some();
    plan
}

/// The notice for remembered paths that are gone.
pub fn missing_notice(missing: &[PathBuf]) -> Option<String> {
    let first = missing.first()?;
    let more = match missing.len() - 1 {
        0 => String::new(),
        1 => " and 1 more".into(),
        n => format!(" and {n} more"),
    };
    Some(format!(
        "Not reopened from the last session (no longer there): {}{more}",
        first.display()
    ))
}

/// What to remember of the session now open. Without a model loaded, the threshold in
/// use is no model's, so the one remembered before is kept.
pub fn remember(
    previous: &LastSession,
    gallery: Option<&Path>,
    probes: Vec<PathBuf>,
    threshold: Option<(f32, String)>,
) -> LastSession {
    let (threshold, threshold_model) = match threshold {
        Some((t, model)) => (Some(t), Some(model)),
        None => (previous.threshold, previous.threshold_model.clone()),
    };
    LastSession {
        gallery: gallery.map(Path::to_path_buf),
        probes,
        threshold,
        threshold_model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_last(dir: &Path, restore: bool) -> Settings {
        Settings {
            restore_session: restore,
            last_session: LastSession {
                gallery: Some(dir.to_path_buf()),
                probes: vec![dir.join("probe.jpg"), dir.join("gone.jpg")],
                threshold: Some(0.41),
                threshold_model: Some("model.onnx".into()),
            },
            ..Settings::default()
        }
    }

    #[test]
    fn the_last_session_is_reopened_and_missing_files_are_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("probe.jpg"), b"x").expect("probe");
        let p = plan(&with_last(dir.path(), true), &Launch::default());
        assert_eq!(p.gallery.as_deref(), Some(dir.path()));
        assert_eq!(p.probes, [dir.path().join("probe.jpg")]);
        assert_eq!(p.threshold, Some((0.41, "model.onnx".into())));
        assert_eq!(p.missing, [dir.path().join("gone.jpg")]);
        assert!(p.restored);
        let notice = missing_notice(&p.missing).expect("a notice");
        assert!(notice.contains("gone.jpg"), "{notice}");
    }

    #[test]
    fn command_line_paths_win_and_the_setting_turns_it_off() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("probe.jpg"), b"x").expect("probe");
        let launch = Launch {
            probes: vec![PathBuf::from("/given.jpg")],
            ..Launch::default()
        };
        let p = plan(&with_last(dir.path(), true), &launch);
        // A probe alone is searched in the last gallery; the last probes stay closed.
        assert_eq!(p.gallery.as_deref(), Some(dir.path()));
        assert_eq!(p.probes, [PathBuf::from("/given.jpg")]);
        assert!(p.missing.is_empty(), "no remembered probe was looked at");

        let given_gallery = tempfile::tempdir().expect("tempdir");
        let both = Launch {
            gallery: Some(given_gallery.path().to_path_buf()),
            ..launch.clone()
        };
        let p = plan(&with_last(dir.path(), true), &both);
        assert_eq!(p.gallery.as_deref(), Some(given_gallery.path()));

        let p = plan(&with_last(dir.path(), false), &Launch::default());
        assert_eq!(p, StartPlan::default());
    }

    #[test]
    fn a_probe_alone_opens_with_the_last_gallery_even_without_restoring() {
        let dir = tempfile::tempdir().expect("tempdir");
        let launch = Launch {
            probes: vec![PathBuf::from("/given.jpg")],
            ..Launch::default()
        };
        let p = plan(&with_last(dir.path(), false), &launch);
        assert_eq!(p.gallery.as_deref(), Some(dir.path()));
        assert_eq!(
            p.threshold, None,
            "the threshold is restored only with the session"
        );

        // No last session: the most recent gallery.
        let recent_only = Settings {
            recent_galleries: vec![dir.path().to_path_buf()],
            ..Settings::default()
        };
        assert_eq!(
            plan(&recent_only, &launch).gallery.as_deref(),
            Some(dir.path())
        );

        // A last gallery that is gone is reported, not opened.
        let gone = dir.path().join("moved-away");
        let p = plan(&with_last(&gone, false), &launch);
        assert_eq!(p.gallery, None);
        assert_eq!(p.missing, [gone]);
    }

    #[test]
    fn a_gone_gallery_is_skipped_not_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gone = dir.path().join("moved-away");
        let p = plan(&with_last(&gone, true), &Launch::default());
        assert_eq!(p.gallery, None);
        assert!(p.probes.is_empty());
        assert_eq!(p.missing.len(), 3, "{:?}", p.missing);
        let notice = missing_notice(&p.missing).expect("a notice");
        assert!(notice.ends_with("and 2 more"), "{notice}");
        assert_eq!(missing_notice(&[]), None);
    }

    #[test]
    fn without_a_model_the_remembered_threshold_is_kept() {
        let previous = LastSession {
            threshold: Some(0.5),
            threshold_model: Some("a".into()),
            ..LastSession::default()
        };
        let kept = remember(&previous, Some(Path::new("/g")), vec![], None);
        assert_eq!(kept.threshold, Some(0.5));
        assert_eq!(kept.threshold_model.as_deref(), Some("a"));
        assert_eq!(kept.gallery.as_deref(), Some(Path::new("/g")));
        let new = remember(&previous, None, vec![], Some((0.3, "b".into())));
        assert_eq!(
            (new.threshold, new.threshold_model),
            (Some(0.3), Some("b".into()))
        );
    }
}
