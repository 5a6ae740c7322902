//! Passphrase-protected secrets: consuming needs the right proof; a wrong one consumes
//! nothing; five wrong ones burn the secret.

use serde_json::json;
use vanish_core::api::{MetaResponse, RevealResponse, StatusResponse};
use vanish_core::receipt::ReceiptState;

use crate::client::Client;
use crate::{Check, Target, ensure_eq};

const VERIFIER: &str = "dmVyaWZpZXItYnl0ZXMtZnJvbS1wYmtkZjI";
const WRONG: &str = "d3Jvbmc";

pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "passphrase::a_passphrase_secret_needs_the_right_proof",
            run: a_passphrase_secret_needs_the_right_proof,
        },
        Check {
            name: "passphrase::five_wrong_proofs_burn_the_secret",
            run: five_wrong_proofs_burn_the_secret,
        },
    ]
}

fn a_passphrase_secret_needs_the_right_proof(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let created = client.create_ok(json!({ "passphraseVerifier": VERIFIER }))?;
    let meta: MetaResponse = client.meta(&created.id)?.expect(200)?.json()?;
    ensure_eq!(meta.passphrase_required, true);
    client
        .reveal_get(&created.id)?
        .expect_error(401, "PASSPHRASE_REQUIRED")?;
    client
        .reveal_post(&created.id, &json!({}))?
        .expect_error(401, "PASSPHRASE_REQUIRED")?;
    client
        .reveal_post(&created.id, &json!({ "passphraseProof": WRONG }))?
        .expect_error(401, "PASSPHRASE_INVALID")?;
    let meta: MetaResponse = client.meta(&created.id)?.expect(200)?.json()?;
    ensure_eq!(meta.views_left, 1, "wrong proofs consume nothing");
    let revealed: RevealResponse = client
        .reveal_post(&created.id, &json!({ "passphraseProof": VERIFIER }))?
        .expect(200)?
        .json()?;
    ensure_eq!(revealed.views_left, 0);
    Ok(())
}

fn five_wrong_proofs_burn_the_secret(target: &Target) -> anyhow::Result<()> {
    let client = Client::new(target);
    let created = client.create_ok(json!({ "passphraseVerifier": VERIFIER }))?;
    for _ in 0..5 {
        client
            .reveal_post(&created.id, &json!({ "passphraseProof": WRONG }))?
            .expect_error(401, "PASSPHRASE_INVALID")?;
    }
    client
        .reveal_post(&created.id, &json!({ "passphraseProof": VERIFIER }))?
        .expect_error(404, "NOT_FOUND")?;
    let status: StatusResponse = client
        .status(&created.id, &created.manage_token)?
        .expect(200)?
        .json()?;
    ensure_eq!(status.state, ReceiptState::Burned);
    Ok(())
}
