//! Reading a Spin application manifest (`spin.toml`, manifest version 2).
//!
//! Only what `spin up` needs to serve HTTP components is read: application
//! variables, `[[trigger.http]]` routes, and for each component its `source`,
//! `variables`, `environment`, `allowed_outbound_hosts`,
//! `key_value_stores` and local `dependencies` (composed as Spin composes
//! them, see [`crate::compose`]). Anything that would make Spin behave
//! differently from this host (other trigger types, file mounts, remote
//! sources, registry dependencies or ones that inherit the component's
//! configuration, the Wagi executor) is refused by name at load time rather
//! than silently ignored: a test passing here must mean the same under Spin.
//! Fields that only matter to `spin build` or `spin deploy` are ignored.

use anyhow::{Context as _, bail, ensure};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A parsed and checked manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// `application.name`.
    pub name: String,
    /// `application.version`, which `/.well-known/spin/info` reports.
    pub version: Option<String>,
    /// The directory the manifest is in: relative paths are resolved from it.
    pub dir: PathBuf,
    /// `[variables]`, by name.
    pub variables: BTreeMap<String, VariableDecl>,
    /// `[[trigger.http]]`, in the manifest's order.
    pub http_triggers: Vec<HttpTrigger>,
    /// `[component.<id>]`, by id.
    pub components: BTreeMap<String, ComponentDecl>,
}

/// One application variable as declared.
#[derive(Clone, PartialEq, Eq)]
pub struct VariableDecl {
    /// The value used when no provider has one.
    pub default: Option<String>,
    /// Startup fails when no provider has a value.
    pub required: bool,
    /// The value is sensitive. Nothing in this host prints values, secret
    /// or not; the flag is kept so callers can tell.
    pub secret: bool,
}

impl fmt::Debug for VariableDecl {
    /// Never shows the default: a secret may have one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VariableDecl")
            .field("has_default", &self.default.is_some())
            .field("required", &self.required)
            .field("secret", &self.secret)
            .finish()
    }
}

/// One `[[trigger.http]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTrigger {
    /// The route pattern, e.g. `/...`, `/api/...`, `/health`.
    pub route: String,
    /// The component id it runs.
    pub component: String,
}

/// One `[component.<id>]` table.
#[derive(Clone)]
pub struct ComponentDecl {
    /// The component id (the table's key).
    pub id: String,
    /// The Wasm file, resolved against the manifest's directory.
    pub source: PathBuf,
    /// `[component.<id>.variables]`: component variable name → template.
    pub variables: BTreeMap<String, String>,
    /// `environment`: WASI environment variables.
    pub environment: BTreeMap<String, String>,
    /// `allowed_outbound_hosts`, templates unresolved.
    pub allowed_outbound_hosts: Vec<String>,
    /// `key_value_stores`: the store labels the component may open.
    pub key_value_stores: Vec<String>,
    /// `[component.<id>.dependencies]`: components that satisfy its imports.
    pub dependencies: Vec<Dependency>,
}

/// One entry of `[component.<id>.dependencies]`, from a local file. It
/// inherits none of the component's configuration (Spin's default), so
/// the file must import nothing a host provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The entry's key: a package pattern (`ns:pkg`, `ns:pkg@1.0.0`,
    /// `ns:pkg/iface`, `ns:pkg/iface@1.0.0`) or a plain kebab-case name.
    pub name: String,
    /// The component file, resolved against the manifest's directory.
    pub path: PathBuf,
    /// `export`: the export that satisfies the import, when not named alike.
    pub export: Option<String>,
}

impl fmt::Debug for ComponentDecl {
    /// Templates and environment values may be literal secrets: names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComponentDecl")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("variables", &self.variables.keys().collect::<Vec<_>>())
            .field("environment", &self.environment.keys().collect::<Vec<_>>())
            .field("allowed_outbound_hosts", &self.allowed_outbound_hosts.len())
            .field("key_value_stores", &self.key_value_stores)
            .field("dependencies", &self.dependencies)
            .finish()
    }
}

#[derive(Deserialize)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, RawVariable>,
    #[serde(default)]
    trigger: BTreeMap<String, Vec<RawTrigger>>,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(Deserialize)]
struct RawApplication {
    name: String,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    #[serde(default)]
    required: bool,
    default: Option<String>,
    #[serde(default)]
    secret: bool,
    #[serde(default)]
    #[expect(dead_code, reason = "accepted as Spin accepts it; only documentation")]
    description: Option<String>,
}

#[derive(Deserialize)]
struct RawTrigger {
    route: Option<toml::Value>,
    component: Option<toml::Value>,
    executor: Option<toml::Table>,
    static_response: Option<toml::Value>,
}

