//! Secret files as the suites need them: written as their owner should
//! (mode 0600, which `zeus-carrier serve` requires, INTERFACES §3), or
//! made unfit on purpose (a mode, a link, another owner).

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// The uid files are given to when a test needs a file of another user
/// (`nobody` on Debian and most others).
pub const OTHER_UID: u32 = 65534;

/// Writes `content` to `path` with mode 0600.
pub fn write_secret(path: &Path, content: impl AsRef<[u8]>) {
    std::fs::write(path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    chmod(path, 0o600);
}

/// Sets the permission bits of `path`.
pub fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

/// The permission bits of `path` (not following a final link).
pub fn mode_of(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// Gives `path` to [`OTHER_UID`]; `false` when this process may not (it
/// is not root).
pub fn give_away(path: &Path) -> bool {
    std::os::unix::fs::chown(path, Some(OTHER_UID), Some(OTHER_UID)).is_ok()
}
