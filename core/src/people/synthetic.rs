//! Identity-structured synthetic faces for the clustering benchmark and tests: many
//! persons whose same-person cosines spread like a real recognizer's, lookalike pairs,
//! unrelated strangers, group photos (so the same-photo cannot-link is exercised), and
//! box sizes and norms that go with each face's quality. Deterministic from a seed.
//!
//! The model of one face of person `p`, with quality `q` in (0, 1):
//! `normalize(q · centre(p) + sqrt(1 − q²) · noise)`, so two faces of one person have a
//! cosine close to `q₁ · q₂`. `q` is drawn so that this has the mean 0.71 and standard
//! deviation ≈ 0.15 that FaceNet (CASIA) shows on `../shared`'s labelled faces (mean 0.71,
//! different persons 0.24, equal error rate 6.6 % at 0.45 — see `../shared/README.md`).
//! Centres share a common direction (real embeddings are not centred: different persons
//! average ≈ 0.24), a fifth of the persons come in lookalike pairs (siblings), and the
//! noise of every face leans on one shared "poor photo" direction, so low-quality faces
//! resemble each other a little, as they do in real albums: the chaining hazard.

use rayon::prelude::*;

use super::faces::{FaceFacts, FaceSet};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticParams {
    /// Faces to generate (at least; the last photo is completed).
    pub faces: usize,
    /// Persons the non-stranger faces belong to.
    pub identities: usize,
    /// Share of faces that are unrelated strangers, each seen once.
    pub stranger_fraction: f64,
    /// Embedding dimension.
    pub dim: usize,
    pub seed: u64,
}

impl SyntheticParams {
    /// `faces` faces of `faces / 20` persons (5k persons for 100k faces, ≈ 18 faces each
    /// on average, very unevenly), 10 % strangers, 512-d.
    pub fn album(faces: usize, seed: u64) -> Self {
        Self {
            faces,
            identities: (faces / 20).max(1),
            stranger_fraction: 0.10,
            dim: 512,
            seed,
        }
    }
}

/// Generated faces with the truth.
#[derive(Debug, Clone)]
pub struct SyntheticFaces {
    /// Faces in photo order (the faces of a photo are consecutive).
    pub faces: FaceSet,
    /// The true person of each face: `0..identities` for persons; every stranger has a
    /// label of its own, `identities` and above.
    pub labels: Vec<u32>,
    /// Persons (labels below this are persons, the rest strangers).
    pub identities: usize,
}

impl SyntheticFaces {
    /// Whether face `i` is an unrelated stranger.
    pub fn is_stranger(&self, i: usize) -> bool {
        self.labels[i] as usize >= self.identities
    }

    /// The first face at or after `n` that starts a photo (or the face count): cut there,
    /// the faces before and after share no photo.
    pub fn photo_boundary(&self, n: usize) -> usize {
        let len = self.faces.len();
        let mut i = n.min(len);
        while i > 0 && i < len && self.faces.facts(i).photo == self.faces.facts(i - 1).photo {
            i += 1;
        }
        i
    }

    /// Faces `range` as a set of their own (labels kept).
    pub fn slice(&self, range: std::ops::Range<usize>) -> SyntheticFaces {
        let dim = self.faces.dim();
        let embeddings = self.faces.embeddings()[range.start * dim..range.end * dim].to_vec();
        let facts = self.faces.all_facts()[range.clone()].to_vec();
        SyntheticFaces {
            faces: FaceSet::new(dim, embeddings, facts)
                .unwrap_or_else(|_| unreachable!("a slice of a consistent set")),
            labels: self.labels[range].to_vec(),
            identities: self.identities,
        }
    }
}

/// Weight of the direction every centre shares: different persons average ≈ 0.23.
const SHARED_CENTRE: f32 = 0.25;
/// Weight of the family direction lookalike pairs share: their centres are at cosine
/// 0.25 + 0.75 · 0.4 = 0.55, so about half of their face pairs pass a 0.45 threshold.
const FAMILY: f32 = 0.4;
/// Share of persons that have a lookalike.
const LOOKALIKE_SHARE: f64 = 0.2;
/// Weight of the shared direction in every face's noise.
const SHARED_NOISE: f32 = 0.25;
/// Quality: mean and spread of `q` (clamped to 0.25..=0.99), tuned so that same-person
/// cosines (≈ q₁q₂ plus the shared noise) measure mean 0.71, sd 0.15, and different
/// persons 0.23 ± 0.05 (the test below checks it).
const Q_MEAN: f64 = 0.825;
const Q_SD: f64 = 0.20;

