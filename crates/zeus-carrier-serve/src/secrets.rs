//! The service's secrets — the zkey, the signing key and the operator
//! token — read from a flag, the environment or a file, and checked
//! without ever showing the value.
//!
//! # Rules
//! - **Nothing secret is printed.** Every error here names the flag, the
//!   environment variable or the file and the rule the value breaks, never
//!   the value (not even a part of it). `Debug` of [`OperatorToken`] and
//!   [`RawSecret`] shows `***`.
//! - **Files** (`--zkey-file`, `--signing-key-file`,
//!   `--operator-token-file`) keep secrets out of `/proc/PID/cmdline` and
//!   shell history. The file's whole content is the secret, except that one
//!   trailing `\n` is removed (what `echo secret > file` writes). Anything
//!   else — a second newline, `\r\n`, spaces, tabs — is part of the value
//!   and fails the rule.
//! - **Secret files are checked before use** (INTERFACES §3), these three
//!   and the generated operator token file alike, by the library's
//!   [`read_secret_file`]: the path must not be a symbolic link (opened
//!   with `O_NOFOLLOW`), the file must be a regular file owned by the user
//!   serve runs as, and neither group nor others may read or write it
//!   (`0600` or `0400`). Otherwise [`SecretError::File`] names the flag and
//!   the rule (the CLI exits 2). A generated token file is created `0600`
//!   whatever the umask.
//! - **The rules**: the zkey is 1 to 40 visible ASCII characters
//!   (SPEC §5); the signing key 1 to 256 visible ASCII characters (no
//!   space, tab or control character); the operator token 16 to 256
//!   visible ASCII characters.
//!
//! ```
//! use zeus_carrier_serve::secrets::{OperatorToken, SecretKind};
//! let token = OperatorToken::new("a-long-operator-token-0123456789").expect("well formed");
//! assert!(token.verify(b"a-long-operator-token-0123456789"));
//! assert!(!token.verify(b"a-long-operator-token-0123456788"));
//! assert_eq!(format!("{token:?}"), "OperatorToken(***)");
//! // The error names the rule, never the value.
//! let err = OperatorToken::new("short\n").expect_err("malformed");
//! assert!(!err.to_string().contains("short"));
//! assert_eq!(err.kind(), SecretKind::OperatorToken);
//! ```

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use subtle::ConstantTimeEq as _;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_http::SigningKey;
use zeus_carrier_http::secret_file::{SecretFileError, read_secret_file};

/// The environment variable of the operator token.
pub const OPERATOR_TOKEN_ENV: &str = "ZEUS_CARRIER_OPERATOR_TOKEN";

/// The shortest operator token accepted.
pub const MIN_OPERATOR_TOKEN_LEN: usize = 16;

/// The longest signing key or operator token accepted.
pub const MAX_SECRET_LEN: usize = 256;

/// Which secret a value is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretKind {
    /// The Secure Link authentication key (`--zkey`).
    Zkey,
    /// The key signing `sendpoint` (`--signing-key`).
    SigningKey,
    /// The operator face's bearer token.
    OperatorToken,
}

impl SecretKind {
    /// How the secret can be given, for messages: the flag, the variable
    /// and the file flag.
    pub const fn ways(self) -> &'static str {
        match self {
            SecretKind::Zkey => "--zkey, ZEUS_CARRIER_ZKEY or --zkey-file",
            SecretKind::SigningKey => {
                "--signing-key, ZEUS_CARRIER_SIGNING_KEY or --signing-key-file"
            }
            SecretKind::OperatorToken => "ZEUS_CARRIER_OPERATOR_TOKEN or --operator-token-file",
        }
    }

    /// The secret's name in messages.
    pub const fn name(self) -> &'static str {
        match self {
            SecretKind::Zkey => "zkey",
            SecretKind::SigningKey => "signing key",
            SecretKind::OperatorToken => "operator token",
        }
    }

    /// The flag naming the secret's file.
    pub const fn file_flag(self) -> &'static str {
        match self {
            SecretKind::Zkey => "--zkey-file",
            SecretKind::SigningKey => "--signing-key-file",
            SecretKind::OperatorToken => "--operator-token-file",
        }
    }

    /// The rule a value must follow.
    pub const fn rule(self) -> &'static str {
        match self {
            SecretKind::Zkey => {
                "1 to 40 visible ASCII characters (SPEC §5; no space, tab, newline or other control character)"
            }
            SecretKind::SigningKey => {
                "1 to 256 visible ASCII characters (no space, tab, newline or other control character)"
            }
            SecretKind::OperatorToken => {
                "16 to 256 visible ASCII characters (no space, tab, newline or other control character)"
            }
        }
    }
}

