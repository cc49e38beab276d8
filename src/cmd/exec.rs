//! `awsesh exec [--profile P] [--server] CMD…`.
//!
//! Plain: replace ourselves with CMD, the session in its environment, so its
//! exit status and signals are its own. `--server`: CMD gets no keys, only
//! the address and token of a loopback credential endpoint that lives as long
//! as CMD and every process it leaves behind, and renews what it serves (see
//! `server/`).
//!
//! The processes of `--server` (issue 20): awsesh serves the endpoint and
//! runs a guardian, itself re-executed, which runs CMD as a child subreaper
//! and ends only when the last process of CMD's tree has gone
//! (`sys/supervise.rs`). The guardian holds a copy of the listening socket,
//! so that if awsesh is killed, even by SIGKILL, the port stays ours (and
//! unanswered) until the tree, sent SIGTERM, is gone: no process that holds
//! the token can ever reach a port another local user has bound.

use std::ffi::OsString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use crate::cli::ExecArgs;
use crate::server::{Endpoint, child_config, registry, source::Source};
use crate::session::refresh::{self, Request};
use crate::store::{Store, file};
use crate::sys::error::{Error, Result};

pub fn run(args: ExecArgs) -> Result<ExitCode> {
    // No command: the user's shell, with the session (as aws-vault does).
    let shell = user_shell();
    let (program, rest) = args.command.split_first().unwrap_or((&shell, &[]));
    let profile = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
    if args.server {
        return run_server(&profile, args.code.token_code, program, rest);
    }
    let store = Store::open()?;
    let session = crate::session::with_region(refresh::ensure(
        &store,
        &Request::reuse(&profile, args.code.token_code.as_deref()),
    )?);
    let mut command = std::process::Command::new(program);
    crate::session::child_env::give_to_program(command.args(rest), &session);
    let source = command.exec();
    Err(Error::Exec {
        program: program.to_string_lossy().into_owned(),
        source,
    })
}

/// `$SHELL` when it names a program, else `/bin/sh`: what a login gives a
/// user who has not chosen.
fn user_shell() -> OsString {
    std::env::var_os("SHELL")
        .filter(|shell| !shell.is_empty())
        .unwrap_or_else(|| "/bin/sh".into())
}

fn run_server(
    profile: &str,
    token_code: Option<String>,
    program: &OsString,
    rest: &[OsString],
) -> Result<ExitCode> {
    // A code given for the start is used once: the background refreshes must
    // not send it again (AWS rejects a reused code), nor must CMD see it.
    let code = token_code
        .or_else(|| std::env::var("AWSESH_MFA_CODE").ok())
        .or_else(|| std::env::var("TOTP_CODE").ok());
    // SAFETY: no other thread exists yet (nothing before this point starts one).
    unsafe {
        std::env::remove_var("AWSESH_MFA_CODE");
        std::env::remove_var("TOTP_CODE");
    }
    let store = Store::open()?;
    // Start with a full session: the terminal may be asked now, never later.
    refresh::ensure(
        &store,
        &Request {
            token_code: code.as_deref(),
            ..Request::serve(profile, true)
        },
    )?;

    let config_text = child_config::filtered_config(profile)?;
    // Only we hold the write end: the guardian reads EOF when we are gone.
    let (server_alive, server_alive_writer) = pipe()?;
    // Blocked before any thread starts, so that every thread inherits the mask.
    let signals = crate::sys::supervise::Signals::block();
    let endpoint = Endpoint::start(Source::start(profile)?)?;
    let config = registry::companion_path(&store, std::process::id(), "config");
    // Registered first: the entry removes the config file when it goes.
    let _entry = registry::register(&store, endpoint.port, profile, vec![config.clone()])?;
    file::write_atomic(&config, config_text.as_bytes())?;

    let (remove, set) =
        child_config::command_env(profile, &config, &endpoint.uri(), endpoint.token.expose());
    let mut command = guardian_command(&endpoint.guard_socket, &server_alive);
    command.arg(program).args(rest);
    for name in remove {
        command.env_remove(name);
    }
    command.envs(set);
    let status = crate::sys::supervise::run(command, "awsesh (the endpoint's guardian)", signals)?;
    drop(server_alive_writer);
    Ok(ExitCode::from(u8::try_from(status).unwrap_or(1)))
}

/// The first argument that makes awsesh the guardian of `exec --server`
/// (never typed by a user; it needs the two descriptors below).
const GUARDIAN: &str = "__exec-server-guardian";
/// Where the guardian finds its copy of the endpoint's listening socket, and
/// the read end of the pipe that tells it the server is alive.
const GUARD_SOCKET_FD: RawFd = 3;
const SERVER_ALIVE_FD: RawFd = 4;

