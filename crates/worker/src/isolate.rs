//! State one isolate keeps across the requests it serves: the parsed settings, a circuit
//! breaker per kind of Durable Object, the rate-limit decision cache and the fallback
//! limiter. Isolates are many and short-lived, so all of this is per isolate by design: it
//! spares Durable Object calls and keeps failing ones fast, and never decides anything the
//! objects must decide (a secret's views, a client's shared budget).
//!
//! Wasm in a Worker is single-threaded: the state sits in a thread-local `RefCell`, borrowed
//! only in short synchronous sections, never across an `.await`.

use std::cell::RefCell;
use std::rc::Rc;

use vanish_core::breaker::Breaker;
use vanish_core::decision_cache::DecisionCache;
use vanish_core::ratelimit::ClientKey;
use vanish_core::settings::SettingError;
use worker::Env;

use crate::rate_limiter::local::LocalLimits;
use crate::settings::Settings;

/// Which kind of Durable Object a call goes to; each has its own breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Secrets,
    Limits,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Secrets => "secrets",
            Self::Limits => "limits",
        }
    }
}

pub struct Isolate {
    pub settings: Rc<Settings>,
    secrets: Breaker,
    limits: Breaker,
    pub decisions: DecisionCache<ClientKey>,
    pub fallback: LocalLimits,
}

impl Isolate {
    fn new(settings: Settings) -> Self {
        Self {
            secrets: Breaker::new(settings.breaker),
            limits: Breaker::new(settings.breaker),
            decisions: DecisionCache::new(settings.cache_ttl_ms, settings.cache_max_size),
            fallback: LocalLimits::new(settings.fallback_max_clients),
            settings: Rc::new(settings),
        }
    }

    pub fn breaker(&mut self, backend: Backend) -> &mut Breaker {
        match backend {
            Backend::Secrets => &mut self.secrets,
            Backend::Limits => &mut self.limits,
        }
    }
}

thread_local! {
    static ISOLATE: RefCell<Option<Isolate>> = const { RefCell::new(None) };
}

/// The isolate's settings, parsed from `env` on the first request.
pub fn settings(env: &Env) -> Result<Rc<Settings>, SettingError> {
    if let Some(settings) = with(|i| Rc::clone(&i.settings)) {
        return Ok(settings);
    }
    let isolate = Isolate::new(Settings::from_env(env)?);
    let settings = Rc::clone(&isolate.settings);
    ISOLATE.with(|cell| *cell.borrow_mut() = Some(isolate));
    Ok(settings)
}

/// Runs `f` on the isolate's state; `None` before [`settings`] succeeded once.
pub fn with<R>(f: impl FnOnce(&mut Isolate) -> R) -> Option<R> {
    ISOLATE.with(|cell| cell.borrow_mut().as_mut().map(f))
}