/// Where a secret came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretOrigin {
    /// The flag or its environment variable (clap does not tell which).
    FlagOrEnv(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A file.
    File(PathBuf),
    /// Given by a program (an embedding's own configuration).
    Value,
}

impl fmt::Display for SecretOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretOrigin::FlagOrEnv(s) | SecretOrigin::Env(s) => f.write_str(s),
            SecretOrigin::File(p) => write!(f, "file {}", p.display()),
            SecretOrigin::Value => f.write_str("the configured value"),
        }
    }
}

/// What is wrong with a secret. Its message names the secret, where it
/// came from and the rule, never the value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The value breaks the rule.
    #[error(
        "the {} from {origin} is malformed: it must be {} (the value is not shown)",
        kind.name(),
        kind.rule()
    )]
    Malformed {
        /// Which secret.
        kind: SecretKind,
        /// Where it came from.
        origin: SecretOrigin,
    },
    /// The secret is required and was not given.
    #[error("no {}: give it with {}", kind.name(), kind.ways())]
    Missing {
        /// Which secret.
        kind: SecretKind,
    },
    /// Given two ways at once.
    #[error("the {} is given twice: use one of {}", kind.name(), kind.ways())]
    Twice {
        /// Which secret.
        kind: SecretKind,
    },
    /// The secret's file was refused or could not be read: a symbolic
    /// link, not owned by the user serve runs as, readable or writable by
    /// group or others, not a regular file, missing (the source names the
    /// path and the rule; [`SecretFileError::rule`]).
    #[error("{flag}: {source}")]
    File {
        /// Which secret.
        kind: SecretKind,
        /// The flag that named the file (`--zkey-file`, …), or
        /// [`GENERATED_TOKEN_FILE`].
        flag: &'static str,
        /// What is wrong with the file.
        #[source]
        source: SecretFileError,
    },
    /// The generated token file could not be written.
    #[error("cannot write the {} file {}: {source}", kind.name(), path.display())]
    Write {
        /// Which secret.
        kind: SecretKind,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl SecretError {
    /// Which secret the error is about.
    pub fn kind(&self) -> SecretKind {
        match self {
            SecretError::Malformed { kind, .. }
            | SecretError::Missing { kind }
            | SecretError::Twice { kind }
            | SecretError::File { kind, .. }
            | SecretError::Write { kind, .. } => *kind,
        }
    }
}

/// A secret as given on the command line or in the environment, not yet
/// checked: what clap stores, so that its own "invalid value" errors (which
/// print the value) can never happen for a secret. `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct RawSecret(OsString);

impl RawSecret {
    /// Wraps a value.
    pub fn new(value: impl Into<OsString>) -> RawSecret {
        RawSecret(value.into())
    }

    /// The value, for checking.
    pub fn expose_secret(&self) -> &OsStr {
        &self.0
    }
}

impl fmt::Debug for RawSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawSecret(***)")
    }
}

impl From<OsString> for RawSecret {
    fn from(value: OsString) -> RawSecret {
        RawSecret(value)
    }
}

/// The text of a secret that passes `kind`'s rule, or the error naming
/// `origin`.
fn checked(kind: SecretKind, value: &OsStr, origin: SecretOrigin) -> Result<String, SecretError> {
    let malformed = || SecretError::Malformed {
        kind,
        origin: origin.clone(),
    };
    let text = value.to_str().ok_or_else(malformed)?;
    let ok = match kind {
        SecretKind::Zkey => Zkey::new(text).is_well_formed(),
        SecretKind::SigningKey => visible_ascii(text, 1),
        SecretKind::OperatorToken => visible_ascii(text, MIN_OPERATOR_TOKEN_LEN),
    };
    if ok {
        Ok(text.to_owned())
    } else {
        Err(malformed())
    }
}

