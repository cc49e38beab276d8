//! Installing as users install: the man pages under `man/` are what
//! `awsesh man-pages` prints and lint clean with mandoc; `cargo deb` builds a
//! package that, unpacked into a scratch root, holds a binary that runs, the
//! man pages, and completions that bash, zsh and fish load from the system
//! paths; `cargo package` ships the shell scripts and not the test harness;
//! the release archive script packs what binstall and the Homebrew formula
//! expect; the release workflow and the formula are linted.
//!
//! The `.deb` is built from the debug binary this test run already has, put
//! where cargo-deb looks for a release build in a scratch target directory
//! (`--no-build`): the package's layout is under test, not the optimiser,
//! and a release build would take minutes on a small machine.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{BIN, output_within};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// cargo-deb and cargo package read the manifest and may wait for Cargo's
/// package lock while another cargo runs on a loaded machine.
const CARGO_DEADLINE: Duration = Duration::from_secs(600);
const DEADLINE: Duration = Duration::from_secs(120);

/// The release targets the issue names, in the workflow and the formula.
const RELEASE_TARGETS: [&str; 6] = [
    "x86_64-unknown-linux-gnu",
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-gnu",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
];

fn have(tool: &str, package: &str) -> bool {
    let found = support::which(tool).is_some();
    if !found {
        support::missing(&format!("{tool} ({package})"));
    }
    found
}

