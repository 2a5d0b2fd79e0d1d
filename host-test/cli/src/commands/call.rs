//! `assessio call`: one function, JSON in, JSON out.

use super::failure::Failure;
use super::plugin::PluginChoice;
use anyhow::Context as _;
use assessio_harness::call::{CallFailure, FUNCTIONS, Request, call_hub, redact_values};
use std::io::{IsTerminal as _, Read as _};
use std::path::PathBuf;
use std::process::ExitCode;

/// Calls `function` (a core function, or `<hub>.<function>`) with the JSON
/// read from `input` (a file, or stdin for `None` and `-`).
pub fn run(plugin: &PluginChoice, function: &str, input: Option<&PathBuf>, compact: bool) -> Result<ExitCode, Failure> {
    if function.contains('.') {
        let bytes = read_input(input)?;
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            eprintln!("error: cannot read the input: {}", redact_values(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
        let connector = plugin.load()?;
        return Ok(finish(call_hub(&connector, function, &bytes), compact));
    }
    if !FUNCTIONS.iter().any(|(n, _)| *n == function) {
        let names: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
        eprintln!("error: no function `{function}`; the functions are: {}", names.join(", "));
        return Ok(ExitCode::from(2));
    }
    let bytes = read_input(input)?;
    let request = match Request::parse(function, &bytes) {
        Ok(r) => r,
        Err(failure) => {
            eprintln!("error: {failure}");
            return Ok(ExitCode::from(failure.exit_code()));
        }
    };
    let connector = plugin.load()?;
    Ok(finish(request.run(&connector), compact))
}

fn read_input(input: Option<&PathBuf>) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    match input {
        Some(path) if path.as_os_str() != "-" => {
            bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("reading the JSON input from the terminal; end it with Ctrl-D (or use --input FILE)");
            }
            stdin.lock().read_to_end(&mut bytes).context("reading stdin")?;
        }
    }
    Ok(bytes)
}

fn print_json(v: &serde_json::Value, compact: bool) {
    let text = if compact { v.to_string() } else { serde_json::to_string_pretty(v).unwrap_or_default() };
    println!("{text}");
}

/// Prints a call's answer (JSON on stdout, words on stderr) and gives its exit code.
fn finish(outcome: Result<serde_json::Value, CallFailure>, compact: bool) -> ExitCode {
    match outcome {
        Ok(v) => {
            print_json(&v, compact);
            ExitCode::SUCCESS
        }
        Err(failure) => {
            if let CallFailure::Refused(v, _) = &failure {
                print_json(v, compact);
            }
            eprintln!("error: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}
