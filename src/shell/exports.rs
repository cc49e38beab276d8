//! The lines `eval` runs in a shell: exports of a session, unsets, and the
//! hook's private variables. Variable names come from a fixed list; every
//! value goes through `quote`. bash and zsh expand aliases in what `eval`
//! parses, so builtins are called as `\builtin NAME`, which neither an alias
//! nor a function of that name can take over. elvish is given data instead
//! of code: one JSON array a line (`["export", NAME, VALUE]`, `["private",
//! NAME, VALUE]`, `["unset", NAME]`), which its script reads with
//! `from-json` and applies to the names it knows.

use serde_json::json;

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
        let raw = value;
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
            // tcsh has no way around an alias of a builtin: quoted, the
            // name is looked up as a program.
            Shell::Tcsh => self.out.push_str(&format!("setenv {name} {value};\n")),
            Shell::Xonsh => self.push_json(json!(["export", name, raw])),
            Shell::Elvish => self.push_json(json!(["export", name, raw])),
            Shell::Nushell => self.nu_set(name, raw),
        }
        self
    }

    /// A global shell variable that is not exported to children.
    pub fn set_private(&mut self, name: &'static str, value: &str) -> &mut Self {
        let raw = value;
        let value = quote::for_shell(self.shell, value);
        match self.shell {
            Shell::Bash | Shell::Zsh | Shell::Posix => {
                self.out.push_str(&format!("{name}={value};\n"))
            }
            Shell::Fish => self.out.push_str(&format!("set -g {name} {value};\n")),
            Shell::Tcsh => self.out.push_str(&format!("set {name} = {value};\n")),
            Shell::Xonsh => self.push_json(json!(["set", name, raw])),
            Shell::Elvish => self.push_json(json!(["private", name, raw])),
            // nushell: every variable of `$env` is exported; the hook's own
            // are named `_AWSESH_*` and hold no secret.
            Shell::Nushell => self.nu_set(name, raw),
        }
        self
    }

    pub fn unset(&mut self, names: &[&'static str]) -> &mut Self {
        if names.is_empty() {
            return self;
        }
        let list = names.join(" ");
        match self.shell {
            Shell::Bash | Shell::Zsh => self.out.push_str(&format!("\\builtin unset {list};\n")),
            Shell::Posix => self.out.push_str(&format!("\\unset {list};\n")),
            Shell::Fish => self.out.push_str(&format!("set -e {list};\n")),
            // Environment and shell variables are apart in tcsh; each name
            // is one or the other, and unsetting what is not there is a no-op.
            Shell::Tcsh => self
                .out
                .push_str(&format!("unsetenv {list};\nunset {list};\n")),
            Shell::Xonsh => self.push_json(json!(["unset", names])),
            Shell::Elvish => {
                for name in names {
                    self.push_json(json!(["unset", name]));
                }
            }
            Shell::Nushell => {
                for name in names {
                    self.nu_set.remove(*name);
                    if !self.nu_unset.contains(name) {
                        self.nu_unset.push(name);
                    }
                }
            }
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
            .set_private("_AWSESH_REGION", &session.region_for_children())
    }

    /// xonsh and elvish are given data, not code: one JSON array a line,
    /// which their scripts parse and apply by name.
    fn push_json(&mut self, line: serde_json::Value) {
        self.out.push_str(&line.to_string());
        self.out.push('\n');
    }

    /// nushell: the last word on a name wins, as it would in a script.
    fn nu_set(&mut self, name: &'static str, value: &str) {
        self.nu_unset.retain(|n| *n != name);
        self.nu_set.insert(name.to_string(), value.into());
    }

    pub fn finish(self) -> String {
        if self.shell == Shell::Nushell {
            let value = json!({ "set": self.nu_set, "unset": self.nu_unset });
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
    fn xonsh_lines_are_json_data() {
        let mut lines = Lines::new(Shell::Xonsh);
        lines
            .export("AWSESH_PROFILE", "a'b\"$(id)\n")
            .set_private("_AWSESH_EXP", "1")
            .unset(&["AWS_ACCESS_KEY_ID", "_AWSESH_EXP"]);
        assert_eq!(
            lines.finish(),
            "[\"export\",\"AWSESH_PROFILE\",\"a'b\\\"$(id)\\n\"]\n[\"set\",\"_AWSESH_EXP\",\"1\"]\n[\"unset\",[\"AWS_ACCESS_KEY_ID\",\"_AWSESH_EXP\"]]\n"
        );
    }

    #[test]
    fn elvish_lines_are_json_data() {
        let mut lines = Lines::new(Shell::Elvish);
        lines
            .export("AWSESH_PROFILE", "a'b\"$(x)\n")
            .set_private("_AWSESH_EXP", "1")
            .unset(&["AWS_ACCESS_KEY_ID", "_AWSESH_EXP"]);
        let text = lines.finish();
        let ops: Vec<Vec<String>> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            ops,
            [
                vec!["export", "AWSESH_PROFILE", "a'b\"$(x)\n"],
                vec!["private", "_AWSESH_EXP", "1"],
                vec!["unset", "AWS_ACCESS_KEY_ID"],
                vec!["unset", "_AWSESH_EXP"],
            ]
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
