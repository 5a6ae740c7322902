//! `GET /.well-known/security.txt` (RFC 9116), with an `Expires` within a year of now.

use vanish_core::headers::security_txt;
use worker::Response;

use super::Ctx;
use crate::error::ApiError;

pub fn serve(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let body = security_txt(&ctx.settings.security_contact, ctx.now);
    let mut response = Response::ok(body)?;
    response
        .headers_mut()
        .set("content-type", "text/plain; charset=utf-8")?;
    Ok(response)
}
