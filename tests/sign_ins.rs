//! IAM Identity Center and `aws login` sessions as awsesh's own kinds (issue
//! 22): credentials from the SDK's providers against a fake IAM Identity
//! Center and Sign-In on loopback (tests/support/fake_sso.rs), the token
//! caches in the CLI's format shared with boto3, one renewal under the lock
//! for many processes, and the sign-in on a terminal.

mod support;
#[path = "support/term.rs"]
mod term;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use expectrl::Expect;
use sha1::Digest;
use support::fake_sso::{ACCOUNT, FakeSso, ROLE};
use support::{Sandbox, finish_pty, spawn_pty};
use term::Sh;

const START_URL: &str = "https://corp.awsapps.com/start";
const LOGIN_ARN: &str = "arn:aws:iam::111122223333:user/alice";

/// A sandbox with two IAM Identity Center profiles on one sso-session
/// (`sso`, `sso2`) and an `aws login` profile (`signin`). AWS_ENDPOINT_URL
/// points at a closed port: only the service-specific variables lead to the
/// fake, so a test passing shows they win.
fn sandbox(fake: &FakeSso) -> Sandbox {
    let sb = Sandbox::empty("http://127.0.0.1:9", "unused", "unused");
    sb.write_config(&format!(
        "[profile sso]\nsso_session = corp\nsso_account_id = {ACCOUNT}\nsso_role_name = {ROLE}\nregion = us-east-1\n\n\
         [profile sso2]\nsso_session = corp\nsso_account_id = {ACCOUNT}\nsso_role_name = {ROLE}\nregion = us-east-1\n\n\
         [sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
         [profile signin]\nlogin_session = {LOGIN_ARN}\nregion = us-east-1\n"
    ));
    sb.write_credentials("");
    let _ = fake;
    sb
}

fn env_with(fake: &FakeSso) -> Vec<(&'static str, String)> {
    fake.env()
}

fn awsesh(sb: &Sandbox, fake: &FakeSso, args: &[&str]) -> Command {
    let mut cmd = sb.awsesh(args);
    cmd.envs(env_with(fake));
    cmd
}

