//! Issue 7 from the user's side: config files as people write them, read as
//! the real AWS CLI reads them; STS reached only through a real proxy, over
//! TLS with a private CA; the partition of an aws-cn account; the
//! credential_process window; and every network failure as one line.

mod support;

use std::time::{Duration, Instant};

use expectrl::Expect;
use support::net::{Canned, MotoTls, Proxy, ProxyRule, TestCa};
use support::{Moto, OutputInTime, Sandbox, finish_pty, moto, one_line_error, spawn_pty};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `aws configure get KEY --profile P` with the sandbox's files: what the
/// real AWS CLI reads.
fn cli_get(sb: &Sandbox, profile: &str, key: &str) -> String {
    let out = std::process::Command::new("aws")
        .args(["configure", "get", key, "--profile", profile])
        .env_clear()
        .envs(sb.env())
        .stdin(std::process::Stdio::null())
        .output_in_time();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The regions GetSessionToken calls signed with `key` were signed for
/// (from the credential scope of their Authorization header).
fn signing_regions(moto: &Moto, key: &str) -> Vec<String> {
    let text = std::fs::read_to_string(&moto.recording).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        // Only the calls that spend a code: the GetCallerIdentity check that
        // runs beside a given code may or may not reach moto before it ends.
        .filter(|e| support::request_body(e).contains("Action=GetSessionToken"))
        .filter_map(|e| {
            let auth = e["headers"]["Authorization"].as_str()?.to_string();
            let scope = auth.split(&format!("Credential={key}/")).nth(1)?;
            let mut parts = scope.split('/');
            let _date = parts.next()?;
            Some(parts.next()?.to_string())
        })
        .collect()
}

fn status_json(sb: &Sandbox, profile: &str) -> serde_json::Value {
    let (code, out, err) = sb.run(&["status", "--json", "--profile", profile]);
    assert_eq!(code, 0, "status --profile {profile}: {err}");
    json(&out)
}

fn login(sb: &Sandbox, profile: &str, code: &str) {
    let (status, _, err) = sb.run(&["login", "--profile", profile, "--token-code", code]);
    assert_eq!(status, 0, "login --profile {profile}: {err}");
}

/// Keys from the sandbox's default profile, as a credentials-file block.
fn keys_block(sb: &Sandbox) -> String {
    let creds = std::fs::read_to_string(sb.credentials_path()).unwrap();
    creds.split_once('\n').unwrap().1.to_string()
}

#[test]
fn config_files_as_people_write_them_are_read_as_the_aws_cli_reads_them() {
    let Some(moto) = moto() else { return };
    if support::which("aws").is_none() {
        return support::missing("aws (the AWS CLI)");
    }
    let sb = Sandbox::new(moto);
    let keys = keys_block(&sb);
    let dev = |n: &str| format!("arn:aws:iam::123456789012:mfa/{n}");
    // Comments after headers and values, a nested block, both spellings of
    // the default section, keys and settings in the credentials file.
    let config = |default_sections: &str| {
        format!(
            "# team config\n\
             {default_sections}\
             [profile prod] # production\n\
             region = ap-southeast-2\n\
             mfa_serial = {}\n\
             s3 =\n    addressing_style = path\n    max_concurrent_requests = 20\n\
             duration_seconds = 3600\n\
             \n\
             [profile cli-only]\n\
             region = us-west-2\n",
            dev("prod-device"),
        )
    };
    let plain = format!(
        "[default] ; the plain one\nregion = eu-west-1\nmfa_serial = {}\n\n",
        dev("plain-default")
    );
    let prefixed = format!(
        "[profile default]\nregion = eu-central-1\nmfa_serial = {}\n\n",
        dev("prefixed-default")
    );
    sb.write_credentials(&format!(
        "[default]\n{keys}\n[prod]\n{keys}\n[cli-only]\n{keys}mfa_serial = {}\n",
        dev("from-credentials")
    ));
    // `[default]` and `[profile default]` together, in both orders.
    let mut code = 700_000;
    for (first, second) in [(&plain, &prefixed), (&prefixed, &plain)] {
        sb.write_config(&config(&format!("{first}{second}")));
        for profile in ["default", "prod", "cli-only"] {
            code += 1;
            let (status, _, err) = sb.run(&[
                "login",
                "--force",
                "--profile",
                profile,
                "--token-code",
                &code.to_string(),
            ]);
            assert_eq!(status, 0, "login --profile {profile}: {err}");
            let st = status_json(&sb, profile);
            assert_eq!(
                st["mfa_serial"].as_str().unwrap(),
                cli_get(&sb, profile, "mfa_serial"),
                "{profile}: the device awsesh used is the one the AWS CLI reads"
            );
            assert!(st["role_arn"].is_null(), "{profile} is no role: {st}");
            let regions = signing_regions(moto, &sb.access_key_id);
            assert_eq!(
                regions.last().unwrap(),
                &cli_get(&sb, profile, "region"),
                "{profile}: signed for the region the AWS CLI reads"
            );
        }
    }
    // prod's header comment did not hide its section: its keys stayed its own.
    assert_eq!(status_json(&sb, "prod")["mfa_serial"], dev("prod-device"));
    assert_eq!(
        status_json(&sb, "cli-only")["mfa_serial"],
        dev("from-credentials")
    );
    // prod's duration_seconds (after the nested block) was read: a 1 h session.
    let left = status_json(&sb, "prod")["seconds_left"].as_i64().unwrap();
    assert!((3000..=3600).contains(&left), "prod: {left} s left");
}

#[test]
fn a_china_account_without_region_signs_for_its_partition() {
    let Some(moto) = moto() else { return };
    let sb = Sandbox::new(moto);
    sb.write_config("[default]\nmfa_serial = arn:aws-cn:iam::123456789012:mfa/li\n");
    login(&sb, "default", "700011");
    assert_eq!(
        signing_regions(moto, &sb.access_key_id),
        ["cn-north-1"],
        "signed for the aws-cn partition"
    );
    // And its hints name the partition's hosts.
    let mut cmd = sb.awsesh(&["login", "--force", "--token-code", "700012"]);
    cmd.env_remove("AWS_ENDPOINT_URL");
    cmd.env("HTTPS_PROXY", "http://127.0.0.1:9"); // nothing listens: fails at once
    let out = cmd.output_in_time();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("sts.cn-north-1.amazonaws.com.cn"), "{err}");
}

