//! Waiting for something outside rootca to reach a state (an HSM coming up,
//! a backup becoming READY, an import settling), and showing the wait.
//!
//! Synchronous on purpose: the ceremony runner is, and a caller with an
//! async SDK call wraps it in its own `block_on` inside the poll. A wait
//! that ends within a second shows nothing. A longer one shows, on stderr,
//! what is awaited, the state now, the time elapsed and the timeout: an
//! indicatif spinner line when stderr is a terminal, else plain lines (when
//! the state changes, and every ten seconds) that a log keeps readably.
//! Nothing is coloured, so `NO_COLOR` has nothing to turn off here.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::text::shown;

/// What one poll saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll<T> {
    /// The awaited state: the wait ends with this value.
    Ready(T),
    /// Not yet; the state now, as the service names it.
    Pending(String),
    /// A state from which waiting does not lead to the awaited one (a
    /// cluster DEGRADED, a CA FAILED): the wait ends at once.
    Stop(String),
}

/// Why a wait ended without the awaited state.
#[derive(Debug, thiserror::Error)]
pub enum WaitError<E> {
    #[error(
        "{what} did not become {target} within {}: the last state seen was {last_state}",
        seconds(*.timeout)
    )]
    TimedOut {
        what: String,
        target: String,
        /// What the last poll said.
        last_state: String,
        timeout: Duration,
    },
    #[error("{what} is {state}, from which it does not become {target}: stopped waiting")]
    Stopped {
        what: String,
        target: String,
        state: String,
    },
    /// A poll failed; the wait does not retry it (the poll may, itself).
    #[error("while waiting for {what} to be {target}: {source}")]
    Poll {
        what: String,
        target: String,
        #[source]
        source: E,
    },
}

/// Waits until `poll` says [`Poll::Ready`], polling every `interval` and
/// giving up after `timeout`, with the wait shown on stderr as the module
/// says. The first poll is made at once.
pub fn wait_for<T, E>(
    what: &str,
    target_state: &str,
    timeout: Duration,
    interval: Duration,
    poll: impl FnMut() -> Result<Poll<T>, E>,
) -> Result<T, WaitError<E>> {
    Wait::new(what, target_state, timeout, interval).run(poll)
}

/// A wait, with the knobs [`wait_for`] leaves at their defaults.
#[derive(Debug, Clone)]
pub struct Wait {
    what: String,
    target: String,
    timeout: Duration,
    interval: Duration,
    show_after: Duration,
    every: Duration,
}

/// A wait this short is not shown at all.
pub const SHOW_AFTER: Duration = Duration::from_secs(1);
/// Plain lines come at least this often while the state stays the same.
pub const LINE_EVERY: Duration = Duration::from_secs(10);
/// How often the sleeping wait looks at the clock, to start showing itself
/// and to write its plain lines on time, whatever the interval.
const STEP: Duration = Duration::from_millis(200);

impl Wait {
    pub fn new(what: &str, target_state: &str, timeout: Duration, interval: Duration) -> Wait {
        Wait {
            what: what.to_string(),
            target: target_state.to_string(),
            timeout,
            interval,
            show_after: SHOW_AFTER,
            every: LINE_EVERY,
        }
    }

    /// Shows the wait once it has lasted `after` (default [`SHOW_AFTER`]).
    pub fn show_after(mut self, after: Duration) -> Wait {
        self.show_after = after;
        self
    }

    /// Plain lines at least every `every` (default [`LINE_EVERY`]).
    pub fn line_every(mut self, every: Duration) -> Wait {
        self.every = every;
        self
    }

    /// Runs the wait, shown on stderr: a spinner on a terminal, plain lines
    /// otherwise (also for `TERM=dumb`, where a spinner cannot redraw).
    pub fn run<T, E>(&self, poll: impl FnMut() -> Result<Poll<T>, E>) -> Result<T, WaitError<E>> {
        let stderr = std::io::stderr();
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        if stderr.is_terminal() && !dumb {
            self.run_on(Shown::Spinner(None), poll)
        } else {
            let mut lock = stderr.lock();
            self.run_on(Shown::Lines(&mut lock), poll)
        }
    }

    /// Runs the wait, shown as plain lines on `out`.
    pub fn run_lines<T, E>(
        &self,
        out: &mut dyn Write,
        poll: impl FnMut() -> Result<Poll<T>, E>,
    ) -> Result<T, WaitError<E>> {
        self.run_on(Shown::Lines(out), poll)
    }

