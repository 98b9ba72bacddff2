//! Child processes with bounded waits: the `zeus-carrier` binary as a
//! server, chromedriver. A [`Running`] child is killed when dropped, so a
//! failing test leaves nothing behind.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A started child whose stdout lines arrive on a channel.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every stdout line read so far (for failure messages).
    seen: Vec<String>,
}

impl Running {
    /// Starts `cmd` with stdout piped (stderr inherited, so logs show up
    /// in the test's output).
    pub fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits at most `bound` for a stdout line for which `pick` gives a
    /// value.
    pub fn wait_for_line<T>(&mut self, bound: Duration, pick: impl Fn(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + bound;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = pick(&line);
                    self.seen.push(line);
                    if let Some(v) = found {
                        return v;
                    }
                }
                Err(e) => panic!(
                    "no expected line within {bound:?} ({e}); stdout so far: {:?}; exited: {:?}",
                    self.seen,
                    self.child.try_wait()
                ),
            }
        }
    }

    /// The base URL from `listening on http://HOST:PORT` (INTERFACES §1).
    pub fn listening_url(&mut self) -> String {
        self.wait_for_line(Duration::from_secs(30), |l| {
            l.strip_prefix("listening on ")
                .filter(|u| u.starts_with("http://"))
                .map(str::to_owned)
        })
    }

    /// Sends SIGTERM (with the `kill` command: the workspace forbids
    /// `unsafe`, so no `libc::kill`).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {}: {status}", self.id());
    }

    /// Waits at most `bound` for the child to exit.
    pub fn wait(&mut self, bound: Duration) -> ExitStatus {
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "pid {} still running after {bound:?}",
                self.id()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The stdout lines read so far, then every line until the child closes
    /// stdout (at most `bound`).
    pub fn rest_of_stdout(&mut self, bound: Duration) -> Vec<String> {
        let deadline = Instant::now() + bound;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("stdout still open after {bound:?}: {:?}", self.seen)
                }
            }
        }
        self.seen.clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