/// The session file of `profile` rewritten so that it expires in `secs`.
fn expire_in(sb: &Sandbox, profile: &str, secs: i64) {
    let path = sb.store_dir().join(format!("p-{profile}.session"));
    let text = std::fs::read_to_string(&path).unwrap();
    let (_, json_line) = text.split_once('\n').unwrap();
    let mut v: serde_json::Value = serde_json::from_str(json_line.trim()).unwrap();
    let at = time::OffsetDateTime::now_utc().unix_timestamp() + secs;
    let rfc = time::OffsetDateTime::from_unix_timestamp(at)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    v["expiration"] = serde_json::json!(rfc);
    std::fs::write(&path, format!("{at}\n{v}\n")).unwrap();
}

fn credential_process(sb: &Sandbox, profile: &str, extra: &[(&str, &str)]) -> serde_json::Value {
    let mut cmd = sb.awsesh(&["credential-process", "--profile", profile]);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output_in_time();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "credential-process {profile}: {err}");
    json(&String::from_utf8_lossy(&out.stdout))
}

fn minutes_left(v: &serde_json::Value) -> i64 {
    let exp = time::OffsetDateTime::parse(
        v["Expiration"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    (exp - time::OffsetDateTime::now_utc()).whole_minutes()
}

#[test]
fn credential_process_never_hands_out_credentials_an_sdk_would_refresh_at_once() {
    let Some(moto) = moto() else { return };
    let sb = Sandbox::new(moto);
    let role = support::unique_name("cp-role");
    let arn = moto
        .aws_admin(&[
            "iam",
            "create-role",
            "--role-name",
            &role,
            "--assume-role-policy-document",
            r#"{"Version":"2012-10-17","Statement":[]}"#,
        ])
        .map(|out| json(&out)["Role"]["Arn"].as_str().unwrap().to_string())
        .expect("create a role in moto");
    sb.append_config(&format!(
        "[profile r]\nrole_arn = {arn}\nsource_profile = default\nregion = us-east-1\n\
         [profile r15]\nrole_arn = {arn}\nsource_profile = default\nduration_seconds = 900\n"
    ));
    login(&sb, "default", "700021");
    let first = credential_process(&sb, "r", &[]);
    assert!(minutes_left(&first) > 50, "{first}");
    // AssumeRole's shortest session is itself inside the 15-minute window:
    // it is served (and renewed from half-time on), not refused.
    let short = credential_process(&sb, "r15", &[]);
    assert!((13..=15).contains(&minutes_left(&short)), "{short}");
    let again = credential_process(&sb, "r15", &[]);
    assert_eq!(
        again["AccessKeyId"], short["AccessKeyId"],
        "not renewed at every call"
    );

    // A role with 10 minutes left: botocore would call again at once, so it
    // is renewed silently (no code: the source session lives).
    expire_in(&sb, "r", 600);
    let renewed = credential_process(&sb, "r", &[]);
    assert!(minutes_left(&renewed) > 50, "renewed: {renewed}");
    assert_ne!(renewed["AccessKeyId"], first["AccessKeyId"]);

    // An MFA session with 10 minutes left and no way to get a code: the
    // still-valid one, rather than an error.
    expire_in(&sb, "default", 600);
    let kept = credential_process(&sb, "default", &[]);
    assert!((8..=10).contains(&minutes_left(&kept)), "kept: {kept}");
    // With a code at hand (here mfa_process) it is renewed.
    sb.append_config("");
    let config = std::fs::read_to_string(sb.config_path()).unwrap();
    sb.write_config(&config.replacen("[default]\n", "[default]\nmfa_process = echo 700022\n", 1));
    let fresh = credential_process(&sb, "default", &[]);
    assert!(
        minutes_left(&fresh) > 600,
        "renewed with mfa_process: {fresh}"
    );
}

#[test]
fn sts_reached_only_through_a_proxy_with_http_proxy_and_no_proxy() {
    let Some(moto) = moto() else { return };
    let sb = Sandbox::new(moto);
    let port = moto.endpoint.rsplit(':').next().unwrap();
    // A name that resolves nowhere: only the proxy (which maps every host to
    // loopback) can reach it.
    let endpoint = format!("http://sts.only-via-proxy.invalid:{port}");
    let proxy = Proxy::start();
    for (var, code) in [
        ("HTTP_PROXY", "700031"),
        ("http_proxy", "700033"),
        ("ALL_PROXY", "700034"),
    ] {
        let before = proxy.forwards();
        let mut cmd = sb.awsesh(&["login", "--force", "--token-code", code]);
        cmd.env("AWS_ENDPOINT_URL", &endpoint).env(var, &proxy.url);
        let out = cmd.output_in_time();
        assert!(
            out.status.success(),
            "{var}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            proxy.forwards() > before,
            "{var}: nothing went through the proxy"
        );
        std::thread::sleep(Duration::from_millis(1100)); // a later session each time
    }
    // NO_PROXY sends it direct, where the name does not resolve: one line.
    let mut cmd = sb.awsesh(&["login", "--force", "--token-code", "700032"]);
    cmd.env("AWS_ENDPOINT_URL", &endpoint)
        .env("HTTP_PROXY", &proxy.url)
        .env("NO_PROXY", "localhost,.only-via-proxy.invalid");
    let out = cmd.output_in_time();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot resolve") && err.contains("sts.only-via-proxy.invalid"),
        "{err}"
    );
    // `NO_PROXY=*` (as curl and the AWS CLI read it): no host goes through
    // the proxy — moto on 127.0.0.1 is reached directly, nothing forwarded.
    // The control first: without `*` the same request goes through it.
    for (rule, code, via_proxy) in [
        ("example.com", "700035", true),
        ("*", "700036", false),
        (" *", "700037", false),
        ("localhost, *", "700038", false),
    ] {
        let before = proxy.forwards();
        let mut cmd = sb.awsesh(&["login", "--force", "--token-code", code]);
        cmd.env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("HTTP_PROXY", &proxy.url)
            .env("NO_PROXY", rule);
        let out = cmd.output_in_time();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "NO_PROXY={rule:?}: {err}");
        assert_eq!(
            proxy.forwards() > before,
            via_proxy,
            "NO_PROXY={rule:?}: through the proxy or not"
        );
        std::thread::sleep(Duration::from_millis(1100)); // a later session each time
    }
}

