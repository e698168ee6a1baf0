//! People clustering on identity-structured synthetic albums (`people::synthetic`: 20
//! faces per person on average, same-person cosines like FaceNet's 0.71 ± 0.15, lookalike
//! pairs, 10 % strangers, group photos): the kNN graph (exact and approximate, with the
//! approximate index's recall), clustering 10k and 100k faces (time, peak memory,
//! BCubed / pairwise accuracy against the true persons), whether clustering on the
//! approximate graph gives the exact graph's partition at 10k, attaching 1k new faces to
//! the clustered 100k album, and plain average linkage (the baseline) on 10k.
//!
//! `cargo bench -p facesorter-core --bench people`
//! Environment: `BENCH_PEOPLE_SIZES=10000,100000` (the albums; the first one also gets
//! the exact-vs-approximate check and the baseline), `BENCH_PEOPLE_BASELINE=0` skips the
//! baseline (quadratic: 400 MB and a minute at 10k), `BENCH_PEOPLE_NEW=1000` (faces
//! attached to the largest album).
//!
//! Targets (issue 10): 100k faces clustered in ≤ 30 s on 2 cores within 2 GB; 1k new faces
//! attached to a clustered 100k album in ≤ 1 s.

use std::time::Instant;

use facesorter_core::people::cluster::baseline::average_linkage;
use facesorter_core::people::knn::{self, kernel, Method, Neighbours};
use facesorter_core::people::metrics::{score, ClusterScores};
use facesorter_core::people::synthetic::{synthetic_faces, SyntheticFaces, SyntheticParams};
use facesorter_core::people::{attach, cluster, ClusterParams, Constraints, Partition};
use rayon::prelude::*;

const SEED: u64 = 2026;
/// FaceNet (CASIA)'s verification threshold, which the synthetic cosines imitate.
const THRESHOLD: f32 = 0.45;

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// Peak resident memory since the last [`reset_peak`] (VmHWM), in MiB.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets VmHWM to the current resident size (Linux: `5` to clear_refs), so the next
/// [`peak_mib`] is the peak of what runs in between (the process's data included).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The 1-minute load average: how shared the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "n/a".into())
}

fn mib(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |m| format!("{m:.0} MiB"))
}

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

/// Every face with its true person (strangers have labels of their own).
fn labels(s: &SyntheticFaces) -> Vec<(u32, u32)> {
    s.labels
        .iter()
        .enumerate()
        .map(|(i, &l)| (i as u32, l))
        .collect()
}

fn accuracy(scores: &ClusterScores) -> String {
    format!(
        "BCubed P {:.3} R {:.3} F {:.3}, pairwise P {:.3} R {:.3} F {:.3}, {} persons",
        scores.bcubed.precision,
        scores.bcubed.recall,
        scores.bcubed.f,
        scores.pairwise.precision,
        scores.pairwise.recall,
        scores.pairwise.f,
        scores.persons
    )
}

fn placed(p: &Partition) -> String {
    let faces: usize = p.persons.iter().map(|q| q.faces.len()).sum();
    format!(
        "{} persons holding {} faces, {} unsorted",
        p.persons.len(),
        faces,
        p.unsorted.len()
    )
}

/// Mean and standard deviation of same-person and different-person cosines over a
/// deterministic sample of pairs (strangers left out).
fn cosine_spread(s: &SyntheticFaces) -> String {
    let n = s.faces.len();
    let (mut same, mut diff) = (Vec::new(), Vec::new());
    // Same-person pairs are rare among random pairs: walk each person's faces.
    let mut by_person: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for i in (0..n).filter(|&i| !s.is_stranger(i)) {
        by_person.entry(s.labels[i]).or_default().push(i);
    }
    for faces in by_person.values() {
        for (a, &i) in faces.iter().enumerate().take(12) {
            for &j in faces.iter().skip(a + 1).take(12) {
                same.push(kernel::dot(s.faces.embedding(i), s.faces.embedding(j)) as f64);
            }
        }
    }
    for i in (0..n).step_by(7) {
        let j = (i * 7919 + 13) % n;
        if i != j && !s.is_stranger(i) && !s.is_stranger(j) && s.labels[i] != s.labels[j] {
            diff.push(kernel::dot(s.faces.embedding(i), s.faces.embedding(j)) as f64);
        }
    }
    let stats = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
        let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt();
        (m, sd)
    };
    let ((ms, ss), (md, sd)) = (stats(&same), stats(&diff));
    let above = |v: &[f64]| {
        v.iter().filter(|&&c| c >= THRESHOLD as f64).count() as f64 / v.len().max(1) as f64
    };
    format!(
        "same person {ms:.3} ± {ss:.3} ({:.1} % ≥ {THRESHOLD}), different {md:.3} ± {sd:.3} ({:.2} % ≥ {THRESHOLD})",
        100.0 * above(&same),
        100.0 * above(&diff)
    )
}

