//! Row 5's breakdown of the plugin component: what each part costs.
//!
//! The component is a wrapper (its WIT types, the canonical-ABI lifts and
//! lowers, imports and exports) around one core module; the module's bytes
//! are its code (function bodies), its data (string constants, tables) and
//! the rest (types, imports, globals, custom sections). Read with
//! `wasmparser`, so the figures are of the very file the bench loads.

use anyhow::Context as _;
use wasmparser::{Parser, Payload};

/// The parts of one component, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Parts {
    /// The whole file.
    pub total: u64,
    /// Function bodies of the core modules.
    pub code: u64,
    /// Functions in those bodies.
    pub functions: u64,
    /// Data segments of the core modules.
    pub data: u64,
    /// The core modules' other sections (types, imports, exports, names).
    pub module_rest: u64,
    /// Everything outside the core modules.
    pub wrapper: u64,
}

/// Splits `bytes`, a component, into its parts.
pub fn parts(bytes: &[u8]) -> anyhow::Result<Parts> {
    let mut p = Parts { total: bytes.len() as u64, ..Parts::default() };
    let mut modules = 0u64;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.context("reading the component")? {
            Payload::ModuleSection { unchecked_range, .. } => {
                modules += unchecked_range.end - unchecked_range.start;
            }
            Payload::CodeSectionStart { count, size, .. } => {
                p.code += u64::from(size);
                p.functions += u64::from(count);
            }
            Payload::DataSection(reader) => {
                let r = reader.range();
                p.data += r.end - r.start;
            }
            _ => {}
        }
    }
    p.module_rest = modules.saturating_sub(p.code + p.data);
    p.wrapper = p.total.saturating_sub(modules);
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-made component with one module of one empty function and one
    /// 5-byte data segment: every byte lands in exactly one part.
    #[test]
    fn a_small_component_splits_exactly() {
        let wat = r#"(component
            (core module $m
              (memory 1)
              (func)
              (data (i32.const 0) "hello"))
            (core instance (instantiate $m)))"#;
        let bytes = wat::parse_str(wat).unwrap();
        let p = parts(&bytes).unwrap();
        assert_eq!(p.functions, 1);
        assert!(p.data >= 5, "{p:?}");
        assert_eq!(p.code + p.data + p.module_rest + p.wrapper, p.total, "{p:?}");
        assert!(p.wrapper > 0 && p.module_rest > 0, "{p:?}");
    }
}