/// A pipe, both ends close-on-exec.
fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2/pipe fill the two descriptors, which we then own.
    #[cfg(target_os = "linux")]
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    // No pipe2 (macOS): no other thread spawns a process yet, so setting the
    // flag right after cannot leak the descriptors.
    #[cfg(not(target_os = "linux"))]
    let rc = unsafe {
        let rc = libc::pipe(fds.as_mut_ptr());
        for fd in fds {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
        rc
    };
    if rc != 0 {
        return Err(Error::io(
            "cannot start the credential endpoint's guardian",
            std::io::Error::last_os_error(),
        ));
    }
    let [read, write] = fds;
    // SAFETY: both descriptors are new and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(read), OwnedFd::from_raw_fd(write)) })
}

/// `awsesh __exec-server-guardian --` (CMD and its arguments to follow) with
/// the socket and the pipe's read end on their descriptors.
fn guardian_command(socket: &OwnedFd, server_alive: &OwnedFd) -> std::process::Command {
    // The running binary, even if it was replaced on disk since.
    let exe = if cfg!(target_os = "linux") {
        std::path::PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe().unwrap_or_else(|_| "awsesh".into())
    };
    let mut command = std::process::Command::new(exe);
    command.arg0("awsesh").args([GUARDIAN, "--"]);
    let (socket, server_alive) = (socket.as_raw_fd(), server_alive.as_raw_fd());
    // SAFETY: runs in the forked child before exec and calls only fcntl and
    // dup2. Copies above 10 first (closed at exec), so that placing one
    // cannot overwrite the other; dup2 clears close-on-exec on the targets.
    unsafe {
        command.pre_exec(move || {
            let socket = libc::fcntl(socket, libc::F_DUPFD_CLOEXEC, 10);
            let alive = libc::fcntl(server_alive, libc::F_DUPFD_CLOEXEC, 10);
            if socket < 0
                || alive < 0
                || libc::dup2(socket, GUARD_SOCKET_FD) < 0
                || libc::dup2(alive, SERVER_ALIVE_FD) < 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

/// When this process was started as the guardian: runs CMD to the end of
/// its tree and returns the exit status (see the module comment).
pub fn guard_if_asked() -> Option<ExitCode> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != GUARDIAN {
        return None;
    }
    let result = match (args.next(), args.next()) {
        (Some(dashes), Some(program)) if dashes == "--" => {
            guard(&program, &args.collect::<Vec<_>>())
        }
        _ => Err(Error::Other(format!(
            "`{GUARDIAN}` is internal to `awsesh exec --server`; run that instead"
        ))),
    };
    Some(match result {
        Ok(code) => code,
        Err(err) => {
            crate::sys::text::say(&err.to_string());
            ExitCode::from(err.exit_code())
        }
    })
}

fn guard(program: &OsString, rest: &[OsString]) -> Result<ExitCode> {
    // The signals are blocked already (awsesh's mask, kept across exec), so
    // none sent before this point is lost; this names the set to take.
    let signals = crate::sys::supervise::Signals::block();
    if !has_type(GUARD_SOCKET_FD, libc::S_IFSOCK) || !has_type(SERVER_ALIVE_FD, libc::S_IFIFO) {
        return Err(Error::Other(format!(
            "`{GUARDIAN}` is internal to `awsesh exec --server`; run that instead"
        )));
    }
    // CMD inherits neither: the socket stays open here, unused, until we exit.
    for fd in [GUARD_SOCKET_FD, SERVER_ALIVE_FD] {
        // SAFETY: fcntl on a descriptor checked above.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // SAFETY: the descriptor was checked above and nothing else owns it.
    let server_alive = unsafe { std::fs::File::from_raw_fd(SERVER_ALIVE_FD) };
    let mut command = std::process::Command::new(program);
    command.args(rest);
    let status = crate::sys::supervise::run_tree(
        command,
        &program.to_string_lossy(),
        signals,
        server_alive,
    )?;
    Ok(ExitCode::from(u8::try_from(status).unwrap_or(1)))
}

/// Whether `fd` is open and of the file type `kind` (S_IFSOCK, S_IFIFO).
fn has_type(fd: RawFd, kind: libc::mode_t) -> bool {
    // SAFETY: fstat fills `stat` for an open descriptor, or fails.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    unsafe { libc::fstat(fd, &mut stat) == 0 && stat.st_mode & libc::S_IFMT == kind }
}
