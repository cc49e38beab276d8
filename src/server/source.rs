//! Where the endpoint's answers come from: the shared session store, through
//! the refresh protocol with no terminal (`Request::serve(profile, false)`),
//! so a role is renewed silently, a session another terminal started is
//! served at once, and `mfa_process` or the desktop prompt are used when
//! configured. One refresh runs at a time (a worker thread); a request that
//! arrives meanwhile joins it, and when it takes long (a code being typed in
//! a dialog) the still-valid session is served without waiting.
//!
//! When no code can be had, the server never prompts: it tells the user once
//! to run `awsesh login` in any terminal and serves the new session as soon
//! as the store holds one (every request re-reads the store).

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::aws::profile::Profile;
use crate::mfa::desktop;
use crate::session::kind::Kind;
use crate::session::refresh::{self, Request};
use crate::store::Store;
use crate::store::session::Session;
use crate::sys::duration::time_left;
use crate::sys::error::Error;
use crate::sys::text::printable;

/// How long a request waits for the refresh it joined before it is answered
/// with the still-valid session (SDKs give up on the endpoint after 2 s).
const JOIN_WAIT: Duration = Duration::from_millis(1000);
/// How much longer it waits when there is no valid session to fall back on.
const EMPTY_WAIT: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub enum Answer {
    Credentials(Session),
    /// No valid session: a one-line reason with what to do.
    Unavailable(String),
}

/// What the user was last told, so each state is told once.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Told {
    Lapsing,
    Gone,
    Failing,
}

#[derive(Default)]
struct State {
    /// A request is waiting for the worker to start a round.
    requested: bool,
    running: bool,
    /// Rounds finished so far.
    finished: u64,
    last: Option<Answer>,
    told: Option<Told>,
}

pub struct Source {
    profile: String,
    store: Store,
    state: Mutex<State>,
    changed: Condvar,
}

