//! Ctrl-C during a refresh. A SIGINT handler (installed without SA_RESTART)
//! only records the request; every wait of a refresh — the terminal prompt,
//! a child process, the lock, an STS call — checks it and ends the refresh
//! with `Error::Cancelled` (exit 130), saving nothing.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::sys::error::{Error, Result};

static REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Catches SIGINT from now on (once per process). Without SA_RESTART, a
/// blocking `flock` or `read` returns EINTR, so no wait outlives a Ctrl-C.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a zeroed sigaction with a plain handler that only stores
        // to an atomic is valid and async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigint as *const () as usize;
            action.sa_flags = 0;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
        }
    });
}

/// Whether the user pressed Ctrl-C.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// `Err(Cancelled)` once Ctrl-C was pressed.
pub fn check() -> Result<()> {
    if requested() {
        Err(Error::Cancelled)
    } else {
        Ok(())
    }
}

/// Runs `work` until it ends or Ctrl-C is pressed, whichever comes first; a
/// cancelled call is dropped (its connection closed), so nothing it would
/// have returned is saved.
pub async fn or_cancel<T>(work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let watch = async {
        loop {
            if requested() {
                return Err(Error::Cancelled);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    };
    tokio::select! {
        biased;
        cancelled = watch => cancelled,
        done = work => done,
    }
}
