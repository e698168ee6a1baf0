//! `people` and `sort`: the gallery's persons. Both index the gallery first when needed
//! (as `find` does), then open core's [`PeopleSession`] — the workflow the window drives
//! too — and either list or correct the persons, or sort the album into a folder per
//! person with core's `people::sort`. Here only flags are mapped and results printed.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use facesorter_core::people::sort::{sort_album, SortOptions, SortPlan, SortSummary};
use facesorter_core::people::{
    ClusterParams, FaceView, PeopleSession, PeopleStore, PersonId, PersonView,
};
use facesorter_core::search::FaceKey;
use serde::Serialize;

use super::album::{index_with_progress, kept_after_cancel, warn_gallery_failures};
use super::args::{EngineArgs, FaceRef, PeopleAction, PeopleArgs, SortArgs};
use super::exit_code;
use super::interrupt;
use super::output::{box_text, display_path, print_json, shown_path, terminal_safe};
use super::recognize::open_engine;

pub fn people(engine_args: &EngineArgs, args: &PeopleArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let opened = match open_people(
        engine_args,
        &args.gallery,
        args.threshold,
        args.from.as_deref(),
    )? {
        Ok(opened) => opened,
        Err(code) => return Ok(code),
    };
    let (mut session, mut notices) = opened;
    if args.recluster {
        session.recluster()?;
        notices.push("every face was clustered again (corrections kept)".into());
    }
    let Some(action) = &args.action else {
        print_listing(&session, &notices, started, args.json);
        return Ok(ExitCode::SUCCESS);
    };
    if let PeopleAction::Split { id, apply } = action {
        return split(&mut session, *id, *apply, &notices, started, args.json);
    }
    let (verb, changed) = correct(&mut session, action)?;
    if args.json {
        print_json(&ChangedJson {
            action: verb,
            people: changed.iter().map(PersonJson::from).collect(),
            notices,
            seconds: started.elapsed().as_secs_f64(),
        });
    } else {
        if changed.is_empty() {
            println!("{verb}: no person changed");
        }
        for person in &changed {
            println!("{}", person_line(person));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Carries out one correction; returns its name (for the JSON) and the persons it changed.
fn correct(
    session: &mut PeopleSession,
    action: &PeopleAction,
) -> anyhow::Result<(&'static str, Vec<PersonView>)> {
    Ok(match action {
        PeopleAction::Name { id, name } => ("name", session.name(*id, &name.join(" "))?),
        PeopleAction::Merge { ids } => {
            let (into, others) = ids.split_first().context("merge needs two ids")?;
            ("merge", session.merge(*into, others)?)
        }
        PeopleAction::Confirm { id, faces } => {
            let keys = face_keys(session, faces)?;
            ("confirm", session.confirm(*id, &keys)?)
        }
        PeopleAction::Reject { id, faces } => {
            let keys = face_keys(session, faces)?;
            ("reject", session.reject(*id, &keys)?)
        }
        PeopleAction::Ignore { faces } => {
            let keys = face_keys(session, faces)?;
            ("ignore", session.ignore(&keys)?)
        }
        PeopleAction::Hide { id } => ("hide", session.hide(*id, true)?),
        PeopleAction::Unhide { id } => ("unhide", session.hide(*id, false)?),
        PeopleAction::Split { .. } => bail!("split is not a correction of its own"),
    })
}

/// Every `PATH#INDEX` as the album's face; the first unknown one is the error (and
/// nothing is changed).
fn face_keys(session: &PeopleSession, faces: &[FaceRef]) -> anyhow::Result<Vec<FaceKey>> {
    faces
        .iter()
        .map(|f| session.face(&f.path, f.index).map_err(anyhow::Error::from))
        .collect()
}

/// `split ID`: prints the stricter clustering of one person; `--apply` makes it so.
fn split(
    session: &mut PeopleSession,
    id: PersonId,
    apply: bool,
    notices: &[String],
    started: Instant,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let parts = session.propose_split(id)?;
    let changed = if apply && parts.len() > 1 {
        session.apply_split(id)?
    } else {
        Vec::new()
    };
    if json {
        print_json(&SplitJson {
            person: id.0,
            parts: parts
                .iter()
                .map(|part| part.iter().map(PersonFaceJson::from).collect())
                .collect(),
            applied: !changed.is_empty(),
            people: changed.iter().map(PersonJson::from).collect(),
            notices: notices.to_vec(),
            seconds: started.elapsed().as_secs_f64(),
        });
        return Ok(ExitCode::SUCCESS);
    }
    if parts.len() <= 1 {
        println!("person {id}: no stricter split (it stays one person)");
        return Ok(ExitCode::SUCCESS);
    }
    println!("person {id} splits into {}:", parts.len());
    for (k, part) in parts.iter().enumerate() {
        println!(
            "  part {} ({} face{}):",
            k + 1,
            part.len(),
            plural(part.len())
        );
        for face in part {
            println!("    {}", face_text(face));
        }
    }
    if changed.is_empty() {
        println!("(nothing changed: add --apply to split)");
    } else {
        println!("applied:");
        for person in &changed {
            println!("{}", person_line(person));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Indexes the gallery (as `find` does), takes over the people of `from` when given, and
/// opens its people. `Err(code)` when Ctrl-C stopped indexing (already reported).
fn open_people(
    engine_args: &EngineArgs,
    gallery: &Path,
    threshold: Option<f32>,
    from: Option<&Path>,
) -> anyhow::Result<Result<(PeopleSession, Vec<String>), ExitCode>> {
    if let Some(t) = threshold {
        if !(t.is_finite() && (-1.0..=1.0).contains(&t)) {
            bail!("--threshold must be a cosine between -1 and 1, got {t}");
        }
    }
    let engine = open_engine(engine_args)?;
    let cancel = interrupt::cancel_flag();
    let (outcome, cached) = index_with_progress(&engine, gallery, &cancel)?;
    if outcome.summary.cancelled {
        let kept = kept_after_cancel(&outcome.summary, cached);
        return Ok(Err(interrupt::stopped(&format!(
            "no person was sorted; {kept}"
        ))));
    }
    warn_gallery_failures(&outcome.summary, gallery, "sorted into persons");
    let store = PeopleStore::default_location()
        .context("no data folder on this system to keep the people file in")?;
    if let Some(old) = from {
        PeopleSession::relocate(&store, old, gallery)?;
    }
    let fingerprint = engine.fingerprint(engine.embedding_dim()?)?;
    let params = ClusterParams::for_threshold(threshold.unwrap_or(engine.default_threshold()));
    let opened = PeopleSession::open(&store, gallery, outcome.album, &fingerprint, params)?;
    for notice in &opened.notices {
        eprintln!("facesorter: {}", terminal_safe(notice));
    }
    Ok(Ok((opened.session, opened.notices)))
}

fn print_listing(session: &PeopleSession, notices: &[String], started: Instant, json: bool) {
    let persons = session.persons();
    let hidden = session.hidden_persons();
    let unsorted = session.unsorted();
    if json {
        print_json(&PeopleJson {
            people: persons.iter().map(PersonJson::from).collect(),
            hidden: hidden.iter().map(PersonJson::from).collect(),
            unsorted: unsorted.iter().map(FaceRefJson::from).collect(),
            notices: notices.to_vec(),
            seconds: started.elapsed().as_secs_f64(),
        });
        return;
    }
    for person in &persons {
        println!("{}", person_line(person));
    }
    println!(
        "{} person{}; {} unsorted face{}",
        persons.len(),
        plural(persons.len()),
        unsorted.len(),
        plural(unsorted.len())
    );
    if !hidden.is_empty() {
        let ids: Vec<String> = hidden.iter().map(|p| p.id.to_string()).collect();
        println!(
            "{} hidden (unhide ID shows one again): {}",
            hidden.len(),
            ids.join(", ")
        );
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `  3  Alice  12 photos  14 faces  cover /album/a.jpg#0` (hidden persons say so).
fn person_line(p: &PersonView) -> String {
    let name = p
        .name
        .as_deref()
        .map(terminal_safe)
        .unwrap_or_else(|| "unnamed".into());
    format!(
        "{:>4}  {name}{}  {} photo{}  {} face{}  cover {}#{}",
        p.id.0,
        if p.hidden { " (hidden)" } else { "" },
        p.photos,
        plural(p.photos),
        p.faces.len(),
        plural(p.faces.len()),
        shown_path(&p.cover.path),
        p.cover.key.index
    )
}

/// `/album/a.jpg#0 [x1, y1, x2, y2] 0.83`: what `confirm`/`reject`/`ignore` take.
fn face_text(f: &FaceView) -> String {
    format!(
        "{}#{} {} {:.3}{}",
        shown_path(&f.path),
        f.key.index,
        box_text(&f.face_box),
        f.score,
        if f.confirmed { " confirmed" } else { "" }
    )
}

/// `people GALLERY --json`.
#[derive(Debug, Serialize)]
struct PeopleJson {
    /// Visible persons, largest first.
    people: Vec<PersonJson>,
    /// Hidden persons (`unhide ID`).
    hidden: Vec<PersonJson>,
    unsorted: Vec<FaceRefJson>,
    notices: Vec<String>,
    seconds: f64,
}

/// A correction's output: the persons it changed.
#[derive(Debug, Serialize)]
struct ChangedJson {
    action: &'static str,
    people: Vec<PersonJson>,
    notices: Vec<String>,
    seconds: f64,
}

/// `split ID --json`: the proposed parts; `people` the changed persons once applied.
#[derive(Debug, Serialize)]
struct SplitJson {
    person: u32,
    parts: Vec<Vec<PersonFaceJson>>,
    applied: bool,
    people: Vec<PersonJson>,
    notices: Vec<String>,
    seconds: f64,
}

#[derive(Debug, Serialize)]
struct PersonJson {
    id: u32,
    name: Option<String>,
    hidden: bool,
    photos: usize,
    faces: Vec<PersonFaceJson>,
    cover: FaceRefJson,
}

/// A face of a person: `index` is its 0-based index within its photo, as in `find`.
#[derive(Debug, Serialize)]
struct PersonFaceJson {
    path: String,
    index: u32,
    #[serde(rename = "box")]
    face_box: [f32; 4],
    score: f32,
    confirmed: bool,
}

#[derive(Debug, Serialize)]
struct FaceRefJson {
    path: String,
    index: u32,
    #[serde(rename = "box")]
    face_box: [f32; 4],
}

impl From<&PersonView> for PersonJson {
    fn from(p: &PersonView) -> Self {
        Self {
            id: p.id.0,
            name: p.name.clone(),
            hidden: p.hidden,
            photos: p.photos,
            faces: p.faces.iter().map(PersonFaceJson::from).collect(),
            cover: FaceRefJson::from(&p.cover),
        }
    }
}

impl From<&FaceView> for PersonFaceJson {
    fn from(f: &FaceView) -> Self {
        Self {
            path: display_path(&f.path),
            index: f.key.index,
            face_box: f.face_box.as_array(),
            score: f.score,
            confirmed: f.confirmed,
        }
    }
}

impl From<&FaceView> for FaceRefJson {
    fn from(f: &FaceView) -> Self {
        Self {
            path: display_path(&f.path),
            index: f.key.index,
            face_box: f.face_box.as_array(),
        }
    }
}

pub fn sort(engine_args: &EngineArgs, args: &SortArgs) -> anyhow::Result<ExitCode> {
    let (session, notices) = match open_people(engine_args, &args.gallery, args.threshold, None)? {
        Ok(opened) => opened,
        Err(code) => return Ok(code),
    };
    let plan = SortPlan::from_session(&session);
    let options = SortOptions {
        link: args.link.into(),
        unsorted: args.unsorted,
        min_photos: args.min_photos,
        prune: args.prune,
    };
    let cancel = interrupt::cancel_flag();
    let summary = sort_album(&args.out, &plan, &options, &cancel)?;
    if args.json {
        print_json(&SortJson::new(&summary, notices));
    } else {
        print_sort_text(&summary, args.prune);
    }
    for (path, reason) in &summary.failed {
        eprintln!(
            "facesorter: {}: {}",
            shown_path(path),
            terminal_safe(reason)
        );
    }
    if summary.cancelled {
        return Ok(interrupt::stopped(&format!(
            "the files written so far are recorded in {}; the next run does the rest",
            shown_path(&args.out)
        )));
    }
    Ok(exit_code(summary.failed.len()))
}

fn print_sort_text(s: &SortSummary, prune: bool) {
    for f in &s.folders {
        println!(
            "{}: {} photo{} ({} new, {} already there)",
            shown_path(&f.path),
            f.photos,
            plural(f.photos),
            f.written,
            f.existing
        );
    }
    let mut how = Vec::new();
    for (n, what) in [
        (s.linked, "hard links"),
        (s.copied, "copies"),
        (s.symlinked, "symbolic links"),
    ] {
        if n > 0 {
            how.push(format!("{n} {what}"));
        }
    }
    let how = if how.is_empty() {
        String::new()
    } else {
        format!(" ({})", how.join(", "))
    };
    println!(
        "wrote {} file{}{how} in {} folder{} of {}; {} already there ({:.1} s)",
        s.written(),
        plural(s.written()),
        s.folders.len(),
        plural(s.folders.len()),
        shown_path(&s.out),
        s.existing,
        s.seconds
    );
    if s.skipped_persons > 0 {
        println!(
            "{} person{} in fewer photos than --min-photos: no folder",
            s.skipped_persons,
            plural(s.skipped_persons)
        );
    }
    if !s.stale.is_empty() {
        println!(
            "{} file{} of photos that have left a person{}:",
            s.stale.len(),
            plural(s.stale.len()),
            if prune { "" } else { " (--prune removes them)" }
        );
        for path in &s.stale {
            println!("  {}", shown_path(path));
        }
    }
    if !s.pruned.is_empty() {
        println!(
            "removed {} file{} of photos that have left a person",
            s.pruned.len(),
            plural(s.pruned.len())
        );
    }
}

/// `sort --json`.
#[derive(Debug, Serialize)]
struct SortJson {
    out: String,
    folders: Vec<SortFolderJson>,
    written: usize,
    linked: usize,
    copied: usize,
    symlinked: usize,
    existing: usize,
    skipped_persons: usize,
    stale: Vec<String>,
    pruned: Vec<String>,
    failed: Vec<SortFailureJson>,
    notices: Vec<String>,
    seconds: f64,
}

#[derive(Debug, Serialize)]
struct SortFolderJson {
    folder: String,
    path: String,
    /// The person's id; `null` for the unsorted folder.
    person: Option<u32>,
    name: Option<String>,
    photos: usize,
    written: usize,
    existing: usize,
}

#[derive(Debug, Serialize)]
struct SortFailureJson {
    path: String,
    reason: String,
}

impl SortJson {
    fn new(s: &SortSummary, notices: Vec<String>) -> Self {
        Self {
            out: display_path(&s.out),
            folders: s
                .folders
                .iter()
                .map(|f| SortFolderJson {
                    folder: f.folder.clone(),
                    path: display_path(&f.path),
                    person: f.person.map(|id| id.0),
                    name: f.name.clone(),
                    photos: f.photos,
                    written: f.written,
                    existing: f.existing,
                })
                .collect(),
            written: s.written(),
            linked: s.linked,
            copied: s.copied,
            symlinked: s.symlinked,
            existing: s.existing,
            skipped_persons: s.skipped_persons,
            stale: s.stale.iter().map(|p| display_path(p)).collect(),
            pruned: s.pruned.iter().map(|p| display_path(p)).collect(),
            failed: s
                .failed
                .iter()
                .map(|(path, reason)| SortFailureJson {
                    path: display_path(path),
                    reason: reason.clone(),
                })
                .collect(),
            notices,
            seconds: s.seconds,
        }
    }
}
