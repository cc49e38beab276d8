//! A line-preserving editor for the AWS config and credentials files: remove
//! one profile's key lines, replace a key's value, add a key to one section —
//! every other byte stays as it was (comments, blank lines, CRLF endings,
//! odd spacing, duplicated sections, a missing final newline).
//!
//! Lines are classified with the rules of the AWS SDKs' own parser
//! (aws-config): a header starts with `[` in column 0, a comment with `#` or
//! `;`, an indented line continues the property above it, and a property
//! comment needs whitespace before its `#`. Sections are matched as
//! aws-config normalises them: `[profile x]` in the config file (`[default]`,
//! or `[profile default]` which then wins), `[x]` in the credentials file, and
//! every duplicate of a section counts (aws-config merges them).

use std::io::{Read, Write};

use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::store::file as store_file;
use crate::sys::error::{Error, Result};

const WHITESPACE: &[char] = &[' ', '\t'];
const COMMENT: &[char] = &['#', ';'];

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FileKind {
    Config,
    Credentials,
}

/// One line: its text and the line ending that followed it ("" for a last
/// line without a newline).
#[derive(Clone, Debug)]
struct Line {
    text: String,
    ending: String,
}

/// What a line is, as aws-config reads it.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    /// `[prefix name]` or `[name]`, split as aws-config does.
    Header(Option<String>, String),
    /// A malformed header: no section aws-config would use.
    BadHeader,
    /// An indented line: belongs to the property above.
    Continuation,
    Property(String),
    /// A line without `=` outside of a section: aws-config would refuse the file.
    Junk,
}

#[derive(Clone, Debug)]
pub struct Document {
    kind: FileKind,
    lines: Vec<Line>,
}

/// aws-config's `prepare_line`: trim, cut a comment (which in a property
/// must follow whitespace), trim again.
fn prepare(line: &str, comments_need_whitespace: bool) -> &str {
    let line = line.trim_matches(WHITESPACE);
    let mut prev_whitespace = false;
    for (idx, c) in line.char_indices() {
        if COMMENT.contains(&c) && (prev_whitespace || !comments_need_whitespace) {
            return line[..idx].trim_matches(WHITESPACE);
        }
        prev_whitespace = c.is_whitespace();
    }
    line
}

fn classify(text: &str) -> Kind {
    if text.trim_matches(WHITESPACE).is_empty() {
        Kind::Blank
    } else if text.starts_with(COMMENT) {
        Kind::Comment
    } else if text.starts_with('[') {
        let Some(inner) = prepare(text, false)
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
        else {
            return Kind::BadHeader;
        };
        let inner = inner.trim_matches(WHITESPACE);
        match inner.split_once(WHITESPACE) {
            Some((prefix, name)) => Kind::Header(Some(prefix.trim().into()), name.trim().into()),
            None => Kind::Header(None, inner.trim().into()),
        }
    } else if text.starts_with(WHITESPACE) {
        Kind::Continuation
    } else {
        match prepare(text, true).split_once('=') {
            Some((key, _)) if !key.trim_matches(WHITESPACE).is_empty() => {
                Kind::Property(key.trim_matches(WHITESPACE).to_ascii_lowercase())
            }
            _ => Kind::Junk,
        }
    }
}

/// A name aws-config accepts as a profile (so a section we add is read back).
pub fn valid_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

