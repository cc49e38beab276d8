//! The benchmark scripts (benches/) stay runnable: shellcheck passes on the
//! shell scripts and Python compiles the Python ones. The benchmarks
//! themselves are run by `bash benches/run.sh`, not by the tests.

mod support;

use std::path::PathBuf;
use std::process::Command;

fn scripts(ext: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/benches"));
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == ext))
        .collect();
    found.sort();
    found
}

#[test]
fn shellcheck_passes_on_the_benchmark_scripts() {
    if support::which("shellcheck").is_none() {
        return support::missing("shellcheck");
    }
    let files = scripts("sh");
    assert!(files.len() >= 3, "run.sh, shell.sh, herd.sh: {files:?}");
    let out = Command::new("shellcheck")
        .args(["--shell=bash", "--severity=style"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "shellcheck:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_benchmark_python_scripts_compile() {
    if support::which("python3").is_none() {
        return support::missing("python3");
    }
    let files = scripts("py");
    assert!(
        files.len() >= 4,
        "team_flow, enter, report, interleave: {files:?}"
    );
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let out = Command::new("python3")
            .args([
                "-c",
                "import sys; compile(sys.stdin.read(), sys.argv[1], 'exec')",
            ])
            .arg(&file)
            .stdin(std::fs::File::open(&file).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success() && !source.is_empty(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
