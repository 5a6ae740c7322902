//! The bounded queue between the requests that finish spans and the thread that exports
//! them (feature `otel`), with the OpenTelemetry batch settings: the thread wakes every
//! `OTEL_BSP_SCHEDULE_DELAY` ms (default 5,000), or as soon as
//! `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` spans (default 512) are waiting, and sends them in
//! batches of at most that many. At most `OTEL_BSP_MAX_QUEUE_SIZE` spans (default 2,048)
//! wait; beyond that a span is dropped and counted, and the thread logs how many once per
//! round, so a collector that is slow or gone costs requests nothing but the spans.
//!
//! A request only takes a short lock to push its span; encoding and posting happen on the
//! export thread (`otlp`).

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::TelemetryError;
use super::otel::SpanRecord;
use super::otlp::OtlpExporter;

/// The `OTEL_BSP_*` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSettings {
    pub schedule_delay: Duration,
    pub max_queue: usize,
    pub max_batch: usize,
}

impl Default for BatchSettings {
    fn default() -> Self {
        Self {
            schedule_delay: Duration::from_millis(DEFAULT_DELAY_MS),
            max_queue: DEFAULT_MAX_QUEUE,
            max_batch: DEFAULT_MAX_BATCH,
        }
    }
}

const DEFAULT_DELAY_MS: u64 = 5_000;
const DEFAULT_MAX_QUEUE: usize = 2_048;
const DEFAULT_MAX_BATCH: usize = 512;

impl BatchSettings {
    /// The settings the environment gives; a value that is not a positive whole number is
    /// an error naming its variable. A batch is never larger than the queue.
    pub fn from_env() -> Result<Self, TelemetryError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, TelemetryError> {
        fn number<T: std::str::FromStr + Default + PartialOrd>(
            lookup: &impl Fn(&str) -> Option<String>,
            variable: &'static str,
            default: T,
        ) -> Result<T, TelemetryError> {
            let Some(value) = lookup(variable) else {
                return Ok(default);
            };
            match value.trim().parse::<T>() {
                Ok(n) if n > T::default() => Ok(n),
                _ => Err(TelemetryError {
                    variable,
                    problem: format!("{value:?} is not a positive whole number"),
                }),
            }
        }
        let delay = number(&lookup, "OTEL_BSP_SCHEDULE_DELAY", DEFAULT_DELAY_MS)?;
        let max_queue = number(&lookup, "OTEL_BSP_MAX_QUEUE_SIZE", DEFAULT_MAX_QUEUE)?;
        let max_batch = number(&lookup, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", DEFAULT_MAX_BATCH)?;
        Ok(Self {
            schedule_delay: Duration::from_millis(delay),
            max_queue,
            max_batch: max_batch.min(max_queue),
        })
    }
}

/// Spans waiting for export, and the export thread's instructions.
pub struct SpanQueue {
    settings: BatchSettings,
    state: Mutex<State>,
    /// Wakes the export thread: a batch is full, a flush is asked for, or the queue closes.
    wake: Condvar,
    /// Wakes those waiting for a flush.
    flushed: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Default)]
struct State {
    spans: Vec<SpanRecord>,
    /// Spans dropped because the queue was full, since the thread last looked.
    dropped: u64,
    /// Flushes asked for, and the last one done (each covers what was queued before it).
    flush_asked: u64,
    flush_done: u64,
    closing: bool,
}

impl SpanQueue {
    /// The queue, with a thread exporting its spans through `exporter`.
    pub fn start(settings: BatchSettings, exporter: OtlpExporter) -> Arc<Self> {
        let queue = Self::new(settings);
        queue.start_export(exporter);
        queue
    }

    fn new(settings: BatchSettings) -> Arc<Self> {
        Arc::new(Self {
            settings,
            state: Mutex::new(State {
                spans: Vec::with_capacity(settings.max_batch),
                ..State::default()
            }),
            wake: Condvar::new(),
            flushed: Condvar::new(),
            thread: Mutex::new(None),
        })
    }

    /// Starts the export thread, which logs where its starter logs.
    fn start_export(self: &Arc<Self>, exporter: OtlpExporter) {
        let worker = Arc::clone(self);
        let logs = tracing::dispatcher::get_default(Clone::clone);
        let thread = std::thread::Builder::new()
            .name("vanish-traces".into())
            .spawn(move || {
                let _logs = tracing::dispatcher::set_default(&logs);
                worker.export_loop(exporter);
            });
        match thread {
            Ok(thread) => *lock(&self.thread) = Some(thread),
            Err(e) => {
                tracing::error!(error = %e, "could not start the trace export thread; spans are dropped");
            }
        }
    }

    /// Queues a finished span, or drops it when the queue is full or closed.
    pub fn push(&self, span: SpanRecord) {
        let mut state = lock(&self.state);
        if state.closing || state.spans.len() >= self.settings.max_queue {
            state.dropped += 1;
            return;
        }
        state.spans.push(span);
        if state.spans.len() == self.settings.max_batch {
            self.wake.notify_one();
        }
    }

