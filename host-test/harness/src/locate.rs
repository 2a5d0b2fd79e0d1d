//! Finding the plugin component, building it first when it is missing or stale.
//!
//! A newcomer runs one command; nobody should have to know the cargo
//! invocation that makes the component. The build is the same one `.ci/run`
//! and the README give, so there is one way to make the file.

use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The component's target triple.
pub const TARGET: &str = "wasm32-wasip2";
/// Where cargo writes the plugin component, relative to the target dir
/// (the `plugin` profile of the workspace's Cargo.toml).
const ARTIFACT: &str = "wasm32-wasip2/plugin/assessio_plugin.wasm";

/// The workspace root, from this crate's manifest location
/// (`host-test/harness`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// The path the component is built to.
pub fn plugin_path() -> PathBuf {
    let root = workspace_root();
    target_dir(&root).join(ARTIFACT)
}

/// The files outside `plugin/src` and `wit/` whose change can change the
/// component: its manifest and build script, the workspace's profile and
/// dependency versions (`Cargo.toml`, `Cargo.lock`), and the rustflags of
/// `.cargo/config.toml` (`+simd128`). A file that is not there is skipped.
const BUILD_INPUTS: [&str; 5] =
    ["plugin/Cargo.toml", "plugin/build.rs", "Cargo.toml", "Cargo.lock", ".cargo/config.toml"];

/// Newest modification time among the files the component is built from
/// (not the crate's tests: cargo does not rewrite a fresh artifact for them,
/// so they would make it look stale for ever).
fn newest_source(root: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for file in BUILD_INPUTS {
        if let Ok(modified) = std::fs::metadata(root.join(file)).and_then(|m| m.modified()) {
            newest = newest.max(Some(modified));
        }
    }
    let mut stack = vec![root.join("plugin/src"), root.join("wit")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                newest = newest.max(Some(modified));
            }
        }
    }
    newest
}

/// Installs the wasm32-wasip2 standard library through rustup when it is
/// missing, so a fresh machine needs no manual step. Without rustup (a
/// distribution's Rust), says what to install instead of guessing.
fn ensure_target_installed() -> anyhow::Result<()> {
    let Ok(out) = Command::new("rustup").args(["target", "list", "--installed"]).output() else {
        return Ok(()); // No rustup: cargo's own error will name the missing target.
    };
    if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == TARGET) {
        return Ok(());
    }
    eprintln!("installing the {TARGET} target with rustup…");
    let status = Command::new("rustup").args(["target", "add", TARGET]).status()?;
    if !status.success() {
        bail!("`rustup target add {TARGET}` failed ({status})");
    }
    Ok(())
}

/// The component's path, after building it if it is missing or older than
/// its sources. Progress goes to stderr: a first build takes a while.
pub fn ensure_plugin_built() -> anyhow::Result<PathBuf> {
    let root = workspace_root();
    let path = plugin_path();
    let built = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let fresh = matches!((built, newest_source(&root)), (Some(b), Some(s)) if b >= s);
    if fresh {
        return Ok(path);
    }
    ensure_target_installed()?;
    eprintln!("building the plugin component ({TARGET}, profile `plugin`)…");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "--quiet", "--package", "assessio-plugin", "--features", "component", "--profile", "plugin"])
        .args(["--target", TARGET])
        .status()
        .context("running cargo to build the plugin component")?;
    if !status.success() {
        bail!(
            "building the plugin component failed ({status}); is the target installed? \
             Run `rustup target add {TARGET}`"
        );
    }
    if !path.is_file() {
        bail!("cargo finished but {} is not there", path.display());
    }
    // Cargo leaves a fresh artifact untouched when what changed does not
    // reach the component (a dev-dependency, a comment in a test): mark it
    // checked, or every later start would ask cargo again.
    if let Ok(file) = std::fs::File::options().append(true).open(&path) {
        let _ = file.set_modified(SystemTime::now());
    }
    Ok(path)
}

/// Where cargo writes `package`'s component for `profile` (`dev` builds go
/// to `debug/`, as cargo names it).
pub fn component_path(package: &str, profile: &str) -> PathBuf {
    let dir = if profile == "dev" { "debug" } else { profile };
    target_dir(&workspace_root()).join(TARGET).join(dir).join(format!("{}.wasm", package.replace('-', "_")))
}

/// Builds any workspace package that is a component (a `cdylib` for
/// `wasm32-wasip2`, such as the Spin test component `spin-probe`) with
/// `profile`, and returns the component's path.
///
/// Unlike [`ensure_plugin_built`] this always asks cargo, whose own
/// freshness check follows every path dependency wherever it lives; when
/// nothing changed that costs a fraction of a second.
pub fn ensure_component_built(package: &str, profile: &str) -> anyhow::Result<PathBuf> {
    ensure_target_installed()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "--quiet", "--package", package, "--profile", profile, "--target", TARGET])
        .status()
        .with_context(|| format!("running cargo to build the component {package}"))?;
    if !status.success() {
        bail!("building the component {package} ({TARGET}, profile `{profile}`) failed ({status})");
    }
    let path = component_path(package, profile);
    if !path.is_file() {
        bail!("cargo finished but {} is not there", path.display());
    }
    Ok(path)
}

/// Builds what the root `spin.toml` serves, the gateway and the plugin
/// component it names as its dependency, and returns the gateway's path.
pub fn ensure_app_built() -> anyhow::Result<PathBuf> {
    ensure_plugin_built()?;
    ensure_component_built("assessio-gateway", "release")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A directory under the system's temporary one, removed when dropped.
    struct Tree(PathBuf);

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Every file a change of which must rebuild the component, written out
    /// here rather than taken from [`BUILD_INPUTS`], so that dropping one
    /// from the list fails the test.
    const INPUTS: [&str; 7] = [
        "plugin/Cargo.toml",
        "plugin/build.rs",
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
        "plugin/src/lib.rs",
        "wit/connector.wit",
    ];

    /// A tree named `name` with every input at `t0`.
    fn tree(name: &str, t0: SystemTime) -> Tree {
        let dir = Tree(std::env::temp_dir().join(format!("assessio-locate-{}-{name}", std::process::id())));
        for d in ["plugin/src", "wit", ".cargo"] {
            std::fs::create_dir_all(dir.0.join(d)).unwrap();
        }
        for f in INPUTS {
            std::fs::File::create(dir.0.join(f)).unwrap().set_modified(t0).unwrap();
        }
        dir
    }

    #[test]
    fn a_change_to_any_build_input_makes_the_component_stale() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let later = t0 + Duration::from_mins(1);
        for f in INPUTS {
            let dir = tree(&f.replace('/', "-"), t0);
            assert_eq!(newest_source(&dir.0), Some(t0), "{f}");
            std::fs::File::options().append(true).open(dir.0.join(f)).unwrap().set_modified(later).unwrap();
            assert_eq!(newest_source(&dir.0), Some(later), "a change to {f} went unseen");
        }
    }
}
