//! Single-flight merges concurrent metadata lookups and never reveals.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::future::join_all;
use serde_json::json;
use vanish_core::api::RevealResponse;
use vanish_server::app::open_store;

use crate::common::{TestApp, spawn_app_with, test_config};
use crate::faulty_store::FaultyStore;

async fn app_with_slow_store() -> (TestApp, Arc<FaultyStore>) {
    let mut faulty = None;
    let app = spawn_app_with(test_config(), |config| {
        let store = Arc::new(FaultyStore::new(open_store(config).expect("store")));
        faulty = Some(Arc::clone(&store));
        store
    })
    .await;
    (app, faulty.expect("store made"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_metadata_lookups_share_one_store_call() -> anyhow::Result<()> {
    let (app, store) = app_with_slow_store().await;
    let created = app.create_ok(json!({ "maxViews": 2 })).await;
    store.delay_ms.store(300, Ordering::SeqCst);
    let lookups = (0..40).map(|_| app.meta(&created.id));
    for response in join_all(lookups).await {
        assert_eq!(response.status(), 200);
    }
    let peeks = store.peeks.load(Ordering::SeqCst);
    assert!(peeks < 10, "40 concurrent lookups cost {peeks} store calls");
    app.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reveals_are_never_merged() -> anyhow::Result<()> {
    let (app, store) = app_with_slow_store().await;
    let created = app.create_ok(json!({ "maxViews": 16 })).await;
    store.delay_ms.store(200, Ordering::SeqCst);
    let reveals = (0..16).map(|_| app.reveal_get(&created.id));
    let mut views_left = Vec::new();
    for response in join_all(reveals).await {
        assert_eq!(response.status(), 200);
        views_left.push(response.json::<RevealResponse>().await?.views_left);
    }
    views_left.sort_unstable();
    assert_eq!(
        views_left,
        (0..16).collect::<Vec<u32>>(),
        "each reveal consumed its own view"
    );
    assert_eq!(store.takes.load(Ordering::SeqCst), 16);
    app.shutdown().await;
    Ok(())
}
