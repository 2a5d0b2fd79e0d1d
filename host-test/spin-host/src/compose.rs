//! A component's `dependencies`, composed into it before it is compiled, the
//! way `spin up` does (Spin's `spin-compose` crate, read for its rules; this
//! is our own code over the same library, `wac-graph`):
//!
//! - each dependency name matches imports of the component: a package pattern
//!   (`ns:pkg`, `ns:pkg@1.0.0`, `ns:pkg/iface`, `ns:pkg/iface@1.0.0`) every
//!   import of that package (and interface, and version, where given), a
//!   plain name the import of that name; a name that matches nothing, and an
//!   import that two names match, are errors;
//! - each dependency is instantiated once, and every import it matched is
//!   given its export of the same name (or its `export`), type-checked;
//! - the composed component exports what the component exported.
//!
//! Spin composes a dependency that inherits no configuration with a deny-all
//! adapter, so that every capability it imports fails. This host provides a
//! dependency nothing at all: one that imports anything is refused at load,
//! by name. The plugin component imports nothing, by design.

use crate::manifest::Dependency;
use crate::names::DependencyName;
use anyhow::{Context as _, bail};
use std::collections::BTreeMap;
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};

/// `component` (component `id`'s bytes) with its `dependencies` composed in.
pub fn compose(id: &str, component: Vec<u8>, dependencies: &[Dependency]) -> anyhow::Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let (world, main) = register(&mut graph, id, component).with_context(|| format!("component {id:?}"))?;
    let imports: Vec<String> = graph.types()[world].imports.keys().cloned().collect();

    // Which dependency satisfies which import: each import at most one.
    let mut satisfied: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, dependency) in dependencies.iter().enumerate() {
        let name = DependencyName::parse(&dependency.name)?;
        let matched: Vec<&String> = imports.iter().filter(|import| name.matches(import)).collect();
        if matched.is_empty() {
            bail!("dependency '{}' doesn't match any imports of component '{id}'", dependency.name);
        }
        for import in matched {
            satisfied.entry(import.clone()).or_default().push(index);
        }
    }
    if let Some((import, by)) = satisfied.iter().find(|(_, by)| by.len() > 1) {
        let names: Vec<&str> = by.iter().map(|&i| dependencies[i].name.as_str()).collect();
        bail!(
            "component '{id}' has dependency conflicts: import '{import}' satisfied by dependencies: '{}'",
            names.join(", ")
        );
    }

    let mut instances: BTreeMap<usize, NodeId> = BTreeMap::new();
    for (import, by) in satisfied {
        let index = by[0];
        let dependency = &dependencies[index];
        let instance = if let Some(&instance) = instances.get(&index) {
            instance
        } else {
            let instance = register_dependency(&mut graph, dependency)?;
            instances.insert(index, instance);
            instance
        };
        let export = dependency.export.clone().unwrap_or_else(|| import.clone());
        let node = graph.alias_instance_export(instance, &export).map_err(|e| {
            anyhow::anyhow!(
                "dependency '{}' doesn't export '{export}' to satisfy import '{import}': {e}",
                dependency.name
            )
        })?;
        graph.set_instantiation_argument(main, &import, node).map_err(|e| {
            anyhow::anyhow!(
                "dependency '{}' exports '{export}' which is not compatible with import '{import}': {e}",
                dependency.name
            )
        })?;
    }

    let exports: Vec<String> = graph.types()[world].exports.keys().cloned().collect();
    for export in exports {
        let node = graph.alias_instance_export(main, &export)?;
        graph.export(node, &export)?;
    }
    graph.encode(EncodeOptions::default()).with_context(|| format!("composing component {id:?} with its dependencies"))
}

/// Registers a package and instantiates it: its world and the instance.
fn register(
    graph: &mut CompositionGraph,
    name: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<(wac_graph::types::WorldId, NodeId)> {
    let package = Package::from_bytes(name, None, bytes, graph.types_mut())?;
    let world = package.ty();
    let id = graph.register_package(package)?;
    Ok((world, graph.instantiate(id)))
}

/// Reads, checks and instantiates one dependency.
fn register_dependency(graph: &mut CompositionGraph, dependency: &Dependency) -> anyhow::Result<NodeId> {
    let what = || format!("dependency '{}' ({})", dependency.name, dependency.path.display());
    let bytes = std::fs::read(&dependency.path).with_context(|| format!("reading {}", what()))?;
    let package_name = match DependencyName::parse(&dependency.name)? {
        DependencyName::Plain(name) => name,
        DependencyName::Package { package, .. } => package,
    };
    let (world, instance) = register(graph, &package_name, bytes).with_context(what)?;
    if let Some(import) = graph.types()[world].imports.keys().next() {
        bail!(
            "{} imports {import}: this host gives a dependency nothing of the component's \
             (it inherits no configuration), so it cannot be composed here",
            what()
        );
    }
    Ok(instance)
}
