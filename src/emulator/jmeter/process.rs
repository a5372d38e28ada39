//! A JMeter process and the thread that watches it: starts `java` on the prepared folder,
//! reads the JTL as it grows into [`Stats`], and ends the run.
//!
//! The run ends when JMeter exits, when [`JMeterRun::stop`] is called, or when the scene's
//! duration has passed since JMeter said it started the test (its own thread groups are set
//! to the same duration, so JMeter also ends by itself should the backend die). Ending is
//! JMeter's graceful "Shutdown" (a UDP message to the port it announces: threads finish their
//! sample), then, after [`GRACE`], a kill. Whatever happens, the process is killed
//! [`STARTUP_ALLOWANCE`] after the duration, itself at most PTS's longest run. And JMeter
//! does not outlive the backend: its standard input is a pipe the watcher holds, and the
//! launcher exits when that pipe closes (the backend exited or was killed).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::install::{Installation, LAUNCHER_FILE};
use super::jtl::JtlReader;
use super::prepare::{LOG, OUTPUT, PROPERTIES, Prepared, RESULTS, SCRIPT};
use super::stats::Stats;

/// How long JMeter gets between its graceful shutdown and a kill.
const GRACE: Duration = Duration::from_secs(5);

/// Time allowed for Java and JMeter to start (compiling the launcher included), on top of
/// the duration, before the run is ended whatever JMeter says.
const STARTUP_ALLOWANCE: Duration = Duration::from_secs(90);

/// How often the watcher reads the JTL and checks the process.
const POLL: Duration = Duration::from_millis(100);

/// Lines of JMeter's output quoted when it fails.
const QUOTED_LINES: usize = 8;

/// A JMeter run in progress (or ended, until [`JMeterRun::finish`]).
pub(crate) struct JMeterRun {
    shared: Arc<Watched>,
    watcher: Mutex<Option<JoinHandle<()>>>,
}

/// What the watcher and the handlers share.
struct Watched {
    stats: Mutex<Stats>,
    stop: AtomicBool,
    finished: AtomicBool,
    error: Mutex<Option<String>>,
    /// When JMeter said it started the test, epoch milliseconds.
    started_ms: Mutex<Option<i64>>,
}

/// How a run ended.
pub(crate) struct Ended {
    pub stats: Stats,
    /// Why the run failed, if it did (JMeter exited with an error and measured nothing).
    pub error: Option<String>,
}

impl JMeterRun {
    /// Starts JMeter on `prepared`; returns once the process is running.
    pub fn start(installation: &Installation, prepared: &Prepared) -> Result<JMeterRun, String> {
        let dir = &prepared.dir;
        let output =
            File::create(dir.join(OUTPUT)).map_err(|e| format!("cannot create {OUTPUT}: {e}"))?;
        let errors = output
            .try_clone()
            .map_err(|e| format!("cannot share {OUTPUT}: {e}"))?;
        let classpath = std::env::join_paths(
            installation
                .classpath
                .iter()
                .chain(&prepared.jars)
                .map(PathBuf::as_path),
        )
        .map_err(|e| format!("a JAR path cannot be on a class path: {e}"))?;
        let child = Command::new(&installation.java)
            .current_dir(dir)
            .arg(format!("-Djmeter.home={}", installation.home.display()))
            .arg("-cp")
            .arg(classpath)
            .arg(LAUNCHER_FILE)
            .args([
                "-n", "-t", SCRIPT, "-l", RESULTS, "-j", LOG, "-q", PROPERTIES,
            ])
            // Held open by the watcher and never written: its closing (the backend gone)
            // makes the launcher exit.
            .stdin(Stdio::piped())
            .stdout(output)
            .stderr(errors)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", installation.java.display()))?;
        let shared = Arc::new(Watched {
            stats: Mutex::new(Stats::new(prepared.load.duration_s)),
            stop: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            error: Mutex::new(None),
            started_ms: Mutex::new(None),
        });
        let duration = Duration::from_secs(u64::try_from(prepared.load.duration_s).unwrap_or(0));
        let watcher = {
            let shared = shared.clone();
            let dir = dir.clone();
            std::thread::Builder::new()
                .name("jmeter-watch".into())
                .spawn(move || watch(child, &dir, duration, &shared))
                .map_err(|e| format!("cannot start the watcher thread: {e}"))?
        };
        Ok(JMeterRun {
            shared,
            watcher: Mutex::new(Some(watcher)),
        })
    }

