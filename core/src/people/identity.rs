//! Who is who across runs: the album's faces in a canonical order (so file names and the
//! order photos were added change nothing), and clusters matched to the people file's
//! persons so ids — and with them names — stay stable.

use std::collections::HashMap;

use super::cluster::Partition;
use super::faces::{FaceFacts, FaceSet};
use super::key::PersonId;
use crate::gallery::Album;

/// The album's faces in canonical order: by photo content (SHA-256), then box. Two
/// copies of one photo are ordered by path, the only thing that tells them apart.
#[derive(Debug, Clone, Default)]
pub struct CanonicalOrder {
    /// Canonical number → album face number.
    pub to_album: Vec<usize>,
    /// Album face number → canonical number.
    pub to_canonical: Vec<u32>,
    /// Canonical photo number of each canonical face (shared by one photo's faces).
    photo: Vec<u32>,
}

impl CanonicalOrder {
    pub fn of(album: &Album) -> Self {
        let mut photos: Vec<usize> = (0..album.photos().len()).collect();
        photos.sort_by(|&a, &b| {
            let (pa, pb) = (&album.photos()[a], &album.photos()[b]);
            pa.content_sha256
                .cmp(&pb.content_sha256)
                .then_with(|| pa.rel_path.cmp(&pb.rel_path))
        });
        let mut to_album = Vec::with_capacity(album.face_count());
        let mut photo = Vec::with_capacity(album.face_count());
        for (rank, &p) in photos.iter().enumerate() {
            let mut faces: Vec<usize> = album.face_range(p).collect();
            faces.sort_by(|&a, &b| {
                let (ba, bb) = (album.faces()[a].face_box, album.faces()[b].face_box);
                ba.as_array()
                    .iter()
                    .zip(bb.as_array().iter())
                    .map(|(x, y)| x.total_cmp(y))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.cmp(&b))
            });
            for f in faces {
                to_album.push(f);
                photo.push(rank as u32);
            }
        }
        let mut to_canonical = vec![0u32; to_album.len()];
        for (c, &f) in to_album.iter().enumerate() {
            to_canonical[f] = c as u32;
        }
        Self {
            to_album,
            to_canonical,
            photo,
        }
    }

    pub fn len(&self) -> usize {
        self.to_album.len()
    }

    pub fn is_empty(&self) -> bool {
        self.to_album.is_empty()
    }

    /// The faces clustering sees, in this order.
    pub fn face_set(&self, album: &Album) -> FaceSet {
        let dim = album.dim();
        let mut embeddings = Vec::with_capacity(self.len() * dim);
        let mut facts = Vec::with_capacity(self.len());
        for (c, &f) in self.to_album.iter().enumerate() {
            embeddings.extend_from_slice(album.embedding(f));
            let record = &album.faces()[f];
            facts.push(FaceFacts {
                photo: self.photo[c],
                box_side: record.face_box.width().min(record.face_box.height()),
                norm: record.norm,
            });
        }
        // The lengths agree by construction; an empty set is the only fallback needed.
        FaceSet::new(dim, embeddings, facts).unwrap_or_default()
    }

    /// Canonical numbers of album faces, ascending.
    pub fn canonical(&self, album_faces: impl IntoIterator<Item = usize>) -> Vec<u32> {
        let mut out: Vec<u32> = album_faces
            .into_iter()
            .filter_map(|f| self.to_canonical.get(f).copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A person of the file and the faces (canonical numbers) it held before.
#[derive(Debug, Clone)]
pub struct PreviousPerson {
    pub id: PersonId,
    pub members: Vec<u32>,
}

/// The id of each of `partition`'s persons. A cluster that is a known person
/// (`known: Some(i)`) is `known_ids[i]`; the others take the id of the previous person
/// they share most faces with (greedy by overlap, ties by smaller id, then by cluster
/// order), and a cluster sharing nothing gets a fresh id from `next_id`.
pub fn assign_ids(
    partition: &Partition,
    known_ids: &[PersonId],
    previous: &[PreviousPerson],
    next_id: &mut u32,
) -> Vec<PersonId> {
    let mut ids: Vec<Option<PersonId>> = vec![None; partition.persons.len()];
    let mut taken: Vec<PersonId> = Vec::new();
    for (c, cluster) in partition.persons.iter().enumerate() {
        if let Some(id) = cluster.known.and_then(|k| known_ids.get(k).copied()) {
            if !taken.contains(&id) {
                ids[c] = Some(id);
                taken.push(id);
            }
        }
    }
    let mut owner: HashMap<u32, usize> = HashMap::new();
    for (p, person) in previous.iter().enumerate() {
        for &f in &person.members {
            owner.entry(f).or_insert(p);
        }
    }
    let mut overlaps: HashMap<(usize, usize), usize> = HashMap::new();
    for (c, cluster) in partition.persons.iter().enumerate() {
        if ids[c].is_some() {
            continue;
        }
        for f in &cluster.faces {
            if let Some(&p) = owner.get(f) {
                *overlaps.entry((c, p)).or_default() += 1;
            }
        }
    }
    let mut pairs: Vec<(usize, usize, usize)> =
        overlaps.into_iter().map(|((c, p), n)| (n, c, p)).collect();
    pairs.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(previous[a.2].id.cmp(&previous[b.2].id))
            .then(a.1.cmp(&b.1))
    });
    for (_, c, p) in pairs {
        let id = previous[p].id;
        if ids[c].is_none() && !taken.contains(&id) {
            ids[c] = Some(id);
            taken.push(id);
        }
    }
    ids.into_iter()
        .map(|id| {
            id.unwrap_or_else(|| {
                let fresh = PersonId(*next_id);
                *next_id += 1;
                fresh
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::PersonCluster;

    fn person(faces: &[u32], known: Option<usize>) -> PersonCluster {
        PersonCluster {
            faces: faces.to_vec(),
            scores: vec![1.0; faces.len()],
            known,
        }
    }

    #[test]
    fn ids_follow_overlap_known_persons_and_fresh_ids() {
        let partition = Partition {
            persons: vec![
                person(&[0, 1, 2, 3], None),
                person(&[4, 5], Some(0)),
                person(&[6, 7], None),
                person(&[8], None),
            ],
            unsorted: vec![],
        };
        let previous = vec![
            PreviousPerson {
                id: PersonId(5),
                members: vec![4],
            },
            PreviousPerson {
                id: PersonId(2),
                members: vec![0, 1, 6],
            },
            PreviousPerson {
                id: PersonId(3),
                members: vec![2, 3, 7],
            },
        ];
        let mut next = 9;
        let ids = assign_ids(&partition, &[PersonId(5)], &previous, &mut next);
        // Cluster 0 shares two faces with both 2 and 3: the smaller id wins; 3 then takes
        // cluster 2 (one shared face); cluster 3 is new.
        assert_eq!(
            ids,
            vec![PersonId(2), PersonId(5), PersonId(3), PersonId(9)]
        );
        assert_eq!(next, 10);
    }
}
