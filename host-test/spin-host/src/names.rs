//! The names a Spin manifest may use, checked as Spin checks them: variable
//! names and component-dependency keys. A module of their own, below the
//! manifest that reads them and the variables and composition that use
//! them, so that none of those imports another to check a name.

/// Checks a variable name as Spin does (`spin_expressions::Key`): lower-case
/// ASCII letters, digits and single underscores, starting with a letter and
/// ending with a letter or digit. The error starts with the quoted name.
pub fn validate_name(name: &str) -> Result<(), String> {
    let reason = if name.is_empty() {
        Some("must not be empty".to_string())
    } else if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')) {
        Some(format!(
            "invalid character {c:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("must start with a lowercase ASCII letter".to_string())
    } else if !name.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("must end with a lowercase ASCII letter or digit".to_string())
    } else if name.contains("__") {
        Some("must not contain multiple consecutive underscores".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(format!("{name:?}: {reason}")),
        None => Ok(()),
    }
}

/// A dependency's key in the manifest, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencyName {
    /// A kebab-case name: matches the import of that name.
    Plain(String),
    /// A package pattern: matches that package's imports.
    Package {
        /// `ns:pkg`.
        package: String,
        /// `iface`, when the pattern names one.
        interface: Option<String>,
        /// The version, when the pattern names one.
        version: Option<String>,
    },
}

impl DependencyName {
    /// Parses a manifest key; errors say what is wrong with it.
    pub fn parse(name: &str) -> anyhow::Result<Self> {
        if !name.contains(':') {
            let kebab = !name.is_empty()
                && name
                    .split('-')
                    .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
            anyhow::ensure!(
                kebab,
                "{name:?} is neither a package pattern (`ns:pkg/iface@version`) nor a kebab-case name"
            );
            return Ok(Self::Plain(name.to_string()));
        }
        let (rest, version) = match name.split_once('@') {
            Some((rest, version)) => (rest, Some(version)),
            None => (name, None),
        };
        let (package, interface) = match rest.split_once('/') {
            Some((package, interface)) => (package, Some(interface)),
            None => (rest, None),
        };
        let valid_package = package.split_once(':').is_some_and(|(ns, pkg)| !ns.is_empty() && !pkg.is_empty());
        anyhow::ensure!(valid_package, "{name:?}: the package must be `namespace:name`");
        if let Some(version) = version {
            anyhow::ensure!(
                version.split('.').count() >= 3 && !version.starts_with('.'),
                "{name:?}: the version must be a full semver version, such as 0.1.0"
            );
        }
        Ok(Self::Package {
            package: package.to_string(),
            interface: interface.map(str::to_string),
            version: version.map(str::to_string),
        })
    }

    /// Whether this name satisfies the import `import` (a component import
    /// name such as `assessio:connector/kombo@0.1.0`).
    pub fn matches(&self, import: &str) -> bool {
        match self {
            Self::Plain(name) => !import.contains([':', '/']) && import == name,
            Self::Package { package, interface, version } => {
                let Some((import_package, rest)) = import.split_once('/') else { return false };
                let (import_interface, import_version) = match rest.split_once('@') {
                    Some((i, v)) => (i, Some(v)),
                    None => (rest, None),
                };
                import_package == package
                    && interface.as_deref().is_none_or(|i| i == import_interface)
                    && version.as_deref().is_none_or(|v| Some(v) == import_version)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each form of name, what it reaches and what it must not: the rules
    /// of Spin's component-dependency design (SIP 020), on this app's names.
    #[test]
    fn names_match_imports_as_spin_matches_them() {
        let k = "assessio:connector/kombo@0.1.0";
        for (name, matches, misses) in [
            (
                "assessio:connector",
                vec![k, "assessio:connector/types@0.1.0", "assessio:connector/kombo"],
                vec!["assessio:other/kombo@0.1.0", "wasi:http/types@0.2.0"],
            ),
            ("assessio:connector@0.1.0", vec![k], vec!["assessio:connector/kombo@0.2.0", "assessio:connector/kombo"]),
            (
                "assessio:connector/kombo",
                vec![k, "assessio:connector/kombo"],
                vec!["assessio:connector/kombo-v2@0.1.0", "assessio:connector/stackone@0.1.0"],
            ),
            ("assessio:connector/kombo@0.1.0", vec![k], vec!["assessio:connector/kombo"]),
            ("my-plugin", vec!["my-plugin"], vec!["my-plugin-2", "assessio:connector/my-plugin"]),
        ] {
            let parsed = DependencyName::parse(name).unwrap();
            for import in matches {
                assert!(parsed.matches(import), "{name} should match {import}");
            }
            for import in misses {
                assert!(!parsed.matches(import), "{name} should not match {import}");
            }
        }
    }

    #[test]
    fn malformed_names_are_refused_by_name() {
        for bad in ["", "Foo", "foo:", ":bar", "foo:bar@1", "foo bar"] {
            let e = DependencyName::parse(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")) || bad.is_empty(), "{bad:?}: {e}");
        }
    }

    #[test]
    fn names_follow_spins_rules() {
        for good in ["a", "abc", "a1b2c3", "a_1", "a_1_b_3"] {
            validate_name(good).unwrap();
        }
        for bad in ["", "aX", "1bc", "_x", "x.y", "x_", "a__b", "x-y"] {
            validate_name(bad).unwrap_err();
        }
    }
}