    /// The figures so far.
    pub fn stats(&self) -> MutexGuard<'_, Stats> {
        lock(&self.shared.stats)
    }

    /// When JMeter started the test, epoch milliseconds, once it has.
    pub fn started_ms(&self) -> Option<i64> {
        *lock(&self.shared.started_ms)
    }

    /// Asks the run to end; [`is_finished`](Self::is_finished) turns true within [`GRACE`].
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }

    pub fn is_finished(&self) -> bool {
        self.shared.finished.load(Ordering::SeqCst)
    }

    /// Waits for the end; the figures and any error.
    pub fn finish(self) -> Ended {
        if let Some(watcher) = lock(&self.watcher).take() {
            let _ = watcher.join();
        }
        let stats = std::mem::replace(&mut *lock(&self.shared.stats), Stats::new(1));
        Ended {
            stats,
            error: lock(&self.shared.error).take(),
        }
    }
}

impl Drop for JMeterRun {
    /// A run dropped unfinished (a failed start record, a panic) still ends its JMeter.
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The watcher: tails the JTL until JMeter exits, ending it when it is time.
fn watch(mut child: Child, dir: &Path, duration: Duration, shared: &Watched) {
    let _lifeline = child.stdin.take();
    let launched = Instant::now();
    let hard_deadline = launched + duration + STARTUP_ALLOWANCE;
    let mut tail = Tail::new(dir.join(RESULTS));
    let mut announced = Announced::default();
    let mut load_deadline: Option<Instant> = None;
    let mut stopping: Option<Instant> = None;
    loop {
        tail.read_into(&shared.stats);
        if announced.port.is_none() || announced.started_ms.is_none() {
            announced.read(&dir.join(OUTPUT));
            if let (Some(ms), None) = (announced.started_ms, load_deadline) {
                *lock(&shared.started_ms) = Some(ms);
                load_deadline = Some(Instant::now() + duration);
            }
        }
        match child.try_wait() {
            Ok(Some(status)) => {
                tail.read_into(&shared.stats);
                announced.read(&dir.join(OUTPUT));
                // JMeter 2.13 exits 0 when it cannot load the script: a run that never
                // started the test, or failed, and measured nothing is an error.
                let never_started = announced.started_ms.is_none();
                if (never_started || !status.success()) && lock(&shared.stats).count() == 0 {
                    *lock(&shared.error) = Some(failure(dir, &status.to_string()));
                }
                break;
            }
            Ok(None) => {}
            Err(error) => {
                *lock(&shared.error) = Some(format!("cannot watch JMeter: {error}"));
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
        }
        let now = Instant::now();
        let due = shared.stop.load(Ordering::SeqCst)
            || load_deadline.is_some_and(|deadline| now >= deadline)
            || now >= hard_deadline;
        match stopping {
            None if due => {
                if let Some(port) = announced.port {
                    shutdown(port);
                }
                stopping = Some(now);
            }
            Some(since) if now.duration_since(since) >= GRACE => {
                let _ = child.kill();
                let _ = child.wait();
                tail.read_into(&shared.stats);
                break;
            }
            _ => {}
        }
        std::thread::sleep(POLL);
    }
    shared.finished.store(true, Ordering::SeqCst);
}

/// Sends JMeter's graceful "Shutdown" to its non-GUI listener.
fn shutdown(port: u16) {
    if let Ok(socket) = std::net::UdpSocket::bind("127.0.0.1:0") {
        let _ = socket.send_to(b"Shutdown", ("127.0.0.1", port));
    }
}

/// Why JMeter failed, with the end of its output.
fn failure(dir: &Path, status: &str) -> String {
    let output = std::fs::read_to_string(dir.join(OUTPUT)).unwrap_or_default();
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    // From the first error line if there is one (JMeter follows it with XStream's
    // debugging block), else the last lines.
    let from = lines
        .iter()
        .position(|line| line.starts_with("Error") || line.contains("Exception"))
        .unwrap_or_else(|| lines.len().saturating_sub(QUOTED_LINES));
    let quoted = lines[from..]
        .iter()
        .take(QUOTED_LINES)
        .copied()
        .collect::<Vec<_>>();
    format!(
        "JMeter ended ({status}) without running the test; its output says:\n{}",
        quoted.join("\n")
    )
}

/// What JMeter announces on its output: the shutdown port and the test's start.
#[derive(Debug, Default)]
struct Announced {
    port: Option<u16>,
    started_ms: Option<i64>,
}

impl Announced {
    fn read(&mut self, output: &Path) {
        let text = std::fs::read_to_string(output).unwrap_or_default();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("Waiting for possible shutdown message on port ")
            {
                self.port = rest.trim().parse().ok();
            }
            // `Starting the test @ Mon Nov 23 17:36:23 UTC 2026 (1795455383457)`
            if line.starts_with("Starting the test @") {
                self.started_ms = line
                    .rsplit_once('(')
                    .and_then(|(_, ms)| ms.trim_end_matches(')').parse().ok());
            }
        }
    }
}

/// The JTL, read from where the last read stopped.
struct Tail {
    path: PathBuf,
    file: Option<File>,
    offset: u64,
    reader: JtlReader,
}

impl Tail {
    fn new(path: PathBuf) -> Tail {
        Tail {
            path,
            file: None,
            offset: 0,
            reader: JtlReader::default(),
        }
    }

