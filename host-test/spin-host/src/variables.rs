//! Application and component variables, resolved as `spin up` resolves them,
//! and the `fermyon:spin/variables@2.0.0` host.
//!
//! Spin's model: the manifest's `[variables]` declares application variables
//! (each `required` or with a `default`); a component sees only its own
//! `[component.<id>.variables]`, whose values are templates such as
//! `"Bearer {{ api_key }}"` over application variables. An application
//! variable's value comes from the first provider that has one: values given
//! on the command line (`spin up --variable k=v`), then the environment
//! (`SPIN_VARIABLE_<NAME>` in upper case), then the declared default. A
//! required variable no provider resolves stops the app at startup.
//!
//! All values are resolved once at load. Spin asks its providers again on each
//! `get`, which differs only if the process environment changes while the app
//! runs. No error or `Debug` output here ever contains a value.

use crate::bindings::fermyon::spin::variables;
use crate::manifest::VariableDecl;
use crate::names::validate_name;
use anyhow::Context as _;
use std::collections::BTreeMap;
use std::fmt;

/// Where the environment provider reads `SPIN_VARIABLE_*` from.
#[derive(Clone, Default)]
pub enum EnvSource {
    /// The host process's environment, as `spin up` reads it.
    #[default]
    Process,
    /// A fixed map instead (tests; embedding without touching the process).
    Map(BTreeMap<String, String>),
}

impl fmt::Debug for EnvSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Process => f.write_str("Process"),
            Self::Map(m) => f.debug_tuple("Map").field(&m.keys().collect::<Vec<_>>()).finish(),
        }
    }
}

impl EnvSource {
    fn get(&self, name: &str) -> Option<String> {
        let key = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
        match self {
            Self::Process => std::env::var(&key).ok(),
            Self::Map(m) => m.get(&key).cloned(),
        }
    }
}

/// A value template: literal text with `{{ name }}` expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Expr(String),
}

impl Template {
    /// Splits a template as Spin does; an unclosed `{{` is an error.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("{{") {
                let (expr, tail) = after.split_once("}}").ok_or_else(|| "unmatched '{{' in template".to_string())?;
                parts.push(Part::Expr(expr.trim().to_string()));
                rest = tail;
            } else {
                let end = rest.find("{{").unwrap_or(rest.len());
                parts.push(Part::Lit(rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
        Ok(Self { parts })
    }

    /// True when there is nothing to substitute.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    /// The variable names the template uses.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(name) => Some(name.as_str()),
            Part::Lit(_) => None,
        })
    }

    /// Substitutes resolved values; `None` names the first unknown variable.
    pub fn render(&self, values: &AppVariables) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(lit) => out.push_str(lit),
                Part::Expr(name) => out.push_str(values.get(name).ok_or_else(|| name.clone())?),
            }
        }
        Ok(out)
    }
}

/// Every application variable, resolved.
#[derive(Clone, Default)]
pub struct AppVariables {
    values: BTreeMap<String, String>,
}

impl fmt::Debug for AppVariables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppVariables").field("names", &self.values.keys().collect::<Vec<_>>()).finish()
    }
}