fn visible_ascii(text: &str, min: usize) -> bool {
    (min..=MAX_SECRET_LEN).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic())
}

/// How [`SecretError::File`] names the operator token file serve generates
/// next to the database ([`default_token_path`]).
pub const GENERATED_TOKEN_FILE: &str =
    "the operator token file (generated next to --db when no token is given)";

/// Reads a secret file given by `flag`, checked by [`read_secret_file`]:
/// its content without one trailing `\n`. Content that is not UTF-8 breaks
/// `kind`'s rule ([`SecretError::Malformed`]).
fn read_file(kind: SecretKind, flag: &'static str, path: &Path) -> Result<OsString, SecretError> {
    match read_secret_file(path) {
        Ok(secret) => Ok(OsString::from(secret.expose_secret())),
        Err(SecretFileError::NotUtf8 { .. }) => Err(SecretError::Malformed {
            kind,
            origin: SecretOrigin::File(path.to_owned()),
        }),
        Err(source) => Err(SecretError::File { kind, flag, source }),
    }
}

/// The checked text of a secret given by a flag (or its variable) or a
/// file; `None` when neither was given.
pub fn resolve(
    kind: SecretKind,
    flag: &'static str,
    value: Option<&RawSecret>,
    file: Option<&Path>,
) -> Result<Option<String>, SecretError> {
    match (value, file) {
        (Some(_), Some(_)) => Err(SecretError::Twice { kind }),
        (Some(v), None) => {
            checked(kind, v.expose_secret(), SecretOrigin::FlagOrEnv(flag)).map(Some)
        }
        (None, Some(path)) => {
            let content = read_file(kind, kind.file_flag(), path)?;
            checked(kind, &content, SecretOrigin::File(path.to_owned())).map(Some)
        }
        (None, None) => Ok(None),
    }
}

/// The zkey from `--zkey`/`ZEUS_CARRIER_ZKEY` or `--zkey-file` (required).
pub fn zkey(value: Option<&RawSecret>, file: Option<&Path>) -> Result<Zkey, SecretError> {
    resolve(SecretKind::Zkey, "--zkey/ZEUS_CARRIER_ZKEY", value, file)?
        .map(Zkey::new)
        .ok_or(SecretError::Missing {
            kind: SecretKind::Zkey,
        })
}

/// The signing key from `--signing-key`/`ZEUS_CARRIER_SIGNING_KEY` or
/// `--signing-key-file`, if given.
pub fn signing_key(
    value: Option<&RawSecret>,
    file: Option<&Path>,
) -> Result<Option<SigningKey>, SecretError> {
    Ok(resolve(
        SecretKind::SigningKey,
        "--signing-key/ZEUS_CARRIER_SIGNING_KEY",
        value,
        file,
    )?
    .map(|k| SigningKey::new(k.into_bytes())))
}

/// The operator token from `ZEUS_CARRIER_OPERATOR_TOKEN` (`env`, the
/// variable's value if set) or `--operator-token-file`, if given.
pub fn operator_token(
    env: Option<OsString>,
    file: Option<&Path>,
) -> Result<Option<OperatorToken>, SecretError> {
    let kind = SecretKind::OperatorToken;
    match (env, file) {
        (Some(_), Some(_)) => Err(SecretError::Twice { kind }),
        (Some(v), None) => checked(kind, &v, SecretOrigin::Env(OPERATOR_TOKEN_ENV))
            .map(|t| Some(OperatorToken(t.into()))),
        (None, Some(path)) => OperatorToken::from_file(path).map(Some),
        (None, None) => Ok(None),
    }
}

/// The bearer token of the operator face. Compared in constant time
/// ([`OperatorToken::verify`]); `Debug` shows `***`. Cheap to clone.
#[derive(Clone)]
pub struct OperatorToken(Arc<str>);

