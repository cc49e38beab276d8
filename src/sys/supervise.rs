//! Running a command as our child for as long as something of ours must live
//! beside it (the credential endpoint of `exec --server`): signals sent to
//! awsesh are passed on, its exit status (128+signal when killed) becomes
//! ours, and it does not outlive us.
//!
//! Two layers. `run` supervises one child: it passes signals on and returns
//! the child's status. `run_tree` is the guardian's loop (see
//! `cmd/exec.rs`): it runs CMD as a child subreaper (Linux), so every process
//! CMD leaves behind (a launcher's daemon, even after `setsid`) becomes its
//! child when orphaned, and it returns only when the last of them has gone,
//! with CMD's status. While it lives, the guardian holds a copy of the
//! endpoint's listening socket, so the port cannot be taken by anyone else
//! for as long as a process that knows the token lives. When the process
//! that serves the endpoint dies (even by SIGKILL: the pipe it held reads
//! EOF), the guardian sends SIGTERM to the whole tree — a TERM, not a KILL,
//! so that a `terraform apply` can release its state lock — and keeps the
//! port until the tree is gone.
//!
//! CMD stays in our process group: keys typed at the terminal (Ctrl-C,
//! Ctrl-\) and window size changes reach it directly, and such kernel-sent
//! signals are not passed on a second time (a second Ctrl-C makes some
//! programs abort). Once CMD has exited, signals are passed on to what it
//! left behind; a kernel-sent one only to those outside our process group
//! (the others had it already).

use std::collections::HashSet;
use std::os::unix::process::CommandExt;
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

/// Makes the child die with SIGTERM when we do (Linux) and gives it an
/// empty signal mask (ours blocks the forwarded signals).
fn die_with_us(command: &mut Command) {
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
}

fn spawn(command: &mut Command, program: &str) -> Result<libc::pid_t> {
    let child = command.spawn().map_err(|source| Error::Exec {
        program: program.to_string(),
        source,
    })?;
    libc::pid_t::try_from(child.id())
        .map_err(|_| Error::Other("the command's pid is out of range".into()))
}

/// Spawns `command`, passes signals on until it ends, and returns its exit
/// status as a shell reports it. The child is the guardian: it keeps our
/// blocked signals (it takes them with sigwait itself, so none is lost
/// before it starts) and is not told of our death by a signal but by the
/// pipe (a signal would reach CMD a second time).
pub fn run(mut command: Command, program: &str, signals: Signals) -> Result<i32> {
    let pid = spawn(&mut command, program)?;

    // Set (under the lock) once the child has exited but before it is
    // reaped, so a signal is never sent to a pid that could be someone else's.
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

    loop {
        match wait_any(libc::P_PID, pid) {
            Waited::Exited(_) | Waited::NoChild => break,
            Waited::Interrupted => {}
        }
    }
    *exited.lock().unwrap_or_else(|e| e.into_inner()) = true;
    Ok(reap(pid).unwrap_or(1))
}

/// What the guardian knows of the tree; every change and every signal sent
/// happens under its lock, and children are reaped only under it, so a pid
/// signalled is always our own unreaped child.
struct Tree {
    /// CMD's pid until it is reaped.
    command: Option<libc::pid_t>,
    /// Children already sent SIGTERM because the server died.
    terminated: HashSet<libc::pid_t>,
}

