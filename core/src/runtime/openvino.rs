//! OpenVINO's own runtime, called through its C API (`libopenvino_c`, which the
//! onnxruntime-openvino wheel ships beside ONNX Runtime).
//!
//! Why not only ONNX Runtime's OpenVINO provider: it recompiles the model and rewrites
//! its cached blob at every session (hundreds of MB written per start), while OpenVINO's
//! own `CACHE_DIR`, given the model *file*, reads the compiled blob back and writes
//! nothing — the second start of the app skips the compile.
//!
//! Only the dozen C functions below are used; each is looked up when the library is
//! loaded, so a library without one of them is refused as a whole (the caller then
//! falls back to ONNX Runtime) instead of failing mid-run.

use std::ffi::{c_char, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The C API's library file on this platform (none on macOS: the wheel is Linux/Windows).
pub const C_LIBRARY_FILE: &str = if cfg!(target_os = "windows") {
    "openvino_c.dll"
} else {
    "libopenvino_c.so"
};

/// The folder, beside ONNX Runtime's library, holding OpenVINO's own build (from the
/// openvino wheel): the build inside onnxruntime-openvino cannot read its model cache
/// back, and the two builds differ in C++ ABI, so they are kept apart
/// (`scripts/setup-onnxruntime.sh`).
pub const SUBDIR: &str = "openvino";

#[repr(C)]
struct Opaque {
    _private: [u8; 0],
}

/// `ov_status_e`: 0 is OK, negative values are errors.
type Status = i32;

#[repr(C)]
#[derive(Clone, Copy)]
struct Shape {
    rank: i64,
    dims: *mut i64,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Dimension {
    min: i64,
    max: i64,
}

#[repr(C)]
struct PartialShape {
    rank: Dimension,
    dims: *mut Dimension,
}

type CompileFromFile = unsafe extern "C" fn(
    *const Opaque,
    *const c_char,
    *const c_char,
    usize,
    *mut *mut Opaque,
    ...
) -> Status;

/// The functions FaceSorter calls, resolved once.
struct Api {
    core_create: unsafe extern "C" fn(*mut *mut Opaque) -> Status,
    compile_model_from_file: CompileFromFile,
    compiled_model_free: unsafe extern "C" fn(*mut Opaque),
    create_infer_request: unsafe extern "C" fn(*const Opaque, *mut *mut Opaque) -> Status,
    infer_request_free: unsafe extern "C" fn(*mut Opaque),
    inputs_size: unsafe extern "C" fn(*const Opaque, *mut usize) -> Status,
    outputs_size: unsafe extern "C" fn(*const Opaque, *mut usize) -> Status,
    input_by_index: unsafe extern "C" fn(*const Opaque, usize, *mut *mut Opaque) -> Status,
    output_by_index: unsafe extern "C" fn(*const Opaque, usize, *mut *mut Opaque) -> Status,
    port_free: unsafe extern "C" fn(*mut Opaque),
    port_get_partial_shape: unsafe extern "C" fn(*const Opaque, *mut PartialShape) -> Status,
    port_get_element_type: unsafe extern "C" fn(*const Opaque, *mut u32) -> Status,
    partial_shape_free: unsafe extern "C" fn(*mut PartialShape),
    shape_create: unsafe extern "C" fn(i64, *const i64, *mut Shape) -> Status,
    shape_free: unsafe extern "C" fn(*mut Shape) -> Status,
    tensor_create_from_host_ptr:
        unsafe extern "C" fn(u32, Shape, *mut c_void, *mut *mut Opaque) -> Status,
    tensor_free: unsafe extern "C" fn(*mut Opaque),
    tensor_get_shape: unsafe extern "C" fn(*const Opaque, *mut Shape) -> Status,
    tensor_get_element_type: unsafe extern "C" fn(*const Opaque, *mut u32) -> Status,
    tensor_data: unsafe extern "C" fn(*const Opaque, *mut *mut c_void) -> Status,
    set_input_tensor_by_index: unsafe extern "C" fn(*mut Opaque, usize, *const Opaque) -> Status,
    infer: unsafe extern "C" fn(*mut Opaque) -> Status,
    get_output_tensor_by_index:
        unsafe extern "C" fn(*const Opaque, usize, *mut *mut Opaque) -> Status,
    last_error: unsafe extern "C" fn() -> *const c_char,
    /// Kept loaded for the life of the process: the pointers above point into it.
    _library: libloading::Library,
}

/// The process's OpenVINO: the loaded library and one `ov_core_t` (thread-safe per
/// OpenVINO's documentation; compiled models are made from it).
struct Loaded {
    api: Api,
    core: *mut Opaque,
}

// SAFETY: `ov_core_t` may be used from several threads (OpenVINO's Core is thread-safe);
// the function pointers are plain code addresses.
unsafe impl Send for Loaded {}
unsafe impl Sync for Loaded {}

static LOADED: OnceLock<Result<Loaded, String>> = OnceLock::new();

/// Loads OpenVINO's C library from `dir` once per process; later calls return the first
/// outcome whatever `dir` they give.
fn loaded(dir: &Path) -> Result<&'static Loaded, String> {
    LOADED
        .get_or_init(|| load_library(&dir.join(C_LIBRARY_FILE)))
        .as_ref()
        .map_err(Clone::clone)
}

/// Whether OpenVINO's C library loads from `dir` (loading it, once per process).
pub fn load(dir: &Path) -> Result<(), String> {
    loaded(dir).map(|_| ())
}

fn load_library(path: &Path) -> Result<Loaded, String> {
    if !path.is_file() {
        return Err(format!("{} not found", path.display()));
    }
    // SAFETY: loading runs the library's initialisers; it is OpenVINO's own C library,
    // found beside the ONNX Runtime library the user installed.
    let library = unsafe { libloading::Library::new(path) }
        .map_err(|e| format!("{}: {e}", path.display()))?;
    macro_rules! sym {
        ($name:literal) => {
            // SAFETY: the declared types match OpenVINO's C API (ov_*.h, 2024–2025).
            *unsafe { library.get($name) }.map_err(|e| {
                format!(
                    "{} has no {}: {e}",
                    path.display(),
                    String::from_utf8_lossy(&$name[..$name.len() - 1])
                )
            })?
        };
    }
    let api = Api {
        core_create: sym!(b"ov_core_create\0"),
        compile_model_from_file: sym!(b"ov_core_compile_model_from_file\0"),
        compiled_model_free: sym!(b"ov_compiled_model_free\0"),
        create_infer_request: sym!(b"ov_compiled_model_create_infer_request\0"),
        infer_request_free: sym!(b"ov_infer_request_free\0"),
        inputs_size: sym!(b"ov_compiled_model_inputs_size\0"),
        outputs_size: sym!(b"ov_compiled_model_outputs_size\0"),
        input_by_index: sym!(b"ov_compiled_model_input_by_index\0"),
        output_by_index: sym!(b"ov_compiled_model_output_by_index\0"),
        port_free: sym!(b"ov_output_const_port_free\0"),
        port_get_partial_shape: sym!(b"ov_port_get_partial_shape\0"),
        port_get_element_type: sym!(b"ov_port_get_element_type\0"),
        partial_shape_free: sym!(b"ov_partial_shape_free\0"),
        shape_create: sym!(b"ov_shape_create\0"),
        shape_free: sym!(b"ov_shape_free\0"),
        tensor_create_from_host_ptr: sym!(b"ov_tensor_create_from_host_ptr\0"),
        tensor_free: sym!(b"ov_tensor_free\0"),
        tensor_get_shape: sym!(b"ov_tensor_get_shape\0"),
        tensor_get_element_type: sym!(b"ov_tensor_get_element_type\0"),
        tensor_data: sym!(b"ov_tensor_data\0"),
        set_input_tensor_by_index: sym!(b"ov_infer_request_set_input_tensor_by_index\0"),
        infer: sym!(b"ov_infer_request_infer\0"),
        get_output_tensor_by_index: sym!(b"ov_infer_request_get_output_tensor_by_index\0"),
        last_error: sym!(b"ov_get_last_err_msg\0"),
        _library: library,
    };
    let mut core = std::ptr::null_mut();
    // SAFETY: `core` is a valid out-pointer.
    let status = unsafe { (api.core_create)(&mut core) };
    if status != 0 || core.is_null() {
        return Err(format!("ov_core_create failed: {}", api.message(status)));
    }
    Ok(Loaded { api, core })
}

impl Api {
    /// OpenVINO's text for the last error of this thread, with the status code.
    fn message(&self, status: Status) -> String {
        // SAFETY: returns a thread-local C string owned by OpenVINO, or null.
        let text = unsafe { (self.last_error)() };
        let text = if text.is_null() {
            String::new()
        } else {
            // SAFETY: non-null, NUL-terminated, valid until the next call on this thread.
            unsafe { CStr::from_ptr(text) }
                .to_string_lossy()
                .trim()
                .to_string()
        };
        if text.is_empty() {
            format!("status {status}")
        } else {
            format!("{text} (status {status})")
        }
    }

    fn check(&self, status: Status, what: &str) -> Result<(), String> {
        if status == 0 {
            Ok(())
        } else {
            Err(format!("{what}: {}", self.message(status)))
        }
    }
}

/// How a model is compiled.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    /// `INFERENCE_PRECISION_HINT`: "bf16" or "f32".
    pub precision: &'static str,
    pub threads: usize,
    /// OpenVINO's compiled-model cache; `None` compiles without one.
    pub cache_dir: Option<PathBuf>,
}

