//! `/readyz` is open to anyone, and a store ping costs the store work: probes share one
//! ping per second (on the real clock), and concurrent probes share the ping in flight.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use vanish_server::app::open_store;
use vanish_server::routes::health::READY_CACHE;

use crate::common::{spawn_app_with, test_config};
use crate::faulty_store::FaultyStore;

#[tokio::test]
async fn a_flood_of_readiness_probes_costs_one_store_ping_per_second() -> anyhow::Result<()> {
    let mut faulty = None;
    let app = spawn_app_with(test_config(), |config| {
        let store = Arc::new(FaultyStore::new(open_store(config).expect("store")));
        faulty = Some(Arc::clone(&store));
        store
    })
    .await;
    let store = faulty.expect("store made");
    let before = store.calls.load(Ordering::SeqCst);
    let probes = (0..50).map(|_| {
        let (http, url) = (app.http.clone(), app.url("/readyz"));
        tokio::spawn(async move { http.get(url).send().await.map(|r| r.status().as_u16()) })
    });
    for probe in probes.collect::<Vec<_>>() {
        assert_eq!(probe.await??, 200);
    }
    for _ in 0..50 {
        assert_eq!(app.http.get(app.url("/readyz")).send().await?.status(), 200);
    }
    assert_eq!(
        store.calls.load(Ordering::SeqCst) - before,
        1,
        "100 probes, one ping"
    );
    tokio::time::sleep(READY_CACHE + Duration::from_millis(100)).await;
    assert_eq!(app.http.get(app.url("/readyz")).send().await?.status(), 200);
    assert_eq!(
        store.calls.load(Ordering::SeqCst) - before,
        2,
        "a probe after the cache's second pings again"
    );
    app.shutdown().await;
    Ok(())
}