    fn run_on<T, E>(
        &self,
        sink: Shown<'_>,
        mut poll: impl FnMut() -> Result<Poll<T>, E>,
    ) -> Result<T, WaitError<E>> {
        let start = Instant::now();
        // A timeout too long for the clock to represent never fires.
        let deadline = start.checked_add(self.timeout);
        let mut view = View {
            wait: self,
            start,
            shown: sink,
            visible: false,
            state: String::new(),
            last_line: Duration::ZERO,
        };
        loop {
            let state = match poll() {
                Ok(Poll::Ready(value)) => {
                    view.end(&format!(
                        "{} is {} after {}",
                        shown(&self.what),
                        shown(&self.target),
                        whole_seconds(start.elapsed())
                    ));
                    return Ok(value);
                }
                Ok(Poll::Pending(state)) => state,
                Ok(Poll::Stop(state)) => {
                    view.end(&format!(
                        "stopped waiting for {} to be {}: it is {}",
                        shown(&self.what),
                        shown(&self.target),
                        shown(&state)
                    ));
                    return Err(WaitError::Stopped {
                        what: self.what.clone(),
                        target: self.target.clone(),
                        state,
                    });
                }
                Err(source) => {
                    view.end(&format!(
                        "stopped waiting for {} to be {}: it could not be read",
                        shown(&self.what),
                        shown(&self.target)
                    ));
                    return Err(WaitError::Poll {
                        what: self.what.clone(),
                        target: self.target.clone(),
                        source,
                    });
                }
            };
            view.state(state);
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                view.end(&format!(
                    "gave up waiting for {} to be {} after {}: it is still {}",
                    shown(&self.what),
                    shown(&self.target),
                    seconds(self.timeout),
                    shown(&view.state)
                ));
                return Err(WaitError::TimedOut {
                    what: self.what.clone(),
                    target: self.target.clone(),
                    last_state: view.state,
                    timeout: self.timeout,
                });
            }
            // The next poll at the interval, or at the deadline if sooner:
            // the last poll is made when the timeout is up, never after.
            let next = match (now.checked_add(self.interval), deadline) {
                (Some(n), Some(d)) => Some(n.min(d)),
                (n, d) => n.or(d),
            };
            loop {
                let now = Instant::now();
                let left = next.map_or(STEP, |n| n.saturating_duration_since(now));
                if left.is_zero() {
                    break;
                }
                view.tick();
                std::thread::sleep(left.min(STEP));
            }
        }
    }
}

/// Where a wait is shown.
enum Shown<'a> {
    /// An indicatif spinner on stderr, made when the wait starts to show.
    Spinner(Option<ProgressBar>),
    Lines(&'a mut dyn Write),
}

struct View<'a, 'w> {
    wait: &'a Wait,
    start: Instant,
    shown: Shown<'w>,
    /// Whether anything was shown yet: not before `show_after`.
    visible: bool,
    state: String,
    /// When the last plain line was written, since the start.
    last_line: Duration,
}

impl View<'_, '_> {
    fn state(&mut self, state: String) {
        let changed = state != self.state;
        self.state = state;
        if !self.visible {
            self.tick();
        } else if changed {
            match &mut self.shown {
                Shown::Spinner(Some(bar)) => bar.set_message(shown(&self.state)),
                Shown::Spinner(None) => {}
                Shown::Lines(_) => self.line(),
            }
        }
    }

    /// Starts showing the wait once it lasted long enough, and keeps plain
    /// lines coming while the state does not change.
    fn tick(&mut self) {
        let elapsed = self.start.elapsed();
        if !self.visible {
            if elapsed < self.wait.show_after {
                return;
            }
            self.visible = true;
            if matches!(self.shown, Shown::Spinner(_)) {
                self.shown = Shown::Spinner(Some(self.spinner()));
            } else {
                self.line();
            }
        } else if matches!(self.shown, Shown::Lines(_))
            && elapsed.saturating_sub(self.last_line) >= self.wait.every
        {
            self.line();
        }
    }