/// A model input or output as the compiled model declares it (names come from the
/// ONNX file: OpenVINO reports only one of a tensor's several names).
#[derive(Debug, Clone)]
pub struct Port {
    /// -1 for a dynamic dimension.
    pub shape: Vec<i64>,
    element_type: u32,
}

/// One output of a run: its shape and its values, row-major.
pub type Output = (Vec<usize>, Vec<f32>);

/// A compiled model with one inference request. The request is not thread-safe, so it
/// sits behind a mutex (as ONNX Runtime's sessions do here).
pub struct CompiledModel {
    loaded: &'static Loaded,
    model: *mut Opaque,
    request: Mutex<Request>,
    pub inputs: Vec<Port>,
    pub outputs: Vec<Port>,
}

struct Request(*mut Opaque);

// SAFETY: the compiled model is thread-safe in OpenVINO; the request is only touched
// under its mutex.
unsafe impl Send for CompiledModel {}
unsafe impl Sync for CompiledModel {}
unsafe impl Send for Request {}

impl Drop for CompiledModel {
    fn drop(&mut self) {
        let api = &self.loaded.api;
        if let Ok(request) = self.request.get_mut() {
            // SAFETY: created by `create_infer_request`, freed once.
            unsafe { (api.infer_request_free)(request.0) };
        }
        // SAFETY: created by `compile_model_from_file`, freed once, after its request.
        unsafe { (api.compiled_model_free)(self.model) };
    }
}