impl AppVariables {
    /// Resolves each declared variable: explicit value, then environment,
    /// then default. Explicit values for undeclared names are returned so the
    /// caller can warn (Spin ignores them).
    pub fn resolve(
        decls: &BTreeMap<String, VariableDecl>,
        explicit: &BTreeMap<String, String>,
        env: &EnvSource,
    ) -> anyhow::Result<(Self, Vec<String>)> {
        let mut values = BTreeMap::new();
        for (name, decl) in decls {
            let value = explicit.get(name).cloned().or_else(|| env.get(name)).or_else(|| decl.default.clone());
            match value {
                Some(value) => {
                    values.insert(name.clone(), value);
                }
                // Spin's own words, so a search for them finds this too.
                None => anyhow::bail!("no provider resolved required variable {name:?}"),
            }
        }
        let unknown = explicit.keys().filter(|k| !decls.contains_key(*k)).cloned().collect();
        Ok((Self { values }, unknown))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Renders a template, naming an unknown variable as Spin does.
    pub fn render(&self, template: &Template) -> anyhow::Result<String> {
        template.render(self).map_err(|name| anyhow::anyhow!("invalid variable name: {name}"))
    }
}

/// One component's variables: its `[component.<id>.variables]`, resolved.
#[derive(Clone)]
pub struct ComponentVariables {
    component: String,
    values: BTreeMap<String, String>,
}

impl fmt::Debug for ComponentVariables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComponentVariables")
            .field("component", &self.component)
            .field("names", &self.values.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ComponentVariables {
    /// Checks each template against the declared application variables (an
    /// unknown one is a startup error, as in Spin) and resolves it.
    pub fn new(component: &str, templates: &BTreeMap<String, String>, app: &AppVariables) -> anyhow::Result<Self> {
        let mut values = BTreeMap::new();
        for (key, text) in templates {
            validate_name(key).map_err(|reason| anyhow::anyhow!("invalid variable name: {reason}"))?;
            let template =
                Template::parse(text).map_err(|why| anyhow::anyhow!("invalid variable template for {key:?}: {why}"))?;
            if let Some(name) = template.names().find(|n| app.get(n).is_none()) {
                anyhow::bail!("invalid variable template for {key:?}: unknown variable {name:?}");
            }
            values.insert(key.clone(), app.render(&template)?);
        }
        Ok(Self { component: component.to_string(), values })
    }

    /// What the guest's `get` answers, with Spin's error cases and texts.
    pub fn get(&self, name: &str) -> Result<String, variables::Error> {
        validate_name(name).map_err(variables::Error::InvalidName)?;
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| variables::Error::Undefined(format!("no variable for {:?}.{name:?}", self.component)))
    }
}

/// What `fermyon:spin/variables` may touch of one request: its component's
/// resolved variables, handed down by the request's state.
pub(crate) struct VariablesHost<'a>(pub &'a ComponentVariables);

/// The variables interface's data, for `add_to_linker`.
pub(crate) struct VariablesData;

impl wasmtime::component::HasData for VariablesData {
    type Data<'a> = VariablesHost<'a>;
}

impl variables::Host for VariablesHost<'_> {
    fn get(&mut self, name: String) -> Result<String, variables::Error> {
        self.0.get(&name)
    }
}