/// Share of the exact neighbours of `queries` with cosine ≥ `floor` that `graph` has;
/// the exact rows are computed here by brute force.
fn recall(s: &SyntheticFaces, graph: &Neighbours, queries: &[usize], floors: &[f32]) -> Vec<f64> {
    let k = graph.k();
    let all: Vec<&[f32]> = (0..s.faces.len()).map(|i| s.faces.embedding(i)).collect();
    let counts: Vec<Vec<(usize, usize)>> = queries
        .par_iter()
        .map(|&q| {
            let mut sims = vec![0.0f32; all.len()];
            kernel::sims(&[all[q]], &all, &mut sims);
            let mut order: Vec<(f32, u32)> = sims
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != q)
                .map(|(j, &v)| (v, j as u32))
                .collect();
            order.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            order.truncate(k);
            let got: Vec<u32> = graph.of(q).map(|(j, _)| j).collect();
            floors
                .iter()
                .map(|&f| {
                    let wanted: Vec<u32> = order.iter().filter(|e| e.0 >= f).map(|e| e.1).collect();
                    let found = wanted.iter().filter(|j| got.contains(j)).count();
                    (found, wanted.len())
                })
                .collect()
        })
        .collect();
    (0..floors.len())
        .map(|f| {
            let (found, total) = counts
                .iter()
                .fold((0, 0), |acc, c| (acc.0 + c[f].0, acc.1 + c[f].1));
            found as f64 / total.max(1) as f64
        })
        .collect()
}

/// Faces whose fellow members differ between the two partitions.
fn differing_faces(a: &Partition, b: &Partition) -> Vec<u32> {
    let members = |p: &Partition| {
        let mut of: std::collections::HashMap<u32, Vec<u32>> = Default::default();
        for q in &p.persons {
            for &f in &q.faces {
                of.insert(f, q.faces.clone());
            }
        }
        of
    };
    let (ma, mb) = (members(a), members(b));
    let mut faces: Vec<u32> = ma.keys().chain(mb.keys()).copied().collect();
    faces.sort_unstable();
    faces.dedup();
    faces.retain(|f| ma.get(f) != mb.get(f));
    faces
}

/// CPU seconds this process has used (all threads), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let ticks = || -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the parenthesised command name; utime and stime are 14th and 15th.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some(utime + stime)
    };
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks().unwrap_or(0.0) / per_second.max(1.0)
}

/// Runs `f`: its result, wall seconds, peak memory, and CPU seconds. The machine may be
/// shared: CPU seconds / threads is what the wall time would be on idle cores.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, Option<f64>) {
    reset_peak();
    let cpu = cpu_seconds();
    let start = Instant::now();
    let out = f();
    let wall = start.elapsed().as_secs_f64();
    let used = cpu_seconds() - cpu;
    LAST_CPU.with(|c| c.set(used));
    (out, wall, peak_mib())
}