/// Compiles `model` (an ONNX file) for the CPU. `library_dir` is where the wheel's
/// libraries are (the folder of `libonnxruntime`).
pub fn compile(
    library_dir: &Path,
    model: &Path,
    options: &CompileOptions,
) -> Result<CompiledModel, String> {
    let loaded = loaded(library_dir)?;
    let api = &loaded.api;
    let c_path = CString::new(model.to_string_lossy().as_bytes())
        .map_err(|_| format!("{}: path has a NUL byte", model.display()))?;
    let threads = CString::new(options.threads.max(1).to_string()).map_err(|e| e.to_string())?;
    let precision = CString::new(options.precision).map_err(|e| e.to_string())?;
    // An empty CACHE_DIR is OpenVINO's "no cache".
    let cache = CString::new(
        options
            .cache_dir
            .as_ref()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
    .map_err(|_| "cache folder path has a NUL byte".to_string())?;
    let mut compiled = std::ptr::null_mut();
    // SAFETY: every pointer is a NUL-terminated string alive for the call; the count is
    // the number of variadic arguments (key, value, key, value, …).
    let status = unsafe {
        (api.compile_model_from_file)(
            loaded.core,
            c_path.as_ptr(),
            c"CPU".as_ptr(),
            6,
            &mut compiled,
            c"INFERENCE_PRECISION_HINT".as_ptr(),
            precision.as_ptr(),
            c"INFERENCE_NUM_THREADS".as_ptr(),
            threads.as_ptr(),
            c"CACHE_DIR".as_ptr(),
            cache.as_ptr(),
        )
    };
    api.check(status, "compiling the model")?;
    let mut request = std::ptr::null_mut();
    // SAFETY: `compiled` is a valid compiled model.
    let status = unsafe { (api.create_infer_request)(compiled, &mut request) };
    if let Err(e) = api.check(status, "creating an inference request") {
        // SAFETY: freed once, nothing else holds it.
        unsafe { (api.compiled_model_free)(compiled) };
        return Err(e);
    }
    let mut model = CompiledModel {
        loaded,
        model: compiled,
        request: Mutex::new(Request(request)),
        inputs: Vec::new(),
        outputs: Vec::new(),
    };
    model.inputs = model.ports(true)?;
    model.outputs = model.ports(false)?;
    Ok(model)
}

impl CompiledModel {
    fn ports(&self, inputs: bool) -> Result<Vec<Port>, String> {
        let api = &self.loaded.api;
        let mut count = 0usize;
        let size_fn = if inputs {
            api.inputs_size
        } else {
            api.outputs_size
        };
        // SAFETY: valid model and out-pointer.
        api.check(unsafe { size_fn(self.model, &mut count) }, "counting ports")?;
        (0..count)
            .map(|i| {
                let by_index = if inputs {
                    api.input_by_index
                } else {
                    api.output_by_index
                };
                let mut port = std::ptr::null_mut();
                // SAFETY: index < count.
                api.check(
                    unsafe { by_index(self.model, i, &mut port) },
                    "reading a port",
                )?;
                let described = self.describe(port);
                // SAFETY: the port was created above and is freed once.
                unsafe { (api.port_free)(port) };
                described
            })
            .collect()
    }

    fn describe(&self, port: *mut Opaque) -> Result<Port, String> {
        let api = &self.loaded.api;
        let mut partial = PartialShape {
            rank: Dimension { min: 0, max: 0 },
            dims: std::ptr::null_mut(),
        };
        // SAFETY: valid port and out-pointer.
        api.check(
            unsafe { (api.port_get_partial_shape)(port, &mut partial) },
            "reading a port's shape",
        )?;
        let rank = if partial.rank.min == partial.rank.max {
            partial.rank.min.max(0) as usize
        } else {
            0
        };
        let shape = (0..rank)
            .map(|d| {
                // SAFETY: `dims` holds `rank` dimensions.
                let dim = unsafe { *partial.dims.add(d) };
                if dim.min == dim.max {
                    dim.min
                } else {
                    -1
                }
            })
            .collect();
        // SAFETY: filled by OpenVINO above, freed once.
        unsafe { (api.partial_shape_free)(&mut partial) };
        let mut element_type = 0u32;
        // SAFETY: valid port and out-pointer.
        api.check(
            unsafe { (api.port_get_element_type)(port, &mut element_type) },
            "reading a port's type",
        )?;
        Ok(Port {
            shape,
            element_type,
        })
    }

    /// Runs the model on one f32 input and returns every output as (shape, values).
    pub fn run_f32(&self, shape: &[usize], data: &mut [f32]) -> Result<Vec<Output>, String> {
        let api = &self.loaded.api;
        let input = self.inputs.first().ok_or("the model has no input")?;
        // The element-type codes changed between OpenVINO versions, so f32 is spelled by
        // the model's own declared input type (this module only feeds f32 models).
        let f32_type = input.element_type;
        let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        if data.len() != shape.iter().product::<usize>() {
            return Err(format!(
                "input of {} values for shape {shape:?}",
                data.len()
            ));
        }
        let mut ov_shape = Shape {
            rank: 0,
            dims: std::ptr::null_mut(),
        };
        // SAFETY: `dims` holds `rank` values.
        api.check(
            unsafe { (api.shape_create)(dims.len() as i64, dims.as_ptr(), &mut ov_shape) },
            "making the input shape",
        )?;
        let mut tensor = std::ptr::null_mut();
        // SAFETY: `data` outlives the tensor (freed at the end of this call) and holds
        // exactly the shape's number of f32 values.
        let status = unsafe {
            (api.tensor_create_from_host_ptr)(
                f32_type,
                ov_shape,
                data.as_mut_ptr().cast(),
                &mut tensor,
            )
        };
        // SAFETY: created above, freed once; the tensor copied what it needs.
        unsafe { (api.shape_free)(&mut ov_shape) };
        api.check(status, "making the input tensor")?;
        let result = self.infer_with(tensor, f32_type);
        // SAFETY: created above, freed once, after the inference that used it.
        unsafe { (api.tensor_free)(tensor) };
        result
    }

    fn infer_with(&self, tensor: *mut Opaque, f32_type: u32) -> Result<Vec<Output>, String> {
        let api = &self.loaded.api;
        let request = self
            .request
            .lock()
            .map_err(|_| "inference request poisoned by an earlier panic")?;
        // SAFETY: valid request and tensor.
        api.check(
            unsafe { (api.set_input_tensor_by_index)(request.0, 0, tensor) },
            "setting the input",
        )?;
        // SAFETY: valid request with its input set.
        api.check(unsafe { (api.infer)(request.0) }, "inference")?;
        (0..self.outputs.len())
            .map(|i| {
                let mut out = std::ptr::null_mut();
                // SAFETY: i < number of outputs.
                api.check(
                    unsafe { (api.get_output_tensor_by_index)(request.0, i, &mut out) },
                    "reading an output",
                )?;
                let copied = self.copy_out(out, f32_type);
                // SAFETY: the handle was created by the call above and is freed once;
                // the data stays owned by the request.
                unsafe { (api.tensor_free)(out) };
                copied
            })
            .collect()
    }

    fn copy_out(
        &self,
        tensor: *mut Opaque,
        f32_type: u32,
    ) -> Result<(Vec<usize>, Vec<f32>), String> {
        let api = &self.loaded.api;
        let mut element_type = 0u32;
        // SAFETY: valid tensor and out-pointer.
        api.check(
            unsafe { (api.tensor_get_element_type)(tensor, &mut element_type) },
            "reading an output's type",
        )?;
        if element_type != f32_type {
            return Err(format!(
                "output of element type {element_type}, expected f32 ({f32_type})"
            ));
        }
        let mut shape = Shape {
            rank: 0,
            dims: std::ptr::null_mut(),
        };
        // SAFETY: valid tensor and out-pointer.
        api.check(
            unsafe { (api.tensor_get_shape)(tensor, &mut shape) },
            "reading an output's shape",
        )?;
        let dims: Vec<usize> = (0..shape.rank.max(0) as usize)
            // SAFETY: `dims` holds `rank` values.
            .map(|d| unsafe { *shape.dims.add(d) }.max(0) as usize)
            .collect();
        // SAFETY: filled above, freed once.
        unsafe { (api.shape_free)(&mut shape) };
        let len: usize = dims.iter().product();
        let mut data = std::ptr::null_mut();
        // SAFETY: valid tensor and out-pointer.
        api.check(
            unsafe { (api.tensor_data)(tensor, &mut data) },
            "reading an output",
        )?;
        if data.is_null() && len > 0 {
            return Err("output without data".into());
        }
        let values = if len == 0 {
            Vec::new()
        } else {
            // SAFETY: an f32 tensor of `len` elements, alive while the request is locked.
            unsafe { std::slice::from_raw_parts(data as *const f32, len) }.to_vec()
        };
        Ok((dims, values))
    }
}