#[derive(Deserialize)]
struct RawComponent {
    source: toml::Value,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    files: Vec<toml::Value>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    /// Spin 1's name for the same permission, still read by Spin 2+.
    #[serde(default)]
    allowed_http_hosts: Vec<String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies_inherit_configuration: bool,
}

impl Manifest {
    /// Reads and checks a manifest file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let dir = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Self::parse(&text, &dir).with_context(|| format!("in {}", path.display()))
    }

    /// Parses a manifest's text; relative sources are resolved against `dir`.
    pub fn parse(text: &str, dir: &Path) -> anyhow::Result<Self> {
        let raw: RawManifest = toml::from_str(text).context("not a Spin manifest")?;
        let version_ok = match &raw.spin_manifest_version {
            toml::Value::Integer(2) => true,
            toml::Value::String(s) => s == "2",
            _ => false,
        };
        ensure!(version_ok, "only `spin_manifest_version = 2` is supported");

        let mut variables = BTreeMap::new();
        for (name, var) in raw.variables {
            crate::names::validate_name(&name).map_err(|reason| anyhow::anyhow!("invalid variable name {reason}"))?;
            ensure!(
                var.required ^ var.default.is_some(),
                "variable {name:?} should either have `required` set to true OR have a non-empty default value"
            );
            variables.insert(name, VariableDecl { default: var.default, required: var.required, secret: var.secret });
        }

        let mut http_triggers = Vec::new();
        for (kind, triggers) in raw.trigger {
            ensure!(kind == "http", "trigger type `{kind}` is not supported by this host (only `http`)");
            for trigger in triggers {
                http_triggers.push(parse_http_trigger(trigger)?);
            }
        }

        let mut components = BTreeMap::new();
        for (id, raw) in raw.component {
            let component = parse_component(&id, raw, dir).with_context(|| format!("component {id:?}"))?;
            components.insert(id, component);
        }
        for trigger in &http_triggers {
            ensure!(
                components.contains_key(&trigger.component),
                "trigger for route {:?} names component {:?}, which the manifest does not define",
                trigger.route,
                trigger.component
            );
        }
        ensure!(!http_triggers.is_empty(), "the manifest has no `[[trigger.http]]`: nothing to serve");
        Ok(Self {
            name: raw.application.name,
            version: raw.application.version,
            dir: dir.to_path_buf(),
            variables,
            http_triggers,
            components,
        })
    }
}

fn parse_http_trigger(raw: RawTrigger) -> anyhow::Result<HttpTrigger> {
    if raw.static_response.is_some() {
        bail!("`static_response` triggers are not supported by this host");
    }
    let route = match raw.route {
        Some(toml::Value::String(route)) => route,
        Some(toml::Value::Table(t)) if t.get("private").and_then(toml::Value::as_bool) == Some(true) => {
            bail!("private (unrouted) components are not supported by this host")
        }
        _ => bail!("an http trigger needs `route = \"/...\"`"),
    };
    let component = match raw.component {
        Some(toml::Value::String(id)) => id,
        Some(toml::Value::Table(_)) => {
            bail!("inline components in a trigger (route {route:?}) are not supported; use `component = \"<id>\"`")
        }
        _ => bail!("the trigger for route {route:?} needs `component = \"<id>\"`"),
    };
    if let Some(executor) = raw.executor {
        let kind = executor.get("type").and_then(toml::Value::as_str).unwrap_or("");
        ensure!(
            kind == "spin" || kind == "http",
            "executor type {kind:?} (route {route:?}) is not supported by this host"
        );
    }
    crate::routes::RoutePattern::parse(&route)?;
    Ok(HttpTrigger { route, component })
}

fn parse_component(id: &str, raw: RawComponent, dir: &Path) -> anyhow::Result<ComponentDecl> {
    let source = match raw.source {
        toml::Value::String(path) => dir.join(path),
        _ => bail!("only a local file `source = \"path.wasm\"` is supported by this host"),
    };
    ensure!(raw.files.is_empty(), "`files` mounts are not supported by this host");
    ensure!(
        !raw.dependencies_inherit_configuration,
        "`dependencies_inherit_configuration = true` is not supported by this host: its dependencies inherit nothing"
    );
    let dependencies = raw
        .dependencies
        .into_iter()
        .map(|(name, value)| parse_dependency(name, value, dir))
        .collect::<anyhow::Result<_>>()?;
    for name in raw.variables.keys() {
        crate::names::validate_name(name)
            .map_err(|reason| anyhow::anyhow!("invalid component variable name {reason}"))?;
    }
    let mut allowed_outbound_hosts = raw.allowed_outbound_hosts;
    // Spin turns the legacy `allowed_http_hosts` into HTTP and HTTPS grants.
    for host in raw.allowed_http_hosts {
        if host == "insecure:allow-all" {
            allowed_outbound_hosts.push("*://*:*".into());
        } else {
            allowed_outbound_hosts.push(format!("http://{host}"));
            allowed_outbound_hosts.push(format!("https://{host}"));
        }
    }
    Ok(ComponentDecl {
        id: id.to_string(),
        source,
        variables: raw.variables,
        environment: raw.environment,
        allowed_outbound_hosts,
        key_value_stores: raw.key_value_stores,
        dependencies,
    })
}