fn scratch(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

/// Runs `cmd` within `deadline` and returns its stdout; fails the test with
/// both outputs when it does not exit 0.
fn run_ok(cmd: &mut Command, deadline: Duration) -> String {
    let what = format!("{cmd:?}");
    let out = output_within(cmd, deadline);
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

// ---------------------------------------------------------------- man pages

#[test]
fn man_pages_are_current() {
    let dir = scratch("awsesh-man");
    run_ok(
        Command::new(BIN)
            .arg("man-pages")
            .arg(dir.path())
            .env_clear(),
        DEADLINE,
    );
    let checked_in = Path::new(ROOT).join("man");
    let fresh = file_names(dir.path());
    // One page for awsesh and each visible subcommand, nested ones included.
    for page in [
        "awsesh.1",
        "awsesh-login.1",
        "awsesh-exec.1",
        "awsesh-keys.1",
        "awsesh-keys-add.1",
        "awsesh-mfa-enroll.1",
        "awsesh-setup.1",
    ] {
        assert!(fresh.contains(page), "no {page} among {fresh:?}");
    }
    assert!(
        !fresh.iter().any(|p| p.contains("hook-sync")
            || p.contains("list-profiles")
            || p.contains("man-pages")),
        "hidden subcommands got pages: {fresh:?}"
    );
    let regenerate = "regenerate them with:\n    rm -f man/*.1 && cargo run -q -- man-pages man";
    assert_eq!(
        file_names(&checked_in),
        fresh,
        "man/ holds other pages than awsesh prints; {regenerate}"
    );
    for page in &fresh {
        assert!(
            fs::read(checked_in.join(page)).unwrap() == fs::read(dir.path().join(page)).unwrap(),
            "man/{page} is stale; {regenerate}"
        );
    }
    // What only the main page has.
    let main = fs::read_to_string(checked_in.join("awsesh.1")).unwrap();
    for section in [
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH \"EXIT STATUS\"",
        ".SH \"SEE ALSO\"",
    ] {
        assert!(main.contains(section), "awsesh.1 lacks {section}");
    }
    for variable in ["AWSESH_REFRESH_MARGIN", "AWS_CA_BUNDLE", "XDG_RUNTIME_DIR"] {
        assert!(main.contains(variable), "ENVIRONMENT lacks {variable}");
    }
}

/// mandoc's lint, at warning level: no message at all.
fn mandoc_lint(pages: &[PathBuf]) {
    let out = output_within(
        Command::new("mandoc")
            .args(["-Tlint", "-W", "warning"])
            .args(pages),
        DEADLINE,
    );
    let messages =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && messages.trim().is_empty(),
        "mandoc -Tlint -W warning: {messages}"
    );
}

#[test]
fn man_pages_lint_clean_with_mandoc() {
    if !have("mandoc", "apt install mandoc") {
        return;
    }
    let pages: Vec<PathBuf> = fs::read_dir(Path::new(ROOT).join("man"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(pages.len() > 10, "man/ has {} pages", pages.len());
    mandoc_lint(&pages);
}

// ---------------------------------------------------------------- the .deb

/// Builds the .deb with cargo-deb from this run's binary; returns its path.
fn build_deb(work: &Path) -> PathBuf {
    // cargo-deb reads target/release/awsesh, relative to CARGO_TARGET_DIR.
    let target = work.join("target");
    fs::create_dir_all(target.join("release")).unwrap();
    fs::copy(BIN, target.join("release/awsesh")).unwrap();
    let out_dir = work.join("deb");
    run_ok(
        Command::new("cargo-deb")
            .args(["--no-build", "--no-strip", "--fast", "--output"])
            .arg(&out_dir)
            .current_dir(ROOT)
            .env("CARGO_TARGET_DIR", &target),
        CARGO_DEADLINE,
    );
    let debs: Vec<PathBuf> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    assert_eq!(debs.len(), 1, "cargo deb made {debs:?}");
    debs.into_iter().next().unwrap()
}

#[test]
fn the_deb_installs_a_working_binary_man_pages_and_completions_where_the_system_looks() {
    if !have("cargo-deb", "cargo install --locked cargo-deb")
        || !have("dpkg-deb", "apt install dpkg")
        || !have("dpkg-shlibdeps", "apt install dpkg-dev")
        || !have("mandoc", "apt install mandoc")
    {
        return;
    }
    let work = scratch("awsesh-deb");
    let deb = build_deb(work.path());
    let name = deb.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("awsesh_{}-1_", version())),
        "package file {name}"
    );

    // The listing: every file where the system looks for it.
    let listing = run_ok(Command::new("dpkg-deb").arg("-c").arg(&deb), DEADLINE);
    let paths: BTreeSet<String> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .map(|p| p.trim_start_matches('.').to_string())
        .collect();
    let mut expected = vec![
        "/usr/bin/awsesh".to_string(),
        "/usr/share/bash-completion/completions/awsesh".to_string(),
        "/usr/share/zsh/vendor-completions/_awsesh".to_string(),
        "/usr/share/fish/vendor_completions.d/awsesh.fish".to_string(),
        "/usr/share/doc/awsesh/copyright".to_string(),
        "/usr/share/doc/awsesh/README.md".to_string(),
    ];
    for page in file_names(&Path::new(ROOT).join("man")) {
        expected.push(format!("/usr/share/man/man1/{page}.gz"));
    }
    for path in &expected {
        assert!(paths.contains(path), "the .deb lacks {path}:\n{listing}");
    }
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("-rwxr-xr-x") && l.ends_with("./usr/bin/awsesh")),
        "/usr/bin/awsesh is not 0755:\n{listing}"
    );

    // The control file: dependencies worked out by dpkg-shlibdeps, the
    // description, and the licenses in the copyright file.
    let depends = run_ok(
        Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Depends"),
        DEADLINE,
    );
    assert!(depends.contains("libc6"), "Depends: {depends}");
    let description = run_ok(
        Command::new("dpkg-deb")
            .arg("-f")
            .arg(&deb)
            .arg("Description"),
        DEADLINE,
    );
    assert!(
        description.contains("MFA-protected AWS session"),
        "Description: {description}"
    );

    // Unpacked into a scratch root, as dpkg would install it.
    let root = work.path().join("root");
    run_ok(
        Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root),
        DEADLINE,
    );
    let copyright = fs::read_to_string(root.join("usr/share/doc/awsesh/copyright")).unwrap();
    assert!(
        copyright.contains("MIT OR Apache-2.0") || copyright.contains("MIT or Apache-2.0"),
        "copyright file: {copyright}"
    );
    let packaged = root.join("usr/bin/awsesh");
    let shown = run_ok(
        Command::new(&packaged).arg("--version").env_clear(),
        DEADLINE,
    );
    assert_eq!(shown.trim(), format!("awsesh {}", version()));

    // The packaged pages (gzipped, as Debian wants them) are man/'s, and
    // render without a warning.
    let man1 = root.join("usr/share/man/man1");
    let plain = work.path().join("man1");
    fs::create_dir_all(&plain).unwrap();
    let mut pages = Vec::new();
    for gz in file_names(&man1) {
        let page = gz.strip_suffix(".gz").unwrap_or(&gz).to_string();
        let text = output_within(
            Command::new("gzip").arg("-dc").arg(man1.join(&gz)),
            DEADLINE,
        );
        assert!(text.status.success(), "gzip -dc {gz}");
        assert!(
            text.stdout == fs::read(Path::new(ROOT).join("man").join(&page)).unwrap_or_default(),
            "the packaged {page} is not man/{page}"
        );
        fs::write(plain.join(&page), &text.stdout).unwrap();
        pages.push(plain.join(&page));
    }
    mandoc_lint(&pages);

    completions_load_from_the_system_paths(&root);
}

