//! `GET /.well-known/security.txt` (RFC 9116), with an `Expires` a year ahead of now.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use vanish_core::headers::security_txt;
use vanish_core::routes;

use super::Routes;
use crate::state::AppState;

pub fn router() -> Routes {
    Routes::default().get(routes::SECURITY_TXT, serve)
}

async fn serve(State(app): State<AppState>) -> impl IntoResponse {
    let body = security_txt(&app.security_contact, app.clock.now_ms());
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body)
}
