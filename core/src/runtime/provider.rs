//! Which execution provider runs the models, and at what precision.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionProviderKind {
    Cpu,
    OpenVino,
    Cuda,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    Fp32,
    Bf16,
}

macro_rules! str_enum {
    ($t:ty, $what:literal, $($v:path => $s:literal),+) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $($v => $s),+ })
            }
        }
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.to_ascii_lowercase().as_str() {
                    $($s => Ok($v),)+
                    _ => Err(format!(concat!("unknown ", $what, " '{}' (expected one of: {})"), s, [$($s),+].join(", "))),
                }
            }
        }
    };
}
str_enum!(ExecutionProviderKind, "execution provider",
    ExecutionProviderKind::Cpu => "cpu", ExecutionProviderKind::OpenVino => "openvino", ExecutionProviderKind::Cuda => "cuda");
str_enum!(Precision, "precision", Precision::Fp32 => "fp32", Precision::Bf16 => "bf16");

/// What the user asked for; `None` means "choose for me".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRequest {
    pub ep: Option<ExecutionProviderKind>,
    pub precision: Option<Precision>,
}

/// The provider actually used, after looking at the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderChoice {
    pub ep: ExecutionProviderKind,
    pub precision: Precision,
}

impl fmt::Display for ProviderChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.ep, self.precision)
    }
}

/// CPU capabilities that decide the default precision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuFeatures {
    pub amx_bf16: bool,
    pub avx512_bf16: bool,
}

impl CpuFeatures {
    /// Reads the flags the kernel reports; elsewhere assumes none (fp32 is always safe).
    pub fn detect() -> Self {
        let flags = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Self::from_cpuinfo(&flags)
    }

    pub fn from_cpuinfo(text: &str) -> Self {
        let flags: Vec<&str> = text
            .lines()
            .find(|l| l.starts_with("flags"))
            .map(|l| l.split_whitespace().collect())
            .unwrap_or_default();
        Self {
            amx_bf16: flags.contains(&"amx_bf16"),
            avx512_bf16: flags.contains(&"avx512_bf16"),
        }
    }

    /// bf16 pays off only with native bf16 matrix instructions; elsewhere it is emulated.
    pub fn has_fast_bf16(&self) -> bool {
        self.amx_bf16 || self.avx512_bf16
    }
}

impl ProviderRequest {
    /// Fills in what the user left open, given which providers this ONNX Runtime build has.
    pub fn resolve(&self, cpu: CpuFeatures, available: &[ExecutionProviderKind]) -> ProviderChoice {
        let ep = self.ep.unwrap_or_else(|| {
            if available.contains(&ExecutionProviderKind::Cuda) {
                ExecutionProviderKind::Cuda
            } else if available.contains(&ExecutionProviderKind::OpenVino) {
                ExecutionProviderKind::OpenVino
            } else {
                ExecutionProviderKind::Cpu
            }
        });
        let precision = self.precision.unwrap_or(
            if ep == ExecutionProviderKind::OpenVino && cpu.has_fast_bf16() {
                Precision::Bf16
            } else {
                Precision::Fp32
            },
        );
        ProviderChoice { ep, precision }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExecutionProviderKind::*;

    #[test]
    fn bf16_only_with_native_support_and_openvino() {
        let amx = CpuFeatures::from_cpuinfo("flags\t: fpu sse avx2 amx_bf16 amx_tile\n");
        let plain = CpuFeatures::from_cpuinfo("flags\t: fpu sse avx2\n");
        assert!(amx.has_fast_bf16());
        assert!(!plain.has_fast_bf16());
        let auto = ProviderRequest::default();
        assert_eq!(
            auto.resolve(amx, &[Cpu, OpenVino]),
            ProviderChoice {
                ep: OpenVino,
                precision: Precision::Bf16
            }
        );
        assert_eq!(
            auto.resolve(plain, &[Cpu, OpenVino]),
            ProviderChoice {
                ep: OpenVino,
                precision: Precision::Fp32
            }
        );
        assert_eq!(
            auto.resolve(amx, &[Cpu]),
            ProviderChoice {
                ep: Cpu,
                precision: Precision::Fp32
            }
        );
        assert_eq!(auto.resolve(amx, &[Cpu, OpenVino, Cuda]).ep, Cuda);
        let forced = ProviderRequest {
            ep: Some(Cpu),
            precision: None,
        };
        assert_eq!(forced.resolve(amx, &[Cpu, OpenVino]).ep, Cpu);
    }

    #[test]
    fn names_parse_both_ways() {
        for k in [Cpu, OpenVino, Cuda] {
            assert_eq!(k.to_string().parse::<ExecutionProviderKind>(), Ok(k));
        }
        assert_eq!("BF16".parse::<Precision>(), Ok(Precision::Bf16));
        assert!("tpu".parse::<ExecutionProviderKind>().is_err());
    }
}
