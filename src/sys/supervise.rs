//! Running a command as our child for as long as something of ours must live
//! beside it (the credential endpoint of `exec --server`): signals sent to
//! awsesh are passed on, its exit status (128+signal when killed) becomes
//! ours, and it does not outlive us.
//!
//! Design: CMD is the child, the endpoint lives in awsesh's own threads. So
//! when CMD ends, awsesh exits and the endpoint is gone with it; when awsesh
//! is killed (even with SIGKILL), the endpoint is gone with it too, and on
//! Linux CMD gets SIGTERM from the kernel (PR_SET_PDEATHSIG) — a TERM, not a
//! KILL, so that a `terraform apply` can release its state lock. CMD stays in
//! our process group: keys typed at the terminal (Ctrl-C, Ctrl-\) and window
//! size changes reach it directly, and such kernel-sent signals are not
//! passed on a second time (a second Ctrl-C makes some programs abort).

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::sys::error::{Error, Result};

/// The signals passed on to the command.
const FORWARDED: [libc::c_int; 7] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
];

/// The forwarded signals, blocked in this thread and in every thread it
/// starts afterwards, so that only the forwarding thread takes them.
pub struct Signals {
    set: libc::sigset_t,
}

impl Signals {
    /// Blocks the forwarded signals. Call before starting any thread.
    pub fn block() -> Signals {
        // SAFETY: the set is initialised by sigemptyset before use, and
        // pthread_sigmask only changes this thread's mask.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for signal in FORWARDED {
                libc::sigaddset(&mut set, signal);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            Signals { set }
        }
    }

    /// Waits for one of the signals; the bool says whether it came from
    /// another process (a `kill`), rather than from the terminal driver,
    /// which sends it to the whole foreground process group, CMD included.
    fn wait(&self) -> Option<(libc::c_int, bool)> {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: sigwaitinfo fills `info` for a signal in our set.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            let signal = unsafe { libc::sigwaitinfo(&self.set, &mut info) };
            (signal > 0).then_some((signal, info.si_code != libc::SI_KERNEL))
        }
        #[cfg(not(target_os = "linux"))]
        {
            let mut signal: libc::c_int = 0;
            // SAFETY: sigwait stores the signal taken from our set.
            let rc = unsafe { libc::sigwait(&self.set, &mut signal) };
            (rc == 0).then_some((signal, true))
        }
    }
}

/// Spawns `command`, passes signals on until it ends, and returns its exit
/// status as a shell reports it.
pub fn run(mut command: Command, program: &str, signals: Signals) -> Result<i32> {
    // SAFETY: getpid cannot fail.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the forked child before exec and calls only
    // async-signal-safe functions (prctl, getppid, sigprocmask).
    unsafe {
        command.pre_exec(move || {
            #[cfg(target_os = "linux")]
            {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // We died before the line above: nobody would stop CMD.
                if libc::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
            }
            #[cfg(not(target_os = "linux"))]
            let _ = parent;
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|source| Error::Exec {
        program: program.to_string(),
        source,
    })?;
    let Ok(pid) = libc::pid_t::try_from(child.id()) else {
        return Err(Error::Other("the command's pid is out of range".into()));
    };

    // Set (under the lock) once CMD has exited but before it is reaped, so a
    // signal is never sent to a pid that could belong to someone else.
    let exited = Arc::new(Mutex::new(false));
    let forwarder = Arc::clone(&exited);
    let _ = std::thread::Builder::new()
        .name("awsesh-signals".into())
        .spawn(move || {
            while let Some((signal, from_process)) = signals.wait() {
                let exited = forwarder.lock().unwrap_or_else(|e| e.into_inner());
                if !*exited && from_process {
                    // SAFETY: `pid` is our unreaped child.
                    unsafe { libc::kill(pid, signal) };
                }
            }
        });

    wait_exited(pid);
    *exited.lock().unwrap_or_else(|e| e.into_inner()) = true;
    let status = child
        .wait()
        .map_err(|e| Error::io("cannot wait for the command", e))?;
    Ok(status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1))
}

/// Waits until `pid` has exited, leaving it unreaped (WNOWAIT).
fn wait_exited(pid: libc::pid_t) {
    loop {
        // SAFETY: waitid fills `info`; WNOWAIT leaves the child to reap.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}