/// Each shell, pointed at the scratch root the way the system points it at
/// /usr/share (bash-completion and fish through XDG_DATA_DIRS, zsh through
/// the vendor directory in $fpath), finds the packaged completions — and
/// the candidates come from the packaged binary.
fn completions_load_from_the_system_paths(root: &Path) {
    let share = root.join("usr/share");
    let path = format!(
        "{}:{}",
        root.join("usr/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = root.join("home");
    fs::create_dir_all(&home).unwrap();
    let shell = |program: &str| {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("HOME", &home)
            .env("PATH", &path)
            .env("XDG_DATA_DIRS", &share)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("AWS_CONFIG_FILE", home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
            .env("TERM", "dumb");
        cmd
    };

    let bash_file = share.join("bash-completion/completions/awsesh");
    if support::which("bash").is_some() {
        let loader = "/usr/share/bash-completion/bash_completion";
        if !Path::new(loader).is_file() {
            support::missing("bash-completion (apt install bash-completion)");
        } else {
            // bash-completion loads a command's completion on its first TAB
            // from $XDG_DATA_DIRS/bash-completion/completions/NAME.
            let script = format!(
                r#"source {loader}
__load_completion awsesh || _completion_loader awsesh
complete -p awsesh
shopt -s extdebug; declare -F _awsesh_complete; shopt -u extdebug
COMP_LINE='awsesh lo'; COMP_POINT=${{#COMP_LINE}}; COMP_WORDS=(awsesh lo); COMP_CWORD=1
_awsesh_complete awsesh lo awsesh
printf 'reply:%s\n' "${{COMPREPLY[@]}}""#
            );
            let out = run_ok(
                shell("bash")
                    .args(["--norc", "--noprofile", "-i", "-c"])
                    .arg(script),
                DEADLINE,
            );
            assert!(
                out.contains("-F _awsesh_complete awsesh"),
                "bash did not register the packaged completion:\n{out}"
            );
            assert!(
                out.contains(&bash_file.display().to_string()),
                "bash loaded the completion from elsewhere, not {}:\n{out}",
                bash_file.display()
            );
            assert!(
                out.contains("reply:login") && out.contains("reply:logout"),
                "bash completes `awsesh lo` to:\n{out}"
            );
        }
    } else {
        support::missing("bash");
    }

    if have("zsh", "apt install zsh") {
        let vendor = share.join("zsh/vendor-completions");
        let script = format!(
            r#"fpath=({} $fpath)
autoload -Uz compinit && compinit -u -D
print -r -- "comps:$_comps[awsesh]"
autoload +X _awsesh && print -r -- "from:$functions_source[_awsesh]""#,
            vendor.display()
        );
        let out = run_ok(shell("zsh").args(["-f", "-c"]).arg(script), DEADLINE);
        assert!(
            out.contains("comps:_awsesh"),
            "compinit did not bind awsesh to _awsesh:\n{out}"
        );
        assert!(
            out.contains(&format!("from:{}/_awsesh", vendor.display())),
            "zsh loaded _awsesh from elsewhere:\n{out}"
        );
    }

    if have("fish", "apt install fish") {
        let vendor = share.join("fish/vendor_completions.d");
        let out = run_ok(
            shell("fish")
                .arg("-c")
                .arg("printf 'path:%s\\n' $fish_complete_path; complete -C 'awsesh lo'"),
            DEADLINE,
        );
        assert!(
            out.contains(&format!("path:{}", vendor.display())),
            "fish does not look in {}:\n{out}",
            vendor.display()
        );
        assert!(
            out.lines().any(|l| l.starts_with("login"))
                && out.lines().any(|l| l.starts_with("logout")),
            "fish completes `awsesh lo` to:\n{out}"
        );
    }
}

// ---------------------------------------------------------------- crates.io

#[test]
fn cargo_package_ships_the_shell_scripts_and_not_the_test_harness() {
    // The crate as crates.io would get it builds on its own (`cargo package`
    // unpacks it under target/package and compiles it there)…
    run_ok(
        Command::new(env!("CARGO"))
            .args(["package", "--allow-dirty", "--offline", "--quiet"])
            .current_dir(ROOT),
        CARGO_DEADLINE,
    );
    // …and holds what it needs and nothing of the harness.
    let listing = run_ok(
        Command::new(env!("CARGO"))
            .args(["package", "--list", "--allow-dirty", "--offline"])
            .current_dir(ROOT),
        CARGO_DEADLINE,
    );
    let files: BTreeSet<&str> = listing.lines().collect();
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "src/main.rs",
        "shell/awsesh.bash",
        "shell/awsesh.zsh",
        "shell/awsesh.fish",
        "shell/completion.bash",
        "completions/awsesh.bash",
        "completions/_awsesh",
        "completions/awsesh.fish",
        "man/awsesh.1",
        "docs/commands.md",
    ] {
        assert!(files.contains(file), "the crate lacks {file}:\n{listing}");
    }
    for prefix in [
        "tests/",
        "benches/",
        "examples/",
        "scripts/",
        ".ci/",
        ".github/",
        "packaging/",
        "target/",
    ] {
        let shipped: Vec<&&str> = files.iter().filter(|f| f.starts_with(prefix)).collect();
        assert!(shipped.is_empty(), "the crate ships {shipped:?}");
    }
    // Every file the code embeds is in the crate, or `cargo install` fails.
    for source in files.iter().filter(|f| f.ends_with(".rs")) {
        let text = fs::read_to_string(Path::new(ROOT).join(source)).unwrap_or_default();
        for embedded in text.split("include_str!(\"").skip(1) {
            let relative = embedded.split('"').next().unwrap_or_default();
            let dir = Path::new(source).parent().unwrap();
            let joined = normalize(&dir.join(relative));
            assert!(
                files.contains(joined.as_str()),
                "{source} embeds {joined}, which the crate lacks"
            );
        }
    }
}

/// `src/cmd/../../shell/x` → `shell/x`.
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

/// `cargo metadata`'s view of this package (its [package.metadata] tables).
fn package_metadata() -> serde_json::Value {
    let out = run_ok(
        Command::new(env!("CARGO"))
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--offline",
            ])
            .current_dir(ROOT),
        CARGO_DEADLINE,
    );
    let all: serde_json::Value = serde_json::from_str(&out).unwrap();
    all["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "awsesh")
        .unwrap()
        .clone()
}

// ---------------------------------------------------------------- release archives

/// Runs packaging/archive.sh for the Linux gnu target with this run's binary,
/// as the release workflow does with the release build; returns the archive.
fn build_archive(out_dir: &Path, target: &str) -> PathBuf {
    let printed = run_ok(
        Command::new("bash")
            .arg(Path::new(ROOT).join("packaging/archive.sh"))
            .arg(target)
            .arg(BIN)
            .arg(out_dir),
        DEADLINE,
    );
    let archive = PathBuf::from(printed.trim());
    assert!(archive.is_file(), "archive.sh printed {printed:?}");
    archive
}

#[test]
fn the_archive_script_packs_binary_man_pages_completions_readme_and_licenses_as_binstall_expects() {
    let work = scratch("awsesh-archive");
    let target = "x86_64-unknown-linux-gnu";
    let archive = build_archive(&work.path().join("dist"), target);

    // binstall's templates, filled in as cargo-binstall fills them.
    let package = package_metadata();
    let binstall = &package["metadata"]["binstall"];
    let fill = |template: &str| {
        template
            .replace("{ repo }", package["repository"].as_str().unwrap())
            .replace("{ name }", "awsesh")
            .replace("{ version }", version())
            .replace("{ target }", target)
            .replace("{ bin }", "awsesh")
            .replace("{ binary-ext }", "")
    };
    let url = fill(binstall["pkg-url"].as_str().unwrap());
    let file_name = archive.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        url.ends_with(&format!("/releases/download/v{}/{file_name}", version())),
        "binstall fetches {url}, the release has {file_name}"
    );
    assert_eq!(binstall["pkg-fmt"], "tgz");

    let unpacked = work.path().join("unpacked");
    fs::create_dir_all(&unpacked).unwrap();
    run_ok(
        Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&unpacked),
        DEADLINE,
    );
    let top = format!("awsesh-v{}-{target}", version());
    assert_eq!(
        file_names(&unpacked),
        BTreeSet::from([top.clone()]),
        "one top directory"
    );
    let dir = unpacked.join(&top);
    for file in [
        "awsesh",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "man/awsesh.1",
        "man/awsesh-login.1",
        "completions/awsesh.bash",
        "completions/_awsesh",
        "completions/awsesh.fish",
    ] {
        assert!(dir.join(file).is_file(), "the archive lacks {top}/{file}");
    }
    assert_eq!(
        file_names(&dir.join("man")),
        file_names(&Path::new(ROOT).join("man"))
    );
    let bin = unpacked.join(fill(binstall["bin-dir"].as_str().unwrap()));
    let shown = run_ok(Command::new(&bin).arg("--version").env_clear(), DEADLINE);
    assert_eq!(shown.trim(), format!("awsesh {}", version()));

    // The same inputs give the same bytes (a checksum means something).
    let again = build_archive(&work.path().join("again"), target);
    assert!(
        fs::read(&archive).unwrap() == fs::read(&again).unwrap(),
        "two runs of archive.sh differ"
    );
}

// ---------------------------------------------------------------- workflow and formula

/// The workflow as JSON, parsed by PyYAML (which the aws CLI brings).
fn workflow() -> serde_json::Value {
    let path = Path::new(ROOT).join(".github/workflows/release.yml");
    let out = run_ok(
        Command::new("python3")
            .args([
                "-c",
                "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
            ])
            .arg(&path),
        DEADLINE,
    );
    serde_json::from_str(&out).unwrap()
}

fn steps_text(job: &serde_json::Value) -> String {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["run"].as_str().unwrap_or(""),
                s["uses"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_release_workflow_builds_every_target_the_deb_and_checksums_on_a_tag() {
    let python_yaml = Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !python_yaml {
        support::missing("python3 with PyYAML (pip install pyyaml; the aws CLI brings it)");
        return;
    }
    let flow = workflow();
    // PyYAML reads the key `on` as the boolean true.
    let trigger = flow.get("on").or_else(|| flow.get("true")).unwrap();
    let tags = trigger["push"]["tags"].as_array().unwrap();
    assert!(
        tags.iter().any(|t| t.as_str().unwrap().starts_with('v')),
        "the workflow runs on version tags: {tags:?}"
    );
    let jobs = &flow["jobs"];

    let archive = &jobs["archive"];
    let targets: BTreeSet<&str> = archive["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, BTreeSet::from(RELEASE_TARGETS));
    for entry in archive["strategy"]["matrix"]["include"].as_array().unwrap() {
        let (target, os) = (
            entry["target"].as_str().unwrap(),
            entry["os"].as_str().unwrap(),
        );
        let fits = if target.contains("apple-darwin") {
            os.starts_with("macos")
        } else {
            os.starts_with("ubuntu") && (target.starts_with("aarch64") == os.ends_with("-arm"))
        };
        assert!(fits, "{target} is built on {os}");
    }
    let archive_steps = steps_text(archive);
    for needle in [
        "cargo build --release --locked --target",
        "packaging/archive.sh",
        "musl-tools",
        "actions/upload-artifact",
    ] {
        assert!(
            archive_steps.contains(needle),
            "the archive job lacks {needle}"
        );
    }

    let deb_steps = steps_text(&jobs["deb"]);
    assert!(deb_steps.contains("cargo deb"), "no .deb job");
    let release = &jobs["release"];
    let release_steps = steps_text(release);
    for needle in [
        "sha256sum",
        "SHA256SUMS",
        "packaging/homebrew/render.sh",
        "gh release create",
    ] {
        assert!(
            release_steps.contains(needle),
            "the release job lacks {needle}"
        );
    }
    let needs: BTreeSet<&str> = release["needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(needs, BTreeSet::from(["archive", "deb"]));
    assert_eq!(release["permissions"]["contents"], "write");

    // Every script a step runs exists, and the shell in it passes shellcheck.
    for script in ["packaging/archive.sh", "packaging/homebrew/render.sh"] {
        assert!(
            Path::new(ROOT).join(script).is_file(),
            "{script} is missing"
        );
    }
    if have("shellcheck", "apt install shellcheck") {
        run_ok(
            Command::new("shellcheck")
                .arg(Path::new(ROOT).join("packaging/archive.sh"))
                .arg(Path::new(ROOT).join("packaging/homebrew/render.sh")),
            DEADLINE,
        );
    }
    // actionlint, when there is one (it is not in the registries this
    // project installs from): the full workflow lint, shellcheck included.
    if support::which("actionlint").is_some() {
        run_ok(
            Command::new("actionlint").arg(Path::new(ROOT).join(".github/workflows/release.yml")),
            DEADLINE,
        );
    } else {
        support::note("actionlint not found: the release workflow was checked by its YAML only");
    }
}

/// A stand-in for Homebrew's Formula DSL: it evaluates the formula, records
/// each platform's url and sha256, then runs `install` in an unpacked
/// archive, failing on any file the formula installs that is not there.
const FORMULA_HARNESS: &str = r##"
require "json"
$urls = {}
$installed = []
class Destination < Struct.new(:name)
  def install(*args)
    args.each do |arg|
      sources = arg.is_a?(Hash) ? arg.keys : Array(arg)
      raise "nothing to install into #{name}" if sources.empty?
      sources.each do |s|
        raise "#{name}.install: #{s} is not in the archive" unless File.file?(s)
        $installed << "#{name}:#{s}"
      end
    end
  end
end
class Formula
  class << self
    def attrs
      @attrs ||= {}
    end
    def desc(v)
      attrs["desc"] = v
    end
    def homepage(v)
      attrs["homepage"] = v
    end
    def version(v)
      attrs["version"] = v
    end
    def license(v)
      attrs["license"] = v
    end
    def platform(os: @os, arch: @arch)
      saved = [@os, @arch]
      @os, @arch = os, arch
      yield
      @os, @arch = saved
    end
    def on_macos(&b) = platform(os: "macos", &b)
    def on_linux(&b) = platform(os: "linux", &b)
    def on_arm(&b) = platform(arch: "arm", &b)
    def on_intel(&b) = platform(arch: "intel", &b)
    def url(v)
      ($urls["#{@os}-#{@arch}"] ||= {})["url"] = v
    end
    def sha256(v)
      ($urls["#{@os}-#{@arch}"] ||= {})["sha256"] = v
    end
    def test(&block)
      attrs["test"] = !block.nil?
    end
  end
  %w[bin man1 bash_completion zsh_completion fish_completion].each do |d|
    define_method(d) { Destination.new(d) }
  end
end
load ARGV[0]
Dir.chdir(ARGV[1]) { Awsesh.new.install }
puts JSON.generate({ "attrs" => Awsesh.attrs, "urls" => $urls, "installed" => $installed })
"##;

#[test]
fn the_homebrew_formula_installs_the_release_archives_with_their_checksums() {
    if !have("ruby", "apt install ruby") {
        return;
    }
    let work = scratch("awsesh-brew");
    // The release's SHA256SUMS: a real archive (the Linux gnu one, which
    // the formula does not use) and the four the formula names.
    let dist = work.path().join("dist");
    let archive = build_archive(&dist, "x86_64-unknown-linux-gnu");
    let mut sums = String::new();
    for (i, target) in RELEASE_TARGETS.iter().enumerate() {
        sums.push_str(&format!(
            "{:064x}  awsesh-v{}-{target}.tar.gz\n",
            i + 1,
            version()
        ));
    }
    fs::write(dist.join("SHA256SUMS"), &sums).unwrap();
    let render = Path::new(ROOT).join("packaging/homebrew/render.sh");
    let formula = run_ok(
        Command::new("bash")
            .arg(&render)
            .arg(version())
            .arg(dist.join("SHA256SUMS")),
        DEADLINE,
    );
    let formula_path = work.path().join("awsesh.rb");
    fs::write(&formula_path, &formula).unwrap();
    let syntax = run_ok(Command::new("ruby").arg("-c").arg(&formula_path), DEADLINE);
    assert!(syntax.contains("Syntax OK"), "ruby -c: {syntax}");

    // Evaluated in an unpacked archive (every release archive has one layout).
    let unpacked = work.path().join("unpacked");
    fs::create_dir_all(&unpacked).unwrap();
    run_ok(
        Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&unpacked),
        DEADLINE,
    );
    let top = unpacked.join(format!("awsesh-v{}-x86_64-unknown-linux-gnu", version()));
    let harness = work.path().join("harness.rb");
    fs::write(&harness, FORMULA_HARNESS).unwrap();
    let out = run_ok(
        Command::new("ruby")
            .arg(&harness)
            .arg(&formula_path)
            .arg(&top),
        DEADLINE,
    );
    let seen: serde_json::Value = serde_json::from_str(out.trim()).unwrap();

    let package = package_metadata();
    let repository = package["repository"].as_str().unwrap();
    assert_eq!(seen["attrs"]["version"], version());
    assert_eq!(seen["attrs"]["homepage"], package["homepage"]);
    assert_eq!(seen["attrs"]["test"], true, "the formula has a test block");
    for (platform, target) in [
        ("macos-arm", "aarch64-apple-darwin"),
        ("macos-intel", "x86_64-apple-darwin"),
        ("linux-arm", "aarch64-unknown-linux-musl"),
        ("linux-intel", "x86_64-unknown-linux-musl"),
    ] {
        let i = RELEASE_TARGETS.iter().position(|t| *t == target).unwrap();
        assert_eq!(
            seen["urls"][platform]["url"],
            format!(
                "{repository}/releases/download/v{v}/awsesh-v{v}-{target}.tar.gz",
                v = version()
            ),
            "{platform}"
        );
        assert_eq!(
            seen["urls"][platform]["sha256"],
            format!("{:064x}", i + 1),
            "{platform}: the checksum of its own archive"
        );
    }
    let installed: BTreeSet<&str> = seen["installed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for expected in [
        "bin:awsesh",
        "man1:man/awsesh.1",
        "man1:man/awsesh-login.1",
        "bash_completion:completions/awsesh.bash",
        "zsh_completion:completions/_awsesh",
        "fish_completion:completions/awsesh.fish",
    ] {
        assert!(
            installed.contains(expected),
            "the formula does not install {expected}: {installed:?}"
        );
    }

    // An archive missing from SHA256SUMS: no formula at all.
    fs::write(dist.join("SHA256SUMS"), sums.lines().next().unwrap()).unwrap();
    let out = output_within(
        Command::new("bash")
            .arg(&render)
            .arg(version())
            .arg(dist.join("SHA256SUMS")),
        DEADLINE,
    );
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no SHA-256 of"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