#[test]
fn moto_over_tls_with_a_private_ca_through_a_connect_proxy() {
    let Some(_) = moto() else { return };
    let root = tempfile::tempdir().unwrap();
    let Some(ca) = TestCa::new(&root.path().join("ca"), &["sts.tls-test.invalid"]) else {
        return;
    };
    let Some(tls) = MotoTls::start(&ca) else {
        return support::missing("moto_server");
    };
    let plain = moto().unwrap();
    let sb = Sandbox::new(plain);
    let endpoint = format!("https://sts.tls-test.invalid:{}", tls.port);
    let proxy = Proxy::start();
    let run = |extra: &[(&str, &str)], code: &str| {
        let mut cmd = sb.awsesh(&["login", "--force", "--token-code", code]);
        cmd.env("AWS_ENDPOINT_URL", &endpoint)
            .env("HTTPS_PROXY", &proxy.url);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output_in_time();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Without the CA: one line that names the cause and the fix.
    let (code, out, err) = run(&[], "700041");
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("unknown CA") && err.contains("AWS_CA_BUNDLE"),
        "{err}"
    );
    assert!(
        err.contains(&proxy.url.replace("http://", "")),
        "names the proxy: {err}"
    );
    assert!(!err.contains("700041"), "the code never appears: {err}");
    assert!(proxy.connects() >= 1, "CONNECT went through the proxy");
    // With AWS_CA_BUNDLE.
    let ca_path = ca.ca_pem.display().to_string();
    let (code, _, err) = run(&[("AWS_CA_BUNDLE", &ca_path)], "700042");
    assert_eq!(code, 0, "{err}");
    // With the profile's ca_bundle.
    std::thread::sleep(Duration::from_millis(1100));
    let config = std::fs::read_to_string(sb.config_path()).unwrap();
    sb.write_config(&format!("{config}ca_bundle = {ca_path}\n"));
    let (code, _, err) = run(&[], "700043");
    assert_eq!(code, 0, "{err}");
    // A proxy that refuses the CONNECT, and one that wants a password.
    proxy.rule("sts.tls-test.invalid", ProxyRule::Refuse);
    let (code, _, err) = run(&[], "700044");
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("refused CONNECT"), "{err}");
    proxy.rule("sts.tls-test.invalid", ProxyRule::AskAuth);
    let (code, _, err) = run(&[], "700045");
    assert_eq!(code, 1);
    assert!(err.contains("user name and password"), "{err}");
    // A bundle that is not there.
    let (code, _, err) = run(&[("AWS_CA_BUNDLE", "/nonexistent/ca.pem")], "700046");
    assert_eq!(code, 1);
    assert!(
        err.contains("/nonexistent/ca.pem") && err.contains("CA bundle"),
        "{err}"
    );
}

