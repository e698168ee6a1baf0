//! The user's constraints, indexed by face for the clustering steps.

use std::collections::HashMap;

use super::Constraints;

/// [`Constraints`] checked and indexed by face number.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    ignored: Vec<bool>,
    /// The known person a face is confirmed for. A face confirmed for two is kept by the
    /// first (the people file never writes that, but a hand-edited one might).
    confirmed: Vec<Option<u32>>,
    /// Known persons a face is "not".
    rejected: HashMap<u32, Vec<u32>>,
    /// Faces of each photo (photo number → faces), for the same-photo cannot-link.
    photo_faces: HashMap<u32, Vec<u32>>,
    photo: Vec<u32>,
}

impl Rules {
    pub fn new(photos: impl Iterator<Item = u32>, constraints: &Constraints) -> Self {
        let photo: Vec<u32> = photos.collect();
        let n = photo.len();
        let in_range = |f: &u32| (*f as usize) < n;
        let mut ignored = vec![false; n];
        for &f in constraints.ignored.iter().filter(|f| in_range(f)) {
            ignored[f as usize] = true;
        }
        let mut confirmed = vec![None; n];
        let mut rejected: HashMap<u32, Vec<u32>> = HashMap::new();
        for (k, known) in constraints.known.iter().enumerate() {
            for &f in known.confirmed.iter().filter(|f| in_range(f)) {
                if !ignored[f as usize] && confirmed[f as usize].is_none() {
                    confirmed[f as usize] = Some(k as u32);
                }
            }
            for &f in known.rejected.iter().filter(|f| in_range(f)) {
                rejected.entry(f).or_default().push(k as u32);
            }
        }
        for list in rejected.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        let mut photo_faces: HashMap<u32, Vec<u32>> = HashMap::new();
        for (f, &p) in photo.iter().enumerate() {
            photo_faces.entry(p).or_default().push(f as u32);
        }
        photo_faces.retain(|_, faces| faces.len() > 1);
        Self {
            ignored,
            confirmed,
            rejected,
            photo_faces,
            photo,
        }
    }

    pub fn is_ignored(&self, face: u32) -> bool {
        self.ignored[face as usize]
    }

    pub fn confirmed(&self, face: u32) -> Option<u32> {
        self.confirmed[face as usize]
    }

    /// Known persons `face` must never be placed in.
    pub fn rejected(&self, face: u32) -> &[u32] {
        self.rejected.get(&face).map_or(&[], Vec::as_slice)
    }

    /// The other faces of `face`'s photo.
    pub fn same_photo(&self, face: u32) -> impl Iterator<Item = u32> + '_ {
        self.photo_faces
            .get(&self.photo[face as usize])
            .into_iter()
            .flatten()
            .copied()
            .filter(move |&g| g != face)
    }
}