    /// Exports what is queued now, waiting until it has been sent (or could not be).
    pub fn flush(&self) {
        if lock(&self.thread).is_none() {
            return;
        }
        let mut state = lock(&self.state);
        state.flush_asked += 1;
        let ticket = state.flush_asked;
        self.wake.notify_one();
        while state.flush_done < ticket && !state.closing {
            state = self
                .flushed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Exports what is queued and stops the thread; later spans are dropped.
    pub fn close(&self) {
        lock(&self.state).closing = true;
        self.wake.notify_one();
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }

    fn export_loop(&self, mut exporter: OtlpExporter) {
        let mut spare = Vec::with_capacity(self.settings.max_batch);
        loop {
            let deadline = Instant::now() + self.settings.schedule_delay;
            let mut state = lock(&self.state);
            while state.spans.len() < self.settings.max_batch
                && state.flush_asked == state.flush_done
                && !state.closing
            {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                state = self
                    .wake
                    .wait_timeout(state, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            let mut spans = std::mem::replace(&mut state.spans, spare);
            let dropped = std::mem::take(&mut state.dropped);
            let (ticket, closing) = (state.flush_asked, state.closing);
            drop(state);

            if dropped > 0 {
                tracing::warn!(
                    dropped,
                    "trace queue full (OTEL_BSP_MAX_QUEUE_SIZE): spans were dropped"
                );
            }
            for batch in spans.chunks(self.settings.max_batch) {
                // At shutdown one failed export is enough: the rest would wait as long.
                if exporter.export(batch).is_err() && closing {
                    break;
                }
            }
            spans.clear();
            spare = spans;

            let mut state = lock(&self.state);
            state.flush_done = ticket;
            self.flushed.notify_all();
            if closing {
                return;
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::captured::CapturedLogs;
    use crate::telemetry::otlp::tests::{collector, server_span};

    #[test]
    fn a_full_queue_drops_spans_and_says_so_and_flush_and_close_send_what_waits() {
        let (logs, _capturing) = CapturedLogs::capture_text();
        let (url, received) = collector(&["200 OK", "200 OK"]);
        let exporter = OtlpExporter::new(url, Vec::new(), Duration::from_secs(5), &[]);
        // Nothing but a flush or the close sends: the delay is long, the batch large.
        let queue = SpanQueue::new(BatchSettings {
            schedule_delay: Duration::from_secs(600),
            max_queue: 3,
            max_batch: 3,
        });
        for _ in 0..5 {
            queue.push(server_span(200, [0; 8]));
        }
        assert_eq!(lock(&queue.state).spans.len(), 3);
        queue.start_export(exporter);
        queue.flush();
        queue.push(server_span(200, [0; 8]));
        queue.close();
        queue.push(server_span(200, [0; 8]));
        let received = received.join().expect("the collector");
        assert!(received[0].ends_with("3 spans"), "{received:?}");
        assert!(received[1].ends_with("1 spans"), "{received:?}");
        assert_eq!(lock(&queue.state).dropped, 1, "a span after the close");
        let text = logs.text();
        assert!(
            text.contains("trace queue full") && text.contains("dropped=2"),
            "{text}"
        );
    }

    #[test]
    fn spans_are_sent_when_the_schedule_delay_runs_out_on_the_real_clock() {
        let (url, received) = collector(&["200 OK"]);
        let exporter = OtlpExporter::new(url, Vec::new(), Duration::from_secs(5), &[]);
        let queue = SpanQueue::start(
            BatchSettings {
                schedule_delay: Duration::from_millis(100),
                max_queue: 10,
                max_batch: 10,
            },
            exporter,
        );
        queue.push(server_span(200, [0; 8]));
        // Neither a full batch nor a flush: only the delay can send it.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !received.is_finished() {
            assert!(
                std::time::Instant::now() < deadline,
                "the span was not sent within 20 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let received = received.join().expect("the collector");
        assert!(received[0].ends_with("1 spans"), "{received:?}");
        queue.close();
    }

    #[test]
    fn closing_with_a_collector_that_never_answers_gives_up_after_one_export() {
        // A listener nobody accepts from: connections complete in its backlog and no
        // answer ever comes, so each export runs into its timeout.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/v1/traces", listener.local_addr().expect("addr"));
        let exporter = OtlpExporter::new(url, Vec::new(), Duration::from_millis(300), &[]);
        let queue = SpanQueue::new(BatchSettings {
            schedule_delay: Duration::from_secs(600),
            max_queue: 10,
            max_batch: 1,
        });
        for _ in 0..3 {
            queue.push(server_span(200, [0; 8]));
        }
        queue.start_export(exporter);
        queue.close();
        listener.set_nonblocking(true).expect("non-blocking");
        let mut attempts = Vec::new();
        while let Ok((stream, _)) = listener.accept() {
            attempts.push(stream);
        }
        assert_eq!(attempts.len(), 1, "exports tried while closing");
    }

    #[test]
    fn batch_settings_come_from_the_standard_variables() {
        let from = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            BatchSettings::from_lookup(move |name| {
                pairs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            })
        };
        assert_eq!(from(&[]).expect("defaults"), BatchSettings::default());
        let set = from(&[
            ("OTEL_BSP_SCHEDULE_DELAY", "250"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1000"),
        ])
        .expect("valid");
        assert_eq!(
            set,
            BatchSettings {
                schedule_delay: Duration::from_millis(250),
                max_queue: 100,
                max_batch: 100,
            }
        );
        for (variable, value) in [
            ("OTEL_BSP_MAX_QUEUE_SIZE", "0"),
            ("OTEL_BSP_SCHEDULE_DELAY", "soon"),
        ] {
            let error = from(&[(variable, value)]).expect_err("refused");
            assert_eq!(error.variable, variable);
        }
    }
}