impl Document {
    pub fn parse(kind: FileKind, text: &str) -> Document {
        let lines = text
            .split_inclusive('\n')
            .map(|piece| {
                let (text, ending) = if let Some(t) = piece.strip_suffix("\r\n") {
                    (t, "\r\n")
                } else if let Some(t) = piece.strip_suffix('\n') {
                    (t, "\n")
                } else {
                    (piece, "")
                };
                Line {
                    text: text.to_string(),
                    ending: ending.to_string(),
                }
            })
            .collect();
        Document { kind, lines }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&line.text);
            out.push_str(&line.ending);
        }
        out
    }

    /// The file's own line ending, for lines we add.
    fn eol(&self) -> &'static str {
        let crlf = self.lines.iter().filter(|l| l.ending == "\r\n").count();
        let lf = self.lines.iter().filter(|l| l.ending == "\n").count();
        if crlf > lf { "\r\n" } else { "\n" }
    }

    /// Whether a header names this profile's section in this kind of file:
    /// for aws-config, or (`Readers::All`) for any reader.
    fn header_matches(
        &self,
        header: &Kind,
        profile: &str,
        prefixed_default: bool,
        readers: Readers,
    ) -> bool {
        let Kind::Header(prefix, name) = header else {
            return false;
        };
        match self.kind {
            FileKind::Credentials => prefix.is_none() && name == profile,
            FileKind::Config if profile == "default" => {
                name == "default"
                    && if readers == Readers::All {
                        prefix.is_none() || prefix.as_deref() == Some("profile")
                    } else if let Readers::Only { prefixed } = readers {
                        prefix.as_deref() == prefixed.then_some("profile")
                    } else if prefixed_default {
                        prefix.as_deref() == Some("profile")
                    } else {
                        prefix.is_none()
                    }
            }
            FileKind::Config => prefix.as_deref() == Some("profile") && name == profile,
        }
    }

    fn kinds(&self) -> Vec<Kind> {
        self.lines.iter().map(|l| classify(&l.text)).collect()
    }

    /// For each line: whether it is the header of one of the profile's
    /// sections, and whether it lies inside one (as aws-config reads it).
    fn layout(&self, profile: &str) -> (Vec<Kind>, Vec<bool>, Vec<bool>) {
        self.layout_for(profile, Readers::AwsConfig)
    }

    fn layout_for(&self, profile: &str, readers: Readers) -> (Vec<Kind>, Vec<bool>, Vec<bool>) {
        let kinds = self.kinds();
        // `[profile default]` fully replaces `[default]` in the config file.
        let prefixed_default = kinds
            .iter()
            .any(|k| matches!(k, Kind::Header(Some(p), n) if p == "profile" && n == "default"));
        let mut headers = Vec::with_capacity(kinds.len());
        let mut inside = Vec::with_capacity(kinds.len());
        let mut current = false;
        for kind in &kinds {
            if matches!(kind, Kind::Header(..) | Kind::BadHeader) {
                current = self.header_matches(kind, profile, prefixed_default, readers);
                headers.push(current);
                inside.push(false);
            } else {
                headers.push(false);
                inside.push(current);
            }
        }
        (kinds, headers, inside)
    }

    /// Whether the profile has a section in this file.
    pub fn has_section(&self, profile: &str) -> bool {
        self.layout(profile).1.contains(&true)
    }

    /// Indices of the profile's property lines named `key`.
    fn property_lines(&self, profile: &str, key: &str) -> Vec<usize> {
        self.property_lines_for(profile, key, Readers::AwsConfig)
    }

    fn property_lines_for(&self, profile: &str, key: &str, readers: Readers) -> Vec<usize> {
        let (kinds, _, inside) = self.layout_for(profile, readers);
        kinds
            .iter()
            .zip(&inside)
            .enumerate()
            .filter(|(_, (k, inside))| **inside && matches!(k, Kind::Property(name) if name == key))
            .map(|(i, _)| i)
            .collect()
    }

    /// The value aws-config sees for `key` in the profile (the last one wins).
    pub fn get(&self, profile: &str, key: &str) -> Option<String> {
        let index = *self.property_lines(profile, key).last()?;
        self.value_at(index)
    }

    /// Every value any reader (the AWS CLI or an SDK) may take for `key` in
    /// the profile, in file order: `[default]` and `[profile default]` both.
    pub fn values_for_any_reader(&self, profile: &str, key: &str) -> Vec<String> {
        self.property_lines_for(profile, key, Readers::All)
            .into_iter()
            .filter_map(|i| self.value_at(i))
            .collect()
    }

    fn value_at(&self, index: usize) -> Option<String> {
        let text = prepare(&self.lines.get(index)?.text, true);
        text.split_once('=')
            .map(|(_, v)| v.trim_matches(WHITESPACE).to_string())
    }

    /// Removes every line of the `keys` (with their continuation lines) from
    /// every section of the profile that any reader uses; returns how many
    /// properties were removed. The result is the file with those lines cut
    /// out, byte for byte — except that a key line followed by indented
    /// comments becomes the placeholder `awsesh_removed_KEY = yes`: the comments
    /// stay, and aws-config, which reads them as a continuation, joins them
    /// to the placeholder rather than to another property.
    pub fn remove(&mut self, profile: &str, keys: &[&str]) -> usize {
        let (kinds, _, inside) = self.layout_for(profile, Readers::All);
        let mut removed = 0;
        // The removed key line being followed, and whether its placeholder
        // was written already.
        let mut dropping: Option<(usize, Line, bool)> = None;
        let lines = std::mem::take(&mut self.lines);
        for ((line, kind), inside) in lines.into_iter().zip(kinds).zip(inside) {
            match kind {
                Kind::Property(key) if inside && keys.contains(&key.as_str()) => {
                    removed += 1;
                    let placeholder = Line {
                        // Unique per key: configparser refuses a repeated option.
                        text: format!("{PLACEHOLDER}_{key} = yes"),
                        ending: line.ending.clone(),
                    };
                    dropping = Some((self.lines.len(), placeholder, false));
                }
                // The AWS CLI's comment, aws-config's continuation: kept.
                Kind::Continuation if is_indented_comment(&line.text) && dropping.is_some() => {
                    if let Some((at, placeholder, placed @ false)) = dropping.as_mut() {
                        let at = (*at).min(self.lines.len());
                        self.lines.insert(at, placeholder.clone());
                        *placed = true;
                    }
                    self.lines.push(line);
                }
                // aws-config appends an indented line to the property above,
                // across blank and comment lines: part of the key's value.
                Kind::Continuation if dropping.is_some() => {}
                Kind::Blank | Kind::Comment => self.lines.push(line),
                _ => {
                    dropping = None;
                    self.lines.push(line);
                }
            }
        }
        removed
    }

    /// Sets `key = value` in the profile: replaces the value in place where
    /// the key exists (in every duplicate), else adds a line after the last
    /// property of the profile's last section, else adds the section at the
    /// end of the file.
    pub fn set(&mut self, profile: &str, key: &str, value: &str) -> Result<()> {
        if value.is_empty() || value.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Error::Other(format!(
                "refusing to write an empty or multi-word value for `{key}`"
            )));
        }
        // Replaced wherever any reader may read it (`[default]` and
        // `[profile default]` both), so no reader keeps the old value.
        for index in self.property_lines_for(profile, key, Readers::All) {
            if let Some(line) = self.lines.get_mut(index) {
                line.text = replace_value(&line.text, value);
            }
        }
        // Each reader's section must have it: for `default` in the config
        // file both sections, else the profile's (merged) sections.
        let variants: &[Readers] = if self.kind == FileKind::Config && profile == "default" {
            &[
                Readers::Only { prefixed: true },
                Readers::Only { prefixed: false },
            ]
        } else {
            &[Readers::AwsConfig]
        };
        let mut added = false;
        for readers in variants {
            let (_, headers, _) = self.layout_for(profile, *readers);
            if headers.contains(&true) && self.property_lines_for(profile, key, *readers).is_empty()
            {
                self.add_line_to(profile, *readers, key, value);
            }
            added |= headers.contains(&true);
        }
        if added {
            return Ok(());
        }
        let eol = self.eol();
        let new_line = Line {
            text: format!("{key} = {value}"),
            ending: eol.to_string(),
        };
        self.add_section(profile)?;
        self.insert_line(self.lines.len(), new_line);
        Ok(())
    }

    /// Adds `key = value` after the last property of the last of the
    /// profile's sections (as `readers` sees them), so comments and blank
    /// lines before the next section stay there.
    fn add_line_to(&mut self, profile: &str, readers: Readers, key: &str, value: &str) {
        let eol = self.eol();
        let new_line = Line {
            text: format!("{key} = {value}"),
            ending: eol.to_string(),
        };
        let (kinds, headers, inside) = self.layout_for(profile, readers);
        if let Some(header) = headers.iter().rposition(|h| *h) {
            // After the section's last property or continuation line, so
            // comments and blank lines before the next section stay there.
            let mut at = header + 1;
            let after = kinds.iter().zip(&inside).enumerate().skip(header + 1);
            for (i, (kind, inside)) in after {
                if !inside {
                    break;
                }
                if matches!(kind, Kind::Property(_) | Kind::Continuation) {
                    at = i + 1;
                }
            }
            self.insert_line(at, new_line);
        }
    }

    /// Adds an empty section for the profile at the end, unless it has one.
    pub fn add_section(&mut self, profile: &str) -> Result<()> {
        if self.has_section(profile) {
            return Ok(());
        }
        if !valid_profile_name(profile) {
            return Err(Error::Other(format!(
                "cannot add a section for profile `{}`: the AWS tools only read names of letters, digits and _-/.%@:+",
                crate::sys::text::printable(profile)
            )));
        }
        let header = match (self.kind, profile) {
            (FileKind::Config, "default") => "[default]".to_string(),
            (FileKind::Config, name) => format!("[profile {name}]"),
            (FileKind::Credentials, name) => format!("[{name}]"),
        };
        let eol = self.eol();
        self.insert_line(
            self.lines.len(),
            Line {
                text: header,
                ending: eol.to_string(),
            },
        );
        Ok(())
    }

    /// The profiles this file has sections for, in order of appearance.
    pub fn profiles(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for kind in self.kinds() {
            let name = match (self.kind, kind) {
                (FileKind::Credentials, Kind::Header(None, name)) => name,
                (FileKind::Config, Kind::Header(None, name)) if name == "default" => name,
                (FileKind::Config, Kind::Header(Some(prefix), name)) if prefix == "profile" => name,
                _ => continue,
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// Inserts a line; the line before it gets a newline if it had none.
    fn insert_line(&mut self, at: usize, line: Line) {
        if let Some(before) = at.checked_sub(1).and_then(|i| self.lines.get_mut(i))
            && before.ending.is_empty()
        {
            before.ending = line.ending.clone();
        }
        self.lines.insert(at, line);
    }
}

/// Which sections count as the profile's.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Readers {
    /// The one aws-config reads (`[profile default]` over `[default]`).
    AwsConfig,
    /// Any a reader may use: the AWS CLI reads the last of the two.
    All,
    /// `[profile default]` (prefixed) or `[default]` alone.
    Only { prefixed: bool },
}

/// Replaces a removed key line that indented comments follow:
/// `awsesh_removed_KEY = yes`.
pub const PLACEHOLDER: &str = "awsesh_removed";

/// `\t# x`, `  ; y`: a comment line for the AWS CLI.
fn is_indented_comment(text: &str) -> bool {
    text.starts_with(WHITESPACE) && text.trim_start_matches(WHITESPACE).starts_with(COMMENT)
}

/// `key = old  # note` → `key = new  # note`: only the value changes.
fn replace_value(text: &str, value: &str) -> String {
    let Some(eq) = text.find('=') else {
        return text.to_string();
    };
    let after = &text[eq + 1..];
    let start = eq + 1 + (after.len() - after.trim_start_matches(WHITESPACE).len());
    // The value ends where a comment (after whitespace) starts, trailing
    // whitespace excluded.
    let rest = &text[start..];
    let mut end = rest.len();
    let mut prev_whitespace = false;
    for (idx, c) in rest.char_indices() {
        if COMMENT.contains(&c) && prev_whitespace {
            end = idx;
            break;
        }
        prev_whitespace = c.is_whitespace();
    }
    let end = start + rest[..end].trim_end_matches(WHITESPACE).len();
    format!("{}{value}{}", &text[..start], &text[end..])
}

/// What awsesh's temp copies of the AWS files are called (`.credentials`,
/// this tag, `.PID.NANOS.tmp`), so a later run finds and removes those a
/// killed run left (they hold every profile's secret) and nothing else.
const TEMP_TAG: &str = ".awsesh";

/// How many times an edit is redone when another program changed the file
/// meanwhile, before giving up.
const EDIT_ATTEMPTS: usize = 5;

/// Reads an AWS file for editing: (its real path, its bytes, the document).
/// A missing file is an empty document. Stale temp copies that killed
/// awsesh runs left beside it are removed first.
pub fn load(path: &Path, kind: FileKind) -> Result<(PathBuf, Option<Vec<u8>>, Document)> {
    // Edit the file a symlink points at (a dotfiles repository), never the link.
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    remove_stale_temps(&real);
    let bytes = read_current(&real)?;
    let text = match &bytes {
        Some(b) => std::str::from_utf8(b).map_err(|_| {
            Error::Other(format!(
                "cannot edit {}: it is not UTF-8 text; edit it by hand",
                path.display()
            ))
        })?,
        None => "",
    };
    let doc = Document::parse(kind, text);
    Ok((real, bytes, doc))
}

/// Removes the temp copies of `real` whose writer is gone (or that are
/// older than any edit takes).
fn remove_stale_temps(real: &Path) {
    let (Some(dir), Some(name)) = (real.parent(), real.file_name()) else {
        return;
    };
    let ours = format!("{}{TEMP_TAG}", name.to_string_lossy());
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    store_file::remove_stale_temps_of(dir, store_file::STALE_TEMP_AGE, |target| target == ours);
    remove_legacy_temps(dir, &name.to_string_lossy());
}

/// Earlier versions named the copy `.credentials.awsesh-PID.tmp` and never
/// removed it: removed once its writer is gone.
fn remove_legacy_temps(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.awsesh-");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let pid = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<libc::pid_t>().ok())
            .filter(|pid| *pid > 0);
        let ours = entry
            .metadata()
            .is_ok_and(|m| m.is_file() && m.uid() == crate::store::dir::euid());
        if let Some(pid) = pid
            && ours
            && !store_file::is_alive(pid)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn read_current(real: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(real) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Read {
            path: real.to_path_buf(),
            source: e,
        }),
    }
}

