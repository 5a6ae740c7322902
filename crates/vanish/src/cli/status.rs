//! `vanish status RECEIPT|LINK|ID`: the sender's receipt (pending, viewed and when,
//! burned, expired). Never consumes a view.

use std::fmt::Write as _;
use std::process::ExitCode;

use vanish_client::Client;
use vanish_core::api::StatusResponse;
use vanish_core::headers::rfc3339_utc;

use super::manage::ManageArgs;
use super::{Failure, finish, write_stdout};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    secret: ManageArgs,
    /// Print the API's receipt as JSON: `{state, maxViews, viewsLeft, viewedAt, expiresAt}`.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> ExitCode {
    finish(status(args))
}

fn status(args: Args) -> Result<(), Failure> {
    let (secret, manage_token) = args.secret.resolve()?;
    let receipt = Client::new().status(&secret, &manage_token)?;
    let text = if args.json {
        let json = serde_json::to_string(&receipt).expect("a receipt always serializes");
        json + "\n"
    } else {
        describe(&receipt)
    };
    write_stdout(text.as_bytes())
}

/// The receipt for humans, one `field: value` per line.
fn describe(receipt: &StatusResponse) -> String {
    let used = receipt.max_views.saturating_sub(receipt.views_left);
    let mut text = format!(
        "state: {}\nviews: {used} of {} used\n",
        receipt.state.as_str(),
        receipt.max_views
    );
    for at in &receipt.viewed_at {
        // Writing to a String cannot fail.
        let _ = writeln!(text, "viewed at: {}", rfc3339_utc(*at));
    }
    let _ = writeln!(text, "expires at: {}", rfc3339_utc(receipt.expires_at));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use vanish_core::receipt::ReceiptState;

    #[test]
    fn a_receipt_reads_as_one_field_per_line() {
        let receipt = StatusResponse {
            state: ReceiptState::Viewed,
            max_views: 2,
            views_left: 0,
            viewed_at: vec![0, 86_400_000],
            expires_at: 1_000,
        };
        assert_eq!(
            describe(&receipt),
            "state: viewed\nviews: 2 of 2 used\nviewed at: 1970-01-01T00:00:00Z\n\
             viewed at: 1970-01-02T00:00:00Z\nexpires at: 1970-01-01T00:00:01Z\n"
        );
    }
}