/// Generates the faces `params` describes. The same params give the same faces, and a
/// larger `faces` gives the same faces first (a prefix cut at a photo boundary is the
/// smaller album).
pub fn synthetic_faces(params: &SyntheticParams) -> SyntheticFaces {
    let dim = params.dim.max(1);
    let identities = params.identities.max(1);
    let seed = params.seed;

    let shared_centre = unit_vector(dim, hash(seed, 1, 0));
    let shared_noise = unit_vector(dim, hash(seed, 2, 0));
    // Persons 2m and 2m+1 are a lookalike pair when the pair is drawn as one.
    let centres: Vec<Vec<f32>> = (0..identities)
        .into_par_iter()
        .map(|p| {
            let pair = p / 2;
            let lookalike = identities > 1
                && p / 2 * 2 + 1 < identities
                && uniform(hash(seed, 3, pair as u64)) < LOOKALIKE_SHARE;
            let own = unit_vector(dim, hash(seed, 4, p as u64));
            let mut c = mix(&shared_centre, SHARED_CENTRE, &own);
            if lookalike {
                let family = unit_vector(dim, hash(seed, 5, pair as u64));
                let own_part = mix(&family, FAMILY, &own);
                c = mix(&shared_centre, SHARED_CENTRE, &own_part);
            }
            c
        })
        .collect();

    // How often each person appears: log-normal weights, a few persons in hundreds of
    // photos, many in a handful.
    let mut cumulative = Vec::with_capacity(identities);
    let mut total = 0.0f64;
    for p in 0..identities {
        total += (1.2 * normal(hash(seed, 6, p as u64))).exp();
        cumulative.push(total);
    }

    // Photos: most hold one face, some are group photos; a person appears once per photo.
    let mut labels: Vec<u32> = Vec::with_capacity(params.faces + 8);
    let mut photos: Vec<u32> = Vec::with_capacity(params.faces + 8);
    let mut photo = 0u32;
    while labels.len() < params.faces {
        let u = uniform(hash(seed, 7, photo as u64));
        let size = match u {
            u if u < 0.65 => 1,
            u if u < 0.85 => 2,
            u if u < 0.95 => 3,
            _ => 4 + (uniform(hash(seed, 8, photo as u64)) * 3.0) as usize,
        };
        let first = labels.len();
        for _ in 0..size {
            let i = labels.len() as u64;
            let stranger = identities as u32 + i as u32;
            let mut draw = 0u64;
            let label = loop {
                let h = hash(seed, 9, i.wrapping_mul(64).wrapping_add(draw));
                // A crowded photo that keeps drawing its own persons gets a stranger.
                if uniform(h) < params.stranger_fraction || draw >= 32 {
                    break stranger;
                }
                let target = uniform(hash(h, 10, 0)) * total;
                let p = cumulative
                    .partition_point(|&c| c <= target)
                    .min(identities - 1) as u32;
                if !labels[first..].contains(&p) {
                    break p;
                }
                draw += 1;
            };
            labels.push(label);
            photos.push(photo);
        }
        photo += 1;
    }

    let n = labels.len();
    let rows: Vec<(Vec<f32>, FaceFacts)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let label = labels[i] as usize;
            let stranger = label >= identities;
            let h = hash(seed, 11, i as u64);
            // Strangers are background faces: smaller and poorer on average.
            let (mean, sd) = if stranger {
                (0.65, 0.15)
            } else {
                (Q_MEAN, Q_SD)
            };
            let q = (mean + sd * normal(h)).clamp(0.25, 0.99) as f32;
            let centre = if stranger {
                mix(
                    &shared_centre,
                    SHARED_CENTRE,
                    &unit_vector(dim, hash(seed, 12, i as u64)),
                )
            } else {
                centres[label].clone()
            };
            let noise = mix(
                &shared_noise,
                SHARED_NOISE,
                &unit_vector(dim, hash(seed, 13, i as u64)),
            );
            let mut e: Vec<f32> = centre
                .iter()
                .zip(&noise)
                .map(|(c, z)| q * c + (1.0 - q * q).sqrt() * z)
                .collect();
            normalize(&mut e);
            // Quality shows in the box size (30 px at q 0.3 to 150 px at q 0.99) and in the
            // norm (an AdaFace-like scale), both with scatter of their own.
            let t = ((q - 0.3) / 0.69).clamp(0.0, 1.0) as f64;
            let log_side = 30f64.ln() + t * 5f64.ln() + 0.3 * normal(hash(h, 14, 0));
            let box_side = log_side.exp().clamp(8.0, 2000.0) as f32;
            let norm = (12.0 + 20.0 * t + 1.5 * normal(hash(h, 15, 0))).max(1.0) as f32;
            (
                e,
                FaceFacts {
                    photo: photos[i],
                    box_side,
                    norm,
                },
            )
        })
        .collect();
    let mut embeddings = Vec::with_capacity(n * dim);
    let mut facts = Vec::with_capacity(n);
    for (e, f) in rows {
        embeddings.extend(e);
        facts.push(f);
    }
    SyntheticFaces {
        faces: FaceSet::new(dim, embeddings, facts)
            .unwrap_or_else(|_| unreachable!("one row of `dim` per face")),
        labels,
        identities,
    }
}

/// `normalize(sqrt(w) · shared + sqrt(1 − w) · own)`.
fn mix(shared: &[f32], w: f32, own: &[f32]) -> Vec<f32> {
    let (a, b) = (w.sqrt(), (1.0 - w).sqrt());
    let mut v: Vec<f32> = shared.iter().zip(own).map(|(s, o)| a * s + b * o).collect();
    normalize(&mut v);
    v
}