fn changed_error(real: &Path) -> Error {
    Error::Other(format!(
        "{} kept changing while awsesh was editing it; nothing was written, run the command again",
        real.display()
    ))
}

/// Loads the file, applies `change` (which says whether it changed the
/// document) and saves it; when another program changed the file meanwhile,
/// starts over from its new contents. Ok(false): nothing to change.
pub fn edit(
    path: &Path,
    kind: FileKind,
    mut change: impl FnMut(&mut Document) -> Result<bool>,
) -> Result<bool> {
    let mut real = path.to_path_buf();
    for _ in 0..EDIT_ATTEMPTS {
        let (file, before, mut doc) = load(path, kind)?;
        real = file;
        if !change(&mut doc)? {
            return Ok(false);
        }
        if try_save(&real, before.as_deref(), &doc)? {
            return Ok(true);
        }
    }
    Err(changed_error(&real))
}

/// Replaces the file with `doc` in one rename, with the file's own mode
/// (0600 for a new one). Ok(false), nothing written, when the file no
/// longer holds `before`: that is checked as late as possible — after the
/// temp file is synced, right before the rename — and once more after it,
/// on the replaced file itself: what another program appended to it in
/// between is appended to the new file, any other change is put back and
/// Ok(false) returned, so the caller redoes its edit on top of it.
fn try_save(real: &Path, before: Option<&[u8]>, doc: &Document) -> Result<bool> {
    let mode = std::fs::metadata(real)
        .map(|m| m.mode() & 0o7777)
        .unwrap_or(0o600);
    if let Some(dir) = real.parent().filter(|d| !d.as_os_str().is_empty()) {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    let tmp = store_file::temp_path_tagged(real, TEMP_TAG);
    let result = (|| {
        write_synced(&tmp, doc.render().as_bytes())?;
        // The file's own mode, only now: a copy a kill leaves is 0600.
        set_mode(&tmp, mode)?;
        // The late check: the file as it is now, kept open so that what is
        // written to it after the check can still be seen after the rename.
        let (watched, current) = open_current(real)?;
        if current.as_deref() != before {
            return Ok(false);
        }
        #[cfg(test)]
        tests::between_check_and_rename(real);
        std::fs::rename(&tmp, real)
            .map_err(|e| Error::io(format!("cannot replace {}", real.display()), e))?;
        let (Some(mut watched), Some(before)) = (watched, before) else {
            return Ok(true);
        };
        let mut after = Vec::new();
        use std::io::Seek;
        if watched
            .rewind()
            .and_then(|()| watched.read_to_end(&mut after))
            .is_err()
            || after == before
        {
            return Ok(true);
        }
        if let Some(appended) = after.strip_prefix(before) {
            append(real, appended)?;
            return Ok(true);
        }
        // Rewritten between the check and the rename: theirs goes back.
        write_synced(&tmp, &after)?;
        set_mode(&tmp, mode)?;
        std::fs::rename(&tmp, real)
            .map_err(|e| Error::io(format!("cannot replace {}", real.display()), e))?;
        Ok(false)
    })();
    if !matches!(result, Ok(true)) {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Sets the mode (umask does not apply to chmod).
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(format!("cannot set the mode of {}", path.display()), e))
}

/// A new 0600 temp file, written and synced.
fn write_synced(tmp: &Path, bytes: &[u8]) -> Result<()> {
    let _ = std::fs::remove_file(tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(tmp)
        .map_err(|e| Error::io(format!("cannot create {}", tmp.display()), e))?;
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(bytes))
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))
}