/// No Debug text, no request, no code, no secret: the words a user needs.
fn assert_clean_one_line(err: &str, code: &str, sb: &Sandbox) {
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("awsesh: "), "{err}");
    for bad in [
        code,
        "Action=",
        "TokenCode",
        "DispatchFailure",
        "ConnectorError",
        "Some(",
        "{ ",
        "source:",
        "hyper",
    ] {
        assert!(!err.contains(bad), "`{bad}` in: {err}");
    }
    let secret = std::fs::read_to_string(sb.credentials_path()).unwrap();
    let secret = secret
        .lines()
        .find_map(|l| l.strip_prefix("aws_secret_access_key = "))
        .unwrap();
    assert!(!err.contains(secret), "{err}");
}

#[test]
fn every_network_error_is_one_line_with_the_cause_in_words() {
    let Some(moto) = moto() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, "default", "709999");
    let cached = status_json(&sb, "default")["expiration"].clone();
    let run = |endpoint: &str, code: &str| {
        let mut cmd = sb.awsesh(&["login", "--force", "--token-code", code]);
        cmd.env("AWS_ENDPOINT_URL", endpoint);
        let started = Instant::now();
        let out = cmd.output_in_time();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            started.elapsed(),
        )
    };
    // A URL without a scheme: refused before any request exists.
    let (code, out, err, _) = run("127.0.0.1:5000", "710001");
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.contains("AWS_ENDPOINT_URL must start with http:// or https://"),
        "{err}"
    );
    assert_clean_one_line(&err, "710001", &sb);

    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (code, _, err, _) = run(&url, "710002");
    assert_eq!(code, 1);
    assert!(
        err.contains("connection refused") && err.contains(&url),
        "{err}"
    );
    assert_clean_one_line(&err, "710002", &sb);

    // A server that never answers: the 10 s operation timeout.
    let hang = Canned::start(None);
    let (code, _, err, took) = run(&hang.url, "710003");
    assert_eq!(code, 1);
    assert!(err.contains("timed out after 10 s"), "{err}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_clean_one_line(&err, "710003", &sb);

    // STS failing with a 500 and its own (hostile) message: shown, cleaned.
    let body = "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>\
                <Message>we are down\n\ttoday</Message></Error></ErrorResponse>";
    let failing = Canned::start(Some(Canned::http("500 Internal Server Error", body)));
    let (code, _, err, _) = run(&failing.url, "710004");
    assert_eq!(code, 1);
    assert!(
        err.contains("InternalFailure") && err.contains("we are down"),
        "{err}"
    );
    assert!(!err.contains('\t'), "control characters cleaned: {err:?}");
    assert_clean_one_line(&err, "710004", &sb);

    // Garbage instead of an AWS answer.
    let garbage = Canned::start(Some(Canned::http("200 OK", "<html>captive portal</html>")));
    let (code, _, err, _) = run(&garbage.url, "710005");
    assert_eq!(code, 1, "{err}");
    assert_clean_one_line(&err, "710005", &sb);

    // The cached session is still the first one through all of this.
    assert_eq!(status_json(&sb, "default")["expiration"], cached);
}

