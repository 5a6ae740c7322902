//! A TCP proxy that loses a reply on purpose: put between vanish's Redis client and a
//! `redis-server`, it forwards everything both ways, except that, when armed, the reply to
//! the next command containing a marker (a secret's id) is lost after Redis has run the
//! command: the connection is closed instead, or the reply is held back past the client's
//! response timeout. A `-NOSCRIPT` reply is never lost (that command did not run; the
//! client loads the script and sends it again, and the fault waits for that one).
//!
//! Plain threads and blocking sockets, so the proxy runs apart from the runtime it tests.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a reply is lost.
#[derive(Debug, Clone, Copy)]
pub enum Loss {
    /// The proxy closes both sides of the connection instead of forwarding the reply.
    Close,
    /// The proxy forwards the reply only after this long (past the response timeout).
    Delay(Duration),
}

struct Shared {
    upstream: AtomicU16,
    armed: Mutex<Option<(Vec<u8>, Loss)>>,
    lost: AtomicUsize,
    stop: AtomicBool,
}

pub struct LossyProxy {
    port: u16,
    shared: Arc<Shared>,
}

impl LossyProxy {
    /// Listens on a free port; connections are refused until [`Self::forward_to`].
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        listener.set_nonblocking(true).expect("nonblocking accept");
        let shared = Arc::new(Shared {
            upstream: AtomicU16::new(0),
            armed: Mutex::new(None),
            lost: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || accept_loop(listener, accepting));
        Self { port, shared }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where new connections go: `127.0.0.1:port`.
    pub fn forward_to(&self, port: u16) {
        self.shared.upstream.store(port, Ordering::SeqCst);
    }

    /// Loses the reply to the next command that contains `marker`.
    pub fn lose_reply_to(&self, marker: &str, loss: Loss) {
        *self.shared.armed.lock().expect("lock") = Some((marker.as_bytes().to_vec(), loss));
    }

    /// How many replies were lost so far.
    pub fn lost(&self) -> usize {
        self.shared.lost.load(Ordering::SeqCst)
    }
}

impl Drop for LossyProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((client, _)) => {
                let upstream = shared.upstream.load(Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let _ = client.set_nonblocking(false);
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                relay(client, server, Arc::clone(&shared));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// One connection: a thread per direction, sharing which loss (if any) the reply in
/// flight is up for.
fn relay(client: TcpStream, server: TcpStream, shared: Arc<Shared>) {
    let pending: Arc<Mutex<Option<Loss>>> = Arc::new(Mutex::new(None));
    let (c_in, s_out) = (
        client.try_clone().expect("clone"),
        server.try_clone().expect("clone"),
    );
    let (up_shared, up_pending) = (Arc::clone(&shared), Arc::clone(&pending));
    std::thread::spawn(move || commands(c_in, s_out, &up_shared, &up_pending));
    std::thread::spawn(move || replies(server, client, &shared, &pending));
}

fn commands(
    mut from: TcpStream,
    mut to: TcpStream,
    shared: &Shared,
    pending: &Mutex<Option<Loss>>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        if let Some((marker, loss)) = &*shared.armed.lock().expect("lock")
            && chunk.windows(marker.len()).any(|w| w == marker.as_slice())
        {
            // Set before forwarding, so the reply cannot overtake the flag.
            *pending.lock().expect("lock") = Some(*loss);
        }
        if to.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

fn replies(mut from: TcpStream, mut to: TcpStream, shared: &Shared, pending: &Mutex<Option<Loss>>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        let loss = pending.lock().expect("lock").take();
        match loss {
            Some(_) if chunk.starts_with(b"-NOSCRIPT") => {}
            Some(Loss::Close) => {
                shared.armed.lock().expect("lock").take();
                shared.lost.fetch_add(1, Ordering::SeqCst);
                let _ = to.shutdown(Shutdown::Both);
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
            Some(Loss::Delay(by)) => {
                shared.armed.lock().expect("lock").take();
                shared.lost.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(by);
            }
            None => {}
        }
        if to.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