/// The file open for reading (None when missing) and its contents.
fn open_current(real: &Path) -> Result<(Option<std::fs::File>, Option<Vec<u8>>)> {
    let mut file = match std::fs::File::open(real) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, None)),
        Err(e) => {
            return Err(Error::Read {
                path: real.to_path_buf(),
                source: e,
            });
        }
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|e| Error::Read {
        path: real.to_path_buf(),
        source: e,
    })?;
    Ok((Some(file), Some(bytes)))
}

fn append(real: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(real)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(|e| Error::io(format!("cannot write {}", real.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 2] = ["aws_access_key_id", "aws_secret_access_key"];

    type Hook = Box<dyn Fn(&Path)>;

    thread_local! {
        /// What another program does in the instant between the late check
        /// and the rename (once).
        static RACER: std::cell::RefCell<Option<Hook>> = const { std::cell::RefCell::new(None) };
    }

    pub(super) fn between_check_and_rename(real: &Path) {
        if let Some(racer) = RACER.with(|r| r.borrow_mut().take()) {
            racer(real);
        }
    }

    fn race_once(racer: impl Fn(&Path) + 'static) {
        RACER.with(|r| *r.borrow_mut() = Some(Box::new(racer)));
    }

    #[test]
    fn a_line_appended_between_the_check_and_the_rename_is_carried_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(&path, "[a]\naws_access_key_id = A\nx = 1\n").unwrap();
        race_once(|real| {
            let mut f = std::fs::OpenOptions::new().append(true).open(real).unwrap();
            f.write_all(b"# appended\n").unwrap();
        });
        let edited = edit(&path, FileKind::Credentials, |doc| {
            Ok(doc.remove("a", &KEYS) > 0)
        })
        .unwrap();
        assert!(edited);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[a]\nx = 1\n# appended\n"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
    }

    #[test]
    fn a_rewrite_between_the_check_and_the_rename_is_put_back_and_the_edit_redone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(&path, "[a]\naws_access_key_id = A\n").unwrap();
        race_once(|real| {
            std::fs::write(real, "# theirs\n[a]\naws_access_key_id = A\n[b]\n").unwrap();
        });
        let mut attempts = 0;
        edit(&path, FileKind::Credentials, |doc| {
            attempts += 1;
            Ok(doc.remove("a", &KEYS) > 0)
        })
        .unwrap();
        assert_eq!(attempts, 2, "redone on top of their version");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# theirs\n[a]\n[b]\n"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
    }

    fn creds(text: &str) -> Document {
        Document::parse(FileKind::Credentials, text)
    }

    fn config(text: &str) -> Document {
        Document::parse(FileKind::Config, text)
    }

    /// The text with the lines at `indices` (0-based) cut out, byte for byte.
    fn without_lines(text: &str, indices: &[usize]) -> String {
        text.split_inclusive('\n')
            .enumerate()
            .filter(|(i, _)| !indices.contains(i))
            .map(|(_, l)| l)
            .collect()
    }

    #[test]
    fn rendering_an_untouched_file_gives_it_back_byte_for_byte() {
        for text in [
            "",
            "\n",
            "[default]\r\naws_access_key_id = A\r\n",
            "[a]\nx=1",
            "# c\n\n[ b ]  ; note\n\tcont\n\r\n",
            "no section at all\n\u{feff}",
        ] {
            assert_eq!(creds(text).render(), text);
        }
    }

    #[test]
    fn removing_keys_cuts_exactly_those_lines_from_every_duplicate_section() {
        let text = "# team keys\r\n[default]\r\naws_access_key_id = AKIAOLD\r\n\r\n[work]  # mine\r\n\
                    aws_access_key_id=AKIAWORK\r\n; keep me\r\nAWS_SECRET_ACCESS_KEY = s1 # inline\r\n\
                    region = eu-west-1\r\n[other]\r\naws_access_key_id = AKIAOTHER\r\n\
                    [work]\r\naws_secret_access_key = s2\r\n   continued\r\nmfa_serial = x";
        let mut doc = creds(text);
        assert_eq!(
            doc.get("work", "aws_secret_access_key").as_deref(),
            Some("s2")
        );
        assert_eq!(doc.remove("work", &KEYS), 3);
        assert_eq!(doc.render(), without_lines(text, &[5, 7, 12, 13]));
        assert_eq!(doc.get("work", "aws_access_key_id"), None);
        assert_eq!(
            doc.get("other", "aws_access_key_id").as_deref(),
            Some("AKIAOTHER")
        );
        assert_eq!(doc.get("work", "mfa_serial").as_deref(), Some("x"));
    }

    #[test]
    fn the_credentials_file_has_no_profile_prefix_and_names_match_exactly() {
        let text = "[profile work]\naws_access_key_id = A\n[work2]\naws_access_key_id = B\n[ work ]\naws_access_key_id = C\n";
        let mut doc = creds(text);
        assert_eq!(doc.remove("work", &KEYS), 1);
        assert_eq!(doc.render(), without_lines(text, &[5]));
    }

    #[test]
    fn config_default_is_profile_default_when_both_exist() {
        let text = "[default]\nmfa_serial = a\n[profile default]\nregion = x\n";
        let mut doc = config(text);
        assert_eq!(
            doc.get("default", "mfa_serial"),
            None,
            "[default] is ignored"
        );
        assert_eq!(doc.values_for_any_reader("default", "mfa_serial"), ["a"]);
        doc.set("default", "mfa_serial", "arn:new").unwrap();
        // The AWS CLI reads the last of the two: both get the new value.
        assert_eq!(
            doc.render(),
            "[default]\nmfa_serial = arn:new\n[profile default]\nregion = x\nmfa_serial = arn:new\n"
        );
        let mut plain = config("[default]\nregion = x\n\n# next\n[profile dev]\n");
        plain.set("default", "mfa_serial", "arn:d").unwrap();
        assert_eq!(
            plain.render(),
            "[default]\nregion = x\nmfa_serial = arn:d\n\n# next\n[profile dev]\n"
        );
    }

    #[test]
    fn config_sections_need_the_profile_prefix() {
        let mut doc = config("[dev]\nregion = a\n[profile  dev ] # c\nregion = b\n");
        assert_eq!(doc.get("dev", "region").as_deref(), Some("b"));
        doc.set("dev", "mfa_serial", "arn:x").unwrap();
        assert_eq!(
            doc.render(),
            "[dev]\nregion = a\n[profile  dev ] # c\nregion = b\nmfa_serial = arn:x\n"
        );
    }

    #[test]
    fn setting_a_value_replaces_it_in_place_keeping_spacing_and_comments() {
        let text = "[profile p]\r\nmfa_serial=old # pinned\r\nregion = r\r\n[profile p]\r\nmfa_serial   =   older\r\n";
        let mut doc = config(text);
        doc.set("p", "mfa_serial", "arn:new").unwrap();
        assert_eq!(
            doc.render(),
            "[profile p]\r\nmfa_serial=arn:new # pinned\r\nregion = r\r\n[profile p]\r\nmfa_serial   =   arn:new\r\n"
        );
        let mut empty = config("[profile p]\nmfa_serial =\nx = 1\n");
        empty.set("p", "mfa_serial", "v").unwrap();
        assert_eq!(empty.render(), "[profile p]\nmfa_serial =v\nx = 1\n");
    }

    #[test]
    fn a_new_line_goes_after_the_last_property_and_its_continuation() {
        let text = "[profile p]\nregion = r\ns3 =\n  max_concurrent_requests = 10\n\n# about q\n[profile q]\n";
        let mut doc = config(text);
        doc.set("p", "mfa_serial", "arn:m").unwrap();
        assert_eq!(
            doc.render(),
            "[profile p]\nregion = r\ns3 =\n  max_concurrent_requests = 10\nmfa_serial = arn:m\n\n# about q\n[profile q]\n"
        );
    }

    #[test]
    fn a_missing_section_is_added_with_the_files_line_endings() {
        let mut crlf = config("[default]\r\nregion = r");
        crlf.set("new", "mfa_serial", "arn:n").unwrap();
        assert_eq!(
            crlf.render(),
            "[default]\r\nregion = r\r\n[profile new]\r\nmfa_serial = arn:n\r\n"
        );
        let mut empty = creds("");
        empty.set("default", "aws_access_key_id", "AKIA").unwrap();
        assert_eq!(empty.render(), "[default]\naws_access_key_id = AKIA\n");
        let mut header_only = config("[profile last]");
        header_only.set("last", "mfa_serial", "arn:l").unwrap();
        assert_eq!(header_only.render(), "[profile last]\nmfa_serial = arn:l\n");
    }

    #[test]
    fn unreadable_names_and_values_are_refused() {
        let mut doc = config("");
        assert!(doc.set("a b", "mfa_serial", "x").is_err());
        assert!(doc.set("a]", "mfa_serial", "x").is_err());
        assert!(doc.set("ok", "mfa_serial", "x\ny").is_err());
        assert!(doc.set("ok", "mfa_serial", "").is_err());
        assert_eq!(doc.render(), "");
    }

    #[test]
    fn keys_leave_both_default_sections_of_the_config_file() {
        let text = "[profile default]\nregion = x\n[default]\naws_access_key_id = A\naws_secret_access_key = S\noutput = json\n";
        let mut doc = config(text);
        assert_eq!(doc.get("default", "aws_access_key_id"), None);
        assert_eq!(doc.remove("default", &KEYS), 2);
        assert_eq!(doc.render(), without_lines(text, &[3, 4]));
        let mut both =
            config("[default]\naws_access_key_id = A\n[profile default]\naws_access_key_id = A\n");
        both.set("default", "aws_access_key_id", "B").unwrap();
        assert_eq!(
            both.render(),
            "[default]\naws_access_key_id = B\n[profile default]\naws_access_key_id = B\n"
        );
    }

    #[test]
    fn indented_comments_under_a_removed_key_stay_under_a_placeholder() {
        let text = "[w]\nregion = r\naws_access_key_id = A\n\t# rotate quarterly\n  more\naws_secret_access_key = S\n\n  ; owner\n# top\nx = 1\n";
        let mut doc = creds(text);
        assert_eq!(doc.remove("w", &KEYS), 2);
        assert_eq!(
            doc.render(),
            "[w]\nregion = r\nawsesh_removed_aws_access_key_id = yes\n\t# rotate quarterly\nawsesh_removed_aws_secret_access_key = yes\n\n  ; owner\n# top\nx = 1\n"
        );
        // aws-config joins the comments to the placeholders, not to region.
        assert_eq!(doc.get("w", "region").as_deref(), Some("r"));
        // Without indented comments, no placeholder.
        let mut plain = creds("[w]\naws_access_key_id = A\n  cont\nx = 1\n");
        plain.remove("w", &KEYS);
        assert_eq!(plain.render(), "[w]\nx = 1\n");
    }

    #[test]
    fn removing_the_last_line_without_a_newline_keeps_the_rest_verbatim() {
        let text = "[a]\naws_access_key_id = A\naws_secret_access_key = S";
        let mut doc = creds(text);
        assert_eq!(doc.remove("a", &KEYS), 2);
        assert_eq!(doc.render(), "[a]\n");
        assert!(doc.has_section("a"));
    }
}
