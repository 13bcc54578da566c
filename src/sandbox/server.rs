//! The sandbox's connections, with deadlines: a connection that sends no request for the
//! idle timeout is closed, and so is one whose request head has not arrived whole within
//! the read timeout of its first byte. While a request is being answered no deadline runs
//! (a slow answer on demand is not the client's fault); the handler bounds the body itself.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// How long a connection may keep the sandbox waiting.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From a request's first byte to its whole head.
    pub read: Duration,
    /// With no request under way.
    pub idle: Duration,
}

/// Accepts connections that carry their deadlines.
pub struct GuardedListener {
    listener: TcpListener,
    timeouts: Timeouts,
}

impl GuardedListener {
    pub fn new(listener: TcpListener, timeouts: Timeouts) -> GuardedListener {
        GuardedListener { listener, timeouts }
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = Guarded;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Guarded, SocketAddr) {
        loop {
            match self.listener.accept().await {
                Ok((stream, addr)) => return (Guarded::new(stream, self.timeouts), addr),
                // A connection that failed before it was accepted concerns no one else.
                Err(e) if is_connection_error(&e) => {}
                // Out of descriptors and the like: wait rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "sandbox cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Where a connection is: waiting for a request, receiving one, or being answered.
#[derive(Debug, Clone, Copy)]
enum State {
    Waiting(Instant),
    Receiving(Instant),
    Answering,
}

/// A connection's state, shared by its stream and the requests it carries.
#[derive(Debug, Clone)]
pub struct Phase(Arc<Mutex<State>>);

impl Phase {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, state: State) {
        *self.lock() = state;
    }

    /// Bytes arrived: a waiting connection starts receiving a request.
    fn received(&self) {
        let mut state = self.lock();
        if let State::Waiting(_) = *state {
            *state = State::Receiving(Instant::now());
        }
    }

    fn deadline(&self, timeouts: Timeouts) -> Option<Instant> {
        match *self.lock() {
            State::Waiting(since) => Some(since + timeouts.idle),
            State::Receiving(since) => Some(since + timeouts.read),
            State::Answering => None,
        }
    }
}

impl Connected<IncomingStream<'_, GuardedListener>> for Phase {
    fn connect_info(stream: IncomingStream<'_, GuardedListener>) -> Phase {
        stream.io().phase.clone()
    }
}

/// Marks the connection as answering while a request is handled, then waiting again.
pub async fn track(request: Request, next: Next) -> Response {
    let phase = request
        .extensions()
        .get::<ConnectInfo<Phase>>()
        .map(|info| info.0.clone());
    if let Some(phase) = &phase {
        phase.set(State::Answering);
    }
    let response = next.run(request).await;
    if let Some(phase) = &phase {
        phase.set(State::Waiting(Instant::now()));
    }
    response
}

/// A TCP stream whose reads fail once its deadline passes, which closes the connection.
pub struct Guarded {
    stream: TcpStream,
    phase: Phase,
    timeouts: Timeouts,
    timer: Pin<Box<Sleep>>,
}

impl Guarded {
    fn new(stream: TcpStream, timeouts: Timeouts) -> Guarded {
        let now = Instant::now();
        Guarded {
            stream,
            phase: Phase(Arc::new(Mutex::new(State::Waiting(now)))),
            timeouts,
            timer: Box::pin(tokio::time::sleep_until(now + timeouts.idle)),
        }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.phase.received();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some(deadline) = this.phase.deadline(this.timeouts) else {
                    return Poll::Pending;
                };
                if this.timer.deadline() != deadline {
                    this.timer.as_mut().reset(deadline);
                }
                match this.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client sent no whole request in time",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
