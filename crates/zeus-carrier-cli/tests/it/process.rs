//! Child processes with bounded waits: the `zeus-carrier` binary (the
//! demo). A [`Running`] child is killed when dropped, so a failing test
//! leaves nothing behind.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A started child whose stdout lines arrive on a channel.
pub(crate) struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every stdout line read so far (for failure messages).
    seen: Vec<String>,
}

impl Running {
    /// Starts `cmd` with stdout piped (stderr inherited, so logs show up
    /// in the test's output).
    pub(crate) fn start(mut cmd: Command) -> Running {
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
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits at most `bound` for the child to exit.
    pub(crate) fn wait(&mut self, bound: Duration) -> ExitStatus {
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
    pub(crate) fn rest_of_stdout(&mut self, bound: Duration) -> Vec<String> {
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
