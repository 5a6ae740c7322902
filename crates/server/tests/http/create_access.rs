//! Who may create (`CREATE_ACCESS`): open by default; API tokens; an identity vouched for by
//! a trusted authenticating proxy, optionally limited to e-mail domains; or a read-only
//! instance. Reading never needs an account. `GET /api/config` tells a client which.

use std::sync::Arc;

use serde_json::{Value, json};
use vanish_core::id::TokenHash;
use vanish_server::app::open_store;
use vanish_server::config::{CreateMode, Domains, Proxies, TokenHashes};
use vanish_server::store::SecretStore;

use crate::common::{IV, TestApp, expect_error, spawn_app, spawn_app_with, test_config};

const TOKEN: &str = "vns_6kXK0Vb2n3Lh9YqTz1pWcRfA8sMdJgEu4oNiHy7xBt5";

fn body() -> Value {
    json!({ "encrypted": "c2VjcmV0", "iv": IV })
}

async fn create_with(app: &TestApp, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.http.post(app.url("/api/secrets")).json(&body());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request sent")
}

async fn config_as(app: &TestApp, headers: &[(&str, &str)]) -> Value {
    let mut request = app.http.get(app.url("/api/config"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn creation_is_open_by_default_and_config_says_so() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    assert_eq!(create_with(&app, &[]).await.status(), 201);
    let config = config_as(&app, &[]).await;
    assert_eq!(config["createAccess"], "open");
    assert_eq!(config["canCreate"], true);
    assert_eq!(config["limits"]["encryptedMaxChars"], 1_400_000);
    assert_eq!(config["limits"]["maxViews"], 100);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn with_token_access_only_a_listed_token_creates_and_anyone_reads() -> anyhow::Result<()> {
    let mut config = test_config();
    config.creation.mode = CreateMode::Token;
    config.creation.tokens = TokenHashes(vec![TokenHash::of(TOKEN.as_bytes())]);
    let app = spawn_app(config).await;

    let none = create_with(&app, &[]).await;
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    expect_error(none, 401, "AUTH_REQUIRED").await;
    let wrong = create_with(&app, &[("authorization", "Bearer vns_wrong")]).await;
    expect_error(wrong, 401, "AUTH_REQUIRED").await;
    let bearer = format!("Bearer {TOKEN}");
    let created = create_with(&app, &[("authorization", &bearer)]).await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        app.reveal_get(&id).await.status(),
        200,
        "reading needs no token"
    );

    assert_eq!(config_as(&app, &[]).await["canCreate"], false);
    let with_token = config_as(&app, &[("authorization", &bearer)]).await;
    assert_eq!(
        (
            with_token["createAccess"].clone(),
            with_token["canCreate"].clone()
        ),
        (json!("token"), json!(true))
    );
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn with_proxy_access_the_trusted_proxys_identity_decides() -> anyhow::Result<()> {
    let mut config = test_config();
    config.creation.mode = CreateMode::Proxy;
    config.creation.allowed_email_domains = Domains::parse("corp.example").expect("a domain");
    config.clients.trusted_proxies = Proxies::parse("127.0.0.1/32").expect("CIDR");
    let app = spawn_app(config).await;
    let staff = [("x-forwarded-email", "ann@corp.example")];
    assert_eq!(create_with(&app, &staff).await.status(), 201);
    let outsider = create_with(&app, &[("x-forwarded-email", "eve@evil.example")]).await;
    expect_error(outsider, 403, "CREATOR_NOT_ALLOWED").await;
    expect_error(create_with(&app, &[]).await, 401, "AUTH_REQUIRED").await;
    assert_eq!(config_as(&app, &staff).await["canCreate"], true);
    assert_eq!(config_as(&app, &[]).await["canCreate"], false);
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn an_identity_header_from_an_untrusted_peer_is_ignored() -> anyhow::Result<()> {
    let mut config = test_config();
    config.creation.mode = CreateMode::Proxy;
    // The test's requests come from 127.0.0.1, which is not a trusted proxy here.
    config.clients.trusted_proxies = Proxies::parse("10.0.0.0/8").expect("CIDR");
    let app = spawn_app(config).await;
    let forged = create_with(&app, &[("x-forwarded-email", "ann@corp.example")]).await;
    expect_error(forged, 401, "AUTH_REQUIRED").await;
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_read_only_instance_reveals_what_an_internal_one_created() -> anyhow::Result<()> {
    // A split deployment: two instances on one store, the public one closed to creation.
    let mut shared: Option<Arc<dyn SecretStore>> = None;
    let internal = spawn_app_with(test_config(), |config| {
        let store = open_store(config).expect("store");
        shared = Some(Arc::clone(&store));
        store
    })
    .await;
    let store = shared.expect("store made");
    let mut closed = test_config();
    closed.creation.mode = CreateMode::Closed;
    closed.web.share_base_url = Some("https://public.example".into());
    let public = spawn_app_with(closed, move |_| store).await;

    let created = internal.create_ok(json!({})).await;
    expect_error(create_with(&public, &[]).await, 403, "READ_ONLY").await;
    let config = config_as(&public, &[]).await;
    assert_eq!(config["createAccess"], "closed");
    assert_eq!(config["shareBaseUrl"], "https://public.example");
    assert_eq!(config_as(&internal, &[]).await["shareBaseUrl"], Value::Null);
    assert_eq!(public.meta(&created.id).await.status(), 200);
    assert_eq!(public.reveal_get(&created.id).await.status(), 200);
    public.shutdown().await;
    internal.shutdown().await;
    Ok(())
}
