//! What a built component imports and exports, printed as WIT.
//!
//! The same view `wasm-tools component wit` gives, without installing it:
//! the README shows this output, and a test checks the import list is empty.

use anyhow::Context as _;

/// The component's world and the packages it uses, as WIT text.
pub fn component_wit(bytes: &[u8]) -> anyhow::Result<String> {
    let decoded = wit_component::decode(bytes).context("decoding the component's type information")?;
    let resolve = decoded.resolve();
    let main = decoded.package();
    let nested: Vec<_> = resolve.packages.iter().map(|(id, _)| id).filter(|id| *id != main).collect();
    let mut printer = wit_component::WitPrinter::default();
    printer.emit_docs(false);
    printer.print(resolve, main, &nested)?;
    Ok(printer.output.to_string())
}

/// The names of everything the component imports, as wasmtime sees them.
pub fn component_imports(engine: &wasmtime::Engine, bytes: &[u8]) -> anyhow::Result<Vec<String>> {
    let component = wasmtime::component::Component::new(engine, bytes)?;
    Ok(component.component_type().imports(engine).map(|(name, _)| name.to_string()).collect())
}
