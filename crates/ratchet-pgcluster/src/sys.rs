//! The few libc calls std has no safe wrapper for. This module is the crate's whole unsafe
//! surface; each call has no memory-safety preconditions beyond the ones stated.

/// Whether initdb and postgres would refuse to run as us.
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    #[allow(unsafe_code)] // std exposes no euid.
    let euid = unsafe { libc::geteuid() };
    euid == 0
}

/// The uid and gid of a named OS user, via NSS (so LDAP and other non-/etc/passwd users
/// work too).
pub fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let name = std::ffi::CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: an all-zero passwd (null pointers, zero ids) is a valid value that getpwnam_r
    // overwrites.
    #[allow(unsafe_code)] // zero-initialising a plain C struct for getpwnam_r to fill.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // The reentrant variant: other threads of the caller may use the static-buffer one.
    // SAFETY: every pointer refers to a live local of the stated size; the strings the struct
    // ends up pointing into live in `buf`, and only the integer fields are read.
    #[allow(unsafe_code)] // std has no user lookup.
    let rc = unsafe {
        libc::getpwnam_r(
            name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then_some((pwd.pw_uid, pwd.pw_gid))
}

/// Sends SIGQUIT, which a postmaster takes as "immediate shutdown": it kills its backends
/// and exits without a checkpoint. `pid` must be our own unreaped child, so that it cannot
/// have been reused by an unrelated process.
pub fn send_sigquit(pid: u32) -> std::io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(std::io::Error::other)?;
    // SAFETY: kill takes plain integers and has no memory-safety preconditions.
    #[allow(unsafe_code)] // std can only send SIGKILL (Child::kill).
    let rc = unsafe { libc::kill(pid, libc::SIGQUIT) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Runs `f` when the process exits normally (main returns, or `std::process::exit`).
pub fn register_atexit(f: extern "C" fn()) {
    // SAFETY: `f` is a plain function that neither unwinds nor calls exit.
    #[allow(unsafe_code)] // std has no exit hooks.
    let _ = unsafe { libc::atexit(f) };
}
