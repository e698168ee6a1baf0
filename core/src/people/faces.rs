//! The faces clustering sees: unit embeddings plus what decides how far each may be
//! trusted (box size, embedding norm) and which photo it is in (two faces of one photo
//! are never one person).

/// What clustering knows about one face besides its embedding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceFacts {
    /// The photo it is in, as a number shared by the faces of that photo.
    pub photo: u32,
    /// The shorter side of the face box, in photo pixels.
    pub box_side: f32,
    /// The recognizer's embedding norm: AdaFace's quality signal, on a model-specific
    /// scale (compare it only with the same album's norms).
    pub norm: f32,
}

/// Why a [`FaceSet`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaceSetError {
    #[error("{embeddings} embedding values for {faces} faces of dimension {dim}")]
    WrongLength {
        embeddings: usize,
        faces: usize,
        dim: usize,
    },
}

/// The faces to cluster, in the order the caller chose. Callers pass a canonical order
/// (by photo content and box, see `people::identity`), so the result does not depend on
/// file names or the order photos were added; clustering itself breaks every tie by
/// this order.
#[derive(Debug, Clone, Default)]
pub struct FaceSet {
    dim: usize,
    /// Row-major, `dim` values per face, each row of unit length.
    embeddings: Vec<f32>,
    facts: Vec<FaceFacts>,
}

impl FaceSet {
    pub fn new(
        dim: usize,
        embeddings: Vec<f32>,
        facts: Vec<FaceFacts>,
    ) -> Result<Self, FaceSetError> {
        if embeddings.len() != facts.len() * dim {
            return Err(FaceSetError::WrongLength {
                embeddings: embeddings.len(),
                faces: facts.len(),
                dim,
            });
        }
        Ok(Self {
            dim,
            embeddings,
            facts,
        })
    }

    pub fn len(&self) -> usize {
        self.facts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The unit embedding of face `i`.
    pub fn embedding(&self, i: usize) -> &[f32] {
        &self.embeddings[i * self.dim..(i + 1) * self.dim]
    }

    pub fn embeddings(&self) -> &[f32] {
        &self.embeddings
    }

    pub fn facts(&self, i: usize) -> FaceFacts {
        self.facts[i]
    }

    pub fn all_facts(&self) -> &[FaceFacts] {
        &self.facts
    }
}
