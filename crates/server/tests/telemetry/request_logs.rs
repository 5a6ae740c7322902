//! Every log line written while a request is served carries its request id: a store
//! error's cause and the breaker's state change included.

use std::sync::Arc;

use serde_json::{Value, json};
use vanish_server::app::open_store;

use crate::common::{IV, TestApp, spawn_app_with};
use crate::faulty_store::{FaultyStore, Mode};
use crate::fixture::{eventually, fixture};

/// A server on a store the test can make fail.
pub async fn spawn_faulty(config: vanish_server::Config) -> (TestApp, Arc<FaultyStore>) {
    let mut faulty = None;
    let app = spawn_app_with(config, |config| {
        let store = Arc::new(FaultyStore::new(open_store(config).expect("store")));
        faulty = Some(Arc::clone(&store));
        store
    })
    .await;
    (app, faulty.expect("store made"))
}

pub fn request_id(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .expect("ascii id")
        .to_owned()
}

#[tokio::test]
async fn a_store_error_and_the_breaker_opening_are_logged_with_the_request_id() -> anyhow::Result<()>
{
    let f = fixture();
    let (app, faulty) = spawn_faulty(f.config()).await;
    faulty.set_mode(Mode::Failing);
    let body = json!({ "encrypted": "c2VjcmV0LWNpcGhlcnRleHQ", "iv": IV });
    let mut ids = Vec::new();
    // The default threshold: the fifth failure in a row opens the circuit.
    for _ in 0..5 {
        let response = app.create(&body).await;
        assert_eq!(response.status(), 503);
        ids.push(request_id(&response));
    }
    let in_request = |line: &Value, id: &str| line["span"]["request_id"] == id;
    let cause = eventually("the store error's log line", || {
        f.logs
            .lines()
            .into_iter()
            .find(|l| l["message"] == "store unavailable" && in_request(l, &ids[0]))
    })
    .await;
    assert_eq!(cause["level"], "WARN");
    assert_eq!(cause["span"]["route"], "/api/secrets");
    assert_eq!(cause["span"]["method"], "POST");
    assert!(
        cause["error"]
            .as_str()
            .is_some_and(|e| e.contains("injected failure"))
    );
    let opened = eventually("the breaker's log line", || {
        f.logs
            .lines()
            .into_iter()
            .find(|l| l["message"] == "circuit breaker changed state" && in_request(l, &ids[4]))
    })
    .await;
    assert_eq!(opened["level"], "WARN");
    assert_eq!(opened["breaker"], "secrets");
    assert_eq!(opened["to"], "open");
    app.shutdown().await;
    Ok(())
}