    fn line(&mut self) {
        let elapsed = self.start.elapsed();
        self.last_line = elapsed;
        let text = format!(
            "waiting for {} to be {}: now {}, {} of {}",
            shown(&self.wait.what),
            shown(&self.wait.target),
            shown(&self.state),
            whole_seconds(elapsed),
            seconds(self.wait.timeout)
        );
        if let Shown::Lines(out) = &mut self.shown {
            // A log that cannot be written must not end the wait.
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
    }

    fn spinner(&self) -> ProgressBar {
        let start = self.start;
        // The elapsed seconds of the whole wait, not of the bar, which
        // starts only after `show_after`.
        let elapsed = move |_: &ProgressState, w: &mut dyn fmt::Write| {
            let _ = write!(w, "{}", start.elapsed().as_secs());
        };
        // Only digits go into the template: the texts, which may hold
        // braces, go in as prefix and message.
        let template = format!(
            "{{spinner}} waiting for {{prefix}}: now {{msg}}, {{elapsed_s}} s of {}",
            seconds(self.wait.timeout)
        );
        // Drawn only once it has all its parts.
        let bar = ProgressBar::hidden();
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.with_key("elapsed_s", elapsed));
        }
        bar.set_prefix(format!(
            "{} to be {}",
            shown(&self.wait.what),
            shown(&self.wait.target)
        ));
        bar.set_message(shown(&self.state));
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    /// The last word of a wait that was shown; a wait that was not shown
    /// ends silently, its outcome is the caller's to tell.
    fn end(&mut self, text: &str) {
        if !self.visible {
            return;
        }
        match &mut self.shown {
            Shown::Spinner(Some(bar)) => {
                // The spinner goes; the last word stays, as a line of its
                // own, so that what follows does not start beside it.
                bar.finish_and_clear();
                let _ = writeln!(std::io::stderr(), "{text}");
            }
            Shown::Spinner(None) => {}
            Shown::Lines(out) => {
                let _ = writeln!(out, "{text}");
                let _ = out.flush();
            }
        }
    }
}