/// One dependency: a local `path`, an optional `export`, and
/// `inherit_configuration` absent, `false` or `[]`.
fn parse_dependency(name: String, value: toml::Value, dir: &Path) -> anyhow::Result<Dependency> {
    let toml::Value::Table(mut table) = value else {
        bail!(
            "dependency {name:?}: only a local `{{ path = \"file.wasm\" }}` is supported by this host, not a registry version"
        );
    };
    let path = match table.remove("path") {
        Some(toml::Value::String(path)) => dir.join(path),
        _ => bail!("dependency {name:?}: only a local `{{ path = \"file.wasm\" }}` is supported by this host"),
    };
    let export = match table.remove("export") {
        None => None,
        Some(toml::Value::String(export)) => Some(export),
        Some(_) => bail!("dependency {name:?}: `export` must be a string"),
    };
    match table.remove("inherit_configuration") {
        None | Some(toml::Value::Boolean(false)) => {}
        Some(toml::Value::Array(list)) if list.is_empty() => {}
        Some(_) => bail!(
            "dependency {name:?}: `inherit_configuration` is not supported by this host (its dependencies inherit nothing)"
        ),
    }
    if let Some(key) = table.keys().next() {
        bail!(
            "dependency {name:?}: `{key}` is not supported by this host (only `path`, `export` and `inherit_configuration = false`)"
        );
    }
    crate::names::DependencyName::parse(&name).with_context(|| format!("dependency {name:?}"))?;
    Ok(Dependency { name, path, export })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASIC: &str = r#"
spin_manifest_version = 2
[application]
name = "probe"
[variables]
api_key = { required = true, secret = true }
greeting = { default = "hello" }
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "probe.wasm"
allowed_outbound_hosts = ["http://127.0.0.1:*"]
key_value_stores = ["default"]
[component.probe.variables]
key = "{{ api_key }}"
"#;

    #[test]
    fn reads_what_spin_up_needs() {
        let m = Manifest::parse(BASIC, Path::new("/app")).unwrap();
        assert_eq!(m.name, "probe");
        assert_eq!(m.http_triggers, [HttpTrigger { route: "/...".into(), component: "probe".into() }]);
        let c = &m.components["probe"];
        assert_eq!(c.source, Path::new("/app/probe.wasm"));
        assert_eq!(c.key_value_stores, ["default"]);
        assert!(m.variables["api_key"].required && m.variables["api_key"].secret);
        assert_eq!(m.variables["greeting"].default.as_deref(), Some("hello"));
    }

    #[test]
    fn refuses_what_would_behave_differently() {
        let cases = [
            ("required = true, default = \"x\"", "should either have `required`"),
            ("", "should either have `required`"),
        ];
        for (decl, expect) in cases {
            let text = BASIC.replace("greeting = { default = \"hello\" }", &format!("greeting = {{ {decl} }}"));
            let err = format!("{:#}", Manifest::parse(&text, Path::new("/")).unwrap_err());
            assert!(err.contains(expect), "{err}");
        }
        let text = BASIC.replace("[[trigger.http]]", "[[trigger.redis]]");
        assert!(format!("{:#}", Manifest::parse(&text, Path::new("/")).unwrap_err()).contains("redis"));
        let text = BASIC.replace("source = \"probe.wasm\"", "source = \"p.wasm\"\nfiles = [\"static/**\"]");
        assert!(format!("{:#}", Manifest::parse(&text, Path::new("/")).unwrap_err()).contains("files"));
        let text = BASIC.replace("[variables]", "[variables]\nBad_Name = { default = \"x\" }");
        assert!(format!("{:#}", Manifest::parse(&text, Path::new("/")).unwrap_err()).contains("Bad_Name"));
    }

    #[test]
    fn debug_output_names_no_values() {
        let text = BASIC.replace("greeting = { default = \"hello\" }", "greeting = { default = \"s3cr3t\" }");
        let m = Manifest::parse(&text, Path::new("/")).unwrap();
        assert!(!format!("{m:?}").contains("s3cr3t"));
        assert!(!format!("{m:?}").contains("api_key }}"));
    }
}
