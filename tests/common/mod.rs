//! Helpers shared by the integration tests: they drive the real `rcsim` binary as a user or a CI
//! script would, and check what it prints, writes and exits with.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// Exit code: ran, every checked run was consistent (CONTRACT.md).
pub const EXIT_OK: i32 = 0;
/// Exit code: ran, the checker found at least one violation.
pub const EXIT_VIOLATION: i32 = 1;
/// Exit code: bad input or usage; nothing was simulated.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: an event or time budget was hit before the run finished.
pub const EXIT_BUDGET: i32 = 3;

/// The patent's Figure 1 scenario, relative to the crate root (the binary's working directory).
pub const FIGURE1: &str = "scenarios/patent-figure1.json";
/// The random multi-pair scenario, relative to the crate root.
pub const RANDOM_PAIRS: &str = "scenarios/random-pairs.json";

/// A small valid scenario that the error tests break one field at a time (see [`mutate`]).
/// Three scripted writes a -> b -> c over two pairs; no disaster; it runs in a few ms.
pub const BASE: &str = r#"{
  "name": "base",
  "description": "A small valid scenario that the error tests break one field at a time.",
  "seed": 3,
  "duration": "10ms",
  "topology": { "pairs": 2, "volumes_per_subsystem": 1, "blocks_per_volume": 16 },
  "primary_lan": { "loss": 0.0 },
  "links": { "latency": "1ms", "bandwidth": "100MB/s" },
  "workloads": [
    {
      "kind": "script",
      "writes": [
        { "label": "a", "subsystem": 1 },
        { "label": "b", "subsystem": 2, "after": ["a"] },
        { "label": "c", "subsystem": 1, "block": 1, "after": ["b"] }
      ]
    }
  ],
  "protocol": { "kind": "independent" }
}
"#;

/// `BASE` with the one occurrence of `from` replaced by `to`; panics if `from` does not occur
/// exactly once, so a test can never silently check the unbroken base.
pub fn mutate(from: &str, to: &str) -> String {
    assert_eq!(
        BASE.matches(from).count(),
        1,
        "`{from}` must occur exactly once in BASE"
    );
    BASE.replacen(from, to, 1)
}

/// What one invocation of the binary did.
#[derive(Debug)]
pub struct Output {
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

impl Output {
    /// stdout parsed as one JSON value; panics with both streams if it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e})\nstdout:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts the exit code, showing both streams on failure.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts the contract's "bad input or usage" outcome: exit 2, nothing on stdout, a message
    /// on stderr that contains every fragment, and no panic.
    pub fn assert_usage_error(&self, fragments: &[&str]) -> &Self {
        self.assert_code(EXIT_USAGE);
        assert!(
            self.stdout.is_empty(),
            "bad input must print nothing on stdout, got:\n{}",
            self.stdout
        );
        assert!(
            !self.stderr.trim().is_empty(),
            "bad input must be explained on stderr"
        );
        self.assert_no_panic();
        for f in fragments {
            assert!(
                self.stderr.contains(f),
                "stderr should mention `{f}`, got:\n{}",
                self.stderr
            );
        }
        self
    }

    /// Asserts the binary did not panic.
    pub fn assert_no_panic(&self) -> &Self {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "rcsim panicked:\n{}",
            self.stderr
        );
        self
    }
}

/// Makes a named pipe at `path` (with `mkfifo`), for tests of inputs and outputs that must
/// never block on one.
#[cfg(unix)]
pub fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// The crate root: the binary runs there so `scenarios/...` paths resolve.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `rcsim` with `args` from the crate root and collects what it did.
pub fn rcsim<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_rcsim"))
        .args(args)
        .current_dir(root())
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the rcsim binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// `rcsim` with `args`, to be started from the crate root with SIGINT, SIGTERM and SIGHUP at
/// their default actions whatever the test runner's: a script's `&` starts a command with SIGINT
/// ignored, and rcsim, as is customary, leaves an ignored signal ignored. For tests that signal
/// it (see [`signal`]).
#[cfg(unix)]
pub fn signalable<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rcsim"));
    cmd.args(args).current_dir(root());
    // SAFETY: `signal` is async-signal-safe, as code between fork and exec must be.
    unsafe {
        cmd.pre_exec(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::signal(sig, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    cmd
}

/// Sends `sig` to the process `child`, as a terminal's Ctrl-C or `kill` would.
#[cfg(unix)]
pub fn signal(child: &std::process::Child, sig: i32) {
    let pid = i32::try_from(child.id()).expect("a pid");
    // SAFETY: a plain kill(2) on a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill -{sig} {pid}");
}

/// Runs `rcsim run SCENARIO --json EXTRA...`, asserts the exit code and returns the result JSON.
pub fn run_json(scenario: impl AsRef<Path>, extra: &[&str], code: i32) -> Value {
    let mut args: Vec<std::ffi::OsString> = vec!["run".into(), scenario.as_ref().into()];
    args.extend(extra.iter().map(Into::into));
    args.push("--json".into());
    let out = rcsim(&args);
    out.assert_code(code).assert_no_panic();
    out.json()
}

/// A directory under the system temp dir, unique to this process, test and call, removed when
/// dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a fresh directory named after `test`.
    pub fn new(test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("rcsim-it-{}-{test}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The JSON file `name` inside the directory (a campaign's `summary.json`, say).
    pub fn read_json(&self, name: &str) -> Value {
        let text = std::fs::read_to_string(self.join(name)).expect("a file to read");
        serde_json::from_str(&text).expect("JSON")
    }

    /// Writes `text` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.join(name);
        std::fs::write(&p, text).expect("write temp file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The labels in `result.image.<which>` ("present" or "absent").
pub fn image(result: &Value, which: &str) -> Vec<String> {
    result["image"][which]
        .as_array()
        .unwrap_or_else(|| panic!("image.{which} is an array in {result}"))
        .iter()
        .map(|v| v.as_str().expect("labels are strings").to_string())
        .collect()
}

/// The `trace_hash` of a result, checked to be a non-empty hex string.
pub fn trace_hash(result: &Value) -> String {
    let h = result["trace_hash"]
        .as_str()
        .unwrap_or_else(|| panic!("trace_hash is a string in {result}"));
    assert!(
        !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()),
        "trace_hash should be hex, got {h:?}"
    );
    h.to_string()
}

/// Reads a JSON-lines trace file into one JSON value per line.
pub fn read_trace(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("trace file exists");
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("trace line {} is not JSON ({e}): {line}", i + 1))
        })
        .collect()
}