/// Runs awsesh (no terminal); (code, stdout, stderr).
fn run(sb: &Sandbox, fake: &FakeSso, args: &[&str]) -> (i32, String, String) {
    let out = support::output_within(&mut awsesh(sb, fake, args), Duration::from_secs(120));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_env(sb: &Sandbox, fake: &FakeSso, profile: &str) -> serde_json::Value {
    let (code, out, err) = run(
        sb,
        fake,
        &["env", "--ensure", "--shell", "json", "--profile", profile],
    );
    assert_eq!(code, 0, "env --ensure --profile {profile}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|_| panic!("json: {out}"))
}

fn sso_cache(sb: &Sandbox) -> PathBuf {
    let digest = hex::encode(sha1::Sha1::digest(b"corp"));
    sb.home.join(format!(".aws/sso/cache/{digest}.json"))
}

fn login_cache(sb: &Sandbox) -> PathBuf {
    let digest = hex::encode(sha2::Sha256::digest(LOGIN_ARN.as_bytes()));
    sb.home.join(format!(".aws/login/cache/{digest}.json"))
}

fn rfc3339(offset_secs: i64) -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs);
    at.replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// An SSO token cache entry as the CLI writes it.
fn write_sso_token(sb: &Sandbox, access_token: &str, expires_in: i64, refresh: &str) {
    let path = sso_cache(sb);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let entry = serde_json::json!({
        "startUrl": START_URL,
        "region": "us-east-1",
        "accessToken": access_token,
        "expiresAt": rfc3339(expires_in),
        "clientId": "client-seeded",
        "clientSecret": "secret-seeded",
        "registrationExpiresAt": rfc3339(90 * 86400),
        "refreshToken": refresh,
    });
    std::fs::write(&path, entry.to_string()).unwrap();
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn key_of(env: &serde_json::Value) -> String {
    env["AWS_ACCESS_KEY_ID"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_fresh_sso_token_gives_role_credentials_cached_for_many_commands() {
    let fake = FakeSso::start();
    let sb = sandbox(&fake);
    let token = fake.access_token(3600);
    let refresh = fake.refresh_token();
    write_sso_token(&sb, &token, 3600, &refresh);

    let first = json_env(&sb, &fake, "sso");
    assert!(key_of(&first).starts_with("ASIASSOFAKE"), "{first}");
    for _ in 0..4 {
        assert_eq!(key_of(&json_env(&sb, &fake, "sso")), key_of(&first));
    }
    // credential-process serves the same session.
    let (code, out, err) = run(&sb, &fake, &["credential-process", "--profile", "sso"]);
    assert_eq!(code, 0, "{err}");
    let served: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        served["AccessKeyId"].as_str(),
        Some(key_of(&first).as_str())
    );
    assert_eq!(fake.calls("GetRoleCredentials"), 1, "one portal call");
    assert_eq!(
        fake.calls("CreateToken(refresh)"),
        0,
        "a fresh token is not renewed"
    );

    // The prompt counts the role credentials down (~1 h).
    let (code, out, _) = run(&sb, &fake, &["prompt", "--profile", "sso"]);
    assert_eq!(code, 0);
    assert!(
        ["1h00m", "59m", "58m"].iter().any(|t| out.trim() == *t),
        "prompt: {out:?}"
    );
}

#[test]
fn six_processes_with_an_expired_sso_token_make_one_refresh_and_boto3_shares_it() {
    let fake = FakeSso::start();
    let sb = sandbox(&fake);
    let old_token = fake.access_token(-60);
    let old_refresh = fake.refresh_token();
    write_sso_token(&sb, &old_token, -60, &old_refresh);

    let children: Vec<_> = (0..6)
        .map(|_| {
            awsesh(
                &sb,
                &fake,
                &["env", "--ensure", "--shell", "json", "--profile", "sso"],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let keys: Vec<String> = children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            key_of(&serde_json::from_slice(&out.stdout).unwrap())
        })
        .collect();
    assert!(keys.iter().all(|k| k == &keys[0]), "one session: {keys:?}");
    assert_eq!(fake.calls("CreateToken(refresh)"), 1, "one refresh");
    assert_eq!(
        fake.calls("Refused:CreateToken(refresh)"),
        0,
        "no race on the refresh token"
    );
    assert_eq!(fake.calls("GetRoleCredentials"), 1, "one portal call");

    // The cache was rewritten in the CLI's format, the refresh token rotated.
    let cache = read_json(&sso_cache(&sb));
    for key in [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ] {
        assert!(cache[key].is_string(), "{key} in {cache}");
    }
    assert_ne!(cache["accessToken"], old_token.as_str());
    assert_ne!(cache["refreshToken"], old_refresh.as_str());
    assert!(cache["expiresAt"].as_str().unwrap().ends_with('Z'));
    assert!(fake.refresh_token_valid(cache["refreshToken"].as_str().unwrap()));

    // boto3 (a real client) signs in from that cache without renewing it.
    if support::which("python3").is_none() || !python_has_boto3() {
        support::missing("python3 with boto3");
        return;
    }
    let boto = boto3_credentials(&sb, &fake, "sso");
    assert!(boto.starts_with("ASIASSOFAKE"), "boto3: {boto}");
    assert_eq!(
        fake.calls("CreateToken(refresh)"),
        1,
        "boto3 did not refresh again"
    );
    assert_eq!(fake.calls("GetRoleCredentials"), 2);

    // And awsesh uses a token boto3 renewed: expire it again, boto3 renews
    // (rotating the refresh token), awsesh's next profile reads that token.
    let rotated = fake.refresh_token();
    let expired = fake.access_token(-60);
    write_sso_token(&sb, &expired, -60, &rotated);
    let _ = boto3_credentials(&sb, &fake, "sso2");
    assert_eq!(
        fake.calls("CreateToken(refresh)"),
        2,
        "boto3 renewed the token"
    );
    let written_by_boto3 = read_json(&sso_cache(&sb));
    assert_ne!(written_by_boto3["accessToken"], expired.as_str());
    // sso2 has no awsesh session yet; the token boto3 wrote is fresh.
    let (code, _, err) = run(&sb, &fake, &["logout", "--profile", "sso2"]);
    assert!(code == 0 || err.contains("no session"), "{err}");
    let env = json_env(&sb, &fake, "sso2");
    assert!(key_of(&env).starts_with("ASIASSOFAKE"));
    assert_eq!(
        fake.calls("CreateToken(refresh)"),
        2,
        "awsesh used boto3's token"
    );
    assert_eq!(
        read_json(&sso_cache(&sb))["accessToken"],
        written_by_boto3["accessToken"]
    );
}

fn python_has_boto3() -> bool {
    Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The access key boto3 gets for `profile` in the sandbox.
fn boto3_credentials(sb: &Sandbox, fake: &FakeSso, profile: &str) -> String {
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "import boto3,sys; c=boto3.Session(profile_name=sys.argv[1]).get_credentials().get_frozen_credentials(); print(c.access_key)",
        profile,
    ])
    .env_clear()
    .envs(sb.env())
    .envs(fake.env());
    let out = support::output_within(&mut cmd, Duration::from_secs(120));
    assert!(
        out.status.success(),
        "boto3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn without_a_token_and_without_a_terminal_one_line_names_the_command() {
    let fake = FakeSso::start();
    let sb = sandbox(&fake);
    let started = Instant::now();
    let (code, out, err) = run(&sb, &fake, &["env", "--ensure", "--profile", "sso"]);
    assert_ne!(code, 0);
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("awsesh login --profile sso"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(60), "at once");
    assert_eq!(fake.calls("StartDeviceAuthorization"), 0);

    // An expired token whose refresh token is refused (revoked, or rotated
    // away by another tool): renewal is tried once, then the same one line.
    let expired = fake.access_token(-60);
    write_sso_token(&sb, &expired, -60, "aor-revoked");
    let (code, _, err) = run(&sb, &fake, &["env", "--ensure", "--profile", "sso"]);
    assert_ne!(code, 0);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("awsesh login --profile sso"), "{err}");
    assert_eq!(fake.calls("Refused:CreateToken(refresh)"), 1);

    let (code, _, err) = run(&sb, &fake, &["env", "--ensure", "--profile", "signin"]);
    assert_ne!(code, 0);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("aws login --profile signin"), "{err}");
}

#[test]
fn the_device_sign_in_runs_on_the_terminal_and_writes_the_clis_cache() {
    let fake = FakeSso::start();
    let sb = sandbox(&fake);
    let opened = sb.path("browser-url");
    let browser = sb.path("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display()),
    )
    .unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&browser).unwrap().permissions(),
        0o755,
    );
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let endpoint_env: Vec<(&str, String)> = fake.env();
    let mut extra: Vec<(&str, &str)> = endpoint_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let browser_text = browser.display().to_string();
    extra.push(("BROWSER", &browser_text));

    // Ctrl-C while waiting for the approval: 130, nothing written.
    let mut pty = spawn_pty(&sb, &["login", "--profile", "sso"], &extra);
    pty.set_expect_timeout(Some(Duration::from_secs(90)));
    pty.expect("confirm the code ABCD-")
        .expect("the code is shown");
    pty.send([3u8]).unwrap();
    let (code, _) = finish_pty(pty);
    assert_eq!(code, 130, "Ctrl-C ends the sign-in with 130");
    assert!(
        !sso_cache(&sb).exists(),
        "a cancelled sign-in writes nothing"
    );

    // The sign-in again, for `sso2` (same sso-session, so the same token):
    // the cancel just recorded for `sso` is shared with other terminals for
    // a few seconds, and a new pty may be another terminal.
    let polls_before = fake.calls("CreateToken(device)");
    let mut pty = spawn_pty(&sb, &["login", "--profile", "sso2"], &extra);
    pty.set_expect_timeout(Some(Duration::from_secs(90)));
    let shown = pty
        .expect("confirm the code ABCD-")
        .expect("the code is shown");
    let shown = String::from_utf8_lossy(shown.before()).into_owned();
    assert!(
        shown.contains("open https://device.sso.example/"),
        "{shown}"
    );
    // awsesh polls (authorization_pending) until the user approves.
    assert!(fake.wait_for(
        "CreateToken(device)",
        polls_before + 1,
        Duration::from_secs(60)
    ));
    assert!(fake.approve_all() >= 1);
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 0, "{output}");
    let url = std::fs::read_to_string(&opened).expect("the browser was opened");
    assert!(
        url.starts_with("https://device.sso.example/?user_code=ABCD-"),
        "{url}"
    );
    let cache = read_json(&sso_cache(&sb));
    assert!(cache["refreshToken"].is_string() && cache["clientSecret"].is_string());
    assert_eq!(cache["startUrl"], START_URL);
    assert_eq!(support::mode_of(&sso_cache(&sb)) & 0o077, 0, "private");

    // Now every command without a terminal works, with no new sign-in.
    let env = json_env(&sb, &fake, "sso");
    assert!(key_of(&env).starts_with("ASIASSOFAKE"));
    assert_eq!(fake.calls("StartDeviceAuthorization"), 2);
    assert_eq!(fake.calls("CreateToken(refresh)"), 0);
}

