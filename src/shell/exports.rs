//! The lines `eval` runs in a shell: exports of a session, unsets, and the
//! hook's private variables. Variable names come from a fixed list; every
//! value goes through `quote`. bash and zsh expand aliases in what `eval`
//! parses, so builtins are called as `\builtin NAME`, which neither an alias
//! nor a function of that name can take over.

use super::Shell;
use crate::shell::quote;
use crate::store::session::Session;

/// Every variable awsesh exports, and so the ones it unsets.
pub const EXPORTED: [&str; 5] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWSESH_PROFILE",
];

/// The hook's record of what awsesh exported, dropped with the exports: the
/// key id (so the hook notices keys unset or replaced by hand) and the
/// profile's region (which children get in place of `AWS_PROFILE`).
pub const RECORDED: [&str; 3] = ["_AWSESH_EXP", "_AWSESH_KEY", "_AWSESH_REGION"];

pub struct Lines {
    shell: Shell,
    out: String,
    /// nushell has no `eval`: its lines are one JSON record,
    /// `{"set": {NAME: value}, "unset": [NAME]}`, that the script applies
    /// with `hide-env` and `load-env` — data, never code.
    nu_set: serde_json::Map<String, serde_json::Value>,
    nu_unset: Vec<&'static str>,
}

impl Lines {
    pub fn new(shell: Shell) -> Self {
        Lines {
            shell,
            out: String::new(),
            nu_set: serde_json::Map::new(),
            nu_unset: Vec::new(),
        }
    }

    pub fn export(&mut self, name: &'static str, value: &str) -> &mut Self {
        if self.shell == Shell::Nushell {
            return self.nu_set(name, value);
        }
        let value = quote::for_shell(self.shell, value);
        match self.shell {
            Shell::Bash | Shell::Zsh => self
                .out
                .push_str(&format!("\\builtin export {name}={value};\n")),
            // POSIX sh has no `builtin`; `export` and `unset` are special
            // builtins, which no function can replace, and the backslash
            // keeps an alias of the name from expanding.
            Shell::Posix => self.out.push_str(&format!("\\export {name}={value};\n")),
            Shell::Fish => self.out.push_str(&format!("set -gx {name} {value};\n")),
            // Taken above: JSON, not lines.
            Shell::Nushell => {}
            // tcsh has no way around an alias of a builtin: quoted, the
            // name is looked up as a program.
            Shell::Tcsh => self.out.push_str(&format!("setenv {name} {value};\n")),
        }
        self
    }

    /// A global shell variable that is not exported to children.
    pub fn set_private(&mut self, name: &'static str, value: &str) -> &mut Self {
        // nushell: every variable of `$env` is exported; the hook's own are
        // named `_AWSESH_*` and hold no secret.
        if self.shell == Shell::Nushell {
            return self.nu_set(name, value);
        }
        let value = quote::for_shell(self.shell, value);
        match self.shell {
            Shell::Bash | Shell::Zsh | Shell::Posix => {
                self.out.push_str(&format!("{name}={value};\n"))
            }
            Shell::Fish => self.out.push_str(&format!("set -g {name} {value};\n")),
            // Taken above: JSON, not lines.
            Shell::Nushell => {}
            Shell::Tcsh => self.out.push_str(&format!("set {name} = {value};\n")),
        }
        self
    }