/// The values of `--variable` arguments, in Spin's forms (`spin up
/// --variable`): `NAME=VALUE`; `NAME=@FILE`, the file's content; `@FILE.json`
/// or `@FILE.toml`, a table of names to strings. A later value of a name
/// wins. Errors name the argument's name or file, never a value.
pub fn command_line_values(arguments: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    for argument in arguments {
        if let Some(file) = argument.strip_prefix('@') {
            let path = std::path::Path::new(file);
            let json = match path.extension().and_then(|e| e.to_str()) {
                Some("json") => true,
                Some("toml") => false,
                _ => anyhow::bail!("--variable @{file}: variable files must end in .json or .toml"),
            };
            let text =
                std::fs::read_to_string(path).with_context(|| format!("--variable @{file}: reading the file"))?;
            let table: BTreeMap<String, String> = if json {
                serde_json::from_str(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "--variable @{file}: not a JSON object of names to strings (line {}, column {})",
                        e.line(),
                        e.column()
                    )
                })?
            } else {
                toml::from_str(&text).map_err(|e| {
                    let line = e.span().map_or(0, |s| text[..s.start].matches('\n').count() + 1);
                    anyhow::anyhow!("--variable @{file}: not a TOML table of names to strings (line {line})")
                })?
            };
            values.extend(table);
        } else if let Some((name, value)) = argument.split_once('=') {
            let value = match value.strip_prefix('@') {
                Some(file) => std::fs::read_to_string(file)
                    .with_context(|| format!("--variable {name}=@{file}: reading the file"))?,
                None => value.to_string(),
            };
            values.insert(name.to_string(), value);
        } else {
            anyhow::bail!("--variable takes NAME=VALUE, NAME=@FILE or @FILE.json|.toml; one is none of these");
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decls() -> BTreeMap<String, VariableDecl> {
        let var = |default: Option<&str>| VariableDecl {
            default: default.map(str::to_string),
            required: default.is_none(),
            secret: false,
        };
        BTreeMap::from([("token".into(), var(None)), ("host".into(), var(Some("example.com")))])
    }

    #[test]
    fn templates_split_like_spin() {
        let t = Template::parse("a-{{ expr }}-b").unwrap();
        assert_eq!(t.parts, [Part::Lit("a-".into()), Part::Expr("expr".into()), Part::Lit("-b".into())]);
        assert!(Template::parse("{{ ok }} {{ unclosed").is_err());
        assert!(Template::parse("plain").unwrap().is_literal());
    }

    #[test]
    fn providers_in_spins_order() {
        let env = EnvSource::Map(BTreeMap::from([
            ("SPIN_VARIABLE_TOKEN".into(), "from-env".into()),
            ("SPIN_VARIABLE_HOST".into(), "env.example".into()),
        ]));
        let explicit = BTreeMap::from([("token".into(), "from-map".into()), ("typo".into(), "x".into())]);
        let (app, unknown) = AppVariables::resolve(&decls(), &explicit, &env).unwrap();
        assert_eq!(app.get("token"), Some("from-map"));
        assert_eq!(app.get("host"), Some("env.example"));
        assert_eq!(unknown, ["typo"]);
        let (app, _) = AppVariables::resolve(&decls(), &explicit, &EnvSource::Map(BTreeMap::new())).unwrap();
        assert_eq!(app.get("host"), Some("example.com"));
    }

    #[test]
    fn a_missing_required_variable_is_named_not_valued() {
        let err = AppVariables::resolve(&decls(), &BTreeMap::new(), &EnvSource::Map(BTreeMap::new())).unwrap_err();
        assert_eq!(err.to_string(), "no provider resolved required variable \"token\"");
    }

    #[test]
    fn component_gets_answer_as_spin_does() {
        let explicit = BTreeMap::from([("token".into(), "s3cr3t".into())]);
        let (app, _) = AppVariables::resolve(&decls(), &explicit, &EnvSource::Map(BTreeMap::new())).unwrap();
        let templates = BTreeMap::from([("auth".into(), "Bearer {{ token }}".into())]);
        let vars = ComponentVariables::new("gw", &templates, &app).unwrap();
        assert_eq!(vars.get("auth").unwrap(), "Bearer s3cr3t");
        assert!(
            matches!(vars.get("token"), Err(variables::Error::Undefined(m)) if m == r#"no variable for "gw"."token""#)
        );
        assert!(matches!(vars.get("Bad"), Err(variables::Error::InvalidName(_))));
        assert!(!format!("{vars:?} {app:?}").contains("s3cr3t"));
        let bad = BTreeMap::from([("auth".into(), "{{ nope }}".into())]);
        assert!(
            ComponentVariables::new("gw", &bad, &app).unwrap_err().to_string().contains("unknown variable \"nope\"")
        );
    }
}

#[cfg(test)]
mod command_line_tests {
    use super::command_line_values;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn takes_spins_four_forms_and_the_last_value_wins() {
        let dir = std::env::temp_dir().join(format!("assessio-serve-vars-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("secret.txt"), "s3cret\n").unwrap();
        std::fs::write(dir.join("all.json"), r#"{"a": "from json", "b": "json b"}"#).unwrap();
        std::fs::write(dir.join("all.toml"), "b = \"toml b\"\nc = \"toml c\"\n").unwrap();
        let file = |name: &str| dir.join(name).display().to_string();
        let got = command_line_values(&args(&[
            &format!("@{}", file("all.json")),
            &format!("@{}", file("all.toml")),
            &format!("key=@{}", file("secret.txt")),
            "plain=x=y",
            "c=last",
        ]))
        .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let expected = [("a", "from json"), ("b", "toml b"), ("c", "last"), ("key", "s3cret\n"), ("plain", "x=y")];
        let expected: Vec<(String, String)> = expected.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        assert_eq!(got.into_iter().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn a_bad_argument_or_file_is_named_and_no_value_is_shown() {
        let dir = std::env::temp_dir().join(format!("assessio-serve-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bad.json"), r#"{"token": 12345}"#).unwrap();
        std::fs::write(dir.join("bad.toml"), "token = 98765\n").unwrap();
        let bad_json = format!("@{}", dir.join("bad.json").display());
        let bad_toml = format!("@{}", dir.join("bad.toml").display());
        for (argument, says, secret) in [
            ("novalue", "NAME=VALUE", "novalue"),
            ("@settings.yaml", "must end in .json or .toml", ""),
            (bad_json.as_str(), "not a JSON object of names to strings (line 1", "12345"),
            (bad_toml.as_str(), "not a TOML table of names to strings (line 1)", "98765"),
            ("token=@/nonexistent/assessio-secret", "--variable token=@/nonexistent", ""),
        ] {
            let e = format!("{:#}", command_line_values(&args(&[argument])).unwrap_err());
            assert!(e.contains(says), "{argument}: {e}");
            assert!(secret.is_empty() || !e.contains(secret), "{argument}: the value leaked: {e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
