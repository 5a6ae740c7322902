//! Guarantee 1, at most once per view: many concurrent consumers of one secret, mixing the
//! original's GET and the POST reveal, never get more than `maxViews` successes.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{TestApp, spawn_app, test_config};

const CONSUMERS: usize = 32;

/// Fires `CONSUMERS` concurrent reveals at one secret; returns how many got 200.
async fn race_once(app: &TestApp, max_views: u32) -> anyhow::Result<usize> {
    let created = app.create_ok(json!({ "maxViews": max_views })).await;
    let attempts = (0..CONSUMERS).map(|i| {
        let id = created.id.clone();
        async move {
            if i % 2 == 0 {
                app.reveal_get(&id).await
            } else {
                app.reveal_post(&id, &json!({})).await
            }
        }
    });
    let mut successes = 0;
    for response in join_all(attempts).await {
        match response.status() {
            StatusCode::OK => successes += 1,
            StatusCode::NOT_FOUND => {}
            other => anyhow::bail!("unexpected status {other}"),
        }
    }
    Ok(successes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_reveals_succeed_exactly_once_over_200_rounds() -> anyhow::Result<()>
{
    let app = spawn_app(test_config()).await;
    for round in 0..200 {
        assert_eq!(race_once(&app, 1).await?, 1, "round {round}");
    }
    app.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reveals_of_a_k_view_secret_succeed_exactly_k_times() -> anyhow::Result<()> {
    let app = spawn_app(test_config()).await;
    for (round, k) in (0..60).zip([2u32, 3, 5, 31].into_iter().cycle()) {
        assert_eq!(
            race_once(&app, k).await?,
            k as usize,
            "round {round}, maxViews {k}"
        );
    }
    app.shutdown().await;
    Ok(())
}