/// Runs `command` as the root of a tree of processes that all must end
/// before we do (see the module comment); `server_alive` is the read end of
/// a pipe whose write end only the serving process holds. Returns CMD's
/// status as a shell reports it, once the last process of the tree is gone.
pub fn run_tree(
    mut command: Command,
    program: &str,
    signals: Signals,
    server_alive: std::fs::File,
) -> Result<i32> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with an integer argument changes only this process.
        if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) } != 0 {
            return Err(Error::io(
                "cannot keep the command's processes as children (PR_SET_CHILD_SUBREAPER)",
                std::io::Error::last_os_error(),
            ));
        }
    }
    die_with_us(&mut command);
    let pid = spawn(&mut command, program)?;
    let tree = Arc::new(Mutex::new(Tree {
        command: Some(pid),
        terminated: HashSet::new(),
    }));

    let forwarder = Arc::clone(&tree);
    let _ = std::thread::Builder::new()
        .name("awsesh-signals".into())
        .spawn(move || {
            // SAFETY: getpgrp cannot fail.
            let our_group = unsafe { libc::getpgrp() };
            while let Some((signal, from_process)) = signals.wait() {
                let tree = forwarder.lock().unwrap_or_else(|e| e.into_inner());
                match tree.command {
                    // SAFETY: `command` is our unreaped child.
                    Some(command) if from_process => unsafe {
                        libc::kill(command, signal);
                    },
                    Some(_) => {}
                    None => {
                        for (child, group) in children() {
                            if from_process || group != our_group {
                                // SAFETY: a child of ours, unreaped (we hold the lock).
                                unsafe { libc::kill(child, signal) };
                            }
                        }
                    }
                }
            }
        });

    let watcher = Arc::clone(&tree);
    let _ = std::thread::Builder::new()
        .name("awsesh-server-watch".into())
        .spawn(move || {
            // Returns only at EOF (or on an error): the server is gone.
            let _ = std::io::Read::read(&mut &server_alive, &mut [0u8; 1]);
            loop {
                {
                    let mut tree = watcher.lock().unwrap_or_else(|e| e.into_inner());
                    // CMD itself too where /proc cannot list our children.
                    let mut pids: Vec<libc::pid_t> = children().iter().map(|c| c.0).collect();
                    pids.extend(tree.command.filter(|c| !pids.contains(c)));
                    for child in pids {
                        if tree.terminated.insert(child) {
                            // SAFETY: a child of ours, unreaped (we hold the lock).
                            unsafe { libc::kill(child, libc::SIGTERM) };
                        }
                    }
                }
                // Orphans of the tree become our children as their parents exit.
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
        });

    let (which, id) = if cfg!(target_os = "linux") {
        (libc::P_ALL, 0)
    } else {
        (libc::P_PID, pid)
    };
    let mut status = None;
    loop {
        let child = match wait_any(which, id) {
            Waited::Exited(child) => child,
            Waited::Interrupted => continue,
            Waited::NoChild => break,
        };
        let mut tree = tree.lock().unwrap_or_else(|e| e.into_inner());
        let code = reap(child);
        tree.terminated.remove(&child);
        if tree.command == Some(child) {
            tree.command = None;
            status = code;
        }
    }
    Ok(status.unwrap_or(1))
}

enum Waited {
    Exited(libc::pid_t),
    Interrupted,
    NoChild,
}

/// Waits until a child (`P_ALL`) or the one child `id` has exited, leaving it
/// unreaped (WNOWAIT).
fn wait_any(which: libc::idtype_t, id: libc::pid_t) -> Waited {
    // SAFETY: waitid fills `info`; WNOWAIT leaves the child to reap.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let rc = unsafe {
        libc::waitid(
            which,
            id as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT,
        )
    };
    if rc == 0 {
        // SAFETY: waitid succeeded, so `info` describes a child.
        return Waited::Exited(unsafe { info.si_pid() });
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EINTR) => Waited::Interrupted,
        _ => Waited::NoChild,
    }
}

/// Reaps the exited child `pid`; its status as a shell reports it.
fn reap(pid: libc::pid_t) -> Option<i32> {
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: waitpid stores the status of our own exited child.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            break;
        }
        if rc < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        return None;
    }
    if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        Some(128 + libc::WTERMSIG(status))
    } else {
        None
    }
}

/// Our children (pid, process group), from /proc (Linux; none elsewhere).
fn children() -> Vec<(libc::pid_t, libc::pid_t)> {
    // SAFETY: getpid cannot fail.
    let me = unsafe { libc::getpid() };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(|pid: libc::pid_t| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name (field 2) may hold spaces and parentheses:
            // count after its closing parenthesis (state, ppid, pgrp).
            let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().skip(1);
            let parent: libc::pid_t = fields.next()?.parse().ok()?;
            let group: libc::pid_t = fields.next()?.parse().ok()?;
            (parent == me).then_some((pid, group))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::zombie_processes)] // reaped by `reap`, the code under test
    fn a_child_is_listed_until_reaped_and_its_status_read_as_a_shell_does() {
        let exits = Command::new("sh").args(["-c", "exit 5"]).spawn().unwrap();
        let killed = Command::new("sleep").arg("30").spawn().unwrap();
        let (exits, killed) = (exits.id() as libc::pid_t, killed.id() as libc::pid_t);
        if cfg!(target_os = "linux") {
            let listed: Vec<libc::pid_t> = children().iter().map(|c| c.0).collect();
            assert!(
                listed.contains(&exits) && listed.contains(&killed),
                "{listed:?}"
            );
        }
        // SAFETY: our own child.
        unsafe { libc::kill(killed, libc::SIGKILL) };
        assert!(matches!(wait_any(libc::P_PID, exits), Waited::Exited(p) if p == exits));
        assert_eq!(reap(exits), Some(5));
        assert_eq!(reap(killed), Some(128 + libc::SIGKILL));
        assert!(!children().iter().any(|c| c.0 == exits || c.0 == killed));
        assert_eq!(reap(exits), None, "already reaped");
    }
}
