//! The request pipeline: one middleware per concern, each a module that owns its layer and
//! the small state that layer reads (never the whole app). [`Pipeline`] holds those states,
//! built once from the settings, and [`Pipeline::wrap`] applies the layers to a router in
//! their order, in this one place (docs/architecture.md, "A request's path").

use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use tower::ServiceBuilder;

pub mod access_log;
pub mod catch_panic;
pub mod client_ip;
pub mod cors;
pub mod drain;
pub mod rate_limit;
pub mod request_id;
pub mod request_limits;
pub mod request_span;
pub mod security_headers;
pub mod timeout;
pub mod timing;

#[cfg(test)]
mod test_request;

/// The state of every layer that has any.
#[derive(Clone)]
pub struct Pipeline {
    pub request_span: request_span::RequestSpans,
    pub client_ip: client_ip::Resolver,
    pub access_log: access_log::AccessLog,
    pub cors: cors::Cors,
    pub drain: drain::Drain,
    pub request_limits: request_limits::Bounds,
    pub rate_limit: Arc<rate_limit::Gate>,
    pub timeout: timeout::Deadline,
}

impl Pipeline {
    /// `routes` wrapped in the pipeline, outermost first: the order below is the request's
    /// path. The layers are composed into one stack and applied in one `.layer` call, so a
    /// request clones the stack's handles once per layer, not the boxed rest of the router
    /// (which deep `.layer` chains would: one allocation per layer below, per layer).
    pub fn wrap(&self, routes: Router) -> Router {
        let stack = ServiceBuilder::new()
            // Every response, errors included, gets its id and its error body here.
            .layer(from_fn(request_id::layer))
            // Every log line from here in carries the request's id and route.
            .layer(from_fn_with_state(self.request_span, request_span::layer))
            // Whatever answers early, the client still sending gets to read it.
            .layer(from_fn_with_state(self.drain, drain::layer))
            .layer(from_fn_with_state(self.client_ip.clone(), client_ip::layer))
            .layer(from_fn(timing::layer))
            .layer(from_fn_with_state(
                self.access_log.clone(),
                access_log::layer,
            ))
            // Inside the access log, so a panic's 500 is logged and counted like any answer.
            .layer(catch_panic::layer())
            .layer(from_fn(security_headers::layer))
            .layer(from_fn_with_state(self.cors.clone(), cors::layer))
            .layer(from_fn_with_state(
                self.request_limits,
                request_limits::layer,
            ))
            .layer(from_fn_with_state(
                Arc::clone(&self.rate_limit),
                rate_limit::layer,
            ))
            .layer(from_fn_with_state(self.timeout, timeout::layer));
        routes.layer(stack)
    }
}
