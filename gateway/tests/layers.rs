//! The gateway's modules import each other top-down: routes, then the hubs'
//! flows, then the shared flows, then the store, then configuration and the
//! runtime's services. Each module may use only modules of a lower layer, so
//! no two modules import each other, however indirectly, and a picture of
//! the imports reads from top to bottom. A new module must be given a layer
//! here before this test passes.

use std::collections::BTreeMap;
use std::path::Path;

/// Layer of each module; a module imports only from lower layers.
const LAYERS: &[(&str, u8)] = &[
    ("spin", 7),
    ("routes", 6),
    ("kombo", 5),
    ("teamtailor", 5),
    ("stackone", 5),
    ("reconcile", 4),
    ("place", 3),
    ("results", 3),
    ("records", 2),
    ("config", 1),
    ("reply", 1),
    ("auth", 0),
    ("connector", 0),
    ("hub", 0),
    ("platform", 0),
];

/// The `crate::<module>` names a source file uses, outside comments.
fn crate_imports(source: &str) -> Vec<String> {
    let code: Vec<&str> = source.lines().map(|l| l.split("//").next().unwrap_or("")).collect();
    let code = code.join("\n");
    let ident = |s: &str| s.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            found.push(ident(rest));
            continue;
        };
        // `crate::{a, b::C, d::{e, f}}`: the first segment of each item.
        let (mut depth, mut item) = (0, 0);
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth > 0 => depth -= 1,
                ',' | '}' if depth == 0 => {
                    found.push(ident(&group[item..i]));
                    item = i + 1;
                    if c == '}' {
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    found.retain(|name: &String| !name.is_empty());
    found
}

#[test]
fn each_module_imports_only_from_the_layers_below_it() {
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    for entry in std::fs::read_dir(&src).unwrap().flatten() {
        let path = entry.path();
        let Some(module) = path.file_stem().and_then(|s| s.to_str()).filter(|_| path.is_file()) else { continue };
        if module == "lib" {
            continue;
        }
        let layer = *layers.get(module).unwrap_or_else(|| panic!("src/{module}.rs has no layer in LAYERS"));
        // A module's own folder (`spin/`, `connector/`) belongs to it.
        let mut sources = vec![std::fs::read_to_string(&path).unwrap()];
        if let Ok(dir) = std::fs::read_dir(src.join(module)) {
            sources.extend(dir.flatten().map(|e| std::fs::read_to_string(e.path()).unwrap()));
        }
        for import in sources.iter().flat_map(|s| crate_imports(s)) {
            if import == module {
                continue;
            }
            let below =
                *layers.get(import.as_str()).unwrap_or_else(|| panic!("{module} imports unknown crate::{import}"));
            assert!(
                below < layer,
                "{module} (layer {layer}) imports {import} (layer {below}): imports must point down"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, LAYERS.len(), "every module in LAYERS has a file");
}

#[test]
fn the_import_reader_sees_groups_and_paths_but_not_comments() {
    let source = "use crate::{auth, config::Config, place::{self, Placement}};\n\
                  // crate::routes is mentioned only here\n\
                  fn f() { crate::records::load(); }";
    assert_eq!(crate_imports(source), ["auth", "config", "place", "records"]);
}
