//! The process-wide ONNX Runtime environment and the sessions opened on it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::ep::{self, ArbitrarilyConfigurableExecutionProvider, ExecutionProvider};
use ort::session::Session;

use super::library::{locate_library, setup_command};
use super::openvino::{self, CompileOptions, CompiledModel};
use super::provider::{
    CpuFeatures, ExecutionProviderKind, Precision, ProviderChoice, ProviderRequest,
};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("ONNX Runtime library not found (looked in: {tried}). Fix: {fix}; or set ORT_DYLIB_PATH to libonnxruntime")]
    LibraryNotFound { tried: String, fix: &'static str },
    #[error("ONNX Runtime library {path} could not be loaded: {reason}. Fix: {fix}")]
    LibraryLoad {
        path: PathBuf,
        reason: String,
        fix: &'static str,
    },
    #[error("execution provider {ep} is not in this ONNX Runtime build ({library}); available: {available}")]
    ProviderUnavailable {
        ep: ExecutionProviderKind,
        library: PathBuf,
        available: String,
    },
    #[error("execution provider {ep} failed to start: {reason}")]
    ProviderFailed {
        ep: ExecutionProviderKind,
        reason: String,
    },
    #[error("model {path} could not be loaded by ONNX Runtime: {reason}")]
    ModelLoad { path: PathBuf, reason: String },
    #[error("model {path} has no {what}")]
    ModelShape { path: PathBuf, what: &'static str },
    #[error("inference on {model} failed: {reason}")]
    Inference { model: String, reason: String },
}

/// Why the process-wide environment could not be created; kept so every later call
/// reports the same cause.
#[derive(Debug, Clone)]
enum InitFailure {
    NotFound { tried: String },
    Load { path: PathBuf, reason: String },
}

/// The environment may be created once per process; every `Runtime` shares it.
static ENVIRONMENT: OnceLock<Result<(ort::environment::Environment, PathBuf), InitFailure>> =
    OnceLock::new();

fn environment() -> Result<&'static (ort::environment::Environment, PathBuf), RuntimeError> {
    let env = ENVIRONMENT.get_or_init(|| {
        let from_env = std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from);
        let search = locate_library(from_env.as_deref());
        let Some(path) = search.found else {
            let tried: Vec<String> = search
                .tried
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            return Err(InitFailure::NotFound {
                tried: tried.join(", "),
            });
        };
        let built = ort::init_from(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| b.with_name("facesorter").build().map_err(|e| e.to_string()));
        match built {
            Ok(env) => Ok((env, path)),
            Err(reason) => Err(InitFailure::Load { path, reason }),
        }
    });
    env.as_ref().map_err(|failure| match failure.clone() {
        InitFailure::NotFound { tried } => RuntimeError::LibraryNotFound {
            tried,
            fix: setup_command(),
        },
        InitFailure::Load { path, reason } => RuntimeError::LibraryLoad {
            path,
            reason,
            fix: setup_command(),
        },
    })
}

/// Execution providers this ONNX Runtime build was compiled with.
fn available_providers() -> Vec<ExecutionProviderKind> {
    let mut v = vec![ExecutionProviderKind::Cpu];
    if ep::OpenVINO::is_available().unwrap_or(false) {
        v.push(ExecutionProviderKind::OpenVino);
    }
    if ep::CUDA::is_available().unwrap_or(false) {
        v.push(ExecutionProviderKind::Cuda);
    }
    v
}

/// Which runtime executes the OpenVINO provider's models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenVinoRoute {
    /// OpenVINO's own runtime (its C library from the same wheel), which keeps compiled
    /// models in its cache without rewriting them; ONNX Runtime's provider where that
    /// library is missing or refuses a model.
    #[default]
    Direct,
    /// Always ONNX Runtime's OpenVINO execution provider.
    OnnxRuntime,
}

/// A loaded ONNX Runtime with a chosen execution provider. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Runtime {
    choice: ProviderChoice,
    library: PathBuf,
    intra_threads: usize,
    openvino_cache: Option<PathBuf>,
    openvino_route: OpenVinoRoute,
}