/// A P-256 key in SEC1 PEM, as `aws login` stores its DPoP key.
fn dpop_key(sb: &Sandbox) -> Option<String> {
    let out = Command::new("openssl")
        .args(["ecparam", "-name", "prime256v1", "-genkey", "-noout"])
        .current_dir(sb.root.path())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn write_login_token(sb: &Sandbox, fake: &FakeSso, expires_in: i64) -> String {
    let Some(key) = dpop_key(sb) else {
        support::missing("openssl (for a DPoP key)");
        return String::new();
    };
    let refresh = fake.login_refresh_token();
    let entry = serde_json::json!({
        "accessToken": {
            "accessKeyId": "ASIALOGINSEEDED00001",
            "secretAccessKey": "seededLoginSecretabcdefghijklmnopqrstuvwx",
            "sessionToken": "seededLoginSessionTokenAAAAAAAAAAAAAAAA",
            "accountId": ACCOUNT,
            "expiresAt": rfc3339(expires_in),
        },
        "tokenType": "aws_sigv4",
        "refreshToken": refresh,
        "idToken": "id-token",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "dpopKey": key,
    });
    let path = login_cache(sb);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, entry.to_string()).unwrap();
    refresh
}

#[test]
fn an_aws_login_session_is_served_and_renewed_once_under_the_lock() {
    let fake = FakeSso::start();
    let sb = sandbox(&fake);
    // Valid for 14 more minutes: served as it is, no renewal.
    if write_login_token(&sb, &fake, 14 * 60).is_empty() {
        return;
    }
    let env = json_env(&sb, &fake, "signin");
    assert_eq!(key_of(&env), "ASIALOGINSEEDED00001");
    assert_eq!(fake.calls("SignInToken"), 0);

    // Expired: six processes, one renewal (DPoP-signed), the cache rewritten.
    let old_refresh = write_login_token(&sb, &fake, -60);
    let (code, _, err) = run(&sb, &fake, &["logout", "--profile", "signin"]);
    assert_eq!(code, 0, "{err}");
    let children: Vec<_> = (0..6)
        .map(|_| {
            awsesh(
                &sb,
                &fake,
                &["env", "--ensure", "--shell", "json", "--profile", "signin"],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let keys: Vec<String> = children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            key_of(&serde_json::from_slice(&out.stdout).unwrap())
        })
        .collect();
    assert!(keys[0].starts_with("ASIALOGINFAKE"), "{keys:?}");
    assert!(keys.iter().all(|k| k == &keys[0]), "one session: {keys:?}");
    assert_eq!(fake.calls("SignInToken"), 1, "one renewal");
    assert_eq!(fake.calls("Refused:SignInToken"), 0);
    assert!(
        !fake.login_without_dpop(),
        "the renewal carried a DPoP proof"
    );
    let cache = read_json(&login_cache(&sb));
    assert_ne!(
        cache["refreshToken"],
        old_refresh.as_str(),
        "rotated in the cache"
    );
    assert_eq!(
        cache["accessToken"]["accessKeyId"].as_str(),
        Some(keys[0].as_str())
    );
}

#[test]
fn an_aws_login_that_cannot_be_renewed_runs_aws_login_on_the_terminal() {
    let fake = FakeSso::start();
    let sb = sandbox(&fake);
    let Some(key) = dpop_key(&sb) else {
        support::missing("openssl (for a DPoP key)");
        return;
    };
    // A stand-in AWS CLI v2 whose `login` writes a fresh cache entry.
    let bin = sb.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let refresh = fake.login_refresh_token();
    let entry = serde_json::json!({
        "accessToken": {
            "accessKeyId": "ASIAFROMAWSLOGIN0001",
            "secretAccessKey": "fromAwsLoginSecretabcdefghijklmnopqrstuv",
            "sessionToken": "fromAwsLoginSessionTokenAAAAAAAAAAAAAAA",
            "accountId": ACCOUNT,
            "expiresAt": rfc3339(900),
        },
        "tokenType": "aws_sigv4",
        "refreshToken": refresh,
        "clientId": "arn:aws:signin:::devtools/same-device",
        "dpopKey": key,
    });
    let seed = sb.path("login-entry.json");
    std::fs::write(&seed, entry.to_string()).unwrap();
    let target = login_cache(&sb);
    let script = format!(
        "#!/bin/sh\ncase \"$1\" in\n--version) echo 'aws-cli/2.32.0 Python/3.13 Linux';;\n\
         login) [ -t 0 ] || exit 9; echo \"signing in $3\"; mkdir -p '{dir}'; cp '{seed}' '{target}';;\nesac\n",
        dir = target.parent().unwrap().display(),
        seed = seed.display(),
        target = target.display()
    );
    let aws = bin.join("aws");
    std::fs::write(&aws, script).unwrap();
    std::fs::set_permissions(&aws, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let endpoint_env = fake.env();
    let mut extra: Vec<(&str, &str)> = endpoint_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    extra.push(("PATH", &path));
    let pty = spawn_pty(&sb, &["login", "--profile", "signin"], &extra);
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("signing in signin"),
        "aws login ran on the terminal: {output}"
    );
    let env = json_env(&sb, &fake, "signin");
    assert_eq!(key_of(&env), "ASIAFROMAWSLOGIN0001");
}

#[test]
fn status_reports_the_sso_kind_its_time_left_and_the_refresh_token() {
    let fake = FakeSso::start();
    let sb = sandbox(&fake);
    let token = fake.access_token(-60);
    let refresh = fake.refresh_token();
    write_sso_token(&sb, &token, -60, &refresh);
    let (code, out, err) = run(&sb, &fake, &["status", "--all", "--json"]);
    assert_eq!(code, 0, "{err}");
    let all: serde_json::Value = serde_json::from_str(&out).unwrap();
    let text = all.to_string();
    assert!(text.contains("iam-identity-center"), "{text}");
    assert!(text.contains("\"refresh_token_valid\":true"), "{text}");
    assert!(text.contains("aws-login"), "{text}");
    let (_, doctor, _) = run(&sb, &fake, &["doctor", "--profile", "sso"]);
    assert!(
        doctor.contains("IAM Identity Center role ReadOnly")
            && doctor.contains("refresh token valid"),
        "{doctor}"
    );
    let _ = json_env(&sb, &fake, "sso");
    let (code, out, err) = run(&sb, &fake, &["status", "--profile", "sso"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("IAM Identity Center"), "{out}");
    assert!(out.contains("time left:   "), "{out}");

    // No refresh token and an expired token: doctor fails with the command.
    let dead = fake.access_token(-60);
    let path = sso_cache(&sb);
    let mut entry = read_json(&path);
    entry["accessToken"] = dead.into();
    entry["expiresAt"] = rfc3339(-60).into();
    entry.as_object_mut().unwrap().remove("refreshToken");
    std::fs::write(&path, entry.to_string()).unwrap();
    let (code, doctor, _) = run(&sb, &fake, &["doctor", "--profile", "sso"]);
    assert_ne!(code, 0);
    assert!(
        doctor.contains("FAIL") && doctor.contains("awsesh login --profile sso"),
        "{doctor}"
    );
}

/// The prompt and the `aws` wrapper with an IAM Identity Center profile,
/// inline (`AWS_PROFILE=sso aws …`) and as the shell's profile. A probe on
/// PATH stands in for `aws` and prints the key it was given.
fn an_sso_profile_in_the_shell(sh: Sh) {
    if support::which(sh.name()).is_none() {
        support::missing(sh.name());
        return;
    }
    let fake = FakeSso::start();
    let sb = sandbox(&fake);
    let token = fake.access_token(3600);
    let refresh = fake.refresh_token();
    write_sso_token(&sb, &token, 3600, &refresh);
    let bin = sb.path("probe-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let probe = bin.join("awsprobe");
    std::fs::write(
        &probe,
        "#!/bin/sh\nprintf 'args=%s key=%s\\n' \"$*\" \"${AWS_ACCESS_KEY_ID-unset}\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&probe, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let rc = term::write_rc(&sb, sh, "", 0, &sh.init_line(" --cmd awsprobe"));
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let endpoints = fake.env();
    let mut env: Vec<(&str, &str)> = endpoints.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("PATH", &path));
    let mut t = term::Term::start(&sb, sh, &rc, &env);

    // Inline: the command gets the SSO role credentials, the shell keeps nothing.
    let (status, out, _) = t.run("AWS_PROFILE=sso awsprobe s3 ls");
    assert_eq!(status, 0, "{}: {out}", sh.name());
    assert!(
        out.contains("args=s3 ls key=ASIASSOFAKE"),
        "{}: {out}",
        sh.name()
    );
    assert_eq!(
        t.var("AWS_ACCESS_KEY_ID"),
        "",
        "{}: inline leaves the shell as it was",
        sh.name()
    );

    // As the shell's profile: exported, and the prompt counts it down.
    t.run(&sh.export("AWS_PROFILE", "sso"));
    let (status, out, _) = t.run("awsprobe s3 ls");
    assert_eq!(status, 0, "{}: {out}", sh.name());
    assert!(out.contains("key=ASIASSOFAKE"), "{}: {out}", sh.name());
    let prompt = t.enter();
    assert!(
        prompt.contains("aws:sso 59m") || prompt.contains("aws:sso 1h00m"),
        "{}: prompt {prompt:?}",
        sh.name()
    );
    assert!(
        t.var("AWS_ACCESS_KEY_ID").starts_with("ASIASSOFAKE"),
        "{}",
        sh.name()
    );
    assert_eq!(
        fake.calls("GetRoleCredentials"),
        1,
        "{}: one portal call",
        sh.name()
    );
}

term::per_shell! {
    an_sso_profile_in_the_shell: [Bash, Zsh, Fish];
}

/// A role profile whose `source_profile` is an IAM Identity Center profile:
/// the role is assumed (chained) with the SSO role credentials awsesh keeps.
#[test]
fn a_role_on_top_of_an_sso_profile_is_assumed_with_its_credentials() {
    let fake = FakeSso::start();
    let sts = support::fake_sts::FakeSts::start();
    let sb = sandbox(&fake);
    sb.append_config(&format!(
        "\n[profile sso-admin]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Admin\nsource_profile = sso\nregion = us-east-1\n"
    ));
    let token = fake.access_token(3600);
    let refresh = fake.refresh_token();
    write_sso_token(&sb, &token, 3600, &refresh);
    let mut cmd = awsesh(
        &sb,
        &fake,
        &[
            "env",
            "--ensure",
            "--shell",
            "json",
            "--profile",
            "sso-admin",
        ],
    );
    cmd.env("AWS_ENDPOINT_URL_STS", &sts.endpoint);
    let out = support::output_within(&mut cmd, Duration::from_secs(120));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!key_of(&env).is_empty());
    let assumed: Vec<_> = sts
        .seen()
        .into_iter()
        .filter(|s| s.action == "AssumeRole")
        .collect();
    assert_eq!(assumed.len(), 1, "one AssumeRole");
    assert!(
        assumed[0].signed_by.starts_with("ASIASSOFAKE"),
        "signed with the SSO role credentials: {}",
        assumed[0].signed_by
    );
    assert_eq!(fake.calls("GetRoleCredentials"), 1);
}

/// An IAM user with only a passkey (no TOTP device): GetSessionToken cannot
/// take it, and awsesh says so and points at `aws login`.
#[test]
fn a_passkey_only_user_is_pointed_at_aws_login() {
    let Some(moto) = support::moto() else { return };
    let sb = Sandbox::new(moto);
    let user = sb.mfa_serial.rsplit('/').next().unwrap().to_string();
    moto.aws_admin(&[
        "iam",
        "enable-mfa-device",
        "--user-name",
        &user,
        "--serial-number",
        &format!("arn:aws:iam::123456789012:u2f/user/{user}/passkey-ABCDEFGHIJ"),
        "--authentication-code1",
        "123456",
        "--authentication-code2",
        "654321",
    ])
    .expect("a passkey in moto");
    // No mfa_serial: awsesh looks the device up in IAM.
    sb.write_config("[default]\nregion = us-east-1\n");
    let err = support::one_line_error(
        &sb,
        &["login", "--token-code", "123456"],
        &["passkey", "GetSessionToken", "aws login --profile default"],
    );
    assert!(!err.contains("assign a virtual MFA device"), "{err}");
}

/// `exec` and `exec --server` hand the SSO role credentials to a program
/// (boto3 here, reading the credential endpoint), one portal call for both.
#[test]
fn exec_and_the_credential_endpoint_serve_sso_credentials() {
    let fake = FakeSso::start();
    let sb = sandbox(&fake);
    let token = fake.access_token(3600);
    let refresh = fake.refresh_token();
    write_sso_token(&sb, &token, 3600, &refresh);
    let (code, out, err) = run(
        &sb,
        &fake,
        &[
            "exec",
            "--profile",
            "sso",
            "--",
            "sh",
            "-c",
            "printf %s \"$AWS_ACCESS_KEY_ID\"",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ASIASSOFAKE"), "{out}");
    if !python_has_boto3() {
        support::missing("python3 with boto3");
        return;
    }
    let (code, served, err) = run(
        &sb,
        &fake,
        &[
            "exec",
            "--server",
            "--profile",
            "sso",
            "--",
            "python3",
            "-c",
            "import boto3; print(boto3.Session().get_credentials().get_frozen_credentials().access_key)",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(served.trim(), out, "the endpoint served the same session");
    assert_eq!(fake.calls("GetRoleCredentials"), 1);
}
