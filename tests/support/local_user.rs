//! A second local user, created for one test and removed after it: the
//! attacker of the loopback credential endpoint. Needs root (CI runs as
//! root), `useradd`/`userdel` and `setpriv` (util-linux), and a Python the
//! new user may run (`/usr/bin/python3`). Without them the test skips
//! loudly, or fails under AWSESH_TEST_REQUIRE_ALL=1.

use std::process::Command;
use std::time::Duration;

use super::{missing, output_within};

/// The Python the second user runs: root's pyenv shims are not theirs.
pub const SYSTEM_PYTHON: &str = "/usr/bin/python3";

pub struct LocalUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl LocalUser {
    /// A new user with no home and no login shell; None (after a loud skip)
    /// when this cannot be done here.
    pub fn create() -> Option<LocalUser> {
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            missing("root, to create a second local user (useradd)");
            return None;
        }
        for tool in ["useradd", "userdel", "setpriv"] {
            if super::which(tool).is_none()
                && !std::path::Path::new(&format!("/usr/sbin/{tool}")).exists()
            {
                missing(&format!("{tool} (apt-get install passwd util-linux)"));
                return None;
            }
        }
        if !std::path::Path::new(SYSTEM_PYTHON).exists() {
            missing("/usr/bin/python3 (apt-get install python3), run as the second user");
            return None;
        }
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("awseshatk{}x{n}", std::process::id());
        let out = output_within(
            Command::new("useradd").args([
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                &name,
            ]),
            Duration::from_secs(30),
        );
        assert!(
            out.status.success(),
            "useradd {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Removed on drop from here on, even if reading its ids fails.
        let mut user = LocalUser {
            name,
            uid: 0,
            gid: 0,
        };
        user.uid = user.id("-u");
        user.gid = user.id("-g");
        assert_ne!(user.uid, 0, "the second user is not root");
        Some(user)
    }

    fn id(&self, flag: &str) -> u32 {
        let out = output_within(
            Command::new("id").args([flag, &self.name]),
            Duration::from_secs(10),
        );
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("id {flag} {}: {:?}", self.name, out))
    }

    /// `program` run as this user (no supplementary groups, a clean
    /// environment, in /).
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("setpriv");
        cmd.arg(format!("--reuid={}", self.uid))
            .arg(format!("--regid={}", self.gid))
            .args(["--clear-groups", "--", program])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
            .current_dir("/");
        cmd
    }

    /// A Python script run as this user, with `args`.
    pub fn python(&self, script: &str, args: &[&str]) -> Command {
        let mut cmd = self.command(SYSTEM_PYTHON);
        cmd.args(["-c", script]).args(args);
        cmd
    }
}

impl Drop for LocalUser {
    fn drop(&mut self) {
        // The tests wait for (or kill, by pid) every process they start as
        // this user, so none is left to keep userdel from removing it.
        let out = output_within(
            Command::new("userdel").arg(&self.name),
            Duration::from_secs(30),
        );
        if !out.status.success() {
            super::note(&format!(
                "userdel {} failed: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
}