#[test]
fn a_dead_endpoint_is_reported_while_the_prompt_waits_and_no_code_is_spent() {
    let Some(moto) = moto() else { return };
    let sb = Sandbox::new(moto);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut pty = spawn_pty(&sb, &["login"], &[("AWS_ENDPOINT_URL", &url)]);
    // Nothing is typed: the check that runs while the user types finds the
    // endpoint dead and ends the prompt by itself.
    pty.set_expect_timeout(Some(Duration::from_secs(20)));
    let (status, output) = finish_pty(pty);
    assert_eq!(status, 1, "{output}");
    assert!(output.contains("connection refused"), "{output}");
    let used = std::fs::read_dir(sb.store_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().starts_with("used-"));
    assert!(!used, "no code was recorded as spent");
}

#[test]
fn a_revoked_key_is_reported_before_the_code_is_typed() {
    let Some(moto) = moto() else { return };
    let sb = Sandbox::new(moto);
    let body = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>\
                <Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>";
    let sts = Canned::start(Some(Canned::http("403 Forbidden", body)));
    let mut pty = spawn_pty(&sb, &["login"], &[("AWS_ENDPOINT_URL", &sts.url)]);
    pty.expect("MFA code").unwrap();
    let (status, output) = finish_pty(pty);
    assert_eq!(status, 1, "{output}");
    assert!(
        output.contains("rejected the long-term keys") && output.contains("InvalidClientTokenId"),
        "{output}"
    );
    assert_eq!(sts.requests(), 1, "only the check; no GetSessionToken");
}

