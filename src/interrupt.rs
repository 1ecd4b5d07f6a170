//! Ctrl-C for the ceremonies that must end their own way: a session takes
//! the root offline, a drill tears down what it made. Once [`catch`] is
//! called, SIGINT, SIGTERM and SIGHUP set a flag instead of ending the
//! process; the steps look at it between calls and during waits. Child
//! processes (the ceremonies a session runs) get the default handling
//! back at exec, so Ctrl-C at the terminal ends them as usual.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
/// Set once the ceremony is cleaning up: from then on nothing stops on
/// the flag, since stopping the cleanup is what must not happen.
static CLEANING: AtomicBool = AtomicBool::new(false);

/// From now on, the signals above only set the flag.
pub fn catch() -> std::io::Result<()> {
    if FLAG.get().is_some() {
        return Ok(());
    }
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(signal, Arc::clone(&flag))?;
    }
    let _ = FLAG.set(flag);
    Ok(())
}

/// Whether a step should stop now: Ctrl-C (or SIGTERM, SIGHUP) came
/// since [`catch`], and the ceremony is not cleaning up.
pub fn requested() -> bool {
    came() && !CLEANING.load(Ordering::SeqCst)
}

/// Whether Ctrl-C (or SIGTERM, SIGHUP) came since [`catch`].
pub fn came() -> bool {
    FLAG.get().is_some_and(|f| f.load(Ordering::SeqCst))
}

/// The ceremony cleans up from now on: further signals are noted, never
/// obeyed.
pub fn cleaning_up() {
    CLEANING.store(true, Ordering::SeqCst);
}