impl OperatorToken {
    /// A token, checked: 16 to 256 visible ASCII characters.
    pub fn new(token: impl Into<String>) -> Result<OperatorToken, SecretError> {
        let token = token.into();
        checked(
            SecretKind::OperatorToken,
            OsStr::new(&token),
            SecretOrigin::Value,
        )
        .map(|t| OperatorToken(t.into()))
    }

    /// A new random token: 32 bytes from the operating system's generator,
    /// as 64 hexadecimal digits.
    pub fn generate() -> Result<OperatorToken, std::io::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(OperatorToken(hex.into()))
    }

    /// The token in the file at `path` (`--operator-token-file`; one
    /// trailing `\n` removed), after the file's checks
    /// ([`read_secret_file`]).
    pub fn from_file(path: &Path) -> Result<OperatorToken, SecretError> {
        OperatorToken::from_file_named(path, SecretKind::OperatorToken.file_flag())
    }

    fn from_file_named(path: &Path, flag: &'static str) -> Result<OperatorToken, SecretError> {
        let kind = SecretKind::OperatorToken;
        let content = read_file(kind, flag, path)?;
        checked(kind, &content, SecretOrigin::File(path.to_owned()))
            .map(|t| OperatorToken(t.into()))
    }

    /// The token in the file at `path`, or a new one written there with
    /// mode 0600 whatever the umask (created exclusively: an existing file
    /// — or link — is never overwritten). An existing file passes the
    /// same checks as `--operator-token-file` ([`read_secret_file`]; the
    /// error names [`GENERATED_TOKEN_FILE`]). Says whether it was
    /// generated.
    pub fn load_or_generate(path: &Path) -> Result<(OperatorToken, TokenFile), SecretError> {
        let kind = SecretKind::OperatorToken;
        let write_err = |source| SecretError::Write {
            kind,
            path: path.to_owned(),
            source,
        };
        let existing = || {
            OperatorToken::from_file_named(path, GENERATED_TOKEN_FILE)
                .map(|t| (t, TokenFile::Existing))
        };
        // Anything at the path, a dangling link included, is read (and
        // checked), never replaced.
        if std::fs::symlink_metadata(path).is_ok() {
            return existing();
        }
        let token = OperatorToken::generate().map_err(write_err)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = match options.open(path) {
            Ok(f) => f,
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return existing(),
            Err(e) => return Err(write_err(e)),
        };
        // The umask may have taken bits from 0600 (0400 with umask 0277):
        // set the mode itself, before the token is written.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(write_err)?;
        }
        use std::io::Write as _;
        file.write_all(format!("{}\n", token.0).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(write_err)?;
        Ok((token, TokenFile::Generated))
    }

    /// Whether `candidate` is the token, in time independent of where they
    /// differ (the length may be learnt; the content may not).
    pub fn verify(&self, candidate: &[u8]) -> bool {
        self.0.as_bytes().ct_eq(candidate).into()
    }

    /// Whether an `Authorization` header value is `Bearer TOKEN` with this
    /// token (the scheme is case-insensitive, RFC 9110 §11.1).
    pub fn authorizes(&self, authorization: Option<&[u8]>) -> bool {
        let Some(value) = authorization else {
            return false;
        };
        let Some((scheme, rest)) = value.split_first_chunk::<7>() else {
            return false;
        };
        scheme.eq_ignore_ascii_case(b"bearer ") && self.verify(rest.trim_ascii())
    }

    /// The token, for a client that must send it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OperatorToken(***)")
    }
}

/// Whether [`OperatorToken::load_or_generate`] found the file or wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenFile {
    /// The file existed; its token is used.
    Existing,
    /// A new token was written to the file.
    Generated,
}