    pub fn unset(&mut self, names: &[&'static str]) -> &mut Self {
        if names.is_empty() {
            return self;
        }
        if self.shell == Shell::Nushell {
            for name in names {
                self.nu_set.remove(*name);
                if !self.nu_unset.contains(name) {
                    self.nu_unset.push(name);
                }
            }
            return self;
        }
        let list = names.join(" ");
        match self.shell {
            Shell::Bash | Shell::Zsh => self.out.push_str(&format!("\\builtin unset {list};\n")),
            Shell::Posix => self.out.push_str(&format!("\\unset {list};\n")),
            Shell::Fish => self.out.push_str(&format!("set -e {list};\n")),
            // Taken above: JSON, not lines.
            Shell::Nushell => {}
            // Environment and shell variables are apart in tcsh; each name
            // is one or the other, and unsetting what is not there is a no-op.
            Shell::Tcsh => self
                .out
                .push_str(&format!("unsetenv {list};\nunset {list};\n")),
        }
        self
    }

    pub fn session(&mut self, session: &Session) -> &mut Self {
        let creds = &session.credentials;
        self.export("AWS_ACCESS_KEY_ID", &creds.access_key_id)
            .export("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.expose())
            .export("AWS_SESSION_TOKEN", creds.session_token.expose())
            .export("AWS_CREDENTIAL_EXPIRATION", &session.expiration_rfc3339())
            .export("AWSESH_PROFILE", &session.profile)
            .set_private("_AWSESH_EXP", &session.expiration_epoch().to_string())
            .set_private("_AWSESH_KEY", &creds.access_key_id)
    }

    /// nushell: the last word on a name wins, as it would in a script.
    fn nu_set(&mut self, name: &'static str, value: &str) -> &mut Self {
        self.nu_unset.retain(|n| *n != name);
        self.nu_set.insert(name.to_string(), value.into());
        self
    }

    pub fn finish(self) -> String {
        if self.shell == Shell::Nushell {
            let value = serde_json::json!({ "set": self.nu_set, "unset": self.nu_unset });
            return format!("{value}\n");
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_lines_escape_alias_expansion() {
        let mut lines = Lines::new(Shell::Bash);
        lines
            .export("AWSESH_PROFILE", "a'b")
            .set_private("_AWSESH_EXP", "1")
            .unset(&["AWS_ACCESS_KEY_ID", "_AWSESH_EXP"]);
        assert_eq!(
            lines.finish(),
            "\\builtin export AWSESH_PROFILE='a'\\''b';\n_AWSESH_EXP='1';\n\\builtin unset AWS_ACCESS_KEY_ID _AWSESH_EXP;\n"
        );
    }

    #[test]
    fn posix_lines_use_special_builtins_unaliased() {
        let mut lines = Lines::new(Shell::Posix);
        lines
            .export("AWSESH_PROFILE", "a'b")
            .set_private("_AWSESH_EXP", "1")
            .unset(&["AWS_ACCESS_KEY_ID", "_AWSESH_EXP"]);
        assert_eq!(
            lines.finish(),
            "\\export AWSESH_PROFILE='a'\\''b';\n_AWSESH_EXP='1';\n\\unset AWS_ACCESS_KEY_ID _AWSESH_EXP;\n"
        );
    }

    #[test]
    fn tcsh_lines_end_in_semicolons() {
        let mut lines = Lines::new(Shell::Tcsh);
        lines
            .export("AWSESH_PROFILE", "a!b")
            .set_private("_AWSESH_EXP", "1")
            .unset(&["AWS_ACCESS_KEY_ID", "_AWSESH_EXP"]);
        assert_eq!(
            lines.finish(),
            "setenv AWSESH_PROFILE 'a\\!b';\nset _AWSESH_EXP = '1';\nunsetenv AWS_ACCESS_KEY_ID _AWSESH_EXP;\nunset AWS_ACCESS_KEY_ID _AWSESH_EXP;\n"
        );
    }

    #[test]
    fn nushell_lines_are_one_json_record() {
        let mut lines = Lines::new(Shell::Nushell);
        lines
            .unset(&["AWSESH_PROFILE", "_AWSESH_EXP"])
            .export("AWSESH_PROFILE", "a\"$(id)\n")
            .set_private("_AWSESH_EXP", "1")
            .unset(&["_AWSESH_EXP"]);
        assert_eq!(
            lines.finish(),
            "{\"set\":{\"AWSESH_PROFILE\":\"a\\\"$(id)\\n\"},\"unset\":[\"_AWSESH_EXP\"]}\n"
        );
    }

    #[test]
    fn fish_lines_use_set() {
        let mut lines = Lines::new(Shell::Fish);
        lines
            .export("AWSESH_PROFILE", "x\\")
            .unset(&["_AWSESH_EXP"]);
        assert_eq!(
            lines.finish(),
            "set -gx AWSESH_PROFILE 'x\\\\';\nset -e _AWSESH_EXP;\n"
        );
    }
}
