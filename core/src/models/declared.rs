//! What an ONNX file declares about its inputs and outputs (names and shapes), read
//! straight from the protobuf without loading the model: opening a 260 MB recognizer
//! takes a second, and a run that embeds nothing only needs the embedding width.
//!
//! Only the wire format is parsed (varints and length-delimited fields); the graph's
//! nodes and weights are skipped by seeking, so this reads a few kilobytes.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// A declared input or output: its name and dimensions (`None` for a symbolic one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredTensor {
    pub name: String,
    pub dims: Vec<Option<i64>>,
}

/// The graph's declared inputs (without initializers listed as inputs) and outputs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeclaredModel {
    pub inputs: Vec<DeclaredTensor>,
    pub outputs: Vec<DeclaredTensor>,
}

impl DeclaredModel {
    /// The width of a `[N, D]` first output, when `D` is a number.
    pub fn embedding_width(&self) -> Option<usize> {
        match self.outputs.first()?.dims.as_slice() {
            [_, Some(d)] if *d > 0 => Some(*d as usize),
            _ => None,
        }
    }
}

// Field numbers from onnx.proto.
const MODEL_GRAPH: u64 = 7;
const GRAPH_INITIALIZER: u64 = 5;
const GRAPH_INPUT: u64 = 11;
const GRAPH_OUTPUT: u64 = 12;
const TENSOR_NAME: u64 = 8;
const VALUE_NAME: u64 = 1;
const VALUE_TYPE: u64 = 2;
const TYPE_TENSOR: u64 = 1;
const TENSOR_TYPE_SHAPE: u64 = 2;
const SHAPE_DIM: u64 = 1;
const DIM_VALUE: u64 = 1;

/// Value infos are small; anything larger is not a sane model header.
const MAX_VALUE_INFO: u64 = 1 << 20;

/// Reads the declared inputs and outputs of the ONNX file at `path`; `None` when it is
/// not readable as an ONNX model.
pub fn read_declared(path: &Path) -> Option<DeclaredModel> {
    let file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut r = BufReader::with_capacity(1 << 16, file);
    let mut pos = 0u64;
    while pos < len {
        let (field, wire) = read_key(&mut r, &mut pos)?;
        if field == MODEL_GRAPH && wire == 2 {
            let size = read_varint(&mut r, &mut pos)?;
            let end = pos.checked_add(size)?.min(len);
            return read_graph(&mut r, &mut pos, end);
        }
        skip(&mut r, &mut pos, wire)?;
    }
    None
}

fn read_graph(r: &mut BufReader<File>, pos: &mut u64, end: u64) -> Option<DeclaredModel> {
    let mut model = DeclaredModel::default();
    let mut initializers = Vec::new();
    while *pos < end {
        let (field, wire) = read_key(r, pos)?;
        match (field, wire) {
            (GRAPH_INPUT | GRAPH_OUTPUT, 2) => {
                let size = read_varint(r, pos)?;
                if size > MAX_VALUE_INFO {
                    return None;
                }
                let mut buf = vec![0u8; size as usize];
                r.read_exact(&mut buf).ok()?;
                *pos += size;
                let tensor = parse_value_info(&buf)?;
                if field == GRAPH_INPUT {
                    model.inputs.push(tensor);
                } else {
                    model.outputs.push(tensor);
                }
            }
            (GRAPH_INITIALIZER, 2) => {
                // Old exports list weights among the inputs: only their names are kept,
                // read from the front of the tensor without reading its data.
                let size = read_varint(r, pos)?;
                let tensor_end = pos.checked_add(size)?;
                if let Some(name) = initializer_name(r, pos, tensor_end) {
                    initializers.push(name);
                }
                seek_to(r, pos, tensor_end)?;
            }
            _ => skip(r, pos, wire)?,
        }
    }
    model.inputs.retain(|i| !initializers.contains(&i.name));
    Some(model)
}