/// Where serve keeps a generated operator token for database `db`: next to
/// an SQLite file (`PATH.operator-token`); for PostgreSQL or an in-memory
/// database, `zeus-carrier.operator-token` in the working directory.
pub fn default_token_path(db: &str) -> PathBuf {
    let file = db
        .strip_prefix("sqlite://")
        .or_else(|| db.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(""))
        .filter(|p| !p.is_empty() && !p.starts_with(":memory:") && !db.contains("mode=memory"));
    match file {
        Some(p) => PathBuf::from(format!("{p}.operator-token")),
        None => PathBuf::from("zeus-carrier.operator-token"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    /// Writes a secret file as its owner should: mode 0600.
    fn write_secret(path: &Path, content: impl AsRef<[u8]>) {
        std::fs::write(path, content).expect("write");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    fn mode_of(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .expect("meta")
            .permissions()
            .mode()
            & 0o7777
    }

    /// Reads the secret of `kind` from the file at `path` as serve does.
    fn from_file(kind: SecretKind, path: &Path) -> Result<(), SecretError> {
        match kind {
            SecretKind::Zkey => zkey(None, Some(path)).map(drop),
            SecretKind::SigningKey => signing_key(None, Some(path)).map(drop),
            SecretKind::OperatorToken => operator_token(None, Some(path)).map(drop),
        }
    }

    const FILE_SECRET: &str = "FileSecretValue0123";

    /// The file is refused for `kind`: [`SecretError::File`] naming the
    /// flag and `rule`, never the value.
    fn assert_refused(kind: SecretKind, path: &Path, rule: &str) {
        let e = from_file(kind, path).expect_err("refused");
        let text = format!("{e} {e:?}");
        assert!(
            matches!(&e, SecretError::File { kind: k, flag, .. } if *k == kind && *flag == kind.file_flag()),
            "{text}"
        );
        assert!(text.contains(kind.file_flag()), "names the flag: {text}");
        assert!(text.contains(rule), "names the rule ({rule}): {text}");
        assert!(!text.contains(FILE_SECRET), "shows the value: {text}");
    }

    const MALFORMED: [&str; 6] = [
        "secret\n",
        "sec\tret",
        "secret\r",
        "0123456789012345678901234567890123456789X",
        "秘密の鍵",
        "",
    ];

    #[test]
    fn malformed_zkeys_are_refused_without_showing_them() {
        for bad in MALFORMED {
            let e = zkey(Some(&RawSecret::new(bad)), None).expect_err(bad);
            let text = e.to_string();
            assert!(
                text.contains("--zkey") && text.contains("1 to 40"),
                "{text}"
            );
            if !bad.is_empty() {
                assert!(!text.contains(bad.trim()), "{text}");
            }
        }
        assert!(zkey(Some(&RawSecret::new("k")), None).is_ok());
    }

    #[test]
    fn files_lose_one_trailing_newline_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("zkey");
        write_secret(&path, "file-zkey\n");
        let key = zkey(None, Some(&path)).expect("one newline is trimmed");
        assert!(key.matches(&Zkey::new("file-zkey")));
        for bad in [
            "file-zkey\n\n",
            "file-zkey\r\n",
            "file-zkey \n",
            "\tfile-zkey",
        ] {
            write_secret(&path, bad);
            let e = zkey(None, Some(&path)).expect_err(bad);
            assert!(!e.to_string().contains("file-zkey"), "{e}");
        }
        write_secret(&path, [0xff, 0xfe, b'k']);
        assert!(zkey(None, Some(&path)).is_err());
        assert!(matches!(
            zkey(Some(&RawSecret::new("k")), Some(&path)),
            Err(SecretError::Twice { .. })
        ));
        assert!(matches!(zkey(None, None), Err(SecretError::Missing { .. })));
    }

    #[test]
    fn tokens_are_generated_once_with_mode_0600_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db.operator-token");
        let (a, how) = OperatorToken::load_or_generate(&path).expect("generated");
        assert_eq!(how, TokenFile::Generated);
        assert_eq!(a.expose_secret().len(), 64);
        assert_eq!(mode_of(&path), 0o600);
        let (b, how) = OperatorToken::load_or_generate(&path).expect("reused");
        assert_eq!(how, TokenFile::Existing);
        assert!(b.verify(a.expose_secret().as_bytes()));
    }

    #[test]
    fn secret_files_that_are_links_open_to_others_or_foreign_are_refused_naming_the_flag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fit = dir.path().join("fit");
        write_secret(&fit, format!("{FILE_SECRET}\n"));
        for kind in [
            SecretKind::Zkey,
            SecretKind::SigningKey,
            SecretKind::OperatorToken,
        ] {
            // The fit file itself is read.
            from_file(kind, &fit).expect("a 0600 file of ours");
            let link = dir.path().join(format!("{kind:?}-link"));
            std::os::unix::fs::symlink(&fit, &link).expect("symlink");
            assert_refused(kind, &link, "symbolic link");
            for mode in [0o644, 0o640, 0o604, 0o666, 0o620] {
                let path = dir.path().join(format!("{kind:?}-{mode:o}"));
                write_secret(&path, format!("{FILE_SECRET}\n"));
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                    .expect("chmod");
                assert_refused(kind, &path, "readable or writable by group or others");
            }
            let ro = dir.path().join(format!("{kind:?}-0400"));
            write_secret(&ro, format!("{FILE_SECRET}\n"));
            std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o400)).expect("chmod");
            from_file(kind, &ro).expect("0400 is fine");
        }
    }

    #[test]
    fn a_secret_file_of_another_user_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("planted");
        write_secret(&path, format!("{FILE_SECRET}\n"));
        // Root can give the file away; anyone else tries a file of root's.
        let path = match std::os::unix::fs::chown(&path, Some(65534), Some(65534)) {
            Ok(()) => path,
            Err(_) => PathBuf::from("/etc/passwd"),
        };
        for kind in [
            SecretKind::Zkey,
            SecretKind::SigningKey,
            SecretKind::OperatorToken,
        ] {
            assert_refused(kind, &path, "owned by the user the process runs as");
        }
    }

    #[test]
    fn a_reused_generated_token_file_is_checked_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db.operator-token");
        write_secret(&path, format!("{FILE_SECRET}\n"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = OperatorToken::load_or_generate(&path).expect_err("0644");
        let text = e.to_string();
        assert!(
            text.contains(GENERATED_TOKEN_FILE) && text.contains("group or others"),
            "{text}"
        );
        assert!(!text.contains(FILE_SECRET), "{text}");
        // A link where the token file should be, even dangling, is refused
        // and nothing is written through it.
        let target = dir.path().join("elsewhere");
        let link = dir.path().join("link.operator-token");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let e = OperatorToken::load_or_generate(&link).expect_err("a link");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(!target.exists(), "the token was written through the link");
        // The fixed file is reused.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let (t, how) = OperatorToken::load_or_generate(&path).expect("0600");
        assert_eq!(how, TokenFile::Existing);
        assert!(t.verify(FILE_SECRET.as_bytes()));
        assert_eq!(mode_of(&path), 0o600);
    }

    #[test]
    fn bearer_headers_are_checked() {
        let t = OperatorToken::new("0123456789abcdef").expect("token");
        assert!(t.authorizes(Some(b"Bearer 0123456789abcdef")));
        assert!(t.authorizes(Some(b"bearer 0123456789abcdef")));
        assert!(!t.authorizes(Some(b"Bearer 0123456789abcdeX")));
        assert!(!t.authorizes(Some(b"Basic 0123456789abcdef")));
        assert!(!t.authorizes(Some(b"Bearer")));
        assert!(!t.authorizes(None));
        assert!(OperatorToken::new("short").is_err());
    }

    #[test]
    fn default_token_paths() {
        assert_eq!(
            default_token_path("sqlite://var/zc.db"),
            PathBuf::from("var/zc.db.operator-token")
        );
        assert_eq!(
            default_token_path("sqlite:///abs/zc.db?mode=rwc"),
            PathBuf::from("/abs/zc.db.operator-token")
        );
        for other in ["postgres://u:p@h/db", "sqlite::memory:"] {
            assert_eq!(
                default_token_path(other),
                PathBuf::from("zeus-carrier.operator-token")
            );
        }
    }
}
