//! The plugin component is what Spin hosts (issue 15): the gateway imports
//! the connector and carries none of its code; `spin.toml` names the plugin
//! as the dependency that satisfies those imports; and one plugin file, byte
//! for byte, is what `assessio call`, the Node and Python hub examples and
//! the composed Spin app run.

use assessio_harness::{locate, wit_print};
use sha2::{Digest as _, Sha256};
use spin_host::{compose, manifest::Manifest};
use std::path::{Path, PathBuf};

/// Strings that only the plugin's logic holds: a Kombo field path its order
/// reader names, and a sentence its recruiter messages use.
const PLUGIN_ONLY: [&str; 2] = ["job.hiring_team", "the candidate's email address is missing"];

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The gateway's declaration in the root `spin.toml`.
fn gateway_decl() -> spin_host::manifest::ComponentDecl {
    let manifest = Manifest::load(&locate::workspace_root().join("spin.toml")).expect("spin.toml reads");
    manifest.components["gateway"].clone()
}

#[test]
fn the_gateway_imports_the_connector_and_carries_none_of_its_code() {
    let gateway_path = locate::ensure_app_built().expect("building the gateway and the plugin");
    let gateway = std::fs::read(&gateway_path).unwrap();
    let plugin = std::fs::read(locate::plugin_path()).unwrap();
    let engine = wasmtime::Engine::default();

    let imports = wit_print::component_imports(&engine, &gateway).unwrap();
    for interface in ["types", "assessio", "hubs", "kombo", "teamtailor", "stackone"] {
        let name = format!("assessio:connector/{interface}@0.1.0");
        assert!(imports.contains(&name), "the gateway does not import {name}: {imports:?}");
    }
    assert_eq!(wit_print::component_imports(&engine, &plugin).unwrap(), Vec::<String>::new(), "the plugin imports");
    for s in PLUGIN_ONLY {
        assert!(contains(&plugin, s), "{s:?} is not in the plugin, so its absence below would prove nothing");
        assert!(!contains(&gateway, s), "{s:?} is in the gateway: plugin code was linked into it");
    }
}

/// The path one example names, from its source: each is a file of its own
/// language, so the test reads what it says rather than trusting a copy.
fn named_in(file: &str, prefix: &str, suffix: &str) -> String {
    let text = std::fs::read_to_string(locate::workspace_root().join(file)).unwrap();
    let line = text.lines().find(|l| l.contains(prefix)).unwrap_or_else(|| panic!("{file} has no {prefix:?}"));
    let start = line.find(prefix).unwrap() + prefix.len();
    let rest = &line[start..];
    rest[..rest.find(suffix).unwrap_or_else(|| panic!("{file}: {prefix:?} is not closed by {suffix:?}"))].to_string()
}

fn same_file(a: &Path, b: &Path) -> bool {
    a.canonicalize().ok().zip(b.canonicalize().ok()).is_some_and(|(a, b)| a == b)
}

#[test]
fn one_plugin_file_is_what_the_cli_the_hub_examples_and_the_spin_app_run() {
    locate::ensure_app_built().expect("building the gateway and the plugin");
    let root = locate::workspace_root();
    let cli = locate::plugin_path();
    let decl = gateway_decl();
    let [dependency] = decl.dependencies.as_slice() else { panic!("one dependency expected: {:?}", decl.dependencies) };
    assert_eq!(dependency.name, "assessio:connector@0.1.0");

    // Python: os.path.join(ROOT, "target", ...) with ROOT the repository.
    let python = named_in("examples/python-hub/connector.py", "DEFAULT_PLUGIN = os.path.join(ROOT, ", ")");
    let python: PathBuf = python.split(", ").map(|part| part.trim_matches('"')).fold(root.clone(), |p, s| p.join(s));
    // Node: the file `npm run build` transpiles, relative to the example.
    let node = named_in("examples/node-hub/package.json", "jco transpile ", " ");
    let node = root.join("examples/node-hub").join(node);

    let paths =
        [("assessio call", &cli), ("spin.toml", &dependency.path), ("Python hub", &python), ("Node hub", &node)];
    for (who, path) in &paths {
        assert!(same_file(path, &cli), "{who} names {}, not the plugin {}", path.display(), cli.display());
    }

    // The app as Spin composes it holds that file whole: its digest is the
    // digest of one of the composed component's nested components.
    let plugin = std::fs::read(&cli).unwrap();
    let composed = compose::compose("gateway", std::fs::read(&decl.source).unwrap(), &decl.dependencies).unwrap();
    let nested: Vec<String> = wasmparser::Parser::new(0)
        .parse_all(&composed)
        .filter_map(|payload| match payload.expect("the composed app parses") {
            wasmparser::Payload::ComponentSection { unchecked_range: r, .. } => {
                let range = usize::try_from(r.start).unwrap()..usize::try_from(r.end).unwrap();
                Some(sha256(&composed[range]))
            }
            _ => None,
        })
        .collect();
    let digest = sha256(&plugin);
    assert!(nested.contains(&digest), "no nested component has the plugin's digest {digest}: {nested:?}");
    println!(
        "plugin {digest} ({} bytes): assessio call, spin.toml, both hub examples and the composed app",
        plugin.len()
    );
}