impl Runtime {
    /// Loads the library (once per process) and resolves the provider request.
    pub fn new(request: ProviderRequest) -> Result<Self, RuntimeError> {
        let (_, library) = environment()?;
        let available = available_providers();
        let choice = request.resolve(CpuFeatures::detect(), &available);
        if !available.contains(&choice.ep) {
            return Err(RuntimeError::ProviderUnavailable {
                ep: choice.ep,
                library: library.clone(),
                available: available
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let intra_threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let openvino_cache = crate::dirs::project_dirs().map(|d| d.cache_dir().join("openvino"));
        Ok(Self {
            choice,
            library: library.clone(),
            intra_threads,
            openvino_cache,
            openvino_route: OpenVinoRoute::default(),
        })
    }

    /// Chooses how OpenVINO models run (both routes are kept for parity tests and as
    /// the fallback).
    pub fn with_openvino_route(mut self, route: OpenVinoRoute) -> Self {
        self.openvino_route = route;
        self
    }

    /// Puts OpenVINO's compiled models in `dir` (`None`: no cache).
    pub fn with_openvino_cache(mut self, dir: Option<PathBuf>) -> Self {
        self.openvino_cache = dir;
        self
    }

    pub fn choice(&self) -> ProviderChoice {
        self.choice
    }

    pub fn library(&self) -> &Path {
        &self.library
    }

    /// Threads each session may use for one inference.
    pub fn with_intra_threads(mut self, n: usize) -> Self {
        self.intra_threads = n.max(1);
        self
    }

    fn provider(&self, use_cache: bool) -> Option<ep::ExecutionProviderDispatch> {
        match self.choice.ep {
            ExecutionProviderKind::Cpu => None,
            ExecutionProviderKind::Cuda => Some(ep::CUDA::default().build().error_on_failure()),
            ExecutionProviderKind::OpenVino => {
                let hint = match self.choice.precision {
                    Precision::Bf16 => "bf16",
                    Precision::Fp32 => "f32",
                };
                let mut ov = ep::OpenVINO::default()
                    .with_device_type("CPU")
                    .with_num_threads(self.intra_threads)
                    .with_arbitrary_config(
                        "load_config",
                        format!(r#"{{"CPU":{{"INFERENCE_PRECISION_HINT":"{hint}"}}}}"#),
                    );
                // Compiled blobs are cached so the second start skips OpenVINO's compile step.
                if let Some(dir) = self.openvino_cache.as_ref().filter(|_| use_cache) {
                    if std::fs::create_dir_all(dir).is_ok() {
                        ov = ov.with_cache_dir(dir.display());
                    }
                }
                Some(ov.build().error_on_failure())
            }
        }
    }

    fn commit(
        &self,
        env: &ort::environment::Environment,
        path: &Path,
        use_cache: bool,
    ) -> Result<Session, RuntimeError> {
        let model_err = |e: ort::Error| RuntimeError::ModelLoad {
            path: path.to_path_buf(),
            reason: without_load_prefix(&e.to_string(), path),
        };
        let mut builder = Session::builder(env)
            .map_err(model_err)?
            .with_intra_threads(self.intra_threads)
            .map_err(|e| model_err(e.into()))?;
        if let Some(provider) = self.provider(use_cache) {
            builder = builder.with_execution_providers([provider]).map_err(|e| {
                RuntimeError::ProviderFailed {
                    ep: self.choice.ep,
                    reason: e.to_string(),
                }
            })?;
        }
        builder.commit_from_file(path).map_err(model_err)
    }

    /// Compiles `path` with OpenVINO's own runtime, when the OpenVINO route is direct.
    fn open_direct(&self, path: &Path) -> Direct {
        if self.choice.ep != ExecutionProviderKind::OpenVino
            || self.openvino_route != OpenVinoRoute::Direct
        {
            return Direct::NotTried;
        }
        let Some(dir) = self.library.parent().map(|d| d.join(openvino::SUBDIR)) else {
            return Direct::NotTried;
        };
        if let Err(reason) = openvino::load(&dir) {
            log::info!("OpenVINO's runtime is not used ({reason}); ONNX Runtime runs the models");
            return Direct::NotTried;
        }
        let options = CompileOptions {
            precision: match self.choice.precision {
                Precision::Bf16 => "bf16",
                Precision::Fp32 => "f32",
            },
            threads: self.intra_threads,
            cache_dir: self
                .openvino_cache
                .as_ref()
                .filter(|d| std::fs::create_dir_all(d).is_ok())
                .cloned(),
        };
        match openvino::compile(&dir, path, &options) {
            Ok(model) => {
                let (inputs, outputs) = match port_names(path, &model) {
                    Ok(names) => names,
                    Err(reason) => {
                        log::info!("{}: {reason}; using ONNX Runtime", path.display());
                        return Direct::Refused;
                    }
                };
                Direct::Opened(ModelSession {
                    input_shape: model.inputs[0].shape.clone(),
                    inputs,
                    outputs,
                    path: path.to_path_buf(),
                    backend: Backend::OpenVino(model),
                })
            }
            Err(reason) => {
                log::info!(
                    "OpenVINO's runtime did not open {} ({reason}); using ONNX Runtime",
                    path.display()
                );
                Direct::Refused
            }
        }
    }

    /// Opens a model file as a session on the chosen provider.
    pub fn open(&self, path: &Path) -> Result<ModelSession, RuntimeError> {
        let runtime = match self.open_direct(path) {
            Direct::Opened(session) => return Ok(session),
            Direct::NotTried => self,
            // ONNX Runtime's OpenVINO provider links another build of OpenVINO (other
            // C++ ABI, same library name), which cannot load beside the one now in this
            // process: the plain CPU provider runs this model.
            Direct::Refused => &Self {
                choice: ProviderChoice {
                    ep: ExecutionProviderKind::Cpu,
                    precision: Precision::Fp32,
                },
                ..self.clone()
            },
        };
        runtime.open_with_onnxruntime(path)
    }

    fn open_with_onnxruntime(&self, path: &Path) -> Result<ModelSession, RuntimeError> {
        let (env, _) = environment()?;
        let session = match self.commit(env, path, true) {
            Ok(s) => s,
            // Several processes compiling the same model race on OpenVINO's blob cache
            // (seen: "cannot set permissions" on a blob another process replaced); the
            // cache only saves start-up time, so go on without it.
            Err(_)
                if self.choice.ep == ExecutionProviderKind::OpenVino
                    && self.openvino_cache.is_some() =>
            {
                self.commit(env, path, false)?
            }
            Err(e) => return Err(e),
        };
        let inputs: Vec<String> = session
            .inputs()
            .iter()
            .map(|o| o.name().to_string())
            .collect();
        let input_shape: Vec<i64> = session
            .inputs()
            .first()
            .and_then(|o| o.dtype().tensor_shape())
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        let outputs: Vec<String> = session
            .outputs()
            .iter()
            .map(|o| o.name().to_string())
            .collect();
        if inputs.is_empty() {
            return Err(RuntimeError::ModelShape {
                path: path.to_path_buf(),
                what: "input",
            });
        }
        if outputs.is_empty() {
            return Err(RuntimeError::ModelShape {
                path: path.to_path_buf(),
                what: "output",
            });
        }
        Ok(ModelSession {
            backend: Backend::Ort(Mutex::new(session)),
            inputs,
            input_shape,
            outputs,
            path: path.to_path_buf(),
        })
    }
}

/// The input and output names of a model compiled by OpenVINO, as the ONNX file spells
/// them. OpenVINO reports one of each tensor's several names (often an inner node's,
/// such as "291" for YuNet's `cls_8`), so the names are read from the file and matched
/// to OpenVINO's ports by position, which is checked against the declared shapes.
fn port_names(path: &Path, model: &CompiledModel) -> Result<(Vec<String>, Vec<String>), String> {
    let declared = crate::models::read_declared(path).ok_or("its declaration is unreadable")?;
    let names = |declared: &[crate::models::DeclaredTensor],
                 ports: &[super::openvino::Port],
                 what: &str| {
        if declared.len() != ports.len() || ports.is_empty() {
            return Err(format!(
                "OpenVINO sees {} {what}s, the file declares {}",
                ports.len(),
                declared.len()
            ));
        }
        for (d, p) in declared.iter().zip(ports) {
            let agree = d.dims.len() == p.shape.len()
                && d.dims
                    .iter()
                    .zip(&p.shape)
                    .all(|(d, &p)| d.is_none_or(|d| p < 0 || d == p));
            if !agree {
                return Err(format!(
                    "{what} {} is {:?} in the file, {:?} in OpenVINO",
                    d.name, d.dims, p.shape
                ));
            }
        }
        Ok(declared.iter().map(|d| d.name.clone()).collect())
    };
    Ok((
        names(&declared.inputs, &model.inputs, "input")?,
        names(&declared.outputs, &model.outputs, "output")?,
    ))
}

/// One output of a run: its shape and its values, row-major.
pub type OutputTensor = (Vec<usize>, Vec<f32>);

/// The outcome of trying OpenVINO's own runtime on a model.
enum Direct {
    Opened(ModelSession),
    /// Not this route, or its library is not installed: ONNX Runtime as chosen.
    NotTried,
    /// The library is loaded but refused this model.
    Refused,
}

/// What runs a model.
enum Backend {
    /// `Session::run` needs `&mut`, so the session sits behind a mutex and one
    /// `ModelSession` can be shared by worker threads.
    Ort(Mutex<Session>),
    OpenVino(CompiledModel),
}

/// An open model.
pub struct ModelSession {
    backend: Backend,
    pub inputs: Vec<String>,
    /// Shape of the first input as declared in the file; -1 marks a dynamic dimension.
    pub input_shape: Vec<i64>,
    pub outputs: Vec<String>,
    pub path: PathBuf,
}

impl std::fmt::Debug for ModelSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelSession")
            .field("path", &self.path)
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .field("runtime", &self.runtime_name())
            .finish()
    }
}

impl ModelSession {
    fn inference_err(&self, e: impl std::fmt::Display) -> RuntimeError {
        RuntimeError::Inference {
            model: self
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            reason: e.to_string(),
        }
    }

    /// "OpenVINO" or "ONNX Runtime": what runs this model.
    pub fn runtime_name(&self) -> &'static str {
        match self.backend {
            Backend::Ort(_) => "ONNX Runtime",
            Backend::OpenVino(_) => "OpenVINO",
        }
    }

    /// Runs the model on one f32 input tensor and returns every output as (shape, data).
    pub fn run_f32(
        &self,
        shape: &[usize],
        mut data: Vec<f32>,
    ) -> Result<Vec<OutputTensor>, RuntimeError> {
        let session = match &self.backend {
            Backend::Ort(session) => session,
            Backend::OpenVino(model) => {
                return model
                    .run_f32(shape, &mut data)
                    .map_err(|e| self.inference_err(e))
            }
        };
        let shape_i64: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        let tensor =
            ort::value::Tensor::from_array((shape_i64, data)).map_err(|e| self.inference_err(e))?;
        let mut session = session
            .lock()
            .map_err(|_| self.inference_err("session poisoned by an earlier panic"))?;
        let outputs = session
            .run(ort::inputs![self.inputs[0].as_str() => tensor])
            .map_err(|e| self.inference_err(e))?;
        let mut result = Vec::with_capacity(self.outputs.len());
        for name in &self.outputs {
            let (shape, data) = outputs[name.as_str()]
                .try_extract_tensor::<f32>()
                .map_err(|e| self.inference_err(e))?;
            result.push((
                shape.iter().map(|&d| d.max(0) as usize).collect(),
                data.to_vec(),
            ));
        }
        Ok(result)
    }
}

/// ONNX Runtime starts its message with "Load model from PATH failed:"; the error names the
/// file already, so only the reason is kept.
fn without_load_prefix(message: &str, path: &Path) -> String {
    let prefix = format!("Load model from {} failed:", path.display());
    message
        .strip_prefix(&prefix)
        .map_or(message, str::trim_start)
        .to_string()
}
