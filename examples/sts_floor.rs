//! The floor for a refresh in benches/run.sh: the least a Rust program does
//! to trade a profile's long-term keys and an MFA code for a session with
//! aws-sdk-sts — the SDK's default config (profile, region, endpoint from the
//! environment), the same rustls + ring HTTP client as awsesh, one
//! current-thread runtime, GetSessionToken, the exports printed. Nothing
//! cached, locked or checked.
//!
//!     sts_floor MFA_SERIAL CODE

use aws_config::BehaviorVersion;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(serial), Some(code)) = (args.next(), args.next()) else {
        return Err("usage: sts_floor MFA_SERIAL CODE".into());
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let credentials = runtime.block_on(async {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .load()
            .await;
        aws_sdk_sts::Client::new(&config)
            .get_session_token()
            .serial_number(serial)
            .token_code(code)
            .duration_seconds(43_200)
            .send()
            .await
    })?;
    let c = credentials
        .credentials()
        .ok_or("no credentials in the answer")?;
    println!("export AWS_ACCESS_KEY_ID='{}'", c.access_key_id());
    println!("export AWS_SECRET_ACCESS_KEY='{}'", c.secret_access_key());
    println!("export AWS_SESSION_TOKEN='{}'", c.session_token());
    Ok(())
}
