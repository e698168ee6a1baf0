//! Faces grouped into would-be persons: a union-find whose every merge is checked against
//! the cannot-links (two faces of one photo, two known persons, a rejected face).

use super::rules::Rules;
use super::vector::add_into;
use crate::people::faces::FaceSet;

/// Groups of faces; a face not yet placed is a group of one.
#[derive(Debug, Clone)]
pub(crate) struct Groups<'a> {
    faces: &'a FaceSet,
    rules: &'a Rules,
    parent: Vec<u32>,
    /// At a root: the group's faces (unordered). Empty elsewhere.
    members: Vec<Vec<u32>>,
    /// At a root: the group's smallest face number (its name for breaking ties).
    least: Vec<u32>,
    /// At a root: the known person the group is.
    known: Vec<Option<u32>>,
    /// At a root: the known persons some face of the group rejects.
    rejects: Vec<Vec<u32>>,
    /// At a root of a group of two or more: the sum of its embeddings (mean cosine
    /// between groups is the dot product of their sums over the product of their sizes).
    sums: std::collections::HashMap<u32, Vec<f32>>,
}

impl<'a> Groups<'a> {
    /// Every face alone, then each known person's confirmed faces joined (the user's
    /// must-link, even two faces of one photo).
    pub fn new(faces: &'a FaceSet, rules: &'a Rules) -> Self {
        let n = faces.len();
        let mut groups = Self {
            faces,
            rules,
            parent: (0..n as u32).collect(),
            members: (0..n as u32).map(|f| vec![f]).collect(),
            least: (0..n as u32).collect(),
            known: (0..n as u32).map(|f| rules.confirmed(f)).collect(),
            rejects: (0..n as u32).map(|f| rules.rejected(f).to_vec()).collect(),
            sums: Default::default(),
        };
        let mut first_of_known: std::collections::HashMap<u32, u32> = Default::default();
        for f in 0..n as u32 {
            if let Some(k) = rules.confirmed(f) {
                match first_of_known.get(&k) {
                    Some(&first) => {
                        groups.union_unchecked(first, f);
                    }
                    None => {
                        first_of_known.insert(k, f);
                    }
                }
            }
        }
        groups
    }

    pub fn find(&mut self, mut f: u32) -> u32 {
        while self.parent[f as usize] != f {
            let up = self.parent[self.parent[f as usize] as usize];
            self.parent[f as usize] = up;
            f = up;
        }
        f
    }

    /// The root without path compression (for shared borrows).
    pub fn root(&self, mut f: u32) -> u32 {
        while self.parent[f as usize] != f {
            f = self.parent[f as usize];
        }
        f
    }

    pub fn size(&self, root: u32) -> usize {
        self.members[root as usize].len()
    }

    pub fn members(&self, root: u32) -> &[u32] {
        &self.members[root as usize]
    }

    pub fn least(&self, root: u32) -> u32 {
        self.least[root as usize]
    }

    pub fn known(&self, root: u32) -> Option<u32> {
        self.known[root as usize]
    }

    /// The embedding sum of the group at `root`.
    pub fn sum(&self, root: u32) -> &[f32] {
        self.sums
            .get(&root)
            .map_or_else(|| self.faces.embedding(root as usize), Vec::as_slice)
    }

    /// Mean cosine between the faces of two groups.
    pub fn mean_cosine(&self, a: u32, b: u32) -> f32 {
        let d = super::vector::dot(self.sum(a), self.sum(b));
        d / (self.size(a) * self.size(b)) as f32
    }

    /// Whether the groups at roots `a` and `b` may become one person.
    pub fn may_join(&self, a: u32, b: u32) -> bool {
        if a == b {
            return true;
        }
        let (ka, kb) = (self.known[a as usize], self.known[b as usize]);
        if ka.is_some() && kb.is_some() && ka != kb {
            return false;
        }
        if ka.is_some_and(|k| self.rejects[b as usize].contains(&k))
            || kb.is_some_and(|k| self.rejects[a as usize].contains(&k))
        {
            return false;
        }
        // Same photo: look up the photo-mates of the smaller group's faces.
        let (small, large) = if self.size(a) <= self.size(b) {
            (a, b)
        } else {
            (b, a)
        };
        !self.members[small as usize]
            .iter()
            .any(|&f| self.rules.same_photo(f).any(|g| self.root(g) == large))
    }

    /// Joins the groups at roots `a` and `b` if [`Self::may_join`]; returns the new root.
    pub fn join(&mut self, a: u32, b: u32) -> Option<u32> {
        if a == b {
            return Some(a);
        }
        if !self.may_join(a, b) {
            return None;
        }
        Some(self.union_unchecked(a, b))
    }

    /// Joins two groups whatever the cannot-links say (the user's must-link, or persons
    /// given as they are).
    pub fn union_unchecked(&mut self, a: u32, b: u32) -> u32 {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return a;
        }
        // The larger group's root stays (ties: the smaller face number), so members move
        // small-to-large.
        let (keep, gone) =
            if (self.size(a), std::cmp::Reverse(a)) >= (self.size(b), std::cmp::Reverse(b)) {
                (a, b)
            } else {
                (b, a)
            };
        let mut sum = self
            .sums
            .remove(&keep)
            .unwrap_or_else(|| self.faces.embedding(keep as usize).to_vec());
        match self.sums.remove(&gone) {
            Some(other) => add_into(&mut sum, &other),
            None => add_into(&mut sum, self.faces.embedding(gone as usize)),
        }
        self.sums.insert(keep, sum);
        let moved = std::mem::take(&mut self.members[gone as usize]);
        self.members[keep as usize].extend(moved);
        let rejects = std::mem::take(&mut self.rejects[gone as usize]);
        let list = &mut self.rejects[keep as usize];
        list.extend(rejects);
        list.sort_unstable();
        list.dedup();
        if self.known[keep as usize].is_none() {
            self.known[keep as usize] = self.known[gone as usize];
        }
        self.known[gone as usize] = None;
        self.least[keep as usize] = self.least[keep as usize].min(self.least[gone as usize]);
        self.parent[gone as usize] = keep;
        keep
    }

    /// Makes the group at `root` known person `known` (a person the caller already
    /// holds as that known person).
    pub fn claim(&mut self, root: u32, known: u32) {
        if self.known[root as usize].is_none() {
            self.known[root as usize] = Some(known);
        }
    }

    /// The roots of every group (ascending), ignored faces left out.
    pub fn roots(&self) -> Vec<u32> {
        (0..self.parent.len() as u32)
            .filter(|&f| self.parent[f as usize] == f && !self.rules.is_ignored(f))
            .collect()
    }
}