/// The `name` of a TensorProto, scanning its fields up to `end` (large data fields are
/// skipped by seeking).
fn initializer_name(r: &mut BufReader<File>, pos: &mut u64, end: u64) -> Option<String> {
    while *pos < end {
        let (field, wire) = read_key(r, pos)?;
        if field == TENSOR_NAME && wire == 2 {
            let size = read_varint(r, pos)?;
            if size > MAX_VALUE_INFO {
                return None;
            }
            let mut buf = vec![0u8; size as usize];
            r.read_exact(&mut buf).ok()?;
            *pos += size;
            return String::from_utf8(buf).ok();
        }
        skip(r, pos, wire)?;
    }
    None
}

fn parse_value_info(buf: &[u8]) -> Option<DeclaredTensor> {
    let mut name = String::new();
    let mut dims = Vec::new();
    for (field, value) in Fields(buf) {
        match (field, value) {
            (VALUE_NAME, Value::Bytes(b)) => name = String::from_utf8_lossy(b).into_owned(),
            (VALUE_TYPE, Value::Bytes(t)) => {
                for (f, v) in Fields(t) {
                    if let (TYPE_TENSOR, Value::Bytes(tensor)) = (f, v) {
                        for (f, v) in Fields(tensor) {
                            if let (TENSOR_TYPE_SHAPE, Value::Bytes(shape)) = (f, v) {
                                dims = Fields(shape)
                                    .filter_map(|(f, v)| match (f, v) {
                                        (SHAPE_DIM, Value::Bytes(dim)) => Some(dim_value(dim)),
                                        _ => None,
                                    })
                                    .collect();
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Some(DeclaredTensor { name, dims })
}

fn dim_value(dim: &[u8]) -> Option<i64> {
    Fields(dim).find_map(|(f, v)| match (f, v) {
        (DIM_VALUE, Value::Varint(n)) => Some(n as i64),
        _ => None,
    })
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The fields of an in-memory message; stops at the first malformed one.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = (u64, Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let (key, rest) = varint(self.0)?;
        let (field, wire) = (key >> 3, key & 7);
        let (value, rest) = match wire {
            0 => {
                let (v, rest) = varint(rest)?;
                (Value::Varint(v), rest)
            }
            1 => (Value::Fixed, rest.get(8..)?),
            2 => {
                let (n, rest) = varint(rest)?;
                let n = usize::try_from(n).ok()?;
                (Value::Bytes(rest.get(..n)?), rest.get(n..)?)
            }
            5 => (Value::Fixed, rest.get(4..)?),
            _ => return None,
        };
        self.0 = rest;
        Some((field, value))
    }
}

fn varint(buf: &[u8]) -> Option<(u64, &[u8])> {
    let mut v = 0u64;
    for (i, &b) in buf.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, &buf[i + 1..]));
        }
    }
    None
}

fn read_varint(r: &mut impl Read, pos: &mut u64) -> Option<u64> {
    let mut v = 0u64;
    for i in 0..10 {
        let mut b = [0u8];
        r.read_exact(&mut b).ok()?;
        *pos += 1;
        v |= u64::from(b[0] & 0x7f) << (7 * i);
        if b[0] & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn read_key(r: &mut impl Read, pos: &mut u64) -> Option<(u64, u64)> {
    let key = read_varint(r, pos)?;
    Some((key >> 3, key & 7))
}

fn skip(r: &mut BufReader<File>, pos: &mut u64, wire: u64) -> Option<()> {
    let to = match wire {
        0 => {
            read_varint(r, pos)?;
            return Some(());
        }
        1 => pos.checked_add(8)?,
        2 => {
            let n = read_varint(r, pos)?;
            pos.checked_add(n)?
        }
        5 => pos.checked_add(4)?,
        _ => return None,
    };
    seek_to(r, pos, to)
}

fn seek_to(r: &mut BufReader<File>, pos: &mut u64, to: u64) -> Option<()> {
    let delta = i64::try_from(to.checked_sub(*pos)?).ok()?;
    r.seek_relative(delta).ok()?;
    *pos = to;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_onnx_declares_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.onnx");
        std::fs::write(&path, b"\xff\xff\xff\xff not a model").expect("write");
        assert_eq!(read_declared(&path), None);
        assert_eq!(read_declared(&dir.path().join("missing.onnx")), None);
    }
}
