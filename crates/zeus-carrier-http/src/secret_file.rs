//! Reading a secret (a key, a token) from a file, after checking that the
//! file is fit to hold one — the check `zeus-carrier serve` runs on
//! `--zkey-file`, `--signing-key-file`, `--operator-token-file` and its
//! generated token file (INTERFACES §3 "Secret files"), for any program
//! that reads its own secrets from files.
//!
//! # The rules
//! [`read_secret_file`] refuses the file, with a [`SecretFileError`] that
//! names the path and the rule (never the content), when:
//! - **the path is a symbolic link** ([`SecretFileError::SymbolicLink`]):
//!   the file is opened with `O_NOFOLLOW`, so a link planted where the
//!   secret should be (to a world-readable file, to another user's file)
//!   is never followed. Links in the directories above it are followed as
//!   usual;
//! - **it is not a regular file** ([`SecretFileError::NotRegularFile`]): a
//!   directory, a FIFO (opened without blocking, never read), a device;
//! - **it is not owned by the user the process runs as** (the effective
//!   uid; [`SecretFileError::WrongOwner`]): a file another user planted in a
//!   shared directory is not ours to trust;
//! - **group or others may read or write it** (any of the mode bits
//!   `0o066`; [`SecretFileError::Permissions`]): `0600` and `0400` pass,
//!   like OpenSSH's check of a private key (`chmod 600 FILE` fixes it);
//! - it is larger than [`MAX_SECRET_FILE_BYTES`]
//!   ([`SecretFileError::TooLarge`]) or not UTF-8
//!   ([`SecretFileError::NotUtf8`]).
//!
//! Every check is made on the opened file (`fstat` of the descriptor), so
//! the file checked is the file read. The content is the secret, except
//! that one trailing `\n` is removed (what `echo secret > FILE` writes);
//! nothing else is trimmed. The value is returned as a [`SecretString`],
//! whose `Debug` shows `***`.
//!
//! ```no_run
//! use zeus_carrier_http::secret_file::{SecretFileError, read_secret_file};
//! match read_secret_file("/etc/shop/zkey") {
//!     Ok(zkey) => { let _ = zkey.expose_secret(); }
//!     // e.g. "the secret file /etc/shop/zkey has mode 0644: a secret file
//!     // must not be readable or writable by group or others (chmod 600)"
//!     Err(e) => eprintln!("--zkey-file: {e}"),
//! }
//! ```
//!
//! On platforms other than Unix there is no owner or mode to check: the
//! file is read as it is (only the size and UTF-8 rules apply).

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest secret file read (a zkey is 40 bytes, a token 256).
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// A secret read by [`read_secret_file`]. `Debug` shows
/// `SecretString(***)`; it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> SecretString {
        SecretString(value.into())
    }

    /// The value, for the one place that uses it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

/// Why [`read_secret_file`] refused a file. The message names the file and
/// the rule it breaks, never its content; [`SecretFileError::rule`] is the
/// rule alone.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretFileError {
    /// The path is a symbolic link (it was not followed).
    #[error("the secret file {} is a symbolic link: {}", path.display(), self.rule())]
    SymbolicLink {
        /// The path given.
        path: PathBuf,
    },
    /// The path is a directory, a FIFO, a socket or a device.
    #[error("the secret file {} is not a regular file: {}", path.display(), self.rule())]
    NotRegularFile {
        /// The path given.
        path: PathBuf,
    },
    /// The file belongs to another user.
    #[error(
        "the secret file {} is owned by uid {owner}, but this process runs as uid {expected}: {}",
        path.display(),
        self.rule()
    )]
    WrongOwner {
        /// The path given.
        path: PathBuf,
        /// The file's owner.
        owner: u32,
        /// The process's effective uid.
        expected: u32,
    },
    /// Group or others may read or write the file.
    #[error("the secret file {} has mode {mode:04o}: {}", path.display(), self.rule())]
    Permissions {
        /// The path given.
        path: PathBuf,
        /// The file's permission bits (`st_mode & 0o7777`).
        mode: u32,
    },
    /// The file is larger than [`MAX_SECRET_FILE_BYTES`].
    #[error("the secret file {} is larger than {MAX_SECRET_FILE_BYTES} bytes: {}", path.display(), self.rule())]
    TooLarge {
        /// The path given.
        path: PathBuf,
    },
    /// The content is not UTF-8 (it is not shown).
    #[error("the secret file {} is not UTF-8 text: {}", path.display(), self.rule())]
    NotUtf8 {
        /// The path given.
        path: PathBuf,
    },
    /// The file could not be opened or read (missing, no permission, I/O).
    #[error("cannot read the secret file {}: {source}", path.display())]
    Io {
        /// The path given.
        path: PathBuf,
        /// The OS error (it holds nothing of the content).
        #[source]
        source: std::io::Error,
    },
}