/// A duration as "300 s" or "0.25 s".
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Elapsed time in whole seconds, "12 s".
fn whole_seconds(d: Duration) -> String {
    format!("{} s", d.as_secs())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::convert::Infallible;

    const SHORT: Duration = Duration::from_millis(1);

    fn lines_of(out: &[u8]) -> String {
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn returns_the_value_once_ready() {
        let mut states = ["CREATING", "PENDING_CERTIFICATE", "ACTIVE"].into_iter();
        let mut out = Vec::new();
        let got = Wait::new("the CA", "ACTIVE", Duration::from_secs(60), SHORT)
            .run_lines(&mut out, || {
                Ok::<_, Infallible>(match states.next().unwrap() {
                    "ACTIVE" => Poll::Ready(42),
                    other => Poll::Pending(other.to_string()),
                })
            })
            .unwrap();
        assert_eq!(got, 42);
        assert_eq!(states.next(), None, "polled until ready, not beyond");
    }

    #[test]
    fn a_short_wait_shows_nothing() {
        let mut polls = 0;
        let mut out = Vec::new();
        Wait::new("the CA", "ACTIVE", Duration::from_secs(60), SHORT)
            .show_after(Duration::from_secs(3600))
            .run_lines(&mut out, || {
                polls += 1;
                Ok::<_, Infallible>(if polls < 3 {
                    Poll::Pending("PENDING_CERTIFICATE".into())
                } else {
                    Poll::Ready(())
                })
            })
            .unwrap();
        assert!(out.is_empty(), "{}", lines_of(&out));
    }

    #[test]
    fn times_out_naming_what_the_last_state_and_the_timeout() {
        let mut polls = 0;
        let err = Wait::new("backup b-1", "READY", Duration::from_millis(30), SHORT)
            .run_lines(&mut Vec::new(), || {
                polls += 1;
                Ok::<Poll<()>, Infallible>(Poll::Pending(format!("CREATE_IN_PROGRESS {polls}")))
            })
            .unwrap_err();
        let WaitError::TimedOut {
            what,
            target,
            last_state,
            timeout,
        } = &err
        else {
            panic!("expected a timeout, got {err}");
        };
        assert_eq!(what, "backup b-1");
        assert_eq!(target, "READY");
        assert_eq!(last_state, &format!("CREATE_IN_PROGRESS {polls}"));
        assert_eq!(*timeout, Duration::from_millis(30));
        let text = err.to_string();
        assert!(
            text.contains("backup b-1") && text.contains("READY"),
            "{text}"
        );
        assert!(text.contains("0.03 s"), "{text}");
        assert!(text.contains(last_state.as_str()), "{text}");
    }

    #[test]
    fn polls_are_bounded_by_the_timeout_even_with_a_long_interval() {
        // An interval far beyond the timeout: the wait polls at the start
        // and once more when the timeout is up, then gives up.
        let mut polls = 0;
        let err = Wait::new(
            "the cluster",
            "ACTIVE",
            Duration::from_millis(20),
            Duration::from_secs(3600),
        )
        .run_lines(&mut Vec::new(), || {
            polls += 1;
            Ok::<Poll<()>, Infallible>(Poll::Pending("CREATE_IN_PROGRESS".into()))
        })
        .unwrap_err();
        assert!(matches!(err, WaitError::TimedOut { .. }), "{err}");
        assert!((1..=2).contains(&polls), "{polls} polls");
    }

    #[test]
    fn a_zero_timeout_polls_once() {
        let mut polls = 0;
        let ready = Wait::new("the CA", "ACTIVE", Duration::ZERO, SHORT)
            .run_lines(&mut Vec::new(), || {
                polls += 1;
                Ok::<_, Infallible>(Poll::Ready("ACTIVE"))
            })
            .unwrap();
        assert_eq!((ready, polls), ("ACTIVE", 1));
        let err = Wait::new("the CA", "ACTIVE", Duration::ZERO, SHORT)
            .run_lines(&mut Vec::new(), || {
                Ok::<Poll<()>, Infallible>(Poll::Pending("PENDING_CERTIFICATE".into()))
            })
            .unwrap_err();
        assert!(matches!(err, WaitError::TimedOut { .. }), "{err}");
    }

    #[test]
    fn a_stop_state_ends_the_wait_at_once() {
        let mut polls = 0;
        let err = Wait::new("the CA", "ACTIVE", Duration::from_secs(60), SHORT)
            .run_lines(&mut Vec::new(), || {
                polls += 1;
                Ok::<Poll<()>, Infallible>(Poll::Stop("FAILED".into()))
            })
            .unwrap_err();
        assert_eq!(polls, 1);
        assert!(
            matches!(&err, WaitError::Stopped { state, .. } if state == "FAILED"),
            "{err}"
        );
    }

    #[test]
    fn a_failed_poll_ends_the_wait_with_its_error() {
        #[derive(Debug, thiserror::Error)]
        #[error("DescribeBackups: access denied")]
        struct Denied;
        let err = Wait::new("backup b-1", "READY", Duration::from_secs(60), SHORT)
            .run_lines(&mut Vec::new(), || Err::<Poll<()>, _>(Denied))
            .unwrap_err();
        assert!(matches!(err, WaitError::Poll { source: Denied, .. }));
        assert!(err.to_string().contains("access denied"), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn plain_lines_name_each_state_the_timeout_and_the_end() {
        let mut states = ["CREATING", "CREATING", "PENDING_CERTIFICATE", "ACTIVE"].into_iter();
        let mut out = Vec::new();
        Wait::new("CA arn:x", "ACTIVE", Duration::from_secs(300), SHORT)
            .show_after(Duration::ZERO)
            .run_lines(&mut out, || {
                Ok::<_, Infallible>(match states.next().unwrap() {
                    "ACTIVE" => Poll::Ready(()),
                    other => Poll::Pending(other.to_string()),
                })
            })
            .unwrap();
        let text = lines_of(&out);
        let lines: Vec<&str> = text.lines().collect();
        // One line when it starts showing, one per change of state (not
        // for the repeated CREATING), and the end.
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].starts_with("waiting for CA arn:x to be ACTIVE: now CREATING, ")
                && lines[0].ends_with(" of 300 s"),
            "{text}"
        );
        assert!(lines[1].contains("now PENDING_CERTIFICATE"), "{text}");
        assert!(lines[2].starts_with("CA arn:x is ACTIVE after "), "{text}");
        assert!(
            !text.contains('\u{1b}'),
            "plain lines hold no escape: {text:?}"
        );
    }

    #[test]
    fn plain_lines_keep_coming_while_the_state_stays() {
        let mut out = Vec::new();
        Wait::new(
            "the CA",
            "ACTIVE",
            Duration::from_millis(300),
            Duration::from_secs(3600),
        )
        .show_after(Duration::ZERO)
        .line_every(Duration::ZERO)
        .run_lines(&mut out, || {
            Ok::<Poll<()>, Infallible>(Poll::Pending("PENDING_CERTIFICATE".into()))
        })
        .unwrap_err();
        let text = lines_of(&out);
        let waiting = text
            .lines()
            .filter(|l| l.starts_with("waiting for"))
            .count();
        assert!(waiting >= 2, "a line per step of the sleep: {text}");
        assert!(
            text.lines().last().unwrap().starts_with(
                "gave up waiting for the CA to be ACTIVE after 0.3 s: it is still PENDING_CERTIFICATE"
            ),
            "{text}"
        );
    }

    #[test]
    fn outside_text_is_shown_escaped() {
        let mut out = Vec::new();
        Wait::new("CA\u{1b}[2K", "ACTIVE", Duration::ZERO, SHORT)
            .show_after(Duration::ZERO)
            .run_lines(&mut out, || {
                Ok::<Poll<()>, Infallible>(Poll::Pending("EVIL\u{202e}STATE\nforged".into()))
            })
            .unwrap_err();
        let text = lines_of(&out);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text:?}"
        );
        assert_eq!(text.lines().count(), 2, "{text:?}");
    }
}
