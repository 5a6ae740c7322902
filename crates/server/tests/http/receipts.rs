//! What a consumed secret leaves on disk: a receipt without any secret material, and only
//! the hash of the manage token. (The API's lifecycle, the same on every deployment, is
//! the conformance suite's: crates/conformance/src/checks/api.rs.)

use serde_json::json;

use crate::common::{spawn_app, test_config};

type Result = anyhow::Result<()>;

#[tokio::test]
async fn receipts_hold_no_secret_material_on_disk() -> Result {
    let app = spawn_app(test_config()).await;
    let created = app
        .create_ok(json!({ "encrypted": "VGhpc0lzQ2lwaGVydGV4dE1hcmtlcg" }))
        .await;
    app.reveal_get(&created.id).await;
    let db = rusqlite::Connection::open(app.dir.path().join("vanish.db"))?;
    let count = |sql: &str| db.query_row(sql, [&created.id], |r| r.get::<_, i64>(0));
    assert_eq!(count("SELECT count(*) FROM receipts WHERE id = ?1")?, 1);
    assert_eq!(
        count("SELECT count(*) FROM material WHERE id = ?1")?,
        0,
        "the ciphertext's row is gone with the last view"
    );
    let token_stored: i64 = db.query_row(
        "SELECT count(*) FROM receipts WHERE CAST(manage_hash AS TEXT) = ?1",
        [&created.manage_token],
        |r| r.get(0),
    )?;
    assert_eq!(token_stored, 0, "only the token's hash is stored");
    app.shutdown().await;
    Ok(())
}
