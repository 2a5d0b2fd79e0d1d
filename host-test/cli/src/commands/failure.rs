//! How a command fails, and the exit code each kind gives.

use std::process::ExitCode;

/// Exit code for a plugin that could not be built or loaded: the install,
/// not the input, is at fault.
const EXIT_SETUP: u8 = 4;

/// A command's failure, sorted by exit code.
pub enum Failure {
    /// The plugin could not be built or loaded: the install is at fault.
    Setup(anyhow::Error),
    /// Anything else that stopped the command (exit 2).
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Self::Other(e)
    }
}

impl Failure {
    /// Says what went wrong on stderr, with its causes, and gives the exit code.
    pub fn report(self) -> ExitCode {
        let (e, code) = match self {
            Self::Setup(e) => (e, EXIT_SETUP),
            Self::Other(e) => (e, 2),
        };
        eprintln!("error: {e:#}");
        ExitCode::from(code)
    }
}