#[test]
fn a_network_failure_never_forgets_a_discovered_device() {
    let Some(moto) = moto() else { return };
    let sb = Sandbox::new(moto);
    let user = sb.mfa_serial.rsplit('/').next().unwrap().to_string();
    let device = moto.add_mfa_device(&user);
    sb.write_config("[default]\nregion = us-east-1\n");
    let config_home = sb.path("xdg-config");
    let xdg = ("XDG_CONFIG_HOME", config_home.to_str().unwrap());
    let mut cmd = sb.awsesh(&["login", "--token-code", "720001"]);
    cmd.env(xdg.0, xdg.1);
    assert!(cmd.output_in_time().status.success());
    let memory = config_home.join("awsesh/mfa-devices.json");
    assert!(std::fs::read_to_string(&memory).unwrap().contains(&device));
    // STS down: the device is still remembered afterwards.
    let mut cmd = sb.awsesh(&["login", "--force", "--token-code", "720002"]);
    cmd.env(xdg.0, xdg.1)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    assert_eq!(cmd.output_in_time().status.code(), Some(1));
    assert!(
        std::fs::read_to_string(&memory).unwrap().contains(&device),
        "forgotten after a network failure"
    );
}

#[test]
fn profiles_whose_keys_are_already_a_session_are_passed_through() {
    let Some(moto) = moto() else { return };
    let sb = Sandbox::new(moto);
    sb.append_config(
        "[profile work-sdk]\ncredential_process = awsesh credential-process --profile default\n\
         [profile vault]\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"ASIAEXAMPLEEXAMPLE00\",\"SecretAccessKey\":\"c2VjcmV0\",\"SessionToken\":\"dG9rZW4=\"}'\n",
    );
    let creds = std::fs::read_to_string(sb.credentials_path()).unwrap();
    sb.write_credentials(&format!(
        "{creds}[temp]\naws_access_key_id = ASIAEXAMPLEEXAMPLE01\naws_secret_access_key = c2Vj\naws_session_token = dG9r\n"
    ));
    // (`login_session` profiles are awsesh's own kind now: tests/sign_ins.rs.)
    for profile in ["work-sdk", "vault", "temp"] {
        let (code, out, err) = sb.run(&["env", "--ensure", "--profile", profile]);
        assert_eq!((code, out.as_str()), (3, ""), "{profile}: {err}");
        let err = one_line_error(
            &sb,
            &["login", "--profile", profile],
            &["not long-term keys"],
        );
        assert!(err.contains(profile), "{err}");
    }
}

/// The check that runs while the user types opens the connection that the
/// GetSessionToken after Enter uses: a whole login is one TCP connection.
#[test]
fn the_connection_opened_while_typing_is_the_one_used_after_enter() {
    let fake = support::fake_sts::FakeSts::start();
    let sb = Sandbox::with_fake(&fake);
    let mut pty = spawn_pty(&sb, &["login"], &[]);
    pty.expect("MFA code").unwrap();
    // The user takes a moment; meanwhile the check has gone through.
    assert!(
        fake.wait_for("GetCallerIdentity", 1, Duration::from_secs(20)),
        "no check while the prompt waited"
    );
    std::thread::sleep(Duration::from_millis(300));
    pty.send_line("864209").unwrap();
    let (status, output) = finish_pty(pty);
    assert_eq!(status, 0, "{output}");
    assert_eq!(fake.count("GetSessionToken"), 1);
    assert_eq!(
        fake.connections(),
        1,
        "GetSessionToken opened a second connection"
    );
}
