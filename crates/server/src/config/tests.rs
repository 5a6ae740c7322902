//! Settings parse into typed values, name the variable when they are wrong, and the
//! defaults never depend on the caller's environment.

use std::time::Duration;

use clap::{Args, FromArgMatches};

use super::*;

/// Parses `vanish serve` flags as the binary does (with the environment, which the flags
/// given here override).
fn parse(flags: &[&str]) -> Result<Config, clap::Error> {
    let command =
        Config::name_values_after_variables(Config::augment_args(clap::Command::new("vanish")));
    let matches =
        command.try_get_matches_from(std::iter::once("vanish").chain(flags.iter().copied()))?;
    Config::from_arg_matches(&matches)
}

#[test]
fn defaults_ignore_the_callers_environment() {
    const MARK: &str = "VANISH_CONFIG_TEST_IN_HOSTILE_ENV";
    if std::env::var_os(MARK).is_none() {
        // Run this very test again in a child process whose environment sets everything a
        // developer's shell might.
        let exe = std::env::current_exe().expect("the test binary");
        let output = std::process::Command::new(exe)
            .args([
                "--exact",
                "config::tests::defaults_ignore_the_callers_environment",
            ])
            .env(MARK, "1")
            .env("REDIS_URL", "redis://127.0.0.1:1/")
            .env("RATE_LIMIT_CREATE_PER_WINDOW", "1")
            .env("TTL_DEFAULT_MS", "not a number")
            .env("TRUSTED_PROXIES", "10.0.0.0/8")
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        assert!(
            stdout.contains("1 passed"),
            "the child ran the test: {stdout}"
        );
        return;
    }
    let config = Config::defaults();
    assert!(config.storage.redis.is_none());
    assert_eq!(config.rate.create_per_window, 100);
    assert_eq!(config.secrets.ttl_default_ms, Limits::TTL_DEFAULT_MS);
    assert!(config.trusted_proxies().is_empty());
}

#[test]
fn defaults_are_the_documented_ones() {
    let config = Config::defaults();
    assert_eq!(config.listen.addr, "127.0.0.1:8080".parse().expect("addr"));
    assert_eq!(config.rate.window, Duration::from_secs(3600));
    assert_eq!(config.rate.ban_duration, Duration::from_secs(86_400));
    assert_eq!(config.resilience.operation_timeout, Duration::from_secs(10));
    assert_eq!(config.resilience.cache_ttl, Duration::from_secs(1));
    assert_eq!(
        config.clients.client_ip_header,
        ClientIpHeader::XForwardedFor
    );
    assert_eq!(config.telemetry.log_format, LogFormat::Json);
    assert_eq!(
        config.telemetry.metrics_log_interval,
        Duration::from_secs(60)
    );
    assert!(config.web.allowed_origins.0.is_empty());
    config.validate().expect("the defaults are consistent");
}

#[test]
fn lists_origins_and_durations_parse_into_typed_values() -> Result<(), clap::Error> {
    let config = parse(&[
        "--trusted-proxies",
        " 10.0.0.0/8, 192.0.2.1 ,",
        "--allowed-origins",
        "https://a.example, https://B.example:443/",
        "--public-url",
        "https://Secrets.Example.com/base/",
        "--rate-limit-window-ms",
        "1500",
        "--client-ip-header",
        "cf-connecting-ip",
        "--log-format",
        "pretty",
    ])?;
    let proxies: Vec<String> = config
        .trusted_proxies()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(proxies, ["10.0.0.0/8", "192.0.2.1/32"]);
    let origins: Vec<String> = config
        .web
        .allowed_origins
        .0
        .iter()
        .map(|o| o.to_string())
        .collect();
    assert_eq!(origins, ["https://a.example", "https://b.example"]);
    assert_eq!(
        config.web.public_url.map(|o| o.to_string()),
        Some("https://secrets.example.com".to_owned())
    );
    assert_eq!(config.rate.window, Duration::from_millis(1500));
    assert_eq!(
        config.clients.client_ip_header,
        ClientIpHeader::CfConnectingIp
    );
    assert_eq!(config.telemetry.log_format, LogFormat::Pretty);
    Ok(())
}

#[test]
fn a_bad_value_is_refused_naming_its_variable() {
    for (flags, variable) in [
        (
            &["--trusted-proxies", "10.0.0.0/8,x"][..],
            "TRUSTED_PROXIES",
        ),
        (
            &["--allowed-origins", "https://a.example/path"],
            "ALLOWED_ORIGINS",
        ),
        (&["--public-url", "ftp://x"], "PUBLIC_URL"),
        (&["--rate-limit-window-ms", "0"], "RATE_LIMIT_WINDOW_MS"),
        (&["--max-views", "0"], "MAX_VIEWS"),
        (&["--client-ip-header", "forwarded"], "CLIENT_IP_HEADER"),
        (&["--log-format", "xml"], "LOG_FORMAT"),
        (
            &["--redis-url", "redis://:p@ssw0rd@host:notaport"],
            "REDIS_URL",
        ),
    ] {
        let error = parse(flags)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains(variable), "{flags:?}: {error}");
    }
}

#[test]
fn a_redis_url_error_never_repeats_the_url() {
    let error = parse(&["--redis-url", "redis://:p@ssw0rd@host:notaport"])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("REDIS_URL"), "{error}");
    assert!(!error.contains("ssw0rd"), "{error}");
}

#[test]
fn relations_between_settings_are_checked() -> Result<(), clap::Error> {
    let config = parse(&["--ttl-min-ms", "1000", "--ttl-default-ms", "500"])?;
    let error = config
        .validate()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.starts_with("TTL_DEFAULT_MS"), "{error}");
    Ok(())
}

#[test]
fn create_access_needs_what_its_mode_relies_on() -> Result<(), Box<dyn std::error::Error>> {
    let no_tokens = parse(&["--create-access", "token", "--create-tokens", ""])?;
    let error = no_tokens
        .validate()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.starts_with("CREATE_ACCESS"), "{error}");
    let no_proxies = parse(&["--create-access", "proxy", "--trusted-proxies", ""])?;
    let error = no_proxies
        .validate()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.starts_with("CREATE_ACCESS"), "{error}");

    let dir = tempfile::tempdir()?;
    let file = dir.path().join("tokens");
    let hash = TokenHash::of(b"vns_a").to_hex();
    std::fs::write(&file, format!("# staff\n{hash}  # ann\n\n"))?;
    let path = file.to_string_lossy().into_owned();
    let from_file = parse(&["--create-access", "token", "--create-tokens-file", &path])?;
    from_file.validate()?;
    let access = from_file.create_access();
    let bearer = |t| vanish_core::access::Credentials {
        bearer: Some(t),
        vouched_identity: None,
    };
    assert!(access.check(bearer("vns_a")).is_ok());
    assert!(access.check(bearer("vns_b")).is_err());
    let bad = parse(&["--create-tokens", "beef"])
        .err()
        .map(|e| e.to_string());
    assert!(bad.unwrap_or_default().contains("CREATE_TOKENS"));
    Ok(())
}