    /// Reads what was appended and adds its samples to `stats`.
    fn read_into(&mut self, stats: &Mutex<Stats>) {
        if self.file.is_none() {
            self.file = File::open(&self.path).ok();
        }
        let Some(file) = self.file.as_mut() else {
            return;
        };
        let mut bytes = Vec::new();
        if file.seek(SeekFrom::Start(self.offset)).is_err() || file.read_to_end(&mut bytes).is_err()
        {
            return;
        }
        self.offset += bytes.len() as u64;
        let samples = self.reader.feed(&bytes);
        if samples.is_empty() {
            return;
        }
        let mut stats = lock(stats);
        for sample in &samples {
            stats.add(sample);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jmeters_announcements_give_the_shutdown_port_and_the_start() {
        let dir = tempfile::tempdir().expect("dir");
        let output = dir.path().join(OUTPUT);
        let mut announced = Announced::default();
        announced.read(&output);
        assert_eq!((announced.port, announced.started_ms), (None, None));
        std::fs::write(
            &output,
            "Created the tree successfully using test.jmx\n\
             Starting the test @ Mon Nov 23 17:36:23 UTC 2026 (1795455383457)\n\
             Waiting for possible shutdown message on port 4446\n",
        )
        .expect("write");
        announced.read(&output);
        assert_eq!(announced.port, Some(4446));
        assert_eq!(announced.started_ms, Some(1_795_455_383_457));
    }

    #[test]
    fn a_failure_quotes_jmeters_error_lines() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join(OUTPUT),
            "INFO jmeter.s: Using SaveService properties version 2.8\n\
             Error in NonGUIDriver java.lang.IllegalArgumentException: Problem loading XML\n\
             ---- Debugging information ----\n",
        )
        .expect("write");
        let text = failure(dir.path(), "exit status: 0");
        assert!(
            text.starts_with("JMeter ended (exit status: 0) without running the test"),
            "{text}"
        );
        assert!(text.contains("\nError in NonGUIDriver"), "{text}");
        assert!(!text.contains("SaveService"), "{text}");
    }
}