thread_local! {
    static LAST_CPU: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// "wall s (CPU s)" of the last [`timed`] call.
fn secs(wall: f64) -> String {
    let cpu = LAST_CPU.with(|c| c.get());
    format!("{wall:.2} s (CPU {cpu:.2} s)")
}

fn main() {
    let sizes = env_list("BENCH_PEOPLE_SIZES", &[10_000, 100_000]);
    let new_faces = env_list("BENCH_PEOPLE_NEW", &[1_000])[0];
    let baseline = std::env::var("BENCH_PEOPLE_BASELINE").map_or(true, |v| v != "0");
    let params = ClusterParams::for_threshold(THRESHOLD);
    let k = params.thresholds().neighbours;
    println!(
        "CPU: {} ({} threads; load average {}); threshold {THRESHOLD}, k = {k}, exact kNN up to {} faces",
        cpu_name(),
        rayon::current_num_threads(),
        load_average(),
        knn::EXACT_UP_TO
    );
    println!("Times: wall (CPU seconds of all threads: on idle cores, wall ≈ CPU / threads).");
    let largest = sizes.iter().copied().max().unwrap_or(0);

    for (round, &size) in sizes.iter().enumerate() {
        let first = round == 0;
        let with_new = size == largest && new_faces > 0;
        // The album, and for the largest one `new_faces` more of the same persons (a
        // larger synthetic album starts with the smaller one).
        let mut sp = SyntheticParams::album(size, SEED);
        if with_new {
            sp.faces = size + new_faces;
        }
        let (all, wall, _) = timed(|| synthetic_faces(&sp));
        let cut = all.photo_boundary(size);
        let album = all.slice(0..cut);
        let n = album.faces.len();
        println!(
            "\n== {n} faces ({} persons, {} strangers, {} photos), generated in {wall:.1} s",
            album.identities,
            (0..n).filter(|&i| album.is_stranger(i)).count(),
            album.faces.facts(n - 1).photo + 1
        );
        println!("cosines: {}", cosine_spread(&album));
        let truth = labels(&album);

        // The graph alone.
        let (graph, wall, peak) = timed(|| knn::neighbours(&album.faces, k));
        let method = if n <= knn::EXACT_UP_TO {
            "exact"
        } else {
            "approximate"
        };
        println!("kNN graph ({method}): {}, peak {}", secs(wall), mib(peak));
        let (approx_graph, wall, _) = timed(|| knn::approx(&album.faces, k));
        let approx_time = secs(wall);
        let sample: Vec<usize> = (0..n).step_by((n / 500).max(1)).collect();
        let floors = [f32::NEG_INFINITY, 0.35, THRESHOLD];
        let r = recall(&album, &approx_graph, &sample, &floors);
        println!(
            "approximate kNN: {approx_time}; recall of the exact {k} nearest ({} sampled faces): all {:.4}, cosine ≥ 0.35 {:.4}, ≥ {THRESHOLD} {:.4}",
            sample.len(),
            r[0],
            r[1],
            r[2]
        );
        drop(graph);
        drop(approx_graph);

        // Clustering (the graph included).
        let (partition, wall, peak) =
            timed(|| cluster(&album.faces, &Constraints::default(), &params));
        println!(
            "cluster: {}, peak {} — {}",
            secs(wall),
            mib(peak),
            placed(&partition)
        );
        println!("  accuracy: {}", accuracy(&score(&partition, &truth)));

        if first {
            let (exact_p, wall_e, _) = timed(|| {
                knn::with_method(Method::Exact, || {
                    cluster(&album.faces, &Constraints::default(), &params)
                })
            });
            let secs_e = secs(wall_e);
            let (approx_p, wall_a, _) = timed(|| {
                knn::with_method(Method::Approx, || {
                    cluster(&album.faces, &Constraints::default(), &params)
                })
            });
            let secs_a = secs(wall_a);
            let verdict = if exact_p == approx_p {
                "IDENTICAL".to_string()
            } else {
                // How far apart: the approximate partition scored against the exact one.
                let reference: Vec<(u32, u32)> = exact_p
                    .persons
                    .iter()
                    .enumerate()
                    .flat_map(|(p, q)| q.faces.iter().map(move |&f| (f, p as u32)))
                    .chain(
                        exact_p
                            .unsorted
                            .iter()
                            .map(|&f| (f, exact_p.persons.len() as u32 + f)),
                    )
                    .collect();
                let moved = differing_faces(&exact_p, &approx_p);
                let shown: Vec<String> = moved
                    .iter()
                    .take(3)
                    .map(|&f| {
                        let e = knn::exact(&album.faces, k);
                        let a = knn::approx(&album.faces, k);
                        let row = |g: &Neighbours| {
                            g.of(f as usize)
                                .map(|(j, s)| format!("{j}:{s:.3}"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        };
                        format!("face {f}: exact [{}] approximate [{}]", row(&e), row(&a))
                    })
                    .collect();
                format!(
                    "DIFFERENT: {} faces placed otherwise ({}); {}",
                    moved.len(),
                    accuracy(&score(&approx_p, &reference)),
                    shown.join("; ")
                )
            };
            println!(
                "partition on the approximate graph vs the exact graph: {verdict} (exact {secs_e}, approximate {secs_a})"
            );
            if baseline {
                for cut_at in [0.50f32, 0.60] {
                    let (p, wall, peak) = timed(|| average_linkage(&album.faces, cut_at));
                    println!(
                        "baseline average linkage at {cut_at:.2}: {}, peak {} — {}",
                        secs(wall),
                        mib(peak),
                        placed(&p)
                    );
                    println!("  accuracy: {}", accuracy(&score(&p, &truth)));
                }
            }
        }

        if with_new {
            let fresh: Vec<u32> = (cut as u32..all.faces.len() as u32).collect();
            let (after, wall, peak) = timed(|| {
                attach(
                    &all.faces,
                    &partition,
                    &fresh,
                    &Constraints::default(),
                    &params,
                )
            });
            println!(
                "attach {} new faces to the {n}-face album: {}, peak {} — {}",
                fresh.len(),
                secs(wall),
                mib(peak),
                placed(&after)
            );
            let new_truth: Vec<(u32, u32)> = labels(&all)
                .into_iter()
                .filter(|l| l.0 >= cut as u32)
                .collect();
            println!(
                "  accuracy on the new faces: {}",
                accuracy(&score(&after, &new_truth))
            );
            println!(
                "  accuracy on all faces: {}",
                accuracy(&score(&after, &labels(&all)))
            );
        }
    }
}
