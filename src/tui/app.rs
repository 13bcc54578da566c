//! The event loop: one task owns the terminal and the state, waits on input, effect
//! results and (only while something is in flight) a tick, and draws once per batch.

use std::io;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{Event, KeyEventKind};
use tokio::sync::{mpsc, watch};

use super::effects::Effects;
pub use super::effects::Services;
use super::message::{Effect, Msg};
use super::state::State;
use super::{update, view};

/// How often the clock ticks while something is in flight.
pub const TICK: Duration = Duration::from_millis(100);
/// How long the loop waits, once it ends, for cancelled sends to record their outcome.
pub const SETTLE: Duration = Duration::from_secs(3);

/// What an observer sees after each draw (tests read it).
#[derive(Debug, Clone)]
pub struct Observed {
    pub screen: String,
    pub state: State,
}

/// Why the loop ended badly.
#[derive(Debug, thiserror::Error)]
pub enum LoopError {
    #[error("terminal: {0}")]
    Terminal(String),
    #[error("a background task failed: {0}")]
    Task(String),
}

/// Runs until the operator quits, the input ends, a signal to stop arrives (SIGTERM,
/// SIGINT, SIGHUP, SIGQUIT), or a task fails (`fatal` delivers failures from outside the
/// loop, e.g. the panic hook). Every way out goes through the same end: whatever is in
/// flight is cancelled and recorded (outcome unknown) before this returns, so the caller
/// restores the terminal and nothing is lost.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    mut state: State,
    mut input: S,
    services: Services,
    mut fatal: mpsc::UnboundedReceiver<String>,
    observer: Option<watch::Sender<Observed>>,
) -> Result<State, LoopError>
where
    B: Backend,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut effects = Effects::new(services, tx);
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut terminate = terminate_signal();

    let load = update::reload(&mut state);
    effects.run(load);
    draw(terminal, &state, observer.as_ref())?;

    let result = loop {
        let mut pending: Vec<Effect> = Vec::new();
        tokio::select! {
            biased;
            Some(msg) = rx.recv() => {
                state.now = Instant::now();
                pending.extend(update::apply(&mut state, msg));
            }
            Some(error) = fatal.recv() => break Err(LoopError::Task(error)),
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Release => continue,
                Some(Ok(event)) => {
                    state.now = Instant::now();
                    pending.extend(update::handle_event(&mut state, &event));
                }
                Some(Err(e)) => break Err(LoopError::Terminal(e.to_string())),
                None => break Ok(()),
            },
            _ = tick.tick(), if state.needs_tick() => {
                state.now = Instant::now();
                pending.extend(update::apply(&mut state, Msg::Tick));
            }
            () = terminate.recv() => {
                tracing::info!("stopping on a signal");
                break Ok(());
            }
        }
        // Drain what else arrived, so one draw covers the whole batch.
        while let Ok(msg) = rx.try_recv() {
            pending.extend(update::apply(&mut state, msg));
        }
        run_all(&mut effects, pending);
        if state.quit {
            break Ok(());
        }
        draw(terminal, &state, observer.as_ref())?;
    };
    effects.cancel_all();
    effects.settle(SETTLE).await;
    result.map(|()| state)
}

fn run_all(effects: &mut Effects, pending: Vec<Effect>) {
    for effect in pending {
        effects.run(effect);
    }
}

fn draw<B: Backend>(
    terminal: &mut Terminal<B>,
    state: &State,
    observer: Option<&watch::Sender<Observed>>,
) -> Result<(), LoopError> {
    let frame = terminal
        .draw(|f| view::render(f, state))
        .map_err(|e| LoopError::Terminal(e.to_string()))?;
    if let Some(observer) = observer {
        let screen = buffer_text(frame.buffer);
        observer.send_replace(Observed {
            screen,
            state: state.clone(),
        });
    }
    Ok(())
}

/// The buffer's text, one line per row, trailing spaces trimmed.
pub fn buffer_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        for x in area.left()..area.right() {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The signals that stop the console as a future that can be awaited repeatedly: SIGTERM,
/// SIGINT (sent as a signal: in raw mode Ctrl-C is a key), SIGHUP (the terminal went away)
/// and SIGQUIT. Their default actions would end the process with the terminal still raw
/// and on the alternate screen, and sends in flight unrecorded. Never fires off Unix.
struct Terminate {
    #[cfg(unix)]
    signals: Vec<tokio::signal::unix::Signal>,
}

impl Terminate {
    async fn recv(&mut self) {
        #[cfg(unix)]
        if !self.signals.is_empty() {
            std::future::poll_fn(|cx| {
                let arrived = self
                    .signals
                    .iter_mut()
                    .any(|signal| signal.poll_recv(cx).is_ready());
                if arrived {
                    std::task::Poll::Ready(())
                } else {
                    std::task::Poll::Pending
                }
            })
            .await;
            return;
        }
        futures::future::pending::<()>().await;
    }
}

fn terminate_signal() -> Terminate {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let kinds = [
            SignalKind::terminate(),
            SignalKind::interrupt(),
            SignalKind::hangup(),
            SignalKind::quit(),
        ];
        Terminate {
            signals: kinds.into_iter().filter_map(|k| signal(k).ok()).collect(),
        }
    }
    #[cfg(not(unix))]
    Terminate {}
}