fn normalize(v: &mut [f32]) {
    let len = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if len > 0.0 {
        v.iter_mut().for_each(|x| *x /= len);
    }
}

/// A random direction: Gaussian coordinates, normalised.
fn unit_vector(dim: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    let mut v: Vec<f32> = (0..dim)
        .map(|_| {
            let a = splitmix(&mut state);
            let b = splitmix(&mut state);
            box_muller(a, b) as f32
        })
        .collect();
    normalize(&mut v);
    v
}

/// SplitMix64: small, fast, and good enough for synthetic data.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random value for (seed, stream, index), independent across all three.
fn hash(seed: u64, stream: u64, index: u64) -> u64 {
    let mut s = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
    let _ = splitmix(&mut s);
    s ^= index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    splitmix(&mut s)
}

/// Uniform in [0, 1).
fn uniform(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Standard normal from one hash.
fn normal(h: u64) -> f64 {
    let mut s = h;
    let a = splitmix(&mut s);
    let b = splitmix(&mut s);
    box_muller(a, b)
}

fn box_muller(a: u64, b: u64) -> f64 {
    let u1 = ((a >> 11) as f64 + 1.0) / ((1u64 << 53) as f64 + 1.0);
    let u2 = (b >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn same_params_same_faces_and_larger_albums_extend_smaller_ones() {
        let small = synthetic_faces(&SyntheticParams::album(2_000, 7));
        let again = synthetic_faces(&SyntheticParams::album(2_000, 7));
        assert_eq!(small.labels, again.labels);
        assert_eq!(small.faces.embeddings(), again.faces.embeddings());
        let mut params = SyntheticParams::album(3_000, 7);
        params.identities = small.identities;
        let large = synthetic_faces(&params);
        let cut = large.photo_boundary(small.faces.len());
        assert_eq!(cut, small.faces.len());
        let prefix = large.slice(0..cut);
        assert_eq!(prefix.labels, small.labels);
        assert_eq!(prefix.faces.embeddings(), small.faces.embeddings());
        assert_eq!(prefix.faces.all_facts(), small.faces.all_facts());
        let other = synthetic_faces(&SyntheticParams::album(2_000, 8));
        assert_ne!(other.faces.embeddings(), small.faces.embeddings());
    }

    #[test]
    fn cosines_follow_the_real_recognizers_spread() {
        let s = synthetic_faces(&SyntheticParams::album(4_000, 1));
        let n = s.faces.len();
        for i in 0..n {
            let len: f32 = cos(s.faces.embedding(i), s.faces.embedding(i));
            assert!((len - 1.0).abs() < 1e-4, "face {i} is not unit: {len}");
        }
        let (mut same, mut diff) = (Vec::new(), Vec::new());
        for i in 0..n {
            for j in (i + 1..n).step_by(7) {
                if s.is_stranger(i) || s.is_stranger(j) {
                    continue;
                }
                let c = cos(s.faces.embedding(i), s.faces.embedding(j)) as f64;
                if s.labels[i] == s.labels[j] {
                    same.push(c);
                } else {
                    diff.push(c);
                }
            }
        }
        let stats = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
            (m, sd)
        };
        let (ms, sds) = stats(&same);
        let (md, _) = stats(&diff);
        let (md0, sdd) = stats(&diff);
        eprintln!("same {ms:.3} ± {sds:.3}, different {md0:.3} ± {sdd:.3}");
        assert!((ms - 0.71).abs() < 0.03, "same-person mean {ms}");
        assert!((0.10..0.20).contains(&sds), "same-person sd {sds}");
        assert!((md - 0.24).abs() < 0.05, "different-person mean {md}");
    }

    #[test]
    fn strangers_group_photos_and_quality_signals_are_there() {
        let s = synthetic_faces(&SyntheticParams::album(5_000, 3));
        let n = s.faces.len();
        let strangers = (0..n).filter(|&i| s.is_stranger(i)).count();
        assert!((0.08..0.12).contains(&(strangers as f64 / n as f64)));
        let mut shared_photo = 0;
        for i in 1..n {
            let (a, b) = (s.faces.facts(i - 1), s.faces.facts(i));
            if a.photo == b.photo {
                shared_photo += 1;
                if !s.is_stranger(i) {
                    // A person appears at most once per photo.
                    let first = (0..i)
                        .rev()
                        .take_while(|&j| s.faces.facts(j).photo == b.photo);
                    assert!(first.into_iter().all(|j| s.labels[j] != s.labels[i]));
                }
            }
        }
        assert!(shared_photo > n / 10, "{shared_photo} faces share a photo");
        let sides: Vec<f32> = s.faces.all_facts().iter().map(|f| f.box_side).collect();
        let norms: Vec<f32> = s.faces.all_facts().iter().map(|f| f.norm).collect();
        let spread = |v: &[f32]| {
            v.iter().copied().fold(f32::MIN, f32::max) / v.iter().copied().fold(f32::MAX, f32::min)
        };
        assert!(spread(&sides) > 4.0 && spread(&norms) > 2.0);
    }
}