impl SecretFileError {
    /// The rule the file breaks, in words.
    pub fn rule(&self) -> &'static str {
        match self {
            SecretFileError::SymbolicLink { .. } => {
                "a secret file must be the file itself, not a symbolic link (it is opened with O_NOFOLLOW)"
            }
            SecretFileError::NotRegularFile { .. } => "a secret file must be a regular file",
            SecretFileError::WrongOwner { .. } => {
                "a secret file must be owned by the user the process runs as"
            }
            SecretFileError::Permissions { .. } => {
                "a secret file must not be readable or writable by group or others (chmod 600 or 400)"
            }
            SecretFileError::TooLarge { .. } => "a secret file holds one short secret",
            SecretFileError::NotUtf8 { .. } => {
                "a secret file holds UTF-8 text (the content is not shown)"
            }
            SecretFileError::Io { .. } => "a secret file must exist and be readable",
        }
    }

    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            SecretFileError::SymbolicLink { path }
            | SecretFileError::NotRegularFile { path }
            | SecretFileError::WrongOwner { path, .. }
            | SecretFileError::Permissions { path, .. }
            | SecretFileError::TooLarge { path }
            | SecretFileError::NotUtf8 { path }
            | SecretFileError::Io { path, .. } => path,
        }
    }
}

/// Reads the secret in the file at `path` after checking the file (see the
/// [module docs](self) for the rules): its content, without one trailing
/// `\n`.
pub fn read_secret_file(path: impl AsRef<Path>) -> Result<SecretString, SecretFileError> {
    let path = path.as_ref();
    let file = open_checked(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| SecretFileError::Io {
            path: path.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(SecretFileError::TooLarge {
            path: path.to_owned(),
        });
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    String::from_utf8(bytes)
        .map(SecretString)
        .map_err(|_| SecretFileError::NotUtf8 {
            path: path.to_owned(),
        })
}

/// Opens `path` without following a final symbolic link and checks the
/// opened file: a regular file, ours, not open to group or others.
#[cfg(unix)]
fn open_checked(path: &Path) -> Result<std::fs::File, SecretFileError> {
    use rustix::fs::{Mode, OFlags};
    use std::os::unix::fs::MetadataExt as _;

    let owned = || path.to_owned();
    // NONBLOCK: opening a FIFO for reading would otherwise wait for a
    // writer; it changes nothing for a regular file.
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let file = match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => std::fs::File::from(fd),
        Err(errno) => {
            // O_NOFOLLOW on a link fails (ELOOP on Linux, EMLINK on the
            // BSDs): say so, rather than "too many levels of links".
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            return Err(if is_link {
                SecretFileError::SymbolicLink { path: owned() }
            } else {
                SecretFileError::Io {
                    path: owned(),
                    source: errno.into(),
                }
            });
        }
    };
    let meta = file.metadata().map_err(|source| SecretFileError::Io {
        path: owned(),
        source,
    })?;
    if !meta.file_type().is_file() {
        return Err(SecretFileError::NotRegularFile { path: owned() });
    }
    let expected = rustix::process::geteuid().as_raw();
    if meta.uid() != expected {
        return Err(SecretFileError::WrongOwner {
            path: owned(),
            owner: meta.uid(),
            expected,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o066 != 0 {
        return Err(SecretFileError::Permissions {
            path: owned(),
            mode,
        });
    }
    Ok(file)
}

/// Elsewhere there is no owner or mode to check.
#[cfg(not(unix))]
fn open_checked(path: &Path) -> Result<std::fs::File, SecretFileError> {
    let file = std::fs::File::open(path).map_err(|source| SecretFileError::Io {
        path: path.to_owned(),
        source,
    })?;
    match file.metadata() {
        Ok(m) if m.is_file() => Ok(file),
        Ok(_) => Err(SecretFileError::NotRegularFile {
            path: path.to_owned(),
        }),
        Err(source) => Err(SecretFileError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    const SECRET: &str = "SecretFileValue-7f3a";

    fn write(dir: &Path, name: &str, content: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, content).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    fn refused(path: &Path) -> SecretFileError {
        let e = read_secret_file(path).expect_err("refused");
        let text = format!("{e} {e:?}");
        assert!(!text.contains(SECRET), "the content is shown: {text}");
        if !matches!(e, SecretFileError::Io { .. }) {
            assert!(text.contains(e.rule()), "the rule is named: {text}");
        }
        assert_eq!(e.path(), path);
        e
    }

    #[test]
    fn modes_0600_and_0400_are_read_without_one_trailing_newline() {
        let dir = tempfile::tempdir().expect("tempdir");
        for mode in [0o600, 0o400, 0o700] {
            let path = write(
                dir.path(),
                &format!("s{mode:o}"),
                &format!("{SECRET}\n"),
                mode,
            );
            let s = read_secret_file(&path).expect("fit file");
            assert_eq!(s.expose_secret(), SECRET);
            assert_eq!(format!("{s:?}"), "SecretString(***)");
        }
        let path = write(dir.path(), "two", &format!("{SECRET}\n\n"), 0o600);
        assert_eq!(
            read_secret_file(&path).expect("read").expose_secret(),
            format!("{SECRET}\n")
        );
    }

    #[test]
    fn group_or_other_read_or_write_bits_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o666, 0o660, 0o606] {
            let path = write(dir.path(), &format!("s{mode:o}"), SECRET, mode);
            let e = refused(&path);
            assert!(
                matches!(e, SecretFileError::Permissions { mode: m, .. } if m == mode),
                "{mode:o}: {e:?}"
            );
            assert!(e.to_string().contains(&format!("{mode:04o}")), "{e}");
            assert!(e.to_string().contains("group or others"), "{e}");
        }
    }

    #[test]
    fn a_symbolic_link_is_refused_even_to_a_fit_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = write(dir.path(), "target", SECRET, 0o600);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(matches!(
            refused(&link),
            SecretFileError::SymbolicLink { .. }
        ));
        // A dangling link too.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nothing"), &dangling).expect("symlink");
        assert!(matches!(
            refused(&dangling),
            SecretFileError::SymbolicLink { .. }
        ));
        // The target itself is fine.
        assert!(read_secret_file(&target).is_ok());
    }

    #[test]
    fn a_file_of_another_user_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "theirs", SECRET, 0o600);
        let me = rustix::process::geteuid().as_raw();
        if me == 0 {
            // As root: give the file to another uid.
            let other = rustix::process::Uid::from_raw(65534);
            rustix::fs::chown(&path, Some(other), None).expect("chown");
            let e = refused(&path);
            assert!(
                matches!(
                    e,
                    SecretFileError::WrongOwner {
                        owner: 65534,
                        expected: 0,
                        ..
                    }
                ),
                "{e:?}"
            );
            assert!(e.to_string().contains("owned by"), "{e}");
        } else {
            // Not root: a file root owns (this one is ours, so find one).
            let e = read_secret_file("/etc/passwd").expect_err("root's file");
            assert!(
                matches!(e, SecretFileError::WrongOwner { owner: 0, .. }),
                "{e:?}"
            );
        }
    }

    #[test]
    fn directories_fifos_missing_large_and_non_utf8_files_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("mkdir");
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        assert!(matches!(
            refused(&sub),
            SecretFileError::NotRegularFile { .. }
        ));
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .expect("mkfifo");
        assert!(matches!(
            refused(&fifo),
            SecretFileError::NotRegularFile { .. }
        ));
        assert!(matches!(
            refused(&dir.path().join("missing")),
            SecretFileError::Io { .. }
        ));
        let big = write(
            dir.path(),
            "big",
            &"x".repeat(usize::try_from(MAX_SECRET_FILE_BYTES).expect("fits") + 1),
            0o600,
        );
        assert!(matches!(refused(&big), SecretFileError::TooLarge { .. }));
        let bin = dir.path().join("bin");
        std::fs::write(&bin, [0xff, 0xfe, b'k']).expect("write");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(matches!(refused(&bin), SecretFileError::NotUtf8 { .. }));
    }
}