impl Source {
    /// Starts the worker that runs refreshes for `profile`.
    pub fn start(profile: &str) -> crate::sys::error::Result<Arc<Source>> {
        let source = Arc::new(Source {
            profile: profile.to_string(),
            store: Store::open()?,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let worker = Arc::clone(&source);
        std::thread::Builder::new()
            .name("awsesh-refresh".into())
            .spawn(move || worker.work())
            .map_err(|e| Error::io("cannot start the credential server", e))?;
        Ok(source)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The credentials to serve now.
    pub fn answer(&self) -> Answer {
        let mut state = self.lock();
        // The round under way (or the next one) is the one we wait for.
        let target = state.finished + 1;
        if !state.running {
            state.requested = true;
            self.changed.notify_all();
        }
        state = self.wait_for(state, target, JOIN_WAIT);
        if state.finished >= target
            && let Some(answer) = &state.last
        {
            return answer.clone();
        }
        drop(state);
        if let Some(session) = self.still_valid() {
            return Answer::Credentials(session);
        }
        let state = self.wait_for(self.lock(), target, EMPTY_WAIT);
        match &state.last {
            Some(answer) if state.finished >= target => answer.clone(),
            _ => Answer::Unavailable(format!(
                "a new session for profile `{}` is being started (an MFA code may be asked for); try again in a moment",
                printable(&self.profile)
            )),
        }
    }

    fn wait_for<'a>(
        &self,
        state: MutexGuard<'a, State>,
        target: u64,
        wait: Duration,
    ) -> MutexGuard<'a, State> {
        self.changed
            .wait_timeout_while(state, wait, |s| s.finished < target)
            .map(|(state, _)| state)
            .unwrap_or_else(|e| e.into_inner().0)
    }

    fn work(&self) {
        loop {
            let mut state = self.lock();
            while !state.requested {
                state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            state.requested = false;
            state.running = true;
            drop(state);

            let (answer, notice) = self.round();

            let mut state = self.lock();
            state.finished += 1;
            state.running = false;
            state.last = Some(answer);
            let kind = notice.as_ref().map(|(kind, _)| *kind);
            let news = kind != state.told;
            state.told = kind;
            self.changed.notify_all();
            drop(state);
            // Outside the lock: a terminal that blocks (Ctrl-S) must not stall requests.
            if news && let Some((_, line)) = notice {
                tell(&line);
            }
        }
    }

    /// One pass of the refresh protocol, and what the user should be told.
    fn round(&self) -> (Answer, Option<(Told, String)>) {
        let profile = printable(&self.profile);
        let login = format!("`awsesh login --profile {profile}` (or any `aws` command)");
        match refresh::ensure(&self.store, &Request::serve(&self.profile, false)) {
            Ok(session) => {
                // Told whether or not this round renewed what is served: a
                // chained role renews while its source runs out.
                let notice = self.lapsing().map(|(whose, left)| {
                    let line = format!(
                        "awsesh: {whose} ends in {left} and needs an MFA code to renew; run {login} in any terminal and this command picks the new session up"
                    );
                    (Told::Lapsing, line)
                });
                (Answer::Credentials(session), notice)
            }
            Err(error) => {
                let reason = printable(&error.to_string());
                let failing = (
                    Told::Failing,
                    format!("awsesh: cannot renew the credentials for profile {profile}: {reason}"),
                );
                match (self.still_valid(), error) {
                    // STS unreachable or the like: what is still valid is
                    // better than nothing.
                    (Some(session), _) => (Answer::Credentials(session), Some(failing)),
                    (None, Error::NoTerminal { .. }) => {
                        let line = format!(
                            "awsesh: no valid session for profile {profile}; run {login} in any terminal and this command picks the new session up"
                        );
                        let answer = Answer::Unavailable(format!(
                            "no valid session for profile `{profile}`; run `awsesh login --profile {profile}` in any terminal"
                        ));
                        (answer, Some((Told::Gone, line)))
                    }
                    (None, _) => (Answer::Unavailable(reason), Some(failing)),
                }
            }
        }
    }

    /// When the session whose renewal needs an MFA code — the profile's own,
    /// or for a chained role its source's (the role itself renews silently
    /// from it) — is valid but due for renewal (as the refresh protocol
    /// serving it counts), and nothing can give a code without a terminal:
    /// whose session it is, and the time it has left.
    fn lapsing(&self) -> Option<(String, String)> {
        let profile = Profile::load(&self.profile).ok()?;
        let kind = Kind::for_profile(profile, None).ok()?;
        let needing = kind.needing_code()?;
        let name = needing.profile().name.as_str();
        if needing.mfa_process().is_some() || desktop::opted_in(needing.profile(), &self.profile) {
            return None;
        }
        let session = self
            .store
            .load(name)
            .ok()
            .flatten()
            .filter(|s| needing.matches(s))?;
        let now = crate::sys::clock::now();
        let left = session.seconds_left(now);
        let due = refresh::margin_secs()
            .unwrap_or(refresh::DEFAULT_MARGIN_SECS)
            .max(refresh::SERVE_WINDOW_SECS.min(needing.duration() / 2));
        if left <= 0 || session.is_fresh(now, due) {
            return None;
        }
        let whose = if name == self.profile {
            format!("the session for profile {}", printable(name))
        } else {
            format!(
                "the MFA session of profile {} (the source of {})",
                printable(name),
                printable(&self.profile)
            )
        };
        Some((whose, time_left(left)))
    }

    fn still_valid(&self) -> Option<Session> {
        self.store
            .load(&self.profile)
            .ok()
            .flatten()
            .filter(|s| s.seconds_left(crate::sys::clock::now()) > 0)
    }
}

/// One line on the terminal CMD runs in (else awsesh's stderr).
fn tell(line: &str) {
    match crate::sys::terminal::open_tty() {
        Some(mut tty) => {
            let _ = writeln!(tty, "{line}");
        }
        None => eprintln!("{line}"),
    }
}
