//! `assessio serve`: a Spin app on the Spin-compatible runtime (`spin-host`), against whatever
//! its variables point at.

use super::failure::Failure;
use anyhow::Context as _;
use assessio_harness::locate;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

/// `assessio serve`: the manifest's app on `listen` until Ctrl-C.
pub fn run(
    manifest: Option<&std::path::Path>,
    listen: std::net::SocketAddr,
    variables: &[String],
    kv_dir: Option<&std::path::Path>,
) -> Result<ExitCode, Failure> {
    let root = locate::workspace_root();
    let manifest = manifest.map_or_else(|| root.join("spin.toml"), std::path::Path::to_path_buf);
    if manifest == root.join("spin.toml") {
        locate::ensure_app_built().map_err(Failure::Setup)?;
    }
    let values = variable_values(variables)?;
    let kv_dir = kv_dir.map_or_else(|| manifest.parent().unwrap_or(&root).join(".spin"), std::path::Path::to_path_buf);
    std::fs::create_dir_all(&kv_dir).with_context(|| format!("creating {}", kv_dir.display()))?;
    let options = spin_host::SpinOptions { variables: values, echo_logs: true, ..spin_host::SpinOptions::new(&kv_dir) };
    let app = spin_host::SpinApp::load(&manifest, options).map_err(Failure::Setup)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
        let server = app.serve(listener)?;
        eprintln!("serving {} on {} (Ctrl-C stops)", manifest.display(), server.url(""));
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        server.shutdown().await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The values of `--variable` arguments, in Spin's forms (`spin up
/// --variable`): `NAME=VALUE`; `NAME=@FILE`, the file's content; `@FILE.json`
/// or `@FILE.toml`, a table of names to strings. A later value of a name
/// wins. Errors name the argument's name or file, never a value.
pub fn variable_values(arguments: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    for argument in arguments {
        if let Some(file) = argument.strip_prefix('@') {
            let path = Path::new(file);
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
    use super::variable_values;

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
        let got = variable_values(&args(&[
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
            let e = format!("{:#}", variable_values(&args(&[argument])).unwrap_err());
            assert!(e.contains(says), "{argument}: {e}");
            assert!(secret.is_empty() || !e.contains(secret), "{argument}: the value leaked: {e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
